"""People (admins only): add, change role, deactivate, reset a password, revoke anyone's API token."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from publisher.web.auth import console_of, current_session, page, user_of
from publisher.web.models import Role
from publisher.web.pages.common import field, perform
from publisher.web.views import render, tr

__all__ = ["routes"]


@page(Role.ADMIN)
async def users_page(request: Request) -> Response:
    accounts = console_of(request).accounts
    users = await run_in_threadpool(accounts.users)
    tokens = await run_in_threadpool(accounts.tokens)
    return render(request, "users.html", {"users": users, "tokens": tokens, "roles": list(Role)})


@page(Role.ADMIN)
async def add_user(request: Request) -> Response:
    form, admin, t, accounts = await request.form(), user_of(request), tr(request), console_of(request).accounts
    name, role, language = field(form, "name"), field(form, "role"), field(form, "language") or None
    password = str(form.get("password") or "")

    def act() -> str:
        accounts.add_user(name, password, role, language=language, actor=admin.name)
        return t("Added {name}.", name=name)

    return await perform(request, act, "/users")


@page(Role.ADMIN)
async def set_role(request: Request) -> Response:
    user_id, form, admin, t = request.path_params["user_id"], await request.form(), user_of(request), tr(request)
    role, keep = field(form, "role"), current_session(request)  # an admin changing their own keeps this session

    def act() -> str:
        console_of(request).accounts.set_role(user_id, role, actor=admin.name, keep_session=keep)
        return t("Role changed; the person's sessions have ended.")

    return await perform(request, act, "/users")


@page(Role.ADMIN)
async def set_active(request: Request) -> Response:
    user_id, form, admin, t = request.path_params["user_id"], await request.form(), user_of(request), tr(request)
    active = field(form, "active") == "1"

    def act() -> str:
        console_of(request).accounts.set_active(user_id, active, actor=admin.name)
        return t("Account enabled.") if active else t("Account disabled; its sessions and tokens no longer work.")

    return await perform(request, act, "/users")


@page(Role.ADMIN)
async def reset_password(request: Request) -> Response:
    user_id, form, admin, t = request.path_params["user_id"], await request.form(), user_of(request), tr(request)
    password, keep = str(form.get("password") or ""), current_session(request)

    def act() -> str:
        console_of(request).accounts.set_password(user_id, password, actor=admin.name, keep_session=keep)
        return t("Password changed; the person's sessions have ended.")

    return await perform(request, act, "/users")


@page(Role.ADMIN)
async def revoke_any_token(request: Request) -> Response:
    token_id, admin, t = request.path_params["token_id"], user_of(request), tr(request)

    def act() -> str:
        console_of(request).accounts.revoke_token(token_id, actor=admin.name)
        return t("Token revoked.")

    return await perform(request, act, "/users")


routes = [
    Route("/users", users_page),
    Route("/users/add", add_user, methods=["POST"]),
    Route("/users/{user_id:int}/role", set_role, methods=["POST"]),
    Route("/users/{user_id:int}/active", set_active, methods=["POST"]),
    Route("/users/{user_id:int}/password", reset_password, methods=["POST"]),
    Route("/users/tokens/{token_id:int}/revoke", revoke_any_token, methods=["POST"]),
]
