"""Signing in and out, and choosing a language. Until an admin exists, the sign-in page says how to make one."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from publisher.web.accounts import SignInRefused, TooManyAttempts
from publisher.web.auth import console_of, current_user, page, sign_in, sign_out
from publisher.web.pages.common import field, safe_next
from publisher.web.views import redirect, render, tr

__all__ = ["routes"]


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
    address = request.client.host if request.client else "unknown"
    t = tr(request)
    status = 401
    try:
        user = await run_in_threadpool(console.accounts.authenticate, name, password, address)
    except TooManyAttempts as exc:
        minutes = int(exc.wait.total_seconds() // 60) + 1
        error, status = t("Too many failed attempts. Try again in {minutes} minutes.", minutes=minutes), 429
    except SignInRefused:
        error = t("Wrong name or password.")
    else:
        sign_in(request, user)
        return redirect(target)
    has_admin = await run_in_threadpool(console.accounts.has_admin)
    context = {"next": target, "error": error, "name": name, "has_admin": has_admin}
    return render(request, "signin.html", context, status=status)


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
