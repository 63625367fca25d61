"""own_sources and own_source_entries: our own website's articles announced on other channels

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "own_sources",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(length=200), nullable=False, unique=True),
        sa.Column("feed", sa.Text(), nullable=False),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), sa.ForeignKey("campaigns.id"), nullable=True),
        sa.Column("primed", sa.Boolean(), nullable=False),
        sa.Column("etag", sa.String(length=500), nullable=True),
        sa.Column("last_modified", sa.String(length=100), nullable=True),
        sa.Column("next_poll_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_polled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
    )
    op.create_index("ix_own_sources_next_poll_at", "own_sources", ["next_poll_at"])
    op.create_table(
        "own_source_entries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("source_id", sa.Integer(), sa.ForeignKey("own_sources.id", ondelete="CASCADE"), nullable=False),
        sa.Column("guid_hash", sa.String(length=40), nullable=True),
        sa.Column("link_hash", sa.String(length=40), nullable=True),
        sa.Column("post_id", sa.Integer(), sa.ForeignKey("posts.id"), nullable=True),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("source_id", "guid_hash", name="uq_own_source_entries_guid"),
        sa.UniqueConstraint("source_id", "link_hash", name="uq_own_source_entries_link"),
    )


def downgrade() -> None:
    op.drop_table("own_source_entries")
    op.drop_index("ix_own_sources_next_poll_at", table_name="own_sources")
    op.drop_table("own_sources")
