"""``publisher backup`` / ``publisher restore`` on both stores: a backup taken while the dispatcher sends (and while
posts are queued) restores with nothing lost and nothing sent twice; a newer schema is refused, an older one migrated.
"""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web
from click.testing import CliRunner
from sqlalchemy import select, text

from publisher.backup import BackupError, backup, libpq, restore
from publisher.cli import cli
from publisher.clock import ManualClock
from publisher.config import Settings
from publisher.daemon import build_dispatcher
from publisher.models import Delivery, DeliveryState, Heartbeat, Post
from publisher.queue import PostDraft, Queue
from publisher.store import Store, open_store
from publisher.store.backup import known_revisions, revisions
from tests.conftest import SQLITE_ONLY, make_settings, url_of
from tests.fakes import serve
from tests.postgres import Databases

POSTS = 8


@pytest.fixture
def target_url(database_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A second, fresh database on the same kind of store, to restore into."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored' / 'publisher.db'}"
        return
    databases: Databases = request.getfixturevalue("postgres")
    with databases.fresh("restore") as url:
        yield url


def backup_file(store: Store, tmp_path: Path) -> Path:
    return tmp_path / ("backup.db" if store.is_sqlite else "backup.dump")


def settings_for(tmp_path: Path, store_url: str, hook_url: str) -> Settings:
    channels = {
        "hook": {"kind": "webhook", "url": hook_url, "timeout": 5, "concurrency": 3},  # cannot prove absence
        "outbox": {"kind": "outbox", "folder": str(tmp_path / "outbox"), "concurrency": 4},  # idempotent by key
    }
    return make_settings(tmp_path, channels, database_url=store_url)


def rows(store: Store) -> dict[int, tuple[int, str, str, str, str | None]]:
    """delivery id -> (post, channel, key, state, remote id)."""
    with store.sessions() as session:
        return {
            d.id: (d.post_id, d.channel.name, d.idempotency_key, d.state, d.remote_id)
            for d in session.scalars(select(Delivery))
        }


def post_ids(store: Store) -> set[int]:
    with store.sessions() as session:
        return set(session.scalars(select(Post.id)))


def in_state(snapshot: dict[int, tuple[int, str, str, str, str | None]], state: DeliveryState) -> set[int]:
    return {id_ for id_, row in snapshot.items() if row[3] == state.value}


class Receiver:
    """A webhook stand-in that keeps every idempotency key it got; ``on_request(n)`` runs before the n-th answer."""

    def __init__(self) -> None:
        self.keys: list[str] = []
        self.hooks: dict[int, Any] = {}

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/hook", self._hook)
        return app

    async def _hook(self, request: web.Request) -> web.Response:
        self.keys.append(request.headers["Idempotency-Key"])
        number = len(self.keys)
        if number in self.hooks:
            await self.hooks[number]()
        return web.json_response({"id": f"r-{request.headers['Idempotency-Key']}"})


async def test_a_backup_taken_during_dispatch_restores_with_nothing_lost_or_duplicated(
    store: Store, target_url: str, tmp_path: Path, clock: ManualClock
) -> None:
    first = Receiver()
    file = backup_file(store, tmp_path)
    seen: dict[str, Any] = {}
    async with serve(first.app()) as base, httpx.AsyncClient() as client:
        settings = settings_for(tmp_path, url_of(store), f"{base}/hook")
        dispatcher = build_dispatcher(settings, store, client, clock)
        dispatcher.owner = "daemon-a"
        queue = Queue(store, dispatcher.adapters, clock, timezone=settings.timezone, actor="tester")
        for n in range(POSTS):
            queue.add_post(PostDraft(title=f"活动报道{n}", body="正文", channels=["hook", "outbox"], now=True))

        async def take_backup() -> None:
            # the second batch is in flight: its rows are claimed, the first batch's are sent
            seen["posts"], seen["rows"] = post_ids(store), rows(store)
            running = asyncio.create_task(asyncio.to_thread(backup, url_of(store), file))
            for n in range(3):  # the console queues posts while the backup is being read
                queue.add_post(PostDraft(title=f"补充{n}", body="正文", channels=["outbox"], now=True))
                await asyncio.sleep(0)
            seen["done"] = await running

        first.hooks[4] = take_backup
        await dispatcher.run_once()  # ... and dispatching goes on after the backup
    final = rows(store)
    assert set(final) >= set(seen["rows"])
    assert {row[3] for row in final.values()} == {DeliveryState.SENT.value}
    assert len(first.keys) == len(set(first.keys)) == POSTS

    before = seen["rows"]
    sent_before, claimed_before = in_state(before, DeliveryState.SENT), in_state(before, DeliveryState.CLAIMED)
    assert len(sent_before) == 3 + 4
    assert len(claimed_before) == 3 + 4
    assert seen["done"].line().startswith(f"backed up {store.engine.url.render_as_string()} to {file} (")

    done = restore(target_url, file, now=clock.now(), channels={"hook": "webhook", "outbox": "outbox"})
    assert done.revision == "+".join(sorted(revisions(store)))
    restored = open_store(target_url)
    try:
        again = rows(restored)
        # every post and delivery there was when the backup began, and nothing that never was
        assert seen["posts"] <= post_ids(restored) <= post_ids(store)
        assert set(before) <= set(again) <= set(final)
        for id_, row in again.items():
            assert row[:3] == final[id_][:3]
        # what was sent before the backup is sent in the restore, with the platform's receipt
        assert sent_before <= in_state(again, DeliveryState.SENT)
        for id_ in in_state(again, DeliveryState.SENT):
            assert again[id_][4] == final[id_][4]
        assert in_state(again, DeliveryState.CLAIMED) == claimed_before

        # the restored database, dispatched once the dead daemon's leases ran out: nothing sent twice
        second = Receiver()
        clock.advance(settings.daemon.lease_seconds + 1)
        async with serve(second.app()) as base, httpx.AsyncClient() as client:
            restored_settings = settings_for(tmp_path, target_url, f"{base}/hook")
            redispatch = build_dispatcher(restored_settings, restored, client, clock)
            redispatch.owner = "daemon-b"
            await redispatch.run_once()
        after = rows(restored)
    finally:
        restored.engine.dispose()
    keys_sent_in_restore = {again[id_][2] for id_ in in_state(again, DeliveryState.SENT)}
    assert len(second.keys) == len(set(second.keys))
    assert not set(second.keys) & keys_sent_in_restore
    for id_ in claimed_before:
        _post_id, channel, key, _, _ = again[id_]
        if channel == "hook":  # it may have gone out: a person decides (the lease rules), never resent blindly
            assert after[id_][3] == DeliveryState.UNCERTAIN.value
            assert key not in second.keys
        else:  # the outbox drops a repeat of the same key: sent again
            assert after[id_][3] == DeliveryState.SENT.value
    assert {after[i][3] for i in set(after) - claimed_before} == {DeliveryState.SENT.value}
    outbox_keys = {row[2] for row in final.values() if row[1] == "outbox"}
    # the outbox names its files by the key: a repeat replaces the file, and no key is there that was not queued
    assert {path.stem for path in (tmp_path / "outbox").iterdir()} == outbox_keys


def make_newer(store: Store, file: Path, tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    """A backup of ``store`` whose schema has a revision this program does not know."""
    if store.is_sqlite:
        copy = tmp_path / "newer.db"
        shutil.copy(file, copy)
        with sqlite3.connect(copy) as raw:
            raw.execute("INSERT INTO alembic_version (version_num) VALUES ('9999_from_the_future')")
        raw.close()
        return copy
    databases: Databases = request.getfixturevalue("postgres")
    copy = tmp_path / "newer.dump"
    with databases.fresh("newer") as url:
        newer = open_store(url)
        try:
            with newer.engine.begin() as connection:
                connection.execute(text("INSERT INTO alembic_version (version_num) VALUES ('9999_from_the_future')"))
        finally:
            newer.engine.dispose()
        backup(url, copy)
    return copy


def queue_one(store: Store, clock: ManualClock, tmp_path: Path) -> Queue:
    settings = make_settings(tmp_path, database_url=url_of(store))
    store.sync_channels({n: c.kind for n, c in settings.channels.items()}, clock.now())
    queue = Queue(store, settings.build_adapters(httpx.AsyncClient(), {}), clock, actor="tester")
    queue.add_post(PostDraft(title="通知", body="正文", channels=["website"], now=True))
    return queue


def test_a_backup_of_a_newer_schema_is_refused(
    store: Store, target_url: str, tmp_path: Path, clock: ManualClock, request: pytest.FixtureRequest
) -> None:
    queue_one(store, clock, tmp_path)
    file = backup_file(store, tmp_path)
    backup(url_of(store), file)
    newer = make_newer(store, file, tmp_path, request)
    with pytest.raises(BackupError, match=r"newer schema \(revision 9999_from_the_future\).*upgrade publisher first"):
        restore(url_of(store), newer, now=clock.now(), channels={}, force=True)
    assert post_ids(store) == {1}  # untouched
    assert "9999_from_the_future" not in known_revisions()


def test_an_older_backup_is_restored_then_migrated(
    store: Store, target_url: str, tmp_path: Path, clock: ManualClock
) -> None:
    from alembic import command
    from alembic.config import Config

    from publisher.store import MIGRATIONS

    queue_one(store, clock, tmp_path)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with store.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0008")
    file = backup_file(store, tmp_path)
    try:
        assert backup(url_of(store), file).revision == "0008"
    finally:
        store.upgrade()  # the shared test database goes back to the newest schema
    done = restore(target_url, file, now=clock.now(), channels={"website": "outbox"})
    assert done.revision == "0008"
    newest = store.upgrade()
    assert done.migrated_to == newest != "0008"
    assert done.line().endswith(f"into {open_store(target_url).engine.url.render_as_string()}")
    assert f"schema 0008, migrated to {newest})" in done.line()
    restored = open_store(target_url)
    try:
        assert revisions(restored) == newest.split("+")
        assert post_ids(restored) == {1}
    finally:
        restored.engine.dispose()


def test_a_restore_refuses_a_database_in_use_and_asks_before_replacing_posts(
    store: Store, tmp_path: Path, clock: ManualClock
) -> None:
    queue_one(store, clock, tmp_path)
    file = backup_file(store, tmp_path)
    backup(url_of(store), file)
    with pytest.raises(BackupError, match=r"holds posts already.*add --force"):
        restore(url_of(store), file, now=clock.now(), channels={})
    with store.sessions.begin() as session:  # a daemon's heartbeat row, as publisher.heartbeat writes it
        session.add(
            Heartbeat(
                name="daemon-a",
                host="h",
                pid=1,
                started_at=clock.now(),
                last_seen=clock.now(),
                in_flight=0,
                sent=0,
                channels=[],
            )
        )
    with pytest.raises(BackupError, match="in use \\(daemons alive: daemon-a\\): stop every daemon"):
        restore(url_of(store), file, now=clock.now(), channels={}, force=True)
    clock.advance(60)  # its heartbeat is silent: the daemon is gone
    assert restore(url_of(store), file, now=clock.now(), channels={}, force=True).action == "restored"


# --- the commands ---------------------------------------------------------------------------------------------------


def invoke(config: Path, *args: str) -> Any:
    return CliRunner().invoke(cli, ["--config", str(config), *args], env={"PUBLISHER_CONFIG": None})


def write_config(tmp_path: Path, url: str) -> Path:
    config = tmp_path / "publisher.toml"
    config.write_text(
        f'[database]\nurl = "{url}"\n\n[channels.outbox]\nkind = "outbox"\nfolder = "{tmp_path / "out"}"\n',
        encoding="utf-8",
    )
    return config


def test_the_commands_print_one_line_and_refuse_to_overwrite(store: Store, tmp_path: Path, clock: ManualClock) -> None:
    queue_one(store, clock, tmp_path)
    config = write_config(tmp_path, url_of(store))
    file = backup_file(store, tmp_path)
    made = invoke(config, "backup", str(file))
    assert made.exit_code == 0, made.output
    lines = made.output.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("backed up ")
    assert str(file) in lines[0]
    assert "schema 0" in lines[0]
    assert "KB" in lines[0]
    size = file.stat().st_size
    again = invoke(config, "backup", str(file))
    assert again.exit_code == 1
    assert f"{file} exists already" in again.output
    assert "--force" in again.output
    assert file.stat().st_size == size
    assert invoke(config, "backup", "--force", str(file)).exit_code == 0
    refused = invoke(config, "restore", str(file))
    assert refused.exit_code == 1
    assert "holds posts already" in refused.output
    restored = invoke(config, "restore", "--force", str(file))
    assert restored.exit_code == 0, restored.output
    assert restored.output.startswith(f"restored {file} (")
    assert len(restored.output.splitlines()) == 1


def test_no_password_is_printed_or_put_on_a_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = "postgresql+psycopg://publisher:s3cret-pw@db.example:5432/publisher?sslmode=require"
    plain, env = libpq(__import__("sqlalchemy").engine.make_url(url))
    assert plain == "postgresql://publisher@db.example:5432/publisher?sslmode=require"
    assert env["PGPASSWORD"] == "s3cret-pw"
    monkeypatch.setenv("PATH", str(tmp_path))  # no pg_dump here
    config = write_config(tmp_path, url)
    result = invoke(config, "backup", str(tmp_path / "b.dump"))
    assert result.exit_code == 1
    assert "pg_dump is not installed" in result.output
    assert "s3cret-pw" not in result.output


@SQLITE_ONLY
def test_backup_refuses_a_missing_database_and_restore_a_file_that_is_no_backup(
    database_url: str, tmp_path: Path
) -> None:
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'none' / 'publisher.db'}")
    missing = invoke(config, "backup", str(tmp_path / "b.db"))
    assert missing.exit_code == 1
    assert "there is no database at" in missing.output
    assert not (tmp_path / "none" / "publisher.db").exists()
    assert not (tmp_path / "b.db").exists()
    junk = tmp_path / "notes.txt"
    junk.write_text("not a backup", encoding="utf-8")
    refused = invoke(config, "restore", str(junk))
    assert refused.exit_code == 1
    assert "is not a publisher backup" in refused.output
