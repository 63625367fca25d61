"""One's own account: language, password, API tokens. A new token is shown once, on the page that made it."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from publisher.errors import PublisherError
from publisher.web.auth import console_of, page, sign_in, user_of
from publisher.web.pages.common import field, perform
from publisher.web.views import flash, render, tr

__all__ = ["routes"]


async def _page(request: Request, **extra: Any) -> Response:
    user = user_of(request)
    tokens = await run_in_threadpool(console_of(request).accounts.tokens, user.id)
    response = render(request, "account.html", {"tokens": tokens, "new_token": None, **extra})
    response.headers["Cache-Control"] = "no-store"
    return response


@page()
async def account_page(request: Request) -> Response:
    return await _page(request)


@page()
async def change_password(request: Request) -> Response:
    form, user, t, accounts = await request.form(), user_of(request), tr(request), console_of(request).accounts
    current, new = str(form.get("current") or ""), str(form.get("new") or "")

    def act() -> str:
        accounts.change_own_password(user.id, current, new)
        return t("Password changed; your other sessions have ended.")

    response = await perform(request, act, "/account")
    refreshed = await run_in_threadpool(accounts.get, user.id)
    if refreshed is not None and refreshed.marker != user.marker:
        sign_in(request, refreshed)  # this session goes on; the others end with the old marker
    return response


@page()
async def create_token(request: Request) -> Response:
    form, user, t, accounts = await request.form(), user_of(request), tr(request), console_of(request).accounts
    try:
        token, plain = await run_in_threadpool(
            lambda: accounts.create_token(user.id, field(form, "label"), actor=user.name)
        )
    except PublisherError as exc:
        flash(request, str(exc), "error")
        return await _page(request)
    flash(request, t("Token {label} created. Copy it now: it will not be shown again.", label=token.label))
    return await _page(request, new_token=plain)


@page()
async def revoke_token(request: Request) -> Response:
    token_id, user, t = request.path_params["token_id"], user_of(request), tr(request)

    def act() -> str:
        console_of(request).accounts.revoke_token(token_id, actor=user.name, owner_id=user.id)
        return t("Token revoked.")

    return await perform(request, act, "/account")


routes = [
    Route("/account", account_page),
    Route("/account/password", change_password, methods=["POST"]),
    Route("/account/tokens", create_token, methods=["POST"]),
    Route("/account/tokens/{token_id:int}/revoke", revoke_token, methods=["POST"]),
]
