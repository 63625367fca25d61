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

from publisher.store import Store
from publisher.store.daemons import all_channels, due_by_channel, heartbeat_rows, leases_by_owner, state_counts

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


class Heartbeats:
    """One daemon's row: ``start`` it, ``beat`` every ``BEAT_SECONDS``, ``stop`` on a clean exit."""

    def __init__(self, store: Store, name: str, channels: Sequence[str]) -> None:
        self.store = store
        self.name = name
        self.channels = list(channels)

    def _row(self, now: datetime, in_flight: int = 0, sent: int = 0) -> dict[str, Any]:
        return {
            "name": self.name,
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "started_at": now,
            "last_seen": now,
            "in_flight": in_flight,
            "sent": sent,
            "channels": self.channels,
        }

    def start(self, now: datetime) -> None:
        # a row left under this name (the same host and pid, after a crash) is replaced
        self.store.put_heartbeat(self._row(now), replace=True)

    def beat(self, now: datetime, in_flight: int, sent: int) -> None:
        self.store.refresh_heartbeat(
            self.name,
            {"last_seen": now, "in_flight": in_flight, "sent": sent},
            row=self._row(now, in_flight, sent),  # written again if pruned while this daemon could not reach it
            prune_before=now - PRUNE_AFTER,
        )

    def stop(self) -> None:
        self.store.drop_heartbeat(self.name)


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
        leases = [Lease(*row) for row in leases_by_owner(session, now)]
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
            for row in heartbeat_rows(session)
        ]
        counts = state_counts(session)
        due = due_by_channel(session, now)
        channels = []
        for channel in all_channels(session):
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
