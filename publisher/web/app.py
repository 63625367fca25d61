"""The console as an ASGI application: pages, the JSON API, static files, sessions and security headers.

``create_app(console, secret_key)`` builds it; ``publisher web`` and ``publisher run`` serve it with uvicorn
(``publisher.web.serve``). Anonymous visitors reach only the sign-in page, the static files and the API's
description; everything else needs a signed-in user (pages) or a bearer token (API).
"""

from __future__ import annotations

import os
import secrets
from importlib import resources

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from publisher.errors import ConfigError, NotFoundError, PublisherError
from publisher.logs import log_event
from publisher.web import api
from publisher.web.auth import console_of
from publisher.web.console import Console
from publisher.web.health import Healthz
from publisher.web.i18n import choose_language, say, translator
from publisher.web.limits import BodyLimit, Shield
from publisher.web.pages import (
    account,
    calendar,
    campaigns,
    channels,
    compose,
    coverage,
    media,
    outlets,
    plans,
    posts,
    queue,
    reports,
    schedules,
    signin,
    users,
    webhooks,
)
from publisher.web.security import SecurityHeaders
from publisher.web.views import is_fetch, json_error, render, tr

__all__ = ["SESSION_COOKIE", "create_app", "secret_key"]

SESSION_COOKIE = "publisher_session"


#: a command that prints a good key (a value in the refusal below, so that its quotes need no translating)
_KEY_COMMAND = '`python3 -c "import secrets; print(secrets.token_urlsafe(32))"`'


def secret_key(console: Console) -> str:
    """The session-signing key from the environment variable ``[web] secret_key_env`` names; without one, a random
    key for this process (sessions then end when it restarts, which is safe, only less convenient)."""
    name = console.web.secret_key_env
    if name is None:
        log_event("web.secret", note="no [web] secret_key_env: sessions end when the console restarts")
        return secrets.token_urlsafe(32)
    value = os.environ.get(name, "")
    where = {"file": console.settings.source, "key": "web.secret_key_env", "name": name, "command": _KEY_COMMAND}
    if not value:
        raise ConfigError.of(
            "{file}: [{key}] the environment variable {name} is not set; export a long random value, e.g. from "
            "{command}",
            **where,
        )
    if len(value) < 32:
        raise ConfigError.of(
            "{file}: [{key}] the environment variable {name} is shorter than 32 characters; export a long random "
            "value, e.g. from {command}",
            **where,
        )
    return value


def _routes() -> list[BaseRoute]:
    static = StaticFiles(directory=str(resources.files("publisher.web").joinpath("static")))
    pages = [
        *(signin, queue, compose, plans, posts, calendar, schedules, campaigns),
        *(channels, coverage, outlets, reports, users, account, media, webhooks),
    ]
    return [*api.routes, *(route for module in pages for route in module.routes), Mount("/static", static)]


_MESSAGES = {
    400: "The request could not be read.",
    401: "Sign in first.",
    403: "You may not do this.",
    404: "There is nothing here.",
    405: "You may not do this.",
}


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    status = exc.status_code
    if request.url.path.startswith("/api/"):  # no session here: the language the request asks for
        asked = choose_language(None, request.headers.get("accept-language"), console_of(request).web.language)
        return JSONResponse({"error": translator(asked)(str(exc.detail))}, status_code=status)
    t = tr(request)
    if exc.detail == "csrf":
        message = t("The form was out of date or not from this site; reload the page and try again.")
    else:
        message = t(_MESSAGES.get(status, "Something went wrong."))
    if is_fetch(request):
        return json_error(message, status)
    return render(request, "error.html", {"status": status, "message": message}, status=status)


async def _unexpected(request: Request, exc: Exception) -> Response:
    """What ``Shield`` answers for an exception an endpoint let out: a clear message in the person's language (JSON
    for the API and for scripts), never a bare traceback. What bad input can cause is a 4xx; anything else is ours."""
    if isinstance(exc, HTTPException):
        return await _http_error(request, exc)
    console = console_of(request)
    try:
        t = tr(request)
    except Exception:  # the session's user cannot be looked up (the database is away): the console's language
        t = translator(console.web.language)
    if isinstance(exc, NotFoundError):
        status, message = 404, console.redact(say(t, exc))
    elif isinstance(exc, PublisherError):
        status, message = 422, console.redact(say(t, exc))
    elif isinstance(exc, UnicodeError):
        status, message = 400, t("The request holds text that is not valid Unicode (a lone surrogate); correct it.")
    elif isinstance(exc, OverflowError | RecursionError):
        status, message = 422, t("A number, date or nesting in the request is out of range; correct it.")
    else:
        status, message = 500, t("Something went wrong on the server; it is logged. Try again, or tell the admin.")
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": message}, status_code=status)
    if is_fetch(request):
        return json_error(message, status)
    try:
        return render(request, "error.html", {"status": status, "message": message}, status=status)
    except Exception:  # the page itself cannot be drawn: plain words still go out
        return PlainTextResponse(message, status_code=status)


def create_app(console: Console, key: str | None = None) -> Starlette:
    web = console.web
    middleware = [
        Middleware(SecurityHeaders),
        Middleware(Healthz),  # GET /healthz: 200 "ok", before sessions, sign-in and the database
        # before the session, sign-in and any parsing: a body over the cap is never read
        Middleware(BodyLimit, max_body=web.max_body_bytes, max_upload=web.max_upload_bytes, language=web.language),
        Middleware(
            SessionMiddleware,
            secret_key=key or secret_key(console),
            session_cookie=SESSION_COOKIE,
            max_age=int(console.web.session_max_hours * 3600),  # the cookie's life; the server's row decides
            same_site="lax",
            https_only=console.web.https_only,
        ),
    ]
    middleware.append(Middleware(Shield, on_error=_unexpected))  # innermost: it answers in the session's language
    app = Starlette(routes=_routes(), middleware=middleware, exception_handlers={HTTPException: _http_error})
    app.state.console = console
    return app
