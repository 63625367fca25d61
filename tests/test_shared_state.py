"""Values shared by every daemon (publisher/services/shared_state.py): a WeChat token renewed by one daemon at a time,
and what was sent for a delivery key remembered across a restart; on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from adapters.errors import Uncertain
from adapters.wechat_mp import WeChatMpAdapter
from publisher.clock import ManualClock
from publisher.daemon import build_dispatcher
from publisher.models import SharedValue
from publisher.scrub import ScrubbedAdapter
from publisher.services.shared_state import StoredCache
from publisher.store import Store, open_store
from tests.adapters.test_wechat_mp import POST
from tests.conftest import make_settings
from tests.fakes import Clock, serve
from tests.fakes.wechat_mp import SECRET, FakeWeChatMp


def daemons(store: Store, clock: ManualClock, *names: str) -> list[StoredCache]:
    """One cache per daemon, on one database; waiting moves the clock instead of sleeping."""

    async def sleep(seconds: float) -> None:
        clock.advance(seconds)
        await asyncio.sleep(0)  # let the other daemon's task run

    return [StoredCache(store, name, clock, lease_seconds=60, wait_seconds=30, sleep=sleep) for name in names]


async def test_a_value_written_by_one_daemon_is_read_by_another(store: Store, clock: ManualClock) -> None:
    a, b = daemons(store, clock, "host-a:1", "host-b:2")
    assert await b.get("token") is None
    expires = clock.now().timestamp() + 7200
    await a.put("token", "T1", expires)
    assert await b.get("token") == ("T1", pytest.approx(expires))
    await b.put("token", "T2", expires + 10)
    assert await a.get("token") == ("T2", pytest.approx(expires + 10))


async def test_values_expired_a_day_ago_are_pruned(store: Store, clock: ManualClock) -> None:
    (a,) = daemons(store, clock, "host-a:1")
    await a.put("old", "x", clock.now().timestamp() - 2 * 86400)
    await a.put("recent", "y", clock.now().timestamp() - 3600)
    await a.put("new", "z", clock.now().timestamp() + 60)
    assert await a.get("old") is None
    assert await a.get("recent") is not None  # expired, but a late reader may still ask


async def test_one_daemon_renews_at_a_time(store: Store, clock: ManualClock) -> None:
    a, b = daemons(store, clock, "host-a:1", "host-b:2")
    order: list[str] = []

    async def renew(cache: StoredCache, who: str) -> None:
        async with cache.lock("token"):
            order.append(f"{who} in")
            await asyncio.sleep(0)
            await asyncio.sleep(0)
            order.append(f"{who} out")

    await asyncio.gather(renew(a, "a"), renew(b, "b"))
    assert order == ["a in", "a out", "b in", "b out"]


async def test_a_dead_daemons_lease_runs_out(store: Store, clock: ManualClock) -> None:
    (b,) = daemons(store, clock, "host-b:2")
    now = clock.now()
    assert store.take_shared_lease("token", "host-a:1", now, now + timedelta(seconds=20))  # a took it, then died
    start = clock.now()
    async with b.lock("token"):
        assert store.take_shared_lease("token", "host-a:1", clock.now(), clock.now()) is False  # b holds it now
    waited = (clock.now() - start).total_seconds()
    assert 20 <= waited < 30  # until a's lease ran out, not b's whole patience


async def test_a_database_away_keeps_the_values_in_the_process() -> None:
    away = open_store("postgresql+psycopg://publisher@127.0.0.1:1/nowhere?connect_timeout=1")
    try:
        cache = StoredCache(away, "host-a:1", ManualClock(datetime(2026, 12, 4, tzinfo=UTC)))
        await cache.put("token", "T1", 10.0**10)
        assert await cache.get("token") == ("T1", 10.0**10)
        async with cache.lock("token"):  # no lease to take: this process's lock only
            pass
    finally:
        away.engine.dispose()


async def test_two_daemons_share_one_wechat_token_and_a_restart_remembers_a_lost_submit(
    store: Store, clock: ManualClock
) -> None:
    fake_clock = Clock()
    fake = FakeWeChatMp(mode="publish", publish_delay=100, clock=fake_clock)
    async with serve(fake.app()) as base, httpx.AsyncClient() as client:
        options, env = fake.channel_options(base)

        def daemon(cache: StoredCache) -> WeChatMpAdapter:
            return WeChatMpAdapter("wechat", options, client=client, env=env, cache=cache, clock=fake_clock)

        first, second = (daemon(cache) for cache in daemons(store, clock, "host-a:1", "host-b:2"))
        payload = first.render(POST)
        fake.inject("drop")  # the first daemon's submit lands; its answer is lost, and then that daemon dies
        with pytest.raises(Uncertain):
            await first.publish(payload, "pub-1-wechat-shared")
        # the other daemon takes the delivery back and asks first: the article is still being published
        with pytest.raises(Uncertain):
            await second.lookup("pub-1-wechat-shared")
        fake_clock.now += 100
        found = await second.lookup("pub-1-wechat-shared")
    assert found is not None
    assert found.url
    assert len(fake.jobs) == 1  # submitted once
    assert len(fake.token_requests) == 1  # and one token for both daemons
    with store.sessions() as session:  # the database shares the token sealed, never as the platform gave it
        stored = " ".join(session.scalars(select(SharedValue.value)))
    [token] = fake.tokens
    assert token not in stored
    assert token[:12] not in stored


async def test_the_daemon_gives_wechat_channels_the_stored_cache(
    tmp_path: Path, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WECHAT_MP_APP_SECRET", SECRET)
    table = {"kind": "wechat_mp", "app_id": "wx1", "app_secret_env": "WECHAT_MP_APP_SECRET"}
    settings = make_settings(tmp_path, {"wechat": table})
    store = open_store(settings.database_url)
    store.upgrade()
    try:
        async with httpx.AsyncClient() as client:
            dispatcher = build_dispatcher(settings, store, client, clock)
        adapter = dispatcher.adapters["wechat"]
        assert isinstance(adapter, ScrubbedAdapter)  # set through the scrubber, on the adapter itself
        assert isinstance(adapter.cache, StoredCache)
    finally:
        store.engine.dispose()
