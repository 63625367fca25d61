"""CSRF protection: one random token per session, required on every state-changing request.

Forms carry it in a hidden ``csrf_token`` field; scripts send it in an ``X-CSRF-Token`` header (read from the
page's ``<meta name="csrf-token">``). The session cookie is also ``SameSite=Lax``, which alone stops most
cross-site posts; the token covers the rest (old browsers, same-site subdomains). The JSON API needs neither:
it takes only bearer tokens, which a browser never sends by itself.
"""

from __future__ import annotations

import hmac
import secrets

from starlette.requests import Request

__all__ = ["FIELD", "HEADER", "UNSAFE_METHODS", "is_valid", "token"]

FIELD = "csrf_token"
HEADER = "x-csrf-token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_KEY = "csrf"


def token(request: Request) -> str:
    """This session's token, made on first use."""
    value = request.session.get(_KEY)
    if not isinstance(value, str) or len(value) < 32:
        value = secrets.token_urlsafe(32)
        request.session[_KEY] = value
    return value


async def is_valid(request: Request) -> bool:
    expected = request.session.get(_KEY)
    if not isinstance(expected, str) or not expected:
        return False
    given = request.headers.get(HEADER)
    form = None
    if given is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()  # cached on the request: the endpoint reads the same form
            field = form.get(FIELD)
            given = field if isinstance(field, str) else None
    valid = given is not None and hmac.compare_digest(given.encode(), expected.encode())
    if not valid and form is not None:
        await form.close()  # refused: no endpoint will close the files spooled for it
    return valid
