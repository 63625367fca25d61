"""media.alt: what a picture shows, sent as its description where the platform takes one (Mastodon, WordPress)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("media") as table:
        table.add_column(sa.Column("alt", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("media") as table:
        table.drop_column("alt")
