"""When the database goes away: say clearly why, wait with backoff, and carry on where the daemon left off.

A PostgreSQL server restarting or out of reach, or a SQLite file that became read-only or whose disk is full, all
surface as one of the store's ``OUTAGE_ERRORS`` (the driver's operational and interface errors). The daemon's
loop runs each round's database work through ``DatabaseGuard.run``: on such an error it logs one clear line (what
failed, what to do), waits (exponential backoff with jitter, 0.5 s doubling to 30 s: it neither crashes nor spins)
and tries again, until the database answers or the daemon is asked to stop. Nothing is lost meanwhile: outcomes of
sends that finish during the outage stay in memory until they can be written, and the rows themselves (due times,
leases) are the truth the daemon resumes from. The guard has no timer of its own: an outage of 3 s or 30 minutes
is handled the same way, with at most one retry every ``max_backoff`` seconds once it has lasted a while.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import TypeVar

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, wait_exponential, wait_random

from publisher.logs import log_event
from publisher.store import OUTAGE_ERRORS, URL

__all__ = ["OUTAGE_ERRORS", "DatabaseGuard", "explain"]

T = TypeVar("T")


def explain(error: BaseException, url: URL) -> str:
    """One line a person can act on: what is wrong with the database at ``url`` and what to do."""
    detail = str(getattr(error, "orig", None) or error).strip().splitlines()
    reason = detail[0] if detail else type(error).__name__
    if url.get_backend_name() == "sqlite":
        path = (url.database or "(memory)").removeprefix("file:")  # a URI filename ("file:x.db") shown as a path
        lowered = reason.lower()
        if "readonly" in lowered or "read-only" in lowered:
            return (
                f"the SQLite file {path} is read-only ({reason}): make the file and its folder writable by this "
                "user (SQLite writes its journal beside the file); nothing was written"
            )
        if "disk is full" in lowered or "disk i/o" in lowered:
            return f"cannot write the SQLite file {path} ({reason}): free space on its disk; nothing was written"
        if "unable to open" in lowered:
            return f"cannot open the SQLite file {path} ({reason}): check that its folder exists and is writable"
        if "locked" in lowered:
            return f"the SQLite file {path} is locked by another program ({reason}); use PostgreSQL for several daemons"
        return f"the SQLite file {path} cannot be used: {reason}"
    where = url.render_as_string(hide_password=True)
    return f"cannot use the database {where}: {reason}"


class DatabaseGuard:
    """Runs database work, waiting out outages; ``stopping`` ends the wait (the last error is then raised)."""

    def __init__(self, url: URL, stopping: asyncio.Event, *, initial: float = 0.5, max_backoff: float = 30.0) -> None:
        self.url = url
        self.stopping = stopping
        self.initial = initial
        self.max_backoff = max_backoff
        self.down_since: float | None = None  # monotonic time the current outage began
        self.outages = 0

    async def run(self, work: Callable[[], T], what: str = "database") -> T:
        """``work()`` (synchronous database calls); if the database is unavailable, again after a wait, until it
        works. Raises the last outage error if the daemon is asked to stop meanwhile."""
        try:
            result = work()  # the usual case costs one call: no retrier is built
        except OUTAGE_ERRORS as error:
            self._went_down(error, what)
        else:
            self._came_back()
            return result

        async def attempt() -> T:
            return work()

        retrying = AsyncRetrying(
            retry=retry_if_exception_type(OUTAGE_ERRORS),
            wait=wait_exponential(multiplier=self.initial, max=self.max_backoff) + wait_random(0, self.initial),
            stop=lambda _state: self.stopping.is_set(),
            sleep=self._sleep,
            before_sleep=lambda state: self._log(state, what),
            reraise=True,
        )
        await self._sleep(self.initial)
        result = await retrying(attempt)
        self._came_back()
        return result

    def _went_down(self, error: BaseException, what: str) -> None:
        if self.down_since is None:
            self.down_since = time.monotonic()
            self.outages += 1
            log_event("database.unavailable", logging.ERROR, during=what, reason=explain(error, self.url))

    def _came_back(self) -> None:
        if self.down_since is not None:
            seconds = time.monotonic() - self.down_since
            self.down_since = None
            log_event("database.available", after_seconds=round(seconds, 1), database=self._where())

    def _log(self, state: RetryCallState, what: str) -> None:
        error = state.outcome.exception() if state.outcome is not None else None
        wait = state.next_action.sleep if state.next_action is not None else 0.0
        log_event(
            "database.retry",
            logging.WARNING,
            during=what,
            attempt=state.attempt_number,
            retry_in=round(wait, 1),
            reason=explain(error, self.url) if error is not None else "",
        )

    async def _sleep(self, seconds: float) -> None:
        """Wait ``seconds``, or less if the daemon is asked to stop."""
        if self.stopping.is_set():
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stopping.wait(), seconds)

    def _where(self) -> str:
        return self.url.render_as_string(hide_password=True)
