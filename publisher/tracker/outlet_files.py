"""Outlets as files: CSV (a spreadsheet's rows) and OPML (what feed readers export), read for ``outlet import`` and
written by ``outlet export``, so that an export imported again gives the same outlets.

CSV: a header row, then one outlet a row; columns ``name, kind, tier, region, timezone, feeds`` (or their Chinese
headings), feeds separated by spaces or line breaks. Written as UTF-8 with a byte-order mark, which Excel and WPS need
to read Chinese; read as UTF-8, else GB18030 (what they save on a Chinese Windows).

OPML: an ``<outline>`` with an ``xmlUrl`` is one feed of the outlet its ``text`` (or ``title``) names; a leaf without
one is an outlet without feeds (a paper); an outline with children is a folder. ``kind``, ``tier``, ``region`` and
``timezone`` are read from attributes of those names. The file comes from outside: a document type declaration (the
way to entity expansion and external entities) is refused before anything else is read, as defusedxml does.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from typing import Literal, NoReturn
from xml.parsers import expat

from publisher.errors import ValidationError
from publisher.reports.safety import cell, is_formula_like

__all__ = ["COLUMNS", "MAX_BYTES", "FileRow", "format_of", "read_outlets", "write_csv", "write_opml"]

COLUMNS = ("name", "kind", "tier", "region", "timezone", "feeds")
_HEADINGS = {"名称": "name", "媒体": "name", "类型": "kind", "级别": "tier", "地区": "region", "时区": "timezone"}
_HEADINGS |= {"订阅源": "feeds", "订阅地址": "feeds"}
MAX_BYTES = 5 * 1024 * 1024  # far above any list of outlets; a larger file is refused unread
MAX_ROWS = 10_000

Format = Literal["csv", "opml"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class FileRow:
    """One outlet as a file gives it: where (a spreadsheet's row number, or an OPML line) and its cells as text."""

    place: Literal["row", "line"]
    number: int
    cells: dict[str, str]  # column -> text, stripped; "feeds" holds them separated by spaces


@dataclasses.dataclass(frozen=True, kw_only=True)
class FileProblem:
    """A file that cannot be read as rows at all, or a cell that is not one of the columns."""

    place: Literal["row", "line"]
    number: int
    column: str | None
    error: ValidationError


def format_of(name: str, chosen: str | None = None, head: bytes = b"") -> Format:
    """``--format`` if given, else by the file's extension (.opml, .xml), else by its first bytes."""
    if chosen:
        return "opml" if chosen.lower() == "opml" else "csv"
    lowered = name.lower()
    if lowered.endswith((".opml", ".xml")):
        return "opml"
    if lowered.endswith((".csv", ".txt")):
        return "csv"
    return "opml" if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<") else "csv"


def read_outlets(data: bytes, fmt: Format) -> tuple[list[FileRow], list[FileProblem]]:
    """The rows of a file, and what could not be read; nothing is checked beyond the file's shape here."""
    if len(data) > MAX_BYTES:
        problem = ValidationError.of(
            "the file is {size} bytes, over the limit of {most}", size=len(data), most=MAX_BYTES
        )
        return [], [FileProblem(place="row" if fmt == "csv" else "line", number=1, column=None, error=problem)]
    return _read_opml(data) if fmt == "opml" else _read_csv(data)


# --- CSV ------------------------------------------------------------------------------------------------------------


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="replace")  # Excel's and WPS's "CSV" on a Chinese Windows


def _uncell(value: str) -> str:
    """A cell as ``write_csv`` wrote it: the apostrophe that kept a formula-like value inert is taken off again."""
    value = value.strip()
    return value[1:] if value.startswith("'") and is_formula_like(value[1:]) else value


def _read_csv(data: bytes) -> tuple[list[FileRow], list[FileProblem]]:
    rows: list[FileRow] = []
    problems: list[FileProblem] = []
    try:
        records = list(csv.reader(io.StringIO(_decode(data), newline="")))
    except csv.Error as exc:
        problem = ValidationError.of("not a readable CSV file: {reason}", reason=str(exc))
        return [], [FileProblem(place="row", number=1, column=None, error=problem)]
    if not records or not any(c.strip() for c in records[0]):
        problem = ValidationError.of("the first row must name the columns: {columns}", columns=", ".join(COLUMNS))
        return [], [FileProblem(place="row", number=1, column=None, error=problem)]
    header: list[str | None] = []
    for heading in records[0]:
        key = heading.strip().lower()
        column = key if key in COLUMNS else _HEADINGS.get(heading.strip())
        if column is None and key:
            problems.append(
                FileProblem(
                    place="row",
                    number=1,
                    column=heading.strip(),
                    error=ValidationError.of(
                        "unknown column {column!r}; the columns are: {columns}",
                        column=heading.strip(),
                        columns=", ".join(COLUMNS),
                    ),
                )
            )
        elif column is not None and column in header:
            problem = ValidationError.of("the column {column!r} is named twice", column=column)
            problems.append(FileProblem(place="row", number=1, column=heading.strip(), error=problem))
        header.append(column)
    if "name" not in header:
        problem = ValidationError.of(
            "the first row must name the columns, with at least `name`: {columns}", columns=", ".join(COLUMNS)
        )
        problems.append(FileProblem(place="row", number=1, column=None, error=problem))
    if problems:
        return [], problems
    if len(records) - 1 > MAX_ROWS:
        problem = ValidationError.of(
            "the file has {count} rows, over the limit of {most}", count=len(records) - 1, most=MAX_ROWS
        )
        return [], [FileProblem(place="row", number=1, column=None, error=problem)]
    for number, record in enumerate(records[1:], start=2):  # the numbers a spreadsheet shows: the header is row 1
        if not any(value.strip() for value in record):
            continue
        cells: dict[str, str] = {}
        for index, value in enumerate(record):
            column = header[index] if index < len(header) else None
            if column is None:
                if value.strip():
                    problem = ValidationError.of(
                        "a value in a column without a heading: {value!r}", value=value.strip()[:40]
                    )
                    problems.append(FileProblem(place="row", number=number, column=f"#{index + 1}", error=problem))
                continue
            cells[column] = _uncell(value)
        rows.append(FileRow(place="row", number=number, cells=cells))
    return rows, problems


def write_csv(outlets: Iterable[tuple[str, str, str | None, str | None, str | None, Sequence[str]]]) -> str:
    """The outlets as CSV text (the caller adds the byte-order mark for a file)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180, as spreadsheets write it
    writer.writerow(COLUMNS)
    for name, kind, tier, region, timezone, feeds in outlets:
        writer.writerow([cell(v) for v in (name, kind, tier or "", region or "", timezone or "", " ".join(feeds))])
    return out.getvalue()


# --- OPML -----------------------------------------------------------------------------------------------------------


class _Refused(Exception):
    def __init__(self, error: ValidationError) -> None:
        super().__init__(str(error))
        self.error = error


def _read_opml(data: bytes) -> tuple[list[FileRow], list[FileProblem]]:
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    rows: list[FileRow] = []
    stack: list[tuple[int, dict[str, str], list[bool]]] = []  # open outlines: line, attributes, [has a child]
    elements: list[str] = []

    def refuse_dtd(*_: object) -> NoReturn:
        raise _Refused(ValidationError.of("the file declares a document type (<!DOCTYPE>), which OPML never needs"))

    def start(tag: str, attrs: dict[str, str]) -> None:
        if not elements and tag != "opml":
            raise _Refused(ValidationError.of("the file is XML but not OPML: its root element is <{tag}>", tag=tag))
        elements.append(tag)
        if tag != "outline":
            return
        if stack:
            stack[-1][2][0] = True
        stack.append((parser.CurrentLineNumber, attrs, [False]))
        if len(rows) + len(stack) > MAX_ROWS:
            raise _Refused(ValidationError.of("the file has more than {most} outlines", most=MAX_ROWS))

    def end(tag: str) -> None:
        elements.pop()
        if tag != "outline":
            return
        line, attrs, has_child = stack.pop()
        feed = (attrs.get("xmlUrl") or attrs.get("xmlurl") or "").strip()
        if not feed and has_child[0]:
            return  # a folder: its outlines are read on their own
        cells: dict[str, str] = {
            "name": (attrs.get("text") or attrs.get("title") or "").strip(),
            "feeds": feed,
            **{key: attrs[key].strip() for key in ("kind", "tier", "region", "timezone") if key in attrs},
        }
        rows.append(FileRow(place="line", number=line, cells=cells))

    parser.StartDoctypeDeclHandler = refuse_dtd
    parser.EntityDeclHandler = refuse_dtd
    parser.ExternalEntityRefHandler = refuse_dtd
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        parser.Parse(data, True)
    except _Refused as exc:
        return [], [FileProblem(place="line", number=parser.CurrentLineNumber, column=None, error=exc.error)]
    except expat.ExpatError as exc:
        problem = ValidationError.of("not well-formed OPML: {reason}", reason=expat.ErrorString(exc.code))
        return [], [FileProblem(place="line", number=exc.lineno, column=None, error=problem)]
    return rows, []


def write_opml(outlets: Iterable[tuple[str, str, str | None, str | None, str | None, Sequence[str]]]) -> bytes:
    """The outlets as OPML 2.0: one outline a feed (an outlet with several feeds has several, with one name), and
    one without ``xmlUrl`` for an outlet without feeds."""
    root = ET.Element("opml", version="2.0")
    ET.SubElement(ET.SubElement(root, "head"), "title").text = "publisher outlets"
    body = ET.SubElement(root, "body")
    for name, kind, tier, region, timezone, feeds in outlets:
        extra = {k: v for k, v in (("kind", kind), ("tier", tier), ("region", region), ("timezone", timezone)) if v}
        each: list[str | None] = [*feeds] or [None]
        for feed in each:
            attrs = {"text": name, "title": name}
            if feed is not None:
                attrs |= {"type": "rss", "xmlUrl": feed}
            ET.SubElement(body, "outline", attrs | extra)
    ET.indent(root)
    written: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return written + b"\n"
