"""The calendar: a week or a month of what goes out when, in the team's zone. Dragging a waiting delivery to
another day moves it there at the same local time (``Queue.reschedule``, through ``/posts/{id}/reschedule``)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from publisher.errors import ValidationError
from publisher.models import WAITING_STATES, ApprovalState, PostState
from publisher.store import PostFilter, list_deliveries
from publisher.times import FIRST_YEAR, LAST_YEAR
from publisher.web.auth import console_of, page
from publisher.web.views import render

__all__ = ["routes"]


@dataclasses.dataclass(frozen=True)
class Item:
    post_id: int
    title: str
    channel: str
    state: str
    approval: str
    time: str  # HH:MM in the post's campaign zone
    zone: str
    movable: bool


def _month_after(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _span(view: str, anchor: date) -> tuple[date, date, date, date]:
    """(first shown day, day after the last shown, previous anchor, next anchor)."""
    if view == "month":
        first = anchor.replace(day=1)
        following = _month_after(first)
        start = first - timedelta(days=first.weekday())
        end = following + timedelta(days=(7 - following.weekday()) % 7)
        previous = (first - timedelta(days=1)).replace(day=1)
        return start, end, previous, following
    start = anchor - timedelta(days=anchor.weekday())
    return start, start + timedelta(days=7), anchor - timedelta(days=7), anchor + timedelta(days=7)


@page()
async def calendar_page(request: Request) -> Response:
    console = console_of(request)
    zone = ZoneInfo(console.timezone)
    today = console.clock.now().astimezone(zone).date()
    view = "month" if request.query_params.get("view") == "month" else "week"
    try:
        anchor = date.fromisoformat(request.query_params.get("date", ""))
    except ValueError:
        anchor = today
    if not FIRST_YEAR <= anchor.year <= LAST_YEAR:  # the weeks around 0001-01-01 or 9999-12-31 do not exist
        raise ValidationError.of(
            "the calendar shows the years {first} to {last}; choose a date in them", first=FIRST_YEAR, last=LAST_YEAR
        )
    start, end, previous, following = _span(view, anchor)
    start_utc = datetime.combine(start, time(0), tzinfo=zone).astimezone(UTC)
    end_utc = datetime.combine(end, time(0), tzinfo=zone).astimezone(UTC)
    where = PostFilter(due_from=start_utc, due_to=end_utc, limit=5000)
    days: dict[date, list[Item]] = {start + timedelta(days=n): [] for n in range((end - start).days)}
    for post, delivery in list_deliveries(console.store, where):
        post_zone = post.campaign.timezone if post.campaign else console.timezone
        day = delivery.due_at.astimezone(zone).date()
        active = post.state == PostState.ACTIVE and post.approval != ApprovalState.REJECTED
        movable = delivery.state in WAITING_STATES and active
        item = Item(
            post_id=post.id,
            title=post.title,
            channel=delivery.channel.name,
            state=delivery.state,
            approval=post.approval,
            time=delivery.due_at.astimezone(ZoneInfo(post_zone)).strftime("%H:%M"),
            zone=post_zone,
            movable=movable,
        )
        days.setdefault(day, []).append(item)
    ordered = sorted(days.items())
    weeks = [ordered[i : i + 7] for i in range(0, len(ordered), 7)]
    context = {
        "view": view,
        "weeks": weeks,
        "anchor": anchor,
        "today": today,
        "previous": previous,
        "following": following,
        "month": anchor.month,
    }
    return render(request, "calendar.html", context)


routes = [Route("/calendar", calendar_page)]
