"""Reports for the console and the API: read what was asked, write the file through ``publisher.reports``, stream it.

The report is written into a temporary folder of its own (in a worker thread: a large campaign takes seconds, and
the daemon's event loop must keep sending), then streamed to the browser in chunks and the folder removed when the
stream ends, however it ends. It is always sent as an attachment: an HTML report is a download, never a page of
this site.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import tempfile
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.responses import StreamingResponse

from publisher.errors import ValidationError
from publisher.reports.build import FORMATS, write_reports
from publisher.reports.labels import LANGUAGES
from publisher.times import parse_time
from publisher.tracker.coverage import find_campaign
from publisher.web.console import Console

__all__ = ["FORMATS", "LANGUAGES", "MEDIA_TYPES", "ReportOrder", "download", "generate", "order", "period"]

MEDIA_TYPES = {
    "csv": "application/zip",  # one CSV per table, zipped
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
}
CHUNK = 64 * 1024
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclasses.dataclass(frozen=True)
class ReportOrder:
    campaign: str
    timezone: str
    format: str
    language: str
    start: datetime | None
    end: datetime | None


def period(text_from: str | None, text_to: str | None, zone: str) -> tuple[datetime | None, datetime | None]:
    """``from`` and ``to`` read in ``zone``; a ``to`` that is a date alone includes that whole day."""
    start = parse_time(text_from, zone) if text_from else None
    end = None
    if text_to:
        if _DATE_ONLY.match(text_to.strip()):
            try:
                following = date.fromisoformat(text_to.strip()) + timedelta(days=1)
            except (ValueError, OverflowError):  # 9999-12-31 has no day after it
                raise ValidationError.of(
                    "cannot read the date {text!r}: write it as YYYY-MM-DD", text=text_to
                ) from None
            end = parse_time(following.isoformat(), zone)
        else:
            end = parse_time(text_to, zone)
    if start is not None and end is not None and end <= start:
        raise ValidationError.of("the period is empty: the end must be after the start")
    return start, end


def order(
    console: Console,
    *,
    campaign: str | None,
    fmt: str | None,
    language: str | None,
    date_from: str | None,
    date_to: str | None,
) -> ReportOrder:
    """What to write, checked (ValidationError, or NotFoundError for an unknown campaign)."""
    fmt = fmt or "xlsx"
    if fmt not in FORMATS:
        raise ValidationError.of(
            "unknown report format {fmt!r}; choose one of {formats}", fmt=fmt, formats=", ".join(FORMATS)
        )
    language = language or console.settings.reports.language
    if language not in LANGUAGES:
        raise ValidationError.of(
            "unknown report language {language!r}; choose one of {languages}",
            language=language,
            languages=", ".join(LANGUAGES),
        )
    if not campaign:
        names = [c.name for c in console.campaigns()]
        if len(names) != 1:  # the only campaign there is may go unnamed
            if not names:
                raise ValidationError.of("say which campaign the report is about (campaigns: none yet)")
            raise ValidationError.of(
                "say which campaign the report is about (campaigns: {campaigns})", campaigns=", ".join(names[:20])
            )
    with console.store.sessions() as session:
        found = find_campaign(session, campaign or None)
        name, zone = found.name, found.timezone
    start, end = period(date_from, date_to, zone)
    return ReportOrder(name, zone, fmt, language, start, end)


def generate(console: Console, wanted: ReportOrder) -> Path:
    """Write the report into a new temporary folder; returns the file (for CSV, a zip). Blocking: call it from a
    worker thread."""
    folder = Path(tempfile.mkdtemp(prefix="publisher-report-"))
    try:
        written = write_reports(
            console.store,
            wanted.campaign,
            [wanted.format],
            now=console.clock.now(),
            lang=wanted.language,
            templates=console.settings.reports.templates,
            start=wanted.start,
            end=wanted.end,
            folder=folder,
            public_url=console.settings.public_url,  # the kept pages link to the console's evidence
        )
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    [path] = written.paths
    return path


def _disposition(name: str) -> str:
    """``attachment`` with the file's name: plain ASCII for old clients, the real (Chinese) name per RFC 6266."""
    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


async def _chunks(path: Path) -> AsyncIterator[bytes]:
    try:
        stream = await run_in_threadpool(path.open, "rb")
        try:
            while chunk := await run_in_threadpool(stream.read, CHUNK):
                yield chunk
        finally:
            stream.close()
    finally:
        shutil.rmtree(path.parent, ignore_errors=True)


def download(path: Path, fmt: str) -> StreamingResponse:
    """Stream a file ``generate`` wrote, then remove its folder."""
    headers = {"Content-Disposition": _disposition(path.name), "Content-Length": str(path.stat().st_size)}
    return StreamingResponse(_chunks(path), media_type=MEDIA_TYPES[fmt], headers=headers)
