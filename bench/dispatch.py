"""Throughput: 10,000 deliveries due at once, sent by the daemon to a loopback stand-in that answers after 50 ms.

    .venv/bin/python bench/dispatch.py [--transport aiohttp|httpx|both] [--deliveries N] [--no-bare] [--database URL]

Four webhook channels, each capped at 16 concurrent requests, so the best possible time is
N x latency / 64 (7.8 s for 10,000). The daemon runs in its own process (as ``publisher run`` would, logging each
delivery at INFO into a file) and is measured from start to the moment all N are answered and recorded as sent.
Beside it, the same N requests are sent by a bare client loop (no queue, no database; the same 4 x 16 concurrency)
through each HTTP transport, which shows what the machine and the transport alone allow.

About two minutes, most of it the bare loop over httpx's own transport (some 8 ms of CPU per request here). Any run
still going after RUN_TIMEOUT seconds is stopped and reported on what it sent; ``--transport both`` adds the daemon
over httpx's transport, which takes that long on its own.

Prints each figure with its target and writes them to bench/results/dispatch.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import sys
import tempfile
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from _common import Child, DaemonProcess, StandIn, new_database, queue_bulk, samples, usage, verdict, write_results

CHANNELS = ("site-a", "site-b", "site-c", "site-d")
CONCURRENCY = 16
LATENCY = 0.05
RUN_TIMEOUT = 100.0  # seconds a measured run may take; a slower one is stopped and reported on what it sent

TARGET_RATIO = 1.2
TARGET_CPU_MS = 1.0
TARGET_RSS_MB = 200.0


def bare_main(conn: Connection, transport: str, hooks: Mapping[str, str], per_channel: int, limit: float) -> None:
    """The floor: the same requests from a plain loop over ``make_client(transport)``, 16 at a time per channel.

    Stops after ``limit`` seconds if not done (httpx's own transport can be that slow) and reports what it sent.
    """
    import httpx

    from adapters.webhook import WebhookAdapter
    from publisher.http import make_client
    from publisher.queue import content_for

    async def main() -> None:
        client = make_client(transport)
        work: dict[str, list[tuple[bytes, dict[str, str]]]] = {}
        posts = itertools.cycle(samples())
        for name, url in hooks.items():
            adapter = WebhookAdapter(name, {"url": url}, client=client, env={})
            work[name] = []
            for _ in range(per_channel):
                sample = next(posts)
                post = _post_like(sample)
                payload = adapter.render(content_for(post, name, "UTC"))  # type: ignore[arg-type]
                key = f"bare-{uuid.uuid4().hex}"
                body = _webhook_body(key, name, payload.data)
                work[name].append((body, {"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": key}))
        conn.send("prepared")
        if conn.recv() != "go":
            return
        answered = failures = 0

        async def worker(url: str, queue: list[tuple[bytes, dict[str, str]]]) -> None:
            nonlocal answered, failures
            while queue:
                body, headers = queue.pop()
                try:
                    response = await client.post(url, content=body, headers=headers)
                    answered += 1
                    if response.status_code >= 300:
                        failures += 1
                except httpx.HTTPError:
                    failures += 1

        start = usage()
        workers = [worker(hooks[name], queue) for name, queue in work.items() for _ in range(CONCURRENCY)]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*workers), limit)
        done = usage()
        await client.aclose()
        conn.send({"start": start, "done": done, "sent": answered, "failures": failures})

    asyncio.run(main())


def _post_like(sample: Any) -> Any:
    """An object with the fields ``content_for`` reads, standing in for a detached ``Post``."""
    from types import SimpleNamespace

    return SimpleNamespace(
        title=sample.title,
        body=sample.body,
        link=None,
        images=[],
        tags=list(sample.tags),
        author=sample.author,
        campaign=None,
        overrides={},
    )


def _webhook_body(key: str, channel: str, data: Mapping[str, Any]) -> bytes:
    import json

    return json.dumps({"key": key, "channel": channel, **data}, ensure_ascii=False).encode()


def figures(label: str, result: Mapping[str, Any], count: int, received: int) -> dict[str, Any]:
    """Wall, ratio and CPU over the ``count`` requests answered between ``start`` and ``done``."""
    start, done = result["start"], result["done"]
    wall = done["wall"] - start["wall"]
    ideal = count * LATENCY / (len(CHANNELS) * CONCURRENCY)
    return {
        "run": label,
        "sent": count,
        "wall_s": round(wall, 3),
        "ideal_s": round(ideal, 3),
        "ratio": round(wall / ideal, 3),
        "cpu_s": round(done["cpu"] - start["cpu"], 3),
        "cpu_ms_per_delivery": round((done["cpu"] - start["cpu"]) / count * 1000, 4),
        "peak_rss_mb": round(done["peak_rss_mb"], 1),
        "requests_received": received,
    }


def run_bare(server: StandIn, transport: str, count: int) -> dict[str, Any]:
    server.ask("reset")
    hooks = {name: server.hook(name) for name in CHANNELS}
    child = Child(bare_main, transport, hooks, count // len(CHANNELS), RUN_TIMEOUT)
    try:
        if child.receive(60) != "prepared":
            raise RuntimeError("the bare client did not start")
        child.conn.send("go")
        result = child.receive(RUN_TIMEOUT + 30)
    finally:
        child.close()
    received = server.ask("stats")["count"]
    out = figures(f"bare loop, {transport}", result, result["sent"], received)
    out["failures"] = result["failures"]
    return out


def run_daemon(server: StandIn, transport: str, count: int, folder: Path, database: str | None) -> dict[str, Any]:
    server.ask("reset")
    run_folder = Path(tempfile.mkdtemp(dir=folder, prefix=f"daemon-{transport}-"))
    url = database or f"sqlite:///{run_folder / 'publisher.db'}"
    store = new_database(url, CHANNELS)
    posts = itertools.cycle(samples())
    now = datetime.now(UTC)
    started = time.perf_counter()
    queue_bulk(store, [(next(posts), CHANNELS, now) for _ in range(count // len(CHANNELS))])
    queued_in = time.perf_counter() - started
    store.engine.dispose()
    hooks = {name: server.hook(name) for name in CHANNELS}
    daemon = DaemonProcess(url, hooks, CONCURRENCY, transport, run_folder / "daemon.log")
    try:
        daemon.conn.send(f"done {count}")
        try:
            result = daemon.receive(RUN_TIMEOUT)
            sent = count
        except TimeoutError:  # too slow: report on what it sent so far
            result = {"start": daemon.ask("start"), "done": daemon.ask("usage")}
            sent = daemon.ask("sent")
            daemon.conn.send("stop")
        final = daemon.receive(30)
    finally:
        daemon.close()
    received = server.ask("stats")["count"]
    out = figures(f"daemon, {transport}" + (", postgresql" if database else ""), result, sent, received)
    out["queued_in_s"] = round(queued_in, 2)
    out["states"] = final["states"]
    out["peak_rss_mb"] = round(final["final"]["peak_rss_mb"], 1)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--transport",
        choices=("aiohttp", "httpx", "both"),
        default="aiohttp",
        help="the daemon's http_transport; 'both' also runs the daemon over httpx's own (default: aiohttp)",
    )
    parser.add_argument("--deliveries", type=int, default=10_000, help="how many deliveries (default 10000)")
    parser.add_argument("--no-bare", action="store_true", help="skip the bare client loops (daemon only)")
    parser.add_argument(
        "--database",
        metavar="URL",
        help="a scratch database for the daemon, e.g. PostgreSQL (its tables are dropped first; default: a new "
        "SQLite file); figures go to bench/results/dispatch-postgresql.json",
    )
    args = parser.parse_args()
    count = args.deliveries - args.deliveries % len(CHANNELS)
    transports = ["aiohttp", "httpx"] if args.transport == "both" else [args.transport]
    ideal = count * LATENCY / (len(CHANNELS) * CONCURRENCY)
    print(
        f"dispatch: {count} deliveries due at once on {len(CHANNELS)} webhook channels x {CONCURRENCY} concurrent; "
        f"the stand-in answers after {LATENCY * 1000:g} ms; ideal {ideal:.2f} s",
        flush=True,
    )
    runs: list[dict[str, Any]] = []
    server = StandIn(LATENCY)
    try:
        with tempfile.TemporaryDirectory(prefix="publisher-bench-") as folder:
            for transport in transports:
                runs.append(run_daemon(server, transport, count, Path(folder), args.database))
                print(f"  done: {runs[-1]['run']} ({runs[-1]['wall_s']:.2f} s)", flush=True)
            for transport in () if args.no_bare else ("aiohttp", "httpx"):
                runs.append(run_bare(server, transport, count))
                print(f"  done: {runs[-1]['run']} ({runs[-1]['wall_s']:.2f} s)", flush=True)
    finally:
        server.close()

    print()
    print(f"  {'run':<30} {'wall s':>8} {'/ideal':>7} {'CPU ms/delivery':>16} {'peak RSS MB':>12} {'received':>9}")
    for run in runs:
        print(
            f"  {run['run']:<30} {run['wall_s']:>8.2f} {run['ratio']:>7.2f} {run['cpu_ms_per_delivery']:>16.3f} "
            f"{run['peak_rss_mb']:>12.1f} {run['requests_received']:>9}"
        )
    for run in runs:
        if run["sent"] < count:
            print(
                f"  ({run['run']}: stopped after {RUN_TIMEOUT:g} s, {run['sent']} of {count} sent; figures over those)"
            )
    ours = runs[0]
    print()
    print(f"targets ({ours['run']}):")
    targets = {
        "wall_over_ideal": verdict("wall time / ideal", ours["ratio"], TARGET_RATIO, "x"),
        "cpu_ms_per_delivery": verdict("daemon CPU per delivery", ours["cpu_ms_per_delivery"], TARGET_CPU_MS, "ms", 3),
        "peak_rss_mb": verdict("daemon peak RSS", ours["peak_rss_mb"], TARGET_RSS_MB, "MB", 1),
    }
    sent = ours["states"].get("sent", 0)
    complete = sent == count and ours["requests_received"] == count
    if not complete:
        print(f"  INCOMPLETE: {sent} of {count} recorded as sent, {ours['requests_received']} requests received")
    path = write_results(
        "dispatch-postgresql" if args.database else "dispatch",
        {
            "benchmark": "dispatch",
            "database": "postgresql" if args.database else "sqlite",
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "python": sys.version.split()[0],
            "deliveries": count,
            "channels": len(CHANNELS),
            "concurrency_per_channel": CONCURRENCY,
            "latency_s": LATENCY,
            "ideal_s": round(ideal, 3),
            "runs": runs,
            "targets": targets,
            "complete": complete,
        },
    )
    print(f"\nwritten to {path}")
    return 0 if complete and all(t["pass"] for t in targets.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
