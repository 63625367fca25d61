"""Campaigns: their zone, dates and approval rule, and the keyword rules the coverage tracker matches with. Admins
add, edit and end campaigns (the approval rule is theirs to set); editors set the keyword rules. Every change goes
through the queue's and the tracker's rules, as ``publisher campaign add``, ``edit``, ``end`` and ``rules`` do."""

from __future__ import annotations

import dataclasses
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from publisher.queue import KEEP
from publisher.store.listing import campaigns
from publisher.times import local, parse_time, parse_until
from publisher.tracker.coverage import get_rules, set_rules
from publisher.web.auth import console_of, page
from publisher.web.console import Console
from publisher.web.models import Role
from publisher.web.pages.common import Submission, action_routes, form_action
from publisher.web.views import render, tr

__all__ = ["routes"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class CampaignRow:
    name: str
    timezone: str
    starts_at: datetime | None
    ends_at: datetime | None
    requires_approval: bool
    separate_approver: bool
    rules: dict[str, list[str]]
    ends_text: str  # an end at a time of day ("2026-12-31 18:00 CST"); empty for one through a whole day
    start_day: str  # the dates as the edit form's date fields take them
    end_day: str


def _day(when: datetime | None, timezone: str, *, last: bool = False) -> str:
    """A date field's value; an end is exclusive, so its field shows the day before a local midnight."""
    if when is None:
        return ""
    shown = when.astimezone(ZoneInfo(timezone))
    if last and shown.time() == time(0, 0):
        shown -= timedelta(days=1)
    return shown.strftime("%Y-%m-%d")


def rows(console: Console) -> list[CampaignRow]:
    return [
        CampaignRow(
            name=c.name,
            timezone=c.timezone,
            starts_at=c.starts_at,
            ends_at=c.ends_at,
            requires_approval=c.requires_approval,
            separate_approver=c.separate_approver,
            rules=get_rules(console.store, c.name),
            ends_text=""
            if _day(c.ends_at, c.timezone) != _day(c.ends_at, c.timezone, last=True)
            else local(c.ends_at, c.timezone)
            if c.ends_at
            else "",
            start_day=_day(c.starts_at, c.timezone),
            end_day=_day(c.ends_at, c.timezone, last=True),
        )
        for c in campaigns(console.store)
    ]


def _words(text: str) -> list[str]:
    """Keywords typed one a line (or separated by commas)."""
    return [w.strip() for line in text.splitlines() for w in line.replace("，", ",").split(",") if w.strip()]


@page()
async def campaigns_page(request: Request) -> Response:
    console = console_of(request)
    context = {"rows": await run_in_threadpool(rows, console), "title": tr(request)("Campaigns")}
    return render(request, "campaigns.html", context)


@form_action("/campaigns", Role.ADMIN)
def add(sent: Submission) -> str:
    name, zone = sent.field("name"), sent.field("timezone") or sent.console.timezone
    start, end = sent.field("start"), sent.field("end")
    sent.console.queue(sent.user.name).add_campaign(
        name,
        timezone=zone,
        starts_at=parse_time(start, zone) if start else None,
        ends_at=parse_until(end, zone) if end else None,
        requires_approval=bool(sent.field("requires_approval")),
    )
    return sent.t("Campaign {name} added.", name=name)


@form_action("/campaigns", Role.ADMIN)
def edit(sent: Submission) -> str:
    name, zone = sent.field("name"), sent.field("timezone")
    start, end = sent.field("start"), sent.field("end")
    queue = sent.console.queue(sent.user.name)
    reading = zone or queue.campaign_timezone(name)
    queue.edit_campaign(
        name,
        timezone=zone or KEEP,
        starts_at=parse_time(start, reading) if start else None,  # an emptied field clears the date
        ends_at=parse_until(end, reading) if end else None,
        requires_approval=bool(sent.field("requires_approval")),
        separate_approver=bool(sent.field("separate_approver")),
    )
    return sent.t("Campaign {name} changed.", name=name)


@form_action("/campaigns", Role.ADMIN)
def end(sent: Submission) -> str:
    name = sent.field("name")
    _, late = sent.console.queue(sent.user.name).end_campaign(name)
    return sent.t("Campaign {name} ended; {count} of its posts still wait to go out.", name=name, count=late)


@form_action("/campaigns")
def rules(sent: Submission) -> str:
    name = sent.field("name")
    set_rules(
        sent.console.store,
        name,
        any_of=_words(sent.field("any")),
        all_of=_words(sent.field("all")),
        none_of=_words(sent.field("none")),
        now=sent.console.clock.now(),
        actor=sent.user.name,
    )
    return sent.t("Keyword rules of {name} saved; they apply to entries found from now on.", name=name)


routes = [Route("/campaigns", campaigns_page), *action_routes("/campaigns", add, edit, end, rules)]
