"""One's own account: language, password, signed-in sessions and API tokens. A new token is shown once, on the page
that made it. Any session can be ended from here, or all of them at once ("sign out everywhere")."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from publisher.errors import PublisherError
from publisher.web.auth import console_of, current_session, page, sign_out, user_of
from publisher.web.i18n import say
from publisher.web.pages.common import Submission, field, form_action, perform
from publisher.web.views import flash, redirect, render, tr

__all__ = ["routes"]


async def _page(request: Request, **extra: Any) -> Response:
    user, accounts, current = user_of(request), console_of(request).accounts, current_session(request)
    tokens = await run_in_threadpool(accounts.tokens, user.id)
    sessions = await run_in_threadpool(accounts.sessions, user.id, current)
    context = {"tokens": tokens, "sessions": sessions, "new_token": None, **extra}
    response = render(request, "account.html", context)
    response.headers["Cache-Control"] = "no-store"
    return response


@page()
async def account_page(request: Request) -> Response:
    return await _page(request)


@form_action("/account")
def change_password(sent: Submission) -> str:
    current, new = str(sent.form.get("current") or ""), str(sent.form.get("new") or "")
    keep = current_session(sent.request)  # this session goes on
    sent.console.accounts.change_own_password(sent.user.id, current, new, keep_session=keep)
    return sent.t("Password changed; your other sessions have ended.")


@page()
async def create_token(request: Request) -> Response:
    form, user, t, accounts = await request.form(), user_of(request), tr(request), console_of(request).accounts
    try:
        token, plain = await run_in_threadpool(
            lambda: accounts.create_token(user.id, field(form, "label"), actor=user.name)
        )
    except PublisherError as exc:
        flash(request, say(t, exc), "error")
        return await _page(request)
    flash(request, t("Token {label} created. Copy it now: it will not be shown again.", label=token.label))
    return await _page(request, new_token=plain)


@form_action("/account")
def revoke_token(sent: Submission) -> str:
    sent.console.accounts.revoke_token(sent.params["token_id"], actor=sent.user.name, owner_id=sent.user.id)
    return sent.t("Token revoked.")


@page()
async def end_session(request: Request) -> Response:
    """End one of one's own sessions (another browser's, or this one: then this is signing out)."""
    key, user, t = request.path_params["key"], user_of(request), tr(request)
    if key == current_session(request):
        sign_out(request)
        return redirect("/login")

    def act() -> str:
        console_of(request).accounts.end_session(key, user_id=user.id)
        return t("Session ended.")

    return await perform(request, act, "/account")


@page()
async def sign_out_everywhere(request: Request) -> Response:
    """End every session of one's own, this one included (API tokens are revoked one by one, above)."""
    user = user_of(request)
    await run_in_threadpool(lambda: console_of(request).accounts.end_sessions(user.id, actor=user.name))
    sign_out(request)
    return redirect("/login")


routes = [
    Route("/account", account_page),
    Route("/account/password", change_password, methods=["POST"]),
    Route("/account/tokens", create_token, methods=["POST"]),
    Route("/account/tokens/{token_id:int}/revoke", revoke_token, methods=["POST"]),
    Route("/account/sessions/{key:str}/end", end_session, methods=["POST"]),
    Route("/account/sessions/end", sign_out_everywhere, methods=["POST"]),
]
