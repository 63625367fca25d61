"""posts.event_at: when the event a post announces happens (SMS templates' ``event_date``), apart from its send time

Empty for every existing post: their templates filled ``date`` with the send date, and still do.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("posts") as batch:
        batch.add_column(sa.Column("event_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # a plain DROP COLUMN (SQLite 3.35+): batch mode would copy and drop the table, which rows elsewhere refer to
    op.drop_column("posts", "event_at")
