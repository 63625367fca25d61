"""Outlets: each outlet's feeds and how polling them goes (last success, last error, next poll); admins add and
remove outlets, through the tracker's ``add_outlet`` and ``remove_outlet`` (which write the event log, as
``publisher outlet add`` and ``remove`` do). Outlets defined in the config file are changed there."""

from __future__ import annotations

import dataclasses
import re

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from publisher.tracker.outlets import OutletSpec, SourceHealth, add_outlet, outlet_health, remove_outlet
from publisher.tracker.settings import OUTLET_KINDS, TIERS
from publisher.web.auth import console_of, page
from publisher.web.console import Console
from publisher.web.models import Role
from publisher.web.pages.common import Submission, action_routes, form_action
from publisher.web.pages.coverage import KIND_LABELS
from publisher.web.views import render

__all__ = ["Health", "health", "routes"]

_FAILING = re.compile(r"^failing \((\d+)\)$")


@dataclasses.dataclass(frozen=True)
class Health:
    state: str  # ok | warning | failing | never | none: a CSS class and a key to the label
    failures: int


def health(status: str) -> Health:
    """The tracker's status text (``ok``, ``ok (warning)``, ``failing (3)``, ``never polled``, ``no feed``)."""
    failing = _FAILING.match(status)
    if failing:
        return Health("failing", int(failing.group(1)))
    return Health(
        {"ok": "ok", "ok (warning)": "warning", "never polled": "never", "no feed": "none"}.get(status, "none"), 0
    )


@dataclasses.dataclass
class OutletRow:
    name: str
    kind: str
    tier: str | None
    region: str | None
    origin: str
    sources: list[tuple[SourceHealth, Health]]


def rows(console: Console) -> list[OutletRow]:
    found: dict[str, OutletRow] = {}
    for source in outlet_health(console.store):
        row = found.get(source.outlet)
        if row is None:
            row = found[source.outlet] = OutletRow(
                source.outlet, source.kind, source.tier, source.region, source.origin, []
            )
        if source.feed is not None:
            row.sources.append((source, health(source.status)))
    return list(found.values())


@page()
async def outlets_page(request: Request) -> Response:
    console = console_of(request)
    context = {
        "rows": await run_in_threadpool(rows, console),
        "kinds": KIND_LABELS,
        "choices": OUTLET_KINDS,
        "tiers": list(TIERS),
        "redact": console.redact,
    }
    return render(request, "outlets.html", context)


@form_action("/outlets", Role.ADMIN)
def add(sent: Submission) -> str:
    feeds = [line.strip() for line in sent.field("feeds").splitlines() if line.strip()]
    spec = OutletSpec(
        name=sent.field("name"),
        kind=sent.field("kind") or "news_site",
        tier=sent.field("tier") or None,
        region=sent.field("region") or None,
        feeds=feeds,
    )
    console = sent.console
    add_outlet(console.store, spec, console.settings.tracker, console.clock.now(), sent.user.name)
    return sent.t("Outlet {name} added with {count} feeds.", name=spec.name.strip(), count=len(feeds))


@form_action("/outlets", Role.ADMIN)
def remove(sent: Submission) -> str:
    name, console = sent.field("name"), sent.console
    remove_outlet(console.store, name, console.clock.now(), sent.user.name, sent.field("reason") or None)
    return sent.t("Outlet {name} removed; its coverage is kept.", name=name)


routes = [Route("/outlets", outlets_page), *action_routes("/outlets", add, remove)]
