"""Read-back of sent deliveries: which are due a check, claimed under a lease, and what each check found
(``publisher.services.readback`` decides when and what it means)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, insert, or_, select, update
from sqlalchemy.orm import Session

from publisher.models import Channel, Delivery, DeliveryCheck, DeliveryState, Post
from publisher.store.engine import StoreBase

__all__ = ["DueCheck", "checks_of", "claim_checks", "record_check", "seed_checks"]


@dataclass(frozen=True)
class DueCheck:
    """A sent delivery to read back now."""

    delivery_id: int
    post_id: int
    post_title: str
    channel: str
    remote_id: str | None
    remote_url: str | None
    key: str
    sent_at: datetime
    round: int
    state: str | None  # what the last check found (None before the first)


def seed_checks(session: Session, channels: Collection[str], since: datetime, first: timedelta) -> int:
    """A check row, due ``first`` after sending, for each delivery sent since ``since`` on ``channels`` without one."""
    if not channels:
        return 0
    checked = exists().where(DeliveryCheck.delivery_id == Delivery.id)
    rows = session.execute(
        select(Delivery.id, Delivery.sent_at)
        .join(Channel, Channel.id == Delivery.channel_id)
        .where(
            Delivery.state == DeliveryState.SENT.value,
            Delivery.sent_at >= since,
            Channel.name.in_(list(channels)),
            ~checked,
        )
    ).all()
    if rows:
        session.execute(
            insert(DeliveryCheck),
            [{"delivery_id": d, "round": 0, "next_at": (sent or since) + first, "metrics": {}} for d, sent in rows],
        )
    return len(rows)


def claim_checks(store: StoreBase, now: datetime, owner: str, lease: timedelta, limit: int) -> list[DueCheck]:
    """The checks due by ``now``, taken under a lease held by ``owner`` (``SKIP LOCKED`` on PostgreSQL)."""
    with store.session() as session:
        query = (
            select(DeliveryCheck, Delivery, Channel.name, Post.title)
            .join(Delivery, Delivery.id == DeliveryCheck.delivery_id)
            .join(Channel, Channel.id == Delivery.channel_id)
            .join(Post, Post.id == Delivery.post_id)
            .where(
                DeliveryCheck.next_at <= now,
                or_(DeliveryCheck.lease_until.is_(None), DeliveryCheck.lease_until < now),
            )
            .order_by(DeliveryCheck.next_at)
            .limit(limit)
            .with_for_update(skip_locked=True, of=DeliveryCheck)
        )
        due = [
            DueCheck(
                delivery_id=delivery.id,
                post_id=delivery.post_id,
                post_title=title,
                channel=channel,
                remote_id=delivery.remote_id,
                remote_url=delivery.remote_url,
                key=delivery.idempotency_key,
                sent_at=delivery.sent_at or check.next_at or now,
                round=check.round,
                state=check.state,
            )
            for check, delivery, channel, title in session.execute(query)
        ]
        if due:
            session.execute(
                update(DeliveryCheck)
                .where(DeliveryCheck.delivery_id.in_([d.delivery_id for d in due]))
                .values(lease_owner=owner, lease_until=now + lease)
                .execution_options(synchronize_session=False)
            )
        return due


def record_check(
    session: Session,
    check: DueCheck,
    *,
    state: str,
    detail: str,
    metrics: dict[str, Any] | None,
    now: datetime,
    next_at: datetime | None,
) -> None:
    """What a check found (``metrics`` None: the counts known stay); the next check due at ``next_at`` (None: the
    schedule is done). The lease is let go."""
    values: dict[str, Any] = {
        "round": check.round + 1,
        "next_at": next_at,
        "state": state,
        "detail": detail or None,
        "checked_at": now,
        "lease_owner": None,
        "lease_until": None,
    }
    if metrics is not None:
        values["metrics"] = metrics
    session.execute(update(DeliveryCheck).where(DeliveryCheck.delivery_id == check.delivery_id).values(**values))


def checks_of(session: Session, delivery_ids: Sequence[int]) -> dict[int, DeliveryCheck]:
    """The last check of each of these deliveries that was checked at least once."""
    query = select(DeliveryCheck).where(
        DeliveryCheck.delivery_id.in_(list(delivery_ids)), DeliveryCheck.checked_at.is_not(None)
    )
    return {check.delivery_id: check for check in session.scalars(query)}
