"""Coverage items and campaigns' keyword rules (``publisher.tracker.coverage`` holds the rules)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from publisher.models import Campaign
from publisher.tracker.models import CampaignRules, CoverageItem, Outlet

__all__ = ["all_campaigns", "all_keyword_rules", "coverage_rows", "newest_covered_campaign"]


def all_campaigns(session: Session) -> list[Campaign]:
    return list(session.scalars(select(Campaign)))


def all_keyword_rules(session: Session) -> dict[int, CampaignRules]:
    """campaign id -> its keyword rules (campaigns without rules are left out)."""
    return {r.campaign_id: r for r in session.scalars(select(CampaignRules))}


def coverage_rows(
    session: Session,
    *,
    campaign: str | None = None,
    outlet: str | None = None,
    published_from: datetime | None = None,
    published_to: datetime | None = None,
    limit: int,
) -> list[tuple[CoverageItem, Campaign, Outlet]]:
    """Kept coverage items with their campaigns and outlets, by publication time, filtered."""
    query = (
        select(CoverageItem, Campaign, Outlet)
        .join(Campaign, Campaign.id == CoverageItem.campaign_id)
        .join(Outlet, Outlet.id == CoverageItem.outlet_id)
        .where(CoverageItem.removed_at.is_(None))
    )
    if campaign:
        query = query.where(Campaign.name == campaign)
    if outlet:
        query = query.where(Outlet.name == outlet)
    if published_from:
        query = query.where(CoverageItem.published_at >= published_from)
    if published_to:
        query = query.where(CoverageItem.published_at < published_to)
    query = query.order_by(CoverageItem.published_at, CoverageItem.id).limit(limit)
    return [(item, row, where) for item, row, where in session.execute(query)]


def newest_covered_campaign(session: Session) -> str | None:
    """The campaign with the most recently added kept coverage; else the first campaign by name; else None."""
    newest: Any = session.scalar(
        select(Campaign.name)
        .join(CoverageItem, CoverageItem.campaign_id == Campaign.id)
        .where(CoverageItem.removed_at.is_(None))
        .group_by(Campaign.name)
        .order_by(func.max(CoverageItem.id).desc())
        .limit(1)
    )
    if newest is not None:
        return str(newest)
    first: str | None = session.scalar(select(Campaign.name).order_by(Campaign.name).limit(1))
    return first
