"""Recurring schedules: cron in a time zone, daylight saving, and exactly one post per occurrence."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from publisher.clock import ManualClock
from publisher.config import Settings
from publisher.errors import ValidationError
from publisher.models import Delivery, Post
from publisher.queue import Queue
from publisher.scheduler import cron_trigger, occurrences
from publisher.store import Store, open_store
from tests.conftest import url_of


def test_cron_weekdays_count_from_sunday_as_crontab_does() -> None:
    start = datetime(2026, 11, 30, tzinfo=UTC)  # a Monday
    for expression in ("0 16 * * WED", "0 16 * * 3", "0 16 * * wed"):
        fires = occurrences(cron_trigger(expression, "Asia/Shanghai"), start, start + timedelta(days=14))
        assert [f.isoformat() for f in fires] == ["2026-12-02T08:00:00+00:00", "2026-12-09T08:00:00+00:00"]
    weekend = occurrences(cron_trigger("0 9 * * 0,6", "UTC"), start, start + timedelta(days=7))
    assert [f.strftime("%a") for f in weekend] == ["Sat", "Sun"]
    sunday_as_seven = occurrences(cron_trigger("0 9 * * 7", "UTC"), start, start + timedelta(days=7))
    assert [f.strftime("%a") for f in sunday_as_seven] == ["Sun"]
    workdays = occurrences(cron_trigger("0 9 * * 1-5", "UTC"), start, start + timedelta(days=7))
    assert [f.strftime("%a") for f in workdays] == ["Mon", "Tue", "Wed", "Thu", "Fri"]


@pytest.mark.parametrize(
    ("expression", "zone", "message"),
    [
        ("0 16 * *", "UTC", "it needs 5 fields"),
        ("61 * * * *", "UTC", "invalid cron expression '61 \\* \\* \\* \\*'"),
        ("0 16 * * XYZ", "UTC", "invalid cron expression"),
        ("0 16 * * 8", "UTC", "days are 0-7"),
        ("0 16 * * WED", "Asia/Beijing", "unknown time zone 'Asia/Beijing'"),
    ],
)
def test_bad_cron_or_zone_is_refused_with_the_reason(expression: str, zone: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        cron_trigger(expression, zone)


def test_daily_schedule_keeps_local_time_across_daylight_saving() -> None:
    # Europe/Berlin moves from +01:00 to +02:00 on 2026-03-29
    trigger = cron_trigger("0 9 * * *", "Europe/Berlin")
    start = datetime(2026, 3, 27, tzinfo=UTC)
    fires = occurrences(trigger, start, start + timedelta(days=4))
    assert [f.isoformat() for f in fires] == [
        "2026-03-27T08:00:00+00:00",
        "2026-03-28T08:00:00+00:00",
        "2026-03-29T07:00:00+00:00",
        "2026-03-30T07:00:00+00:00",
    ]
    # a time that the change skips fires once, not never and not twice
    skipped = occurrences(cron_trigger("30 2 * * *", "Europe/Berlin"), start, start + timedelta(days=4))
    assert len(skipped) == 4
    assert len({f.date() for f in skipped}) == 4


def test_each_occurrence_becomes_one_post(queue: Queue, store: Store, clock: ManualClock) -> None:
    queue.add_schedule(
        "weekly",
        cron="0 16 * * WED",
        timezone="Asia/Shanghai",
        title="每周园所动态",
        body="本周要闻",
        channels=["website"],
    )
    clock.set(datetime(2026, 12, 1, 12, 0, tzinfo=UTC))  # Tuesday 20:00 in Shanghai
    made = queue.materialize_schedules()
    assert len(made) == 1  # Wednesday 16:00 is within the next day
    assert queue.materialize_schedules() == []  # the same occurrence again: nothing new
    clock.advance(7 * 86400)
    assert len(queue.materialize_schedules()) == 1
    with store.sessions() as session:
        due = list(session.scalars(select(Delivery.due_at).order_by(Delivery.due_at)))
    assert [d.isoformat() for d in due] == ["2026-12-02T08:00:00+00:00", "2026-12-09T08:00:00+00:00"]


def test_a_schedule_whose_template_is_too_long_is_refused(queue: Queue) -> None:
    with pytest.raises(ValidationError, match="weibo: the text is"):
        queue.add_schedule("x", cron="0 9 * * *", timezone="UTC", title="t", body="长" * 200, channels=["weibo"])
    with pytest.raises(ValidationError, match="unknown: fax"):
        queue.add_schedule("y", cron="0 9 * * *", timezone="UTC", title="t", body="b", channels=["fax"])


def test_two_daemons_on_one_database_make_one_post_per_occurrence(
    tmp_path: Path, settings: Settings, queue: Queue, clock: ManualClock
) -> None:
    """On a SQLite file (one writer at a time) and on PostgreSQL (concurrent inserts: the unique key decides)."""
    queue.add_schedule("hourly", cron="0 * * * *", timezone="UTC", title="整点播报", body="b", channels=["website"])
    clock.advance(1800)
    url = url_of(queue.store)
    barrier = threading.Barrier(2)
    results: list[list[int]] = []
    errors: list[BaseException] = []

    def daemon() -> None:
        try:
            other = open_store(url)  # its own engine and connections, as a second process would have
            own_queue = Queue(other, queue.adapters, clock, actor=f"daemon-{threading.get_ident()}")
            barrier.wait()
            results.append(own_queue.materialize_schedules())
            other.engine.dispose()
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=daemon) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors
    with queue.store.sessions() as session:
        occurrences_made = list(session.scalars(select(Post.occurrence_at).order_by(Post.occurrence_at)))
    assert len(occurrences_made) == len(set(occurrences_made))  # never two posts for one occurrence
    assert len(occurrences_made) == 24  # the next day's, made ahead of time
    assert sum(len(r) for r in results) == len(occurrences_made)


def test_occurrences_missed_while_no_daemon_ran_are_skipped_not_sent_in_a_burst(
    queue: Queue, store: Store, clock: ManualClock
) -> None:
    queue.add_schedule("hourly", cron="0 * * * *", timezone="UTC", title="整点播报", body="b", channels=["website"])
    clock.advance(3 * 86400 + 1800)  # three days down
    made = queue.materialize_schedules()
    with store.sessions() as session:
        due = sorted(session.scalars(select(Delivery.due_at)))
        from publisher.models import Event

        missed = session.scalars(select(Event.reason).where(Event.action == "schedule.missed")).one()
    assert len(made) == 25  # the hour just missed (within the grace) and the next 24
    assert due[0] == clock.now() - timedelta(minutes=30)
    assert "71 occurrences" in missed  # 09:00 on day one to 07:00 on day four
