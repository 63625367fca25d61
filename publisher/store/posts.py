"""Campaigns, posts and recurring schedules: the lookups and conditional updates ``publisher.queue`` makes in its
transactions (the queue holds the rules)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session

from publisher.models import Campaign, Channel, Delivery, DeliveryState, Post, PostState, Schedule
from publisher.store.deliveries import is_waiting
from publisher.store.engine import StoreBase

__all__ = [
    "advance_schedule",
    "campaign_named",
    "campaign_names",
    "channel_ids",
    "enabled_schedules",
    "first_campaigns",
    "make_waiting_ready",
    "post_made_by",
    "schedule_named",
    "sent_campaign_posts",
    "skip_schedule_to",
]


def campaign_named(session: Session, name: str) -> Campaign | None:
    return session.scalar(select(Campaign).where(Campaign.name == name))


def campaign_names(session: Session) -> list[str]:
    return list(session.scalars(select(Campaign.name).order_by(Campaign.name)))


def first_campaigns(session: Session, limit: int) -> list[Campaign]:
    """Up to ``limit`` campaigns (enough to tell "the only one" from "one of several")."""
    return list(session.scalars(select(Campaign).limit(limit)))


def channel_ids(session: Session) -> dict[str, int]:
    """Every channel row: name -> id."""
    return {name: id_ for name, id_ in session.execute(select(Channel.name, Channel.id))}


def make_waiting_ready(session: Session, post_id: int, now: datetime) -> None:
    """The post's waiting deliveries may go once due (it was approved)."""
    session.execute(
        update(Delivery).where(Delivery.post_id == post_id, is_waiting()).values(ready=True, updated_at=now)
    )


def post_made_by(session: Session, actor: str) -> int | None:
    """The id of a post queued by ``actor`` (a name unique to one job, e.g. a report run), if there is one."""
    return session.scalar(select(Post.id).where(Post.created_by == actor))


def sent_campaign_posts(session: Session) -> Sequence[Post]:
    """Active posts of a campaign that went out on at least one channel."""
    sent = exists().where(Delivery.post_id == Post.id, Delivery.state == DeliveryState.SENT.value)
    query = select(Post).where(Post.campaign_id.is_not(None), Post.state == PostState.ACTIVE.value, sent)
    return session.scalars(query).all()


# --- recurring schedules ------------------------------------------------------------------------------------------


def schedule_named(session: Session, name: str) -> Schedule | None:
    return session.scalar(select(Schedule).where(Schedule.name == name))


def enabled_schedules(store: StoreBase) -> list[Schedule]:
    with store.sessions() as session:
        return list(session.scalars(select(Schedule).where(Schedule.enabled.is_(True))))


def skip_schedule_to(session: Session, schedule: Schedule, last: datetime) -> bool:
    """Move the schedule's last firing to ``last`` unless another daemon moved it since ``schedule`` was read;
    True if this call moved it."""
    result = session.execute(
        update(Schedule)
        .where(Schedule.id == schedule.id, Schedule.last_fired_at == schedule.last_fired_at)
        .values(last_fired_at=last)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def advance_schedule(store: StoreBase, schedule_id: int, occurrence: datetime) -> None:
    """Record that the schedule fired at ``occurrence`` (never moving its last firing back)."""
    with store.session() as session:
        session.execute(
            update(Schedule)
            .where(Schedule.id == schedule_id)
            .where((Schedule.last_fired_at.is_(None)) | (Schedule.last_fired_at < occurrence))
            .values(last_fired_at=occurrence)
        )
