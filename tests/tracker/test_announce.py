"""Our own website's articles announced on other channels (publisher.services.announce): the first read announces
nothing, each later article becomes one post (title, summary, link, first image) under its campaign's rules, an
article is named by its guid and its link, and `publisher source` adds, lists and removes sources."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from publisher.clock import ManualClock
from publisher.errors import NotFoundError, ValidationError
from publisher.models import Post
from publisher.queue import Queue
from publisher.services.announce import INTERVAL, Announcer, add_source, list_sources, remove_source
from publisher.store import Store
from tests.conftest import make_settings
from tests.fakes.feeds import FeedServer, Item, rss
from tests.tracker.conftest import FAST, LOOPBACK

NOW = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
OLD = [Item("开学典礼", "新学期开学典礼举行。", "https://school.example.cn/a/1", "a1")]
IMAGE = "https://school.example.cn/img/run.jpg"
NEW = Item(
    "校运会圆满落幕",
    f'<p>全校师生参加了第十届校运会。</p><img src="{IMAGE}">',
    "https://school.example.cn/a/2",
    "a2",
    published=datetime(2026, 12, 3, 9, 0, tzinfo=UTC),
)


def posts(store: Store) -> list[Post]:
    with store.sessions() as session:
        return list(session.scalars(select(Post).order_by(Post.id)))


@pytest.fixture
def announcer(store: Store, clock: ManualClock, tmp_path: Path) -> Announcer:
    channels = {"site": {"kind": "outbox", "folder": str(tmp_path / "site")}}
    settings = dataclasses.replace(make_settings(tmp_path, channels), tracker=FAST, outbound=LOOPBACK)
    adapters = settings.build_adapters(httpx.AsyncClient(), {})
    store.sync_channels({"site": "outbox"}, clock.now())
    return Announcer(settings, store, clock, adapters)


async def test_new_articles_become_posts_and_the_past_does_not(
    store: Store, clock: ManualClock, queue: Queue, announcer: Announcer, feeds: tuple[FeedServer, str]
) -> None:
    server, base = feeds
    clock.set(NOW)
    queue.add_campaign("校运会", timezone="Asia/Shanghai", requires_approval=True)
    server.put("/feed.xml", rss(OLD))
    add_source(store, announcer.adapters, "学校官网", f"{base}/feed.xml", ["site"], "校运会", NOW, "eve")

    first = await announcer.run_due()
    assert first == []  # subscribing: what the feed held is the past
    assert await announcer.run_due() == []  # not due again before its interval
    server.put("/feed.xml", rss([*OLD, NEW]))
    clock.set(NOW + timedelta(seconds=INTERVAL + 1))
    [queued] = await announcer.run_due()
    # the same article again under another guid (its link names it), and again as it was: nothing new
    server.put("/feed.xml", rss([*OLD, NEW, dataclasses.replace(NEW, guid="a2-renamed")]))
    clock.set(NOW + timedelta(seconds=2 * INTERVAL + 2))
    again = await announcer.run_due()

    [post] = posts(store)
    assert post.id == queued
    assert post.title == "校运会圆满落幕"
    assert post.body == "全校师生参加了第十届校运会。"
    assert post.link == "https://school.example.cn/a/2"
    assert post.images == [IMAGE]
    assert post.approval == "pending"  # the campaign's rule: an approver signs it off first
    assert post.created_by == "source:学校官网"
    assert again == []
    [row] = list_sources(store)
    assert (row.name, row.channels, row.campaign, row.announced, row.primed) == (
        "学校官网",
        ["site"],
        "校运会",
        1,
        True,
    )
    assert [seen.path for seen in server.seen("/feed.xml")][-1] == "/feed.xml"


async def test_a_feed_that_fails_is_said_and_tried_again_later(
    store: Store, clock: ManualClock, announcer: Announcer, feeds: tuple[FeedServer, str]
) -> None:
    _, base = feeds
    clock.set(NOW)
    add_source(store, announcer.adapters, "官网", f"{base}/missing.xml", ["site"], None, NOW, "eve")

    assert await announcer.run_due() == []

    [row] = list_sources(store)
    assert row.last_error is not None
    assert "404" in row.last_error
    assert row.primed is False


def test_a_source_is_checked_before_anything_is_written(store: Store, announcer: Announcer) -> None:
    adapters = announcer.adapters
    with pytest.raises(ValidationError, match="not a feed URL"):
        add_source(store, adapters, "官网", "ftp://x.cn/feed", ["site"], None, NOW, "eve")
    with pytest.raises(ValidationError, match="unknown channel weibo: configured channels are site"):
        add_source(store, adapters, "官网", "https://x.cn/feed", ["weibo"], None, NOW, "eve")
    with pytest.raises(ValidationError, match="--channel"):
        add_source(store, adapters, "官网", "https://x.cn/feed", [], None, NOW, "eve")
    with pytest.raises(NotFoundError, match="no campaign 不存在"):
        add_source(store, adapters, "官网", "https://x.cn/feed", ["site"], "不存在", NOW, "eve")
    assert list_sources(store) == []
    add_source(store, adapters, "官网", "https://x.cn/feed", ["site"], None, NOW, "eve")
    with pytest.raises(ValidationError, match="already a source named 官网"):
        add_source(store, adapters, "官网", "https://x.cn/other", ["site"], None, NOW, "eve")
    remove_source(store, "官网")
    assert list_sources(store) == []
    with pytest.raises(NotFoundError, match="no source 官网"):
        remove_source(store, "官网")
