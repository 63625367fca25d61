"""Write a campaign's report in one or more formats, from one snapshot of the database.

The CLI, the scheduled reports and the demo all come through ``write_reports``.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import IO

from publisher.errors import ValidationError
from publisher.reports.files import atomic, base_name, default_path
from publisher.reports.narrative import narrative as make_narrative
from publisher.store import Store
from publisher.store.reports import Report, Summary, open_report

__all__ = ["FORMATS", "TEXT_FORMATS", "Written", "write_reports"]

FORMATS = ("csv", "xlsx", "json", "md", "html")
TEXT_FORMATS = ("json", "md", "html")  # formats that can go to standard output


@dataclasses.dataclass(frozen=True)
class Written:
    paths: list[Path]
    summary: Summary
    narrative: str


def _stream_writer(fmt: str, public_url: str | None = None) -> Callable[[Report, str, str, IO[str]], None]:
    if fmt == "json":
        from publisher.reports.json_export import write_json

        return write_json
    if fmt == "md":
        from publisher.reports.markdown import write_markdown

        return write_markdown
    from publisher.reports.html import write_html

    return functools.partial(write_html, public_url=public_url)


def _write(report: Report, fmt: str, lang: str, narrative: str, path: Path, public_url: str | None) -> list[Path]:
    if fmt == "csv":
        from publisher.reports.csv_export import write_csv

        return write_csv(report, lang, narrative, path)
    if fmt == "xlsx":
        from publisher.reports.xlsx import write_xlsx

        return write_xlsx(report, lang, narrative, path, public_url=public_url)
    with atomic(path) as temporary, temporary.open("w", encoding="utf-8", newline="\n") as stream:
        _stream_writer(fmt, public_url)(report, lang, narrative, stream)
    return [path]


def write_reports(
    store: Store,
    campaign: str,
    formats: Sequence[str],
    *,
    now: datetime,
    lang: str = "zh",
    templates: Mapping[str, str | None] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    folder: Path | None = None,
    out: Path | None = None,
    stream: IO[str] | None = None,
    base: str | None = None,
    public_url: str | None = None,
) -> Written:
    """Write ``campaign``'s report in each of ``formats``.

    Where: to ``stream`` (one text format), to ``out`` (one format; for CSV a ``.zip`` or a folder), or into
    ``folder`` (default: the working folder) as ``<base><extension>`` for each format. ``public_url`` is the
    console's address (``[web] public_url``): with it, the HTML and XLSX reports link each kept page to its
    evidence in the console; without it they show the page's SHA-256 alone.
    """
    formats = list(dict.fromkeys(formats))
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise ValidationError.of(
            "unknown report format {unknown}; choose from {choices}",
            unknown=", ".join(unknown) or "(none)",
            choices=", ".join(FORMATS),
        )
    if (stream is not None or out is not None) and len(formats) != 1:
        raise ValidationError.of("one --out is for one format; to write several, give a folder with --folder")
    if stream is not None and formats[0] not in TEXT_FORMATS:
        raise ValidationError.of("{format} cannot go to standard output", cli="; give --out PATH", format=formats[0])
    with open_report(store, campaign, start=start, end=end, now=now) as report:
        text = make_narrative(report.summary, lang, templates)
        if stream is not None:
            _stream_writer(formats[0], public_url)(report, lang, text, stream)
            return Written([], report.summary, text)
        paths: list[Path] = []
        name = base or base_name(report.scope.campaign, report.summary.generated_at, lang)
        for fmt in formats:
            target = out if out is not None else default_path(folder or Path.cwd(), name, fmt)
            paths.extend(_write(report, fmt, lang, text, target, public_url))
        return Written(paths, report.summary, text)
