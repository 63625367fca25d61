"""People (admins only): add, change role, deactivate, reset a password, revoke anyone's API token."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from publisher.web.auth import console_of, current_session, page
from publisher.web.models import Role
from publisher.web.pages.common import Submission, form_action
from publisher.web.views import render

__all__ = ["routes"]


@page(Role.ADMIN)
async def users_page(request: Request) -> Response:
    accounts = console_of(request).accounts
    users = await run_in_threadpool(accounts.users)
    tokens = await run_in_threadpool(accounts.tokens)
    return render(request, "users.html", {"users": users, "tokens": tokens, "roles": list(Role)})


@form_action("/users", Role.ADMIN)
def add_user(sent: Submission) -> str:
    name, role, language = sent.field("name"), sent.field("role"), sent.field("language") or None
    password = str(sent.form.get("password") or "")
    sent.console.accounts.add_user(name, password, role, language=language, actor=sent.user.name)
    return sent.t("Added {name}.", name=name)


@form_action("/users", Role.ADMIN)
def set_role(sent: Submission) -> str:
    keep = current_session(sent.request)  # an admin changing their own keeps this session
    accounts = sent.console.accounts
    accounts.set_role(sent.params["user_id"], sent.field("role"), actor=sent.user.name, keep_session=keep)
    return sent.t("Role changed; the person's sessions have ended.")


@form_action("/users", Role.ADMIN)
def set_active(sent: Submission) -> str:
    active = sent.field("active") == "1"
    sent.console.accounts.set_active(sent.params["user_id"], active, actor=sent.user.name)
    return sent.t("Account enabled.") if active else sent.t("Account disabled; its sessions and tokens no longer work.")


@form_action("/users", Role.ADMIN)
def reset_password(sent: Submission) -> str:
    password, keep = str(sent.form.get("password") or ""), current_session(sent.request)
    sent.console.accounts.set_password(sent.params["user_id"], password, actor=sent.user.name, keep_session=keep)
    return sent.t("Password changed; the person's sessions have ended.")


@form_action("/users", Role.ADMIN)
def revoke_any_token(sent: Submission) -> str:
    sent.console.accounts.revoke_token(sent.params["token_id"], actor=sent.user.name)
    return sent.t("Token revoked.")


routes = [
    Route("/users", users_page),
    Route("/users/add", add_user, methods=["POST"]),
    Route("/users/{user_id:int}/role", set_role, methods=["POST"]),
    Route("/users/{user_id:int}/active", set_active, methods=["POST"]),
    Route("/users/{user_id:int}/password", reset_password, methods=["POST"]),
    Route("/users/tokens/{token_id:int}/revoke", revoke_any_token, methods=["POST"]),
]
