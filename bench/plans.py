"""Campaign plans in bulk: `publisher post import` of a 10,000-row plan, in CSV and in XLSX, and `post export`.

    .venv/bin/python bench/plans.py [--rows 10000] [--database URL]

A plan of ``--rows`` real-sized posts (the demo campaign's texts, on one to three channels, a campaign, tags) is
written as CSV and as XLSX, then each is imported by the installed ``publisher`` script into a new database, as a
person runs it: a dry run (every row checked, nothing written), then the import itself (checked again and written
in one transaction with batched inserts); then the posts are exported back. Each figure is the command's whole wall
time (interpreter start, reading the file, the checks, the writes) and its peak memory.

Target (issue 15): importing 10,000 rows <= 10 s. Writes bench/results/plans.json.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from _common import samples, verdict, write_results

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PUBLISHER = str(Path(sys.executable).with_name("publisher"))
CHANNELS = ("website", "weibo", "wechat")
TARGET_SECONDS = 10.0
ZONE = ZoneInfo("Asia/Shanghai")
CONFIG = """
[publisher]
timezone = "Asia/Shanghai"

[database]
url = "{database}"
""" + "".join(f'\n[channels.{name}]\nkind = "outbox"\nfolder = "out/{name}"\n' for name in CHANNELS)


def write_plans(folder: Path, rows: int) -> list[Path]:
    from publisher.planfile import write_plan

    texts = samples()
    first = datetime.now(UTC) + timedelta(days=2)
    columns = ["title", "body", "channels", "time", "campaign", "tags", "author"]

    def plan() -> list[dict[str, str]]:
        return [
            {
                "title": f"{texts[n % len(texts)].title} {n}",
                "body": texts[n % len(texts)].body,
                "channels": "; ".join(CHANNELS[: 1 + n % len(CHANNELS)]),
                "time": (first + timedelta(minutes=7 * n)).astimezone(ZONE).strftime("%Y-%m-%d %H:%M"),
                "campaign": "迎新",
                "tags": "; ".join(texts[n % len(texts)].tags),
                "author": texts[n % len(texts)].author or "",
            }
            for n in range(rows)
        ]

    files = []
    for kind in ("csv", "xlsx"):
        path = folder / f"plan.{kind}"
        with path.open("wb") as target:
            write_plan(target, kind, columns, plan())
        files.append(path)
    return files


def timed(args: list[str], folder: Path) -> tuple[float, float, str]:
    """Wall seconds and peak RSS (MiB) of one `publisher ARGS`, and its output."""
    env = {**os.environ, "PUBLISHER_CONFIG": str(folder / "publisher.toml"), "LANG": "C"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    done = subprocess.run(
        [PUBLISHER, *args], cwd=folder, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(
            f"publisher {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-2000:]}{done.stdout[-500:]}"
        )
    peak = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    return seconds, peak, done.stdout.strip()


def fresh(folder: Path, url: str | None, name: str) -> None:
    """A new database for one import: a SQLite file in ``folder``, or the scratch ``url`` emptied."""
    from _common import new_database

    database = url or f"sqlite:///{folder / f'{name}.db'}"
    (folder / "publisher.toml").write_text(CONFIG.format(database=database), encoding="utf-8")
    if url:
        new_database(url, CHANNELS).engine.dispose()
    # the campaign the plan names, made as a person would
    env = {**os.environ, "PUBLISHER_CONFIG": str(folder / "publisher.toml"), "LANG": "C"}
    subprocess.run([PUBLISHER, "init"], cwd=folder, env=env, capture_output=True, check=True, timeout=60)
    subprocess.run(
        [PUBLISHER, "campaign", "add", "迎新", "--timezone", "Asia/Shanghai"],
        cwd=folder,
        env=env,
        capture_output=True,
        check=True,
        timeout=60,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--database", help="A scratch PostgreSQL URL (emptied first); default: SQLite files.")
    args = parser.parse_args()
    results: dict[str, Any] = {"rows": args.rows, "database": "postgresql" if args.database else "sqlite"}
    with tempfile.TemporaryDirectory(prefix="bench-plans-") as scratch:
        folder = Path(scratch)
        plans = write_plans(folder, args.rows)
        for plan in plans:
            kind = plan.suffix[1:]
            print(f"\n{kind}: {args.rows} rows, {plan.stat().st_size / 2**20:.1f} MiB")
            fresh(folder, args.database, kind)
            dry, dry_peak, said = timed(["post", "import", str(plan), "--dry-run"], folder)
            print(f"  dry run: {dry:.2f} s, peak {dry_peak:.0f} MiB ({said})")
            seconds, peak, said = timed(["post", "import", str(plan)], folder)
            print(f"  import:  {seconds:.2f} s, peak {peak:.0f} MiB ({said})")
            results[kind] = {
                "dry_run_seconds": round(dry, 2),
                "import": verdict(f"import {args.rows} rows ({kind})", seconds, TARGET_SECONDS, "s"),
                "peak_mib": round(peak),
                "rows_per_second": round(args.rows / seconds),
            }
            exported, _, said = timed(["post", "export", str(folder / f"export.{kind}")], folder)
            print(f"  export:  {exported:.2f} s ({said})")
            results[kind]["export_seconds"] = round(exported, 2)
    print(f"\nwrote {write_results('plans', results)}")


if __name__ == "__main__":
    main()
