"""Coverage alerts: which new coverage items an alert run tells the team about (``publisher.tracker.alerts``).

An item is claimed by stamping it with the run's tag in one UPDATE, so two daemons never tell the same item twice;
the alert post carries the same tag as its ``created_by``, which is how a run whose daemon died after claiming (and
before queueing) is found and finished by the next one.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, exists, select, update
from sqlalchemy.orm import Session

from publisher.models import Campaign, Post
from publisher.tracker.models import CoverageItem, Outlet

__all__ = ["AlertLine", "claim_new_items", "lines_of", "retire_old_items", "unfinished_tags"]

TOO_OLD = "too-old"  # the tag of items older than the alert window when they were first looked at: never told


@dataclass(frozen=True)
class AlertLine:
    item_id: int
    campaign: str
    timezone: str  # the campaign's
    outlet: str
    tier: str | None
    title: str
    url: str | None
    published_at: datetime | None
    post_id: int | None  # our post it reprints


def _campaigns(campaign_ids: Collection[int] | None) -> list[ColumnElement[bool]]:
    return [] if campaign_ids is None else [CoverageItem.campaign_id.in_(list(campaign_ids))]


def claim_new_items(
    session: Session, tag: str, now: datetime, since: datetime, campaign_ids: Collection[int] | None
) -> list[int]:
    """Stamp the items created since ``since`` that no run told yet (and no person removed) with ``tag``."""
    query = (
        update(CoverageItem)
        .where(
            CoverageItem.alert_tag.is_(None),
            CoverageItem.removed_at.is_(None),
            CoverageItem.created_at >= since,
            *_campaigns(campaign_ids),
        )
        .values(alert_tag=tag, alerted_at=now)
        .returning(CoverageItem.id)
    )
    return list(session.scalars(query))


def retire_old_items(session: Session, now: datetime, before: datetime) -> int:
    """Items created before ``before`` that no run told: old news by now (alerts were off, or the daemon was down
    for days), so they are marked and never sent."""
    query = (
        update(CoverageItem)
        .where(CoverageItem.alert_tag.is_(None), CoverageItem.created_at < before)
        .values(alert_tag=TOO_OLD, alerted_at=now)
    )
    return int(getattr(session.execute(query), "rowcount", 0) or 0)


def unfinished_tags(session: Session, prefix: str, claimed_from: datetime, claimed_to: datetime) -> list[str]:
    """Tags of runs that claimed items between the two times and queued no post: their daemon died in between."""
    queued = exists().where(Post.created_by == CoverageItem.alert_tag)
    query = (
        select(CoverageItem.alert_tag)
        .where(
            CoverageItem.alert_tag.like(f"{prefix}%"),
            CoverageItem.alerted_at >= claimed_from,
            CoverageItem.alerted_at < claimed_to,
            ~queued,
        )
        .distinct()
    )
    return [tag for tag in session.scalars(query) if tag]


def lines_of(session: Session, tag: str) -> list[AlertLine]:
    """The items a run claimed that are still standing, by campaign then publication time."""
    query = (
        select(CoverageItem, Campaign.name, Campaign.timezone, Outlet.name, Outlet.tier)
        .join(Campaign, Campaign.id == CoverageItem.campaign_id)
        .join(Outlet, Outlet.id == CoverageItem.outlet_id)
        .where(CoverageItem.alert_tag == tag, CoverageItem.removed_at.is_(None))
        .order_by(Campaign.name, CoverageItem.published_at, CoverageItem.id)
    )
    return [
        AlertLine(item.id, campaign, zone, outlet, tier, item.title, item.url, item.published_at, item.post_id)
        for item, campaign, zone, outlet, tier in session.execute(query)
    ]
