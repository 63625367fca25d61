"""The full-text step over loopback: headline-only entries get their article page fetched, matched on its text, and
the page kept as evidence (publisher.tracker.fulltext, publisher.store.articles)."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, update

from publisher.queue import Queue
from publisher.store import Store
from publisher.store.articles import evidence_of
from publisher.tracker.coverage import CoverageFilter, list_coverage, set_rules
from publisher.tracker.models import ArticlePage, FeedEntry, Outlet
from publisher.tracker.outlets import OutletSpec, add_outlet, edit_outlet, sync_outlets
from publisher.tracker.service import Tracker
from publisher.tracker.settings import OutletSettings
from tests.fakes.feeds import FeedServer, Item, rss
from tests.tracker.conftest import FAST, LOOPBACK, start_campaign

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
WITH_TEXT = dataclasses.replace(FAST, full_text=True)

ABOUT_US = "<p>阳光幼儿园阅读月活动中，孩子们走进市图书馆，和馆员一起挑选绘本，又在阅览室里听了两个故事。</p>"
ELSEWHERE = "<p>市体育中心游泳馆完成改造，本周起向市民开放，每天开放到晚上九点，学生凭证件半价。</p>"


def page(body: str, *, other: str = "全区中小学秋季运动会开幕") -> bytes:
    return (
        '<html><head><meta charset="utf-8"><title>t</title></head><body><div class="nav"><a href="/">首页</a></div>'
        f"<div class='article'><h1>标题</h1>{body}<p>上一篇：<a href='/x'>{other}</a></p></div>"
        "<div class='footer'>版权所有</div></body></html>"
    ).encode()


@pytest.fixture
def reading(store: Store, queue: Queue) -> None:
    start_campaign(queue)
    set_rules(store, "阅读月", any_of=["阅读月"], all_of=[], none_of=[], now=NOW, actor="t")


def headline_feed(server: FeedServer, base: str, path: str, *items: tuple[str, str]) -> str:
    """A feed whose entries have a headline and no summary, like an official account's through an RSS bridge."""
    server.put(path, rss([Item(title, "", f"{base}{link}", link) for title, link in items]))
    return f"{base}{path}"


def outlet(store: Store, name: str, feed: str) -> None:
    add_outlet(store, OutletSpec(name=name, tier="city", feeds=[feed]), FAST, NOW, "tester")


@pytest.mark.usefixtures("reading")
async def test_an_article_whose_headline_has_no_keyword_is_found_by_its_page(
    store: Store, clock, feeds: tuple[FeedServer, str]
) -> None:
    server, base = feeds
    ours, theirs = page(ABOUT_US), page(ELSEWHERE, other="阳光幼儿园启动阅读月")
    server.put("/a/1.html", ours, content_type="text/html; charset=utf-8")
    server.put("/a/2.html", theirs, content_type="text/html; charset=utf-8")
    outlet(
        store,
        "教育号",
        headline_feed(server, base, "/feed.xml", ("孩子们走进图书馆", "/a/1.html"), ("游泳馆开放", "/a/2.html")),
    )

    report = await Tracker(WITH_TEXT, store, clock, outbound=LOOPBACK).run_once()

    items = list_coverage(store, CoverageFilter(campaign="阅读月"))
    assert [item.title for item in items] == ["孩子们走进图书馆"]  # not the page that only links to our story
    assert report.coverage == 1
    assert all("text/html" in (seen.accept or "") for seen in server.seen("/a/1.html"))
    with store.sessions() as session:
        summary = session.scalar(select(FeedEntry.summary).where(FeedEntry.title == "孩子们走进图书馆"))
        evidence = evidence_of(session, [items[0].id])[items[0].id]
    assert summary is not None
    assert "走进市图书馆" in summary
    assert "游泳馆" not in summary
    assert evidence.html == ours
    assert evidence.sha256 == hashlib.sha256(ours).hexdigest()
    assert evidence.url == f"{base}/a/1.html"


@pytest.mark.usefixtures("reading")
async def test_each_page_is_fetched_once_and_a_failed_one_is_not_retried(
    store: Store, clock, feeds: tuple[FeedServer, str]
) -> None:
    server, base = feeds
    server.put("/a/1.html", page(ABOUT_US), content_type="text/html")
    feed = headline_feed(server, base, "/feed.xml", ("孩子们走进图书馆", "/a/1.html"), ("一则消息", "/a/gone.html"))
    outlet(store, "教育号", feed)
    outlet(store, "转载号", headline_feed(server, base, "/other.xml", ("图书馆里的孩子们", "/a/1.html")))
    tracker = Tracker(WITH_TEXT, store, clock, outbound=LOOPBACK)

    await tracker.run_once()
    await tracker.run_once(force=True)

    assert len(server.seen("/a/1.html")) == 1  # two outlets, two passes: one fetch
    assert len(server.seen("/a/gone.html")) == 1
    with store.sessions() as session:
        gone = session.scalar(select(ArticlePage).where(ArticlePage.url.like("%gone%")))
    assert gone is not None
    assert gone.error == "HTTP 404 Not Found"
    assert gone.html_gz is None
    assert len(list_coverage(store, CoverageFilter(campaign="阅读月"))) == 2  # both outlets carried it


@pytest.mark.usefixtures("reading")
async def test_an_outlet_or_the_tracker_can_turn_it_off(store: Store, clock, feeds: tuple[FeedServer, str]) -> None:
    server, base = feeds
    server.put("/a/1.html", page(ABOUT_US), content_type="text/html")
    outlet(store, "教育号", headline_feed(server, base, "/feed.xml", ("孩子们走进图书馆", "/a/1.html")))

    await Tracker(FAST, store, clock, outbound=LOOPBACK).run_once()  # [tracker] full_text = false
    with store.session() as session:
        session.execute(update(Outlet).values(full_text=False))
    await Tracker(WITH_TEXT, store, clock, outbound=LOOPBACK).run_once(force=True)

    assert server.seen("/a/1.html") == []
    assert list_coverage(store, CoverageFilter(campaign="阅读月")) == []


@pytest.mark.usefixtures("reading")
async def test_a_pass_fetches_at_most_its_share_of_pages_newest_first(
    store: Store, clock, feeds: tuple[FeedServer, str]
) -> None:
    server, base = feeds
    for n in range(3):
        server.put(f"/a/{n}.html", page(ELSEWHERE), content_type="text/html")
    feed = headline_feed(server, base, "/feed.xml", *((f"消息{n}", f"/a/{n}.html") for n in range(3)))
    outlet(store, "教育号", feed)

    await Tracker(dataclasses.replace(WITH_TEXT, full_text_per_pass=2), store, clock, outbound=LOOPBACK).run_once()

    with store.sessions() as session:
        assert session.scalar(select(func.count()).select_from(ArticlePage)) == 2


@pytest.mark.usefixtures("reading")
async def test_what_is_not_a_web_page_is_not_read(store: Store, clock, feeds: tuple[FeedServer, str]) -> None:
    server, base = feeds
    server.put("/a/1.pdf", "%PDF-1.4 阅读月".encode(), content_type="application/pdf")
    outlet(store, "教育号", headline_feed(server, base, "/feed.xml", ("一份文件", "/a/1.pdf")))

    await Tracker(WITH_TEXT, store, clock, outbound=LOOPBACK).run_once()

    with store.sessions() as session:
        kept = session.scalar(select(ArticlePage))
    assert kept is not None
    assert kept.error == "not a web page (application/pdf)"
    assert list_coverage(store, CoverageFilter(campaign="阅读月")) == []


def test_an_outlet_turns_it_off_in_the_config_or_with_outlet_edit(store: Store) -> None:
    def full_text(name: str) -> bool | None:
        with store.sessions() as session:
            return session.scalar(select(Outlet.full_text).where(Outlet.name == name))

    sync_outlets(store, {"晚报": OutletSettings(name="晚报", full_text=False)}, FAST, NOW)
    outlet(store, "教育号", "http://127.0.0.1:9/feed.xml")
    assert (full_text("晚报"), full_text("教育号")) == (False, True)

    edit_outlet(store, "教育号", NOW, "editor", full_text=False)
    edit_outlet(store, "教育号", NOW, "editor", region="杭州市")  # another change leaves it as it is
    add_outlet(store, OutletSpec(name="教育号", feeds=["http://127.0.0.1:9/other.xml"]), FAST, NOW, "editor")

    assert full_text("教育号") is False
