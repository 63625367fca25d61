"""The team's notices' rows (``publisher.services.team`` holds the rules): what waits for approval or went wrong,
the day's figures, and the claim that tells each once."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, not_, or_, select, true, update
from sqlalchemy.orm import Session

from publisher.models import ApprovalState, Campaign, Channel, Delivery, DeliveryState, Post, TeamNotice
from publisher.store.feeds import insert_ignore
from publisher.tracker.models import CoverageItem

__all__ = ["Waiting", "claim_notices", "day_figures", "notice_posted", "troubled_deliveries", "waiting_posts"]


@dataclass(frozen=True)
class Waiting:
    """A post waiting for approval, or a delivery that failed or is uncertain: what a notice says of it."""

    post_id: int
    title: str
    campaign: str | None
    author: str | None
    channels: list[str]
    due_at: datetime | None
    delivery_id: int | None = None
    state: str | None = None
    error: str | None = None


def _not_ours(created_by: Any, quiet: Sequence[str]) -> Any:
    """Not a post the team's own words made (a notice, an alert): a notice of a notice would never end."""
    return not_(or_(*(created_by.like(prefix + "%") for prefix in quiet))) if quiet else true()


def waiting_posts(session: Session, since: datetime, quiet: Sequence[str]) -> list[Waiting]:
    """Posts waiting for approval, created since ``since``, with their channels and first due time."""
    query = (
        select(Post.id, Post.title, Campaign.name, Post.created_by, Channel.name, Delivery.due_at)
        .join(Delivery, Delivery.post_id == Post.id)
        .join(Channel, Channel.id == Delivery.channel_id)
        .outerjoin(Campaign, Campaign.id == Post.campaign_id)
        .where(Post.approval == ApprovalState.PENDING.value, Post.created_at >= since)
        .where(or_(Post.created_by.is_(None), _not_ours(Post.created_by, quiet)))
        .order_by(Post.id, Channel.name)
    )
    found: dict[int, Waiting] = {}
    for post_id, title, campaign, author, channel, due in session.execute(query):
        if post_id not in found:
            found[post_id] = Waiting(post_id, title, campaign, author, [], due)
        found[post_id].channels.append(channel)
    return list(found.values())


def troubled_deliveries(session: Session, since: datetime, quiet: Sequence[str]) -> list[Waiting]:
    """Deliveries that failed or are uncertain, changed since ``since``."""
    troubled = (DeliveryState.FAILED.value, DeliveryState.UNCERTAIN.value)
    query = (
        select(
            Post.id,
            Post.title,
            Campaign.name,
            Post.created_by,
            Channel.name,
            Delivery.due_at,
            Delivery.id,
            Delivery.state,
            Delivery.last_error,
        )
        .join(Post, Post.id == Delivery.post_id)
        .join(Channel, Channel.id == Delivery.channel_id)
        .outerjoin(Campaign, Campaign.id == Post.campaign_id)
        .where(Delivery.state.in_(troubled), Delivery.updated_at >= since)
        .where(or_(Post.created_by.is_(None), _not_ours(Post.created_by, quiet)))
        .order_by(Delivery.id)
    )
    return [
        Waiting(post_id, title, campaign, author, [channel], due, delivery_id, state, error)
        for post_id, title, campaign, author, channel, due, delivery_id, state, error in session.execute(query)
    ]


def claim_notices(session: Session, subjects: Collection[str], now: datetime) -> set[str]:
    """Record these subjects as told; returns those this call recorded (the others were told already)."""
    rows = [{"subject": subject, "post_id": None, "created_at": now} for subject in subjects]
    return {subject for _, subject in insert_ignore(session, TeamNotice, rows, ("id", "subject"))}


def notice_posted(session: Session, subject: str, post_id: int) -> None:
    session.execute(update(TeamNotice).where(TeamNotice.subject == subject).values(post_id=post_id))


def day_figures(
    session: Session, start: datetime, end: datetime, campaign: str | None, quiet: Sequence[str]
) -> dict[str, int]:
    """The day's deliveries by what became of them (sent, failed, uncertain: changed in the day; waiting: due in
    the day and not out yet), and the coverage found in it; only ``campaign``'s when one is named."""
    where: list[Any] = [or_(Post.created_by.is_(None), _not_ours(Post.created_by, quiet))]
    if campaign is not None:
        where.append(Campaign.name == campaign)
    base = (
        select(Delivery.state, func.count())
        .join(Post, Post.id == Delivery.post_id)
        .outerjoin(Campaign, Campaign.id == Post.campaign_id)
        .where(*where)
        .group_by(Delivery.state)
    )
    changed = dict(session.execute(base.where(Delivery.updated_at >= start, Delivery.updated_at < end)).all())
    due = dict(session.execute(base.where(Delivery.due_at >= start, Delivery.due_at < end)).all())
    waiting_states = (DeliveryState.QUEUED.value, DeliveryState.RETRY_WAIT.value, DeliveryState.CLAIMED.value)
    coverage = (
        select(func.count())
        .select_from(CoverageItem)
        .where(CoverageItem.created_at >= start, CoverageItem.created_at < end, CoverageItem.removed_at.is_(None))
    )
    if campaign is not None:
        coverage = coverage.join(Campaign, Campaign.id == CoverageItem.campaign_id).where(Campaign.name == campaign)
    return {
        "sent": int(changed.get(DeliveryState.SENT.value, 0)),
        "failed": int(changed.get(DeliveryState.FAILED.value, 0)),
        "uncertain": int(changed.get(DeliveryState.UNCERTAIN.value, 0)),
        "waiting": sum(int(due.get(state, 0)) for state in waiting_states),
        "coverage": int(session.scalar(coverage) or 0),
    }
