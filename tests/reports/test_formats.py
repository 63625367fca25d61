"""Each format read back with a real reader (csv, openpyxl, json, html.parser), checked for the known figures."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pytest

from publisher.reports.build import write_reports
from publisher.reports.csv_export import TABLES
from publisher.store import Store
from tests.reports.conftest import NARRATIVE_EN, NARRATIVE_ZH, Known

OUTLETS = [("城市日报", "3"), ("省教育网", "2"), ("区融媒体中心", "1")]


def write(store: Store, known: Known, fmt: str, path: Path, lang: str = "zh") -> Path:
    written = write_reports(store, known.campaign, [fmt], now=known.now, lang=lang, out=path)
    assert written.paths
    return written.paths[0]


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 with a BOM, for Excel"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_csv_in_a_zip_has_every_table_with_the_figures(store: Store, known: Known, tmp_path: Path) -> None:
    path = write(store, known, "csv", tmp_path / "report.zip")
    with zipfile.ZipFile(path) as archive:
        assert archive.namelist() == [f"{name}.csv" for name in TABLES]
        tables = {name: read_csv(archive.read(f"{name}.csv")) for name in TABLES}
    summary = dict(tables["summary"])
    assert summary["活动"] == "阅读月"
    assert summary["工作小结"] == NARRATIVE_ZH
    assert (summary["媒体报道"], summary["刊发媒体"], summary["成功推送"]) == ("6", "3", "3")
    outlets = tables["outlets"]
    assert outlets[0] == ["媒体", "类型", "级别", "地区", "报道数", "占比", "首次报道", "最近报道"]
    assert [(row[0], row[4]) for row in outlets[1:]] == OUTLETS
    assert outlets[1][1:4] == ["新闻网站", "市级", "杭州市"]
    coverage = tables["coverage"]
    assert coverage[0][1] == "发布时间 (Asia/Shanghai)"
    assert len(coverage) == 7
    assert coverage[0][3] == "级别"
    assert coverage[1][1:6] == [
        "2026-12-01 18:00",
        "城市日报",
        "市级",
        "阳光幼儿园启动阅读月",
        "https://daily.example.cn/a/1",
    ]
    assert coverage[2][6].startswith("转载我方稿件")
    assert (coverage[1][7], coverage[2][7]) == ("", coverage[1][0])  # the reprint points at the first
    posts = tables["posts"]
    assert [row[4] for row in posts[1:]] == ["已发布", "排队中", "已发布", "失败", "已发布"]
    timeline = tables["timeline"]
    assert sum(int(row[1]) for row in timeline[1:]) == 6


def test_csv_in_a_folder_one_file_per_table(store: Store, known: Known, tmp_path: Path) -> None:
    written = write_reports(store, known.campaign, ["csv"], now=known.now, lang="en", out=tmp_path / "csv")
    assert [p.name for p in written.paths] == [f"{name}.csv" for name in TABLES]
    outlets = read_csv((tmp_path / "csv" / "outlets.csv").read_bytes())
    assert outlets[0][:5] == ["Outlet", "Kind", "Tier", "Region", "Items"]
    assert [(row[0], row[4]) for row in outlets[1:]] == OUTLETS
    assert dict(read_csv((tmp_path / "csv" / "summary.csv").read_bytes()))["Summary"] == NARRATIVE_EN


def test_xlsx_sheets_frozen_headers_links_and_dates(store: Store, known: Known, tmp_path: Path) -> None:
    path = write(store, known, "xlsx", tmp_path / "report.xlsx")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["概况", "媒体报道", "发布明细", "媒体"]  # named in the report's language
    coverage = book["媒体报道"]
    assert coverage.freeze_panes == "A2"
    assert [c.value for c in coverage[1]] == [
        "编号",
        "发布时间 (Asia/Shanghai)",
        "媒体",
        "级别",
        "标题",
        "链接",
        "匹配依据",
        "首发条目",
        "备注",
        "存证 SHA-256",
    ]
    first = [c.value for c in coverage[2]]
    assert first[0] == known.items["daily1"]
    assert first[1] == datetime(2026, 12, 1, 18, 0)  # a real date, in the campaign's zone
    assert coverage["B2"].number_format == "yyyy-mm-dd hh:mm"
    assert coverage["D2"].value == "市级"
    assert coverage["F2"].hyperlink is not None
    assert coverage["F2"].hyperlink.target == "https://daily.example.cn/a/1"
    assert coverage["F4"].value is None  # the district item has no link
    assert coverage.max_row == 7
    assert coverage.column_dimensions["E"].width == pytest.approx(60, abs=1)
    outlets = book["媒体"]
    assert outlets.freeze_panes == "A2"
    assert [(outlets.cell(r, 1).value, outlets.cell(r, 5).value) for r in range(2, 5)] == [
        (name, int(count)) for name, count in OUTLETS
    ]
    assert outlets.cell(2, 6).value == pytest.approx(0.5)
    assert (outlets.cell(5, 1).value, outlets.cell(5, 5).value) == ("媒体报道", 6)
    posts = book["发布明细"]
    assert [posts.cell(r, 5).value for r in range(2, 7)] == ["已发布", "排队中", "已发布", "失败", "已发布"]
    assert posts["D2"].hyperlink.target == "https://kg.example.cn/n/1"
    summary = book["概况"]
    values = [cell for row in summary.iter_rows(values_only=True) for cell in row if cell is not None]
    assert NARRATIVE_ZH in values
    figures = {row[0]: row[1] for row in summary.iter_rows(values_only=True) if row[0] in ("媒体报道", "推送总数")}
    assert figures == {"媒体报道": 6, "推送总数": 5}


def test_json_has_the_documented_shape(store: Store, known: Known, tmp_path: Path) -> None:
    path = write(store, known, "json", tmp_path / "report.json", lang="en")
    document = json.loads(path.read_text(encoding="utf-8"))
    assert list(document) == [
        "format",
        "version",
        "language",
        "campaign",
        "period",
        "generated_at",
        "narrative",
        "totals",
        "outlets",
        "timeline",
        "channels",
        "coverage",
        "posts",
    ]
    assert (document["format"], document["version"], document["language"]) == ("publisher-report", 1, "en")
    assert document["narrative"] == NARRATIVE_EN
    assert document["totals"] == {
        "coverage": 6,
        "outlets": 3,
        "stories": 5,
        "reprints": 1,
        "posts": 2,
        "channels": 2,
        "sent": 3,
        "deliveries": 5,
    }
    assert [(o["name"], o["kind"], o["count"]) for o in document["outlets"]] == [
        ("城市日报", "news_site", 3),
        ("省教育网", "portal", 2),
        ("区融媒体中心", "official_account", 1),
    ]
    assert document["campaign"]["starts_at"] == "2026-11-23T00:00:00+08:00"
    assert document["period"]["bucket"] == "day"
    assert sum(b["count"] for b in document["timeline"]) == 6
    assert document["channels"][1] == {
        "name": "weibo",
        "kind": "outbox",
        "posts": 1,
        "sent": 1,
        "failed": 1,
        "uncertain": 0,
        "waiting": 0,
        "cancelled": 0,
    }
    first = document["coverage"][0]
    assert first["published"] == "2026-12-01T18:00:00+08:00"
    assert (first["outlet"], first["matched_by"], first["reprint_group"]) == ("城市日报", "manual", first["id"])
    assert document["coverage"][1]["post_id"] == known.posts["kickoff"]
    assert [p["state"] for p in document["posts"]] == ["sent", "queued", "sent", "failed", "sent"]


def test_markdown_tables_and_links(store: Store, known: Known, tmp_path: Path) -> None:
    text = write(store, known, "md", tmp_path / "report.md").read_text(encoding="utf-8")
    assert text.startswith("# 宣传工作报告：阅读月\n")
    assert f"\n{NARRATIVE_ZH}\n" in text
    assert "| 城市日报 | 新闻网站 | 市级 | 杭州市 | 3 | 50.0% |" in text
    assert "| [阳光幼儿园启动阅读月](https://daily.example.cn/a/1) | 人工添加 |" in text
    assert "| 区里的孩子们爱上绘本 |" in text  # no link: plain text
    assert "| weibo | 亲子共读半小时 | 2026-12-01 16:00 | 失败 | token expired |" in text


class Page(HTMLParser):
    """Collects the tables' cells, the text of elements by id, and every tag and attribute."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.tables: dict[str, list[list[str]]] = {}
        self.texts: dict[str, str] = {}
        self._table: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._id: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag == "table":
            self._table = attributes.get("id") or f"table{len(self.tables)}"
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif attributes.get("id") and tag == "p":
            self._id = attributes["id"]
            self.texts[self._id] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None and self._table:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None
        elif tag == "p":
            self._id = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._id is not None:
            self.texts[self._id] += data


def parse(text: str) -> Page:
    page = Page()
    page.feed(text)
    page.close()
    return page


def test_html_is_one_self_contained_page_with_the_figures(store: Store, known: Known, tmp_path: Path) -> None:
    text = write(store, known, "html", tmp_path / "report.html").read_text(encoding="utf-8")
    page = parse(text)
    assert page.texts["narrative"] == NARRATIVE_ZH
    assert [(row[0], row[4]) for row in page.tables["outlets"][1:4]] == OUTLETS
    assert page.tables["outlets"][4][:5] == ["媒体报道", "", "", "", "6"]
    assert len(page.tables["coverage"]) == 7
    assert page.tables["coverage"][1][3:5] == ["市级", "阳光幼儿园启动阅读月"]
    assert [row[3] for row in page.tables["posts"][1:]] == ["已发布", "排队中", "已发布", "失败", "已发布"]
    svgs = [attrs for tag, attrs in page.tags if tag == "svg"]
    assert len(svgs) == 2  # coverage per outlet, coverage over time
    bars = [attrs for tag, attrs in page.tags if tag == "rect"]
    assert len(bars) == 3 + 15  # three outlets; fifteen days
    _assert_self_contained(page)


def _assert_self_contained(page: Page) -> None:
    names = {tag for tag, _ in page.tags}
    assert not names & {"script", "link", "img", "iframe", "object", "embed"}
    for tag, attrs in page.tags:
        for name, value in attrs.items():
            assert not name.startswith("on"), f"<{tag} {name}>"
            if name in ("src", "srcset"):
                pytest.fail(f"<{tag}> loads {value}")
            if name == "href":
                assert (value or "").startswith(("https://", "http://")), value


def test_english_html(store: Store, known: Known, tmp_path: Path) -> None:
    page = parse(write(store, known, "html", tmp_path / "report.html", lang="en").read_text(encoding="utf-8"))
    assert page.texts["narrative"] == NARRATIVE_EN
    assert page.tables["outlets"][0][:5] == ["Outlet", "Kind", "Tier", "Region", "Items"]
    assert ("html", {"lang": "en"}) in page.tags


def test_text_formats_go_to_a_stream(store: Store, known: Known) -> None:
    for fmt in ("json", "md", "html"):
        out = io.StringIO()
        written = write_reports(store, known.campaign, [fmt], now=known.now, stream=out)
        assert written.paths == []
        assert "城市日报" in out.getvalue()


def test_several_formats_go_into_a_folder_by_name(store: Store, known: Known, tmp_path: Path) -> None:
    written = write_reports(
        store, known.campaign, ["csv", "xlsx", "json", "md", "html"], now=known.now, folder=tmp_path
    )
    names = [p.name for p in written.paths]
    assert names == [f"report-阅读月-20261207-0900-zh{ext}" for ext in ("-csv.zip", ".xlsx", ".json", ".md", ".html")]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


def test_the_chinese_and_the_english_report_of_one_minute_are_two_files(
    store: Store, known: Known, tmp_path: Path
) -> None:
    # issue 11: both were report-<campaign>-<minute>.html, the second overwriting the first
    folder = tmp_path / "reports"
    chinese = write_reports(store, known.campaign, ["html"], now=known.now, folder=folder, lang="zh")
    english = write_reports(store, known.campaign, ["html"], now=known.now, folder=folder, lang="en")
    assert chinese.paths[0] != english.paths[0]
    assert sorted(p.name for p in folder.iterdir()) == [
        "report-阅读月-20261207-0900-en.html",
        "report-阅读月-20261207-0900-zh.html",
    ]
