"""Recurring schedules can be paused, resumed, edited and deleted (issue 11), and a daylight-saving fall-back day makes
one post of a daily schedule, not two."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from publisher.clock import ManualClock
from publisher.errors import NotFoundError, ValidationError
from publisher.models import Action, DeliveryState, Event, Post, PostState, Schedule
from publisher.queue import Queue
from publisher.scheduler import cron_trigger, occurrences
from publisher.store import Store

DAILY = "0 9 * * *"  # 09:00 in Asia/Shanghai is 01:00 UTC
DAY = 86_400.0  # seconds


def add_daily(queue: Queue, name: str = "晨读", cron: str = DAILY, timezone: str = "Asia/Shanghai") -> None:
    queue.add_schedule(
        name, cron=cron, timezone=timezone, title="每日晨读", body="今天读一本绘本。", channels=["website"]
    )


def posts(store: Store) -> list[Post]:
    with store.sessions() as session:
        found = list(session.scalars(select(Post).order_by(Post.id)))
        for post in found:
            _ = [d.state for d in post.deliveries]
        return found


def actions(store: Store) -> list[str]:
    with store.sessions() as session:
        return [e.action for e in session.scalars(select(Event).order_by(Event.id))]


def test_pause_stops_a_schedule_and_cancels_what_it_made_ahead(queue: Queue, store: Store, clock: ManualClock) -> None:
    add_daily(queue)
    assert len(queue.materialize_schedules()) == 1  # tomorrow's, made a day ahead
    schedule, cancelled = queue.pause_schedule("晨读", "寒假")
    assert (schedule.enabled, cancelled) == (False, 1)
    assert [(p.state, p.deliveries[0].state) for p in posts(store)] == [(PostState.CANCELLED, DeliveryState.CANCELLED)]
    clock.advance(3 * DAY)
    assert queue.materialize_schedules() == []
    assert Action.SCHEDULE_PAUSE in actions(store)
    with pytest.raises(ValidationError, match="already paused"):
        queue.pause_schedule("晨读")


def test_resume_starts_again_from_now_without_making_the_missed_days(
    queue: Queue, store: Store, clock: ManualClock
) -> None:
    add_daily(queue)
    queue.pause_schedule("晨读")
    clock.advance(5 * DAY)
    schedule, following = queue.resume_schedule("晨读")
    assert schedule.enabled
    assert following is not None
    assert following - clock.now() < timedelta(days=1)
    made = queue.materialize_schedules()
    assert len(made) == 1  # the next one only: nothing from the five paused days, and no "missed" burst
    assert Action.SCHEDULE_MISSED not in actions(store)
    with pytest.raises(ValidationError, match="not paused"):
        queue.resume_schedule("晨读")


def test_edit_changes_the_template_and_remakes_the_posts_made_ahead(
    queue: Queue, store: Store, clock: ManualClock
) -> None:
    add_daily(queue)
    queue.materialize_schedules()
    schedule, remade = queue.edit_schedule("晨读", cron="30 10 * * *", title="每日晨读（新）")
    assert (schedule.cron, schedule.title, remade) == ("30 10 * * *", "每日晨读（新）", 1)
    old, new = posts(store)
    assert old.state == PostState.CANCELLED
    assert new.state == PostState.ACTIVE
    assert new.title == "每日晨读（新）"
    assert new.deliveries[0].due_at.astimezone(UTC).strftime("%H:%M") == "02:30"  # 10:30 in Shanghai
    with pytest.raises(ValidationError, match="invalid cron"):
        queue.edit_schedule("晨读", cron="every day")
    with pytest.raises(ValidationError, match="unknown: fax"):
        queue.edit_schedule("晨读", channels=["fax"])
    with pytest.raises(ValidationError, match="nothing to change"):
        queue.edit_schedule("晨读", title="每日晨读（新）")
    with pytest.raises(NotFoundError, match="no schedule"):
        queue.edit_schedule("晚读", title="x")


def test_delete_removes_the_schedule_and_keeps_the_posts_that_went_out(
    queue: Queue, store: Store, clock: ManualClock
) -> None:
    add_daily(queue)
    queue.materialize_schedules()
    assert queue.delete_schedule("晨读") == 1
    with store.sessions() as session:
        assert session.scalars(select(Schedule)).all() == []
    (post,) = posts(store)
    assert (post.state, post.schedule_id) == (PostState.CANCELLED, None)
    assert Action.SCHEDULE_DELETE in actions(store)
    add_daily(queue)  # the name is free again
    assert len(queue.materialize_schedules()) == 1


def test_a_fall_back_day_makes_one_post_of_a_daily_schedule(queue: Queue, store: Store, clock: ManualClock) -> None:
    # New York falls back on 1 November 2026: 01:30 happens at 05:30 UTC and again at 06:30 UTC
    clock.set(datetime(2026, 10, 30, 12, 0, tzinfo=UTC))
    add_daily(queue, "night", cron="30 1 * * *", timezone="America/New_York")
    made = []
    for _ in range(8):  # the daemon's passes, every 12 hours
        made += queue.materialize_schedules()
        clock.advance(DAY / 2)
    dues = sorted(p.occurrence_at for p in posts(store) if p.occurrence_at is not None)
    days = [d.astimezone(UTC).date().isoformat() for d in dues]
    assert days == ["2026-10-31", "2026-11-01", "2026-11-02", "2026-11-03"]  # one on the 1st, not two


def test_occurrences_of_an_ambiguous_time_are_one_and_later_ones_still_come() -> None:
    trigger = cron_trigger("30 1 * * *", "America/New_York")
    found = occurrences(trigger, datetime(2026, 10, 31, tzinfo=UTC), datetime(2026, 11, 3, 12, tzinfo=UTC))
    assert [f.isoformat() for f in found] == [
        "2026-10-31T05:30:00+00:00",
        "2026-11-01T05:30:00+00:00",  # the first 01:30 only
        "2026-11-02T06:30:00+00:00",
        "2026-11-03T06:30:00+00:00",
    ]


def test_a_schedule_stops_at_its_campaigns_end(queue: Queue, store: Store, clock: ManualClock) -> None:
    queue.add_campaign("阅读月", timezone="Asia/Shanghai", ends_at=clock.now() + timedelta(days=2))
    queue.add_schedule(
        "晨读",
        cron=DAILY,
        timezone="Asia/Shanghai",
        title="每日晨读",
        body="读绘本。",
        channels=["website"],
        campaign="阅读月",
    )
    made = []
    for _ in range(5):
        made += queue.materialize_schedules()
        clock.advance(DAY)
    assert len(made) == 2  # the two days before the end, none after
    with store.sessions() as session:
        assert session.scalars(select(Schedule.enabled)).one() is False
    assert actions(store).count(Action.SCHEDULE_PAST_END) == 1
