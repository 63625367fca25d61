"""Small values every daemon shares (``Capabilities.shared_state``): a channel's access token, what an adapter did
for a delivery key. Stored in the database (``shared_values``), so several daemons on one PostgreSQL use one WeChat
token and a daemon that restarts still knows what its predecessor sent.

One renews at a time: ``lock(name)`` takes a lease on the row (``lease_seconds``) and the others wait for it, then
read what it stored. A lease left by a daemon that died runs out; a caller that waited ``wait_seconds`` in vain goes
on without it (a platform's stable token tolerates two renewals; a stuck lease must not stop sending). While the
database is away, values are kept in this process (every write goes there too), so sending goes on.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from adapters.base import Adapter, MemoryCache
from publisher.clock import Clock
from publisher.store import OUTAGE_ERRORS, Store

__all__ = ["StoredCache", "share_state"]

#: an expired value is kept this long (a late reader may still want to know it expired), then pruned
PRUNE_AFTER = timedelta(days=1)


class StoredCache:
    """A ``StateCache`` (adapters/base.py) in the store, shared by every daemon on the database."""

    def __init__(
        self,
        store: Store,
        owner: str,
        clock: Clock,
        *,
        lease_seconds: float = 60,
        wait_seconds: float = 30,
        poll_seconds: float = 0.5,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.store, self.owner, self.clock = store, owner, clock
        self.lease = timedelta(seconds=lease_seconds)
        self.wait, self.poll, self.sleep = wait_seconds, poll_seconds, sleep
        self._local: collections.defaultdict[str, asyncio.Lock] = collections.defaultdict(asyncio.Lock)
        self.memory = MemoryCache()  # what this process wrote: read while the database is away

    async def get(self, name: str) -> tuple[str, float] | None:
        try:
            found = self.store.shared_value(name)
        except OUTAGE_ERRORS:
            return await self.memory.get(name)
        return (found[0], found[1].timestamp()) if found is not None else None

    async def put(self, name: str, value: str, expires_at: float) -> None:
        await self.memory.put(name, value, expires_at)
        when = datetime.fromtimestamp(expires_at, UTC)
        with contextlib.suppress(*OUTAGE_ERRORS):  # kept in this process meanwhile
            self.store.put_shared_value(name, value, when, prune_before=self.clock.now() - PRUNE_AFTER)

    @contextlib.asynccontextmanager
    async def lock(self, name: str) -> AsyncIterator[None]:
        async with self._local[name]:  # this daemon's callers queue here, not on the database
            waited = 0.0
            while (taken := self._take(name)) is False:
                if waited >= self.wait:
                    break
                await self.sleep(self.poll)
                waited += self.poll
            try:
                yield
            finally:
                if taken:
                    with contextlib.suppress(*OUTAGE_ERRORS):  # the lease runs out by itself
                        self.store.release_shared_lease(name, self.owner)

    def _take(self, name: str) -> bool | None:
        """True: this daemon renews ``name`` now; False: another does; None: the database is away (go on)."""
        now = self.clock.now()
        try:
            return self.store.take_shared_lease(name, self.owner, now, now + self.lease)
        except OUTAGE_ERRORS:
            return None


def share_state(adapters: Mapping[str, Adapter], cache: Any) -> None:
    """Give every adapter that keeps shared state (``capabilities.shared_state``) the daemon's stored cache."""
    for adapter in adapters.values():
        if adapter.capabilities.shared_state:
            adapter.cache = cache  # type: ignore[attr-defined]  # declared by the capability
