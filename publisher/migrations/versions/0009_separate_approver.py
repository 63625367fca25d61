"""campaigns.separate_approver: the author of a post may not approve it (two different people)

On for every existing campaign that requires approval, as for new ones unless the campaign says otherwise.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        batch.add_column(sa.Column("separate_approver", sa.Boolean(), nullable=False, server_default=sa.false()))
    campaigns = sa.table("campaigns", sa.column("requires_approval", sa.Boolean()), sa.column("separate_approver"))
    op.execute(campaigns.update().values(separate_approver=campaigns.c.requires_approval))


def downgrade() -> None:
    # a plain DROP COLUMN (SQLite 3.35+): batch mode would copy and drop the table, which rows elsewhere refer to
    op.drop_column("campaigns", "separate_approver")
