"""Outlet tiers in the reports: a tier column in every coverage table, and coverage per tier among the key figures
(中央级 first, down to 校级, then outlets without a tier)."""

from __future__ import annotations

import csv
import dataclasses
import io
import zipfile
from pathlib import Path

from publisher.reports.build import write_reports
from publisher.reports.rows import tier_figures
from publisher.store import Store
from publisher.store.reports import open_report
from publisher.tracker.outlets import OutletSpec, add_outlet
from publisher.tracker.settings import TrackerSettings
from tests.reports.conftest import Known, at, coverage


def _figures(path: Path) -> dict[str, str]:
    with zipfile.ZipFile(path) as archive:
        rows = list(csv.reader(io.StringIO(archive.read("summary.csv").decode("utf-8-sig"), newline="")))
    return dict(rows)


def test_coverage_per_tier_in_the_summary_and_a_tier_column(store: Store, known: Known, tmp_path: Path) -> None:
    add_outlet(store, OutletSpec(name="无级别网", kind="portal"), TrackerSettings(), known.now, "tester")
    coverage(store, known.campaign, "无级别网", "阅读月见闻", at(4, 10), None)
    written = write_reports(store, known.campaign, ["csv", "md"], now=known.now, lang="zh", folder=tmp_path)
    zipped = next(p for p in written.paths if p.suffix == ".zip")
    figures = _figures(zipped)
    assert (figures["省级媒体报道"], figures["市级媒体报道"], figures["区县级媒体报道"]) == ("2", "3", "1")
    assert figures["未定级别媒体报道"] == "1"
    labels = list(figures)
    assert labels.index("省级媒体报道") < labels.index("市级媒体报道") < labels.index("区县级媒体报道")
    assert labels.index("区县级媒体报道") < labels.index("未定级别媒体报道")

    english = [label for label, _ in tier_figures("en", written.summary)]
    assert english == [
        "Coverage by province outlets",
        "Coverage by city outlets",
        "Coverage by district outlets",
        "Coverage by outlets without a tier",
    ]
    markdown = next(p for p in written.paths if p.suffix == ".md").read_text(encoding="utf-8")
    assert "| 级别 |" in markdown.split("## 媒体报道明细")[1]
    assert "| 区县级 |" in markdown.split("## 媒体报道明细")[1]


def test_no_tier_figures_when_no_outlet_has_a_tier(store: Store, known: Known) -> None:
    with open_report(store, known.campaign, now=known.now) as report:
        summary = report.summary
    assert [label for label, _ in tier_figures("zh", summary)] == ["省级媒体报道", "市级媒体报道", "区县级媒体报道"]
    bare = dataclasses.replace(summary, outlets=[outlet._replace(tier=None) for outlet in summary.outlets])
    assert tier_figures("zh", bare) == []
