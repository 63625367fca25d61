"""`publisher user ...` and `publisher web`, the console inside `publisher run`, and migration 0003w."""

from __future__ import annotations

import asyncio
import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from click.testing import CliRunner, Result
from sqlalchemy import inspect

from publisher.cli import cli
from publisher.daemon import Daemon
from publisher.models import Base
from publisher.store import MIGRATIONS, Store, open_store
from tests.web.conftest import web_settings

WEB_TABLES = {"users", "api_tokens", "login_attempts"}


@pytest.fixture
def folder(tmp_path: Path) -> Iterator[Path]:
    (tmp_path / "publisher.toml").write_text(
        '[publisher]\ntimezone = "Asia/Shanghai"\n[channels.website]\nkind = "outbox"\nfolder = "out"\n',
        encoding="utf-8",
    )
    previous = Path.cwd()
    os.chdir(tmp_path)
    try:
        run("init")  # no command but `init` (and the daemon) makes the database
        yield tmp_path
    finally:
        os.chdir(previous)


def run(*args: str, input: str | None = None, ok: bool = True) -> Result:
    result = CliRunner().invoke(cli, list(args), input=input, env={"USER": "tester", "PUBLISHER_CONFIG": None})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    if ok:
        assert result.exit_code == 0, result.output + result.stderr
    return result


def test_users_and_tokens_from_the_command_line(folder: Path) -> None:
    assert (
        "user ada added (admin)"
        in run("user", "add", "ada", "--role", "admin", "--password-stdin", input="a long password\n").stdout
    )
    run("user", "add", "eve", "--password-stdin", input="another long one\n")  # default role: editor
    prompted = run(
        "user", "add", "园长", "--role", "approver", "--language", "zh", input="third password\nthird password\n"
    )
    assert "user 园长 added (approver)" in prompted.stdout
    users = json.loads(run("user", "list", "--json").stdout)
    assert [(u["name"], u["role"], u["language"]) for u in users] == [
        ("ada", "admin", ""),
        ("eve", "editor", ""),
        ("园长", "approver", "zh"),
    ]
    assert "too short" in run("user", "add", "x", "--password-stdin", input="short\n", ok=False).stderr
    assert "already exists" in run("user", "add", "eve", "--password-stdin", input="long enough pw\n", ok=False).stderr
    made = run("user", "token", "create", "eve", "--label", "wechat-bot")
    token = made.stdout.strip()
    assert token.startswith("pub_")
    assert "not shown again" in made.stderr
    listed = json.loads(run("user", "token", "list", "eve", "--json").stdout)
    assert [(t["label"], t["revoked"]) for t in listed] == [("wechat-bot", "")]
    assert token not in json.dumps(listed)
    assert listed[0]["token"] == token[:10] + "…"
    assert "token 1 revoked" in run("user", "token", "revoke", "1").stdout
    assert "already revoked" in run("user", "token", "revoke", "1", ok=False).stderr
    assert "there is no user 'bob'" in run("user", "token", "create", "bob", "--label", "x", ok=False).stderr
    assert (
        "password of eve changed" in run("user", "password", "eve", "--password-stdin", input="brand new pass\n").stdout
    )
    store = open_store(f"sqlite:///{folder / 'publisher.db'}")
    try:
        with store.engine.connect() as connection:
            hashes = [row[0] for row in connection.exec_driver_sql("SELECT password_hash FROM users")]
            token_hashes = [row[0] for row in connection.exec_driver_sql("SELECT token_hash FROM api_tokens")]
    finally:
        store.engine.dispose()
    assert all(h.startswith("$argon2id$") for h in hashes)
    assert token not in token_hashes
    assert len(token_hashes[0]) == 64


def test_the_web_command_is_documented() -> None:
    result = run("web", "--help")
    assert "Serve the web console alone" in result.stdout
    assert "--port" in result.stdout


def test_migration_0003w_creates_the_console_tables_as_the_models_say(store: Store) -> None:
    tables = set(inspect(store.engine).get_table_names())
    assert tables >= WEB_TABLES
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        heads = set(context.get_current_heads())
        differences = [d for d in compare_metadata(context, Base.metadata) if any(t in repr(d) for t in WEB_TABLES)]
    script = ScriptDirectory(str(MIGRATIONS))  # 0003w is applied: a merge revision may stand after it
    assert "0003w" in {revision.revision for revision in script.iterate_revisions(tuple(heads), "base")}
    assert differences == []


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def _wait_for(url: str) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        for _ in range(100):
            try:
                return await client.get(url)
            except httpx.ConnectError:
                await asyncio.sleep(0.05)
    raise AssertionError(f"nothing answered at {url}")


async def test_publisher_run_serves_the_console_beside_the_daemon(tmp_path: Path, store: Store) -> None:
    port = _free_port()
    settings = web_settings(tmp_path, port=port)
    daemon = Daemon(settings, store)
    task = asyncio.create_task(daemon.run(handle_signals=False))
    try:
        page = await _wait_for(f"http://127.0.0.1:{port}/login")
        assert page.status_code == 200
        assert "publisher user add NAME --role admin" in page.text
    finally:
        daemon.stop()
        await asyncio.wait_for(task, 15)
    with pytest.raises(httpx.ConnectError):
        async with httpx.AsyncClient() as client:
            await client.get(f"http://127.0.0.1:{port}/login")


async def test_a_taken_port_does_not_stop_the_daemon(tmp_path: Path, store: Store, caplog: Any) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        settings = web_settings(tmp_path, port=taken.getsockname()[1])
        daemon = Daemon(settings, store)
        task = asyncio.create_task(daemon.run(handle_signals=False))
        for _ in range(100):
            if "web.unavailable" in caplog.text:
                break
            await asyncio.sleep(0.05)
        assert not task.done()
        daemon.stop()
        await asyncio.wait_for(task, 15)
    assert "web.unavailable" in caplog.text
    assert "web.start" not in caplog.text  # the console is not announced on a port it cannot have


def test_publisher_web_says_the_port_is_taken_instead_of_announcing_the_console(folder: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run("web", "--port", str(port), ok=False)
    assert result.exit_code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "web console on" not in result.stderr
