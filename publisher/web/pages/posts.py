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
from publisher.services.readback import METRICS, last_checks
from publisher.store import post_history
from publisher.times import local, parse_time
from publisher.web.auth import console_of, page
from publisher.web.console import Console
from publisher.web.drafts import describe_conflicts, quiet_conflicts
from publisher.web.i18n import Translate, event_note
from publisher.web.models import Role
from publisher.web.pages.common import Submission, action_routes, form_action
from publisher.web.pages.compose import is_editable
from publisher.web.views import render, tr

__all__ = ["METRIC_LABELS", "READ_BACK_LABELS", "reschedule_time", "routes"]

#: what reading a sent post back found, and the platforms' counters, as the page says them (English, translated)
READ_BACK_LABELS = {
    "online": "still online",
    "gone": "taken down",
    "hidden": "no longer public",
    "unknown": "could not be checked",
}
METRIC_LABELS = {m: f"{{count}} {m}" for m in METRICS}


@page()
async def post_page(request: Request) -> Response:
    console = console_of(request)
    post_id = request.path_params["post_id"]
    post, events = await run_in_threadpool(post_history, console.store, post_id)
    if post is None:
        raise HTTPException(404, "post")
    zone = post.campaign.timezone if post.campaign else console.timezone
    previews = await run_in_threadpool(console.queue("console").preview, post_id)
    checks = await run_in_threadpool(last_checks, console.store, [d.id for d in post.deliveries])
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
        "checks": checks,  # what reading each sent delivery back on its platform found
        "read_back_labels": READ_BACK_LABELS,
        "metric_labels": METRIC_LABELS,
    }
    return render(request, "post.html", context)


@form_action("/posts/{post_id}", Role.APPROVER)
def approve(sent: Submission) -> str:
    post_id = sent.params["post_id"]
    try:
        sent.console.queue(sent.user.name).approve(post_id, sent.field("note") or None)
    except SameApproverError as exc:
        # the campaign's two-person rule, said in the person's language
        reason = sent.t(
            "You wrote or queued post {id}: campaign {campaign} requires another person to approve it.",
            id=post_id,
            campaign=exc.campaign,
        )
        raise ValidationError(reason) from None
    return sent.t("Approved post {id}.", id=post_id)


@form_action("/posts/{post_id}", Role.APPROVER)
def reject(sent: Submission) -> str:
    post_id = sent.params["post_id"]
    sent.console.queue(sent.user.name).reject(post_id, sent.field("reason"))
    return sent.t("Rejected post {id}.", id=post_id)


@form_action("/posts/{post_id}")
def cancel(sent: Submission) -> str:
    post_id = sent.params["post_id"]
    count = sent.console.queue(sent.user.name).cancel(post_id, sent.field("reason") or None)
    return sent.t("Cancelled post {id} ({count} deliveries).", id=post_id, count=count)


def reschedule_time(
    console: Console, post_id: int, at: str, channel: str | None, confirmed: bool, t: Translate | None = None
) -> tuple[datetime, str]:
    """The new time typed for a post (in its campaign's zone), checked against the channels' posting hours."""
    post, _ = post_history(console.store, post_id)
    if post is None:
        raise NotFoundError.of("there is no post {id}", id=post_id)
    zone = post.campaign.timezone if post.campaign else console.timezone
    when = parse_time(at, zone)
    channels = [d.channel.name for d in post.deliveries if channel in (None, d.channel.name)]
    conflicts = quiet_conflicts(console, channels, when, zone)
    if conflicts and not confirmed:
        raise ValidationError.of(
            "{conflicts}. Choose another time, or confirm to send then anyway.",
            conflicts=describe_conflicts(conflicts, t),
        )
    return when, zone


@form_action("/posts/{post_id}")
def reschedule(sent: Submission) -> str:
    post_id, console = sent.params["post_id"], sent.console
    at, channel, confirmed = sent.field("at"), sent.field("channel") or None, bool(sent.field("confirm_quiet"))
    if not at:
        raise ValidationError.of("choose the new time")
    when, zone = reschedule_time(console, post_id, at, channel, confirmed, sent.t)
    count = console.queue(sent.user.name).reschedule(post_id, when, channel, ignore_quiet_hours=confirmed)
    return sent.t("Moved {count} deliveries to {when}.", count=count, when=local(when, zone))


def _resolve_back(sent: Submission) -> str:
    back = sent.field("back")
    return back if back in ("/uncertain",) else f"/posts/{sent.params['post_id']}"


@form_action(_resolve_back, Role.APPROVER)
def resolve(sent: Submission) -> str:
    action, channel, note = sent.field("action"), sent.field("channel") or None, sent.field("note") or None
    count = sent.console.queue(sent.user.name).resolve(sent.params["post_id"], action, channel, note)
    if action == "sent":
        return sent.t("Marked {count} deliveries as sent.", count=count)
    return sent.t("Queued {count} deliveries to be sent again.", count=count)


@form_action("/posts/{post_id}")
def retry(sent: Submission) -> str:
    channel, note = sent.field("channel") or None, sent.field("note") or None
    count = sent.console.queue(sent.user.name).retry(sent.params["post_id"], channel, note)
    return sent.t("Queued {count} failed deliveries to be sent again now.", count=count)


routes = [
    Route("/posts/{post_id:int}", post_page),
    *action_routes("/posts/{post_id:int}", approve, reject, cancel, reschedule, resolve, retry),
]
