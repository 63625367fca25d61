"""LISTEN/NOTIFY on PostgreSQL: work queued anywhere wakes listening daemons at once; polling stays the safety net."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from pathlib import Path

import httpx

from publisher.clock import ManualClock, SystemClock
from publisher.daemon import Daemon
from publisher.models import DeliveryState
from publisher.notify import DueListener
from publisher.queue import PostDraft, Queue
from publisher.store import Store, open_store
from tests.conftest import POSTGRESQL_ONLY, make_settings, url_of
from tests.test_daemon import running, states, wait_until

pytestmark = POSTGRESQL_ONLY


async def test_a_notification_is_sent_when_the_transaction_commits_and_not_if_it_rolls_back(store: Store) -> None:
    woken: list[float] = []
    listener = DueListener(store.engine.url, lambda: woken.append(time.monotonic()))
    task = asyncio.create_task(listener.run())
    try:
        await asyncio.wait_for(listener.connected.wait(), 10)
        await wait_until(lambda: len(woken) == 1)  # once on connecting: anything queued while nobody listened
        try:
            with store.session() as session:
                store.notify_due(session)
                raise RuntimeError("changed my mind")
        except RuntimeError:
            pass
        await asyncio.sleep(0.3)
        assert len(woken) == 1  # rolled back: nobody woken
        with store.session() as session:
            store.notify_due(session)
        await wait_until(lambda: len(woken) == 2, timeout=2)
        assert listener.notifications == 1
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_queueing_approving_moving_and_resending_each_notify(store: Store, clock: ManualClock) -> None:
    from adapters.fake import FakeAdapter

    listener = DueListener(store.engine.url, lambda: None)
    task = asyncio.create_task(listener.run())
    try:
        await asyncio.wait_for(listener.connected.wait(), 10)
        adapters = {"group": FakeAdapter("group")}
        store.sync_channels({"group": "fake"}, clock.now())
        queue = Queue(store, adapters, clock, actor="tester")
        queue.add_campaign("阅读月", requires_approval=True, separate_approver=False)  # one tester queues and approves
        heard = listener.notifications
        post = queue.add_post(PostDraft(title="t", body="b", channels=["group"], now=True, campaign="阅读月"))
        await asyncio.sleep(0.2)
        assert listener.notifications == heard  # waiting for approval: nothing to do yet
        for change in (
            lambda: queue.approve(post),
            lambda: queue.reschedule(post, clock.now() + timedelta(hours=1)),
            lambda: queue.add_post(PostDraft(title="t2", body="b", channels=["group"], now=True)),
        ):
            change()
            heard += 1
            await wait_until(lambda: listener.notifications == heard, timeout=2)  # noqa: B023 (awaited here)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_a_post_queued_by_another_process_is_sent_at_once_not_at_the_next_poll(
    tmp_path: Path, store: Store
) -> None:
    settings = make_settings(tmp_path, database_url=url_of(store), poll_interval=60.0)
    other = open_store(url_of(store))  # the `publisher post add` of another process: its own connections
    try:
        adapters = settings.build_adapters(httpx.AsyncClient(), {})
        store.sync_channels({n: c.kind for n, c in settings.channels.items()}, SystemClock().now())
        queue = Queue(other, adapters, SystemClock(), timezone=settings.timezone)
        daemon = Daemon(settings, store)
        async with running(daemon):
            await wait_until(lambda: daemon.listener is not None and daemon.listener.connected.is_set())
            await asyncio.sleep(0.3)  # idle now: the next poll is a minute away
            queued_at = time.monotonic()
            queue.add_post(PostDraft(title="通知", body="b", channels=["website"], now=True))
            await wait_until(lambda: states(store) == [DeliveryState.SENT], timeout=5)
            assert time.monotonic() - queued_at < 1.0
    finally:
        other.engine.dispose()
