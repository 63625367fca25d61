"""The report's figures and rows for the known campaign, periods, buckets, and reading beside a writing daemon."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import inspect

from publisher.clock import ManualClock
from publisher.errors import NotFoundError, ValidationError
from publisher.models import Event
from publisher.queue import Queue
from publisher.store import Store
from publisher.store.reports import open_report, read_connection
from publisher.tracker.outlets import OutletSpec, add_outlet
from publisher.tracker.settings import TrackerSettings
from tests.reports.conftest import Known, at, coverage


def test_the_figures_of_the_known_campaign(store: Store, known: Known) -> None:
    with open_report(store, known.campaign, now=known.now) as report:
        summary = report.summary
    assert (summary.coverage, summary.stories, summary.reprints) == (6, 5, 1)
    assert [(o.outlet, o.kind, o.tier, o.items) for o in summary.outlets] == [
        ("城市日报", "news_site", "city", 3),
        ("省教育网", "portal", "province", 2),
        ("区融媒体中心", "official_account", "district", 1),
    ]
    assert summary.outlets[0].first is not None
    assert summary.outlets[0].first.hour == 18
    assert (summary.posts, summary.sent, summary.deliveries) == (2, 3, 5)
    assert [(c.channel, c.posts, c.sent, c.failed, c.waiting) for c in summary.channels] == [
        ("website", 2, 2, 0, 1),
        ("weibo", 1, 1, 1, 0),
    ]
    assert (summary.first_day, summary.last_day, summary.bucket) == (date(2026, 11, 23), date(2026, 12, 7), "day")
    assert len(summary.timeline) == 15
    assert {b.start.day: b.items for b in summary.timeline if b.items} == {1: 1, 2: 2, 3: 1, 4: 1, 5: 1}
    assert not summary.empty


def test_every_item_and_every_delivery_streamed_in_order(store: Store, known: Known) -> None:
    with open_report(store, known.campaign, now=known.now) as report:
        items = list(report.coverage())
        posts = list(report.posts())
    assert [i.id for i in items] == [
        known.items[k] for k in ("daily1", "portal1", "district", "daily2", "portal2", "daily3")
    ]
    reprint = items[1]
    assert (reprint.matched_by, reprint.post_id, reprint.reprint_group) == (
        "similarity",
        known.posts["kickoff"],
        items[0].id,
    )
    assert items[2].reprint_group == items[2].id  # alone: its own group
    assert items[0].published == datetime(2026, 12, 1, 18, 0)  # the wall time in Asia/Shanghai
    assert [(p.channel, p.state) for p in posts] == [
        ("website", "sent"),
        ("website", "queued"),
        ("website", "sent"),
        ("weibo", "failed"),
        ("weibo", "sent"),
    ]
    failed = posts[3]
    assert (failed.detail, failed.url) == ("token expired", None)
    assert posts[0].url == "https://kg.example.cn/n/1"


def test_a_period_limits_every_table(store: Store, known: Known) -> None:
    with open_report(store, known.campaign, start=at(2, 0), end=at(4, 0), now=known.now) as report:
        summary = report.summary
        items = list(report.coverage())
        posts = list(report.posts())
    assert summary.coverage == 3 == len(items)
    assert [o.outlet for o in summary.outlets] == ["省教育网", "区融媒体中心", "城市日报"]  # 1 each: who came first
    assert [b.start for b in summary.timeline] == [date(2026, 12, 2), date(2026, 12, 3)]
    assert [(p.channel, p.state) for p in posts] == [("website", "sent")]  # the failed one was due on the 1st
    assert (summary.posts, summary.sent) == (1, 1)


def test_a_long_period_is_counted_per_week_from_monday(store: Store, known: Known) -> None:
    with open_report(store, known.campaign, start=at(1, 0, month=10), end=at(31, 0), now=known.now) as report:
        summary = report.summary
    assert summary.bucket == "week"
    assert summary.timeline[0].start == date(2026, 9, 28)  # the Monday of the week of 1 October
    assert all(b.start.weekday() == 0 for b in summary.timeline)
    week = next(b for b in summary.timeline if b.start == date(2026, 11, 30))
    assert (week.end, week.items) == (date(2026, 12, 6), 6)
    assert sum(b.items for b in summary.timeline) == 6


def test_unknown_campaigns_and_empty_periods_are_refused(store: Store, known: Known) -> None:
    with pytest.raises(NotFoundError, match="no campaign 没有"), open_report(store, "没有", now=known.now):
        pass
    empty = open_report(store, known.campaign, start=at(3, 0), end=at(2, 0), now=known.now)
    with pytest.raises(ValidationError, match=r"the end must be after the start \(--to after --from\)"), empty:
        pass


def test_a_report_reads_a_snapshot_without_holding_the_write_lock(store: Store, known: Known) -> None:
    with open_report(store, known.campaign, now=known.now) as report:
        stream = report.coverage()
        first = next(stream)
        with store.session() as session:  # the daemon writes while a report streams: not blocked, not seen
            session.add(Event(at=known.now, actor="daemon", action="test", reason="written during a report"))
        rest = list(stream)
    assert first.id == known.items["daily1"]
    assert len(rest) == 5


def test_the_report_connection_cannot_write(store: Store, known: Known) -> None:
    from sqlalchemy.exc import DBAPIError

    with read_connection(store) as connection, pytest.raises(DBAPIError, match=r"read-?only"):
        connection.exec_driver_sql("DELETE FROM events")


def test_the_migration_matches_the_model(store: Store) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from publisher.models import Base

    assert "report_runs" in inspect(store.engine).get_table_names()
    assert {c["name"] for c in inspect(store.engine).get_unique_constraints("report_runs")} == {
        "uq_report_runs_name_occurrence"
    }
    with store.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata)
    assert [d for d in diff if "report_runs" in repr(d)] == []


def test_times_across_a_daylight_saving_change(store: Store, queue: Queue, clock: ManualClock) -> None:
    """Berlin moves its clocks on 25 October 2026: each item keeps its own wall time, and the days stay days."""
    queue.add_campaign("Lesemonat", timezone="Europe/Berlin")
    add_outlet(store, OutletSpec(name="Tagblatt"), TrackerSettings(), clock.now(), "tester")
    for title, when in (
        ("x", datetime(2026, 10, 24, 22, 30, tzinfo=UTC)),
        ("y", datetime(2026, 10, 25, 22, 30, tzinfo=UTC)),  # the same local day: another title, another item
    ):
        coverage(store, "Lesemonat", "Tagblatt", title, when, None)
    with open_report(store, "Lesemonat", now=datetime(2026, 10, 27, tzinfo=UTC)) as report:
        walls = [line.published for line in report.coverage()]
        summary = report.summary
        aware = [report.aware(w) for w in walls if w]
    assert walls == [datetime(2026, 10, 25, 0, 30), datetime(2026, 10, 25, 23, 30)]  # +02:00, then +01:00
    assert [a.isoformat() for a in aware] == ["2026-10-25T00:30:00+02:00", "2026-10-25T23:30:00+01:00"]
    assert [(b.start.day, b.items) for b in summary.timeline] == [(25, 2), (26, 0), (27, 0)]  # up to now
