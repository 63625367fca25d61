"""Who is asking, and may they: session sign-in for pages, the guard every page endpoint goes through.

The session is Starlette's signed cookie (itsdangerous; HttpOnly, SameSite=Lax, Secure when ``[web] https_only``).
It holds the user's id, a marker that changes when their password, role or active state changes (so those end
their sessions at once), and the CSRF token. It never holds a password or a role.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from publisher.web import csrf
from publisher.web.accounts import UserView
from publisher.web.console import Console
from publisher.web.models import Role

__all__ = ["Endpoint", "console_of", "current_user", "page", "sign_in", "sign_out"]

Endpoint = Callable[[Request], Awaitable[Response]]
_UID, _MARKER = "uid", "marker"
_UNKNOWN = object()


def console_of(request: Request) -> Console:
    console: Console = request.app.state.console
    return console


def current_user(request: Request) -> UserView | None:
    """The signed-in, still active user of this request's session, or None."""
    cached = getattr(request.state, "user", _UNKNOWN)
    if cached is not _UNKNOWN:
        return cached if isinstance(cached, UserView) else None
    user = None
    uid = request.session.get(_UID)
    if isinstance(uid, int):
        found = console_of(request).accounts.get(uid)
        if found is not None and found.active and found.marker == request.session.get(_MARKER):
            user = found
    request.state.user = user
    return user


def sign_in(request: Request, user: UserView) -> None:
    """Start a fresh session for ``user`` (a new CSRF token too, so nothing from before signing in carries over)."""
    kept: dict[str, Any] = {key: request.session[key] for key in ("lang", "flash") if key in request.session}
    request.session.clear()
    request.session.update({_UID: user.id, _MARKER: user.marker, **kept})
    csrf.token(request)
    request.state.user = user


def sign_out(request: Request) -> None:
    request.session.clear()
    request.state.user = None


def page(role: Role | None = Role.EDITOR) -> Callable[[Endpoint], Endpoint]:
    """Guard a page endpoint: a CSRF token on every state-changing request, then (unless ``role`` is None) a
    signed-in user with at least ``role``. Anonymous GETs are sent to the sign-in page."""

    def wrap(endpoint: Endpoint) -> Endpoint:
        @functools.wraps(endpoint)
        async def guarded(request: Request) -> Response:
            if request.method in csrf.UNSAFE_METHODS and not await csrf.is_valid(request):
                raise HTTPException(403, "csrf")
            if role is not None:
                user = current_user(request)
                if user is None:
                    if request.method == "GET":
                        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
                    raise HTTPException(401, "sign-in")
                if not user.may(role):
                    raise HTTPException(403, "role")
            return await endpoint(request)

        marked: Any = guarded
        marked.required_role = role  # read by the test that walks every route
        return guarded

    return wrap


def user_of(request: Request) -> UserView:
    """The signed-in user of a guarded endpoint."""
    user = current_user(request)
    if user is None:  # the guard has already refused the request
        raise HTTPException(401, "sign-in")
    return user
