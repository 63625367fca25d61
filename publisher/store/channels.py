"""Channels' rows: synced from the config, paused and resumed by people, opened and closed by the breaker."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from publisher.errors import NotFoundError
from publisher.models import Action, Channel, Event
from publisher.store.engine import StoreBase

__all__ = ["ChannelsMixin"]


class ChannelsMixin(StoreBase):
    def sync_channels(self, kinds: dict[str, str], now: datetime) -> None:
        """Make sure a row exists for every configured channel (name -> kind)."""
        with self.session() as session:
            existing = {c.name: c for c in session.scalars(select(Channel))}
            for name, kind in kinds.items():
                row = existing.get(name)
                if row is None:
                    session.add(Channel(name=name, kind=kind, created_at=now))
                elif row.kind != kind:
                    row.kind = kind

    def set_paused(
        self, channel: str, paused: bool, reason: str | None, now: datetime, actor: str, *, as_error: bool = True
    ) -> None:
        """Pause or resume; ``reason`` goes to the event, and a pause's also to the channel's last error unless
        ``as_error`` is false (a person's pause says nothing about the channel's health)."""
        with self.session() as session:
            row = session.scalar(select(Channel).where(Channel.name == channel))
            if row is None:
                # a NotFoundError is a LookupError: callers that catch the latter still do
                raise NotFoundError.of(
                    "channel {name} is not in the database yet", cli="; run `publisher init`", name=channel
                )
            row.paused = paused
            row.paused_by, row.probe_at = (actor if paused else None), None  # a person's pause: no automatic probe
            if reason and paused and as_error:
                row.last_error, row.last_error_at = reason, now
            action = Action.CHANNEL_PAUSE if paused else Action.CHANNEL_RESUME
            session.add(Event(at=now, actor=actor, action=action, reason=f"{channel}: {reason or ''}"))
            if not paused:
                self.notify_due(session)

    # --- the circuit breaker's (publisher.breaker): each a conditional update, so one daemon wins ---------------

    def open_circuit(self, channel: str, by: str, probe_at: datetime, why: str, now: datetime, actor: str) -> bool:
        """Pause ``channel`` as ``by`` with a probe at ``probe_at``, unless it is paused already; True if it was."""
        with self.session() as session:
            opened = session.execute(
                update(Channel)
                .where(Channel.name == channel, Channel.paused.is_(False))
                .values(paused=True, paused_by=by, probe_at=probe_at, last_error=why, last_error_at=now)
            )
            if not getattr(opened, "rowcount", 0):
                return False
            session.add(Event(at=now, actor=actor, action=Action.CHANNEL_PAUSE, reason=f"{channel}: {why}"))
        return True

    def take_probes(self, by: str, channels: list[str], now: datetime, next_probe: datetime) -> list[str]:
        """Of ``channels`` paused by ``by``, those whose probe is due, each moved to ``next_probe`` (so each probe
        is taken by one daemon only)."""
        taken = []
        with self.session() as session:
            due = session.scalars(
                select(Channel.name).where(Channel.paused_by == by, Channel.probe_at <= now, Channel.name.in_(channels))
            ).all()
            for name in due:
                claimed = session.execute(
                    update(Channel)
                    .where(Channel.name == name, Channel.paused_by == by, Channel.probe_at <= now)
                    .values(probe_at=next_probe)
                )
                if getattr(claimed, "rowcount", 0):
                    taken.append(name)
        return taken

    def close_circuit(self, channel: str, by: str, why: str, now: datetime, actor: str) -> bool:
        """Resume ``channel`` if it is still paused by ``by``; False if a person resumed or re-paused it meanwhile."""
        with self.session() as session:
            closed = session.execute(
                update(Channel)
                .where(Channel.name == channel, Channel.paused_by == by)
                .values(paused=False, paused_by=None, probe_at=None)
            )
            if not getattr(closed, "rowcount", 0):
                return False
            session.add(Event(at=now, actor=actor, action=Action.CHANNEL_RESUME, reason=why))
            self.notify_due(session)
        return True
