"""Run an aiohttp application on a free loopback port for the length of a test."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Callable, Iterator

from aiohttp import web


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
