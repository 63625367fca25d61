"""The queue: every post with its deliveries' states, filtered; and the approvals waiting."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import datetime, timedelta

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from publisher.errors import ValidationError
from publisher.models import ApprovalState, Delivery, DeliveryState, Post
from publisher.store import PostFilter, list_deliveries
from publisher.times import parse_time
from publisher.web.auth import console_of, page
from publisher.web.i18n import say
from publisher.web.views import redirect, render, tr

__all__ = ["PostRow", "group_by_post", "routes"]

STATES = [ApprovalState.PENDING.value, ApprovalState.REJECTED.value, *(s.value for s in DeliveryState)]


@dataclasses.dataclass
class PostRow:
    post: Post
    zone: str
    deliveries: list[Delivery]

    @property
    def first_due(self) -> datetime:
        return min(d.due_at for d in self.deliveries)


def group_by_post(pairs: Iterable[tuple[Post, Delivery]], default_zone: str) -> list[PostRow]:
    """Deliveries (by due time) gathered under their posts, each post where its first delivery falls."""
    rows: dict[int, PostRow] = {}
    for post, delivery in pairs:
        row = rows.get(post.id)
        if row is None:
            zone = post.campaign.timezone if post.campaign else default_zone
            row = rows[post.id] = PostRow(post, zone, [])
        row.deliveries.append(delivery)
    return list(rows.values())


def _day(text: str, zone: str) -> datetime | None:
    return parse_time(text, zone) if text else None


@page()
async def home(request: Request) -> Response:
    return redirect("/queue")


@page()
async def queue_page(request: Request) -> Response:
    console = console_of(request)
    query = request.query_params
    filters = {key: query.get(key, "").strip() for key in ("state", "channel", "campaign", "from", "to")}
    zone = console.zone_of(filters["campaign"] or None)
    error = None
    try:
        due_from = _day(filters["from"], zone)
        due_to = _day(filters["to"], zone)
    except ValidationError as exc:
        due_from = due_to = None
        error = say(tr(request), exc)
    where = PostFilter(
        state=filters["state"] or None,
        channel=filters["channel"] or None,
        campaign=filters["campaign"] or None,
        due_from=due_from,
        due_to=due_to + timedelta(days=1) if due_to else None,  # "to" a day includes that day
        limit=1000,
    )
    rows = group_by_post(list_deliveries(console.store, where), console.timezone)
    context = {
        "rows": rows,
        "filters": filters,
        "states": STATES,
        "channels": list(console.settings.channels),
        "campaigns": [c.name for c in console.campaigns()],
        "error": error,
        "now": console.clock.now(),
    }
    return render(request, "queue.html", context)


@page()
async def approvals_page(request: Request) -> Response:
    console = console_of(request)
    pending = list_deliveries(console.store, PostFilter(state=ApprovalState.PENDING.value, limit=2000))
    rows = group_by_post(pending, console.timezone)
    t = tr(request)
    return render(request, "approvals.html", {"rows": rows, "title": t("Approvals")})


routes = [
    Route("/", home),
    Route("/queue", queue_page),
    Route("/approvals", approvals_page),
]
