"""Who is asking, and may they: session sign-in for pages, the guard every page endpoint goes through.

A session is a row on the server (``WebSession``): the cookie carries only its random token, inside Starlette's
signed cookie (itsdangerous; HttpOnly, SameSite=Lax, Secure when ``[web] https_only``) with the CSRF token, the
language and flash messages. Signing out deletes the row, so a copy of the cookie taken before is worth nothing;
a password change, a role change and disabling delete the person's rows too (``publisher.web.accounts``). A session
ends after ``[web] session_idle_minutes`` unused and ``session_max_hours`` after signing in, whichever is first.

``client_address`` is the connecting address; ``X-Forwarded-For`` is read only when that address is one of
``[web] trusted_proxies``, and then the rightmost hop that is not itself a trusted proxy is the client.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from publisher.web import csrf
from publisher.web.accounts import UserView, session_key
from publisher.web.console import Console
from publisher.web.models import Role

__all__ = [
    "Endpoint",
    "client_address",
    "console_of",
    "current_session",
    "current_user",
    "page",
    "sign_in",
    "sign_out",
]

Endpoint = Callable[[Request], Awaitable[Response]]
_SID = "sid"  # the session's random token (the server keeps only its SHA-256)
_UNKNOWN = object()
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def console_of(request: Request) -> Console:
    console: Console = request.app.state.console
    return console


def _idle(console: Console) -> timedelta:
    return timedelta(minutes=console.web.session_idle_minutes)


def current_user(request: Request) -> UserView | None:
    """The signed-in, still active user of this request's live session, or None."""
    cached = getattr(request.state, "user", _UNKNOWN)
    if cached is not _UNKNOWN:
        return cached if isinstance(cached, UserView) else None
    user, key = None, None
    token = request.session.get(_SID)
    if isinstance(token, str):
        console = console_of(request)
        found = console.accounts.session_user(token, idle=_idle(console))
        if found is None:
            del request.session[_SID]  # ended: stop asking the database about it
        else:
            user, key = found
    request.state.user, request.state.session_key = user, key
    return user


def current_session(request: Request) -> str | None:
    """The key (SHA-256 of the token) of this request's live session, or None."""
    current_user(request)
    key = request.state.session_key
    return key if isinstance(key, str) else None


def sign_in(request: Request, user: UserView) -> None:
    """Start a fresh session for ``user``: a new token and a new CSRF token, so nothing from before carries over
    (a session this browser had is ended)."""
    console = console_of(request)
    old = request.session.get(_SID)
    if isinstance(old, str):
        console.accounts.end_session(session_key(old))
    kept: dict[str, Any] = {key: request.session[key] for key in ("lang", "flash") if key in request.session}
    request.session.clear()
    token = console.accounts.start_session(
        user.id,
        user_agent=request.headers.get("user-agent", ""),
        address=client_address(request),
        lifetime=timedelta(hours=console.web.session_max_hours),
        idle=_idle(console),
    )
    request.session.update({_SID: token, **kept})
    csrf.token(request)
    request.state.user, request.state.session_key = user, session_key(token)


def sign_out(request: Request) -> None:
    """End this browser's session on the server (a copy of the cookie is then refused too) and forget the cookie."""
    token = request.session.get(_SID)
    if isinstance(token, str):
        console_of(request).accounts.end_session(session_key(token))
    request.session.clear()
    request.state.user, request.state.session_key = None, None


def client_address(request: Request) -> str:
    """Who is connecting: the peer, unless the peer is a trusted proxy; then the rightmost ``X-Forwarded-For`` hop
    that is not a trusted proxy (hops further left were written by the client and could say anything)."""
    peer = request.client.host if request.client else "unknown"
    proxies = _networks(console_of(request).web.trusted_proxies)
    if not proxies or not _within(peer, proxies):
        return peer
    hops = [hop.strip() for header in request.headers.getlist("x-forwarded-for") for hop in header.split(",")]
    for hop in reversed(hops):
        if not _within(hop, proxies):
            return hop if _is_address(hop) else peer  # not an address: the proxies passed on garbage; blame them
    return hops[0] if hops and _is_address(hops[0]) else peer


@functools.lru_cache(maxsize=8)
def _networks(configured: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in configured)


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _within(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:10.0.0.1 is 10.0.0.1
    return any(ip.version == net.version and ip in net for net in networks)


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
