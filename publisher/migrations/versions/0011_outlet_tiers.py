"""outlets.tier: the usual tiers in one spelling (national, province, city, district, school), so reports count per tier

The column came with 0003 as free text. Since issue 13 an outlet's tier is one of five (中央, 省, 市, 区/县, 校, stored
as the codes above): every spelling the old free text was likely to hold is rewritten to its code. Anything else is
kept as written (only its owner knows what it meant); reports show it as it is, and `outlet edit --tier` sets it.
The mapping is copied here, not imported, so that this migration does the same whatever the code later becomes.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

SPELLINGS = {
    "national": ("national", "central", "中央", "中央级", "国家", "国家级"),
    "province": ("province", "provincial", "省", "省级"),
    "city": ("city", "municipal", "市", "市级"),
    "district": ("district", "county", "区", "县", "区/县", "区县", "区县级", "区/县级", "区级", "县级"),
    "school": ("school", "校", "校级", "学校"),
}


def upgrade() -> None:
    outlets = sa.table("outlets", sa.column("tier", sa.String))
    folded = sa.func.lower(sa.func.replace(sa.func.trim(outlets.c.tier), " ", ""))
    for code, spellings in SPELLINGS.items():
        op.execute(outlets.update().where(folded.in_(spellings)).values(tier=code))


def downgrade() -> None:
    pass  # the codes are valid free text for the old schema: nothing to undo
