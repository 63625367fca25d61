"""Timeliness: how late the daemon sends deliveries that fall due one by one, and what it costs while it waits.

    .venv/bin/python bench/timeliness.py [--deliveries N] [--due N] [--idle SECONDS]

100,000 deliveries are queued, all due next week except 200 that fall due at random moments within the first
minute. The daemon runs in its own process (as ``publisher run`` would, logging at INFO into a file); a loopback
stand-in in another process notes when each request arrives, by the idempotency key in its body. Lateness is the
arrival time minus the due time. Then the daemon waits with nothing due for a minute and its CPU time is measured.

Prints each figure with its target and writes them to bench/results/timeliness.json.
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from _common import DaemonProcess, StandIn, new_store, queue_bulk, samples, verdict, write_results

CHANNELS = ("site-a", "site-b", "site-c", "site-d")
CONCURRENCY = 16
LATENCY = 0.05  # the stand-in answers after this; lateness is measured on arrival, so it does not count
WINDOW = 60.0  # the due deliveries fall within this many seconds of the start
LEAD = 1.0  # the first second is left free, for the daemon to start
SETTLE = 10.0  # after the last due time: time for the last sends to arrive before giving up on them

TARGET_P99_MS = 100.0
TARGET_MAX_MS = 250.0
TARGET_IDLE_PERCENT = 1.0


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of ``values`` (sorted or not)."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(fraction * len(ordered) + 0.5)))
    return ordered[rank - 1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deliveries", type=int, default=100_000, help="deliveries queued in all (default 100000)")
    parser.add_argument("--due", type=int, default=200, help="of which due within the first minute (default 200)")
    parser.add_argument("--idle", type=float, default=60.0, help="seconds of idle CPU measurement (default 60)")
    parser.add_argument("--seed", type=int, default=1, help="for the due times (default 1)")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    far_posts = (args.deliveries - args.due) // len(CHANNELS)
    print(
        f"timeliness: {far_posts * len(CHANNELS) + args.due} deliveries queued, {args.due} due within "
        f"{WINDOW:g} s of the start, the rest next week; then {args.idle:g} s idle",
        flush=True,
    )

    with tempfile.TemporaryDirectory(prefix="publisher-bench-") as folder:
        database = Path(folder) / "publisher.db"
        store = new_store(database, CHANNELS)
        posts = itertools.cycle(samples())
        next_week = datetime.now(UTC) + timedelta(days=7)
        started = time.perf_counter()
        queue_bulk(
            store,
            [
                (next(posts), CHANNELS, next_week + timedelta(seconds=rng.uniform(0, 7 * 86400)))
                for _ in range(far_posts)
            ],
        )
        print(
            f"  queued {far_posts * len(CHANNELS)} for next week in {time.perf_counter() - started:.1f} s", flush=True
        )

        server = StandIn(LATENCY, record=True)
        daemon: DaemonProcess | None = None
        try:
            hooks = {name: server.hook(name) for name in CHANNELS}
            daemon = DaemonProcess(f"sqlite:///{database}", hooks, CONCURRENCY, "aiohttp", Path(folder) / "daemon.log")
            # the near deliveries: one channel each, so every one is due at a moment of its own
            base = time.time()
            near = [
                (next(posts), (CHANNELS[i % len(CHANNELS)],), base + LEAD + rng.uniform(0, WINDOW - LEAD))
                for i in range(args.due)
            ]
            written = queue_bulk(store, [(s, c, datetime.fromtimestamp(at, UTC)) for s, c, at in near])
            store.engine.dispose()
            due = {key: when.timestamp() for key, when in written}
            daemon.conn.send("go")
            daemon.receive(30)
            print(f"  daemon started {time.time() - base:.2f} s after the due times were set", flush=True)

            deadline = base + WINDOW + SETTLE
            arrivals: dict[str, list[float]] = {}
            while time.time() < deadline:
                arrivals = server.ask("stats")["arrivals"]
                if len(arrivals) >= len(due):
                    break
                time.sleep(0.5)
            print(f"  {len(arrivals)} of {len(due)} arrived; measuring {args.idle:g} s of idle", flush=True)

            time.sleep(1.0)  # let the last outcomes be written
            before = daemon.ask("usage")
            time.sleep(args.idle)
            after = daemon.ask("usage")
            daemon.conn.send("stop")
            final = daemon.receive(30)
        finally:
            if daemon is not None:
                daemon.close()
            server.close()

    lateness_ms = [(arrivals[key][0] - at) * 1000 for key, at in due.items() if key in arrivals]
    missing = len(due) - len(lateness_ms)
    repeated = sum(len(times) - 1 for times in arrivals.values())
    idle_percent = (after["cpu"] - before["cpu"]) / (after["wall"] - before["wall"]) * 100
    states = final["states"]

    print()
    if lateness_ms:
        print(
            f"  lateness of {len(lateness_ms)} sends: min {min(lateness_ms):.1f} ms, "
            f"p50 {percentile(lateness_ms, 0.50):.1f} ms, mean {sum(lateness_ms) / len(lateness_ms):.1f} ms"
        )
    print(f"  delivery states after the run: {states}")
    print(f"  daemon peak RSS {final['final']['peak_rss_mb']:.1f} MB")
    print("\ntargets:")
    worst = max(lateness_ms) if lateness_ms and not missing else float("inf")
    p99 = percentile(lateness_ms, 0.99) if lateness_ms and not missing else worst
    targets: dict[str, Any] = {
        "p99_ms": verdict("lateness p99", p99, TARGET_P99_MS, "ms", 1),
        "max_ms": verdict("lateness max", worst, TARGET_MAX_MS, "ms", 1),
        "idle_cpu_percent": verdict("daemon idle CPU, % of a core", idle_percent, TARGET_IDLE_PERCENT, "%", 3),
    }
    problems = []
    if missing:
        problems.append(f"{missing} of {len(due)} never arrived")
    if repeated:
        problems.append(f"{repeated} arrived more than once")
    if lateness_ms and min(lateness_ms) < 0:
        problems.append(f"{sum(1 for v in lateness_ms if v < 0)} arrived before they were due")
    for problem in problems:
        print(f"  PROBLEM: {problem}")
    path = write_results(
        "timeliness",
        {
            "benchmark": "timeliness",
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "python": sys.version.split()[0],
            "deliveries": far_posts * len(CHANNELS) + args.due,
            "due_in_window": args.due,
            "window_s": WINDOW,
            "idle_s": round(after["wall"] - before["wall"], 2),
            "idle_cpu_s": round(after["cpu"] - before["cpu"], 4),
            "lateness_ms": {
                "min": round(min(lateness_ms), 2) if lateness_ms else None,
                "p50": round(percentile(lateness_ms, 0.5), 2) if lateness_ms else None,
                "p99": round(percentile(lateness_ms, 0.99), 2) if lateness_ms else None,
                "max": round(max(lateness_ms), 2) if lateness_ms else None,
                "all": [round(v, 2) for v in sorted(lateness_ms)],
            },
            "missing": missing,
            "repeated": repeated,
            "states": states,
            "peak_rss_mb": round(final["final"]["peak_rss_mb"], 1),
            "targets": targets,
        },
    )
    print(f"\nwritten to {path}")
    return 0 if not problems and all(t["pass"] for t in targets.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
