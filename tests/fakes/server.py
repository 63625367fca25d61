"""Run an aiohttp application on a free loopback port for the length of a test, and the base of every stand-in."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, ClassVar, TypeVar

import httpx
from aiohttp import web

A = TypeVar("A")  # the adapter class a stand-in builds

#: the faults every stand-in knows (the contract suite's table); a stand-in may know more of its own
FAULTS = ("rate_limit", "auth", "server_error", "unavailable", "timeout", "drop", "malformed")


class Clock:
    """A clock a test sets by hand (``clock.now += 61``), for stand-ins and adapters that take one."""

    def __init__(self, offset: float = 0.0) -> None:
        self.now = time.time() + offset

    def __call__(self) -> float:
        return self.now


class StandIn:
    """What every stand-in platform shares: its app on loopback (``serve``), the log of what it accepted and was
    asked, and fault injection. A platform adds its routes (``routes``), its own auth check and its own answers:
    how it says each fault of ``FAULTS`` is the platform's, so the contract suite can run one table over all."""

    kind: ClassVar[str]
    #: faults of this platform's own besides ``FAULTS`` ("ok": answer normally, to aim a fault at a later request)
    own_faults: ClassVar[tuple[str, ...]] = ("ok",)
    #: the wait (seconds) the platform's answer to a fault names, where the contract can check it exactly
    fault_after: ClassVar[dict[str, float]] = {}
    #: faults the adapter rightly reads as a success (a generic receiver's 2xx may carry any body)
    readable_despite: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.accepted: list[dict[str, Any]] = []  # what the platform took in (a message, a post; SMS: per number)
        self.requests: list[Any] = []  # what it was asked, in the stand-in's own shape
        self._faults: collections.deque[str | None] = collections.deque()
        self._release = asyncio.Event()

    def routes(self, router: web.UrlDispatcher) -> None:
        raise NotImplementedError

    def new_app(self) -> web.Application:
        return web.Application()

    def app(self) -> web.Application:
        app = self.new_app()
        self.routes(app.router)
        app.on_shutdown.append(self._shutdown)
        return app

    def channel_options(self, base_url: str) -> tuple[dict[str, Any], dict[str, str]]:
        """A channel's table and environment that reach this stand-in at ``base_url``."""
        raise NotImplementedError

    def adapter(
        self, cls: Callable[..., A], base_url: str, client: Any, *, name: str = "x", images: Any = None, **extra: Any
    ) -> A:
        """An adapter of ``cls`` pointed at this stand-in, ``extra`` options on top of the usual ones."""
        options, env = self.channel_options(base_url)
        return cls(name, {**options, **extra}, client=client, env=env, images=images)

    def offline(self, cls: Callable[..., A], **overrides: Any) -> A:
        """An adapter of ``cls`` that is only rendered, never sent; an override of None removes the option."""
        options, env = self.channel_options("http://127.0.0.1:9")
        options = {k: v for k, v in {**options, **overrides}.items() if v is not None}
        return cls("x", options, client=httpx.AsyncClient(), env=env)

    def inject(self, fault: str, count: int = 1, *, after: int = 0) -> None:
        """Answer the next ``count`` requests (after ``after`` good ones) with ``fault``."""
        if fault not in FAULTS + self.own_faults:
            raise ValueError(f"unknown fault {fault!r}; {self.kind} knows {', '.join(FAULTS + self.own_faults)}")
        self._faults.extend([None] * after + [fault] * count)

    def next_fault(self) -> str | None:
        fault = self._faults.popleft() if self._faults else None
        return None if fault == "ok" else fault

    async def hold(self) -> None:
        """Keep the answer back (a "timeout"): the client gives up first; the server's stop lets it go."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._release.wait(), 30)

    async def misbehave(
        self, fault: str | None, request: web.Request, answer: web.StreamResponse, garbled: str
    ) -> web.StreamResponse:
        """The request took effect; now hold ("timeout"), cut ("drop") or garble ("malformed") its ``answer``:
        ``garbled`` is the platform's answer cut short."""
        if fault == "timeout":
            await self.hold()
        elif fault == "drop" and request.transport is not None:
            request.transport.abort()
        elif fault == "malformed":
            return web.Response(status=200, text=garbled, content_type="application/json")
        return answer

    async def _shutdown(self, app: web.Application) -> None:
        self._release.set()  # let held answers finish so the server can stop at once


@contextlib.asynccontextmanager
async def serve(app: web.Application) -> AsyncIterator[str]:
    """Serve ``app`` on 127.0.0.1 in the current event loop; yields the base URL (no trailing slash)."""
    # a short shutdown: a stand-in holding an answer on purpose ("timeout" faults) must not hold up the test
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    assert site._server is not None
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


class Stand:
    """A stand-in and an adapter pointed at it, for one test."""

    def __init__(self, fake: Any, adapter: Any) -> None:
        self.fake, self.adapter = fake, adapter


async def stand(
    fake: StandIn, cls: Callable[..., Any], *, name: str = "x", images: Any = None, **options: Any
) -> AsyncIterator[Stand]:
    """Serve ``fake`` and yield a ``Stand`` with a ``cls`` adapter on it: ``async for s in stand(...)``."""
    async with serve(fake.app()) as base, httpx.AsyncClient() as client:
        yield Stand(fake, fake.adapter(cls, base, client, name=name, images=images, **options))


@contextlib.contextmanager
def serve_in_thread(factory: Callable[[], web.Application], timeout: float = 10.0) -> Iterator[str]:
    """Serve the app ``factory()`` builds in a thread with its own event loop; yields the base URL."""
    ready = threading.Event()
    stop: asyncio.Event | None = None
    url: list[str] = []
    loop = asyncio.new_event_loop()

    async def main() -> None:
        nonlocal stop
        stop = asyncio.Event()
        async with serve(factory()) as base:
            url.append(base)
            ready.set()
            await stop.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    if not ready.wait(timeout):
        raise RuntimeError("the stand-in server did not start")
    try:
        yield url[0]
    finally:
        assert stop is not None
        loop.call_soon_threadsafe(stop.set)
        thread.join(timeout)
        if not thread.is_alive():
            loop.close()
