"""Scheduled reports: written once per occurrence however many daemons, caught up, taken over, announced once."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from adapters.base import Adapter
from publisher.clock import ManualClock
from publisher.config import Settings, load_settings
from publisher.daemon import Daemon
from publisher.errors import ConfigError
from publisher.models import Post
from publisher.reports.models import ReportRun
from publisher.reports.schedule import LEASE, ReportScheduler
from publisher.reports.settings import ReportSettings, ScheduledReport
from publisher.store import Store
from tests.conftest import make_settings
from tests.reports.conftest import NARRATIVE_ZH, ZONE, Known

MONDAY_9 = datetime(2026, 12, 7, 9, 0, tzinfo=ZONE)  # an occurrence of "0 9 * * MON" in Asia/Shanghai


def scheduled(tmp_path: Path, **options: Any) -> Settings:
    options = {"formats": ("html", "xlsx", "csv"), **options}
    report = ScheduledReport(
        name="weekly", campaign="阅读月", cron="0 9 * * MON", folder=str(tmp_path / "reports"), **options
    )
    return dataclasses.replace(make_settings(tmp_path), reports=ReportSettings(scheduled={"weekly": report}))


def runs(store: Store) -> list[ReportRun]:
    with store.sessions() as session:
        return list(session.scalars(select(ReportRun).order_by(ReportRun.id)))


@pytest.fixture
def make(store: Store, known: Known, clock: ManualClock, tmp_path: Path) -> Callable[..., ReportScheduler]:
    def build(owner: str = "a", **options: Any) -> ReportScheduler:
        settings = scheduled(tmp_path, **options)
        adapters: dict[str, Adapter] = settings.build_adapters(httpx.AsyncClient(), {})
        return ReportScheduler(settings, store, clock, adapters, owner=owner)

    return build


def test_one_report_per_occurrence_however_many_daemons(
    store: Store, clock: ManualClock, make: Callable[..., ReportScheduler], tmp_path: Path
) -> None:
    first, second = make("daemon-1"), make("daemon-2")
    clock.set(MONDAY_9 - timedelta(minutes=1))
    assert first.run_due() == []  # not yet
    clock.set(MONDAY_9 + timedelta(seconds=30))
    [done] = first.run_due()
    assert second.run_due() == []
    assert first.run_due() == []
    assert done.state == "done"
    assert done.occurrence == MONDAY_9
    names = sorted(p.name for p in (tmp_path / "reports").iterdir())
    assert names == ["weekly-20261207-0900-csv.zip", "weekly-20261207-0900.html", "weekly-20261207-0900.xlsx"]
    [run] = runs(store)
    assert (run.name, run.state, run.owner, len(run.files)) == ("weekly", "done", "daemon-1", 3)
    html = (tmp_path / "reports" / "weekly-20261207-0900.html").read_text(encoding="utf-8")
    assert "“阅读月”活动开展以来（截至2026年12月7日）" in html  # up to the occurrence
    clock.set(MONDAY_9 + timedelta(days=7, seconds=5))
    [following] = second.run_due()
    assert following.occurrence == MONDAY_9 + timedelta(days=7)
    assert len(runs(store)) == 2


def test_the_claim_is_the_unique_key(store: Store, clock: ManualClock, make: Callable[..., ReportScheduler]) -> None:
    first, second = make("daemon-1"), make("daemon-2")
    now = MONDAY_9 + timedelta(seconds=1)
    assert first.claim("weekly", MONDAY_9, now) is not None
    assert second.claim("weekly", MONDAY_9, now) is None  # the insert fails on (name, occurrence)
    assert second.claim("weekly", MONDAY_9, now + LEASE + timedelta(seconds=1)) is not None  # lease ran out


def test_a_run_whose_daemon_died_is_taken_over(
    store: Store, clock: ManualClock, make: Callable[..., ReportScheduler]
) -> None:
    dead, alive = make("dead"), make("alive")
    assert dead.claim("weekly", MONDAY_9, MONDAY_9) is not None  # then the process died
    clock.set(MONDAY_9 + timedelta(minutes=10))
    assert alive.run_due() == []  # still under the dead one's lease
    clock.set(MONDAY_9 + LEASE + timedelta(minutes=1))
    [taken] = alive.run_due()
    assert taken.state == "done"
    [run] = runs(store)
    assert (run.owner, run.state) == ("alive", "done")


def test_a_missed_occurrence_is_caught_up_within_a_day(
    store: Store, clock: ManualClock, make: Callable[..., ReportScheduler]
) -> None:
    scheduler = make()
    clock.set(MONDAY_9 + timedelta(hours=25))  # no daemon ran on Monday, and it is too late now
    assert scheduler.run_due() == []
    clock.set(MONDAY_9 + timedelta(days=7, hours=11))  # the next Monday, at 20:00: still written, once
    [late] = scheduler.run_due()
    assert late.occurrence == MONDAY_9 + timedelta(days=7)
    assert scheduler.run_due() == []


def test_since_last_starts_where_the_previous_report_ended(
    store: Store, clock: ManualClock, make: Callable[..., ReportScheduler], tmp_path: Path
) -> None:
    scheduler = make(period="since_last", formats=("json",))
    clock.set(MONDAY_9 - timedelta(days=7) + timedelta(seconds=1))
    scheduler.run_due()
    clock.set(MONDAY_9 + timedelta(seconds=1))
    [second] = scheduler.run_due()
    document = json.loads(second.files[0].read_text(encoding="utf-8"))
    assert document["period"]["from"] == "2026-11-30T09:00:00+08:00"
    assert document["period"]["to"] == "2026-12-07T09:00:00+08:00"
    assert document["totals"]["coverage"] == 6
    assert document["narrative"].startswith("2026年11月30日至2026年12月7日，")


def test_the_summary_is_announced_once_through_the_queue(
    store: Store, clock: ManualClock, make: Callable[..., ReportScheduler]
) -> None:
    first = make("daemon-1", channel="website", link_base="https://kg.example.cn/reports/")
    second = make("daemon-2", channel="website", link_base="https://kg.example.cn/reports/")
    clock.set(MONDAY_9 + timedelta(seconds=30))
    [done] = first.run_due()
    assert second.run_due() == []
    assert done.post_id is not None
    with store.sessions() as session:
        posts = list(session.scalars(select(Post).where(Post.campaign_id.is_(None))))
        [post] = posts
        channels = [d.channel.name for d in post.deliveries]
    assert channels == ["website"]
    assert post.title == "阅读月宣传工作报告（2026-12-07）"
    assert post.body.startswith(NARRATIVE_ZH.replace("活动开展以来", "活动开展以来（截至2026年12月7日）"))
    assert "- [weekly-20261207-0900.html](https://kg.example.cn/reports/weekly-20261207-0900.html)" in post.body
    assert post.link == "https://kg.example.cn/reports/weekly-20261207-0900.html"
    [run] = runs(store)
    assert run.post_id == post.id


def test_a_taken_over_run_does_not_announce_twice(
    store: Store, clock: ManualClock, make: Callable[..., ReportScheduler]
) -> None:
    dead, alive = make("dead", channel="website"), make("alive", channel="website")
    clock.set(MONDAY_9 + timedelta(seconds=30))
    [done] = dead.run_due()
    with store.session() as session:  # as if it had died after queueing, before recording the run as done
        run = session.scalars(select(ReportRun)).one()
        run.state, run.lease_until = "running", MONDAY_9
    clock.set(MONDAY_9 + LEASE + timedelta(minutes=1))
    [again] = alive.run_due()
    assert again.post_id == done.post_id
    with store.sessions() as session:
        assert session.scalar(select(Post.id).where(Post.campaign_id.is_(None)).offset(1)) is None


def test_a_channel_that_refuses_the_long_text_gets_the_short_one(
    store: Store, clock: ManualClock, make: Callable[..., ReportScheduler]
) -> None:
    scheduler = make(channel="weibo", formats=("html",), link_base="https://k.example/r/")  # weibo: 140 here
    clock.set(MONDAY_9 + timedelta(seconds=30))
    [done] = scheduler.run_due()
    assert done.post_id is not None
    with store.sessions() as session:
        post = session.get(Post, done.post_id)
        assert post is not None
        assert NARRATIVE_ZH not in post.body
        assert "https://k.example/r/weekly-20261207-0900.html" in post.body


def test_a_report_that_cannot_be_written_fails_once_and_says_why(
    store: Store, clock: ManualClock, make: Callable[..., ReportScheduler], tmp_path: Path
) -> None:
    settings = scheduled(tmp_path)
    missing = dataclasses.replace(settings.reports.scheduled["weekly"], campaign="没有这个活动")
    scheduler = ReportScheduler(
        dataclasses.replace(settings, reports=ReportSettings(scheduled={"weekly": missing})), store, clock, {}
    )
    clock.set(MONDAY_9 + timedelta(seconds=30))
    [failed] = scheduler.run_due()
    assert failed.state == "failed"
    assert failed.error == "there is no campaign 没有这个活动; see `publisher campaign list`"
    assert scheduler.run_due() == []  # not retried every minute
    assert runs(store)[0].error == failed.error


async def test_the_daemon_writes_due_reports(store: Store, known: Known, clock: ManualClock, tmp_path: Path) -> None:
    clock.set(MONDAY_9 + timedelta(seconds=30))
    daemon = Daemon(scheduled(tmp_path), store, clock)
    running = asyncio.create_task(daemon.run(handle_signals=False))
    try:
        async with asyncio.timeout(20):  # the job runs as the daemon starts
            while not [r for r in runs(store) if r.state == "done"]:  # noqa: ASYNC110 (a database read)
                await asyncio.sleep(0.05)
    finally:
        daemon.stop()
        await running
    assert (tmp_path / "reports" / "weekly-20261207-0900.html").exists()


def test_the_config_tables(tmp_path: Path) -> None:
    def load(text: str) -> Settings:
        path = tmp_path / "publisher.toml"
        path.write_text('[channels.group]\nkind = "outbox"\nfolder = "out"\n\n' + text, encoding="utf-8")
        return load_settings(str(path))

    settings = load(
        '[reports]\nlanguage = "en"\n\n[reports.weekly]\ncampaign = "阅读月"\ncron = "0 9 * * MON"\n'
        'timezone = "Asia/Shanghai"\nformats = ["html", "md"]\nchannel = "group"\n'
        'link_base = "https://example.org/r/"\nperiod = "since_last"\n'
    )
    weekly = settings.reports.scheduled["weekly"]
    assert (settings.reports.language, weekly.formats, weekly.channel, weekly.period, weekly.folder) == (
        "en",
        ("html", "md"),
        "group",
        "since_last",
        "reports",
    )
    for table, message in (
        ('[reports.w]\ncampaign = "x"\ncron = "0 9 * *"\n', r"\[reports.w.cron\] invalid cron expression"),
        ('[reports.w]\ncampaign = "x"\ncron = "0 9 * * MON"\nformats = ["pdf"]\n', r"\[reports.w.formats\]"),
        ('[reports.w]\ncampaign = "x"\ncron = "0 9 * * MON"\nchannel = "qq"\n', r"unknown channel 'qq'"),
        ('[reports.w]\ncampaign = "x"\ncron = "0 9 * * MON"\ntimezone = "Mars/Base"\n', r"\[reports.w.timezone\]"),
        ('[reports.w]\ncron = "0 9 * * MON"\n', r"\[reports.w.campaign\] is required"),
        ('[reports.w]\ncampaign = "x"\ncron = "0 9 * * MON"\nevery = 1\n', r"\[reports.w.every\] is not a known"),
        ('[reports]\nlanguage = "fr"\n', r"\[reports.language\] must be one of zh, zh-Hant, en"),
        ('[reports]\ncolour = "red"\n', r"\[reports.colour\] is not a known setting"),
    ):
        with pytest.raises(ConfigError, match=message):
            load(table)
