"""Coverage entered by hand is checked (issue 11): the same item twice is refused, and an item outside the campaign's
dates needs a confirmation (it would count, and move the report's start)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from publisher.clock import ManualClock
from publisher.errors import ValidationError
from publisher.queue import Queue
from publisher.store import Store
from publisher.store.reports import open_report
from publisher.tracker.coverage import CoverageFilter, add_manual, list_coverage, remove_coverage
from publisher.tracker.outlets import OutletSpec, add_outlet
from publisher.tracker.settings import TrackerSettings

ZONE = ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int, month: int = 12) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=ZONE).astimezone(UTC)


@pytest.fixture
def campaign(store: Store, queue: Queue, clock: ManualClock) -> str:
    queue.add_campaign("阅读月", timezone="Asia/Shanghai", starts_at=at(1, 0), ends_at=at(31, 0))
    add_outlet(store, OutletSpec(name="城市日报", kind="paper", tier="city"), TrackerSettings(), clock.now(), "tester")
    return "阅读月"


def add(store: Store, when: datetime, title: str = "阅读月启动", force: bool = False) -> int:
    confirmed = {"force": True} if force else {}
    return add_manual(
        store,
        campaign="阅读月",
        outlet="城市日报",
        title=title,
        published_at=when,
        url=None,
        note="第3版",
        now=when,
        actor="tester",
        **confirmed,
    )


def test_the_same_item_twice_is_counted_once(store: Store, campaign: str) -> None:
    first = add(store, at(3, 8))
    with pytest.raises(ValidationError, match=f"already has this item on that day: coverage item {first}"):
        add(store, at(3, 21), title=" 阅读月启动 ")  # the same day in Shanghai, typed with spaces
    add(store, at(4, 8))  # the next day: another item (a follow-up)
    add(store, at(3, 8), title="阅读月第二周")  # another title
    assert len(list_coverage(store, CoverageFilter(campaign=campaign))) == 3
    remove_coverage(store, first, at(5, 8), "tester", "entered wrongly")
    add(store, at(3, 8))  # a removed item no longer blocks it


def test_an_item_before_the_campaign_needs_a_confirmation(store: Store, campaign: str, clock: ManualClock) -> None:
    with pytest.raises(ValidationError, match=r"before campaign 阅读月 starts \(2026-12-01 00:00 CST\).*--force"):
        add(store, at(20, 9, month=11))
    with pytest.raises(ValidationError, match="after campaign 阅读月 ends"):
        add(store, at(31, 9))
    assert list_coverage(store, CoverageFilter(campaign=campaign)) == []
    add(store, at(3, 8))
    with open_report(store, campaign, now=at(10, 9)) as report:
        assert report.summary.first_day == date(2026, 12, 1)
    add(store, at(20, 9, month=11), force=True)  # a person confirmed it
    assert len(list_coverage(store, CoverageFilter(campaign=campaign))) == 2
