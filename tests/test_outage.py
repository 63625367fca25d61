"""The database goes away while the daemon runs: it waits with backoff, says why, resumes, and loses nothing.

The PostgreSQL test cluster is stopped as a crash would stop it (``pg_ctl -m immediate``) while sends are in flight,
kept down for a few seconds, and started again. The daemon has no time-specific behaviour (its backoff grows to
30 s and stays there, however long the outage), so a few seconds prove what 30 seconds or 30 minutes would, apart
from the wait; the retry count shows it does not spin meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from pathlib import Path

import pytest
from aiohttp import web

from publisher.daemon import Daemon
from publisher.models import DeliveryState
from publisher.queue import PostDraft
from publisher.store import Store
from tests.conftest import POSTGRESQL_ONLY, make_settings, url_of
from tests.fakes import serve
from tests.postgres import control_reason, server
from tests.test_daemon import make_queue, running, states, wait_until

pytestmark = POSTGRESQL_ONLY


def events(caplog: pytest.LogCaptureFixture, name: str) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.getMessage() == name]


@pytest.fixture
def controllable() -> None:
    reason = control_reason()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)


@pytest.mark.usefixtures("controllable")
async def test_the_daemon_waits_out_a_database_outage_and_loses_nothing(
    tmp_path: Path, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="publisher")
    received: list[str] = []

    async def hook(request: web.Request) -> web.Response:
        title = (await request.json())["title"]
        received.append(title)
        await asyncio.sleep(1.0)  # answers slowly: sends are in flight when the database goes
        return web.json_response({"id": title})

    app = web.Application()
    app.router.add_post("/hook", hook)
    async with serve(app) as base:
        settings = make_settings(
            tmp_path,
            {"hook": {"kind": "webhook", "url": f"{base}/hook", "timeout": 10, "concurrency": 4}},
            database_url=url_of(store),
            poll_interval=0.5,
        )
        queue = make_queue(store, settings)
        for n in range(8):
            queue.add_post(PostDraft(title=f"before-{n}", body="b", channels=["hook"], now=True))
        daemon = Daemon(settings, store)
        async with running(daemon, stop_within=20) as task:
            await wait_until(lambda: len(received) >= 4, timeout=20)
            server("pause")
            down_at = time.monotonic()
            try:
                await asyncio.sleep(4.0)  # the four in flight are answered meanwhile; their outcomes wait
                assert not task.done()  # it did not crash
            finally:
                server("resume")
            retries = [r for r in events(caplog, "database.retry") if r.created >= time.time() - 6]
            assert 1 <= len(retries) <= 8  # backoff, not a spin (0.5 s doubling: 3 or 4 tries in 4 s)
            [unavailable] = events(caplog, "database.unavailable")
            reason = unavailable.fields["reason"]  # type: ignore[attr-defined]
            assert reason.startswith("cannot use the database postgresql+psycopg://")
            assert "refused" in reason or "closed" in reason or "terminat" in reason, reason
            await wait_until(lambda: states(store) == [DeliveryState.SENT] * 8, timeout=30)
            assert events(caplog, "database.available")
            assert time.monotonic() - down_at < 30
            # the listener is back too: a post queued now goes out at once, not at a poll
            await wait_until(lambda: daemon.listener is not None and daemon.listener.connected.is_set(), 30)
            queue.add_post(PostDraft(title="after", body="b", channels=["hook"], now=True))
            await wait_until(lambda: states(store) == [DeliveryState.SENT] * 9, timeout=10)
    assert sorted(received) == sorted([f"before-{n}" for n in range(8)] + ["after"])  # each once: nothing resent
