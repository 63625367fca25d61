"""The SQLite file read-only or its disk full: a clear error, nothing half-written, and the daemon carries on after.

A read-only file is made with file permissions where the tests do not run as root (root ignores them); as root the
file is opened read-only instead (SQLite's ``mode=ro``), which fails writes with the same error. A full disk is
simulated with ``PRAGMA max_page_count`` (the database may not grow past that many pages): SQLite then answers
``database or disk is full`` exactly as on a full disk, without needing a tiny filesystem (which takes root).
"""

from __future__ import annotations

import asyncio
import logging
import os
import stat
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import OperationalError

from publisher.daemon import Daemon
from publisher.models import Delivery, DeliveryState, Post
from publisher.queue import PostDraft, Queue
from publisher.store import Store, open_store
from tests.conftest import SQLITE_ONLY, make_settings, url_of
from tests.test_cli import Cli
from tests.test_daemon import make_queue, running

pytestmark = SQLITE_ONLY


def integrity(path: Path) -> str:
    store = open_store(f"sqlite:///{path}")
    try:
        with store.engine.connect() as connection:
            return str(connection.execute(text("PRAGMA integrity_check")).scalar())
    finally:
        store.engine.dispose()


def posts(store: Store) -> int:
    with store.sessions() as session:
        return int(session.scalar(select(func.count(Post.id))) or 0)


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Callable[[Path], str]]:
    """Makes the database file read-only; returns the URL to open it by."""
    changed: list[tuple[Path, int]] = []

    def make(path: Path) -> str:
        if os.geteuid() == 0:
            return f"sqlite:///file:{path}?mode=ro&uri=true"
        for target, mode in ((path, 0o444), (path.parent, 0o555)):
            changed.append((target, stat.S_IMODE(target.stat().st_mode)))
            target.chmod(mode)
        return f"sqlite:///{path}"

    yield make
    for target, mode in reversed(changed):
        target.chmod(mode)


def test_a_read_only_file_is_refused_clearly_and_left_intact(
    tmp_path: Path, store: Store, read_only: Callable[[Path], str]
) -> None:
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / "out").mkdir()
    path = folder / "publisher.db"
    first = open_store(f"sqlite:///{path}")
    first.upgrade()
    cli = Cli(folder)
    (folder / "publisher.toml").write_text(
        f'[database]\nurl = "sqlite:///{path}"\n[channels.website]\nkind = "outbox"\nfolder = "{folder / "out"}"\n',
        encoding="utf-8",
    )
    cli("post", "add", "--title", "第一篇", "--body", "b", "--channel", "website", "--now")
    first.engine.dispose()
    url = read_only(path)
    (folder / "publisher.toml").write_text(
        f'[database]\nurl = "{url}"\n[channels.website]\nkind = "outbox"\nfolder = "{folder / "out"}"\n',
        encoding="utf-8",
    )
    refusal = cli.refused("post", "add", "--title", "第二篇", "--body", "b", "--channel", "website", "--now")
    assert "is read-only" in refusal
    assert "nothing was written" in refusal
    assert str(path) in refusal
    reading = open_store(url)
    try:
        assert posts(reading) == 1  # the first is there; the second wrote nothing
    finally:
        reading.engine.dispose()
    assert integrity(path) == "ok"


def _limit_pages(store: Store, limit: list[int | None]) -> None:
    """Each connection taken from the pool may not grow the file past ``limit[0]`` pages (None: no limit)."""

    @event.listens_for(store.engine, "checkout")
    def _on_checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA max_page_count = {limit[0] or 1073741823}")
        cursor.close()


def _page_count(store: Store) -> int:
    with store.engine.connect() as connection:
        return int(connection.execute(text("PRAGMA page_count")).scalar() or 0)


def test_a_full_disk_refuses_the_post_whole_and_keeps_the_file_sound(
    tmp_path: Path, store: Store, queue: Queue
) -> None:
    limit: list[int | None] = [None]
    _limit_pages(store, limit)
    limit[0] = _page_count(store) + 3
    added = 0
    with pytest.raises(OperationalError) as full:
        for n in range(10_000):
            queue.add_post(PostDraft(title=f"报道{n}", body="正文" * 400, channels=["website"], now=True))
            added += 1
    from publisher.outage import explain

    message = explain(full.value, store.engine.url)
    assert "free space on its disk; nothing was written" in message
    assert "database or disk is full" in message
    assert posts(store) == added  # the refused post left nothing behind: no post without its deliveries
    with store.sessions() as session:
        assert session.scalar(select(func.count(Delivery.id))) == added
    store.engine.dispose()
    assert integrity(Path(url_of(store).removeprefix("sqlite:///"))) == "ok"


async def test_the_daemon_reports_a_full_disk_and_resumes_when_there_is_room(
    tmp_path: Path, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="publisher")
    settings = make_settings(tmp_path, database_url=url_of(store), poll_interval=0.2)
    queue = make_queue(store, settings)
    for n in range(60):
        queue.add_post(PostDraft(title=f"报道{n}", body="正文", channels=["website", "weibo"], now=True))
    limit: list[int | None] = [None]
    _limit_pages(store, limit)
    limit[0] = _page_count(store)  # not one page more: the event log cannot grow
    async with running(Daemon(settings, store), stop_within=20) as task:
        deadline = time.monotonic() + 15
        while not any(r.getMessage() == "database.unavailable" for r in caplog.records):
            assert time.monotonic() < deadline, "the daemon did not report the full disk"
            assert not task.done()
            await asyncio.sleep(0.05)
        [report] = [r for r in caplog.records if r.getMessage() == "database.unavailable"]
        assert "database or disk is full" in report.fields["reason"]  # type: ignore[attr-defined]
        assert "free space" in report.fields["reason"]  # type: ignore[attr-defined]
        await asyncio.sleep(1.0)
        assert not task.done()  # waiting, not crashed
        limit[0] = None  # space freed

        def all_sent() -> bool:
            with store.sessions() as session:
                return set(session.scalars(select(Delivery.state))) == {DeliveryState.SENT}

        deadline = time.monotonic() + 20
        while not all_sent():
            assert time.monotonic() < deadline, "the daemon did not resume"
            await asyncio.sleep(0.05)
    files = [p for p in (tmp_path / "out").rglob("*.json")]
    assert len(files) == 120  # each delivery written once: nothing sent twice across the outage
    assert any(r.getMessage() == "database.available" for r in caplog.records)
