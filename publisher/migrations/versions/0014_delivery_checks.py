"""delivery_checks: each sent delivery read back on its platform on a schedule (still online? its counts)

Deliveries sent before this revision are not checked: the job starts with those sent after it.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "delivery_checks",
        sa.Column("delivery_id", sa.Integer(), sa.ForeignKey("deliveries.id"), primary_key=True),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("next_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("state", sa.String(length=10), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_owner", sa.String(length=200), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_delivery_checks_due", "delivery_checks", ["next_at"])


def downgrade() -> None:
    op.drop_index("ix_delivery_checks_due", table_name="delivery_checks")
    op.drop_table("delivery_checks")
