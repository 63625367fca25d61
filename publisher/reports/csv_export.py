"""CSV: one file per table, in a folder or a zip, UTF-8 with a byte-order mark so that Excel reads Chinese right.

Files: ``summary.csv`` (the campaign, the period, the paragraph and the key figures), ``outlets.csv``,
``timeline.csv``, ``channels.csv``, ``coverage.csv`` (every item) and ``posts.csv`` (every delivery of our posts).
Rows go from the database cursor to the file (or the zip entry) one at a time. Every text cell passes through
``safety.cell``: nothing a spreadsheet could run as a formula survives.
"""

from __future__ import annotations

import csv
import functools
import io
import itertools
import zipfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO

from publisher.reports import rows
from publisher.reports.files import atomic
from publisher.reports.labels import matched, text, tier
from publisher.reports.safety import cell
from publisher.store.reports import Report

__all__ = ["TABLES", "write_csv"]

TABLES = ("summary", "outlets", "timeline", "channels", "coverage", "posts")
ENCODING = "utf-8-sig"  # UTF-8 with a BOM: Excel otherwise guesses the legacy code page and garbles Chinese

Rows = Iterable[list[str]]


def _tables(report: Report, lang: str, narrative: str) -> Iterator[tuple[str, Callable[[], Rows]]]:
    summary = report.summary
    zone = summary.scope.timezone

    def summary_rows() -> Rows:
        yield [text(lang, "key"), text(lang, "value")]
        yield [text(lang, "campaign"), summary.scope.campaign]
        yield [text(lang, "period"), rows.period(lang, summary)]
        yield [text(lang, "timezone"), zone]
        yield [text(lang, "generated"), rows.minute(summary.generated_at)]
        yield [text(lang, "narrative"), narrative]
        for label, value in rows.figures(lang, summary):
            yield [label, str(value)]

    def outlet_rows() -> Rows:
        yield rows.outlet_header(lang)
        for row in summary.outlets:
            yield rows.outlet_cells(lang, row, summary.coverage)

    def timeline_rows() -> Rows:
        yield rows.timeline_header(lang, summary.bucket)
        for bucket in summary.timeline:
            yield rows.timeline_cells(bucket, summary.bucket)

    def channel_rows() -> Rows:
        yield rows.channel_header(lang)
        for row in summary.channels:
            yield rows.channel_cells(row)

    def coverage_rows() -> Rows:
        # the one long table: cells made and made safe in one step, the repeated ones once (names, reasons)
        yield [cell(value) for value in rows.coverage_header(lang, zone)]
        reason = functools.lru_cache(maxsize=8192)(lambda how, terms: cell(matched(lang, how, terms)))
        outlet = functools.lru_cache(maxsize=8192)(cell)
        tier_of = functools.lru_cache(maxsize=64)(lambda code: cell(tier(lang, code)))
        for line in report.coverage():
            published = line.published
            yield [
                str(line.id),
                published.isoformat(" ", "minutes")[:16] if published is not None else "",
                outlet(line.outlet),
                tier_of(line.tier),
                cell(line.title),
                cell(line.url) if line.url else "",
                reason(line.matched_by, line.matched_terms),
                str(line.reprint_group) if line.reprint_group != line.id else "",
                cell(line.note) if line.note else "",
                line.sha256 or "",  # hex digits: nothing a spreadsheet could run
            ]

    def post_rows() -> Rows:
        yield [cell(value) for value in rows.post_header(lang, zone)]
        for line in report.posts():
            yield [cell(value) for value in rows.post_cells(lang, line)]

    def safe(table: Callable[[], Rows]) -> Callable[[], Rows]:
        return lambda: ([cell(value) for value in row] for row in table())

    yield "summary", safe(summary_rows)
    yield "outlets", safe(outlet_rows)
    yield "timeline", safe(timeline_rows)
    yield "channels", safe(channel_rows)
    yield "coverage", coverage_rows
    yield "posts", post_rows


def _write(stream: IO[str], table: Rows, batch: int = 5000) -> None:
    """Write rows whose every text cell has been through ``safety.cell``, ``batch`` rows per write to ``stream``
    (one encoding call per batch rather than per row)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    rows = iter(table)
    while chunk := list(itertools.islice(rows, batch)):
        writer.writerows(chunk)
        stream.write(buffer.getvalue())
        buffer.seek(0)
        buffer.truncate()


def write_csv(report: Report, lang: str, narrative: str, out: Path) -> list[Path]:
    """Write the tables to ``out``: a zip if its name ends in ``.zip``, else a folder. Returns what was written."""
    if out.suffix.lower() == ".zip":
        stamp = report.summary.generated_at.timetuple()[:6]  # the entries' time: when the report was made, local
        with (
            atomic(out) as temporary,
            zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive,
        ):
            for name, table in _tables(report, lang, narrative):
                entry_info = zipfile.ZipInfo(f"{name}.csv", date_time=stamp)
                entry_info.compress_type = zipfile.ZIP_DEFLATED
                # level 1: a third of the default level's time, for a slightly larger zip. A ZipInfo given to open()
                # keeps its own level; Python 3.13 calls it compress_level and keeps _compresslevel as an alias.
                entry_info._compresslevel = 1  # type: ignore[attr-defined]
                with (
                    archive.open(entry_info, "w", force_zip64=True) as entry,
                    io.TextIOWrapper(entry, encoding=ENCODING, newline="") as stream,
                ):
                    _write(stream, table())
        return [out]
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in _tables(report, lang, narrative):
        path = out / f"{name}.csv"
        with atomic(path) as temporary, temporary.open("w", encoding=ENCODING, newline="") as stream:
            _write(stream, table())
        written.append(path)
    return written
