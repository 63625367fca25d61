"""Coverage reports: one campaign with 1,000,000 coverage items across 200 outlets, written in every format.

    .venv/bin/python bench/reports.py [--items 1000000] [--outlets 200] [--pages 0.05]
                                      [--formats csv,xlsx,json,md,html]

The campaign is written straight into a fresh SQLite file with bulk inserts (executemany in chunks of 20,000):
items spread over 17 weeks, outlets of very different sizes (a few carry most items), a third of them reprints of
our posts, numbered roughly in the order they were published (as the tracker finds them; 2% out of order), and
1,000 posts of ours on 3 channels. Every item comes from a feed entry of its own, and a share of them (``--pages``,
5%: the headline-only entries) has its article page kept as evidence, so the reports read each kept page's SHA-256
as they would in production. Then each format is written by ``publisher.reports.build
.write_reports`` (what ``publisher report --format F`` runs) in a spawned process of its own, so the time and the
peak RSS printed are that format's alone (peak RSS is the process's VmHWM: imports included).

Beside them, in the same run and each in a process of its own, the floors (issue 16): the CSV floor reads the same
coverage rows with one plain SQL query (sqlite3, no ORM) into ``csv.writer``; the XLSX floor has XlsxWriter in
constant-memory mode write the same cells, read beforehand (no query in its time). The ratios to them are what this
machine's speed does not change much.

Targets (issue 5): CSV <= 15 s, XLSX <= 60 s, peak RSS <= 250 MB for each format. Targets (issue 16): CSV <= 1.3 x
its floor, XLSX <= 1.15 x its floor, Markdown and JSON <= 1.5 x the CSV floor. Writes bench/results/reports.json.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from _common import Child, peak_rss_mb, verdict, write_results

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

FORMATS = ("csv", "xlsx", "json", "md", "html")
TARGET_SECONDS = {"csv": 15.0, "xlsx": 60.0}
TARGET_RSS_MB = 250.0
#: format -> (the floor it is compared with, the ratio to reach)
TARGET_RATIOS = {"csv": ("csv", 1.3), "xlsx": ("xlsx", 1.15), "md": ("csv", 1.5), "json": ("csv", 1.5)}
#: the coverage table's rows as a plain query reads them: what every report format spends most of its time on
FLOOR_QUERY = """
SELECT ci.id, ci.published_at, o.name, o.tier, ci.title, ci.url, ci.matched_by, ci.matched_terms, ci.reprint_group,
       ci.note, ap.sha256
FROM coverage_items AS ci
JOIN outlets AS o ON o.id = ci.outlet_id
LEFT JOIN feed_entries AS fe ON fe.id = ci.entry_id
LEFT JOIN article_pages AS ap ON ap.link_hash = fe.link_hash
WHERE ci.campaign_id = (SELECT id FROM campaigns WHERE name = ?) AND ci.removed_at IS NULL
ORDER BY ci.published_at, ci.id
"""
CHUNK = 20_000
CAMPAIGN = "书香润童心阅读月"
START = datetime(2026, 9, 1, tzinfo=UTC)
DAYS = 120
RUN_TIMEOUT = 900.0

_TOPICS = ["阅读月", "亲子共读", "绘本漂流", "小小故事家", "图书角", "书香校园", "家园共育", "阅读打卡"]
_VERBS = ["启动", "走进", "点亮", "开展", "举行", "亮相", "见闻", "侧记"]


def build(path: Path, items: int, outlets: int, seed: int = 5, pages: float = 0.05) -> dict[str, Any]:
    """A fresh database holding the campaign; returns what was written and how long it took."""
    import gzip
    import hashlib

    from sqlalchemy import insert

    from publisher.models import Campaign, Channel, Delivery, Post
    from publisher.store import open_store
    from publisher.tracker.models import ArticlePage, CoverageItem, FeedEntry, Outlet

    rng = random.Random(seed)
    started = time.perf_counter()
    store = open_store(f"sqlite:///{path}")
    store.upgrade()
    now = datetime.now(UTC)
    kinds = ["news_site", "portal", "official_account", "paper", "other"]
    tiers = ["national", "province", "city", "district"]
    with store.engine.begin() as connection:
        connection.execute(
            insert(Campaign),
            [
                {
                    "id": 1,
                    "name": CAMPAIGN,
                    "timezone": "Asia/Shanghai",
                    "starts_at": START,
                    "requires_approval": False,
                    "created_at": START,
                }
            ],
        )
        connection.execute(
            insert(Channel),
            [
                {"id": i + 1, "name": name, "kind": "outbox", "paused": False, "created_at": START}
                for i, name in enumerate(("website", "weibo", "parents-group"))
            ],
        )
        connection.execute(
            insert(Outlet),
            [
                {
                    "id": i + 1,
                    "name": f"媒体{i + 1:03d}",
                    "kind": kinds[i % 5],
                    "tier": tiers[i % 4],
                    "region": f"地区{i % 17}",
                    "origin": "cli",
                    "active": True,
                    "created_at": START,
                }
                for i in range(outlets)
            ],
        )
        posts = 1000
        connection.execute(
            insert(Post),
            [
                {
                    "id": i + 1,
                    "campaign_id": 1,
                    "title": f"{rng.choice(_TOPICS)}{rng.choice(_VERBS)}（第{i + 1}期）",
                    "body": "正文。",
                    "images": [],
                    "tags": [],
                    "overrides": {},
                    "state": "active",
                    "approval": "not_required",
                    "created_at": START,
                    "created_by": "bench",
                }
                for i in range(posts)
            ],
        )
        deliveries = []
        for post in range(1, posts + 1):
            due = START + timedelta(minutes=post * DAYS * 1440 // posts)
            for channel in (1, 2, 3):
                sent = rng.random() > 0.03
                deliveries.append(
                    {
                        "post_id": post,
                        "channel_id": channel,
                        "due_at": due,
                        "state": "sent" if sent else "failed",
                        "ready": True,
                        "attempts": 1,
                        "idempotency_key": f"bench-{post}-{channel}",
                        "remote_url": f"https://kg.example.cn/{channel}/{post}" if sent else None,
                        "last_error": None if sent else "HTTP 500",
                        "sent_at": due if sent else None,
                        "updated_at": due,
                    }
                )
        connection.execute(insert(Delivery), deliveries)
        # outlet sizes follow a Zipf-like curve: a few outlets carry most of the coverage
        weights = [1 / (rank + 1) ** 0.8 for rank in range(outlets)]
        # numbered roughly in the order they were published, as the tracker finds them; 2% found late (a rematch,
        # an item added by hand), up to 30 days out of order
        seconds = sorted(rng.randrange(DAYS * 86400) for _ in range(items))
        for late in rng.sample(range(items), items // 50):
            seconds[late] = max(0, seconds[late] - rng.randrange(30 * 86400))
        rows: list[dict[str, Any]] = []
        entries: list[dict[str, Any]] = []
        kept: list[dict[str, Any]] = []
        every = round(1 / pages) if pages > 0 else 0  # every n-th item has a kept page
        page_gz = gzip.compress(("<html><body>" + "阅读月活动报道正文。" * 400 + "</body></html>").encode())
        for item in range(1, items + 1):
            outlet = rng.choices(range(1, outlets + 1), weights)[0] if item % 64 else (item % outlets) + 1
            reprint = item % 3 == 0
            published = START + timedelta(seconds=seconds[item - 1])
            link = f"https://news{outlet}.example.cn/edu/{item}.html"
            link_hash = hashlib.sha1(link.encode()).hexdigest()
            entries.append(
                {
                    "id": item,
                    "outlet_id": outlet,
                    "link": link,
                    "link_hash": link_hash,
                    "title": "",
                    "summary": "",
                    "body": "",
                    "published_at": published,
                    "fetched_at": published,
                }
            )
            if every and item % every == 0:
                kept.append(
                    {
                        "link_hash": link_hash,
                        "url": link,
                        "status": 200,
                        "sha256": hashlib.sha256(link_hash.encode()).hexdigest(),  # a stand-in: every page is the same
                        "html_gz": page_gz,
                        "text": "",
                        "fetched_at": published,
                        "checked_at": published,
                    }
                )
            rows.append(
                {
                    "id": item,
                    "campaign_id": 1,
                    "outlet_id": outlet,
                    "entry_id": item,
                    "title": f"{rng.choice(_TOPICS)}{rng.choice(_VERBS)}：阳光幼儿园的孩子们爱上阅读（{item}）",
                    "url": link,
                    "published_at": published,
                    "post_id": (item % posts) + 1 if reprint else None,
                    "matched_by": "similarity" if reprint else "keywords",
                    "matched_terms": f"post {(item % posts) + 1}" if reprint else "阅读月, 亲子共读",
                    "score": 0.8 if reprint else 1.0,
                    "reprint_group": item - item % 5 or item,
                    "origin": "feed",
                    "note": None,
                    "created_at": now,
                    "created_by": "bench",
                }
            )
            if len(rows) == CHUNK or item == items:
                for model, chunk in ((FeedEntry, entries), (ArticlePage, kept), (CoverageItem, rows)):
                    if chunk:
                        connection.execute(insert(model), chunk)
                rows, entries, kept = [], [], []
    store.engine.dispose()
    return {
        "seconds": time.perf_counter() - started,
        "items": items,
        "outlets": outlets,
        "kept_pages": items // every if every else 0,
        "posts": posts,
        "deliveries": len(deliveries),
        "bytes": path.stat().st_size,
    }


def write_one(conn: Connection, database: str, fmt: str, folder: str) -> None:
    """In a spawned process: write one format and send back the time, the peak RSS and the size."""
    from publisher.reports.build import write_reports
    from publisher.store import open_store

    store = open_store(f"sqlite:///{database}")
    imported = peak_rss_mb()
    started, cpu = time.perf_counter(), time.process_time()
    written = write_reports(store, CAMPAIGN, [fmt], now=datetime.now(UTC), folder=Path(folder), base=f"bench-{fmt}")
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    size = sum(p.stat().st_size for p in written.paths)
    conn.send(
        {
            "seconds": seconds,
            "cpu_seconds": cpu,
            "peak_rss_mb": peak_rss_mb(),
            "rss_after_imports_mb": imported,
            "bytes": size,
            "files": [p.name for p in written.paths],
            "coverage": written.summary.coverage,
        }
    )
    store.engine.dispose()


def floor_one(conn: Connection, database: str, kind: str, folder: str) -> None:
    """In a spawned process: the floor of ``kind`` (csv: query and csv.writer; xlsx: XlsxWriter alone)."""
    import csv
    import sqlite3

    connection = sqlite3.connect(database)
    started, cpu = time.perf_counter(), time.process_time()
    cursor = connection.execute(FLOOR_QUERY, (CAMPAIGN,))
    count = 0
    if kind == "csv":
        with open(Path(folder) / "floor.csv", "w", encoding="utf-8-sig", newline="") as out:
            writer = csv.writer(out)
            for row in cursor:
                writer.writerow(["" if value is None else str(value) for value in row])
                count += 1
    else:
        import xlsxwriter

        cells = [["" if value is None else str(value) for value in row] for row in cursor]  # not timed: no query
        started, cpu = time.perf_counter(), time.process_time()
        # plain text cells, as the report's: no guessing of links, numbers or formulas in each string
        options = {"constant_memory": True, "strings_to_urls": False, "strings_to_numbers": False}
        workbook = xlsxwriter.Workbook(str(Path(folder) / "floor.xlsx"), options | {"strings_to_formulas": False})
        sheet = workbook.add_worksheet("coverage")
        for number, row in enumerate(cells):
            for column, value in enumerate(row):
                sheet.write_string(number, column, value)
        workbook.close()
        count = len(cells)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    connection.close()
    conn.send({"seconds": seconds, "cpu_seconds": cpu, "rows": count})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--outlets", type=int, default=200)
    parser.add_argument("--pages", type=float, default=0.05, help="The share of items with a kept article page.")
    parser.add_argument("--formats", default=",".join(FORMATS))
    parser.add_argument("--keep", metavar="FOLDER", help="Build the database and write the files here, and keep them.")
    parser.add_argument("--reuse", action="store_true", help="With --keep: use the database built there before.")
    args = parser.parse_args()
    formats = [f for f in args.formats.split(",") if f]
    with tempfile.TemporaryDirectory(prefix="bench-reports-") as scratch:
        folder = Path(args.keep) if args.keep else Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        database = folder / "reports.db"
        if args.reuse and args.keep and database.exists():
            built = {"reused": str(database), "items": args.items, "outlets": args.outlets}
            print(f"using {database} as built before\n")
        else:
            database.unlink(missing_ok=True)
            print(f"building {args.items:,} coverage items across {args.outlets} outlets in {database} ...")
            built = build(database, args.items, args.outlets, pages=args.pages)
            print(f"  built in {built['seconds']:.1f} s ({built['bytes'] / 1e6:.0f} MB)\n")
        results: dict[str, Any] = {"items": args.items, "outlets": args.outlets, "build": built, "formats": {}}
        floors: dict[str, dict[str, Any]] = {}
        for kind in ("csv", "xlsx"):
            if not any(TARGET_RATIOS.get(fmt, ("",))[0] == kind for fmt in formats):
                continue
            child = Child(floor_one, str(database), kind, str(folder))
            try:
                floors[kind] = child.receive(RUN_TIMEOUT)
            finally:
                child.close()
            print(f"  floor {kind}: {floors[kind]['seconds']:.1f} s ({floors[kind]['rows']:,} rows)")
        results["floors"] = floors
        print(f"\n  {'format':<8}{'seconds':>10}{'CPU s':>8}{'peak RSS':>12}{'file size':>12}")
        measured: dict[str, dict[str, Any]] = {}
        for fmt in formats:
            child = Child(write_one, str(database), fmt, str(folder))
            try:
                measured[fmt] = child.receive(RUN_TIMEOUT)
            finally:
                child.close()
            m = measured[fmt]
            if m["coverage"] != args.items:
                raise SystemExit(f"{fmt}: the report counted {m['coverage']} items, not {args.items}")
            print(
                f"  {fmt:<8}{m['seconds']:>10.1f}{m['cpu_seconds']:>8.1f}{m['peak_rss_mb']:>9.0f} MB"
                f"{m['bytes'] / 1e6:>9.0f} MB"
            )
        print("\ntargets:")
        ok = True
        for fmt, m in measured.items():
            entry: dict[str, Any] = dict(m)
            if fmt in TARGET_SECONDS:
                entry["time"] = verdict(f"{fmt} time", m["seconds"], TARGET_SECONDS[fmt], "s", 1)
                ok &= entry["time"]["pass"]
            entry["rss"] = verdict(f"{fmt} peak RSS", m["peak_rss_mb"], TARGET_RSS_MB, "MB", 0)
            ok &= entry["rss"]["pass"]
            if fmt in TARGET_RATIOS and TARGET_RATIOS[fmt][0] in floors:
                floor, most = TARGET_RATIOS[fmt]
                ratio = m["seconds"] / floors[floor]["seconds"]
                entry["ratio"] = verdict(f"{fmt} / {floor} floor", ratio, most, "x", 2)
                ok &= entry["ratio"]["pass"]
            results["formats"][fmt] = entry
        results["command"] = "python bench/reports.py " + " ".join(sys.argv[1:])
        results["machine"] = {"python": sys.version.split()[0], "platform": sys.platform}
        path = write_results("reports", results)
        print(f"\n{'all targets met' if ok else 'some targets missed'}; results in {path}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
