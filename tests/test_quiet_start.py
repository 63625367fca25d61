"""`publisher run` says one line when it starts (version, database with its password masked, channels, console
address), whatever it migrated: no Alembic or web-server INFO lines."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from publisher import __version__
from tests.test_cli import configured

PUBLISHER = str(Path(sys.executable).with_name("publisher"))
SECRET = "s" * 40


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _config(folder: Path, database_url: str, port: int) -> None:
    configured(
        folder,
        f"""
[database]
url = "{database_url}"

[web]
enabled = true
port = {port}
secret_key_env = "CLIZH_TEST_SECRET"
""",
    )


def _run_until_the_console_answers(folder: Path, port: int) -> list[str]:
    """`publisher run` in ``folder`` until its console answers, then SIGTERM: the log lines it wrote."""
    env = {k: v for k, v in os.environ.items() if k != "PUBLISHER_CONFIG"}
    env["CLIZH_TEST_SECRET"] = SECRET
    process = subprocess.Popen(
        [PUBLISHER, "run"], cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 30  # a real process on a real port: wall time is what there is to wait on
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/login", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.stderr.read() if process.stderr else ""
                assert time.monotonic() < deadline, "the console never answered"
                time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
    return err.splitlines()


def test_one_line_per_start_and_no_alembic_info(database_url: str, tmp_path: Path) -> None:
    port = _free_port()
    if database_url.startswith("sqlite"):
        database_url = f"sqlite:///{tmp_path / 'new.db'}"  # a new file: every migration runs, silently
    _config(tmp_path, database_url, port)
    lines = _run_until_the_console_answers(tmp_path, port)
    started = [line for line in lines if " INFO " in line and " daemon.stop" not in line]
    assert len(started) == 1, "\n".join(lines)
    line = started[0]
    assert "daemon.start" in line
    assert f"version={__version__}" in line
    assert "channels=website,weibo" in line
    assert f"console=http://127.0.0.1:{port}/" in line
    url = make_url(database_url)
    assert f"database={url.drivername}://" in line
    assert (url.database or "").rsplit("/", 1)[-1] in line
    password = url.password
    if password:
        assert str(password) not in "\n".join(lines)
        assert "***" in line
    text = "\n".join(lines)
    for noise in ("Context impl", "Will assume", "Running upgrade", "setup plugin", "Started server process"):
        assert noise not in text


def test_the_store_upgrade_leaves_alembic_logging_as_it_was(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    import logging

    from publisher.store import open_store

    store = open_store(f"sqlite:///{tmp_path / 'p.db'}")
    try:
        with caplog.at_level(logging.INFO):
            store.upgrade()
        assert not [r for r in caplog.records if r.name.startswith("alembic")]
        assert logging.getLogger("alembic").level == logging.NOTSET  # quiet only while migrating
    finally:
        store.engine.dispose()


def test_the_database_password_is_hidden_and_its_name_is_not(tmp_path: Path) -> None:
    from publisher.scrub import for_settings
    from tests.conftest import make_settings

    url = "postgresql+psycopg://publisher:correct-horse-battery@db.example/publisher_production_db?sslmode=require"
    scrubber = for_settings(make_settings(tmp_path, database_url=url), environ={})
    shown = scrubber.scrub(make_url(url).render_as_string(hide_password=False))
    assert "correct-horse-battery" not in shown
    assert "db.example/publisher_production_db" in shown  # the start line says which database
    with_query = "postgresql+psycopg://publisher@db.example/publisher_production_db?password=correct-horse-battery"
    assert "correct-horse-battery" not in for_settings(
        make_settings(tmp_path, database_url=with_query), environ={}
    ).scrub(with_query)
