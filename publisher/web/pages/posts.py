"""One post: its deliveries, each channel's rendering, its history; and what can be done to it.

Every action is one call to the core's ``Queue`` (approve, reject, cancel, reschedule, resolve, retry) acting as the
signed-in person, so the rules and the event log are the same as on the command line.
"""

from __future__ import annotations

import functools
from datetime import datetime

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from publisher.errors import NotFoundError, ValidationError
from publisher.models import WAITING_STATES, ApprovalState, DeliveryState
from publisher.queue import SameApproverError
from publisher.store import post_history
from publisher.times import local, parse_time
from publisher.web.auth import console_of, page, user_of
from publisher.web.console import Console
from publisher.web.drafts import describe_conflicts, quiet_conflicts
from publisher.web.i18n import event_note
from publisher.web.models import Role
from publisher.web.pages.common import field, perform
from publisher.web.pages.compose import is_editable
from publisher.web.views import render, tr

__all__ = ["reschedule_time", "routes"]


@page()
async def post_page(request: Request) -> Response:
    console = console_of(request)
    post_id = request.path_params["post_id"]
    post, events = await run_in_threadpool(post_history, console.store, post_id)
    if post is None:
        raise HTTPException(404, "post")
    zone = post.campaign.timezone if post.campaign else console.timezone
    previews = await run_in_threadpool(console.queue("console").preview, post_id)
    context = {
        "post": post,
        "events": events,
        "note": functools.partial(event_note, tr(request)),
        "zone": zone,
        "previews": previews,
        "editable": is_editable(post),
        "waiting": [d for d in post.deliveries if d.state in WAITING_STATES],
        "uncertain": [d for d in post.deliveries if d.state == DeliveryState.UNCERTAIN],
        "failed": [d for d in post.deliveries if d.state == DeliveryState.FAILED],
        "pending": post.approval == ApprovalState.PENDING and post.state == "active",
        "redact": console.redact,
        "channel_of": {d.id: d.channel.name for d in post.deliveries},
    }
    return render(request, "post.html", context)


@page(Role.APPROVER)
async def approve(request: Request) -> Response:
    post_id, form, user, t = request.path_params["post_id"], await request.form(), user_of(request), tr(request)
    note = field(form, "note") or None

    def act() -> str:
        try:
            console_of(request).queue(user.name).approve(post_id, note)
        except SameApproverError as exc:
            # the campaign's two-person rule, said in the person's language
            reason = t(
                "You wrote or queued post {id}: campaign {campaign} requires another person to approve it.",
                id=post_id,
                campaign=exc.campaign,
            )
            raise ValidationError(reason) from None
        return t("Approved post {id}.", id=post_id)

    return await perform(request, act, f"/posts/{post_id}")


@page(Role.APPROVER)
async def reject(request: Request) -> Response:
    post_id, form, user, t = request.path_params["post_id"], await request.form(), user_of(request), tr(request)
    reason = field(form, "reason")

    def act() -> str:
        console_of(request).queue(user.name).reject(post_id, reason)
        return t("Rejected post {id}.", id=post_id)

    return await perform(request, act, f"/posts/{post_id}")


@page()
async def cancel(request: Request) -> Response:
    post_id, form, user, t = request.path_params["post_id"], await request.form(), user_of(request), tr(request)
    reason = field(form, "reason") or None

    def act() -> str:
        count = console_of(request).queue(user.name).cancel(post_id, reason)
        return t("Cancelled post {id} ({count} deliveries).", id=post_id, count=count)

    return await perform(request, act, f"/posts/{post_id}")


def reschedule_time(
    console: Console, post_id: int, at: str, channel: str | None, confirmed: bool
) -> tuple[datetime, str]:
    """The new time typed for a post (in its campaign's zone), checked against the channels' posting hours."""
    post, _ = post_history(console.store, post_id)
    if post is None:
        raise NotFoundError(f"there is no post {post_id}")
    zone = post.campaign.timezone if post.campaign else console.timezone
    when = parse_time(at, zone)
    channels = [d.channel.name for d in post.deliveries if channel in (None, d.channel.name)]
    conflicts = quiet_conflicts(console, channels, when, zone)
    if conflicts and not confirmed:
        raise ValidationError(f"{describe_conflicts(conflicts)}. Choose another time, or confirm to send then anyway.")
    return when, zone


@page()
async def reschedule(request: Request) -> Response:
    post_id, form, user, t = request.path_params["post_id"], await request.form(), user_of(request), tr(request)
    at, channel, confirmed = field(form, "at"), field(form, "channel") or None, bool(field(form, "confirm_quiet"))
    console = console_of(request)

    def act() -> str:
        if not at:
            raise ValidationError("choose the new time")
        when, zone = reschedule_time(console, post_id, at, channel, confirmed)
        count = console.queue(user.name).reschedule(post_id, when, channel, ignore_quiet_hours=confirmed)
        return t("Moved {count} deliveries to {when}.", count=count, when=local(when, zone))

    return await perform(request, act, f"/posts/{post_id}")


@page(Role.APPROVER)
async def resolve(request: Request) -> Response:
    post_id, form, user, t = request.path_params["post_id"], await request.form(), user_of(request), tr(request)
    action, channel, note = field(form, "action"), field(form, "channel") or None, field(form, "note") or None
    back = field(form, "back")
    back = back if back in ("/uncertain",) else f"/posts/{post_id}"

    def act() -> str:
        count = console_of(request).queue(user.name).resolve(post_id, action, channel, note)
        if action == "sent":
            return t("Marked {count} deliveries as sent.", count=count)
        return t("Queued {count} deliveries to be sent again.", count=count)

    return await perform(request, act, back)


@page()
async def retry(request: Request) -> Response:
    post_id, form, user, t = request.path_params["post_id"], await request.form(), user_of(request), tr(request)
    channel, note = field(form, "channel") or None, field(form, "note") or None

    def act() -> str:
        count = console_of(request).queue(user.name).retry(post_id, channel, note)
        return t("Queued {count} failed deliveries to be sent again now.", count=count)

    return await perform(request, act, f"/posts/{post_id}")


routes = [
    Route("/posts/{post_id:int}", post_page),
    Route("/posts/{post_id:int}/approve", approve, methods=["POST"]),
    Route("/posts/{post_id:int}/reject", reject, methods=["POST"]),
    Route("/posts/{post_id:int}/cancel", cancel, methods=["POST"]),
    Route("/posts/{post_id:int}/reschedule", reschedule, methods=["POST"]),
    Route("/posts/{post_id:int}/resolve", resolve, methods=["POST"]),
    Route("/posts/{post_id:int}/retry", retry, methods=["POST"]),
]
