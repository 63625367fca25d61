"""Shared fixtures: a real SQLite file per test, an injected clock, and settings built in code."""

from __future__ import annotations

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

START = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)  # 16:00 in Asia/Shanghai


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = open_store(f"sqlite:///{tmp_path / 'publisher.db'}")
    store.upgrade()
    yield store
    store.engine.dispose()


def make_settings(tmp_path: Path, channels: Mapping[str, Mapping[str, Any]] | None = None, **daemon: Any) -> Settings:
    """Settings with the given channels (name -> table with `kind`); by default two outbox channels."""
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
        database_url=f"sqlite:///{tmp_path / 'publisher.db'}",
        timezone="Asia/Shanghai",
        daemon=DaemonSettings(**daemon),
        channels=built,
    )


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def adapters(settings: Settings) -> dict[str, Adapter]:
    return settings.build_adapters(httpx.AsyncClient(), {})


@pytest.fixture
def queue(store: Store, settings: Settings, adapters: dict[str, Adapter], clock: ManualClock) -> Queue:
    store.sync_channels({n: c.kind for n, c in settings.channels.items()}, clock.now())
    return Queue(store, adapters, clock, timezone="Asia/Shanghai", actor="tester")
