"""Reports: choose a campaign, a period, a format and a language; the report is written by ``publisher.reports``
(as ``publisher report`` writes it) and streamed back as a download. Writing one changes nothing, so it is a GET
(a link can be bookmarked) and needs no CSRF token."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from publisher.errors import PublisherError
from publisher.web.auth import console_of, page
from publisher.web.i18n import say
from publisher.web.pages.coverage import default_campaign
from publisher.web.reporting import FORMATS, LANGUAGES, download, generate, order
from publisher.web.views import flash, redirect, render, tr

__all__ = ["FORMAT_LABELS", "routes"]

FORMAT_LABELS = {  # English, translated when shown
    "csv": "CSV (a zip of one file per table)",
    "xlsx": "Excel (XLSX)",
    "json": "JSON",
    "md": "Markdown",
    "html": "HTML (a page to print or mail)",
}
LANGUAGE_NAMES = {"zh": "简体中文", "zh-Hant": "繁體中文", "en": "English"}


@page()
async def reports_page(request: Request) -> Response:
    console = console_of(request)
    campaigns = await run_in_threadpool(console.campaigns)
    query = request.query_params
    chosen: str | None = query.get("campaign")
    if not chosen:
        chosen = await run_in_threadpool(default_campaign, console)
    context = {
        "campaigns": campaigns,
        "chosen": chosen,
        "formats": [(fmt, FORMAT_LABELS.get(fmt, fmt)) for fmt in FORMATS],
        "languages": [(code, LANGUAGE_NAMES.get(code, code)) for code in LANGUAGES],
        "language": console.settings.reports.language,
    }
    return render(request, "reports.html", context)


@page()
async def download_report(request: Request) -> Response:
    console, query = console_of(request), request.query_params
    try:
        wanted = await run_in_threadpool(
            order,
            console,
            campaign=query.get("campaign"),
            fmt=query.get("format"),
            language=query.get("lang"),
            date_from=query.get("from"),
            date_to=query.get("to"),
        )
        path = await run_in_threadpool(generate, console, wanted)
    except PublisherError as exc:
        flash(request, console.redact(say(tr(request), exc)), "error")
        return redirect("/reports")
    return download(path, wanted.format)


routes = [
    Route("/reports", reports_page),
    Route("/reports/download", download_report),
]
