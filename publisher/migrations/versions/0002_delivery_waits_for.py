"""deliveries wait for the website article's link

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("waits_for_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_deliveries_waits_for", "deliveries", ["waits_for_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_constraint("fk_deliveries_waits_for", type_="foreignkey")
        batch_op.drop_column("waits_for_id")
