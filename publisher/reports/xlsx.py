"""XLSX: sheets Summary, Coverage, Posts and Outlets, written with XlsxWriter in ``constant_memory`` mode.

Why XlsxWriter: in ``constant_memory`` mode each row is flushed to a temporary file as soon as the next one starts,
so memory stays flat however many rows there are, and it writes about twice as fast as openpyxl's ``write_only``
mode (9 s against 17 s per 100,000 rows of nine cells on our 2-core machine; see bench/reports.py). It also does
what the sheet needs: frozen header rows, column widths, autofilters, real hyperlinks, dates as dates, and native
charts. openpyxl stays in the test extra, to read the files back.

What the format imposes: Excel keeps at most 65,530 hyperlinks per sheet (later links are written as plain text)
and 1,048,576 rows per sheet (more coverage continues on "Coverage 2", and so on). Text is always written as a
string cell, never a formula; a text that a spreadsheet could take for one (``=``, ``+``, ``-``, ``@``, tab, CR)
also gets Excel's "quote prefix" style, so it stays text even when someone edits the cell.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import xlsxwriter

from publisher.reports import rows
from publisher.reports.files import atomic
from publisher.reports.labels import engagement, kind, matched, read_back, state, text, tier
from publisher.reports.labels import sheet as sheet_name
from publisher.reports.safety import href, is_formula_like, one_line
from publisher.store.reports import Report, Summary

__all__ = ["MAX_LINKS", "MAX_ROWS", "SHEETS", "write_xlsx"]

SHEETS = ("Summary", "Coverage", "Posts", "Outlets")
MAX_ROWS = 1_048_576  # rows in a sheet, the header included
MAX_LINKS = 65_530  # hyperlinks in a sheet
MAX_URL = 2079  # characters in a hyperlink's address (and in its anchor)
CHART_OUTLETS = 20  # outlets in the Summary sheet's bar chart


class _Sheet:
    """One worksheet with the shared formats, writing text safely and links while the sheet still may."""

    def __init__(self, book: _Book, name: str, header: list[str], widths: Sequence[float]) -> None:
        self.book = book
        self.sheet = book.workbook.add_worksheet(book.name(name))
        self.links = 0
        for column, width in enumerate(widths):
            self.sheet.set_column(column, column, width)
        if header:
            self.sheet.write_row(0, 0, header, book.header)
            self.sheet.freeze_panes(1, 0)
        self.columns = len(header)

    def text(self, row: int, column: int, value: str | None, fmt: Any = None) -> None:
        if not value:
            return
        if not value.isprintable():  # line breaks, tabs and control characters: one line in a cell
            value = one_line(value)
        self.sheet.write_string(row, column, value, self.book.quoted if is_formula_like(value) else fmt)

    def link(self, row: int, column: int, url: str | None, label: str | None = None) -> None:
        """``url`` as a link showing ``label`` (default: the URL itself); past the sheet's links, the text alone."""
        if not url:
            return
        if self.links < MAX_LINKS and href(url) is not None and (len(url) <= MAX_URL // 2 or _fits(url)):
            self.links += 1
            self.sheet.write_url(row, column, url, self.book.url, label or url)
        else:
            self.text(row, column, label or url)

    def when(self, row: int, column: int, value: datetime | date | None, fmt: Any) -> None:
        if value is None:
            return
        if isinstance(value, datetime) and value.tzinfo is not None:
            value = value.replace(tzinfo=None)  # already in the campaign's zone, which the header names
        self.sheet.write_datetime(row, column, value, fmt)

    def close(self, last_row: int) -> None:
        if self.columns and last_row > 0:
            self.sheet.autofilter(0, 0, last_row, self.columns - 1)


class _Book:
    def __init__(self, path: Path, lang: str = "en") -> None:
        self.lang = lang
        self.workbook = xlsxwriter.Workbook(
            str(path), {"constant_memory": True, "tmpdir": str(path.parent), "use_zip64": True}
        )
        add = self.workbook.add_format
        self.header = add({"bold": True, "bg_color": "#E8EEF7", "bottom": 1, "text_wrap": True, "valign": "top"})
        self.title = add({"bold": True, "font_size": 15})
        self.section = add({"bold": True, "font_size": 12, "font_color": "#1F4E79"})
        self.wrap = add({"text_wrap": True, "valign": "top"})
        self.minute = add({"num_format": "yyyy-mm-dd hh:mm", "align": "left"})
        self.day = add({"num_format": "yyyy-mm-dd", "align": "left"})
        self.percent = add({"num_format": "0.0%"})
        self.quoted = add({"quote_prefix": True})
        self.url = add({"font_color": "blue", "underline": 1})

    def name(self, sheet: str) -> str:
        """A sheet's name in the report's language: "Coverage 2" is "媒体报道 2" in Chinese."""
        base, _, number = sheet.partition(" ")
        return f"{sheet_name(self.lang, base)} {number}".rstrip()


def _fits(url: str) -> bool:
    """Excel's limit on a link: its address and its anchor each at most ``MAX_URL`` UTF-16 units."""
    address, _, anchor = url.partition("#")
    return all(len(part.encode("utf-16-le")) // 2 <= MAX_URL for part in (address, anchor))


_EXCEL_EPOCH = datetime(
    1899, 12, 30
)  # serial 0; Excel's day 60 (29 February 1900, which never was) lies before 1 March 1900


def write_xlsx(report: Report, lang: str, narrative: str, out: Path, *, public_url: str | None = None) -> list[Path]:
    """The workbook; with ``public_url`` (``[web] public_url``) each kept page links to its evidence in the console."""
    with atomic(out) as temporary:
        book = _Book(temporary, lang)
        summary = report.summary
        _summary_sheet(book, summary, lang, narrative)
        _coverage_sheets(book, report, lang, public_url)
        _posts_sheet(book, report, lang)
        _outlets_sheet(book, summary, lang)
        book.workbook.close()
    return [out]


def _summary_sheet(book: _Book, summary: Summary, lang: str, narrative: str) -> None:
    sheet = _Sheet(book, "Summary", [], [22, 14, 12, 12, 12, 12, 12, 12])
    ws = sheet.sheet
    ws.write_string(0, 0, rows.title(lang, summary), book.title)
    row = 2
    for name, shown in (
        (text(lang, "period"), rows.period(lang, summary)),
        (text(lang, "timezone"), summary.scope.timezone),
    ):
        ws.write_string(row, 0, name, book.header)
        sheet.text(row, 1, shown)
        row += 1
    ws.write_string(row, 0, text(lang, "generated"), book.header)
    sheet.when(row, 1, summary.generated_at, book.minute)
    row += 2
    ws.write_string(row, 0, text(lang, "narrative"), book.section)
    row += 1
    ws.set_row(row, 15 * max(2, len(narrative) // (45 if lang != "en" else 90) + 1))
    if is_formula_like(narrative):
        ws.merge_range(row, 0, row, 7, narrative, book.workbook.add_format({"text_wrap": True, "quote_prefix": True}))
    else:
        ws.merge_range(row, 0, row, 7, narrative, book.wrap)
    row += 2
    ws.write_string(row, 0, text(lang, "figures"), book.section)
    row += 1
    for label, value in rows.figures(lang, summary):
        ws.write_string(row, 0, label, book.header)
        ws.write_number(row, 1, value)
        row += 1
    row += 1
    ws.write_string(row, 0, text(lang, "by_channel"), book.section)
    row += 1
    ws.write_row(row, 0, rows.channel_header(lang), book.header)
    for channel in summary.channels:
        row += 1
        sheet.text(row, 0, channel.channel)
        sheet.text(row, 1, channel.kind)
        numbers = (channel.posts, channel.sent, channel.failed, channel.uncertain, channel.waiting, channel.cancelled)
        for offset, number in enumerate(numbers):
            ws.write_number(row, 2 + offset, number)
    if not summary.channels:
        row += 1
        ws.write_string(row, 0, text(lang, "no_posts"))
    row += 2
    ws.write_string(row, 0, text(lang, "timeline_day" if summary.bucket == "day" else "timeline_week"), book.section)
    row += 1
    ws.write_row(row, 0, rows.timeline_header(lang, summary.bucket), book.header)
    timeline_first = row + 1
    for bucket in summary.timeline:
        row += 1
        sheet.when(row, 0, bucket.start, book.day)
        if summary.bucket == "day":
            ws.write_number(row, 1, bucket.items)
        else:
            sheet.when(row, 1, bucket.end, book.day)
            ws.write_number(row, 2, bucket.items)
    if summary.timeline:
        _charts(book, ws, summary, lang, timeline_first, row)
    if summary.empty:
        ws.write_string(row + 2, 0, text(lang, "empty"))


def _charts(book: _Book, ws: Any, summary: Summary, lang: str, first: int, last: int) -> None:
    """A bar chart of coverage per outlet (from the Outlets sheet) and a column chart of the timeline."""
    if summary.outlets:
        count = min(len(summary.outlets), CHART_OUTLETS)
        bars = book.workbook.add_chart({"type": "bar"})
        bars.add_series(
            {
                "name": text(lang, "count"),
                "categories": [book.name("Outlets"), 1, 0, count, 0],
                "values": [book.name("Outlets"), 1, 4, count, 4],
                "fill": {"color": "#2F6EBA"},
                "data_labels": {"value": True},
            }
        )
        bars.set_title({"name": text(lang, "by_outlet")})
        bars.set_legend({"none": True})
        bars.set_y_axis({"reverse": True})
        bars.set_size({"width": 560, "height": 80 + 22 * count})
        ws.insert_chart(1, 9, bars)
    column = 1 if summary.bucket == "day" else 2
    columns = book.workbook.add_chart({"type": "column"})
    columns.add_series(
        {
            "name": text(lang, "count"),
            "categories": [book.name("Summary"), first, 0, last, 0],
            "values": [book.name("Summary"), first, column, last, column],
            "fill": {"color": "#5B9BD5"},
        }
    )
    columns.set_title({"name": text(lang, "timeline_day" if summary.bucket == "day" else "timeline_week")})
    columns.set_legend({"none": True})
    columns.set_size({"width": 560, "height": 280})
    ws.insert_chart(24, 9, columns)


def _excel_serial(value: datetime) -> float:
    """A wall time as Excel's serial day number (what ``write_datetime`` stores), computed in one subtraction."""
    delta = value - _EXCEL_EPOCH
    return delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400


def _coverage_sheets(book: _Book, report: Report, lang: str, public_url: str | None = None) -> None:
    """Every item, one row each. The loop below runs a million times for a large campaign: the repeated cells
    (outlets, reasons) are decided once each, and times are written as serial numbers with the date format."""
    zone = report.scope.timezone
    header = rows.coverage_header(lang, zone)
    widths = [8, 17, 18, 8, 60, 40, 26, 10, 14, 20]
    evidence = f"{public_url.strip().rstrip('/')}/coverage/" if public_url else None
    sheet = _Sheet(book, "Coverage", header, widths)
    number = 1
    row = 0

    @functools.lru_cache(maxsize=8192)
    def repeated(value: str) -> tuple[str, Any]:
        value = one_line(value) if not value.isprintable() else value
        return value, book.quoted if is_formula_like(value) else None

    write_number, write_string, text_cell, link = (
        sheet.sheet.write_number,
        sheet.sheet.write_string,
        sheet.text,
        sheet.link,
    )
    minute = book.minute
    for line in report.coverage():
        row += 1
        if row >= MAX_ROWS:
            sheet.close(row - 1)
            number += 1
            sheet = _Sheet(book, f"Coverage {number}", header, widths)
            write_number, write_string, text_cell, link = (
                sheet.sheet.write_number,
                sheet.sheet.write_string,
                sheet.text,
                sheet.link,
            )
            row = 1
        write_number(row, 0, line.id)
        if line.published is not None:
            write_number(row, 1, _excel_serial(line.published), minute)
        write_string(row, 2, *repeated(line.outlet))
        if line.tier:
            write_string(row, 3, *repeated(tier(lang, line.tier)))
        text_cell(row, 4, line.title)
        link(row, 5, line.url)
        write_string(row, 6, *repeated(matched(lang, line.matched_by, line.matched_terms)))
        if line.reprint_group != line.id:
            write_number(row, 7, line.reprint_group)
        if line.note:
            text_cell(row, 8, line.note)
        if line.sha256:
            if evidence is not None:
                link(row, 9, f"{evidence}{line.id}/evidence", line.sha256)
            else:
                write_string(row, 9, line.sha256)
    if row == 0:
        sheet.sheet.write_string(1, 0, text(lang, "no_coverage"))
    sheet.close(row)


def _posts_sheet(book: _Book, report: Report, lang: str) -> None:
    sheet = _Sheet(book, "Posts", rows.post_header(lang, report.scope.timezone), [16, 50, 17, 40, 14, 40, 14, 30])
    row = 0
    for line in report.posts():
        row += 1
        if row >= MAX_ROWS:
            break  # a campaign with a million deliveries: the CSV and JSON exports have them all
        sheet.text(row, 0, line.channel)
        sheet.text(row, 1, line.title)
        sheet.when(row, 2, line.at, book.minute)
        sheet.link(row, 3, line.url)
        sheet.text(row, 4, state(lang, line.state))
        sheet.text(row, 5, line.detail)
        sheet.text(row, 6, read_back(lang, line.read_back))
        sheet.text(row, 7, engagement(lang, line.metrics))
    if row == 0:
        sheet.sheet.write_string(1, 0, text(lang, "no_posts"))
    sheet.close(min(row, MAX_ROWS - 1))


def _outlets_sheet(book: _Book, summary: Summary, lang: str) -> None:
    sheet = _Sheet(book, "Outlets", rows.outlet_header(lang), [22, 12, 10, 12, 10, 10, 17, 17])
    ws = sheet.sheet
    row = 0
    for outlet in summary.outlets:
        row += 1
        sheet.text(row, 0, outlet.outlet)
        sheet.text(row, 1, kind(lang, outlet.kind))
        sheet.text(row, 2, tier(lang, outlet.tier))
        sheet.text(row, 3, outlet.region)
        ws.write_number(row, 4, outlet.items)
        ws.write_number(row, 5, outlet.items / summary.coverage if summary.coverage else 0, book.percent)
        sheet.when(row, 6, outlet.first, book.minute)
        sheet.when(row, 7, outlet.last, book.minute)
    sheet.close(row)  # the filter stops above the total, so sorting leaves the total last
    if row == 0:
        ws.write_string(1, 0, text(lang, "no_coverage"))
    else:
        ws.write_string(row + 1, 0, text(lang, "coverage_total"), book.header)
        ws.write_number(row + 1, 4, summary.coverage, book.header)
