"""feed_entries.link_hash indexed alone: from a kept article page to the entries (and coverage items) with its link

Reports read the kept pages of a campaign's items in one query, and the tracker gives a fetched page's text to every
entry with its link; both went through every entry without this index.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04
"""

from __future__ import annotations

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_feed_entries_link_hash", "feed_entries", ["link_hash"])


def downgrade() -> None:
    op.drop_index("ix_feed_entries_link_hash", table_name="feed_entries")
