"""Channels: health, last error, pause state and pace; pause, resume and test (admins), all through
``publisher.services.channels`` as the CLI's ``channel`` commands are. And the deliveries whose outcome is uncertain,
for an approver to settle."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from publisher.errors import NotFoundError
from publisher.models import DeliveryState
from publisher.store import PostFilter, list_deliveries
from publisher.web.auth import console_of, page
from publisher.web.models import Role
from publisher.web.pages.common import Submission, action_routes, form_action
from publisher.web.pages.queue import group_by_post
from publisher.web.views import flash, redirect, render, tr

__all__ = ["routes"]


@page()
async def channels_page(request: Request) -> Response:
    return render(request, "channels.html", {"rows": console_of(request).channels.list()})


@form_action("/channels", Role.ADMIN)
def pause(sent: Submission) -> str:
    name = sent.params["name"]
    sent.console.channels.pause(name, sent.user.name)
    return sent.t("{name} is paused; its deliveries wait.", name=name)


@form_action("/channels", Role.ADMIN)
def resume(sent: Submission) -> str:
    name = sent.params["name"]
    sent.console.channels.resume(name, sent.user.name)
    return sent.t("{name} is sending again.", name=name)


@page(Role.ADMIN)
async def test(request: Request) -> Response:
    """The channel's own check, with its real secrets (read from the environment, never shown)."""
    name, t, console = request.path_params["name"], tr(request), console_of(request)
    try:
        verdict = await console.channels.test(name)
    except NotFoundError:
        flash(request, t("There is no channel {name}.", name=name), "error")
        return redirect("/channels")
    if verdict.ok:
        flash(request, t("{name}: OK: {verdict}", name=name, verdict=verdict.text))
    else:
        flash(request, t("{name}: FAILED: {reason}", name=name, reason=verdict.text), "error")
    return redirect("/channels")


@page()
async def uncertain_page(request: Request) -> Response:
    console = console_of(request)
    pairs = list_deliveries(console.store, PostFilter(state=DeliveryState.UNCERTAIN.value, limit=2000))
    rows = group_by_post(pairs, console.timezone)
    return render(request, "uncertain.html", {"rows": rows, "redact": console.redact})


routes = [
    Route("/channels", channels_page),
    *action_routes("/channels/{name}", pause, resume, test),
    Route("/uncertain", uncertain_page),
]
