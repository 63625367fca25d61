"""Coverage alerts: new coverage told to the team on its channel, one post per cron occurrence, once however many
daemons, a dead run finished, old items never sent ([alerts], publisher.tracker.alerts)."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from publisher.clock import ManualClock
from publisher.config import Settings, load_settings
from publisher.errors import ConfigError
from publisher.models import Post
from publisher.queue import Queue
from publisher.scheduler import waking_job
from publisher.store import Store
from publisher.store.alerts import claim_new_items
from publisher.tracker.alerts import CoverageAlerts
from publisher.tracker.coverage import add_manual, remove_coverage
from publisher.tracker.outlets import OutletSpec, add_outlet
from publisher.tracker.settings import AlertSettings
from tests.conftest import START, make_settings
from tests.tracker.conftest import FAST

QUARTER = START + timedelta(minutes=15)  # 16:15 in Shanghai: an occurrence of "*/15 * * * *"


@pytest.fixture
def campaign(store: Store, queue: Queue) -> None:
    queue.add_campaign("阅读月", timezone="Asia/Shanghai")
    queue.add_campaign("运动会", timezone="Asia/Shanghai")
    add_outlet(store, OutletSpec(name="城市日报", tier="city"), FAST, START, "t")
    add_outlet(store, OutletSpec(name="区融媒体中心", tier="district"), FAST, START, "t")


def settings(tmp_path: Path, **alerts: Any) -> Settings:
    made = dataclasses.replace(make_settings(tmp_path), timezone="Asia/Shanghai")
    return dataclasses.replace(made, alerts=AlertSettings(**{"channel": "website", **alerts}))


def alerts(settings: Settings, store: Store, clock: ManualClock, owner: str = "a") -> CoverageAlerts:
    return CoverageAlerts(settings, store, clock, settings.build_adapters(httpx.AsyncClient(), {}), owner=owner)


def item(store: Store, clock: ManualClock, title: str, outlet: str = "城市日报", campaign: str = "阅读月") -> int:
    return add_manual(
        store,
        campaign=campaign,
        outlet=outlet,
        title=title,
        published_at=clock.now(),
        url=f"https://news.example/{len(title)}",
        note=None,
        now=clock.now(),
        actor="tracker",
    )


def alert_posts(store: Store) -> list[Post]:
    with store.sessions() as session:
        return list(session.scalars(select(Post).where(Post.created_by.like("alert %")).order_by(Post.id)))


@pytest.mark.usefixtures("campaign")
def test_new_coverage_goes_out_once_in_one_post_at_the_occurrence(
    store: Store, clock: ManualClock, tmp_path: Path
) -> None:
    first, second = alerts(settings(tmp_path), store, clock, "a"), alerts(settings(tmp_path), store, clock, "b")
    item(store, clock, "阳光幼儿园启动阅读月")
    item(store, clock, "孩子们走进图书馆", outlet="区融媒体中心")
    gone = item(store, clock, "误报")
    remove_coverage(store, gone, clock.now(), "editor", "not ours")

    clock.set(QUARTER - timedelta(seconds=5))
    assert first.run_due() == []  # before the occurrence: nothing
    clock.set(QUARTER + timedelta(seconds=5))
    told = first.run_due() + second.run_due()
    clock.set(QUARTER + timedelta(minutes=15, seconds=5))
    again = first.run_due() + second.run_due()

    [post] = alert_posts(store)
    assert told == [post.id]
    assert again == []  # nothing new since
    assert post.title == "报道提醒：新增 2 条报道"
    assert post.campaign_id is None  # news for the team: no approval, not counted as publicity
    assert "**阅读月**：2 条" in post.body
    assert "- 12-01 16:00 城市日报（市）：[阳光幼儿园启动阅读月](https://news.example/10)" in post.body
    assert "区融媒体中心（区/县）" in post.body
    assert "误报" not in post.body


@pytest.mark.usefixtures("campaign")
def test_coverage_found_later_goes_in_the_next_post(store: Store, clock: ManualClock, tmp_path: Path) -> None:
    job = alerts(settings(tmp_path, language="en"), store, clock)
    item(store, clock, "阳光幼儿园启动阅读月")
    clock.set(QUARTER + timedelta(seconds=5))
    job.run_due()
    item(store, clock, "运动会开幕", campaign="运动会")
    clock.set(QUARTER + timedelta(minutes=15, seconds=5))
    job.run_due()

    first, second = alert_posts(store)
    assert "阳光幼儿园启动阅读月" in first.body
    assert "运动会开幕" not in first.body
    assert second.title == "Coverage: 1 new item(s)"
    assert "**运动会**: 1" in second.body


@pytest.mark.usefixtures("campaign")
def test_only_the_chosen_campaigns_and_never_old_news(store: Store, clock: ManualClock, tmp_path: Path) -> None:
    clock.set(START - timedelta(days=8))
    item(store, clock, "上周的旧闻")
    clock.set(START)
    job = alerts(settings(tmp_path, campaigns=("运动会",)), store, clock)
    item(store, clock, "阳光幼儿园启动阅读月")
    item(store, clock, "运动会开幕", campaign="运动会")
    clock.set(QUARTER + timedelta(seconds=5))
    job.run_due()

    [post] = alert_posts(store)
    assert "运动会开幕" in post.body
    assert "阅读月" not in post.body
    assert "旧闻" not in post.body


@pytest.mark.usefixtures("campaign")
def test_a_run_whose_daemon_died_after_claiming_is_finished_once(
    store: Store, clock: ManualClock, tmp_path: Path
) -> None:
    item(store, clock, "阳光幼儿园启动阅读月")
    dead = "alert 2026-12-01T08:00:00+00:00 dead-daemon"
    with store.session() as session:  # the dead daemon's claim, with no post after it
        assert claim_new_items(session, dead, clock.now(), clock.now() - timedelta(hours=1), None)
    job = alerts(settings(tmp_path), store, clock)

    clock.set(QUARTER + timedelta(seconds=5))
    job.run_due()
    clock.set(QUARTER + timedelta(minutes=15, seconds=5))
    job.run_due()

    [post] = alert_posts(store)
    assert post.created_by == dead
    assert "阳光幼儿园启动阅读月" in post.body


@pytest.mark.usefixtures("campaign")
def test_a_short_channel_gets_fewer_items_and_the_count_of_the_rest(
    store: Store, clock: ManualClock, tmp_path: Path
) -> None:
    job = alerts(settings(tmp_path, channel="weibo"), store, clock)  # weibo: 140 characters at most
    for n in range(6):
        item(store, clock, f"第{n}篇关于阅读月活动的报道")
    clock.set(QUARTER + timedelta(seconds=5))
    job.run_due()

    [post] = alert_posts(store)
    assert post.title == "报道提醒：新增 6 条报道"
    assert "另有" in post.body
    assert post.body.count("- 12-01") < 6


@pytest.mark.usefixtures("campaign")
async def test_the_job_wakes_the_sender_when_it_queued_a_post(store: Store, clock: ManualClock, tmp_path: Path) -> None:
    woken: list[bool] = []
    made = alerts(settings(tmp_path), store, clock)
    job = waking_job(
        functools.partial(asyncio.to_thread, made.run_due), woke=bool, wake=lambda: woken.append(True), failed="x"
    )
    await job()
    item(store, clock, "阳光幼儿园启动阅读月")
    clock.set(QUARTER + timedelta(seconds=5))
    await job()
    assert woken == [True]


def test_the_config_table(tmp_path: Path) -> None:
    def load(text: str) -> Settings:
        path = tmp_path / "publisher.toml"
        path.write_text('[channels.team]\nkind = "outbox"\nfolder = "out"\n\n' + text, encoding="utf-8")
        return load_settings(str(path))

    assert load("").alerts is None
    loaded = load('[alerts]\nchannel = "team"\ncron = "0 18 * * *"\ncampaigns = ["阅读月"]\nlanguage = "en"\n')
    assert loaded.alerts == AlertSettings(channel="team", cron="0 18 * * *", campaigns=("阅读月",), language="en")
    for table, message in (
        ('[alerts]\ncron = "0 18 * * *"\n', r"\[alerts.channel\] is required"),
        ('[alerts]\nchannel = "qq"\n', r"\[alerts.channel\] unknown channel 'qq'; configured: team"),
        ('[alerts]\nchannel = "team"\ncron = "0 18 * *"\n', r"\[alerts.cron\] invalid cron expression"),
        ('[alerts]\nchannel = "team"\nlanguage = "fr"\n', r"\[alerts.language\] must be one of zh, en"),
        ('[alerts]\nchannel = "team"\ncampaigns = "阅读月"\n', r"\[alerts.campaigns\] must be a list"),
        ('[alerts]\nchannel = "team"\nevery = 5\n', r"\[alerts.every\] is not a known setting"),
    ):
        with pytest.raises(ConfigError, match=message):
            load(table)
