"""shared_values: small values every daemon shares, with an expiry and a renewal lease (a channel's access token,
what an adapter did for a delivery)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "shared_values",
        sa.Column("name", sa.String(length=300), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_owner", sa.String(length=200), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_shared_values_expires_at", "shared_values", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_shared_values_expires_at", table_name="shared_values")
    op.drop_table("shared_values")
