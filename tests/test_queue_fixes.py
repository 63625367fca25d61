"""Queueing bugs of issue 11: a cancelled post stops awaiting approval; a post after its campaign's end is refused;
a failed delivery can be retried once its cause is fixed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from publisher.clock import ManualClock
from publisher.errors import ValidationError
from publisher.models import ApprovalState, Delivery, DeliveryState, Event, Post
from publisher.queue import Queue
from publisher.store import Store
from publisher.store.deliveries import PostFilter, list_deliveries
from publisher.times import parse_until
from tests.test_queue import draft


def test_a_cancelled_post_no_longer_awaits_approval(queue: Queue, store: Store, clock: ManualClock) -> None:
    queue.add_campaign("阅读月", timezone="Asia/Shanghai", requires_approval=True)
    post_id = queue.add_post(draft(clock, campaign="阅读月"))
    assert len(list_deliveries(store, PostFilter(state="pending"))) == 2
    queue.cancel(post_id, "写错了")
    with store.sessions() as session:
        post = session.get(Post, post_id)
        assert post is not None
        assert post.approval == ApprovalState.WITHDRAWN
    assert list_deliveries(store, PostFilter(state="pending")) == []  # the approvals page and `post list --state`
    with pytest.raises(ValidationError, match="not waiting for approval"):
        queue.approve(post_id)


def test_an_old_cancelled_post_left_pending_is_not_listed_as_awaiting(
    queue: Queue, store: Store, clock: ManualClock
) -> None:
    queue.add_campaign("阅读月", timezone="Asia/Shanghai", requires_approval=True)
    post_id = queue.add_post(draft(clock, campaign="阅读月"))
    queue.cancel(post_id)
    with store.session() as session:  # as older versions left it
        session.execute(update(Post).where(Post.id == post_id).values(approval=ApprovalState.PENDING.value))
    assert list_deliveries(store, PostFilter(state="pending")) == []


def test_a_post_after_its_campaigns_end_is_refused_with_the_end(queue: Queue, clock: ManualClock) -> None:
    # the clock is 2026-12-01 16:00 in Shanghai; the campaign runs through 3 December
    queue.add_campaign("阅读月", timezone="Asia/Shanghai", ends_at=parse_until("2026-12-03", "Asia/Shanghai"))
    last_day = clock.now() + timedelta(days=2, hours=7)  # 3 December, 23:00
    assert queue.add_post(draft(clock, campaign="阅读月", at=last_day))
    with pytest.raises(ValidationError, match=r"campaign 阅读月 ends 2026-12-03 \(through that day\)"):
        queue.add_post(draft(clock, campaign="阅读月", at=last_day + timedelta(hours=1)))
    clock.advance(3 * 86_400)
    with pytest.raises(ValidationError, match="after its end"):
        queue.add_post(draft(clock, campaign="阅读月", at=None, now=True))


def test_a_campaign_can_be_edited_and_ended(queue: Queue, store: Store, clock: ManualClock) -> None:
    queue.add_campaign("阅读月", timezone="Asia/Shanghai")
    queue.add_post(draft(clock, campaign="阅读月", at=clock.now() + timedelta(days=3)))
    edited = queue.edit_campaign("阅读月", requires_approval=True, starts_at=clock.now() - timedelta(days=1))
    assert edited.requires_approval
    campaign, late = queue.end_campaign("阅读月", clock.now() + timedelta(days=1))
    assert campaign.ends_at == clock.now() + timedelta(days=1)
    assert late == 1  # queued after the new end: said, not cancelled
    with pytest.raises(ValidationError, match="after its end"):
        queue.add_post(draft(clock, campaign="阅读月", at=clock.now() + timedelta(days=2)))
    with pytest.raises(ValidationError, match="end before it starts"):
        queue.edit_campaign("阅读月", ends_at=clock.now() - timedelta(days=2))


def fail(store: Store, post_id: int, channel: str, error: str) -> None:
    from publisher.models import Channel

    with store.session() as session:
        channel_id = session.scalar(select(Channel.id).where(Channel.name == channel))
        session.execute(
            update(Delivery)
            .where(Delivery.post_id == post_id, Delivery.channel_id == channel_id)
            .values(state=DeliveryState.FAILED.value, attempts=5, last_error=error)
        )


def test_a_failed_delivery_is_retried_after_its_cause_is_fixed(queue: Queue, store: Store, clock: ManualClock) -> None:
    post_id = queue.add_post(draft(clock))
    fail(store, post_id, "weibo", "token expired")
    with pytest.raises(ValidationError, match="no failed delivery on website"):
        queue.retry(post_id, "website")
    clock.advance(3600 * 5)
    assert queue.retry(post_id, "weibo", "renewed the token") == 1
    with store.sessions() as session:
        weibo = session.scalars(select(Delivery).where(Delivery.post_id == post_id).order_by(Delivery.id)).all()[1]
        assert (weibo.state, weibo.attempts, weibo.due_at) == (DeliveryState.QUEUED, 0, clock.now())
        last = session.scalars(select(Event).order_by(Event.id.desc())).first()
        assert last is not None
        assert last.delivery_id == weibo.id
        assert last.reason is not None
        assert "retried by tester after: token expired (renewed the token)" in last.reason
    with pytest.raises(ValidationError, match="no failed delivery"):
        queue.retry(post_id)
    queue.cancel(post_id)
    with pytest.raises(ValidationError, match="cancelled"):
        queue.retry(post_id)
