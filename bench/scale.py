"""Several daemons on one PostgreSQL: 20,000 deliveries sent by 1, 2 and 4 daemons to stand-ins answering in 50 ms.

    set -a; . /tmp/publisher-postgres.env; set +a       # after `bash tests/integration/postgres.sh start`
    .venv/bin/python bench/scale.py [--deliveries N] [--daemons 1,2,4] [--concurrency C] [--database URL]

Each daemon is its own process (``publisher.daemon.Daemon``, as ``publisher run`` runs it) on one PostgreSQL
database, sending to four webhook channels capped at ``--concurrency`` requests in flight each (3 by default: 12
per daemon, so one daemon's ceiling is 12 / 0.05 s = 240 deliveries a second). The stand-in runs in a process of its
own with no cap of its own, so what is measured is how the daemons share the queue, not the stand-in: four daemons'
ceiling is four times one's. The stand-in records the idempotency key of every request it receives; a key seen twice
is a duplicate (two daemons sent one delivery).

For each daemon count the database is emptied, the deliveries are queued due at once, the daemons are started and
told to go together, and the time is taken until the last delivery is recorded as sent. Prints throughput per
daemon count, duplicates (target 0) and the scaling ratio of 4 daemons to 1 (target >= 3), and writes them to
bench/results/scale.json.

The machine matters: on two cores the four daemons, PostgreSQL and the stand-in share two CPUs, so the ratio there
shows whether the database is a bottleneck (it would not scale at all) rather than the most the design allows.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from _common import DaemonProcess, StandIn, new_database, queue_bulk, samples, write_results

CHANNELS = ("site-a", "site-b", "site-c", "site-d")
LATENCY = 0.05
TARGET_RATIO = 3.0  # 4 daemons vs 1
RUN_TIMEOUT = 300.0


def sent_count(url: str) -> int:
    from sqlalchemy import func, select

    from publisher.models import Delivery
    from publisher.store import open_store

    store = open_store(url)
    try:
        with store.sessions() as session:
            return int(session.scalar(select(func.count()).where(Delivery.state == "sent")) or 0)
    finally:
        store.engine.dispose()


def run(server: StandIn, url: str, daemons: int, count: int, concurrency: int, folder: Path) -> dict[str, Any]:
    server.ask("reset")
    store = new_database(url, CHANNELS)
    posts = itertools.cycle(samples())
    now = datetime.now(UTC)
    queue_bulk(store, [(next(posts), CHANNELS, now) for _ in range(count // len(CHANNELS))])
    store.engine.dispose()
    hooks = {name: server.hook(name) for name in CHANNELS}
    processes = [
        DaemonProcess(url, hooks, concurrency, "aiohttp", folder / f"daemon-{daemons}-{n}.log") for n in range(daemons)
    ]
    try:
        started = time.perf_counter()
        for process in processes:
            process.conn.send("go")
        starts = [process.receive(30)["start"] for process in processes]
        deadline = started + RUN_TIMEOUT
        done = 0
        while done < count and time.perf_counter() < deadline:
            time.sleep(0.1)
            done = sent_count(url)
        wall = time.perf_counter() - started
        usages = [process.ask("usage") for process in processes]
        per_daemon = [process.ask("sent") for process in processes]
        for process in processes:
            process.conn.send("stop")
        finals = [process.receive(60) for process in processes]
    finally:
        for process in processes:
            process.close()
    arrivals = server.ask("stats", timeout=60)["arrivals"]
    duplicates = sum(1 for times in arrivals.values() if len(times) > 1)
    cpu = [round(u["cpu"] - s["cpu"], 2) for u, s in zip(usages, starts, strict=True)]
    return {
        "daemons": daemons,
        "deliveries": count,
        "sent": done,
        "wall_s": round(wall, 2),
        "per_second": round(done / wall, 1),
        "ceiling_per_second": round(daemons * len(CHANNELS) * concurrency / LATENCY, 1),
        "sent_by_each": per_daemon,
        "cpu_s_by_each": cpu,
        "requests_received": sum(len(times) for times in arrivals.values()),
        "duplicates": duplicates,
        "states": dict(Counter(finals[0]["states"])),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deliveries", type=int, default=20_000)
    parser.add_argument("--daemons", default="1,2,4", help="daemon counts to run, comma-separated (default 1,2,4)")
    parser.add_argument("--concurrency", type=int, default=3, help="requests in flight per channel per daemon")
    parser.add_argument(
        "--database",
        metavar="URL",
        help="a scratch PostgreSQL database (its tables are dropped); default: publisher_bench_scale on the cluster "
        "of $PUBLISHER_TEST_POSTGRES_URL, made if missing",
    )
    args = parser.parse_args()
    url = args.database or scratch_database()
    counts = [int(n) for n in args.daemons.split(",")]
    count = args.deliveries - args.deliveries % len(CHANNELS)
    print(
        f"scale: {count} deliveries on {len(CHANNELS)} webhook channels x {args.concurrency} in flight per daemon; "
        f"the stand-in answers after {LATENCY * 1000:g} ms; {os.cpu_count()} CPUs",
        flush=True,
    )
    runs = []
    server = StandIn(LATENCY, record=True)
    try:
        with tempfile.TemporaryDirectory(prefix="publisher-scale-") as folder:
            for daemons in counts:
                runs.append(run(server, url, daemons, count, args.concurrency, Path(folder)))
                last = runs[-1]
                print(
                    f"  {daemons} daemon(s): {last['per_second']:.0f}/s ({last['wall_s']:.1f} s; ceiling "
                    f"{last['ceiling_per_second']:.0f}/s), duplicates {last['duplicates']}, each sent "
                    f"{last['sent_by_each']}",
                    flush=True,
                )
    finally:
        server.close()
    print()
    print(f"  {'daemons':>7} {'per second':>11} {'wall s':>8} {'vs 1':>6} {'duplicates':>11} {'sent':>7}")
    base = runs[0]["per_second"] if runs else 1.0
    for r in runs:
        r["vs_one"] = round(r["per_second"] / base, 2)
        print(
            f"  {r['daemons']:>7} {r['per_second']:>11.1f} {r['wall_s']:>8.2f} {r['vs_one']:>6.2f} "
            f"{r['duplicates']:>11} {r['sent']:>7}"
        )
    print()
    targets: dict[str, Any] = {}
    duplicates = sum(r["duplicates"] for r in runs)
    ok_duplicates = duplicates == 0
    print(f"  {'duplicates':<34} {duplicates:>10} {'':<6} target == 0        {'PASS' if ok_duplicates else 'MISS'}")
    targets["duplicates"] = {"value": duplicates, "target": 0, "pass": ok_duplicates}
    most = max(runs, key=lambda r: r["daemons"])
    if most["daemons"] > 1:
        ratio = most["vs_one"]
        ok = ratio >= TARGET_RATIO
        label = f"{most['daemons']} daemons / 1 daemon"
        print(f"  {label:<34} {ratio:>10.2f} {'x':<6} target >= {TARGET_RATIO:g} x     {'PASS' if ok else 'MISS'}")
        targets["scaling_ratio"] = {"value": ratio, "target": TARGET_RATIO, "pass": ok}
    complete = all(r["sent"] == count for r in runs)
    path = write_results(
        "scale",
        {
            "benchmark": "scale",
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "python": sys.version.split()[0],
            "cpus": os.cpu_count(),
            "deliveries": count,
            "channels": len(CHANNELS),
            "concurrency_per_channel_per_daemon": args.concurrency,
            "latency_s": LATENCY,
            "runs": runs,
            "targets": targets,
            "complete": complete,
        },
    )
    print(f"\nwritten to {path}")
    if not complete:
        print("  INCOMPLETE: a run did not send every delivery in time")
    return 0 if complete and all(t["pass"] for t in targets.values()) else 1


def scratch_database() -> str:
    """``publisher_bench_scale`` on the test cluster (``tests/integration/postgres.sh``), made if missing."""
    import psycopg
    from sqlalchemy.engine import make_url

    base = os.environ.get("PUBLISHER_TEST_POSTGRES_URL")
    if not base:
        sys.exit("error: give --database URL, or start the test cluster and load /tmp/publisher-postgres.env")
    url = make_url(base)
    admin = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = 'publisher_bench_scale'").fetchone():
            connection.execute("CREATE DATABASE publisher_bench_scale")
    return url.set(database="publisher_bench_scale").render_as_string(hide_password=False)


if __name__ == "__main__":
    sys.exit(main())
