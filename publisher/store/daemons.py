"""Daemons' heartbeat rows and what ``publisher status`` reads (``publisher.heartbeat`` holds the rules: how often
a daemon beats, when it counts as silent, when its row is pruned)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import case, delete, func, insert, select, update
from sqlalchemy.orm import Session

from publisher.models import Channel, Delivery, DeliveryState, Heartbeat
from publisher.store.deliveries import is_waiting, state_counts
from publisher.store.engine import StoreBase

__all__ = ["DaemonsMixin", "all_channels", "due_by_channel", "heartbeat_rows", "leases_by_owner", "state_counts"]

_HEARTBEATS = Heartbeat.metadata.tables[Heartbeat.__tablename__]


class DaemonsMixin(StoreBase):
    def put_heartbeat(self, row: dict[str, Any], *, replace: bool) -> None:
        """Write a daemon's row (``Heartbeat``'s columns); with ``replace``, one left under its name goes first."""
        with self.session() as session:
            if replace:
                session.execute(delete(Heartbeat).where(Heartbeat.name == row["name"]))
            session.execute(insert(_HEARTBEATS).values(**row))

    def refresh_heartbeat(
        self, name: str, values: dict[str, Any], *, row: dict[str, Any], prune_before: datetime
    ) -> None:
        """Update ``name``'s row with ``values`` (written as ``row`` if it was pruned meanwhile) and delete the rows
        not refreshed since ``prune_before``."""
        with self.session() as session:
            refreshed = session.execute(update(_HEARTBEATS).where(_HEARTBEATS.c.name == name).values(**values))
            if not getattr(refreshed, "rowcount", 1):  # pruned while this daemon could not reach the database
                session.execute(insert(_HEARTBEATS).values(**row))
            session.execute(delete(Heartbeat).where(Heartbeat.last_seen < prune_before))

    def drop_heartbeat(self, name: str) -> None:
        with self.session() as session:
            session.execute(delete(Heartbeat).where(Heartbeat.name == name))


def leases_by_owner(session: Session, now: datetime) -> list[tuple[str, int, datetime, int]]:
    """Per lease owner: deliveries claimed, the latest lease end, and how many of them are past their lease."""
    query = (
        select(
            Delivery.lease_owner,
            func.count(),
            func.max(Delivery.lease_until),
            func.sum(case((Delivery.lease_until < now, 1), else_=0)),
        )
        .where(Delivery.state == DeliveryState.CLAIMED.value, Delivery.lease_owner.is_not(None))
        .group_by(Delivery.lease_owner)
        .order_by(Delivery.lease_owner)
    )
    return [(owner, count, until, expired or 0) for owner, count, until, expired in session.execute(query)]


def heartbeat_rows(session: Session) -> Sequence[Heartbeat]:
    return session.scalars(select(Heartbeat).order_by(Heartbeat.started_at, Heartbeat.name)).all()


def due_by_channel(session: Session, now: datetime) -> dict[str, tuple[int, datetime | None]]:
    """Per channel: how many approved deliveries wait past their due time, and the earliest due time among them."""
    query = (
        select(Channel.name, func.count(), func.min(Delivery.due_at))
        .join(Delivery)
        .where(is_waiting(), Delivery.ready.is_(True), Delivery.due_at <= now)
        .group_by(Channel.name)
    )
    return {name: (count, oldest) for name, count, oldest in session.execute(query)}


def all_channels(session: Session) -> Sequence[Channel]:
    return session.scalars(select(Channel).order_by(Channel.name)).all()
