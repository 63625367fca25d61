"""Webhook subscribers and their outbox (``publisher.services.webhooks`` holds the rules).

The outbox rows are written by the database: a trigger on ``events`` (migration 0020) adds one per active subscriber
whose ``actions`` name the event's action, in the transaction that appends the event. What is here claims due rows
under a lease, records how each send went, and lists them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from publisher.models import Campaign, Channel, Delivery, Event, Post, WebhookDelivery, WebhookSubscriber
from publisher.tracker.models import CoverageItem, Outlet

__all__ = [
    "DELIVERED",
    "FAILED",
    "QUEUED",
    "Due",
    "LogLine",
    "add_failures",
    "claim_due",
    "counts_by_subscriber",
    "event_facts",
    "finish",
    "log_lines",
    "outbox_row",
    "remove_subscriber",
    "requeue",
    "save_bodies",
    "set_subscriber",
    "subscriber_named",
    "subscribers",
]

QUEUED, DELIVERED, FAILED = "queued", "delivered", "failed"


@dataclass(frozen=True)
class Due:
    """An outbox row claimed for sending, with what sending it needs."""

    id: int
    subscriber_id: int
    event_id: int
    attempts: int  # made before this one
    body: str | None
    url: str
    secret_sealed: str


@dataclass(frozen=True)
class LogLine:
    id: int
    subscriber: str
    event_id: int
    action: str
    event_at: datetime
    state: str
    attempts: int
    next_at: datetime
    last_status: int | None
    last_error: str | None
    last_attempt_at: datetime | None
    delivered_at: datetime | None


def subscriber_named(session: Session, name: str) -> WebhookSubscriber | None:
    return session.scalars(select(WebhookSubscriber).where(WebhookSubscriber.name == name)).first()


def subscribers(session: Session) -> list[WebhookSubscriber]:
    return list(session.scalars(select(WebhookSubscriber).order_by(WebhookSubscriber.name)))


def counts_by_subscriber(session: Session) -> dict[int, dict[str, int]]:
    """Outbox rows by subscriber and state."""
    query = select(WebhookDelivery.subscriber_id, WebhookDelivery.state, func.count()).group_by(
        WebhookDelivery.subscriber_id, WebhookDelivery.state
    )
    found: dict[int, dict[str, int]] = {}
    for subscriber_id, state, count in session.execute(query):
        found.setdefault(subscriber_id, {})[state] = int(count)
    return found


def remove_subscriber(session: Session, subscriber: WebhookSubscriber) -> None:
    session.execute(delete(WebhookDelivery).where(WebhookDelivery.subscriber_id == subscriber.id))
    session.delete(subscriber)


def claim_due(session: Session, now: datetime, owner: str, until: datetime, limit: int) -> list[Due]:
    """Take up to ``limit`` queued rows that are due, of subscribers not paused, under ``owner``'s lease until
    ``until``; rows locked by another daemon (PostgreSQL) or under a live lease are left to it."""
    query = (
        select(WebhookDelivery.id)
        .join(WebhookSubscriber, WebhookSubscriber.id == WebhookDelivery.subscriber_id)
        .where(
            WebhookDelivery.state == QUEUED,
            WebhookDelivery.next_at <= now,
            or_(WebhookDelivery.lease_until.is_(None), WebhookDelivery.lease_until < now),
            WebhookSubscriber.active,
            WebhookSubscriber.paused_at.is_(None),
        )
        .order_by(WebhookDelivery.next_at, WebhookDelivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=WebhookDelivery)
    )
    ids = list(session.scalars(query))
    if not ids:
        return []
    session.execute(
        update(WebhookDelivery).where(WebhookDelivery.id.in_(ids)).values(lease_owner=owner, lease_until=until)
    )
    rows = session.execute(
        select(
            WebhookDelivery.id,
            WebhookDelivery.subscriber_id,
            WebhookDelivery.event_id,
            WebhookDelivery.attempts,
            WebhookDelivery.body,
            WebhookSubscriber.url,
            WebhookSubscriber.secret_sealed,
        )
        .join(WebhookSubscriber, WebhookSubscriber.id == WebhookDelivery.subscriber_id)
        .where(WebhookDelivery.id.in_(ids))
        .order_by(WebhookDelivery.next_at, WebhookDelivery.id)
    )
    found: list[tuple[Any, ...]] = [tuple(row) for row in rows]
    return [Due(*line) for line in found]


def event_facts(session: Session, event_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """What a payload says of each event: the event, its post, delivery (with channel) and coverage item."""
    query = (
        select(
            Event,
            Post.title,
            Post.link,
            Campaign.name,
            Channel.name,
            Delivery.state,
            Delivery.remote_url,
            Delivery.last_error,
            Delivery.due_at,
        )
        .outerjoin(Post, Post.id == Event.post_id)
        .outerjoin(Campaign, Campaign.id == Post.campaign_id)
        .outerjoin(Delivery, Delivery.id == Event.delivery_id)
        .outerjoin(Channel, Channel.id == Delivery.channel_id)
        .where(Event.id.in_(list(event_ids)))
    )
    facts: dict[int, dict[str, Any]] = {}
    for event, title, link, campaign, channel, state, remote_url, error, due_at in session.execute(query):
        facts[event.id] = {
            "event": event,
            "post": {"id": event.post_id, "title": title, "link": link, "campaign": campaign}
            if event.post_id is not None
            else None,
            "delivery": {
                "id": event.delivery_id,
                "channel": channel,
                "state": state,
                "url": remote_url,
                "error": error,
                "due_at": due_at,
            }
            if event.delivery_id is not None
            else None,
        }
    coverage_ids = {f["event"].coverage_id for f in facts.values() if f["event"].coverage_id is not None}
    if coverage_ids:
        items = session.execute(
            select(CoverageItem, Outlet.name, Campaign.name)
            .join(Outlet, Outlet.id == CoverageItem.outlet_id)
            .join(Campaign, Campaign.id == CoverageItem.campaign_id)
            .where(CoverageItem.id.in_(coverage_ids))
        )
        found = {item.id: (item, outlet, campaign) for item, outlet, campaign in items}
        for fact in facts.values():
            got = found.get(fact["event"].coverage_id)
            if got is not None:
                item, outlet, campaign = got
                fact["coverage"] = {
                    "id": item.id,
                    "campaign": campaign,
                    "outlet": outlet,
                    "title": item.title,
                    "url": item.url,
                    "published_at": item.published_at,
                    "matched_by": item.matched_by,
                    "post_id": item.post_id,
                }
    return facts


def save_bodies(session: Session, bodies: dict[int, str]) -> None:
    """Keep each row's body as first sent (only where none is kept yet)."""
    for row_id, body in bodies.items():
        session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == row_id, WebhookDelivery.body.is_(None))
            .values(body=body)
        )


def finish(session: Session, row_id: int, owner: str, values: dict[str, Any]) -> bool:
    """Write how a send went, if ``owner`` still holds the row's lease; the lease ends either way."""
    result = session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == row_id, WebhookDelivery.lease_owner == owner)
        .values(**values, lease_owner=None, lease_until=None)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def set_subscriber(session: Session, subscriber_id: int, **values: Any) -> None:
    session.execute(update(WebhookSubscriber).where(WebhookSubscriber.id == subscriber_id).values(**values))


def add_failures(session: Session, subscriber_id: int, count: int) -> int:
    """Count ``count`` more failed sends in a row; returns the new count."""
    set_subscriber(session, subscriber_id, failures=WebhookSubscriber.failures + count)
    return int(session.scalar(select(WebhookSubscriber.failures).where(WebhookSubscriber.id == subscriber_id)) or 0)


def log_lines(
    session: Session, subscriber_id: int | None = None, state: str | None = None, limit: int = 100
) -> list[LogLine]:
    """The newest outbox rows first, with their event's action and time."""
    query = (
        select(
            WebhookDelivery.id,
            WebhookSubscriber.name,
            WebhookDelivery.event_id,
            Event.action,
            Event.at,
            WebhookDelivery.state,
            WebhookDelivery.attempts,
            WebhookDelivery.next_at,
            WebhookDelivery.last_status,
            WebhookDelivery.last_error,
            WebhookDelivery.last_attempt_at,
            WebhookDelivery.delivered_at,
        )
        .join(WebhookSubscriber, WebhookSubscriber.id == WebhookDelivery.subscriber_id)
        .join(Event, Event.id == WebhookDelivery.event_id)
        .order_by(WebhookDelivery.id.desc())
        .limit(limit)
    )
    if subscriber_id is not None:
        query = query.where(WebhookDelivery.subscriber_id == subscriber_id)
    if state is not None:
        query = query.where(WebhookDelivery.state == state)
    lines: list[tuple[Any, ...]] = [tuple(row) for row in session.execute(query)]
    return [LogLine(*line) for line in lines]


def outbox_row(session: Session, row_id: int) -> WebhookDelivery | None:
    return session.get(WebhookDelivery, row_id)


def requeue(session: Session, row_id: int, now: datetime) -> None:
    """Send a row again now, from its first attempt (the same body, the same event id)."""
    session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == row_id)
        .values(state=QUEUED, attempts=0, next_at=now, lease_owner=None, lease_until=None, delivered_at=None)
    )
