"""Signing in and out, and choosing a language. Until an admin exists, the sign-in page says how to make one.

A refused sign-in that is worth trying again (a delay after failures, or every password-check slot taken) is a 429
with ``Retry-After``; neither hashed the password.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from publisher.web.accounts import SignInRefused, TooManyAttempts
from publisher.web.auth import client_address, console_of, current_user, page, sign_in, sign_out
from publisher.web.pages.common import field, safe_next
from publisher.web.passwords import PasswordChecksBusy
from publisher.web.views import redirect, render, tr

__all__ = ["routes"]

_TOLD_TO_WAIT = "signin_wait"  # [name, when]: this browser was told to wait before trying a name under attack


def _told_to_wait(request: Request, name: str) -> datetime | None:
    kept = request.session.get(_TOLD_TO_WAIT)
    if isinstance(kept, list) and len(kept) == 2 and kept[0] == name[:100]:
        try:
            return datetime.fromisoformat(str(kept[1]))
        except ValueError:
            return None
    return None


@page(role=None)
async def sign_in_page(request: Request) -> Response:
    console = console_of(request)
    if request.method == "GET":
        if current_user(request) is not None:
            return redirect(safe_next(request.query_params.get("next")))
        has_admin = await run_in_threadpool(console.accounts.has_admin)
        context: dict[str, Any] = {
            "next": safe_next(request.query_params.get("next")),
            "error": None,
            "name": "",
            "has_admin": has_admin,
        }
        return render(request, "signin.html", context)
    form = await request.form()
    name, password, target = field(form, "name"), str(form.get("password") or ""), safe_next(field(form, "next"))
    address, t = client_address(request), tr(request)
    status, retry_after = 401, 0
    told = _told_to_wait(request, name)
    try:
        user = await run_in_threadpool(
            lambda: console.accounts.authenticate(name, password, address, told_to_wait=told)
        )
    except PasswordChecksBusy as exc:
        error, status, retry_after = t("Many sign-ins at once. Try again in a moment."), 429, exc.retry_after
    except TooManyAttempts as exc:
        if exc.attack:
            request.session[_TOLD_TO_WAIT] = [name[:100], console.clock.now().isoformat()]
        seconds = exc.seconds
        error, status, retry_after = (
            t("Too many failed attempts. Try again in {seconds} s.", seconds=seconds),
            429,
            seconds,
        )
    except SignInRefused:
        error = t("Wrong name or password.")
    else:
        request.session.pop(_TOLD_TO_WAIT, None)
        sign_in(request, user)
        return redirect(target)
    has_admin = await run_in_threadpool(console.accounts.has_admin)
    context = {"next": target, "error": error, "name": name, "has_admin": has_admin}
    response = render(request, "signin.html", context, status=status)
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    return response


@page(role=None)
async def sign_out_page(request: Request) -> Response:
    sign_out(request)
    return redirect("/login")


@page(role=None)
async def language(request: Request) -> Response:
    form = await request.form()
    chosen = field(form, "lang")
    if chosen in ("zh", "en"):
        user = current_user(request)
        if user is not None:
            await run_in_threadpool(console_of(request).accounts.set_language, user.id, chosen)
        request.session["lang"] = chosen
    return redirect(safe_next(field(form, "next"), "/login"))


routes = [
    Route("/login", sign_in_page, methods=["GET", "POST"]),
    Route("/logout", sign_out_page, methods=["POST"]),
    Route("/language", language, methods=["POST"]),
]
