"""The coverage and outlets pages: counts per outlet, the timeline, the items with their links, coverage added by
hand and removed, source health, outlets added and removed; who may do which; escaping of what feeds say."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from publisher.clock import ManualClock
from publisher.reports.html import axis
from publisher.store.reports import Bucket
from publisher.tracker.coverage import set_rules
from publisher.tracker.models import Outlet
from publisher.tracker.outlets import OutletSpec, add_outlet, outlet_health, sync_outlets
from publisher.tracker.service import Tracker
from publisher.tracker.settings import OutletSettings
from publisher.web.accounts import UserView
from publisher.web.charts import timeline
from publisher.web.console import Console
from publisher.web.pages.coverage import keywords_in
from tests.fakes.feeds import FeedServer, Item, rss
from tests.fakes.server import serve
from tests.web.conftest import CAMPAIGN, FAST, LOOPBACK, SHANGHAI, Visitor, coverage, events
from tests.web.test_escaping import ACTIVE, SCRIPT


async def test_the_dashboard_counts_per_outlet_draws_the_timeline_and_lists_the_items(
    visitors: Any, reading_month: dict[str, int]
) -> None:
    editor: Visitor = await visitors("eve")
    page = await editor.get("/coverage")  # the campaign with the newest coverage is chosen
    assert page.status_code == 200
    text = page.text
    assert "<option selected>阅读月</option>" in text
    figures = re.findall(r'<div class="figure"><b>(\d+)</b>', text)
    assert figures == ["4", "2", "4", "0"]  # items, outlets, stories, reprints of our posts
    counts = re.search(r'<table class="outlet-counts".*?</table>', text, re.S)
    assert counts is not None
    rows = re.findall(r"<tr>\s*<td>([^<]+)</td>\s*<td>([^<]+)</td>\s*<td>([^<]+)</td>\s*<td>([^<]+)</td>", counts[0])
    assert rows == [("城市日报", "news site", "city", "杭州市"), ("晚报", "paper", "province", "—")]
    assert re.findall(r'<td class="n">(\d+) <svg', counts[0]) == ["3", "1"]
    chart = re.search(r'<svg class="chart".*?</svg>', text, re.S)
    assert chart is not None
    # days in Shanghai from the campaign's start to now (2026-12-01 16:00 there): 11-29, 11-30, 12-01
    tips = re.findall(r"<title>([^<]+)</title></rect>", chart[0])
    assert tips == ["2026-11-29: 1", "2026-11-30: 0", "2026-12-01: 3"]  # 17:00 UTC on 11-30 is 01:00 on 12-01 there
    items = re.findall(r'<tr data-item="(\d+)">', text)
    assert items == [str(reading_month[k]) for k in ("last", "paper", "evening", "first")]  # newest first
    assert '<a href="https://daily.example/4" rel="noopener noreferrer nofollow" target="_blank">阅读月闭幕</a>' in text
    assert "2026-12-01 14:00 CST" in text  # published times in the campaign's zone
    assert "第3版" in text
    assert "/coverage/add" in text  # anyone may add by hand
    assert "/remove" not in text  # only approvers remove


async def test_dates_filter_in_the_campaign_zone(visitors: Any, reading_month: dict[str, int]) -> None:
    editor: Visitor = await visitors("eve")
    text = (await editor.get("/coverage?campaign=阅读月&from=2026-12-01&to=2026-12-01")).text
    # 2026-11-30 17:00 UTC is 01:00 on the 1st in Shanghai: in; 11-29 is out
    shown = re.findall(r'<tr data-item="(\d+)">', text)
    assert shown == [str(reading_month[k]) for k in ("last", "paper", "evening")]
    assert re.findall(r"<title>([^<]+)</title></rect>", text) == ["2026-12-01: 3"]
    assert "2026-12-01 01:00 CST" in text
    wrong = await editor.get("/coverage?campaign=阅读月&from=2026-12-05&to=2026-12-01")
    assert wrong.status_code == 200
    assert "the period is empty" in wrong.text
    unknown = await editor.get("/coverage?campaign=nope")
    assert "there is no campaign nope" in unknown.text


async def test_coverage_found_by_hand_is_added_through_the_tracker_and_logged(
    visitors: Any, console: Console, reading_month: dict[str, int]
) -> None:
    editor: Visitor = await visitors("eve")
    form = {
        "campaign": CAMPAIGN,
        "outlet": "晚报",
        "title": "读书节见闻",
        "published": "2026-12-01T09:30",  # in Shanghai
        "url": "",
        "note": "第5版",
    }
    added = await editor.post("/coverage/add", form)
    assert added.status_code == 303
    assert added.headers["location"] == "/coverage?campaign=%E9%98%85%E8%AF%BB%E6%9C%88"
    [item] = [i for i in coverage(console) if i.title == "读书节见闻"]
    assert (item.outlet, item.matched_by, item.origin, item.note) == ("晚报", "manual", "manual", "第5版")
    assert item.published_at == datetime(2026, 12, 1, 1, 30, tzinfo=UTC)
    [logged] = [e for e in events(console, "coverage.add") if "读书节见闻" in (e.reason or "")]
    assert logged.actor == "eve"
    page = await editor.get(added.headers["location"])
    assert f"Added coverage item {item.id}." in page.text
    refused = await editor.post("/coverage/add", {**form, "url": "javascript:alert(1)"})
    assert refused.status_code == 303
    assert "is not an http(s) URL" in (await editor.get("/coverage?campaign=阅读月")).text
    unknown = await editor.post("/coverage/add", {**form, "outlet": "无此媒体"})
    assert unknown.status_code == 303
    assert "there is no outlet 无此媒体" in (await editor.get("/coverage?campaign=阅读月")).text
    assert len(coverage(console)) == 5


async def test_only_approvers_remove_coverage(visitors: Any, console: Console, reading_month: dict[str, int]) -> None:
    item = reading_month["evening"]
    editor: Visitor = await visitors("eve")
    assert (await editor.post(f"/coverage/{item}/remove", {"reason": "x"})).status_code == 403
    assert len(coverage(console)) == 4
    approver: Visitor = await visitors("园长")
    page = await approver.get("/coverage")
    assert f'action="/coverage/{item}/remove"' in page.text
    removed = await approver.post(f"/coverage/{item}/remove", {"reason": "与我园无关", "campaign": CAMPAIGN})
    assert removed.status_code == 303
    assert item not in [i.id for i in coverage(console)]
    [logged] = events(console, "coverage.remove")
    assert logged.actor == "园长"
    assert "与我园无关" in (logged.reason or "")
    assert (await approver.post(f"/coverage/{item}/remove", {})).status_code == 404  # gone already


async def test_outlets_show_source_health_and_only_admins_manage_them(
    visitors: Any, console: Console, clock: ManualClock, people: dict[str, UserView]
) -> None:
    add_outlet(
        console.store,
        OutletSpec(name="城市日报", tier="city", feeds=["https://news.example/rss.xml"]),
        FAST,
        clock.now(),
        "t",
    )
    sync_outlets(
        console.store,
        {"省门户": OutletSettings(name="省门户", kind="portal", feeds=("rsshub:/x/y",))},
        FAST,
        clock.now(),
    )
    editor: Visitor = await visitors("eve")
    page = await editor.get("/outlets")
    assert page.status_code == 200
    assert "https://news.example/rss.xml" in page.text
    assert "rsshub:/x/y" in page.text
    assert "not polled yet" in page.text
    assert "/outlets/add" not in page.text
    assert "/outlets/remove" not in page.text
    assert (await editor.post("/outlets/add", {"name": "晚报", "kind": "paper"})).status_code == 403
    assert (await editor.post("/outlets/remove", {"name": "城市日报"})).status_code == 403
    approver: Visitor = await visitors("园长")
    assert (await approver.post("/outlets/add", {"name": "晚报", "kind": "paper"})).status_code == 403
    assert sorted({h.outlet for h in outlet_health(console.store)}) == ["城市日报", "省门户"]

    admin: Visitor = await visitors("ada")
    form = {"name": "晚报", "kind": "paper", "tier": "province", "region": "", "feeds": ""}
    assert (await admin.post("/outlets/add", form)).status_code == 303
    feeds = {
        "name": "区教育局",
        "kind": "official_account",
        "feeds": "rsshub:/weibo/user/1\r\nhttps://edu.example/a.xml\r\n",
    }
    assert (await admin.post("/outlets/add", feeds)).status_code == 303
    health = {(h.outlet, h.feed) for h in outlet_health(console.store)}
    assert {("晚报", None), ("区教育局", "rsshub:/weibo/user/1"), ("区教育局", "https://edu.example/a.xml")} <= health
    page = await admin.get("/outlets")
    assert "Outlet 区教育局 added with 2 feeds." in page.text
    assert "no feed: its coverage is added by hand" in page.text
    assert "in the config file" in page.text  # 省门户 comes from the config file: changed there
    bad = await admin.post("/outlets/add", {"name": "坏", "kind": "news_site", "feeds": "ftp://x"})
    assert bad.status_code == 303
    assert "is not a feed URL" in (await admin.get("/outlets")).text
    page = await admin.get("/outlets")
    assert '<option value="district">district</option>' in page.text  # the tiers to choose from
    assert (await admin.post("/outlets/add", {"name": "坏", "kind": "news_site", "tier": "galaxy"})).status_code == 303
    assert "unknown tier &#39;galaxy&#39;" in (await admin.get("/outlets")).text
    assert (await admin.post("/outlets/remove", {"name": "晚报", "reason": "停刊"})).status_code == 303
    assert "晚报" not in {h.outlet for h in outlet_health(console.store)}
    assert (await admin.post("/outlets/remove", {"name": "省门户"})).status_code == 303
    assert "is defined in the config file" in (await admin.get("/outlets")).text
    assert [e.actor for e in events(console, "outlet.remove")] == ["ada"]


async def test_failing_sources_show_their_error_and_next_poll(
    visitors: Any, console: Console, clock: ManualClock, people: dict[str, UserView]
) -> None:
    server = FeedServer()
    server.put("/down.xml", b"", mode="status:503")
    async with serve(server.app()) as base:
        add_outlet(console.store, OutletSpec(name="城市日报", feeds=[f"{base}/down.xml"]), FAST, clock.now(), "t")
        report = await Tracker(FAST, console.store, clock, timezone=SHANGHAI, outbound=LOOPBACK).run_once(force=True)
    assert len(report.errors) == 1
    editor: Visitor = await visitors("eve")
    text = (await editor.get("/outlets")).text
    assert "failing (1 in a row)" in text
    assert "503" in text
    assert "2026-12-01 18:00 CST" in text  # the next poll: the server said Retry-After: 7200


async def test_outlet_names_and_feed_titles_are_escaped(
    visitors: Any, console: Console, clock: ManualClock, people: dict[str, UserView]
) -> None:
    """What a feed says, and what an admin types, is shown as text: never markup, never a javascript: link."""
    queue = console.queue("setup")
    queue.add_campaign(CAMPAIGN, timezone=SHANGHAI)
    set_rules(console.store, CAMPAIGN, any_of=["阅读月"], all_of=[], none_of=[], now=clock.now(), actor="t")
    server = FeedServer()
    items = [
        # escaped once inside the XML: the title *text* is "阅读月<script>alert(1)</script>"
        Item("阅读月&lt;script&gt;alert(1)&lt;/script&gt;", "阅读月", "http://daily.example/a/1", "g-1"),
        Item("阅读月 javascript", "阅读月", "javascript:alert(3)", "g-2"),
    ]
    server.put("/daily.xml", rss(items, title=f"城市日报{SCRIPT}"))
    outlet = f"<b>城市日报</b>{SCRIPT}"
    async with serve(server.app()) as base:
        add_outlet(console.store, OutletSpec(name=outlet, feeds=[f"{base}/daily.xml"]), FAST, clock.now(), "t")
        with console.store.session() as session:  # a free-text tier from before the tiers (migration 0011 kept it)
            session.execute(update(Outlet).where(Outlet.name == outlet).values(tier=f"<i>{SCRIPT}</i>"))
        report = await Tracker(FAST, console.store, clock, timezone=SHANGHAI, outbound=LOOPBACK).run_once(force=True)
    assert report.coverage == 2
    titles = sorted(i.title for i in coverage(console))
    assert f"阅读月{SCRIPT}" in titles  # stored as the feed gave it
    approver: Visitor = await visitors("园长")
    for path in ("/coverage", "/coverage?campaign=阅读月", "/outlets", "/reports"):
        text = (await approver.get(path)).text
        assert SCRIPT not in text, path
        assert "<b>城市日报" not in text, path
        assert not ACTIVE.search(text), path
        assert "javascript:" not in text, path
    text = (await approver.get("/coverage")).text
    assert "阅读月&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "&lt;b&gt;城市日报&lt;/b&gt;" in text


async def test_anonymous_visitors_see_nothing(visitors: Any, reading_month: dict[str, int], console: Console) -> None:
    anonymous: Visitor = await visitors()
    for path in ("/coverage", "/coverage?campaign=阅读月", "/outlets", "/reports", "/reports/download?format=json"):
        response = await anonymous.http.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/login?next="), path
        assert "阅读月" not in response.text
    await anonymous.get("/login")  # a session with a CSRF token, but no one signed in
    for path in ("/coverage/add", f"/coverage/{reading_month['first']}/remove", "/outlets/add", "/outlets/remove"):
        response = await anonymous.post(path, {"campaign": CAMPAIGN, "outlet": "晚报", "title": "x", "name": "晚报"})
        assert response.status_code == 401, path
    for path in ("/api/coverage", "/api/reports?format=json"):
        assert (await anonymous.http.get(path)).status_code == 401
    assert len(coverage(console)) == 4


async def test_state_changes_without_a_csrf_token_are_refused(
    visitors: Any, console: Console, reading_month: dict[str, int]
) -> None:
    admin: Visitor = await visitors("ada")
    form = {"campaign": CAMPAIGN, "outlet": "晚报", "title": "伪造", "published": "2026-12-01T09:00", "name": "晚报"}
    for path in ("/coverage/add", f"/coverage/{reading_month['first']}/remove", "/outlets/add", "/outlets/remove"):
        assert (await admin.post(path, form, csrf=False)).status_code == 403, path
        assert (await admin.post(path, {**form, "csrf_token": "forged"})).status_code == 403, path
    assert len(coverage(console)) == 4
    assert {h.outlet for h in outlet_health(console.store)} == {"城市日报", "晚报"}


def test_the_timeline_is_scaled_to_a_round_axis() -> None:
    assert axis(0) == (1, 1)
    assert axis(3) == (3, 3)
    assert axis(7) == (8, 4)
    assert axis(37) == (40, 4)
    assert axis(430) == (800, 4)
    day = datetime(2026, 12, 1).date()
    chart = timeline([Bucket(day + timedelta(days=i), day + timedelta(days=i), n) for i, n in enumerate([0, 4, 2])])
    heights = [bar.height for bar in chart.bars]
    assert heights[0] == 0
    assert heights[1] == 2 * heights[2]
    assert all(bar.y + bar.height == pytest.approx(chart.baseline) for bar in chart.bars)
    assert [t.value for t in chart.ticks] == [0, 1, 2, 3, 4]
    assert chart.total == 6
    month = timeline([Bucket(day + timedelta(days=i), day + timedelta(days=i), 1) for i in range(60)])
    assert sum(1 for bar in month.bars if bar.label) <= 12
    assert not month.counts


def test_the_keywords_found_are_read_from_the_trackers_description() -> None:
    assert keywords_in("keywords: 阅读月, 绘本") == "阅读月, 绘本"
    assert keywords_in("keywords: 阅读月; reprint of post 3 (0.82)") == "阅读月"
    assert keywords_in("reprint of post 3 (0.82)") is None
    assert keywords_in(None) is None
