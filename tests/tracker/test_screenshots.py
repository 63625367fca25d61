"""Pictures of kept pages ([tracker] screenshots): drawn by a real headless Chromium from the page as kept, with
nothing fetched, kept beside the page, shown by `coverage show --screenshot` and the console's evidence page."""

from __future__ import annotations

import dataclasses
import io
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image

from publisher.queue import Queue
from publisher.store import Store
from publisher.tracker.coverage import CoverageFilter, list_coverage, set_rules
from publisher.tracker.evidence import evidence_for
from publisher.tracker.screenshot import HEIGHT, WIDTH, offline_copy
from publisher.tracker.service import Tracker
from tests.fakes.feeds import FeedServer, Item, rss
from tests.tracker.conftest import FAST, LOOPBACK, start_campaign
from tests.tracker.test_fulltext import outlet

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
CHROMIUM = os.environ.get("PUBLISHER_TEST_CHROMIUM", "/usr/bin/chromium")
POLICY = b'<meta http-equiv="Content-Security-Policy" content="default-src \'none\''


def chromium() -> str:
    if not Path(CHROMIUM).exists():
        reason = f"no Chromium at {CHROMIUM}: install Debian's `chromium` (tests/integration/chromium.sh start)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)  # CI provides it: a missing browser is a failure there, not a skip
        pytest.skip(reason)
    return CHROMIUM


def test_the_no_fetching_policy_comes_first_after_a_byte_order_mark() -> None:
    assert offline_copy(b"<html><body>x</body></html>").startswith(POLICY)
    utf8 = offline_copy(b"\xef\xbb\xbf<html>")
    assert utf8.startswith(b"\xef\xbb\xbf" + POLICY)
    utf16 = offline_copy("\ufeff<html>".encode("utf-16-le"))
    assert utf16.decode("utf-16-le").startswith("\ufeff" + POLICY.decode())


async def test_a_kept_page_of_coverage_is_drawn_offline_and_shown(
    store: Store, queue: Queue, clock, feeds: tuple[FeedServer, str], tmp_path: Path
) -> None:
    server, base = feeds
    start_campaign(queue)
    set_rules(store, "阅读月", any_of=["阅读月"], all_of=[], none_of=[], now=NOW, actor="t")
    article = (
        '<html><head><meta charset="utf-8"><title>t</title>'
        f'<link rel="stylesheet" href="{base}/style.css"><script src="{base}/track.js"></script></head>'
        "<body><article><h1>孩子们走进图书馆</h1><p>阳光幼儿园阅读月活动中，孩子们走进市图书馆挑选绘本。</p>"
        f'<img src="{base}/photo.png"><iframe src="{base}/frame.html"></iframe>'
        '<img src="file:///etc/hostname"></article></body></html>'
    ).encode()
    other = b"<html><body><article><h1>x</h1><p>" + "游泳馆本周起开放。".encode() * 30 + b"</p></article></body></html>"
    server.put("/a/1.html", article, content_type="text/html; charset=utf-8")
    server.put("/a/2.html", other, content_type="text/html; charset=utf-8")
    server.put(
        "/feed.xml",
        rss([Item("孩子们走进图书馆", "", f"{base}/a/1.html", "1"), Item("游泳馆", "", f"{base}/a/2.html", "2")]),
    )
    outlet(store, "教育号", f"{base}/feed.xml")
    settings = dataclasses.replace(FAST, full_text=True, screenshots=True, screenshot_browser=chromium())

    await Tracker(settings, store, clock, outbound=LOOPBACK).run_once()

    [item] = list_coverage(store, CoverageFilter(campaign="阅读月"))
    kept = evidence_for(store, item.id)
    assert kept.page.screenshot_png is not None
    assert kept.page.screenshot_at == clock.now()
    picture = Image.open(io.BytesIO(kept.page.screenshot_png))
    assert (picture.format, picture.size) == ("PNG", (WIDTH, HEIGHT))
    # something was drawn: the headline's dark pixels on the white page
    assert picture.convert("L").getextrema()[0] < 100  # type: ignore[operator]
    # the browser asked the stand-in for nothing: not the style sheet, script, image or frame
    for path in ("/style.css", "/track.js", "/photo.png", "/frame.html"):
        assert server.seen(path) == [], path
    # the page that is not coverage was kept (its text was read) but not drawn
    from sqlalchemy import select

    from publisher.tracker.models import ArticlePage

    with store.sessions() as session:
        drawn = dict(session.execute(select(ArticlePage.url, ArticlePage.screenshot_png.is_not(None))).all())
    assert drawn == {f"{base}/a/1.html": True, f"{base}/a/2.html": False}


async def test_no_browser_leaves_the_page_without_a_picture(
    store: Store, queue: Queue, clock, feeds: tuple[FeedServer, str]
) -> None:
    server, base = feeds
    start_campaign(queue)
    set_rules(store, "阅读月", any_of=["阅读月"], all_of=[], none_of=[], now=NOW, actor="t")
    article = (
        "<html><body><article><h1>走进图书馆</h1>"
        "<p>阳光幼儿园阅读月活动中，孩子们走进市图书馆挑选绘本。</p></article></body></html>"
    )
    server.put("/a/1.html", article.encode(), content_type="text/html; charset=utf-8")
    server.put("/feed.xml", rss([Item("走进图书馆", "", f"{base}/a/1.html", "1")]))
    outlet(store, "教育号", f"{base}/feed.xml")
    settings = dataclasses.replace(FAST, full_text=True, screenshots=True, screenshot_browser="/nonexistent/chromium")

    report = await Tracker(settings, store, clock, outbound=LOOPBACK).run_once()

    [item] = list_coverage(store, CoverageFilter(campaign="阅读月"))
    assert report.coverage == 1
    assert evidence_for(store, item.id).page.screenshot_png is None
