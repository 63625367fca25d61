"""Recurring schedules: each with its next occurrence; editors add, pause, resume, edit and delete them, through the
queue's schedule rules (which write the event log, as ``publisher schedule pause`` and the rest do)."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from publisher.queue import KEEP
from publisher.scheduler import cron_trigger, occurrences
from publisher.store.listing import campaigns, schedules
from publisher.web.auth import console_of, page
from publisher.web.console import Console
from publisher.web.pages.common import Submission, action_routes, form_action
from publisher.web.views import render, tr

__all__ = ["routes"]


@dataclasses.dataclass(frozen=True)
class ScheduleRow:
    name: str
    enabled: bool
    cron: str
    timezone: str
    title: str
    body: str
    channels: list[str]
    campaign: str | None
    following: datetime | None  # the next occurrence, when it runs


def rows(console: Console) -> list[ScheduleRow]:
    now = console.clock.now()
    names = {c.id: c.name for c in campaigns(console.store)}
    found = []
    for s in schedules(console.store):
        upcoming = occurrences(cron_trigger(s.cron, s.timezone), now, now + timedelta(days=400), 1) if s.enabled else []
        found.append(
            ScheduleRow(
                name=s.name,
                enabled=s.enabled,
                cron=s.cron,
                timezone=s.timezone,
                title=s.title,
                body=s.body,
                channels=list(s.channels),
                campaign=names.get(s.campaign_id) if s.campaign_id else None,
                following=upcoming[0] if upcoming else None,
            )
        )
    return found


@page()
async def schedules_page(request: Request) -> Response:
    console = console_of(request)
    context = {
        "rows": await run_in_threadpool(rows, console),
        "channels": sorted(console.adapters),
        "campaigns": [c.name for c in await run_in_threadpool(campaigns, console.store)],
        "title": tr(request)("Schedules"),
    }
    return render(request, "schedules.html", context)


def _channels(sent: Submission) -> list[str]:
    return [c for c in sent.form.getlist("channels") if isinstance(c, str)]


@form_action("/schedules")
def add(sent: Submission) -> str:
    name, campaign = sent.field("name"), sent.field("campaign") or None
    queue = sent.console.queue(sent.user.name)
    queue.add_schedule(
        name,
        cron=sent.field("cron"),
        timezone=sent.field("timezone") or queue.campaign_timezone(campaign),
        title=sent.field("post_title"),
        body=sent.field("body"),
        channels=_channels(sent),
        campaign=campaign,
    )
    return sent.t("Schedule {name} added.", name=name)


@form_action("/schedules")
def pause(sent: Submission) -> str:
    name = sent.field("name")
    _, cancelled = sent.console.queue(sent.user.name).pause_schedule(name, sent.field("reason") or None)
    return sent.t("Schedule {name} paused; {count} posts it had made ahead were cancelled.", name=name, count=cancelled)


@form_action("/schedules")
def resume(sent: Submission) -> str:
    name = sent.field("name")
    sent.console.queue(sent.user.name).resume_schedule(name)
    return sent.t("Schedule {name} resumed.", name=name)


@form_action("/schedules")
def edit(sent: Submission) -> str:
    name, campaign = sent.field("name"), sent.field("campaign")
    _, remade = sent.console.queue(sent.user.name).edit_schedule(
        name,
        cron=sent.field("cron") or None,
        timezone=sent.field("timezone") or None,
        title=sent.field("post_title") or None,
        body=sent.field("body") or None,
        channels=_channels(sent) or None,
        campaign=(campaign or None) if "campaign" in sent.form else KEEP,
    )
    return sent.t("Schedule {name} changed; {count} posts made again.", name=name, count=remade)


@form_action("/schedules")
def delete(sent: Submission) -> str:
    name = sent.field("name")
    cancelled = sent.console.queue(sent.user.name).delete_schedule(name)
    return sent.t(
        "Schedule {name} deleted; {count} posts it had made ahead were cancelled.", name=name, count=cancelled
    )


routes = [Route("/schedules", schedules_page), *action_routes("/schedules", add, pause, resume, edit, delete)]
