"""Every delivery state transition, driven by a scripted adapter, a real SQLite file and an injected clock."""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta

import pytest
from sqlalchemy import select

from adapters.base import Capabilities, Limits, Receipt
from adapters.errors import CredentialsRejected, ManualStep, Permanent, Retryable, Uncertain
from adapters.fake import FakeAdapter
from publisher.breaker import Breaker
from publisher.clock import ManualClock
from publisher.dispatcher import Cause, Decision, Dispatcher
from publisher.models import Channel, Delivery, DeliveryState, Event
from publisher.queue import PostDraft, Queue
from publisher.retry import RetryPolicy
from publisher.store import Store

POLICY = RetryPolicy(initial=30, maximum=3600, max_attempts=3)


def setup(store: Store, clock: ManualClock, *fakes: FakeAdapter, posts: int = 1) -> tuple[Queue, Dispatcher]:
    adapters = {f.name: f for f in fakes}
    store.sync_channels({name: "fake" for name in adapters}, clock.now())
    queue = Queue(store, adapters, clock, actor="tester")
    for n in range(posts):
        queue.add_post(PostDraft(title=f"报道{n}", body="正文", channels=list(adapters), now=True))
    dispatcher = Dispatcher(store, adapters, clock, policy=POLICY, lease=timedelta(minutes=5), owner="worker-a")
    return queue, dispatcher


def delivery(store: Store, delivery_id: int = 1) -> Delivery:
    with store.sessions() as session:
        row = session.get(Delivery, delivery_id)
        assert row is not None
        return row


def actions(store: Store) -> list[str]:
    with store.sessions() as session:
        return list(session.scalars(select(Event.action).where(Event.delivery_id.is_not(None)).order_by(Event.id)))


async def test_queued_claimed_sent(store: Store, clock: ManualClock) -> None:
    fake = FakeAdapter("group")
    _, dispatcher = setup(store, clock, fake)
    assert await dispatcher.run_once() == 1
    row = delivery(store)
    assert row.state == DeliveryState.SENT
    assert (row.remote_id, row.remote_url) == ("id-1", "https://example.org/1")
    assert row.sent_at == clock.now()
    assert row.attempts == 1
    assert row.lease_owner is None
    assert actions(store) == ["claim", "delivery.sent"]
    assert [key for key, _ in fake.sent] == [row.idempotency_key]
    assert await dispatcher.run_once() == 0  # nothing twice


async def test_retryable_waits_the_time_the_platform_asks_then_succeeds(store: Store, clock: ManualClock) -> None:
    fake = FakeAdapter("group", script=[Retryable("rate limited", after=120)])
    _, dispatcher = setup(store, clock, fake)
    await dispatcher.run_once()
    row = delivery(store)
    assert row.state == DeliveryState.RETRY_WAIT
    assert row.last_error == "rate limited"
    wait = (row.due_at - clock.now()).total_seconds()
    assert 120 <= wait <= 125
    clock.advance(60)
    assert await dispatcher.run_once() == 0  # not yet
    clock.advance(wait - 60)
    assert await dispatcher.run_once() == 1
    row = delivery(store)
    assert row.state == DeliveryState.SENT
    assert row.attempts == 2
    assert row.last_error is None


async def test_retries_end_as_failed_when_attempts_are_used_up(store: Store, clock: ManualClock) -> None:
    fake = FakeAdapter("group", script=[Retryable("busy")] * 3)
    _, dispatcher = setup(store, clock, fake)
    for _ in range(3):
        await dispatcher.run_once()
        clock.advance(3600)
    row = delivery(store)
    assert row.state == DeliveryState.FAILED
    assert row.last_error == "gave up after 3 attempts: busy"
    assert len(fake.sent) == 3


async def test_permanent_error_fails_at_once_with_the_reason(store: Store, clock: ManualClock) -> None:
    fake = FakeAdapter("group", script=[Permanent("group 123 does not exist")])
    _, dispatcher = setup(store, clock, fake)
    await dispatcher.run_once()
    row = delivery(store)
    assert row.state == DeliveryState.FAILED
    assert row.last_error == "group 123 does not exist"
    with store.sessions() as session:
        channel = session.scalars(select(Channel).where(Channel.name == "group")).one()
    assert channel.last_error == "group 123 does not exist"


async def test_uncertain_is_never_resent_without_a_person(store: Store, clock: ManualClock) -> None:
    fake = FakeAdapter("group", script=[Uncertain("timed out after sending")])
    queue, dispatcher = setup(store, clock, fake)
    await dispatcher.run_once()
    assert delivery(store).state == DeliveryState.UNCERTAIN
    assert "post resolve 1" in (delivery(store).last_error or "")
    for _ in range(3):
        clock.advance(86400)
        assert await dispatcher.run_once() == 0
    assert len(fake.sent) == 1
    queue.resolve(1, "resend")
    assert await dispatcher.run_once() == 1
    assert delivery(store).state == DeliveryState.SENT
    assert len(fake.sent) == 2


async def test_uncertain_on_an_idempotent_platform_is_resent_with_the_same_key(
    store: Store, clock: ManualClock
) -> None:
    fake = FakeAdapter("mastodon", idempotency="native", script=[Uncertain("connection dropped")])
    _, dispatcher = setup(store, clock, fake)
    await dispatcher.run_once()
    assert delivery(store).state == DeliveryState.RETRY_WAIT
    clock.advance(3600)
    await dispatcher.run_once()
    row = delivery(store)
    assert row.state == DeliveryState.SENT
    assert fake.sent[0][0] == fake.sent[1][0] == row.idempotency_key
    assert len(fake.landed) == 1  # the platform kept one post


async def test_uncertain_on_a_lookup_platform_asks_before_resending(store: Store, clock: ManualClock) -> None:
    fake = FakeAdapter("website", idempotency="lookup", script=[Uncertain("read timeout")])
    _, dispatcher = setup(store, clock, fake)
    await dispatcher.run_once()
    clock.advance(3600)
    await dispatcher.run_once()
    row = delivery(store)
    assert row.state == DeliveryState.SENT
    assert fake.lookups == [row.idempotency_key]
    assert len(fake.sent) == 1  # found by lookup: not posted again
    assert row.remote_id == "id-1"


async def test_a_manual_step_waits_for_a_person_even_on_a_lookup_platform(store: Store, clock: ManualClock) -> None:
    # WeChat's 48001: the draft is kept, a person publishes it in the back office; asking again changes nothing
    fake = FakeAdapter("wechat", idempotency="lookup", script=[ManualStep("48001: publish the draft by hand")])
    queue, dispatcher = setup(store, clock, fake)
    await dispatcher.run_once()
    row = delivery(store)
    assert row.state == DeliveryState.UNCERTAIN
    assert row.last_error == "48001: publish the draft by hand; once done: post resolve 1 --sent"
    clock.advance(86400)
    assert await dispatcher.run_once() == 0
    assert len(fake.sent) == 1
    assert fake.lookups == []
    queue.resolve(1, "sent", note="published in the back office")
    assert delivery(store).state == DeliveryState.SENT


async def test_rejected_credentials_pause_the_channel_and_deliveries_wait(store: Store, clock: ManualClock) -> None:
    fake = FakeAdapter("weibo", script=[CredentialsRejected("token expired (21327)")])
    fake.limits = Limits(max_length=500, concurrency=1)
    _, dispatcher = setup(store, clock, fake, posts=3)
    await dispatcher.run_once()
    with store.sessions() as session:
        channel = session.scalars(select(Channel).where(Channel.name == "weibo")).one()
        states = list(session.scalars(select(Delivery.state).order_by(Delivery.id)))
        attempts = list(session.scalars(select(Delivery.attempts).order_by(Delivery.id)))
    assert channel.paused
    assert "token expired" in (channel.last_error or "")
    assert states == [DeliveryState.QUEUED] * 3
    assert attempts == [0, 0, 0]
    assert len(fake.sent) == 1  # the other two were not tried one by one
    store.set_paused("weibo", False, None, clock.now(), "admin")
    assert await dispatcher.run_once() == 3
    assert len(fake.sent) == 4


async def test_a_dead_workers_lease_is_taken_back(store: Store, clock: ManualClock) -> None:
    group = FakeAdapter("group")
    mastodon = FakeAdapter("mastodon", idempotency="native")
    _, dispatcher = setup(store, clock, group, mastodon)
    # worker "dead" claims both and never reports back
    claims = store.claim_due(clock.now(), "dead", timedelta(minutes=5), {"group": 1, "mastodon": 1})
    assert len(claims) == 2
    assert await dispatcher.run_once() == 0  # leases still valid: not touched
    clock.advance(301)
    assert await dispatcher.run_once() == 1
    with store.sessions() as session:
        rows = {d.channel.name: d for d in session.scalars(select(Delivery))}
    assert rows["group"].state == DeliveryState.UNCERTAIN  # it may have gone out: a person decides
    assert "lease of dead expired" in (rows["group"].last_error or "")
    assert rows["mastodon"].state == DeliveryState.SENT  # the platform drops repeats: safe to resend
    assert group.sent == []
    # the dead worker wakes up late: its outcome must not overwrite what happened since
    from publisher.store import Outcome

    late = Outcome(claims[0].delivery_id, claims[0].post_id, claims[0].channel, DeliveryState.FAILED, reason="late")
    assert store.record([late], "dead", clock.now()) == 0


async def test_concurrency_is_capped_per_channel(store: Store, clock: ManualClock) -> None:
    gate = asyncio.Event()
    fake = FakeAdapter("group", gate=gate)
    fake.limits = Limits(max_length=500, concurrency=3)
    _, dispatcher = setup(store, clock, fake, posts=10)
    assert dispatcher.start_due() == 3
    assert dispatcher.start_due() == 0  # full
    await asyncio.sleep(0)
    gate.set()
    await dispatcher.drain()
    assert await dispatcher.run_once() == 7
    assert fake.max_in_flight == 3
    assert len(fake.sent) == 10


async def test_shutdown_gives_back_sends_not_started_and_marks_started_ones(store: Store, clock: ManualClock) -> None:
    gate = asyncio.Event()  # never set: the request hangs in flight
    fake = FakeAdapter("group", gate=gate)
    _, dispatcher = setup(store, clock, fake, posts=1)
    assert dispatcher.start_due() == 1
    await asyncio.sleep(0.01)
    await dispatcher.cancel_in_flight()
    assert delivery(store).state == DeliveryState.UNCERTAIN
    assert "shutting down" in (delivery(store).last_error or "")


def test_backoff_doubles_with_jitter_and_honours_retry_after() -> None:
    policy = RetryPolicy(initial=30, maximum=600, max_attempts=8)
    rng = random.Random(7)
    for attempt, step in [(1, 30), (2, 60), (3, 120), (4, 240), (5, 480), (6, 600), (9, 600)]:
        waits = [policy.delay(attempt, rng=rng) for _ in range(200)]
        assert min(waits) >= step / 2
        assert max(waits) <= step
        assert max(waits) - min(waits) > step / 4  # really jittered
    after = [policy.delay(1, retry_after=90, rng=rng) for _ in range(100)]
    assert min(after) >= 90
    assert max(after) <= 95
    assert not policy.gives_up(7)
    assert policy.gives_up(8)


async def test_a_post_on_several_channels_is_sent_to_each_and_recorded_per_channel(
    store: Store, clock: ManualClock
) -> None:
    website = FakeAdapter("website", idempotency="lookup")
    group = FakeAdapter("group", script=[Permanent("robot removed from the group")])
    _, dispatcher = setup(store, clock, website, group)
    await dispatcher.run_once()
    with store.sessions() as session:
        rows = {d.channel.name: d.state for d in session.scalars(select(Delivery))}
    assert rows == {"website": DeliveryState.SENT, "group": DeliveryState.FAILED}


@pytest.mark.parametrize("idempotency", ["none", "native", "lookup"])
async def test_an_unexpected_adapter_bug_is_treated_as_an_unknown_outcome(
    store: Store, clock: ManualClock, idempotency: str
) -> None:
    class Broken(FakeAdapter):
        async def publish(self, payload: object, key: str) -> Receipt:  # type: ignore[override]
            raise KeyError("oops")

    fake = Broken("group", idempotency=idempotency)  # type: ignore[arg-type]
    _, dispatcher = setup(store, clock, fake)
    await dispatcher.run_once()
    expected = DeliveryState.UNCERTAIN if idempotency == "none" else DeliveryState.RETRY_WAIT
    assert delivery(store).state == expected
    assert "unexpected KeyError" in (delivery(store).last_error or "")


async def test_group_and_microblog_deliveries_wait_for_the_website_article_and_carry_its_link(
    store: Store, clock: ManualClock
) -> None:
    website = FakeAdapter("website", idempotency="lookup", script=[Retryable("busy", after=60)])
    website.capabilities = Capabilities(articles=True)
    group = FakeAdapter("group")
    _, dispatcher = setup(store, clock, website, group)
    await dispatcher.run_once()
    assert group.sent == []  # the article is not up yet: the group message waits for its link
    assert store.next_due_at() == delivery(store, 1).due_at  # and does not make the daemon spin meanwhile
    clock.advance(120)
    await dispatcher.run_once()
    assert delivery(store, 1).state == DeliveryState.SENT
    assert [payload.data["link"] for _, payload in group.sent] == [delivery(store, 1).remote_url]
    assert delivery(store, 2).state == DeliveryState.SENT


async def test_a_failed_article_lets_the_others_go_without_its_link(store: Store, clock: ManualClock) -> None:
    website = FakeAdapter("website", script=[Permanent("category missing")])
    website.capabilities = Capabilities(articles=True)
    group = FakeAdapter("group")
    _, dispatcher = setup(store, clock, website, group)
    await dispatcher.run_once()
    assert delivery(store, 1).state == DeliveryState.FAILED
    assert [payload.data["link"] for _, payload in group.sent] == [None]


class CauseLog(Breaker):
    """The real breaker, noting each decision's cause as it counts it."""

    def __init__(self, store: Store, adapters: dict[str, FakeAdapter], clock: ManualClock) -> None:
        super().__init__(store, adapters, clock, "worker-a", threshold=100)
        self.causes: list[Cause] = []

    def observe(self, decision: Decision) -> None:
        self.causes.append(decision.cause)
        super().observe(decision)


async def test_each_outcome_is_a_decision_with_its_cause(store: Store, clock: ManualClock) -> None:
    script: list[Exception | None] = [
        Retryable("slow down", after=30),
        Retryable("HTTP 502"),
        Uncertain("read timeout"),
        Permanent("the group refused it"),
        CredentialsRejected("token expired"),
        None,
    ]
    fake = FakeAdapter("group", idempotency="native", script=script)  # type: ignore[arg-type]
    _, dispatcher = setup(store, clock, fake, posts=6)
    log = CauseLog(store, {"group": fake}, clock)
    dispatcher.breaker = log
    dispatcher.caps["group"] = 1  # one at a time, so the script meets the posts in order
    await dispatcher.run_once()
    store.set_paused("group", False, None, clock.now(), "admin")  # credentials renewed
    await dispatcher.run_once()
    assert log.causes == [
        Cause.RATE_LIMITED,
        Cause.SERVER_ERROR,
        Cause.TRANSPORT_LOST,
        Cause.REFUSED,
        Cause.CREDENTIALS_REJECTED,
        Cause.SENT,  # the post put back when the credentials were rejected
        Cause.SENT,
    ]
