"""Bounds on every request, as pure ASGI middleware (nothing here reads a form, a session or the database).

``BodyLimit`` runs first, before sign-in and before any body is parsed: a declared ``Content-Length`` over the cap is
answered 413 at once, and a body sent without one (chunked) is counted as it streams and cut off at the cap, so no
request makes the console hold more than ``[web] max_body_bytes`` (``max_upload_bytes`` on the routes that take
images). ``Shield`` runs inside the session, around the routes: a path id beyond 64 bits is 404 before any lookup,
and an exception an endpoint lets out becomes one clear answer (the app's ``on_error``) and one log line naming the
exception's class, the method and the path (no body, no query string, no message: those may hold secrets) instead
of a traceback and "Exception in ASGI application".
"""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Awaitable, Callable

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from publisher.errors import PublisherError, ValidationError
from publisher.logs import log_event
from publisher.queue import MAX_ID
from publisher.web.i18n import choose_language, translator

__all__ = ["UPLOAD_PATHS", "BodyLimit", "BodyTooLarge", "Shield", "describe_size", "json_depth_error", "too_deep"]

#: the routes that take files (publisher/web/pages/compose.py, the media upload, a campaign plan): a path, or a
#: prefix "/..."
UPLOAD_PATHS = ("/api/media", "/posts/new", "/posts/preview", "/plans/check", "/media")

ErrorHandler = Callable[[Request, Exception], Awaitable[Response]]


class _Watched:
    """A ``send`` that notes whether the response has started: after that, no other answer can be sent."""

    def __init__(self, send: Send) -> None:
        self.send, self.started = send, False

    async def __call__(self, message: Message) -> None:
        self.started = self.started or message["type"] == "http.response.start"
        await self.send(message)


class BodyTooLarge(Exception):
    """Raised from ``receive`` when a streamed body passes the cap; ``BodyLimit`` turns it into a 413."""

    def __init__(self, cap: int) -> None:
        super().__init__(f"the request body is over {cap} bytes")
        self.cap = cap


def describe_size(size: int) -> str:
    """``1048576`` -> ``1 MiB``: caps as people configure them."""
    for unit, factor in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if size >= factor:
            return f"{size / factor:g} {unit}"
    return f"{size} bytes"


def is_upload(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in UPLOAD_PATHS)


class BodyLimit:
    def __init__(self, app: ASGIApp, *, max_body: int, max_upload: int, language: str = "en") -> None:
        self.app, self.max_body, self.max_upload, self.language = app, max_body, max_upload, language

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        cap = self.max_upload if is_upload(path) else self.max_body
        headers = Headers(scope=scope)
        declared = headers.get("content-length")
        if declared is not None:
            if not (declared.isascii() and declared.isdigit()):
                await self._refuse(scope, receive, send, 400, cap)
                return
            if int(declared) > cap:
                await self._refuse(scope, receive, send, 413, cap)
                return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > cap:
                    raise BodyTooLarge(cap)
            return message

        watched = _Watched(send)
        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:
            log_event("web.refused", logging.WARNING, status=413, method=scope.get("method"), path=path[:200])
            if not watched.started:
                await self._refuse(scope, receive, send, 413, cap)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, status: int, cap: int) -> None:
        headers = Headers(scope=scope)
        t = translator(choose_language(None, headers.get("accept-language"), self.language))
        if status == 413:
            message = t("The request is too large: at most {size} may be sent here.", size=describe_size(cap))
        else:
            message = t("The request could not be read.")
        response: Response
        if str(scope.get("path", "")).startswith("/api/"):
            response = JSONResponse({"error": message}, status_code=status)
        elif headers.get("x-requested-with") == "fetch":
            response = JSONResponse({"ok": False, "error": message}, status_code=status)
        else:
            page = f"<!doctype html><title>{status}</title><h1>{status}</h1><p>{message}</p>"
            response = HTMLResponse(page, status_code=status)
        response.headers["Connection"] = "close"  # the rest of the body is not read: do not reuse the connection
        await response(scope, receive, send)


def _too_large_id(path: str) -> bool:
    """A path segment of digits beyond what the stores hold: it names nothing (and would overflow a query)."""
    return any(part.isascii() and part.isdigit() and int(part) > MAX_ID for part in path.split("/") if len(part) > 18)


class Shield:
    def __init__(self, app: ASGIApp, on_error: ErrorHandler) -> None:
        self.app, self.on_error = app, on_error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _too_large_id(str(scope.get("path", ""))):
            response = await self.on_error(Request(scope, receive), HTTPException(404, "id out of range"))
            await response(scope, receive, send)
            return
        watched = _Watched(send)
        try:
            await self.app(scope, receive, watched)
        except BodyTooLarge:
            raise  # BodyLimit, outside, answers it
        except Exception as exc:
            refused = isinstance(exc, PublisherError)  # the core's refusal of this input: an answer, not a fault
            log_event(
                "web.refused" if refused else "web.error",
                logging.INFO if refused else logging.ERROR,
                error=type(exc).__name__,
                method=scope.get("method"),
                path=str(scope.get("path", ""))[:200],
                at=_where(exc),
            )
            # part of an answer has gone out: nothing clean can follow; the server ends the connection
            if watched.started:
                return
            response = await self.on_error(Request(scope, receive), exc)
            await response(scope, receive, send)


def _where(exc: BaseException) -> str:
    """Where the exception was raised (``file:line``), in our own code if it passed through it, to find it by."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not f.filename.endswith("web/limits.py")]
    ours = [f for f in frames if "/publisher/" in f.filename or "/adapters/" in f.filename] or frames
    if not ours:
        return "-"
    last = ours[-1]
    return f"{'/'.join(last.filename.split('/')[-2:])}:{last.lineno}"


def json_depth_error(data: object, most: int) -> ValidationError | None:
    """Why a parsed JSON document is refused (nested deeper than ``most``, or a lone surrogate in a string), or None.

    Walked with a stack, not recursion, so a deep document cannot exhaust Python's stack here either."""
    stack: list[tuple[object, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > most:
                return too_deep(most)
            children = [*value.keys(), *value.values()] if isinstance(value, dict) else value
            stack.extend((child, depth + 1) for child in children)
        elif isinstance(value, str) and not _encodable(value):
            return ValidationError.of(
                "the text {text} holds a lone surrogate (an unpaired \\ud800-\\udfff escape), which is not a "
                "character; send valid UTF-16 pairs or the character itself",
                text=json.dumps(value[:20]),
            )
    return None


def too_deep(most: int) -> ValidationError:
    return ValidationError.of("the JSON is nested more than {most} levels deep; send a flatter document", most=most)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
