"""``GET /healthz``: 200 "ok" while the console answers, for container health checks and load balancers.

Answered before the session, the sign-in guard and the database: it reads nothing, writes nothing and sets no
cookie, so a probe every few seconds costs nothing and cannot create or migrate a database.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["PATH", "Healthz"]

PATH = "/healthz"


class Healthz:
    """ASGI middleware: ``GET``/``HEAD /healthz`` -> 200 ``ok``; everything else goes on to the console."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != PATH or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        body = b"ok\n"
        headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]
        headers.append((b"cache-control", b"no-store"))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body if scope["method"] == "GET" else b""})
