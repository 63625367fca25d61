"""The commands that issue 11's fixes added or changed: schedule pause/resume/edit/delete, post retry, the channel in
a post's history, coverage checks, and end dates that include their own day."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import update

from publisher.models import Delivery, DeliveryState
from publisher.store import open_store
from tests.test_cli import Cli, configured


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    made = configured(tmp_path)
    made("init")
    return made


def test_a_schedule_is_paused_resumed_edited_and_deleted(cli: Cli) -> None:
    cli(
        "schedule",
        "add",
        "晨读",
        "--cron",
        "0 9 * * *",
        "--title",
        "每日晨读",
        "--body",
        "读绘本。",
        "--channel",
        "website",
    )
    assert "schedule 晨读 paused" in cli("schedule", "pause", "晨读", "--reason", "寒假").stdout
    assert [s["state"] for s in cli.json("schedule", "list")] == ["paused"]
    assert "resumed; next: " in cli("schedule", "resume", "晨读").stdout
    cli("schedule", "edit", "晨读", "--title", "晨读时间", "--cron", "30 8 * * 1-5")
    (row,) = cli.json("schedule", "list")
    assert (row["state"], row["title"], row["cron"]) == ("active", "晨读时间", "30 8 * * 1-5")
    assert "invalid cron" in cli.refused("schedule", "edit", "晨读", "--cron", "daily")
    assert "schedule 晨读 deleted" in cli("schedule", "delete", "晨读", "--yes").stdout
    assert cli.json("schedule", "list") == []
    assert "no schedule '晨读'" in cli.refused("schedule", "pause", "晨读")


def test_a_failed_delivery_is_retried_and_the_history_names_its_channel(cli: Cli) -> None:
    cli("post", "add", "--title", "开学", "--body", "新学期。", "--channel", "website", "--channel", "weibo", "--now")
    store = open_store(f"sqlite:///{cli.folder / 'publisher.db'}")
    with store.session() as session:  # as the dispatcher records a permanent error
        session.execute(
            update(Delivery)
            .where(Delivery.channel_id == 2)
            .values(state=DeliveryState.FAILED.value, last_error="token expired")
        )
    store.engine.dispose()
    assert "no failed delivery on website" in cli.refused("post", "retry", "1", "--channel", "website")
    assert "queued 1 failed deliveries" in cli("post", "retry", "1", "--note", "renewed the token").stdout
    shown = cli.json("post", "show", "1")
    assert {d["channel"]: d["state"] for d in shown["deliveries"]} == {"website": "queued", "weibo": "queued"}
    retried = shown["history"][-1]
    assert (retried["channel"], retried["action"]) == ("weibo", "delivery.queued")
    assert "renewed the token" in retried["reason"]
    table = cli("post", "show", "1").stdout
    assert "CHANNEL" in table.split("history:")[1].splitlines()[1]


def test_end_dates_include_their_own_day(cli: Cli) -> None:
    cli("campaign", "add", "阅读月", "--start", "2026-12-01", "--end", "2026-12-31")
    (row,) = cli.json("campaign", "list")
    assert row["end"] == "2026-12-31 (through that day)"
    cli("outlet", "add", "城市日报", "--kind", "paper")
    cli("coverage", "add", "--outlet", "城市日报", "--title", "阅读月闭幕", "--date", "2026-12-31 18:00")
    titles = [i["title"] for i in cli.json("coverage", "list", "--to", "2026-12-31")]
    assert titles == ["阅读月闭幕"]  # the whole of the 31st, not up to its first minute


def test_manual_coverage_is_checked(cli: Cli) -> None:
    cli("campaign", "add", "阅读月", "--start", "2026-12-01", "--end", "2026-12-31")
    cli("outlet", "add", "城市日报", "--kind", "paper")
    add = ("coverage", "add", "--outlet", "城市日报", "--title", "阅读月启动", "--date")
    cli(*add, "2026-12-02")
    assert "already has this item on that day" in cli.refused(*add, "2026-12-02 15:00")
    assert "before campaign 阅读月 starts" in cli.refused(*add, "2026-11-20")
    cli(*add, "2026-11-20", "--force")
    assert len(cli.json("coverage", "list")) == 2
