"""Helpers the page modules share: reading forms, running one state change and reporting how it went."""

from __future__ import annotations

from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from publisher.errors import NotFoundError, PublisherError
from publisher.web.auth import console_of
from publisher.web.i18n import say
from publisher.web.views import flash, is_fetch, json_error, redirect, tr

__all__ = ["field", "perform", "safe_next"]


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
