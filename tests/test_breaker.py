"""Faults: the circuit breaker pauses a channel that keeps failing and resumes it after a probe; nothing is lost.

Backoff and ``Retry-After`` are covered in ``test_dispatcher.py``; the stand-ins' faults by the contract suite.
"""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from adapters import create
from adapters.base import Limits, PostContent
from adapters.errors import Permanent, Retryable, Uncertain
from adapters.fake import FakeAdapter
from publisher.breaker import BREAKER, Breaker
from publisher.clock import ManualClock
from publisher.daemon import Daemon
from publisher.dispatcher import Dispatcher
from publisher.models import Channel, DeliveryState, Event
from publisher.queue import PostDraft, Queue
from publisher.retry import RetryPolicy
from publisher.store import Store
from tests.conftest import make_settings, url_of
from tests.fakes import serve
from tests.fakes.webhook import FakeWebhook
from tests.test_daemon import make_queue, running, states, wait_until


def setup(store: Store, clock: ManualClock, fake: FakeAdapter, posts: int = 6) -> tuple[Queue, Dispatcher, Breaker]:
    fake.limits = Limits(max_length=500, concurrency=1)
    store.sync_channels({fake.name: "fake"}, clock.now())
    queue = Queue(store, {fake.name: fake}, clock, actor="tester")
    for n in range(posts):
        queue.add_post(PostDraft(title=f"报道{n}", body="正文", channels=[fake.name], now=True))
    policy = RetryPolicy(initial=30, maximum=60, max_attempts=8)
    dispatcher = Dispatcher(store, {fake.name: fake}, clock, policy=policy, owner="worker-a")
    breaker = Breaker(store, {fake.name: fake}, clock, "worker-a", threshold=3, cooldown=60)
    dispatcher.breaker = breaker
    return queue, dispatcher, breaker


def channel(store: Store, name: str) -> Channel:
    with store.sessions() as session:
        return session.scalars(select(Channel).where(Channel.name == name)).one()


async def test_a_channel_that_keeps_failing_is_paused_then_probed_and_resumed(store: Store, clock: ManualClock) -> None:
    fake = FakeAdapter("group", script=[Retryable("HTTP 503"), Uncertain("read timeout"), Retryable("HTTP 502")])
    _, dispatcher, breaker = setup(store, clock, fake)
    await dispatcher.run_once()
    row = channel(store, "group")
    assert (row.paused, row.paused_by) == (True, BREAKER)
    assert row.last_error == "HTTP 502"
    with store.sessions() as session:
        why = session.scalars(select(Event.reason).where(Event.action == "channel.pause")).one()
    assert why == "group: circuit open after 3 failed sends in a row (last: HTTP 502)"
    assert row.probe_at == clock.now() + timedelta(seconds=60)
    assert len(fake.sent) == 3  # the other three were not tried against a platform that is down
    assert (
        states(store)
        == [DeliveryState.RETRY_WAIT, DeliveryState.UNCERTAIN, DeliveryState.RETRY_WAIT] + [DeliveryState.QUEUED] * 3
    )
    clock.advance(30)
    assert await breaker.probe() == []  # still cooling down
    assert await dispatcher.run_once() == 0  # paused: nothing claimed although retries are due
    clock.advance(31)
    assert await breaker.probe() == ["group"]
    row = channel(store, "group")
    assert (row.paused, row.paused_by, row.probe_at) == (False, None, None)
    clock.advance(60)  # the retries fall due
    await dispatcher.run_once()
    # nothing lost: all sent but the uncertain one, which waits for a person (the webhook cannot be asked)
    assert states(store).count(DeliveryState.SENT) == 5
    assert states(store).count(DeliveryState.UNCERTAIN) == 1
    assert breaker.opened == 1


async def test_a_failed_probe_keeps_the_channel_paused_until_one_passes(store: Store, clock: ManualClock) -> None:
    class Down(FakeAdapter):
        healthy = False

        async def check(self) -> str:
            if not self.healthy:
                raise Retryable("HTTP 503 on the health check")
            return "fine again"

    fake = Down("group", script=[Retryable("HTTP 503")] * 3)
    _, dispatcher, breaker = setup(store, clock, fake)
    await dispatcher.run_once()
    clock.advance(61)
    assert await breaker.probe() == []
    row = channel(store, "group")
    assert row.paused
    assert row.probe_at == clock.now() + timedelta(seconds=60)  # the next probe, a cool-down later
    fake.healthy = True
    clock.advance(61)
    assert await breaker.probe() == ["group"]
    clock.advance(120)
    await dispatcher.run_once()
    assert states(store) == [DeliveryState.SENT] * 6


async def test_a_success_closes_the_count_and_a_persons_pause_is_never_lifted(store: Store, clock: ManualClock) -> None:
    fake = FakeAdapter("group", script=[Retryable("503"), Retryable("503"), None, Retryable("503")])  # type: ignore[list-item]
    _, dispatcher, breaker = setup(store, clock, fake, posts=4)
    await dispatcher.run_once()
    assert not channel(store, "group").paused  # never three in a row
    store.set_paused("group", True, "holiday", clock.now(), "admin")
    clock.advance(3600)
    assert await breaker.probe() == []
    assert channel(store, "group").paused_by == "admin"


async def test_the_breaker_counts_causes_whatever_the_words(store: Store, clock: ManualClock) -> None:
    # a platform's refusal worded like the dispatcher's "gave up" is still a refusal: the platform is up
    refused = [Permanent("gave up after 3 attempts: the group refused the text")] * 3
    _, dispatcher, _ = setup(store, clock, FakeAdapter("group", script=list(refused)), posts=3)
    await dispatcher.run_once()
    assert not channel(store, "group").paused
    assert states(store) == [DeliveryState.FAILED] * 3
    # and answers that never came are counted however the adapter words them
    lost = [Uncertain("stopped while sending: the server hung up")] * 3
    _, dispatcher, _ = setup(store, clock, FakeAdapter("group", script=list(lost)), posts=3)
    await dispatcher.run_once()
    assert (channel(store, "group").paused, channel(store, "group").paused_by) == (True, BREAKER)


async def test_the_daemon_rides_out_a_platform_outage_with_the_breaker(
    tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A webhook answering 503 five times: the channel is paused, probed, resumed, and every post goes out once."""
    hook = FakeWebhook()
    hook.inject("unavailable", 5)
    async with serve(hook.app()) as base:
        options, env = hook.channel_options(base)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        settings = make_settings(
            tmp_path,
            {"hook": {"kind": "webhook", **options, "concurrency": 1}},
            database_url=url_of(store),
            poll_interval=0.2,
            backoff_initial=0.2,
            backoff_max=0.5,
            breaker_threshold=3,
            breaker_cooldown=0.5,
        )
        queue = make_queue(store, settings)
        for n in range(6):
            queue.add_post(PostDraft(title=f"通知{n}", body="b", channels=["hook"], now=True))
        async with running(Daemon(settings, store)):
            await wait_until(lambda: states(store) == [DeliveryState.SENT] * 6, timeout=20)
    assert sorted(document["title"] for document in hook.accepted) == [f"通知{n}" for n in range(6)]
    with store.sessions() as session:
        actions = list(session.scalars(select(Event.action).where(Event.action.like("channel.%")).order_by(Event.id)))
    assert actions[:2] == ["channel.pause", "channel.resume"]  # 3 failures open it; the probe closes it
    assert not channel(store, "hook").paused


async def test_a_body_slower_than_the_read_timeout_is_an_unknown_outcome() -> None:
    hook = FakeWebhook()
    async with serve(hook.app()) as base, httpx.AsyncClient() as client:
        options, env = hook.channel_options(base)
        adapter = create("webhook", "hook", {**options, "timeout": 0.3}, client=client, env=env)
        hook.inject("slow_body")
        started = time.monotonic()
        with pytest.raises(Uncertain):
            await adapter.publish(adapter.render(PostContent(title="慢", body="b")), "pub-1-hook-slow")
        assert time.monotonic() - started < 2.0  # the read timeout, not the whole trickle
    assert len(hook.accepted) == 1  # it landed: only the answer was lost, so never resent blindly
