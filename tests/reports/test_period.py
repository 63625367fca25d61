"""The period a report covers (issue 11): up to now, not to the latest queued (or cancelled) post; a campaign's end
date includes its own day."""

from __future__ import annotations

from datetime import date, timedelta

from publisher.clock import ManualClock
from publisher.queue import PostDraft, Queue
from publisher.store import Store
from publisher.store.reports import open_report
from publisher.times import parse_until
from tests.reports.conftest import CAMPAIGN, Known, at


def test_the_period_runs_to_now_not_to_a_post_queued_for_later(
    store: Store, queue: Queue, known: Known, clock: ManualClock
) -> None:
    later = PostDraft(title="期末展示", body="正文。", channels=["website"], at=at(28, 10), campaign=CAMPAIGN)
    queue.add_post(later)
    cancelled = queue.add_post(
        PostDraft(title="作废", body="正文。", channels=["website"], at=at(30, 10), campaign=CAMPAIGN)
    )
    queue.cancel(cancelled)
    with open_report(store, CAMPAIGN, now=known.now) as report:
        assert (report.summary.first_day, report.summary.last_day) == (date(2026, 11, 23), date(2026, 12, 7))
        assert report.summary.timeline[-1].end <= date(2026, 12, 7)


def test_a_campaign_ending_on_a_day_includes_that_day(store: Store, queue: Queue, clock: ManualClock) -> None:
    ends = parse_until("2026-12-03", "Asia/Shanghai")
    queue.add_campaign("三日展", timezone="Asia/Shanghai", starts_at=at(1, 0), ends_at=ends)
    queue.add_post(PostDraft(title="闭幕", body="正文。", channels=["website"], at=at(3, 20), campaign="三日展"))
    clock.set(at(10, 9))
    with open_report(store, "三日展", now=clock.now()) as report:
        assert (report.summary.first_day, report.summary.last_day) == (date(2026, 12, 1), date(2026, 12, 3))
    assert ends - at(3, 23, 59) == timedelta(minutes=1)
