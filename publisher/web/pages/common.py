"""Helpers the page modules share: reading forms, running one state change and reporting how it went."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from publisher.errors import NotFoundError, PublisherError
from publisher.web.accounts import UserView
from publisher.web.auth import Endpoint, console_of, page, user_of
from publisher.web.console import Console
from publisher.web.i18n import Translate, say
from publisher.web.models import Role
from publisher.web.views import flash, is_fetch, json_error, redirect, tr

__all__ = ["Submission", "action_routes", "field", "form_action", "perform", "safe_next"]


def field(form: FormData, name: str, default: str = "") -> str:
    """A text field of a submitted form (never a file), stripped."""
    value = form.get(name)
    return value.strip() if isinstance(value, str) else default


def safe_next(target: str | None, default: str = "/queue") -> str:
    """Only a path on this site: never another site's address (an open redirect)."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return default


async def perform(request: Request, action: Callable[[], str], back: str) -> Response:
    """Run ``action`` (a state change through the core, returning what to tell the person) in a worker thread, so
    a daemon sharing this event loop keeps sending; then show its message, or why it was refused, on ``back``.
    Scripts (``X-Requested-With: fetch``) get JSON instead."""
    try:
        message = await run_in_threadpool(action)
    except NotFoundError as exc:
        raise HTTPException(404, say(tr(request), exc)) from None
    except PublisherError as exc:
        reason = console_of(request).redact(say(tr(request), exc))
        if is_fetch(request):
            return json_error(reason, 422)
        flash(request, reason, "error")
        return redirect(back)
    if is_fetch(request):
        return JSONResponse({"ok": True, "message": message})
    flash(request, message)
    return redirect(back)


@dataclasses.dataclass(frozen=True)
class Submission:
    """One submitted form and who sent it: what a form action needs."""

    request: Request
    form: FormData
    user: UserView
    t: Translate
    console: Console

    @property
    def params(self) -> dict[str, Any]:
        """The path's parameters (``post_id``, ``name``)."""
        return self.request.path_params

    def field(self, name: str, default: str = "") -> str:
        return field(self.form, name, default)


def form_action(
    back: str | Callable[[Submission], str], role: Role | None = Role.EDITOR
) -> Callable[[Callable[[Submission], str]], Endpoint]:
    """A guarded page endpoint (``page(role)``) for one form's state change: the decorated function makes the change
    from the ``Submission`` and returns what to tell the person, as ``perform`` runs it. ``back`` is the page to
    return to: a path with the path's parameters in braces (``/posts/{post_id}``), or one worked out from the form."""

    def wrap(act: Callable[[Submission], str]) -> Endpoint:
        @page(role)
        @functools.wraps(act)
        async def endpoint(request: Request) -> Response:
            sent = Submission(request, await request.form(), user_of(request), tr(request), console_of(request))
            target = back(sent) if callable(back) else back.format(**request.path_params)
            return await perform(request, lambda: act(sent), target)

        return endpoint

    return wrap


def action_routes(prefix: str, *endpoints: Endpoint) -> list[Route]:
    """The POST routes of a page's actions, each at the prefix and the endpoint's name (``/campaigns/add``)."""
    return [Route(f"{prefix}/{endpoint.__name__}", endpoint, methods=["POST"]) for endpoint in endpoints]
