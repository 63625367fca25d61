"""article_pages.screenshot_png: a picture of a kept page, as a browser drew it, for coverage evidence

``[tracker] screenshots`` draws the kept page of each new coverage item with headless Chromium (offline: the page
as kept, nothing fetched); the picture stays with the page.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("article_pages") as table:
        table.add_column(sa.Column("screenshot_png", sa.LargeBinary(), nullable=True))
        table.add_column(sa.Column("screenshot_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("article_pages") as table:
        table.drop_column("screenshot_at")
        table.drop_column("screenshot_png")
