"""Polling over loopback: validators, failures and their backoff, redirects, body cap, slow servers, per-host cap,
and the adaptive interval, all on an injected clock."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from publisher.clock import ManualClock
from publisher.queue import Queue
from publisher.store import Store
from publisher.tracker.coverage import CoverageFilter, list_coverage, set_rules
from publisher.tracker.match import CampaignRules, Match, Matcher, Prepared
from publisher.tracker.models import OutletSource
from publisher.tracker.outlets import OutletSpec, add_outlet, outlet_health
from publisher.tracker.poll import Fetcher
from publisher.tracker.service import Tracker
from publisher.tracker.settings import TrackerSettings
from publisher.tracker.sources import after_error, after_success
from publisher.tracker.work import read_feed
from tests.fakes.feeds import FeedServer, Item, rss
from tests.tracker.conftest import FAST, LOOPBACK, start_campaign

ITEMS = [Item("阳光幼儿园启动阅读月", "孩子们和家长一起读绘本。", "http://news.example/1", "n1")]


def _source(store: Store) -> OutletSource:
    with store.sessions() as session:
        row = session.scalar(select(OutletSource))
        assert row is not None
        return row


def _add(store: Store, clock: ManualClock, *feeds: str, name: str = "城市日报") -> None:
    add_outlet(store, OutletSpec(name=name, feeds=list(feeds)), FAST, clock.now(), "tester")


async def test_conditional_get_sends_the_stored_validators(
    store: Store, clock: ManualClock, tracker: Tracker, feeds: tuple[FeedServer, str]
) -> None:
    server, base = feeds
    server.put("/daily.xml", rss(ITEMS))
    _add(store, clock, f"{base}/daily.xml")
    first = await tracker.run_once()
    assert first.parsed == 1
    etag = server.feeds["/daily.xml"].etag
    assert (_source(store).etag, _source(store).last_modified) == (etag, "Wed, 02 Dec 2026 08:00:00 GMT")

    clock.advance(FAST.min_interval)
    second = await tracker.run_once()
    assert second.not_modified == 1
    seen = server.seen("/daily.xml")
    assert (seen[0].if_none_match, seen[0].if_modified_since) == (None, None)
    assert (seen[1].if_none_match, seen[1].if_modified_since) == (etag, "Wed, 02 Dec 2026 08:00:00 GMT")
    assert seen[1].user_agent == FAST.user_agent
    assert "publisher-tracker" in FAST.user_agent


async def test_the_same_bytes_again_are_not_parsed_again(
    store: Store, clock: ManualClock, tracker: Tracker, feeds: tuple[FeedServer, str]
) -> None:
    server, base = feeds
    server.put("/daily.xml", rss(ITEMS), mode="ignore")  # no validators; the same body every time
    _add(store, clock, f"{base}/daily.xml")
    assert (await tracker.run_once()).parsed == 1
    hashed = _source(store).body_hash
    clock.advance(FAST.min_interval)
    report = await tracker.run_once()
    assert (report.same_bytes, report.parsed) == (1, 0)
    assert _source(store).body_hash == hashed


async def test_failures_back_off_show_their_error_and_recover(
    store: Store, clock: ManualClock, tracker: Tracker, feeds: tuple[FeedServer, str]
) -> None:
    server, base = feeds
    server.put("/daily.xml", rss(ITEMS), mode="status:500")
    _add(store, clock, f"{base}/daily.xml")
    waits = []
    for _ in range(7):
        before = clock.now()
        report = await tracker.run_once(force=True)
        assert report.errors == [("城市日报", f"{base}/daily.xml", "HTTP 500 Internal Server Error")]
        waits.append((_source(store).next_poll_at - before).total_seconds())
    assert waits == [600, 1200, 2400, 4800, 9600, 19200, 21600]  # doubling from min_interval, up to backoff_max
    [health] = outlet_health(store)
    assert (health.status, health.last_error) == ("failing (7)", "HTTP 500 Internal Server Error")
    assert health.last_error_at == clock.now()

    server.feeds["/daily.xml"].mode = "normal"
    await tracker.run_once(force=True)
    [health] = outlet_health(store)
    assert health.status == "ok"
    assert health.last_success_at == clock.now()
    assert health.last_error == "HTTP 500 Internal Server Error"  # still shown, with its time


async def test_retry_after_is_honoured_and_404_is_an_error(
    store: Store, clock: ManualClock, tracker: Tracker, feeds: tuple[FeedServer, str]
) -> None:
    server, base = feeds
    server.put("/busy.xml", rss(ITEMS), mode="status:503")
    _add(store, clock, f"{base}/busy.xml", f"{base}/missing.xml")
    report = await tracker.run_once()
    assert sorted(e for _, _, e in report.errors) == ["HTTP 404 Not Found", "HTTP 503 Service Unavailable"]
    with store.sessions() as session:
        busy = session.scalar(select(OutletSource).where(OutletSource.feed.like("%busy%")))
        assert busy is not None
        assert busy.next_poll_at - clock.now() == timedelta(seconds=7200)  # Retry-After: 7200, over 600


async def test_redirects_are_followed_up_to_five_and_a_loop_is_an_error(feeds: tuple[FeedServer, str]) -> None:
    server, base = feeds
    server.put("/daily.xml", rss(ITEMS))
    async with Fetcher(FAST, policy=LOOPBACK) as fetcher:
        five = await fetcher.fetch(f"{base}/hop/5/daily.xml")
        six = await fetcher.fetch(f"{base}/hop/6/daily.xml")
        loop = await fetcher.fetch(f"{base}/loop/a")
    assert five.error is None
    assert five.url == f"{base}/daily.xml"
    assert five.body
    assert six.error == "more than 5 redirects (a redirect loop?)"
    assert loop.error == "more than 5 redirects (a redirect loop?)"
    assert len(server.seen("/loop/a")) + len(server.seen("/loop/b")) == 6


async def test_a_10_mb_feed_is_refused_at_the_cap_without_reading_it_all(feeds: tuple[FeedServer, str]) -> None:
    server, base = feeds
    server.put("/big.xml", rss(ITEMS), mode="big")  # streamed, no Content-Length
    server.put("/declared.xml", rss(ITEMS), mode="big-declared")
    settings = TrackerSettings()  # the default cap: 8 MiB
    async with Fetcher(settings, policy=LOOPBACK) as fetcher:
        started = time.perf_counter()
        streamed = await fetcher.fetch(f"{base}/big.xml")
        declared = await fetcher.fetch(f"{base}/declared.xml")
        elapsed = time.perf_counter() - started
    assert streamed.body is None
    assert "larger than max_body_bytes = 8388608" in (streamed.error or "")
    assert declared.body is None
    assert "(9.5 MiB)" in (declared.error or "")
    assert elapsed < 10
    async with Fetcher(dataclasses.replace(settings, max_body_bytes=16 * 1024 * 1024), policy=LOOPBACK) as fetcher:
        whole = await fetcher.fetch(f"{base}/big.xml")  # under a larger cap the same feed is read
    assert whole.error is None
    assert whole.body is not None
    assert len(whole.body) > 10_000_000


async def test_slow_servers_time_out_within_the_configured_bounds(feeds: tuple[FeedServer, str]) -> None:
    server, base = feeds
    server.put("/slow.xml", rss(ITEMS), mode="slow")  # a first chunk, then silence
    server.put("/trickle.xml", rss(ITEMS), mode="trickle")  # a byte every 50 ms: never a read timeout
    async with Fetcher(dataclasses.replace(FAST, read_timeout=0.3, total_timeout=1.0), policy=LOOPBACK) as fetcher:
        started = time.perf_counter()
        slow, trickle = await asyncio.gather(fetcher.fetch(f"{base}/slow.xml"), fetcher.fetch(f"{base}/trickle.xml"))
        elapsed = time.perf_counter() - started
    assert slow.error == "the server sent nothing for 0.3 s"
    assert trickle.error == "took longer than 1 s in all"
    assert elapsed < 3


async def test_requests_to_one_host_are_capped(feeds: tuple[FeedServer, str]) -> None:
    server, base = feeds
    for n in range(8):
        server.put(f"/f{n}.xml", rss(ITEMS), mode="held")
    server.hold.clear()
    fast = dataclasses.replace(FAST, per_host_concurrency=2, read_timeout=5, total_timeout=10)
    async with Fetcher(fast, policy=LOOPBACK) as fetcher:
        tasks = [asyncio.create_task(fetcher.fetch(f"{base}/f{n}.xml")) for n in range(8)]
        await server.until(lambda: server.in_flight.get("all", 0) >= 2)
        await asyncio.sleep(0.1)  # give a third request the chance to slip through, if the cap were broken
        assert server.in_flight["all"] == 2
        server.hold.set()
        results = await asyncio.gather(*tasks)
    assert all(r.error is None for r in results)
    assert server.most_in_flight["all"] == 2


def test_the_interval_adapts_between_min_and_max() -> None:
    settings = TrackerSettings(min_interval=600, max_interval=6000)
    now = datetime(2026, 12, 1)
    interval = 600.0
    grown = []
    for _ in range(8):
        interval = after_success(settings, interval, False, now).interval
        grown.append(interval)
    assert grown == [900, 1350, 2025, 3037.5, 4556.25, 6000, 6000, 6000]
    shrunk = [after_success(settings, 6000, True, now).interval, after_success(settings, 700, True, now).interval]
    assert shrunk == [3000, 600]
    assert after_error(settings, 900, 1, now, retry_after=None).interval == 900  # errors leave the interval alone


async def test_a_source_that_changes_is_polled_more_often_than_one_that_does_not(
    store: Store, clock: ManualClock, tracker: Tracker, feeds: tuple[FeedServer, str]
) -> None:
    server, base = feeds
    server.put("/busy.xml", rss(ITEMS))
    server.put("/quiet.xml", rss(ITEMS))
    _add(store, clock, f"{base}/busy.xml", name="busy")
    _add(store, clock, f"{base}/quiet.xml", name="quiet")
    for round_ in range(6):
        # the busy feed has a new article every time; the quiet one never changes
        item = Item(
            f"新闻 {round_}",
            f"第 {round_} 条新闻的内容，足够长以便区分。",
            f"http://news.example/b{round_}",
            f"b{round_}",
        )
        server.put("/busy.xml", rss([item, *ITEMS]))
        await tracker.run_once(force=True)
        clock.advance(60)
    intervals = {h.outlet: h.interval_seconds for h in outlet_health(store)}
    assert intervals == {"busy": FAST.min_interval, "quiet": FAST.min_interval * 1.5**5}


# --- the first pass's CPU work: parsing, folding and matching in the worker processes ---------------------------


class CountingMatcher(Matcher):
    """The pass's matcher, counting the entries matched in this process (a worker's copy counts in the worker)."""

    calls = 0

    def match(self, entry: Prepared) -> list[Match]:
        type(self).calls += 1
        return super().match(entry)


class CountingTracker(Tracker):
    def matcher(self) -> Matcher:
        built = super().matcher()
        built.__class__ = CountingMatcher  # the same matcher, counting what it matches here
        return built


@pytest.mark.parametrize(("workers", "matched_here"), [(1, 0), (0, 3)], ids=["processes", "threads"])
async def test_entries_are_matched_where_they_are_parsed(
    store: Store, clock: ManualClock, queue: Queue, feeds: tuple[FeedServer, str], workers: int, matched_here: int
) -> None:
    """With worker processes the writer matches nothing itself: each worker got the pass's matcher when it started,
    and sends each entry's matches back with it. The coverage is the same either way."""
    server, base = feeds
    start_campaign(queue)
    set_rules(store, "阅读月", any_of=["阅读月"], all_of=[], none_of=[], now=clock.now(), actor="t")
    for n in range(3):
        item = Item(f"阳光幼儿园阅读月 第{n}篇", "孩子们读绘本。", f"http://x.example/{n}", f"g{n}")
        server.put(f"/f{n}.xml", rss([item]))
        _add(store, clock, f"{base}/f{n}.xml", name=f"outlet-{n}")
    CountingMatcher.calls = 0
    settings = dataclasses.replace(FAST, parse_workers=workers)
    tracker = CountingTracker(settings, store, clock, pool_min=3, outbound=LOOPBACK)
    report = await tracker.run_once()
    assert (report.parsed, report.new_entries, report.coverage) == (3, 3, 3)
    assert CountingMatcher.calls == matched_here
    titles = sorted(i.title for i in list_coverage(store, CoverageFilter(campaign="阅读月")))
    assert titles == [f"阳光幼儿园阅读月 第{n}篇" for n in range(3)]


def test_read_feed_matches_with_the_matcher_it_is_given() -> None:
    rules = [CampaignRules(campaign_id=7, any_of=["阅读月"])]
    matcher = Matcher(rules, [])
    parsed, _, matches, _ = read_feed(rss(ITEMS), {}, "http://x.example/feed", "Asia/Shanghai", matcher)
    assert [i.title for i in parsed.items] == ["阳光幼儿园启动阅读月"]
    assert matches is not None
    assert [[m.campaign_id for m in found] for found in matches] == [[7]]
    assert read_feed(rss(ITEMS), {}, "http://x.example/feed", "Asia/Shanghai")[2] is None  # no matcher: the writer's
