"""The reports say what the read-back of each sent post found (issue 14): two last columns of the posts table,
"still online" and the platform's counts, in every format and language; JSON carries the raw state and counts."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select

from publisher.models import Channel, Delivery, DeliveryCheck
from publisher.reports.build import FORMATS, write_reports
from publisher.store import Store
from tests.reports.conftest import Known, at
from tests.reports.test_formats import parse


def read_back(store: Store, post_id: int, channel: str, state: str, metrics: dict[str, int]) -> None:
    """The delivery as the daemon's read-back left it."""
    with store.session() as session:
        delivery = session.scalar(
            select(Delivery.id).join(Channel).where(Delivery.post_id == post_id, Channel.name == channel)
        )
        assert delivery is not None
        session.add(
            DeliveryCheck(delivery_id=delivery, round=2, state=state, detail="", metrics=metrics, checked_at=at(3, 9))
        )


@pytest.fixture
def checked(store: Store, known: Known) -> Known:
    """The kickoff's website post is online with its counts, its weibo post was deleted; the reading post's website
    delivery was never read back."""
    read_back(store, known.posts["kickoff"], "website", "online", {"favourites": 3, "comments": 2, "reads": 120})
    read_back(store, known.posts["kickoff"], "weibo", "gone", {})
    return known


def written(store: Store, known: Known, folder: Path, lang: str) -> dict[str, Path]:
    paths = write_reports(store, known.campaign, FORMATS, now=known.now, lang=lang, folder=folder, base="r").paths
    return {path.suffix.lstrip("."): path for path in paths}


def posts_tables(files: dict[str, Path], heading: str, sheet: str) -> dict[str, list[list[str]]]:
    """The posts table of each format, header first, as text cells."""
    with zipfile.ZipFile(files["zip"]) as archive:
        csv_rows = list(csv.reader(io.StringIO(archive.read("posts.csv").decode("utf-8-sig"), newline="")))
    md_part = files["md"].read_text(encoding="utf-8").split(f"## {heading}")[1]
    md_rows = [
        [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        for line in md_part.splitlines()
        if line.startswith("| ") and "---" not in line
    ]
    html_rows = parse(files["html"].read_text(encoding="utf-8")).tables["posts"]
    book = openpyxl.load_workbook(files["xlsx"])[sheet]
    xlsx_rows = [[str(cell.value or "") for cell in row] for row in book.iter_rows()]
    return {"csv": csv_rows, "md": md_rows, "html": html_rows, "xlsx": xlsx_rows}


@pytest.mark.parametrize(
    ("lang", "heading", "sheet", "header", "online", "gone"),
    [
        (
            "zh",
            "我方发布明细",
            "发布明细",
            ["是否仍在线", "互动数据"],
            ["仍在线", "阅读 120 · 评论 2 · 收藏 3"],
            ["已被删除", ""],
        ),
        (
            "zh-Hant",
            "我方發佈明細",
            "發佈明細",
            ["是否仍在線", "互動數據"],
            ["仍在線", "閱讀 120 · 評論 2 · 收藏 3"],
            ["已被刪除", ""],
        ),
        (
            "en",
            "Every delivery of our posts",
            "Posts",
            ["Still online?", "Engagement"],
            ["still online", "120 reads · 2 comments · 3 favourites"],
            ["taken down", ""],
        ),
    ],
)
def test_every_format_ends_the_posts_table_with_the_read_back(
    store: Store,
    checked: Known,
    tmp_path: Path,
    lang: str,
    heading: str,
    sheet: str,
    header: list[str],
    online: list[str],
    gone: list[str],
) -> None:
    files = written(store, checked, tmp_path, lang)
    for fmt, table in posts_tables(files, heading, sheet).items():
        assert table[0][-2:] == header, fmt
        ends = sorted(tuple(row[-2:]) for row in table[1:])
        # kickoff: website online with counts, weibo gone; the others never read back (empty)
        assert ends == sorted([tuple(online), tuple(gone), ("", ""), ("", ""), ("", "")]), fmt


def test_json_carries_the_raw_state_and_counts(store: Store, checked: Known, tmp_path: Path) -> None:
    document = json.loads(written(store, checked, tmp_path, "en")["json"].read_text(encoding="utf-8"))
    by_channel = {(p["post_id"], p["channel"]): p["read_back"] for p in document["posts"]}
    kickoff, reading = checked.posts["kickoff"], checked.posts["reading"]
    assert by_channel[(kickoff, "website")] == {
        "state": "online",
        "checked_at": "2026-12-03T09:00:00+08:00",
        "metrics": {"favourites": 3, "comments": 2, "reads": 120},
    }
    assert by_channel[(kickoff, "weibo")]["state"] == "gone"
    assert by_channel[(reading, "website")] is None  # never read back
