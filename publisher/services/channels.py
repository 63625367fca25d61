"""Channels as people see and steer them: their health (defined here, once), the check, pause, resume, the listing.

The CLI's ``channel`` commands and the console's channel pages both call this module: neither builds an adapter to
test a channel nor decides what "healthy" means, so both say the same thing about the same state.
"""

from __future__ import annotations

import dataclasses
import enum
import os
from collections.abc import Mapping
from datetime import datetime

from adapters.base import Adapter, Limits
from adapters.errors import ChannelError
from publisher.clock import Clock
from publisher.config import Settings
from publisher.errors import ConfigError, NotFoundError
from publisher.models import Channel
from publisher.scrub import for_settings
from publisher.store import Store, list_rows, queue_depth

__all__ = ["ChannelView", "Channels", "Health", "Verdict", "health_of"]


class Health(enum.StrEnum):
    HEALTHY = "healthy"  # sending, and its last send (if any) went out
    FAILING = "failing"  # sending, but its latest error is more recent than its latest success
    PAUSED = "paused"  # not sending: a person paused it, its credentials were rejected, or the breaker opened


def health_of(paused: bool, last_success_at: datetime | None, last_error_at: datetime | None) -> Health:
    """The one definition of a channel's health, from its row."""
    if paused:
        return Health.PAUSED
    if last_error_at is not None and (last_success_at is None or last_error_at > last_success_at):
        return Health.FAILING
    return Health.HEALTHY


@dataclasses.dataclass(frozen=True)
class ChannelView:
    """One configured channel, for a listing: its row, its health, its limits and its queue."""

    name: str
    kind: str
    health: Health
    paused_by: str | None
    last_success_at: datetime | None
    last_error: str  # scrubbed of every configured secret
    last_error_at: datetime | None
    limits: Limits
    rate_per_minute: float | None
    concurrency: int | None
    quiet_hours: tuple[str, ...]
    posting_windows: tuple[str, ...]
    counts: Mapping[str, int]  # deliveries per state, and "overdue"

    @property
    def paused(self) -> bool:
        return self.health is Health.PAUSED

    @property
    def healthy(self) -> bool:
        return self.health is Health.HEALTHY

    @property
    def waiting(self) -> int:
        return self.counts.get("queued", 0) + self.counts.get("retry_wait", 0)

    @property
    def uncertain(self) -> int:
        return self.counts.get("uncertain", 0)


@dataclasses.dataclass(frozen=True)
class Verdict:
    """What ``channel test`` found: the adapter's own answer, or why the check failed (scrubbed either way)."""

    channel: str
    ok: bool
    text: str

    def __str__(self) -> str:
        return f"{self.channel}: {'OK' if self.ok else 'FAILED'}: {self.text}"


class Channels:
    """The channels of ``settings``; ``adapters`` give their limits (built without secrets: nothing is sent)."""

    def __init__(self, settings: Settings, store: Store, clock: Clock, adapters: Mapping[str, Adapter]) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock
        self.adapters = adapters
        self._scrubber = for_settings(settings)

    def redact(self, text: str | None) -> str:
        return self._scrubber.scrub(text) if text else ""

    def known(self, name: str) -> None:
        """Refuse a channel the config does not name."""
        if name not in self.settings.channels:
            if not self.settings.channels:
                raise NotFoundError.of("there is no channel {name}; configured channels: none", name=name)
            raise NotFoundError.of(
                "there is no channel {name}; configured channels: {configured}",
                name=name,
                configured=", ".join(self.settings.channels),
            )

    def list(self) -> list[ChannelView]:
        """Every configured channel that has a row (``publisher init`` makes them), in the config's order."""
        depth = queue_depth(self.store, self.clock.now())
        stored: dict[str, Channel] = {row.name: row for row in list_rows(self.store, Channel, Channel.name)}
        views = []
        for name, settings in self.settings.channels.items():
            row, adapter = stored.get(name), self.adapters.get(name)
            if row is None or adapter is None:
                continue
            views.append(
                ChannelView(
                    name=name,
                    kind=row.kind,
                    health=health_of(row.paused, row.last_success_at, row.last_error_at),
                    paused_by=row.paused_by if row.paused else None,
                    last_success_at=row.last_success_at,
                    last_error=self.redact(row.last_error),
                    last_error_at=row.last_error_at,
                    limits=adapter.limits,
                    rate_per_minute=settings.rate_per_minute or adapter.limits.rate_per_minute,
                    concurrency=settings.concurrency or adapter.limits.concurrency,
                    quiet_hours=settings.quiet_hours,
                    posting_windows=settings.posting_windows,
                    counts=depth.get(name, {}),
                )
            )
        return views

    def pause(self, name: str, actor: str, reason: str | None = None) -> None:
        """Stop sending to ``name``; its deliveries wait. A person's pause is not an error of the channel's."""
        self.known(name)
        why = f"paused by {actor}" + (f": {reason}" if reason else "")
        self.store.set_paused(name, True, why, self.clock.now(), actor, as_error=False)

    def resume(self, name: str, actor: str) -> None:
        """Send to ``name`` again (after renewing its token, say): whoever paused it, a person or the breaker."""
        self.known(name)
        self.store.set_paused(name, False, f"resumed by {actor}", self.clock.now(), actor)

    async def test(self, name: str, env: Mapping[str, str] | None = None) -> Verdict:
        """The adapter's own harmless authenticated call, with the channel's real secrets (from ``env``, by default
        the environment); its answer and any error are scrubbed of every configured secret."""
        from publisher.http import make_client  # here: the HTTP stack is only needed for a test

        self.known(name)
        try:
            async with make_client(self.settings.daemon.http_transport) as client:
                adapter = self.settings.build_adapter(name, client, os.environ if env is None else env)
                answer = await adapter.check()
        except ConfigError as exc:
            return Verdict(name, False, self.redact(f"[{exc.key}] {exc.problem}"))
        except ChannelError as exc:
            return Verdict(name, False, self.redact(exc.reason))
        except Exception as exc:  # an adapter bug or a transport error the adapter did not word: still a failure
            return Verdict(name, False, self.redact(f"{type(exc).__name__}: {exc}"))
        return Verdict(name, True, self.redact(answer))
