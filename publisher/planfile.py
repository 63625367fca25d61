"""Campaign plan files: a table of posts, one a row, in CSV or XLSX (``post import``/``post export``, the console's
plan page). This module reads and writes the format only; ``publisher.services.plans`` holds the rules.

The header names the columns, in English or in Chinese (``COLUMNS``), in any order; a column for one channel's own
text is ``text:CHANNEL`` (``正文:CHANNEL``) and its own title ``title:CHANNEL`` (``标题:CHANNEL``). Lists (channels,
tags, images) are separated by ``;`` (or ``；``, a new line; channels and tags also by ``,``, ``，`` or ``、``).
Files are read row by row (openpyxl's read-only mode for XLSX), so a large plan is never held whole as cells.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import io
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import IO, Any

from publisher.errors import ValidationError

__all__ = [
    "COLUMNS",
    "FORMATS",
    "MAX_CELL",
    "MAX_ROWS",
    "PlanRow",
    "column_letter",
    "join_list",
    "plan_format",
    "read_plan",
    "split_list",
    "write_plan",
]

#: the columns, in the order ``post export`` and the template write them: English name -> Chinese name
COLUMNS: Mapping[str, str] = {
    "title": "标题",
    "body": "正文",
    "body_file": "正文文件",
    "channels": "渠道",
    "time": "时间",
    "campaign": "活动",
    "images": "图片",
    "tags": "标签",
    "link": "链接",
    "author": "作者",
}
#: a channel's own text and title: ``text:wechat`` or ``正文:wechat``
_OWN = {"text": "text", "正文": "text", "title": "title", "标题": "title"}
FORMATS = ("csv", "xlsx")
MAX_ROWS = 100_000  # a plan is a campaign's posts: far above any real one, low enough to bound the work
MAX_CELL = 200_000  # characters: above the longest body the queue takes (it refuses it then, naming the row)
_ALIASES = {**{name: name for name in COLUMNS}, **{zh: name for name, zh in COLUMNS.items()}}
_LIST = re.compile(r"[;；\n]+")
_WORDS = re.compile(r"[;；\n,，、]+")


@dataclasses.dataclass(frozen=True)
class PlanRow:
    """One row of a plan: its number as a spreadsheet shows it (the header is row 1), and its cells by column
    name (``title``, ``text:wechat``, ...) with the letter of each column, so that a refusal can name both."""

    number: int
    cells: Mapping[str, str]
    letters: Mapping[str, str]
    #: each column's heading as the file writes it (标题 or title): a refusal names the column so
    headings: Mapping[str, str] = dataclasses.field(default_factory=dict)


def plan_format(name: str) -> str:
    """``csv`` or ``xlsx`` from a file's name; refused otherwise."""
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix not in FORMATS:
        raise ValidationError.of("a plan is a .csv or .xlsx file; {name} is neither", name=name[-80:])
    return suffix


def column_letter(index: int) -> str:
    """The spreadsheet letter of the 0-based column ``index`` (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def split_list(text: str, *, words: bool = True) -> list[str]:
    """A cell's list: channels and tags split on ``;``, ``,`` and their Chinese forms; images only on ``;`` and
    new lines (an address may hold a comma)."""
    return [part.strip() for part in (_WORDS if words else _LIST).split(text) if part.strip()]


def join_list(items: Iterable[str]) -> str:
    return "; ".join(items)


def _columns(header: list[Any]) -> list[str | None]:
    """The header's column names in English (None for an empty heading); refuses an unknown or doubled one."""
    names: list[str | None] = []
    for index, raw in enumerate(header):
        heading = str(raw).strip() if raw is not None else ""
        if not heading:
            names.append(None)
            continue
        key, _, channel = heading.partition(":") if ":" in heading else heading.partition("：")
        if channel and key.strip().lower() in _OWN:
            name = f"{_OWN[key.strip().lower()]}:{channel.strip()}"
        elif heading.lower() in _ALIASES or heading in _ALIASES:
            name = _ALIASES.get(heading.lower(), _ALIASES.get(heading, ""))
        else:
            raise ValidationError.of(
                "column {letter} of the header is {heading!r}, which is not a plan column; the columns are {known}, "
                "and text:CHANNEL or title:CHANNEL for a channel's own text",
                letter=column_letter(index),
                heading=heading[:40],
                known=", ".join(COLUMNS),
            )
        if name in names:
            raise ValidationError.of(
                "column {letter} of the header repeats {heading!r}; give each column once",
                letter=column_letter(index),
                heading=heading[:40],
            )
        names.append(name)
    if "title" not in names:
        raise ValidationError.of("the plan's header has no title column (title or 标题)")
    return names


def _rows(table: Iterator[list[Any]]) -> Iterator[PlanRow]:
    header = next(table, None)
    if header is None:
        raise ValidationError.of("the plan is empty: it needs a header row and a row for each post")
    names = _columns(header)
    letters = {name: column_letter(i) for i, name in enumerate(names) if name}
    headings = {name: str(header[i]).strip() for i, name in enumerate(names) if name}
    for number, values in enumerate(table, start=2):
        if number - 1 > MAX_ROWS:
            raise ValidationError.of("the plan has over {most} rows; split it into several files", most=MAX_ROWS)
        cells: dict[str, str] = {}
        for index, value in enumerate(values):
            name = names[index] if index < len(names) else None
            text = _cell(value)
            if name is None:
                if text:
                    raise ValidationError.of(
                        "row {row}: column {letter} has a value but no heading; give it one or empty it",
                        row=number,
                        letter=column_letter(index),
                    )
                continue
            if len(text) > MAX_CELL:
                raise ValidationError.of(
                    "row {row}: column {column} is over {most} characters long", row=number, column=name, most=MAX_CELL
                )
            cells[name] = text
        if any(cells.values()):  # blank rows (a spreadsheet's trailing ones) are no posts
            yield PlanRow(number, cells, letters, headings)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if hasattr(value, "strftime"):  # a spreadsheet's own date cell: the time as typed, in the campaign's zone
        return str(value.strftime("%Y-%m-%d %H:%M"))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip("\ufeff").strip() if isinstance(value, str) else str(value)


def read_plan(source: IO[bytes], kind: str) -> Iterator[PlanRow]:
    """The plan's rows, read as they come (``kind``: ``csv`` or ``xlsx``). A broken file is refused whole."""
    if kind == "xlsx":
        yield from _read_xlsx(source)
        return
    text = io.TextIOWrapper(source, encoding="utf-8-sig", errors="strict", newline="")
    csv.field_size_limit(MAX_CELL + 1)
    try:
        yield from _rows(iter(csv.reader(text)))
    except UnicodeDecodeError:
        raise ValidationError.of("the plan is not UTF-8 text; save it as CSV UTF-8, or as XLSX") from None
    except csv.Error as exc:
        raise ValidationError.of("the plan is not a readable CSV file: {reason}", reason=str(exc)[:200]) from None
    finally:
        with contextlib.suppress(ValueError):  # the caller's file stays open for it to close (if not closed yet)
            text.detach()


def _read_xlsx(source: IO[bytes]) -> Iterator[PlanRow]:
    import zipfile

    from openpyxl import load_workbook

    try:
        book = load_workbook(source, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise ValidationError.of("the plan is not a readable XLSX file; save it again as .xlsx") from None
    try:
        sheet = book.worksheets[0]
        yield from _rows(list(row) for row in sheet.iter_rows(values_only=True))
    finally:
        book.close()


def write_plan(target: IO[bytes], kind: str, columns: list[str], rows: Iterable[Mapping[str, str]]) -> None:
    """Write ``rows`` (column name -> text) under a header of ``columns`` (English names; the round trip reads
    them back). XLSX in XlsxWriter's constant-memory mode, as the reports."""
    if kind == "xlsx":
        import xlsxwriter

        book = xlsxwriter.Workbook(target, {"constant_memory": True, "in_memory": False, "strings_to_urls": False})
        sheet = book.add_worksheet("plan")
        bold = book.add_format({"bold": True})
        sheet.write_row(0, 0, columns, bold)
        for number, row in enumerate(rows, start=1):
            # strings as strings: a time or a number-like title must not turn into a spreadsheet value
            for index, name in enumerate(columns):
                sheet.write_string(number, index, row.get(name, ""))
        book.close()
        return
    text = io.TextIOWrapper(target, encoding="utf-8-sig", newline="", write_through=True)
    try:
        writer = csv.writer(text)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([row.get(name, "") for name in columns])
    finally:
        text.detach()
