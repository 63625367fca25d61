"""Fixtures for the tracker: a loopback feed server, fast tracker settings, and a campaign with a published post."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import update

from publisher.clock import ManualClock
from publisher.guard import OutboundPolicy
from publisher.models import Delivery, DeliveryState
from publisher.queue import PostDraft, Queue
from publisher.store import Store
from publisher.tracker.service import Tracker
from publisher.tracker.settings import TrackerSettings
from tests.fakes.feeds import FeedServer
from tests.fakes.server import serve

FAST = TrackerSettings(
    min_interval=600,
    max_interval=6 * 3600,
    backoff_max=6 * 3600,
    connect_timeout=2,
    read_timeout=0.5,
    total_timeout=3,
    per_host_concurrency=2,
    full_text=False,  # the sample items link to addresses that do not exist; tests/tracker/test_fulltext.py turns it on
)
LOOPBACK = OutboundPolicy(allow=("127.0.0.0/8",))  # the stand-in feed servers listen on 127.0.0.1


@pytest.fixture
async def feeds() -> AsyncIterator[tuple[FeedServer, str]]:
    server = FeedServer()
    async with serve(server.app()) as base:
        yield server, base
    server.hold.set()


@pytest.fixture
def tracker(store: Store, clock: ManualClock) -> Tracker:
    return Tracker(FAST, store, clock, timezone="Asia/Shanghai", outbound=LOOPBACK)


def publish(queue: Queue, store: Store, *, title: str, body: str, campaign: str) -> int:
    """Queue a post on the outbox channels and mark it sent, as if the dispatcher had sent it."""
    post_id = queue.add_post(PostDraft(title=title, body=body, channels=["website"], now=True, campaign=campaign))
    with store.session() as session:
        session.execute(update(Delivery).where(Delivery.post_id == post_id).values(state=DeliveryState.SENT.value))
    return post_id


def start_campaign(queue: Queue, name: str = "阅读月") -> None:
    queue.add_campaign(name, timezone="Asia/Shanghai", starts_at=datetime(2026, 11, 25, tzinfo=UTC))
