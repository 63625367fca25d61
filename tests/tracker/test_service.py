"""Passes end to end over loopback: coverage found, dedupe, reprint groups, leases, rematch, pruning, the event log."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from publisher.clock import ManualClock
from publisher.models import Event
from publisher.queue import Queue
from publisher.store import Store
from publisher.tracker.coverage import CoverageFilter, add_manual, list_coverage, remove_coverage, set_rules
from publisher.tracker.models import FeedEntry, OutletSource
from publisher.tracker.outlets import OutletSpec, add_outlet, outlet_health, remove_outlet
from publisher.tracker.service import Tracker
from tests.fakes.feeds import FeedServer, Item, atom, rss
from tests.tracker.conftest import FAST, LOOPBACK, publish, start_campaign
from tests.tracker.sample import P1, P1_TITLE

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def _outlet(store: Store, name: str, *feeds: str, tier: str = "city") -> None:
    add_outlet(store, OutletSpec(name=name, tier=tier, feeds=list(feeds)), FAST, NOW, "tester")


def _reading_rules(store: Store) -> None:
    set_rules(
        store, "阅读月", any_of=["阅读月", "亲子共读"], all_of=["阳光幼儿园"], none_of=["招聘"], now=NOW, actor="t"
    )


def _items() -> list[Item]:
    return [
        Item(
            "阳光幼儿园启动阅读月", "阳光幼儿园日前启动阅读月活动。", "http://daily.example/a/1?utm_source=rss", "d-1"
        ),
        Item("地铁五号线年底通车", "地铁五号线全线进入调试阶段。", "http://daily.example/a/2", "d-2"),
        Item("阳光幼儿园招聘教师", "阳光幼儿园阅读月期间招聘教师两名。", "http://daily.example/a/3", "d-3"),
    ]


def _numbered_outlets(
    store: Store, feeds: tuple[FeedServer, str], feed_items: list[list[Item]], mode: str = "normal"
) -> None:
    """Outlets outlet-0, outlet-1 ...: one per list of items, each with a feed /fN.xml that carries them."""
    server, base = feeds
    for n, items in enumerate(feed_items):
        server.put(f"/f{n}.xml", rss(items), mode=mode)
        _outlet(store, f"outlet-{n}", f"{base}/f{n}.xml")


@pytest.fixture
def reading(store: Store, queue: Queue) -> None:
    """The campaign 阅读月 with its keyword rules."""
    start_campaign(queue)
    _reading_rules(store)


@pytest.fixture
def daily(store: Store, feeds: tuple[FeedServer, str]) -> None:
    """The outlet 城市日报, whose feed carries the three _items()."""
    server, base = feeds
    server.put("/daily.xml", rss(_items()))
    _outlet(store, "城市日报", f"{base}/daily.xml")


@pytest.mark.usefixtures("reading", "daily")
async def test_a_pass_fills_coverage_and_a_second_adds_nothing(store: Store, tracker: Tracker) -> None:
    report = await tracker.run_once()
    assert (report.sources, report.parsed, report.new_entries, report.coverage) == (1, 1, 3, 1)
    [item] = list_coverage(store, CoverageFilter(campaign="阅读月"))
    assert (item.outlet, item.title, item.url) == ("城市日报", "阳光幼儿园启动阅读月", "http://daily.example/a/1")
    assert item.matched_by == "keywords"
    assert item.matched_terms == "keywords: 阅读月, 阳光幼儿园"
    assert item.published_at == datetime(2026, 12, 2, 8, 0, tzinfo=UTC)

    report = await tracker.run_once(force=True)  # the server answers 304 to the stored ETag
    assert (report.not_modified, report.new_entries, report.coverage) == (1, 0, 0)
    with store.sessions() as session:
        found = session.scalars(select(Event.reason).where(Event.action == "coverage.found")).all()
    assert found == ["阅读月: 城市日报: 阳光幼儿园启动阅读月 (keywords: 阅读月, 阳光幼儿园)"]


@pytest.mark.usefixtures("reading")
async def test_the_same_article_seen_again_is_one_entry(
    store: Store, tracker: Tracker, feeds: tuple[FeedServer, str]
) -> None:
    server, base = feeds
    item = _items()[0]
    moved = Item(item.title, item.summary, "http://daily.example/a/1", "other-guid")  # same link, new guid
    copied = Item(item.title, item.summary, "http://m.daily.example/1", "third-guid")  # same text: content hash
    server.put("/main.xml", rss([item]))
    server.put("/mobile.xml", rss([moved, copied]), mode="ignore")
    _outlet(store, "城市日报", f"{base}/main.xml", f"{base}/mobile.xml")

    report = await tracker.run_once()
    assert report.new_entries == 1
    assert report.coverage == 1
    with store.sessions() as session:
        assert session.scalar(select(func.count()).select_from(FeedEntry)) == 1


@pytest.mark.usefixtures("reading")
async def test_two_articles_under_one_headline_stay_two_entries(
    store: Store, tracker: Tracker, feeds: tuple[FeedServer, str]
) -> None:
    """A follow-up ("续报") may carry its first report's headline; in a headline-only feed (a WeChat bridge) only
    the link tells them apart, and both are coverage."""
    server, base = feeds
    title = "阳光幼儿园启动阅读月活动，全园师生家长共读经典好书（续报）"
    first = Item(title, "", "http://daily.example/a/10", "guid-10")
    second = Item(title, "", "http://daily.example/a/11", "guid-11")
    server.put("/main.xml", rss([first, second]))
    _outlet(store, "城市日报", f"{base}/main.xml")

    report = await tracker.run_once()
    assert report.new_entries == 2
    with store.sessions() as session:
        assert session.scalar(select(func.count()).select_from(FeedEntry)) == 2


async def test_a_reprint_by_two_outlets_is_two_items_in_one_group(
    store: Store, queue: Queue, tracker: Tracker, feeds: tuple[FeedServer, str]
) -> None:
    server, base = feeds
    start_campaign(queue)
    post_id = publish(queue, store, title=P1_TITLE, body=P1, campaign="阅读月")
    # no keyword rules at all: the reprints match by similarity to the published post
    server.put("/daily.xml", rss([Item("家长们被孩子逗乐了", P1, "http://daily.example/r", "r1")]))
    short = P1.split("。")[0] + "。" + P1.split("。")[1] + "。"
    server.put("/portal.xml", atom([Item("一节特别的课", short, "http://portal.example/x", "p1")]))
    _outlet(store, "城市日报", f"{base}/daily.xml")
    _outlet(store, "省级门户", f"{base}/portal.xml", tier="province")

    report = await tracker.run_once()
    assert report.coverage == 2
    items = list_coverage(store, CoverageFilter(campaign="阅读月"))
    assert {i.outlet for i in items} == {"城市日报", "省级门户"}
    assert {i.post_id for i in items} == {post_id}
    assert {i.matched_by for i in items} == {"similarity"}
    assert all(i.score >= 0.85 for i in items)
    assert len({i.reprint_group for i in items}) == 1


@pytest.mark.usefixtures("reading")
async def test_a_story_told_by_two_outlets_groups_by_text_too(
    store: Store, tracker: Tracker, feeds: tuple[FeedServer, str]
) -> None:
    server, base = feeds
    story = "阳光幼儿园日前启动为期一个月的阅读月活动，每周安排亲子共读和故事会，邀请家长走进教室给孩子们讲故事。"
    server.put("/a.xml", rss([Item("阳光幼儿园启动阅读月", story, "http://a.example/1", "a1")]))
    server.put("/b.xml", rss([Item("书香满园：阅读月来了", story, "http://b.example/1", "b1")]))
    server.put("/c.xml", rss([Item("阳光幼儿园亲子共读", "家长们走进教室读绘本。", "http://c.example/1", "c1")]))
    _outlet(store, "A报", f"{base}/a.xml")
    _outlet(store, "B网", f"{base}/b.xml")
    _outlet(store, "C台", f"{base}/c.xml")

    await tracker.run_once()
    groups = {i.outlet: i.reprint_group for i in list_coverage(store, CoverageFilter(campaign="阅读月"))}
    assert groups["A报"] == groups["B网"] != groups["C台"]


@pytest.mark.usefixtures("reading")
async def test_two_trackers_poll_each_source_once(
    store: Store, clock: ManualClock, feeds: tuple[FeedServer, str]
) -> None:
    server = feeds[0]
    _numbered_outlets(store, feeds, [_items()] * 6, mode="held")
    server.hold.clear()  # both passes claim while every answer is held back
    first = Tracker(FAST, store, clock, owner="one", outbound=LOOPBACK)
    second = Tracker(FAST, store, clock, owner="two", outbound=LOOPBACK)
    task = asyncio.create_task(first.run_once())
    await server.until(lambda: len(server.requests) >= 2)  # the first pass has claimed and is fetching
    late = await second.run_once()
    server.hold.set()
    early = await task
    assert (early.sources, late.sources) == (6, 0)
    assert sorted(r.path for r in server.requests) == sorted(f"/f{n}.xml" for n in range(6))


@pytest.mark.usefixtures("daily")
async def test_rules_set_later_find_stored_entries_with_rematch(store: Store, queue: Queue, tracker: Tracker) -> None:
    start_campaign(queue)
    report = await tracker.run_once()
    assert (report.new_entries, report.coverage) == (3, 0)
    _reading_rules(store)
    assert tracker.rematch("阅读月") == 1
    [item] = list_coverage(store, CoverageFilter(campaign="阅读月"))
    remove_coverage(store, item.id, NOW, "editor", "not about us")
    assert tracker.rematch() == 0  # a removed item stays removed
    assert list_coverage(store, CoverageFilter(campaign="阅读月")) == []


async def test_manual_coverage_and_the_event_log(store: Store, queue: Queue) -> None:
    start_campaign(queue)
    _outlet(store, "晚报")  # a paper: no feed
    item = add_manual(
        store,
        campaign=None,  # the only campaign
        outlet="晚报",
        title="孩子们的读书节",
        published_at=datetime(2026, 12, 3, 2, tzinfo=UTC),
        url=None,
        note="第3版",
        now=NOW,
        actor="editor",
    )
    [row] = list_coverage(store, CoverageFilter(campaign="阅读月", outlet="晚报"))
    assert (row.id, row.origin, row.matched_by, row.note) == (item, "manual", "manual", "第3版")
    assert list_coverage(store, CoverageFilter(published_from=datetime(2026, 12, 4, tzinfo=UTC))) == []
    remove_coverage(store, item, NOW, "editor", "duplicate")
    assert list_coverage(store, CoverageFilter()) == []
    with store.sessions() as session:
        actions = session.scalars(select(Event.action).where(Event.action.like("coverage.%")).order_by(Event.id)).all()
    assert actions == ["coverage.add", "coverage.remove"]


@pytest.mark.usefixtures("reading", "daily")
async def test_removed_outlets_are_not_polled_and_keep_their_coverage(store: Store, tracker: Tracker) -> None:
    await tracker.run_once()
    remove_outlet(store, "城市日报", NOW, "editor", "closed")
    assert (await tracker.run_once(force=True)).sources == 0
    assert [i.outlet for i in list_coverage(store, CoverageFilter())] == ["城市日报"]
    assert outlet_health(store) == []


@pytest.mark.usefixtures("reading", "daily")
async def test_old_entries_that_matched_nothing_are_pruned(store: Store, clock: ManualClock, tracker: Tracker) -> None:
    await tracker.run_once()
    clock.advance(timedelta(days=FAST.keep_entries_days + 1).total_seconds())
    assert tracker.prune() == 2  # the matched one stays
    with store.sessions() as session:
        assert session.scalar(select(func.count()).select_from(FeedEntry)) == 1
        assert session.scalar(select(OutletSource.entries_seen)) == 3


@pytest.mark.usefixtures("reading")
async def test_a_big_pass_parses_in_worker_processes(
    store: Store, clock: ManualClock, feeds: tuple[FeedServer, str]
) -> None:
    one_article_each = [
        [Item(f"阳光幼儿园阅读月 第{n}篇", "阳光幼儿园阅读月的一天。", f"http://x/{n}", f"g{n}")] for n in range(3)
    ]
    _numbered_outlets(store, feeds, one_article_each)
    settings = dataclasses.replace(FAST, parse_workers=1)
    report = await Tracker(settings, store, clock, pool_min=3, outbound=LOOPBACK).run_once()
    assert (report.parsed, report.new_entries, report.coverage) == (3, 3, 3)
