"""Claiming under concurrency: stores claiming at once never take the same delivery (SKIP LOCKED on PostgreSQL, one
writer at a time on SQLite); a lease held by a live transaction is skipped, not waited for."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import timedelta

from sqlalchemy import select

from adapters.fake import FakeAdapter
from publisher.clock import ManualClock
from publisher.models import Channel, Delivery, DeliveryState
from publisher.queue import PostDraft, Queue
from publisher.store import Claim, Store, open_store
from tests.conftest import POSTGRESQL_ONLY, url_of

CHANNELS = ("group", "website", "weibo")


def queue_many(store: Store, clock: ManualClock, posts: int) -> None:
    adapters = {name: FakeAdapter(name) for name in CHANNELS}
    store.sync_channels(dict.fromkeys(CHANNELS, "fake"), clock.now())
    queue = Queue(store, adapters, clock, actor="tester")
    for n in range(posts):
        queue.add_post(PostDraft(title=f"报道{n}", body="正文", channels=list(CHANNELS), now=True))


def test_stores_claiming_at_once_never_take_the_same_delivery(store: Store, clock: ManualClock) -> None:
    queue_many(store, clock, 100)  # 300 deliveries
    workers = 4
    barrier = threading.Barrier(workers)
    taken: list[list[int]] = [[] for _ in range(workers)]
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        own = open_store(url_of(store))  # its own engine and connections, as another daemon would have
        try:
            barrier.wait()
            while True:
                claims = own.claim_due(clock.now(), f"worker-{index}", timedelta(minutes=5), dict.fromkeys(CHANNELS, 3))
                if not claims:
                    return
                taken[index].extend(claim.delivery_id for claim in claims)
                time.sleep(0.001)  # a daemon sends between claims: let the others in
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            own.engine.dispose()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    claimed = Counter(delivery for ids in taken for delivery in ids)
    assert [d for d, n in claimed.items() if n > 1] == []  # never twice
    assert len(claimed) == 300  # and every one
    if not store.is_sqlite:  # (SQLite's one writer may let one thread take it all: correct, but nothing shared)
        assert sum(1 for ids in taken if ids) >= 2  # the work really was shared, each row by one store
    with store.sessions() as session:
        owners = dict(session.execute(select(Delivery.id, Delivery.lease_owner)).all())
        states = set(session.scalars(select(Delivery.state)))
    assert states == {DeliveryState.CLAIMED}
    for index, ids in enumerate(taken):
        assert {owners[d] for d in ids} <= {f"worker-{index}"}


@POSTGRESQL_ONLY
def test_rows_locked_by_another_transaction_are_skipped_not_waited_for(store: Store, clock: ManualClock) -> None:
    queue_many(store, clock, 4)  # 12 deliveries, 4 per channel
    other = open_store(url_of(store))
    try:
        with other.session() as session:
            # another daemon is in the middle of claiming the two earliest rows of "group"
            locked = session.scalars(
                select(Delivery.id)
                .join(Channel)
                .where(Channel.name == "group")
                .order_by(Delivery.due_at, Delivery.id)
                .limit(2)
                .with_for_update(of=Delivery)
            ).all()
            claims: list[Claim] = []
            claiming = threading.Thread(
                target=lambda: claims.extend(
                    store.claim_due(clock.now(), "worker-b", timedelta(minutes=5), {"group": 10})
                )
            )
            claiming.start()
            claiming.join(10)  # were it waiting for the locks, it would wait for this transaction: for ever
            assert not claiming.is_alive()
            assert len(claims) == 2  # the two unlocked ones, at once
            assert not {c.delivery_id for c in claims} & set(locked)
    finally:
        other.engine.dispose()
