"""Queueing rules: every refusal writes nothing; approvals, cancel, reschedule and resolve follow the rules."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from publisher.clock import ManualClock
from publisher.errors import NotFoundError, ValidationError
from publisher.models import Delivery, DeliveryState, Event, Post
from publisher.queue import PostDraft, Queue
from publisher.store import Store
from publisher.times import parse_time


def counts(store: Store) -> tuple[int, int, int]:
    with store.sessions() as session:
        return (
            session.scalar(select(func.count()).select_from(Post)) or 0,
            session.scalar(select(func.count()).select_from(Delivery)) or 0,
            session.scalar(select(func.count()).select_from(Event)) or 0,
        )


def draft(clock: ManualClock, **changes: object) -> PostDraft:
    fields: dict[str, object] = {
        "title": "开学典礼",
        "body": "新学期开始了。",
        "channels": ["website", "weibo"],
        "at": clock.now() + timedelta(hours=1),
    }
    fields.update(changes)
    return PostDraft(**fields)  # type: ignore[arg-type]


def test_a_post_becomes_one_delivery_per_channel_with_distinct_keys(
    queue: Queue, store: Store, clock: ManualClock
) -> None:
    post_id = queue.add_post(draft(clock))
    with store.sessions() as session:
        deliveries = list(session.scalars(select(Delivery).where(Delivery.post_id == post_id)))
    assert [d.channel.name for d in deliveries] == ["website", "weibo"]
    assert {d.state for d in deliveries} == {DeliveryState.QUEUED}
    assert all(d.due_at == clock.now() + timedelta(hours=1) for d in deliveries)
    assert len({d.idempotency_key for d in deliveries}) == 2
    assert all(d.ready for d in deliveries)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"channels": ["website", "fax"]}, "unknown channel fax"),
        ({"channels": []}, "choose at least one channel"),
        ({"channels": ["website", "website"]}, "named twice"),
        ({"title": "   "}, "needs a title"),
        ({"at": None}, "say when"),
        ({"campaign": "no-such-campaign"}, "unknown campaign 'no-such-campaign'"),
        ({"body": "字" * 141 + "x"}, "weibo: the text is"),
        ({"overrides": {"telegram": {"body": "x"}}}, "an override is given for telegram"),
    ],
)
def test_refusals_write_nothing(
    queue: Queue, store: Store, clock: ManualClock, changes: dict[str, object], message: str
) -> None:
    before = counts(store)
    with pytest.raises((ValidationError, NotFoundError), match=message):
        queue.add_post(draft(clock, **changes))
    assert counts(store) == before


def test_a_time_in_the_past_is_refused_unless_now(queue: Queue, store: Store, clock: ManualClock) -> None:
    with pytest.raises(ValidationError, match="is in the past; choose a later time or use --now"):
        queue.add_post(draft(clock, at=clock.now() - timedelta(minutes=5)))
    assert counts(store)[0] == 0
    post_id = queue.add_post(draft(clock, at=None, now=True))
    with store.sessions() as session:
        due = session.scalars(select(Delivery.due_at).where(Delivery.post_id == post_id)).all()
    assert due == [clock.now(), clock.now()]


def test_a_time_in_the_past_is_said_in_the_posts_zone(queue: Queue, clock: ManualClock) -> None:
    """Not as a UTC ISO stamp: the person typed it in the campaign's zone."""
    queue.add_campaign("阅读月", timezone="Asia/Shanghai")
    past = clock.now() - timedelta(minutes=5)  # 2026-12-01 07:55 UTC
    with pytest.raises(ValidationError, match=r"^2026-12-01 15:55 CST is in the past"):
        queue.add_post(draft(clock, at=past, campaign="阅读月"))
    post_id = queue.add_post(draft(clock, at=clock.now() + timedelta(hours=1), campaign="阅读月"))
    with pytest.raises(ValidationError, match=r"^2026-12-01 15:55 CST is in the past"):
        queue.reschedule(post_id, past)


def test_text_exactly_at_the_limit_is_accepted_and_one_more_is_refused(queue: Queue, clock: ManualClock) -> None:
    # the outbox renders "# title\n\nbody\n": 2 + 4 + 2 + body + 1 characters
    title = "开学典礼"
    fixed = len(f"# {title}\n\n") + 1
    queue.add_post(draft(clock, title=title, body="字" * (140 - fixed)))
    with pytest.raises(ValidationError, match="141 characters long, over the limit of 140"):
        queue.add_post(draft(clock, title=title, body="字" * (141 - fixed)))


def test_an_override_gives_a_channel_its_own_shorter_text(queue: Queue, clock: ManualClock) -> None:
    long_body = "长" * 500
    queue.add_post(draft(clock, body=long_body, overrides={"weibo": {"body": "短文"}}))
    rows = queue.preview(1)
    assert [r["channel"] for r in rows] == ["website", "weibo"]
    assert rows[1]["text"].startswith("# 开学典礼\n\n短文")
    assert rows[1]["length"] <= rows[1]["limit"]
    assert rows[0]["length"] > 500


def test_approval_gates_dispatch_and_is_logged(queue: Queue, store: Store, clock: ManualClock) -> None:
    queue.add_campaign("阅读月", timezone="Asia/Shanghai", requires_approval=True)
    post_id = queue.add_post(draft(clock, campaign="阅读月", at=clock.now() + timedelta(seconds=30)))
    clock.advance(60)
    assert store.claim_due(clock.now(), "w", timedelta(minutes=5), {"website": 5, "weibo": 5}) == []
    assert store.next_due_at() is None
    queue.actor = "园长"
    queue.approve(post_id, note="同意发布")
    claims = store.claim_due(clock.now(), "w", timedelta(minutes=5), {"website": 5, "weibo": 5})
    assert sorted(c.channel for c in claims) == ["website", "weibo"]
    with store.sessions() as session:
        approval = session.scalars(select(Event).where(Event.action == "post.approve")).one()
    assert approval.actor == "园长"
    assert approval.reason == "同意发布"
    with pytest.raises(ValidationError, match="not waiting for approval"):
        queue.approve(post_id)


def test_rejection_needs_a_reason_and_cancels_everything(queue: Queue, store: Store, clock: ManualClock) -> None:
    queue.add_campaign("阅读月", requires_approval=True)
    post_id = queue.add_post(draft(clock, campaign="阅读月"))
    with pytest.raises(ValidationError, match="say why"):
        queue.reject(post_id, "  ")
    queue.reject(post_id, "标题有错别字")
    with store.sessions() as session:
        states = set(session.scalars(select(Delivery.state).where(Delivery.post_id == post_id)))
        post = session.get(Post, post_id)
        assert post is not None
        assert post.approval == "rejected"
    assert states == {DeliveryState.CANCELLED}


def test_cancel_and_reschedule(queue: Queue, store: Store, clock: ManualClock) -> None:
    first = queue.add_post(draft(clock))
    second = queue.add_post(draft(clock))
    later = clock.now() + timedelta(days=2)
    assert queue.reschedule(second, later, channel="weibo") == 1
    with pytest.raises(ValidationError, match="in the past"):
        queue.reschedule(second, clock.now() - timedelta(hours=1))
    assert queue.cancel(first, "活动延期") == 2
    with pytest.raises(ValidationError, match="already cancelled"):
        queue.cancel(first)
    with pytest.raises(ValidationError, match="is cancelled"):
        queue.reschedule(first, later)
    with store.sessions() as session:
        rows = {(d.post_id, d.channel.name): d for d in session.scalars(select(Delivery))}
    assert rows[(first, "website")].state == DeliveryState.CANCELLED
    assert rows[(second, "weibo")].due_at == later
    assert rows[(second, "website")].due_at == clock.now() + timedelta(hours=1)
    with pytest.raises(NotFoundError, match="there is no post 99"):
        queue.cancel(99)


def test_resolve_only_touches_uncertain_deliveries(queue: Queue, store: Store, clock: ManualClock) -> None:
    post_id = queue.add_post(draft(clock))
    with pytest.raises(ValidationError, match="no uncertain delivery"):
        queue.resolve(post_id, "sent")
    with store.session() as session:
        for delivery in session.scalars(select(Delivery)):
            delivery.state = DeliveryState.UNCERTAIN
    assert queue.resolve(post_id, "sent", channel="website", note="在网站上看到了") == 1
    assert queue.resolve(post_id, "resend") == 1
    with pytest.raises(ValidationError, match="--sent"):
        queue.resolve(post_id, "maybe")
    with store.sessions() as session:
        rows = {d.channel.name: d for d in session.scalars(select(Delivery))}
    assert rows["website"].state == DeliveryState.SENT
    assert rows["weibo"].state == DeliveryState.QUEUED
    assert rows["weibo"].due_at == clock.now()


def test_the_event_log_is_append_only(queue: Queue, store: Store, clock: ManualClock) -> None:
    queue.add_post(draft(clock))
    with pytest.raises(RuntimeError, match="append-only"), store.session() as session:
        event = session.scalars(select(Event)).first()
        assert event is not None
        event.reason = "rewritten"
    with pytest.raises(RuntimeError, match="append-only"), store.session() as session:
        event = session.scalars(select(Event)).first()
        session.delete(event)


def test_campaign_rules(queue: Queue, clock: ManualClock) -> None:
    queue.add_campaign("阅读月", timezone="Asia/Shanghai")
    with pytest.raises(ValidationError, match="already exists"):
        queue.add_campaign("阅读月")
    with pytest.raises(ValidationError, match="unknown time zone 'Mars/Olympus'"):
        queue.add_campaign("x", timezone="Mars/Olympus")
    with pytest.raises(ValidationError, match="ends before it starts"):
        queue.add_campaign("y", starts_at=clock.now(), ends_at=clock.now() - timedelta(days=1))


def test_times_are_read_in_the_campaign_zone_and_stored_in_utc() -> None:
    assert parse_time("2026-12-01 16:00", "Asia/Shanghai").isoformat() == "2026-12-01T08:00:00+00:00"
    assert parse_time("2026-12-01T16:00+01:00", "Asia/Shanghai").isoformat() == "2026-12-01T15:00:00+00:00"
    with pytest.raises(ValidationError, match="does not exist in Europe/Berlin"):
        parse_time("2026-03-29 02:30", "Europe/Berlin")
    with pytest.raises(ValidationError, match="cannot read the time 'next tuesday'"):
        parse_time("next tuesday", "UTC")


def test_the_history_gives_times_in_the_campaigns_zone(queue: Queue, store: Store, clock: ManualClock) -> None:
    queue.add_campaign("阅读月", timezone="Asia/Shanghai")
    post_id = queue.add_post(draft(clock, campaign="阅读月", at=parse_time("2026-12-02 16:00", "Asia/Shanghai")))
    queue.reschedule(post_id, parse_time("2026-12-03 09:30", "Asia/Shanghai"))
    with store.sessions() as session:
        reasons = [event.reason or "" for event in session.scalars(select(Event).where(Event.post_id == post_id))]
    assert any("due 2026-12-02 16:00 CST" in reason for reason in reasons), reasons
    assert any("2026-12-02 16:00 CST -> 2026-12-03 09:30 CST" in reason for reason in reasons), reasons
    assert not any("+00:00" in reason for reason in reasons), reasons
