"""Wake the daemon as soon as work falls due on PostgreSQL: LISTEN on a connection of its own.

``Store.notify_due`` sends ``NOTIFY publisher_due`` in the transaction that queues, approves, moves or resends a
delivery (or resumes a channel); a listening daemon then claims at once instead of at its next poll. Polling stays
(``daemon.poll_interval``) as the safety net: a notification sent while the listener was reconnecting is lost, and
a lost notification costs a delay, never a delivery (procrastinate's worker works the same way).

LISTEN delivers only on a connection in autocommit mode, so the listener has a psycopg connection of its own,
outside SQLAlchemy's pool, on the daemon's event loop. When that connection is lost (the server restarts, the
network drops) it reconnects with backoff and wakes the daemon once it is back, in case work fell due meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import psycopg
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, wait_exponential, wait_random

from publisher.logs import log_event
from publisher.store import DUE_CHANNEL, URL

__all__ = ["DueListener", "libpq_conninfo"]

#: TCP keepalives, so that a connection silently cut (a cable, a NAT) is noticed in about half a minute
KEEPALIVE: dict[str, Any] = {"keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5, "keepalives_count": 3}


def libpq_conninfo(url: URL) -> str:
    """A SQLAlchemy URL (``postgresql+psycopg://…``) as the ``postgresql://…`` URI libpq reads."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


class DueListener:
    """Calls ``wake`` whenever a ``NOTIFY publisher_due`` arrives, and after each (re)connection; runs until
    cancelled. ``connected`` is set while it is listening (for tests and ``publisher status``)."""

    def __init__(
        self, url: URL, wake: Callable[[], None], *, channel: str = DUE_CHANNEL, max_backoff: float = 30.0
    ) -> None:
        self.conninfo = libpq_conninfo(url)
        self.where = url.render_as_string(hide_password=True)
        self.wake = wake
        self.channel = channel
        self.max_backoff = max_backoff
        self.connected = asyncio.Event()
        self.notifications = 0
        self.connections = 0

    async def run(self) -> None:
        while True:
            # a new retrier per outage, so the backoff starts short again after a connection that worked
            retrying = AsyncRetrying(
                retry=retry_if_exception_type(psycopg.OperationalError),
                wait=wait_exponential(multiplier=0.5, max=self.max_backoff) + wait_random(0, 0.5),
                before_sleep=self._log_retry,
            )
            connection: psycopg.AsyncConnection[Any] = await retrying(self._connect)
            try:
                async with connection:
                    await connection.execute(f"LISTEN {self.channel}")
                    self.connected.set()
                    self.connections += 1
                    # the first is part of the start (``daemon.start`` is its one line); a reconnection is news
                    level = logging.INFO if self.connections > 1 else logging.DEBUG
                    log_event("database.listening", level, channel=self.channel, database=self.where)
                    self.wake()  # anything that fell due while nobody was listening
                    async for _ in connection.notifies():
                        self.notifications += 1
                        self.wake()
            except psycopg.OperationalError as exc:
                log_event("database.listen_lost", logging.WARNING, database=self.where, reason=_first_line(exc))
            finally:
                self.connected.clear()

    async def _connect(self) -> psycopg.AsyncConnection[Any]:
        return await psycopg.AsyncConnection.connect(self.conninfo, autocommit=True, connect_timeout=10, **KEEPALIVE)

    def _log_retry(self, state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome is not None else None
        wait = state.next_action.sleep if state.next_action is not None else 0.0
        log_event(
            "database.listen_retry",
            logging.WARNING,
            database=self.where,
            attempt=state.attempt_number,
            retry_in=round(wait, 1),
            reason=_first_line(error),
        )


def _first_line(error: BaseException | None) -> str:
    text = str(error or "").strip()
    return text.splitlines()[0] if text else type(error).__name__
