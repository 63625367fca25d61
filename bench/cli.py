"""The command line's start-up: `publisher --version`, `--help` and `post list` beside `python -c pass`.

    .venv/bin/python bench/cli.py [--runs 15] [--posts 10000] [--database PATH]

Each command runs ``--runs`` times as a new process (the installed ``publisher`` script, as a person types it), and
the median wall time is printed beside the floor (`python -c pass`: the interpreter alone) with the ratio to it.
`post list` reads a SQLite database holding ``--posts`` posts on three channels, queued once through
``Queue.add_post`` (the path `publisher post add` takes) and kept at ``--database`` for later runs (default: a
temporary folder, made anew each time).

Targets (issue 11): `--version` and `--help` <= 0.25 s, `post list` on 10,000 posts <= 0.6 s. Writes
bench/results/cli.json.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from _common import samples, verdict, write_results

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PUBLISHER = str(Path(sys.executable).with_name("publisher"))
CHANNELS = ("website", "weibo", "wechat")
TARGETS = {"--version": 0.25, "--help": 0.25, "post list": 0.6}
CONFIG = """
[publisher]
timezone = "Asia/Shanghai"

[database]
url = "sqlite:///{database}"
""" + "".join(f'\n[channels.{name}]\nkind = "outbox"\nfolder = "out/{name}"\n' for name in CHANNELS)


def build(folder: Path, posts: int) -> float:
    """A database in ``folder`` with ``posts`` posts queued through the queue; returns the seconds it took."""
    import httpx

    from publisher.clock import SystemClock
    from publisher.config import AnySecret, load_settings
    from publisher.queue import PostDraft, Queue
    from publisher.store import open_store

    started = time.perf_counter()
    settings = load_settings(str(folder / "publisher.toml"))
    store = open_store(settings.database_url)
    store.upgrade()
    store.sync_channels({n: c.kind for n, c in settings.channels.items()}, datetime.now(UTC))
    adapters = settings.build_adapters(httpx.AsyncClient(), AnySecret(os.environ))
    queue = Queue(store, adapters, SystemClock(), timezone=settings.timezone, actor="bench")
    texts = samples()
    first = datetime.now(UTC) + timedelta(days=1)
    for n in range(posts):
        sample = texts[n % len(texts)]
        queue.add_post(
            PostDraft(
                title=sample.title,
                body=sample.body,
                channels=list(CHANNELS[: 1 + n % len(CHANNELS)]),
                at=first + timedelta(minutes=7 * n),
                tags=list(sample.tags),
                author=sample.author,
            )
        )
        if n and n % 1000 == 0:
            print(f"  queued {n} posts", flush=True)
    store.engine.dispose()
    return time.perf_counter() - started


def median_seconds(command: list[str], cwd: Path, runs: int) -> float:
    env = {**os.environ, "PUBLISHER_CONFIG": str(cwd / "publisher.toml")}
    # bytecode is cached as on an installed machine (the warm-up run writes it): with PYTHONDONTWRITEBYTECODE set
    # (as in this workplace) every changed module would be compiled again on each run
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run(command, cwd=cwd, env=env, capture_output=True, check=True, timeout=60)  # warm the file cache
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, cwd=cwd, env=env, capture_output=True, check=True, timeout=60)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--database", type=Path, help="Keep the database here (made once, reused after).")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as scratch:
        folder = args.database.parent.resolve() if args.database else Path(scratch)
        database = args.database.resolve() if args.database else folder / "bench.db"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "publisher.toml").write_text(CONFIG.format(database=database), encoding="utf-8")
        results: dict[str, Any] = {"posts": args.posts, "runs": args.runs}
        if not database.exists():
            print(f"queueing {args.posts} posts through the queue into {database} ...", flush=True)
            results["build_seconds"] = round(build(folder, args.posts), 1)
        floor = median_seconds([sys.executable, "-c", "pass"], folder, args.runs)
        print(f"\nmedian of {args.runs} runs each, floor (`python -c pass`) {floor:.3f} s:")
        results["floor_seconds"] = round(floor, 4)
        for name, target in TARGETS.items():
            seconds = median_seconds([PUBLISHER, *name.split()], folder, args.runs)
            line = verdict(f"publisher {name} ({seconds / floor:.0f}x floor)", seconds, target, "s", 3)
            results[name] = {**line, "ratio": round(seconds / floor, 1)}
        print(f"\nwrote {write_results('cli', results)}")


if __name__ == "__main__":
    main()
