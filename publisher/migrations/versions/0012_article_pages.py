"""article_pages: the pages of headline-only entries, for their text and as evidence; outlets.full_text;
coverage_items.alert_tag and alerted_at: which alert run told the team about an item (items already stored count as
told, so turning alerts on does not send the whole history)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "article_pages",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("link_hash", sa.String(length=40), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("etag", sa.String(length=500), nullable=True),
        sa.Column("last_modified", sa.String(length=100), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("html_gz", sa.LargeBinary(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("link_hash", name="uq_article_pages_link_hash"),
    )
    with op.batch_alter_table("outlets") as batch:
        batch.add_column(sa.Column("full_text", sa.Boolean(), nullable=False, server_default=sa.true()))
    with op.batch_alter_table("coverage_items") as batch:
        batch.add_column(sa.Column("alert_tag", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("alerted_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_coverage_items_alert", ["alert_tag", "created_at"])
    items = sa.table(
        "coverage_items",
        sa.column("alert_tag", sa.String),
        sa.column("alerted_at", sa.DateTime(timezone=True)),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    op.execute(items.update().values(alert_tag="before-alerts", alerted_at=items.c.created_at))


def downgrade() -> None:
    with op.batch_alter_table("coverage_items") as batch:
        batch.drop_index("ix_coverage_items_alert")
        batch.drop_column("alerted_at")
        batch.drop_column("alert_tag")
    with op.batch_alter_table("outlets") as batch:
        batch.drop_column("full_text")
    op.drop_table("article_pages")
