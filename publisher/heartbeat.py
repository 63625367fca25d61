"""Heartbeats of running daemons, and the picture ``publisher status`` prints.

Each daemon writes a row in ``daemons`` when it starts and refreshes it every ``BEAT_SECONDS`` (how many sends it
has in flight, how many it has made); a clean stop removes the row. A daemon not heard from for ``ALIVE_SECONDS`` is
shown as silent: it died, or it cannot reach the database. Its leases on deliveries run out by themselves and any
other daemon takes the work back (``Store.reclaim_expired``); rows silent for a day are pruned.

Heartbeats are for people and monitoring only: no daemon waits for another or elects a leader. The database rows
(leases, unique keys) are what keeps several daemons from doing the same work.
"""

from __future__ import annotations

import dataclasses
import os
import socket
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, delete, func, insert, select, update

from publisher.models import Channel, Delivery, DeliveryState, Heartbeat
from publisher.store import Store

__all__ = [
    "ALIVE_SECONDS",
    "BEAT_SECONDS",
    "ChannelQueue",
    "DaemonView",
    "Heartbeats",
    "Lease",
    "Status",
    "status",
]

BEAT_SECONDS = 5.0
ALIVE_SECONDS = 30.0  # six beats missed: shown as silent
PRUNE_AFTER = timedelta(days=1)

_OPEN = (DeliveryState.QUEUED.value, DeliveryState.RETRY_WAIT.value)
_HEARTBEATS = Heartbeat.metadata.tables[Heartbeat.__tablename__]


class Heartbeats:
    """One daemon's row: ``start`` it, ``beat`` every ``BEAT_SECONDS``, ``stop`` on a clean exit."""

    def __init__(self, store: Store, name: str, channels: Sequence[str]) -> None:
        self.store = store
        self.name = name
        self.channels = list(channels)

    def start(self, now: datetime) -> None:
        with self.store.session() as session:
            # a row left under this name (the same host and pid, after a crash) is replaced
            session.execute(delete(Heartbeat).where(Heartbeat.name == self.name))
            session.execute(
                insert(_HEARTBEATS).values(
                    name=self.name,
                    host=socket.gethostname(),
                    pid=os.getpid(),
                    started_at=now,
                    last_seen=now,
                    in_flight=0,
                    sent=0,
                    channels=self.channels,
                )
            )

    def beat(self, now: datetime, in_flight: int, sent: int) -> None:
        with self.store.session() as session:
            refreshed = session.execute(
                update(_HEARTBEATS)
                .where(_HEARTBEATS.c.name == self.name)
                .values(last_seen=now, in_flight=in_flight, sent=sent)
            )
            if not getattr(refreshed, "rowcount", 1):  # pruned while this daemon could not reach the database
                session.execute(
                    insert(_HEARTBEATS).values(
                        name=self.name,
                        host=socket.gethostname(),
                        pid=os.getpid(),
                        started_at=now,
                        last_seen=now,
                        in_flight=in_flight,
                        sent=sent,
                        channels=self.channels,
                    )
                )
            session.execute(delete(Heartbeat).where(Heartbeat.last_seen < now - PRUNE_AFTER))

    def stop(self) -> None:
        with self.store.session() as session:
            session.execute(delete(Heartbeat).where(Heartbeat.name == self.name))


# --- publisher status -----------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Lease:
    owner: str
    deliveries: int  # claimed under this owner's lease
    until: datetime  # the latest lease ends then
    expired: int  # of which past their lease (the owner is presumed dead; another daemon takes them back)


@dataclasses.dataclass(frozen=True)
class DaemonView:
    name: str
    host: str
    pid: int
    started_at: datetime
    last_seen: datetime
    alive: bool
    in_flight: int
    sent: int
    channels: list[str]
    leases: int  # deliveries claimed under its name now


@dataclasses.dataclass(frozen=True)
class ChannelQueue:
    channel: str
    paused: bool
    paused_by: str | None
    states: dict[str, int]  # delivery state -> count
    due_now: int  # waiting and due (ready, not blocked by approval)
    oldest_due: datetime | None  # the earliest due time among those: how late the channel runs
    lateness_seconds: float  # now - oldest_due, or 0


@dataclasses.dataclass(frozen=True)
class Status:
    now: datetime
    daemons: list[DaemonView]
    leases: list[Lease]
    channels: list[ChannelQueue]

    def as_json(self) -> dict[str, Any]:
        def plain(value: Any) -> Any:
            return value.isoformat() if isinstance(value, datetime) else value

        return {
            "now": self.now.isoformat(),
            "daemons": [{k: plain(v) for k, v in dataclasses.asdict(d).items()} for d in self.daemons],
            "leases": [{k: plain(v) for k, v in dataclasses.asdict(lease).items()} for lease in self.leases],
            "channels": [{k: plain(v) for k, v in dataclasses.asdict(c).items()} for c in self.channels],
        }


def status(store: Store, now: datetime) -> Status:
    """Daemons (alive or silent), leases held, and per channel the queue's depth and lateness."""
    alive_after = now - timedelta(seconds=ALIVE_SECONDS)
    with store.sessions() as session:
        leases = [
            Lease(owner, count, until, expired or 0)
            for owner, count, until, expired in session.execute(
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
        ]
        held = {lease.owner: lease.deliveries for lease in leases}
        daemons = [
            DaemonView(
                name=row.name,
                host=row.host,
                pid=row.pid,
                started_at=row.started_at,
                last_seen=row.last_seen,
                alive=row.last_seen >= alive_after,
                in_flight=row.in_flight,
                sent=row.sent,
                channels=list(row.channels or []),
                leases=held.get(row.name, 0),
            )
            for row in session.scalars(select(Heartbeat).order_by(Heartbeat.started_at, Heartbeat.name))
        ]
        counts: dict[str, dict[str, int]] = {}
        for name, state, count in session.execute(
            select(Channel.name, Delivery.state, func.count()).join(Delivery).group_by(Channel.name, Delivery.state)
        ):
            counts.setdefault(name, {})[state] = count
        due: dict[str, tuple[int, datetime | None]] = {
            name: (count, oldest)
            for name, count, oldest in session.execute(
                select(Channel.name, func.count(), func.min(Delivery.due_at))
                .join(Delivery)
                .where(Delivery.state.in_(_OPEN), Delivery.ready.is_(True), Delivery.due_at <= now)
                .group_by(Channel.name)
            )
        }
        channels = []
        for channel in session.scalars(select(Channel).order_by(Channel.name)):
            count, oldest = due.get(channel.name, (0, None))
            channels.append(
                ChannelQueue(
                    channel=channel.name,
                    paused=channel.paused,
                    paused_by=channel.paused_by,
                    states=counts.get(channel.name, {}),
                    due_now=count,
                    oldest_due=oldest,
                    lateness_seconds=round((now - oldest).total_seconds(), 1) if oldest else 0.0,
                )
            )
    return Status(now=now, daemons=daemons, leases=leases, channels=channels)
