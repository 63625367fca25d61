"""The reports show the article page the tracker kept as evidence of an item: its SHA-256 in a last column of every
coverage table, linked to the console's evidence page in HTML and XLSX when ``[web] public_url`` is set."""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import event, insert, select, update

from publisher.clock import ManualClock
from publisher.config import WebSettings
from publisher.reports.build import FORMATS, write_reports
from publisher.reports.schedule import ReportScheduler
from publisher.reports.settings import ReportSettings, ScheduledReport
from publisher.store import Store
from publisher.store.articles import FetchedPage, save_pages
from publisher.tracker.models import CoverageItem, FeedEntry
from tests.conftest import make_settings
from tests.reports.conftest import Known, at
from tests.reports.test_formats import parse
from tests.reports.test_schedule import MONDAY_9

PUBLIC = "https://publicity.example.edu.cn"
PAGE = "<html><body><h1>亲子共读走进大一班</h1><p>孩子们和家长一起读绘本。</p></body></html>".encode()
DIGEST = hashlib.sha256(PAGE).hexdigest()


def keep_page(store: Store, item_id: int, link: str, body: bytes | None = PAGE) -> None:
    """The item found in a feed entry whose article page the tracker fetched and kept (``body`` None: the fetch
    failed, so no page was kept)."""
    link_hash = hashlib.sha1(link.encode()).hexdigest()
    with store.session() as session:
        outlet = session.scalar(select(CoverageItem.outlet_id).where(CoverageItem.id == item_id))
        entry = session.execute(
            insert(FeedEntry)
            .values(
                outlet_id=outlet, link=link, link_hash=link_hash, title="", summary="", body="", fetched_at=at(3, 9)
            )
            .returning(FeedEntry.id)
        ).scalar_one()
        digest = hashlib.sha256(body).hexdigest() if body is not None else None
        fetched = FetchedPage(link_hash, link, 200 if body else None, body=body, text="", sha256=digest, error=None)
        save_pages(session, [fetched], at(3, 10))
        session.execute(update(CoverageItem).where(CoverageItem.id == item_id).values(entry_id=entry))


@pytest.fixture
def kept(store: Store, known: Known) -> Known:
    """城市日报's second item has a kept page; 省教育网's second was fetched and failed (no page); the removed item
    has one too, and is in no report."""
    keep_page(store, known.items["daily2"], "https://daily.example.cn/a/2")
    keep_page(store, known.items["portal2"], "https://edu.example.cn/2", body=None)
    keep_page(store, known.items["removed"], "https://edu.example.cn/x")
    return known


def write_all(store: Store, known: Known, folder: Path, public_url: str | None, lang: str = "zh") -> dict[str, Path]:
    written = write_reports(
        store, known.campaign, FORMATS, now=known.now, lang=lang, folder=folder, base="r", public_url=public_url
    )
    return {path.suffix.lstrip("."): path for path in written.paths}


def csv_coverage(path: Path) -> list[list[str]]:
    with zipfile.ZipFile(path) as archive:
        return list(csv.reader(io.StringIO(archive.read("coverage.csv").decode("utf-8-sig"), newline="")))


def shown_hashes(files: dict[str, Path], known: Known) -> dict[str, dict[int, str]]:
    """Per format: item id -> the last column of its row in the coverage table."""
    found: dict[str, dict[int, str]] = {}
    table = csv_coverage(files["zip"])
    found["csv"] = {int(row[0]): row[-1] for row in table[1:]}
    rows = [
        [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        for line in files["md"].read_text(encoding="utf-8").split("## 媒体报道明细")[1].split("##")[0].splitlines()
        if line.startswith("| ") and not line.startswith("| 编号") and "---" not in line
    ]
    found["md"] = {int(row[0]): row[-1] for row in rows}
    document = json.loads(files["json"].read_text(encoding="utf-8"))
    found["json"] = {item["id"]: item["kept_page_sha256"] or "" for item in document["coverage"]}
    page = parse(files["html"].read_text(encoding="utf-8"))
    found["html"] = {int(row[0]): row[-1] for row in page.tables["coverage"][1:]}
    sheet = openpyxl.load_workbook(files["xlsx"])["媒体报道"]
    found["xlsx"] = {row[0].value: row[9].value or "" for row in sheet.iter_rows(min_row=2)}
    return found


@pytest.mark.parametrize("public_url", [PUBLIC, None])
def test_the_kept_page_is_shown_in_every_format(
    store: Store, kept: Known, tmp_path: Path, public_url: str | None
) -> None:
    files = write_all(store, kept, tmp_path, public_url)
    expected = {item: "" for label, item in kept.items.items() if label not in ("removed", "other")}
    expected[kept.items["daily2"]] = DIGEST  # the failed fetch kept nothing: no hash
    for fmt, hashes in shown_hashes(files, kept).items():
        assert hashes == expected, fmt
    assert csv_coverage(files["zip"])[0][-1] == "存证 SHA-256"  # last: the columns before keep their places
    assert csv_coverage(files["zip"])[0][5] == "链接"


def test_html_and_xlsx_link_it_to_the_console_with_a_public_url(store: Store, kept: Known, tmp_path: Path) -> None:
    item = kept.items["daily2"]
    evidence = f"{PUBLIC}/coverage/{item}/evidence"

    files = write_all(store, kept, tmp_path, PUBLIC + "/")  # one slash between, however it was written

    links = [attrs.get("href") for tag, attrs in parse(files["html"].read_text(encoding="utf-8")).tags if tag == "a"]
    assert links.count(evidence) == 1
    sheet = openpyxl.load_workbook(files["xlsx"])["媒体报道"]
    [row] = [r for r in sheet.iter_rows(min_row=2) if r[0].value == item]
    assert row[9].value == DIGEST
    assert row[9].hyperlink is not None
    assert row[9].hyperlink.target == evidence
    assert sheet.cell(1, 10).value == "存证 SHA-256"


def test_without_a_public_url_the_hash_stands_alone(store: Store, kept: Known, tmp_path: Path) -> None:
    files = write_all(store, kept, tmp_path, None)

    text = files["html"].read_text(encoding="utf-8")
    assert DIGEST in text
    assert "/evidence" not in text
    sheet = openpyxl.load_workbook(files["xlsx"])["媒体报道"]
    [row] = [r for r in sheet.iter_rows(min_row=2) if r[0].value == kept.items["daily2"]]
    assert row[9].value == DIGEST
    assert row[9].hyperlink is None


def test_an_address_that_is_not_http_links_nothing(store: Store, kept: Known, tmp_path: Path) -> None:
    """``[web] public_url`` is checked when the config is read; the writers do not trust a caller that skipped it."""
    files = write_all(store, kept, tmp_path, 'javascript:alert(1)//"><script>')

    text = files["html"].read_text(encoding="utf-8")
    assert "javascript:" not in text
    assert "<script>" not in text
    assert DIGEST in text
    sheet = openpyxl.load_workbook(files["xlsx"])["媒体报道"]
    assert all(row[9].hyperlink is None for row in sheet.iter_rows(min_row=2))


@pytest.mark.parametrize(
    ("lang", "header"), [("zh", "存证 SHA-256"), ("zh-Hant", "存證 SHA-256"), ("en", "Kept page (SHA-256)")]
)
def test_the_column_is_named_in_the_report_language(
    store: Store, kept: Known, tmp_path: Path, lang: str, header: str
) -> None:
    written = write_reports(store, kept.campaign, ["csv"], now=kept.now, lang=lang, out=tmp_path / "r.zip")
    assert csv_coverage(written.paths[0])[0][-1] == header


@pytest.fixture
def statements(store: Store) -> Iterator[list[str]]:
    """Every SQL statement run while the test writes, on whichever engine the report reads through."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(store.engine.__class__, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(store.engine.__class__, "before_cursor_execute", record)


def test_the_pages_are_read_once_per_report_not_per_row_or_format(
    store: Store, kept: Known, tmp_path: Path, statements: list[str]
) -> None:
    write_all(store, kept, tmp_path, PUBLIC)  # five formats from one snapshot
    assert len([s for s in statements if "article_pages" in s]) == 1


def test_a_scheduled_report_links_to_the_console(store: Store, kept: Known, clock: ManualClock, tmp_path: Path) -> None:
    report = ScheduledReport(
        name="weekly", campaign="阅读月", cron="0 9 * * MON", folder=str(tmp_path / "reports"), formats=("html",)
    )
    settings = dataclasses.replace(
        make_settings(tmp_path),
        web=WebSettings(public_url=PUBLIC),
        reports=ReportSettings(scheduled={"weekly": report}),
    )
    clock.set(MONDAY_9 + timedelta(seconds=30))
    [done] = ReportScheduler(settings, store, clock, {}).run_due()
    assert done.state == "done"
    [written] = (tmp_path / "reports").iterdir()
    assert f'href="{PUBLIC}/coverage/{kept.items["daily2"]}/evidence"' in written.read_text(encoding="utf-8")
