"""Rendering pages: the Jinja2 environment (autoescape on for every template), the navigation, flash messages."""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from publisher import __version__
from publisher.reports.labels import tier as tier_label
from publisher.times import local
from publisher.web import csrf
from publisher.web.auth import console_of, current_user
from publisher.web.i18n import Translate, choose_language, say, translator
from publisher.web.markup import markdown, web_url
from publisher.web.models import Role

__all__ = ["NAV", "flash", "is_fetch", "json_error", "language_of", "redirect", "render", "tr"]

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("publisher.web", "templates"),
    autoescape=True,  # every template, whatever its name: untrusted text is always escaped
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENV.filters["markdown"] = markdown
_ENV.filters["web_url"] = web_url


@dataclasses.dataclass(frozen=True)
class NavItem:
    path: str
    label: str  # English; translated when shown
    role: Role = Role.EDITOR


NAV = (
    NavItem("/queue", "Queue"),
    NavItem("/posts/new", "Compose"),
    NavItem("/plans", "Plans"),
    NavItem("/media", "Media library"),
    NavItem("/approvals", "Approvals"),
    NavItem("/calendar", "Calendar"),
    NavItem("/schedules", "Schedules"),
    NavItem("/campaigns", "Campaigns"),
    NavItem("/channels", "Channels"),
    NavItem("/uncertain", "Uncertain"),
    NavItem("/coverage", "Coverage"),
    NavItem("/outlets", "Outlets"),
    NavItem("/reports", "Reports"),
    NavItem("/users", "Users", Role.ADMIN),
    NavItem("/webhooks", "Webhooks", Role.ADMIN),
)


def language_of(request: Request) -> str:
    user = current_user(request)
    chosen = user.language if user and user.language else request.session.get("lang")
    return choose_language(chosen, request.headers.get("accept-language"), console_of(request).web.language)


def tr(request: Request) -> Translate:
    return translator(language_of(request))


def flash(request: Request, text: str, kind: str = "ok") -> None:
    """A message shown once on the next page (already translated)."""
    messages = list(request.session.get("flash", []))
    messages.append([kind, text[:2000]])
    request.session["flash"] = messages[-5:]


def render(request: Request, template: str, context: dict[str, Any] | None = None, status: int = 200) -> Response:
    console = console_of(request)
    user = current_user(request)
    language = language_of(request)
    t = translator(language)
    path = request.url.path
    values: dict[str, Any] = {
        "request": request,
        "user": user,
        "t": t,
        "say": functools.partial(say, t),  # a core refusal in the person's language
        "lang": language,
        "csrf_token": csrf.token(request),
        "nav": [item for item in NAV if user and user.may(item.role)],
        "path": path,
        "flashes": request.session.pop("flash", []),
        "team_zone": console.timezone,
        "local": local,
        "tier": functools.partial(tier_label, language),  # an outlet's tier in words, as the reports say it
        "version": __version__,
        "Role": Role,
    }
    values.update(context or {})
    html = _ENV.get_template(template).render(values)
    return HTMLResponse(html, status_code=status)


def redirect(path: str) -> RedirectResponse:
    """After a form post: see the result with a GET (303), so a reload does not post again."""
    return RedirectResponse(path, status_code=303)


def is_fetch(request: Request) -> bool:
    """A script's request (it wants JSON back, not a page)."""
    return request.headers.get("x-requested-with") == "fetch"


def json_error(message: str, status: int) -> JSONResponse:
    return JSONResponse({"ok": False, "error": message}, status_code=status)
