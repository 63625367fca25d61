"""Shared parts of the benchmarks: the loopback stand-in, the daemon in its own process, bulk queueing, reporting.

Every process here is spawned fresh (not forked), so each one's CPU time and peak RSS are its own. A child is driven
over a ``multiprocessing`` pipe with short commands and every wait on it is bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing
import resource
import sys
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aiohttp import web

RESULTS = Path(__file__).with_name("results")
CONTEXT = multiprocessing.get_context("spawn")


# --- child processes ------------------------------------------------------------------------------------------------


class Child:
    """A spawned process running ``target(conn, *args)``, talked to over a duplex pipe."""

    def __init__(self, target: Callable[..., None], *args: Any) -> None:
        self.conn, child_conn = CONTEXT.Pipe()
        self.process = CONTEXT.Process(target=target, args=(child_conn, *args), daemon=True)
        self.process.start()
        child_conn.close()

    def receive(self, timeout: float) -> Any:
        if not self.conn.poll(timeout):
            raise TimeoutError(f"{self.process.name} sent nothing within {timeout:g} s")
        return self.conn.recv()

    def ask(self, command: str, timeout: float = 10.0) -> Any:
        self.conn.send(command)
        return self.receive(timeout)

    def close(self, timeout: float = 10.0) -> None:
        """Ask the child to stop; kill it if it has not ended within ``timeout``."""
        if self.process.is_alive():
            with contextlib.suppress(BrokenPipeError, OSError):
                self.conn.send("stop")
            self.process.join(timeout)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(5)
        self.conn.close()


def usage() -> dict[str, float]:
    """This process's CPU seconds so far, a monotonic wall clock, and its peak RSS in MB."""
    return {"cpu": time.process_time(), "wall": time.perf_counter(), "peak_rss_mb": peak_rss_mb()}


def peak_rss_mb() -> float:
    """The peak resident set of this process's own memory.

    On Linux this is ``VmHWM``: ``ru_maxrss`` would do elsewhere, but Linux carries it over ``exec`` from the
    parent that forked the process, so a child started by a large parent would report the parent's peak.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)


def on_commands(conn: Connection, handlers: Mapping[str, Callable[[], Any]]) -> None:
    """Serve the parent's commands from the running event loop: each handler's return value is sent back."""
    loop = asyncio.get_running_loop()

    def read() -> None:
        try:
            command = conn.recv()
        except (EOFError, OSError):  # the parent is gone
            loop.remove_reader(conn.fileno())
            handlers["stop"]()
            return
        reply = handlers[command]()
        if reply is not None:
            conn.send(reply)

    loop.add_reader(conn.fileno(), read)


# --- the loopback stand-in ------------------------------------------------------------------------------------------


def standin_main(conn: Connection, latency: float, record: bool) -> None:
    """A webhook receiver on 127.0.0.1 that answers each POST after ``latency`` seconds.

    With ``record`` it notes the arrival time (``time.time()``) of each request by the ``key`` in its JSON body.
    Commands: ``stats`` (count and arrivals), ``reset``, ``stop``.
    """
    asyncio.run(_standin(conn, latency, record))


async def _standin(conn: Connection, latency: float, record: bool) -> None:
    import logging

    from aiohttp import web

    logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)  # a client stopped mid-request is no news here

    seen = {"count": 0}
    arrivals: dict[str, list[float]] = {}

    async def hook(request: web.Request) -> web.Response:
        at = time.time()
        body = await request.read()
        seen["count"] += 1
        if record:
            arrivals.setdefault(json.loads(body)["key"], []).append(at)
        if latency:
            await asyncio.sleep(latency)
        return web.json_response({"id": str(seen["count"])})

    def reset() -> str:
        seen["count"] = 0
        arrivals.clear()
        return "ok"

    app = web.Application()
    app.router.add_post("/hook/{channel}", hook)
    await serve_on_loopback(
        conn, app, {"stats": lambda: {"count": seen["count"], "arrivals": arrivals}, "reset": reset}
    )


async def serve_on_loopback(conn: Connection, app: web.Application, handlers: Mapping[str, Callable[[], Any]]) -> None:
    """Serve ``app`` on a free port of 127.0.0.1, send the parent its base URL, then answer the parent's commands
    (``handlers``, and ``stop``) until it says stop."""
    from aiohttp import web

    stop = asyncio.Event()
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    on_commands(conn, {**handlers, "stop": stop.set})
    conn.send(f"http://127.0.0.1:{port}")
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


class StandIn(Child):
    def __init__(self, latency: float, record: bool = False) -> None:
        super().__init__(standin_main, latency, record)
        self.url: str = self.receive(30)

    def hook(self, channel: str) -> str:
        return f"{self.url}/hook/{channel}"


# --- the daemon in its own process -----------------------------------------------------------------------------------


def daemon_main(
    conn: Connection, database_url: str, hooks: Mapping[str, str], concurrency: int, transport: str, log_file: str
) -> None:
    """Run ``publisher.daemon.Daemon`` as ``publisher run`` would, logging at INFO into ``log_file``.

    Sends ``prepared`` once imported and set up, starts the daemon on ``go`` (measuring from there), and then
    answers ``usage`` and ``sent`` (sends recorded so far) until ``stop``. With ``done N`` sent instead of ``go`` it
    reports its usage as soon as N sends are answered and recorded, and stops by itself.
    """
    sys.stderr = open(log_file, "a", encoding="utf-8")  # noqa: SIM115 (the process's stderr from here on)
    from publisher.config import ChannelSettings, DaemonSettings, Settings
    from publisher.daemon import Daemon
    from publisher.logs import configure
    from publisher.store import open_store

    configure("INFO", "text")
    settings = Settings(
        source="bench",
        database_url=database_url,
        daemon=DaemonSettings(http_transport=transport, shutdown_grace=5.0),
        channels={
            name: ChannelSettings(name=name, kind="webhook", options={"url": url}, concurrency=concurrency)
            for name, url in hooks.items()
        },
    )
    store = open_store(database_url)
    daemon = Daemon(settings, store)
    conn.send("prepared")
    command = conn.recv()
    if command == "stop":
        return
    expect = int(command.split()[1]) if command.startswith("done ") else None
    asyncio.run(_run_daemon(conn, daemon, expect))
    conn.send({"final": usage(), "states": _states(store)})
    store.engine.dispose()


async def _run_daemon(conn: Connection, daemon: Any, expect: int | None) -> None:
    def sent() -> int:
        dispatcher = getattr(daemon, "dispatcher", None)
        return 0 if dispatcher is None else int(dispatcher.sent_count)

    start = usage()
    on_commands(conn, {"start": lambda: start, "usage": usage, "sent": sent, "stop": daemon.stop})

    async def until_done(count: int) -> None:
        while True:
            await asyncio.sleep(0.005)
            dispatcher = getattr(daemon, "dispatcher", None)
            if dispatcher is not None and dispatcher.sent_count >= count and not dispatcher.pending_outcomes:
                conn.send({"start": start, "done": usage()})
                daemon.stop()
                return

    watcher = asyncio.create_task(until_done(expect)) if expect is not None else None
    if expect is None:
        conn.send({"start": start})
    await daemon.run(handle_signals=False)
    if watcher is not None:
        watcher.cancel()


def _states(store: Any) -> dict[str, int]:
    from sqlalchemy import func, select

    from publisher.models import Delivery

    with store.sessions() as session:
        rows = session.execute(select(Delivery.state, func.count()).group_by(Delivery.state))
        return dict(rows.all())


class DaemonProcess(Child):
    def __init__(
        self, database_url: str, hooks: Mapping[str, str], concurrency: int, transport: str, log_file: Path
    ) -> None:
        super().__init__(daemon_main, database_url, dict(hooks), concurrency, transport, str(log_file))
        self.log_file = log_file
        ready = self.receive(60)
        if ready != "prepared":
            raise RuntimeError(f"the daemon process did not start: {ready!r}; see {log_file}")


# --- queueing in bulk -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    title: str
    body: str
    tags: tuple[str, ...]
    author: str | None


def samples() -> list[Sample]:
    """The demo campaign's posts: real-sized Chinese activity reports with lists and paragraphs."""
    import frontmatter

    folder = Path(__file__).resolve().parent.parent / "publisher" / "demo"
    found = []
    for path in sorted(folder.glob("*.md")):
        doc = frontmatter.loads(path.read_text(encoding="utf-8"))
        found.append(Sample(str(doc["title"]), doc.content, tuple(doc.get("tags", ())), doc.get("author")))
    return found


def new_store(path: Path, channels: Sequence[str]) -> Any:
    from publisher.store import open_store

    store = open_store(f"sqlite:///{path}")
    store.upgrade()
    store.sync_channels(dict.fromkeys(channels, "webhook"), datetime.now(UTC))
    return store


def new_database(url: str, channels: Sequence[str]) -> Any:
    """An empty, migrated database at ``url`` with webhook ``channels``: a SQLite file is created; any other
    database (PostgreSQL for ``--database``) has every table dropped first. Only point it at a scratch database."""
    from sqlalchemy import MetaData

    from publisher.store import open_store

    store = open_store(url)
    if not store.is_sqlite:
        with store.engine.begin() as connection:
            tables = MetaData()
            tables.reflect(connection)
            tables.drop_all(connection)
    store.upgrade()
    store.sync_channels(dict.fromkeys(channels, "webhook"), datetime.now(UTC))
    return store


def queue_bulk(store: Any, posts: Sequence[tuple[Sample, Sequence[str], datetime]]) -> list[tuple[str, datetime]]:
    """Write what ``Queue.add_post`` writes for each (sample, channels, due), in one transaction of bulk inserts.

    Returns (idempotency key, due) of every delivery written.
    """
    from sqlalchemy import func, insert, select

    from publisher.models import Channel, Delivery, DeliveryState, Event, Post

    now = datetime.now(UTC)
    post_rows, delivery_rows, event_rows = [], [], []
    with store.engine.begin() as connection:
        channel_ids = dict(connection.execute(select(Channel.name, Channel.id)).all())
        first = (connection.scalar(select(func.max(Post.id))) or 0) + 1
        for post_id, (sample, channels, due) in enumerate(posts, start=first):
            post_rows.append(
                {
                    "id": post_id,
                    "campaign_id": None,
                    "title": sample.title,
                    "body": sample.body,
                    "link": None,
                    "images": [],
                    "tags": list(sample.tags),
                    "author": sample.author,
                    "overrides": {},
                    "state": "active",
                    "approval": "not_required",
                    "created_at": now,
                    "created_by": "bench",
                }
            )
            for name in channels:
                delivery_rows.append(
                    {
                        "post_id": post_id,
                        "channel_id": channel_ids[name],
                        "due_at": due,
                        "state": DeliveryState.QUEUED.value,
                        "ready": True,
                        "attempts": 0,
                        "idempotency_key": f"pub-{post_id}-{name}-{uuid.uuid4().hex[:12]}",
                        "updated_at": now,
                    }
                )
            event_rows.append(
                {
                    "at": now,
                    "actor": "bench",
                    "action": "post.add",
                    "post_id": post_id,
                    "to_state": "not_required",
                    "reason": f"due {due.isoformat()} on {', '.join(channels)}",
                }
            )
        connection.execute(insert(Post), post_rows)
        connection.execute(insert(Delivery), delivery_rows)
        connection.execute(insert(Event), event_rows)
    return [(row["idempotency_key"], row["due_at"]) for row in delivery_rows]


# --- reporting --------------------------------------------------------------------------------------------------------


def verdict(name: str, value: float, target: float, unit: str, digits: int = 2) -> dict[str, Any]:
    """One target line (``value <= target``), printed and returned for the JSON file."""
    ok = value <= target
    print(f"  {name:<34} {value:>10.{digits}f} {unit:<6} target <= {target:g} {unit:<6} {'PASS' if ok else 'MISS'}")
    return {"value": round(value, 6), "target": target, "unit": unit, "pass": ok}


def write_results(name: str, results: Mapping[str, Any]) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
