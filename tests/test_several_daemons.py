"""Several daemons on one PostgreSQL database, as real processes: recurring work runs once per occurrence, not once
per daemon, and ``publisher status`` shows them with their heartbeats."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from publisher.clock import SystemClock
from publisher.models import Heartbeat, Post
from publisher.queue import Queue
from publisher.reports.models import ReportRun
from publisher.store import Store
from tests.conftest import POSTGRESQL_ONLY, url_of
from tests.fakes import serve_in_thread
from tests.fakes.feeds import FeedServer, Item, rss
from tests.test_cli import Cli

pytestmark = POSTGRESQL_ONLY


def wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.1)


@pytest.fixture
def feeds() -> Iterator[tuple[FeedServer, str]]:
    server = FeedServer()
    server.put("/daily.xml", rss([Item("阳光幼儿园启动阅读月", "阅读月开始了。", "http://d.example/1", "1")]))
    with serve_in_thread(server.app) as base:
        yield server, base


def test_two_daemons_share_the_recurring_work_once_per_occurrence(
    tmp_path: Path, store: Store, feeds: tuple[FeedServer, str]
) -> None:
    server, base = feeds
    (tmp_path / "out").mkdir()
    (tmp_path / "publisher.toml").write_text(
        f"""
[database]
url = "{url_of(store)}"
[daemon]
poll_interval = 0.5
[web]
enabled = false
[tracker]
check_interval = 1
min_interval = 600
[outbound]
allow = ["127.0.0.0/8"]
[outlets."城市日报"]
feeds = ["{base}/daily.xml"]
[reports."hourly"]
campaign = "阅读月"
cron = "0 * * * *"
timezone = "Asia/Shanghai"
formats = ["json"]
folder = "{tmp_path / "reports"}"
[channels.website]
kind = "outbox"
folder = "{tmp_path / "out"}"
""",
        encoding="utf-8",
    )
    cli = Cli(tmp_path)
    cli("init")
    queue = Queue(store, {}, SystemClock())
    queue.add_campaign("阅读月", timezone="Asia/Shanghai", starts_at=datetime(2026, 1, 1, tzinfo=UTC))
    # the daemons make its next 24 occurrences as they start, both at once
    cli("schedule", "add", "hourly", "--cron", "0 * * * *", "--tz", "UTC", "--title", "整点", "--body", "b",
        "--channel", "website")  # fmt: skip

    def count(model: type, *where: object) -> int:
        with store.sessions() as session:
            return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)  # type: ignore[arg-type]

    command = [sys.executable, "-m", "publisher.cli", "--config", str(tmp_path / "publisher.toml"), "run"]
    daemons = [
        subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for _ in range(2)
    ]
    try:
        wait_for(lambda: count(Heartbeat) == 2)
        status = json.loads(cli("status", "--json").stdout)
        assert len([d for d in status["daemons"] if d["alive"]]) == 2
        assert {d["pid"] for d in status["daemons"]} == {p.pid for p in daemons}
        wait_for(lambda: count(ReportRun, ReportRun.state == "done") == 1 and len(server.seen("/daily.xml")) >= 1)
        wait_for(lambda: count(Post) >= 24)
        time.sleep(2.0)  # both look for due feeds every second, for due reports at start: none is repeated
    finally:
        for process in daemons:
            process.send_signal(signal.SIGTERM)
        outputs = [process.communicate(timeout=30)[0] for process in daemons]
    assert [p.returncode for p in daemons] == [0, 0], outputs
    assert len(server.seen("/daily.xml")) == 1  # polled once, by one daemon, in its interval
    assert count(ReportRun) == 1  # the report's occurrence written once
    assert len(list((tmp_path / "reports").iterdir())) == 1
    with store.sessions() as session:
        occurrences = Counter(session.scalars(select(Post.occurrence_at).where(Post.schedule_id.is_not(None))))
    assert len(occurrences) >= 24
    assert max(occurrences.values()) == 1  # one post per occurrence
    assert count(Heartbeat) == 0  # a clean stop removes the heartbeat
    status = json.loads(cli("status", "--json").stdout)
    assert status["daemons"] == []
    assert [c["channel"] for c in status["channels"]] == ["website"]
