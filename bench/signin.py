"""Sign-in under a burst: 200 concurrent wrong sign-ins against the console served on loopback by uvicorn.

    .venv/bin/python bench/signin.py [--burst 200] [--checks 2] [--samples 200]

The console runs in a spawned process of its own on a fresh SQLite file (migrated and given its one user by this
process first, as ``publisher init`` and ``publisher user add`` would), with the real argon2id parameters, so the
peak RSS printed is the server's alone (VmHWM, imports included). The password-check counters
(``publisher.web.passwords.Passwords``: hashed, refused, the most in flight at once) are read in that process and
sent to this one over the bench's pipe: the console itself exposes them nowhere.

Meanwhile a signed-in person loads the queue page one request after another: its latency (p50, p99) during the
burst is printed next to its latency with no burst. The wrong sign-ins use 200 different names (a spray: unknown
names are checked against a dummy hash, as real ones are), all from 127.0.0.1.

Targets (issue 10): peak RSS < 200 MB; never more than ``--checks`` (``[web] max_concurrent_password_checks``)
hashes in flight. Writes bench/results/signin.json.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import sys
import tempfile
import time
from collections import Counter
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from _common import Child, on_commands, peak_rss_mb, verdict, write_results

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TARGET_RSS_MB = 200.0
PASSWORD = "the reader's own long password"
READER = "reader"


# --- the console, in its own process --------------------------------------------------------------------------------


def prepare(folder: str) -> str:
    """A migrated SQLite file with one channel and the reader's account; returns its URL."""
    from datetime import UTC, datetime

    from publisher.clock import SystemClock
    from publisher.store import open_store
    from publisher.web.accounts import Accounts

    url = f"sqlite:///{Path(folder) / 'publisher.db'}"
    store = open_store(url)
    store.upgrade()
    store.sync_channels({"site": "outbox"}, datetime.now(UTC))
    Accounts(store, SystemClock()).add_user(READER, PASSWORD, "editor", actor="bench")
    store.engine.dispose()
    return url


def console_main(conn: Connection, folder: str, checks: int) -> None:
    """Serve the console on a loopback port; send its URL, then answer ``usage`` (RSS and the check counters)."""
    asyncio.run(_console(conn, folder, checks))


async def _console(conn: Connection, folder: str, checks: int) -> None:
    from publisher.clock import SystemClock
    from publisher.config import ChannelSettings, Settings, WebSettings
    from publisher.store import open_store
    from publisher.web import serve
    from publisher.web.app import create_app
    from publisher.web.console import Console

    url = f"sqlite:///{Path(folder) / 'publisher.db'}"
    web = WebSettings(language="en", max_concurrent_password_checks=checks)
    outbox = ChannelSettings(name="site", kind="outbox", options={"folder": str(Path(folder) / "out")})
    settings = Settings(source="bench", database_url=url, channels={"site": outbox}, web=web)
    store = open_store(url)
    console = Console.build(settings, store, SystemClock())
    passwords = console.accounts.passwords

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    server = serve._QuietServer(serve._config(create_app(console, "bench-signing-key-" + "x" * 32), "127.0.0.1", 0))
    server.config.backlog = 2048

    def figures() -> dict[str, Any]:
        return {
            "peak_rss_mb": peak_rss_mb(),
            "hashed": passwords.hashed,
            "refused": passwords.refused,
            "in_flight": passwords.in_flight,
            "peak_in_flight": passwords.peak_in_flight,
        }

    def stop() -> None:
        server.should_exit = True

    on_commands(conn, {"usage": figures, "stop": stop})
    conn.send(f"http://127.0.0.1:{sock.getsockname()[1]}")
    await server.serve(sockets=[sock])
    store.engine.dispose()


# --- the visitors ----------------------------------------------------------------------------------------------------


def _csrf(html: str) -> str:
    return html.split('name="csrf-token" content="')[1].split('"')[0]


async def _reader(url: str) -> Any:
    import httpx

    client = httpx.AsyncClient(base_url=url, timeout=60)
    page = await client.get("/login")
    form = {"name": READER, "password": PASSWORD, "next": "/queue", "csrf_token": _csrf(page.text)}
    signed_in = await client.post("/login", data=form)
    if signed_in.status_code != 303:
        raise RuntimeError(f"the reader could not sign in: {signed_in.status_code}")
    return client


async def _latencies(client: Any, count: int | None, until: asyncio.Event | None = None) -> list[float]:
    """Load the queue page one request after another: ``count`` times, or until ``until`` is set."""
    seen: list[float] = []
    while (count is not None and len(seen) < count) or (until is not None and not until.is_set()):
        started = time.perf_counter()
        response = await client.get("/queue")
        seen.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise RuntimeError(f"the signed-in page answered {response.status_code}")
    return seen


async def _burst(url: str, size: int) -> tuple[Counter[int], float]:
    import httpx

    limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:
        page = await client.get("/login")
        token = _csrf(page.text)
        started = time.perf_counter()

        async def one(n: int) -> int:
            form = {"name": f"guess{n}", "password": f"wrong password {n}", "next": "/queue", "csrf_token": token}
            return (await client.post("/login", data=form)).status_code

        statuses = await asyncio.gather(*(one(n) for n in range(size)))
        return Counter(statuses), time.perf_counter() - started


async def _drive(server: Child, url: str, burst: int, samples: int) -> dict[str, Any]:
    reader = await _reader(url)
    try:
        await _latencies(reader, 20)  # warm up
        quiet = await _latencies(reader, samples)
        before = server.ask("usage")  # the reader's own sign-in is counted here, not in the burst
        done = asyncio.Event()
        during_task = asyncio.create_task(_latencies(reader, None, done))
        statuses, seconds = await _burst(url, burst)
        done.set()
        during = await during_task
    finally:
        await reader.aclose()
    return {"quiet": quiet, "during": during, "statuses": dict(statuses), "burst_seconds": seconds, "before": before}


def _percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {"p50_ms": statistics.median(ordered) * 1000, "p99_ms": p99 * 1000, "samples": len(ordered)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--burst", type=int, default=200, help="concurrent wrong sign-ins")
    parser.add_argument("--checks", type=int, default=2, help="[web] max_concurrent_password_checks")
    parser.add_argument("--samples", type=int, default=200, help="signed-in page loads with no burst")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-signin-") as tmp:
        prepare(tmp)
        server = Child(console_main, tmp, args.checks)
        try:
            url = server.receive(120)
            driven = asyncio.run(_drive(server, url, args.burst, args.samples))
            after = server.ask("usage")
        finally:
            server.close()

    quiet, during, before = _percentiles(driven["quiet"]), _percentiles(driven["during"]), driven["before"]
    statuses = driven["statuses"]
    print(f"{args.burst} concurrent wrong sign-ins in {driven['burst_seconds']:.2f} s; answers: {statuses}")
    print(f"  password checks hashed during the burst: {after['hashed'] - before['hashed']}")
    print(f"  turned away unhashed (no free slot):     {after['refused'] - before['refused']}")
    print(f"  peak RSS before the burst:               {before['peak_rss_mb']:.1f} MB (one sign-in hashed)")
    print(f"signed-in page (/queue), no burst:  p50 {quiet['p50_ms']:.1f} ms, p99 {quiet['p99_ms']:.1f} ms")
    print(f"signed-in page (/queue), during it: p50 {during['p50_ms']:.1f} ms, p99 {during['p99_ms']:.1f} ms", end="")
    print(f" ({during['samples']} loads)")
    print("\nfigures:")
    results: dict[str, Any] = {"burst": args.burst, "max_concurrent_password_checks": args.checks}
    results["peak_rss_mb"] = verdict("peak RSS, console process", after["peak_rss_mb"], TARGET_RSS_MB, "MB", 1)
    results["peak_in_flight"] = verdict("most hashes in flight at once", after["peak_in_flight"], args.checks, "", 0)
    results.update(
        {
            "statuses": statuses,
            "hashed": after["hashed"] - before["hashed"],
            "refused": after["refused"] - before["refused"],
            "burst_seconds": round(driven["burst_seconds"], 3),
            "rss_before_burst_mb": round(before["peak_rss_mb"], 1),
            "page_quiet": {k: round(v, 2) for k, v in quiet.items()},
            "page_during_burst": {k: round(v, 2) for k, v in during.items()},
        }
    )
    path = write_results("signin", results)
    print(f"\nwritten to {path}")
    return 0 if all(results[k]["pass"] for k in ("peak_rss_mb", "peak_in_flight")) else 1


if __name__ == "__main__":
    sys.exit(main())
