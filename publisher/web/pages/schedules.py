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
from publisher.web.auth import console_of, page, user_of
from publisher.web.console import Console
from publisher.web.pages.common import field, perform
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


@page()
async def add(request: Request) -> Response:
    form, user, t, console = await request.form(), user_of(request), tr(request), console_of(request)
    name, campaign = field(form, "name"), field(form, "campaign") or None
    channels = [c for c in form.getlist("channels") if isinstance(c, str)]

    def act() -> str:
        queue = console.queue(user.name)
        zone = field(form, "timezone") or queue.campaign_timezone(campaign)
        queue.add_schedule(
            name,
            cron=field(form, "cron"),
            timezone=zone,
            title=field(form, "post_title"),
            body=field(form, "body"),
            channels=channels,
            campaign=campaign,
        )
        return t("Schedule {name} added.", name=name)

    return await perform(request, act, "/schedules")


@page()
async def pause(request: Request) -> Response:
    form, user, t, console = await request.form(), user_of(request), tr(request), console_of(request)
    name, reason = field(form, "name"), field(form, "reason") or None

    def act() -> str:
        _, cancelled = console.queue(user.name).pause_schedule(name, reason)
        return t("Schedule {name} paused; {count} posts it had made ahead were cancelled.", name=name, count=cancelled)

    return await perform(request, act, "/schedules")


@page()
async def resume(request: Request) -> Response:
    form, user, t, console = await request.form(), user_of(request), tr(request), console_of(request)
    name = field(form, "name")

    def act() -> str:
        console.queue(user.name).resume_schedule(name)
        return t("Schedule {name} resumed.", name=name)

    return await perform(request, act, "/schedules")


@page()
async def edit(request: Request) -> Response:
    form, user, t, console = await request.form(), user_of(request), tr(request), console_of(request)
    name, campaign = field(form, "name"), field(form, "campaign")
    channels = [c for c in form.getlist("channels") if isinstance(c, str)]

    def act() -> str:
        _, remade = console.queue(user.name).edit_schedule(
            name,
            cron=field(form, "cron") or None,
            timezone=field(form, "timezone") or None,
            title=field(form, "post_title") or None,
            body=field(form, "body") or None,
            channels=channels or None,
            campaign=(campaign or None) if "campaign" in form else KEEP,
        )
        return t("Schedule {name} changed; {count} posts made again.", name=name, count=remade)

    return await perform(request, act, "/schedules")


@page()
async def delete(request: Request) -> Response:
    form, user, t, console = await request.form(), user_of(request), tr(request), console_of(request)
    name = field(form, "name")

    def act() -> str:
        cancelled = console.queue(user.name).delete_schedule(name)
        return t("Schedule {name} deleted; {count} posts it had made ahead were cancelled.", name=name, count=cancelled)

    return await perform(request, act, "/schedules")


routes = [
    Route("/schedules", schedules_page),
    Route("/schedules/add", add, methods=["POST"]),
    Route("/schedules/pause", pause, methods=["POST"]),
    Route("/schedules/resume", resume, methods=["POST"]),
    Route("/schedules/edit", edit, methods=["POST"]),
    Route("/schedules/delete", delete, methods=["POST"]),
]
