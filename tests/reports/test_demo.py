"""The end of `publisher demo`: coverage added through the tracker's API, then the reports in every format."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from publisher.clock import ManualClock
from publisher.queue import Queue
from publisher.reports.demo import COVERAGE, demo_reports
from publisher.store import Store


def test_the_demo_writes_every_format_and_says_where(
    store: Store, queue: Queue, clock: ManualClock, tmp_path: Path
) -> None:
    # began two weeks ago, as the demo's campaign does: its coverage goes back 13 days
    queue.add_campaign("书香润童心阅读月", timezone="Asia/Shanghai", starts_at=clock.now() - timedelta(days=14))
    lines: list[str] = []
    chinese, english = demo_reports(store, tmp_path, "书香润童心阅读月", "Asia/Shanghai", clock, lines.append)
    names = sorted(p.name for p in (tmp_path / "reports").iterdir())
    zh = ["report-zh-csv.zip", "report-zh.xlsx", "report-zh.json", "report-zh.md", "report-zh.html"]
    assert names == sorted([*zh, "report-en.html", "report-en.md"])
    assert chinese.summary.coverage == len(COVERAGE) == 9
    assert chinese.narrative.endswith(
        "城市日报、省教育网、区融媒体中心等3家媒体先后刊发活动报道9篇，其中城市日报4篇、省教育网3篇、区融媒体中心2篇。"
    )
    assert english.narrative.endswith("carried 9 reports on it (城市日报 4, 省教育网 3, 区融媒体中心 2).")
    printed = "\n".join(lines)
    assert str(tmp_path / "reports" / "report-zh.html") in printed
    assert chinese.narrative in printed
