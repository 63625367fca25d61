"""A campaign with nothing yet gives a valid report in every format, and the report says so."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import openpyxl
import pytest

from publisher.queue import Queue
from publisher.reports.build import write_reports
from publisher.store import Store
from tests.reports.conftest import REPORTED_AT
from tests.reports.test_formats import _assert_self_contained, parse

EMPTY_ZH = "“新活动”活动开展以来，暂无发布记录和媒体报道。"
EMPTY_EN = "Since the campaign “新活动” began, nothing has been published and no coverage has been found."


@pytest.fixture
def empty(queue: Queue) -> str:
    queue.add_campaign("新活动", timezone="Asia/Shanghai")
    return "新活动"


def _write(store: Store, campaign: str, fmt: str, path: Path, lang: str = "zh") -> Path:
    written = write_reports(store, campaign, [fmt], now=REPORTED_AT, lang=lang, out=path)
    assert written.summary.empty
    assert written.narrative == (EMPTY_EN if lang == "en" else EMPTY_ZH)
    return written.paths[0]


def test_csv(store: Store, empty: str, tmp_path: Path) -> None:
    with zipfile.ZipFile(_write(store, empty, "csv", tmp_path / "r.zip")) as archive:
        tables = {
            name: list(csv.reader(io.StringIO(archive.read(name).decode("utf-8-sig"), newline="")))
            for name in archive.namelist()
        }
    assert dict(tables["summary.csv"])["工作小结"] == EMPTY_ZH
    assert dict(tables["summary.csv"])["统计区间"] == "活动开始至今"
    for name in ("outlets.csv", "timeline.csv", "channels.csv", "coverage.csv", "posts.csv"):
        assert len(tables[name]) == 1, name  # the header alone


def test_xlsx(store: Store, empty: str, tmp_path: Path) -> None:
    book = openpyxl.load_workbook(_write(store, empty, "xlsx", tmp_path / "r.xlsx"))
    assert book["媒体报道"]["A2"].value == "本统计区间内暂无媒体报道。"
    assert book["发布明细"]["A2"].value == "本统计区间内暂无发布记录。"
    assert book["媒体"]["A2"].value == "本统计区间内暂无媒体报道。"
    summary = [cell for row in book["概况"].iter_rows(values_only=True) for cell in row if cell is not None]
    assert EMPTY_ZH in summary
    assert "本统计区间内暂无发布记录和媒体报道。" in summary


def test_json(store: Store, empty: str, tmp_path: Path) -> None:
    document = json.loads(_write(store, empty, "json", tmp_path / "r.json", lang="en").read_text(encoding="utf-8"))
    assert document["narrative"] == EMPTY_EN
    assert set(document["totals"].values()) == {0}
    assert (document["outlets"], document["timeline"], document["coverage"], document["posts"]) == ([], [], [], [])
    assert document["period"]["first_day"] is None


def test_markdown(store: Store, empty: str, tmp_path: Path) -> None:
    text = _write(store, empty, "md", tmp_path / "r.md").read_text(encoding="utf-8")
    assert EMPTY_ZH in text
    assert text.count("本统计区间内暂无媒体报道。") == 2  # per outlet, every item
    assert "本统计区间内暂无发布记录。" in text


def test_html(store: Store, empty: str, tmp_path: Path) -> None:
    page = parse(_write(store, empty, "html", tmp_path / "r.html", lang="en").read_text(encoding="utf-8"))
    assert page.texts["narrative"] == EMPTY_EN
    assert not page.tables  # no empty tables: a sentence instead
    assert not [tag for tag, _ in page.tags if tag == "svg"]
    _assert_self_contained(page)
