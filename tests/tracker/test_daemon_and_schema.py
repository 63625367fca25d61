"""The daemon polls configured outlets by itself; the migration builds exactly the tracker's tables."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from publisher.clock import ManualClock
from publisher.daemon import Daemon
from publisher.models import Base
from publisher.queue import Queue
from publisher.store import Store
from publisher.tracker.coverage import CoverageFilter, list_coverage, set_rules
from publisher.tracker.settings import OutletSettings
from tests.conftest import START, make_settings, url_of
from tests.fakes.feeds import FeedServer, Item, rss
from tests.tracker.conftest import FAST, LOOPBACK

TRACKER_TABLES = {"outlets", "outlet_sources", "feed_entries", "coverage_items", "campaign_rules"}


async def test_the_daemon_polls_configured_outlets(
    tmp_path: Path, store: Store, clock: ManualClock, feeds: tuple[FeedServer, str]
) -> None:
    server, base = feeds
    server.put(
        "/daily.xml", rss([Item("阳光幼儿园启动阅读月", "阳光幼儿园日前启动阅读月。", "http://d.example/1", "1")])
    )
    settings = dataclasses.replace(
        make_settings(tmp_path, database_url=url_of(store)),
        tracker=FAST,
        outbound=LOOPBACK,
        outlets={"城市日报": OutletSettings(name="城市日报", feeds=(f"{base}/daily.xml",))},
    )
    Queue(store, {}, clock, timezone="Asia/Shanghai").add_campaign("阅读月", timezone="Asia/Shanghai")
    set_rules(store, "阅读月", any_of=["阅读月"], all_of=[], none_of=[], now=START, actor="t")
    daemon = Daemon(settings, store)
    running = asyncio.create_task(daemon.run(handle_signals=False))
    try:
        async with asyncio.timeout(20):  # the tracker job runs as the daemon starts
            while not list_coverage(store, CoverageFilter(campaign="阅读月")):  # noqa: ASYNC110 (a database write)
                await asyncio.sleep(0.05)
    finally:
        daemon.stop()
        await running
    [item] = list_coverage(store, CoverageFilter(campaign="阅读月"))
    assert item.outlet == "城市日报"
    assert server.seen("/daily.xml")


def test_the_migration_matches_the_models(store: Store) -> None:
    assert set(inspect(store.engine).get_table_names()) >= TRACKER_TABLES
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    ours = [d for d in diff if TRACKER_TABLES & set(_tables(d))]
    assert ours == []


def _tables(change: object) -> list[str]:
    """The table names a change from compare_metadata refers to."""
    found: list[str] = []
    items = change if isinstance(change, list) else [change]
    for item in items:
        for part in item if isinstance(item, tuple) else (item,):
            name = getattr(part, "name", None) if not isinstance(part, str) else part
            table = getattr(part, "table", None)
            if isinstance(name, str):
                found.append(name)
            if table is not None:
                found.append(table.name)
    return found
