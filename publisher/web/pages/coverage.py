"""Coverage: what outlets carried about a campaign. Counts per outlet, a timeline, the items with their links;
adding coverage found by hand (anyone), removing a false match (approvers).

The figures and the items come from the reports' own snapshot (``publisher.store.reports.open_report``), so the
dashboard and a report of the same campaign and dates always agree. Adding and removing go through the tracker
(``add_manual``, ``remove_coverage``), which writes the event log, exactly as ``publisher coverage add`` does.
Dates are read and shown in the campaign's zone.
"""

from __future__ import annotations

import collections
import dataclasses
from datetime import datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from publisher.errors import NotFoundError, PublisherError, ValidationError
from publisher.store.coverage import newest_covered_campaign
from publisher.store.reports import Summary, open_report
from publisher.times import local, parse_time
from publisher.tracker.coverage import add_manual, remove_coverage
from publisher.tracker.evidence import evidence_for, items_with_evidence
from publisher.tracker.outlets import outlet_health
from publisher.web.auth import console_of, page
from publisher.web.charts import Chart, timeline
from publisher.web.console import Console
from publisher.web.i18n import say
from publisher.web.models import Role
from publisher.web.pages.common import Submission, form_action
from publisher.web.reporting import period
from publisher.web.views import render, tr

__all__ = ["KIND_LABELS", "MATCHED_LABELS", "routes"]

ITEMS = 300  # the newest items shown; the report has them all
#: English, translated when shown; a value the tracker adds later is shown as it is
KIND_LABELS = {
    "news_site": "news site",
    "portal": "portal",
    "official_account": "official account",
    "paper": "paper",
    "other": "other",
}
MATCHED_LABELS = {
    "keywords": "keywords",
    "similarity": "reprints our post",
    "keywords+similarity": "keywords, and reprints our post",
    "manual": "added by hand",
}


@dataclasses.dataclass(frozen=True)
class ItemRow:
    id: int
    published: str  # in the campaign's zone
    outlet: str
    tier: str | None
    title: str
    url: str | None
    matched_by: str
    keywords: str | None  # the keywords found, as the rules wrote them
    reprint_of: int | None  # the story's first item, when this one is a later carrying of it
    post_id: int | None
    note: str | None
    evidence: bool = False  # the tracker kept the article's page


@dataclasses.dataclass(frozen=True)
class Dashboard:
    campaign: str
    zone: str
    summary: Summary
    chart: Chart
    items: list[ItemRow]  # newest first


def keywords_in(terms: str | None) -> str | None:
    """The keywords of the tracker's "keywords: 阅读月, 绘本; reprint of post 3 (0.82)"."""
    for part in (terms or "").split(";"):
        label, _, words = part.strip().partition(": ")
        if label == "keywords" and words:
            return words
    return None


def default_campaign(console: Console) -> str | None:
    """The campaign whose coverage was added last, else the first by name, else None."""
    with console.store.sessions() as session:
        return newest_covered_campaign(session)


def dashboard(console: Console, campaign: str, start: datetime | None, end: datetime | None) -> Dashboard:
    with open_report(console.store, campaign, start=start, end=end, now=console.clock.now()) as report:
        newest = collections.deque(report.coverage(), maxlen=ITEMS)  # streamed: flat memory however many
        zone = report.scope.timezone
        items = [
            ItemRow(
                id=line.id,
                published=local(report.aware(line.published), zone) if line.published else "-",
                outlet=line.outlet,
                tier=line.tier,
                title=line.title,
                url=line.url,
                matched_by=line.matched_by,
                keywords=keywords_in(line.matched_terms),
                reprint_of=line.reprint_group if line.reprint_group != line.id else None,
                post_id=line.post_id,
                note=line.note,
            )
            for line in reversed(newest)
        ]
        summary = report.summary
    kept = items_with_evidence(console.store, [item.id for item in items])
    items = [dataclasses.replace(item, evidence=True) if item.id in kept else item for item in items]
    return Dashboard(campaign, zone, summary, timeline(summary.timeline), items)


def back_to(campaign: str | None) -> str:
    return f"/coverage?campaign={quote(campaign)}" if campaign else "/coverage"


@page()
async def coverage_page(request: Request) -> Response:
    console = console_of(request)
    query = request.query_params
    filters = {key: query.get(key, "").strip() for key in ("campaign", "from", "to")}
    campaigns = [c.name for c in await run_in_threadpool(console.campaigns)]
    campaign: str | None = filters["campaign"]
    if not campaign:
        campaign = await run_in_threadpool(default_campaign, console)
    board, error = None, None
    if campaign:
        filters["campaign"] = campaign
        zone = console.zone_of(campaign)
        try:
            start, end = period(filters["from"], filters["to"], zone)
            board = await run_in_threadpool(dashboard, console, campaign, start, end)
        except PublisherError as exc:
            error = say(tr(request), exc)
    outlets = sorted({row.outlet for row in await run_in_threadpool(outlet_health, console.store)})
    zone = console.zone_of(campaign)
    context = {
        "campaigns": campaigns,
        "filters": filters,
        "board": board,
        "error": error,
        "outlets": outlets,
        "zone": zone,
        "kinds": KIND_LABELS,
        "matched_by": MATCHED_LABELS,
        "now_local": console.clock.now().astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M"),
    }
    return render(request, "coverage.html", context)


def _back(sent: Submission) -> str:
    """The coverage page of the form's campaign."""
    return back_to(sent.field("campaign") or None)


@form_action(_back)
def add_coverage(sent: Submission) -> str:
    """Coverage found by a person (print, a notice board, a broadcast), through the tracker's ``add_manual``."""
    console, campaign, published = sent.console, sent.field("campaign") or None, sent.field("published")
    when = parse_time(published, console.zone_of(campaign)) if published else None
    try:
        item = add_manual(
            console.store,
            campaign=campaign,
            outlet=sent.field("outlet"),
            title=sent.field("title"),
            published_at=when or console.clock.now(),
            url=sent.field("url") or None,
            note=sent.field("note") or None,
            now=console.clock.now(),
            actor=sent.user.name,
            force=bool(sent.field("confirm_dates")),  # the person ticked "even outside the campaign's dates"
        )
    except NotFoundError as exc:  # an outlet or campaign removed meanwhile: say so on the form's page
        refused = ValidationError(str(exc))
        refused.template, refused.params, refused.cli = exc.template, exc.params, exc.cli  # still said in Chinese
        raise refused from None
    return sent.t("Added coverage item {id}.", id=item)


@form_action(_back, Role.APPROVER)
def remove(sent: Submission) -> str:
    item_id, console = sent.params["item_id"], sent.console
    item = remove_coverage(console.store, item_id, console.clock.now(), sent.user.name, sent.field("reason") or None)
    return sent.t("Removed coverage item {id}: {title}", id=item_id, title=item.title)


@page()
async def evidence_page(request: Request) -> Response:
    """The page the tracker kept for an item: where and when it was fetched, its SHA-256, and its text."""
    console, item_id = console_of(request), request.path_params["item_id"]
    kept = await run_in_threadpool(evidence_for, console.store, item_id)  # none: the 404 page says why
    return render(request, "evidence.html", {"kept": kept, "paragraphs": kept.page.text.splitlines()})


@page()
async def evidence_download(request: Request) -> Response:
    """The kept page as it was fetched, as a download: it is another site's HTML, so it never renders here (a
    sandbox policy too, should a browser show it anyway)."""
    console, item_id = console_of(request), request.path_params["item_id"]
    kept = await run_in_threadpool(evidence_for, console.store, item_id)
    headers = {
        "Content-Disposition": f'attachment; filename="coverage-{item_id}-{(kept.page.sha256 or "")[:12]}.html"',
        "Content-Security-Policy": "sandbox; default-src 'none'",
        "X-Content-Type-Options": "nosniff",
    }
    return Response(kept.page.html, media_type="application/octet-stream", headers=headers)


@page()
async def evidence_picture(request: Request) -> Response:
    """The picture of the kept page ([tracker] screenshots), a PNG the tracker's Chromium drew offline."""
    console, item_id = console_of(request), request.path_params["item_id"]
    kept = await run_in_threadpool(evidence_for, console.store, item_id)
    if not kept.page.screenshot_png:
        return Response(status_code=404)
    headers = {"Content-Security-Policy": "default-src 'none'", "X-Content-Type-Options": "nosniff"}
    return Response(kept.page.screenshot_png, media_type="image/png", headers=headers)


routes = [
    Route("/coverage", coverage_page),
    Route("/coverage/{item_id:int}/evidence", evidence_page),
    Route("/coverage/{item_id:int}/evidence/page", evidence_download),
    Route("/coverage/{item_id:int}/evidence/picture.png", evidence_picture),
    Route("/coverage/add", add_coverage, methods=["POST"]),
    Route("/coverage/{item_id:int}/remove", remove, methods=["POST"]),
]
