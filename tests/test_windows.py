"""Quiet hours and posting windows hold on every path: the CLI, the daemon, recurring schedules, and an override.

The bug this proves fixed: a ``--now`` post reached a QQ group at 21:26, inside its quiet hours 21:00-07:30, because
only the console checked them. Real parts throughout: outbox channels writing files, a real database, the daemon's
own dispatcher (``build_dispatcher``) and an injected clock.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import select

from publisher.clock import ManualClock
from publisher.config import ChannelSettings, Settings
from publisher.daemon import build_dispatcher
from publisher.models import Delivery, DeliveryState
from publisher.queue import PostDraft, Queue
from publisher.store import Store, post_history
from publisher.web.console import Console
from tests.conftest import make_settings, url_of
from tests.test_cli import Cli

ZONE = "Asia/Shanghai"
QUIET = "21:00-07:30"
AT_2126 = datetime(2026, 12, 1, 21, 26, tzinfo=ZoneInfo(ZONE))  # inside the quiet hours
NEXT_0730 = datetime(2026, 12, 2, 7, 30, tzinfo=ZoneInfo(ZONE)).astimezone(UTC)


def quiet_settings(tmp_path: Path, store: Store) -> Settings:
    """A website without quiet hours and a QQ group (an outbox here) silent 21:00-07:30."""
    settings = make_settings(
        tmp_path,
        {
            "website": {"kind": "outbox", "folder": str(tmp_path / "out" / "website")},
            "qq": {"kind": "outbox", "folder": str(tmp_path / "out" / "qq")},
        },
        database_url=url_of(store),
    )
    qq: ChannelSettings = dataclasses.replace(settings.channels["qq"], quiet_hours=(QUIET,))
    return dataclasses.replace(settings, channels={**settings.channels, "qq": qq})


def queue_of(settings: Settings, store: Store, clock: ManualClock) -> Queue:
    """The core's queue as the console builds it (the same rules as the CLI's and the daemon's)."""
    store.sync_channels({n: c.kind for n, c in settings.channels.items()}, clock.now())
    return Console.build(settings, store, clock).queue("editor")


def deliveries(store: Store) -> dict[str, Delivery]:
    with store.sessions() as session:
        rows = session.scalars(select(Delivery).order_by(Delivery.id)).all()
        return {row.channel.name: row for row in rows}


def sent_files(tmp_path: Path, channel: str) -> list[Path]:
    folder = tmp_path / "out" / channel
    return sorted(folder.glob("*.json")) if folder.exists() else []  # one .json (and a .md) per post


async def test_a_now_post_in_quiet_hours_waits_for_their_end(tmp_path: Path, store: Store) -> None:
    clock = ManualClock(AT_2126)
    settings = quiet_settings(tmp_path, store)
    queue = queue_of(settings, store, clock)
    post_id = queue.add_post(PostDraft(title="晚间通知", body="明天停课", channels=["website", "qq"], now=True))
    rows = deliveries(store)
    assert rows["website"].due_at == clock.now()
    assert rows["qq"].due_at == NEXT_0730  # waits for the window, not sent at 21:26
    _, events = post_history(store, post_id)
    held = [e.reason for e in events if e.action == "delivery.held"]
    assert held == ["qq: 2026-12-01 21:26 CST is in quiet hours 21:00-07:30; waits until 2026-12-02 07:30 CST"]

    async with httpx.AsyncClient() as client:
        dispatcher = build_dispatcher(settings, store, client, clock)
        assert await dispatcher.run_once() == 1  # the website only
        assert sent_files(tmp_path, "qq") == []
        clock.set(NEXT_0730)
        assert await dispatcher.run_once() == 1
    assert len(sent_files(tmp_path, "qq")) == 1


async def test_the_daemon_holds_a_delivery_that_comes_due_in_quiet_hours(tmp_path: Path, store: Store) -> None:
    # queued at 20:50 for 20:55 (allowed then); the daemon only gets to it at 21:26 (it was down, or busy)
    clock = ManualClock(AT_2126 - timedelta(minutes=36))
    settings = quiet_settings(tmp_path, store)
    queue = queue_of(settings, store, clock)
    post_id = queue.add_post(
        PostDraft(title="晚间通知", body="正文", channels=["qq"], at=clock.now() + timedelta(minutes=5))
    )
    clock.set(AT_2126)
    async with httpx.AsyncClient() as client:
        dispatcher = build_dispatcher(settings, store, client, clock)
        await dispatcher.run_once()
        assert sent_files(tmp_path, "qq") == []  # not at 21:26
        row = deliveries(store)["qq"]
        assert (row.state, row.due_at, row.attempts) == (DeliveryState.QUEUED, NEXT_0730, 0)
        _, events = post_history(store, post_id)
        assert "in quiet hours 21:00-07:30; waits until 2026-12-02 07:30 CST" in (events[-1].reason or "")
        clock.set(NEXT_0730 - timedelta(minutes=1))
        assert await dispatcher.run_once() == 0
        clock.set(NEXT_0730)
        assert await dispatcher.run_once() == 1
    assert len(sent_files(tmp_path, "qq")) == 1


async def test_an_override_sends_in_quiet_hours_and_is_in_the_history(tmp_path: Path, store: Store) -> None:
    clock = ManualClock(AT_2126)
    settings = quiet_settings(tmp_path, store)
    queue = queue_of(settings, store, clock)
    draft = PostDraft(title="紧急通知", body="明天停课", channels=["qq"], now=True, ignore_quiet_hours=True)
    post_id = queue.add_post(draft)
    assert deliveries(store)["qq"].due_at == clock.now()
    _, events = post_history(store, post_id)
    overrides = [(e.actor, e.reason) for e in events if e.action == "delivery.quiet_override"]
    assert overrides == [
        ("editor", f"qq: sent at {clock.now().isoformat()} although in quiet hours {QUIET}, as editor chose")
    ]
    async with httpx.AsyncClient() as client:
        assert await build_dispatcher(settings, store, client, clock).run_once() == 1
    assert len(sent_files(tmp_path, "qq")) == 1


async def test_a_schedules_occurrence_in_quiet_hours_waits(tmp_path: Path, store: Store) -> None:
    clock = ManualClock(AT_2126 - timedelta(hours=2))
    settings = quiet_settings(tmp_path, store)
    queue = queue_of(settings, store, clock)
    queue.add_schedule("evening", cron="30 21 * * *", timezone=ZONE, title="每日提醒", body="早点休息", channels=["qq"])
    [post_id] = queue.materialize_schedules(timedelta(hours=12))
    assert deliveries(store)["qq"].due_at == NEXT_0730
    _, events = post_history(store, post_id)
    assert [e.action for e in events if e.action == "delivery.held"] == ["delivery.held"]
    clock.set(AT_2126 + timedelta(minutes=4))  # the occurrence's own time, 21:30
    async with httpx.AsyncClient() as client:
        assert await build_dispatcher(settings, store, client, clock).run_once() == 0
    assert sent_files(tmp_path, "qq") == []


def test_post_add_now_in_quiet_hours_waits_through_the_cli(tmp_path: Path) -> None:
    # the real clock: quiet hours from an hour ago to two hours ahead, so "now" is inside them
    local = datetime.now(ZoneInfo(ZONE))
    start, end = (local - timedelta(hours=1)).strftime("%H:%M"), (local + timedelta(hours=2)).strftime("%H:%M")
    (tmp_path / "publisher.toml").write_text(
        f"""
[publisher]
timezone = "{ZONE}"

[channels.qq]
kind = "outbox"
folder = "out/qq"
quiet_hours = "{start}-{end}"
""",
        encoding="utf-8",
    )
    cli = Cli(tmp_path)
    cli("init")
    out = cli("post", "add", "--title", "晚间通知", "--body", "明天停课", "--channel", "qq", "--now").stdout
    assert f"is in quiet hours {start}-{end}; waits until" in out
    [row] = cli.json("post", "list")
    assert row["due"] == (local + timedelta(hours=2)).strftime("%Y-%m-%d %H:%M CST")
    assert "0 deliveries tried" in cli("dispatch", "--once").stdout
    assert sent_files(tmp_path, "qq") == []
    held = json.loads(
        cli("post", "add", "--title", "紧急", "--body", "停课", "--channel", "qq", "--now", "--json").stdout
    )
    assert [h["channel"] for h in held["held"]] == ["qq"]
    cli("post", "add", "--title", "紧急", "--body", "停课", "--channel", "qq", "--now", "--ignore-quiet-hours")
    assert "1 deliveries tried" in cli("dispatch", "--once").stdout
    assert len(sent_files(tmp_path, "qq")) == 1
