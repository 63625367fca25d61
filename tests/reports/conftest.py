"""A known campaign for the report tests: its posts, their deliveries, and its coverage, with the figures it gives.

阅读月 (Asia/Shanghai, from Monday 23 November 2026), reported on Monday 7 December 2026 at 09:00:

- posts: 启动 on website and weibo (both sent); 亲子共读 on website (sent) and weibo (failed); 绘本漂流 on website
  (still queued): 2 posts out, 3 deliveries sent, 5 in all;
- coverage: 城市日报 3 items, 省教育网 2 (one reprints our first post, in the same story as 城市日报's first),
  区融媒体中心 1: 6 items, 5 stories, 1 reprint; plus one removed item and one of another campaign, not counted.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from publisher.clock import ManualClock
from publisher.models import Delivery, DeliveryState
from publisher.queue import PostDraft, Queue
from publisher.store import Store
from publisher.tracker.coverage import add_manual, remove_coverage
from publisher.tracker.models import CoverageItem
from publisher.tracker.outlets import OutletSpec, add_outlet
from publisher.tracker.settings import TrackerSettings

ZONE = ZoneInfo("Asia/Shanghai")
CAMPAIGN = "阅读月"
REPORTED_AT = datetime(2026, 12, 7, 9, 0, tzinfo=ZONE)


def at(day: int, hour: int, minute: int = 0, month: int = 12) -> datetime:
    """A time in Asia/Shanghai, as the aware UTC datetime the database keeps."""
    return datetime(2026, month, day, hour, minute, tzinfo=ZONE).astimezone(UTC)


@dataclasses.dataclass
class Known:
    campaign: str
    posts: dict[str, int]
    items: dict[str, int]  # label -> coverage item id
    now: datetime


def deliver(store: Store, post_id: int, channel: str, state: DeliveryState, when: datetime, **values: object) -> None:
    """Set a delivery's outcome as the dispatcher would have recorded it."""
    from sqlalchemy import select

    from publisher.models import Channel

    with store.session() as session:
        channel_id = session.scalar(select(Channel.id).where(Channel.name == channel))
        extra: dict[str, object] = {"state": state.value, "updated_at": when, **values}
        if state == DeliveryState.SENT:
            extra["sent_at"] = when
        session.execute(
            update(Delivery).where(Delivery.post_id == post_id, Delivery.channel_id == channel_id).values(**extra)
        )


def coverage(store: Store, campaign: str, outlet: str, title: str, when: datetime, url: str | None) -> int:
    return add_manual(
        store,
        campaign=campaign,
        outlet=outlet,
        title=title,
        published_at=when,
        url=url,
        note=None,
        now=when,
        actor="tester",
    )


def outlets(store: Store) -> None:
    for spec in (
        OutletSpec(name="城市日报", kind="news_site", tier="city", region="杭州市"),
        OutletSpec(name="省教育网", kind="portal", tier="province"),
        OutletSpec(name="区融媒体中心", kind="official_account", tier="district"),
        OutletSpec(name="晚报", kind="paper", tier="city"),
    ):
        add_outlet(store, spec, TrackerSettings(), at(20, 9, month=11), "tester")


def set_coverage(store: Store, item_id: int, **columns: object) -> None:
    """Write a coverage item's columns directly: as the tracker's matching would, or what no service would store."""
    with store.session() as session:
        session.execute(update(CoverageItem).where(CoverageItem.id == item_id).values(**columns))


@pytest.fixture
def known(store: Store, queue: Queue, clock: ManualClock) -> Known:
    queue.add_campaign(CAMPAIGN, timezone="Asia/Shanghai", starts_at=at(23, 0, month=11))
    queue.add_campaign("另一个活动", timezone="Asia/Shanghai")
    outlets(store)
    posts = {}
    for key, title, channels in (
        ("kickoff", "阳光幼儿园“书香润童心”阅读月启动", ["website", "weibo"]),
        ("reading", "亲子共读半小时", ["website", "weibo"]),
        ("notice", "绘本漂流活动通知", ["website"]),
    ):
        draft = PostDraft(title=title, body="正文。", channels=channels, now=True, campaign=CAMPAIGN)
        posts[key] = queue.add_post(draft)
    deliver(store, posts["kickoff"], "website", DeliveryState.SENT, at(1, 16), remote_url="https://kg.example.cn/n/1")
    deliver(store, posts["kickoff"], "weibo", DeliveryState.SENT, at(1, 16, 5), remote_url="https://weibo.example/1")
    deliver(store, posts["reading"], "website", DeliveryState.SENT, at(2, 10), remote_url="https://kg.example.cn/n/2")
    deliver(store, posts["reading"], "weibo", DeliveryState.FAILED, at(2, 10), last_error="token expired")
    deliver(store, posts["notice"], "website", DeliveryState.QUEUED, at(9, 9))
    items = {
        "daily1": coverage(
            store, CAMPAIGN, "城市日报", "阳光幼儿园启动阅读月", at(1, 18), "https://daily.example.cn/a/1"
        ),
        "portal1": coverage(
            store, CAMPAIGN, "省教育网", "书香润童心：幼儿园里的阅读月", at(2, 8), "https://edu.example.cn/1"
        ),
        "district": coverage(store, CAMPAIGN, "区融媒体中心", "区里的孩子们爱上绘本", at(2, 20), None),
        "daily2": coverage(
            store, CAMPAIGN, "城市日报", "亲子共读走进大一班", at(3, 9, 30), "https://daily.example.cn/a/2"
        ),
        "portal2": coverage(store, CAMPAIGN, "省教育网", "阅读月第二周", at(4, 11), "https://edu.example.cn/2"),
        "daily3": coverage(store, CAMPAIGN, "城市日报", "绘本漂流即将开始", at(5, 7), "https://daily.example.cn/a/3"),
        "removed": coverage(store, CAMPAIGN, "省教育网", "误报", at(3, 12), "https://edu.example.cn/x"),
        "other": coverage(store, "另一个活动", "晚报", "另一个活动的报道", at(3, 12), None),
    }
    remove_coverage(store, items["removed"], at(4, 9), "tester", "not ours")
    # the portal's first item reprints our first post: one story with the daily's
    set_coverage(
        store,
        items["portal1"],
        matched_by="similarity",
        matched_terms=f"post {posts['kickoff']}",
        post_id=posts["kickoff"],
        reprint_group=items["daily1"],
    )
    clock.set(REPORTED_AT)
    return Known(CAMPAIGN, posts, items, REPORTED_AT.astimezone(UTC))


NARRATIVE_ZH = (
    "“阅读月”活动开展以来，通过website、weibo等2个渠道发布活动信息2篇，累计推送3次；"
    "城市日报、省教育网、区融媒体中心等3家媒体先后刊发活动报道6篇，其中城市日报3篇、省教育网2篇、区融媒体中心1篇。"
)
NARRATIVE_EN = (
    "Since the campaign “阅读月” began, we published 2 items on 2 channels (website and weibo), 3 deliveries in all; "
    "城市日报, 省教育网 and 区融媒体中心 carried 6 reports on it (城市日报 3, 省教育网 2, 区融媒体中心 1)."
)
