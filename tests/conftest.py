"""Shared fixtures: a fresh database per test on each store, an injected clock, and settings built in code.

The ``store`` fixture runs every test that uses it twice, as APScheduler's datastore tests do: on a SQLite file
(``[sqlite]``) and on PostgreSQL (``[postgresql]``, a database of its own copied from a migrated template; see
``tests/postgres.py``). Without ``PUBLISHER_TEST_POSTGRES_URL`` the PostgreSQL runs skip, saying why; under
``CI=true`` they fail instead. A test that needs one store says so with ``SQLITE_ONLY`` or ``POSTGRESQL_ONLY``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from adapters.base import Adapter
from publisher.clock import ManualClock
from publisher.config import ChannelSettings, DaemonSettings, Settings
from publisher.queue import Queue
from publisher.store import Store, open_store
from tests.postgres import ENV_ADMIN_URL, ENV_URL, Databases, missing_reason

START = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)  # 16:00 in Asia/Shanghai

DATABASES = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.external_service),
]
#: for a test about one store only (a SQLite file's own failures; SKIP LOCKED between processes)
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True, ids=["sqlite"])
POSTGRESQL_ONLY = pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.external_service)], indirect=True, ids=["postgresql"]
)


@pytest.fixture(scope="session")
def postgres() -> Iterator[Databases]:
    """The test cluster, with a migrated template made once per session."""
    reason = missing_reason()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI needs PostgreSQL: {reason}")
        pytest.skip(reason)
    databases = Databases(os.environ[ENV_URL], os.environ.get(ENV_ADMIN_URL))
    databases.make_template()
    yield databases
    databases.close()


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty, migrated database on each store: a new SQLite file, or PostgreSQL's test database emptied."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'publisher.db'}"
        return
    databases: Databases = request.getfixturevalue("postgres")
    with databases.clean() as url:
        yield url


def url_of(store: Store) -> str:
    """The store's URL, password included, for settings and for a second process on the same database."""
    return store.engine.url.render_as_string(hide_password=False)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    store = open_store(database_url)
    if store.is_sqlite:
        store.upgrade()  # PostgreSQL databases are copies of a migrated template
    yield store
    store.engine.dispose()


def make_settings(
    tmp_path: Path,
    channels: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    database_url: str | None = None,
    **daemon: Any,
) -> Settings:
    """Settings with the given channels (name -> table with `kind`); by default two outbox channels.

    ``database_url``: the test's store (``url_of(store)``); by default a SQLite file in ``tmp_path``."""
    tables = channels or {
        "website": {"kind": "outbox", "folder": str(tmp_path / "out" / "website")},
        "weibo": {"kind": "outbox", "folder": str(tmp_path / "out" / "weibo"), "max_length": 140},
    }
    built = {
        name: ChannelSettings(
            name=name,
            kind=table["kind"],
            options={k: v for k, v in table.items() if k not in ("kind", "concurrency", "rate_per_minute")},
            concurrency=table.get("concurrency"),
            rate_per_minute=table.get("rate_per_minute"),
        )
        for name, table in tables.items()
    }
    return Settings(
        source="test",
        database_url=database_url or f"sqlite:///{tmp_path / 'publisher.db'}",
        timezone="Asia/Shanghai",
        daemon=DaemonSettings(**daemon),
        channels=built,
    )


def write_config(folder: Path, text: str) -> str:
    """``text`` written to ``folder/publisher.toml``; its path, as load_settings takes it."""
    path = folder / "publisher.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def outbox_config(folder: Path, text: str) -> str:
    """``write_config`` with one outbox channel after ``text``: every config file needs a channel."""
    return write_config(folder, text + '\n[channels.outbox]\nkind = "outbox"\nfolder = "o"\n')


@pytest.fixture
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    # on the test's database when the test has one (without adding a store to tests that have none)
    url = request.getfixturevalue("database_url") if "database_url" in request.fixturenames else None
    return make_settings(tmp_path, database_url=url)


@pytest.fixture
def adapters(settings: Settings) -> dict[str, Adapter]:
    return settings.build_adapters(httpx.AsyncClient(), {})


@pytest.fixture
def queue(store: Store, settings: Settings, adapters: dict[str, Adapter], clock: ManualClock) -> Queue:
    store.sync_channels({n: c.kind for n, c in settings.channels.items()}, clock.now())
    return Queue(store, adapters, clock, timezone="Asia/Shanghai", actor="tester")
