"""Another system that subscribed to our events (``publisher webhook add``): it verifies each request as the
Standard Webhooks specification tells a receiver to (docs/webhooks.md), written from that description rather than
from the sender's code, and keeps what it got.

A request is refused (401) when a header is missing, the signature does not match any ``v1,`` entry, or the
timestamp is more than five minutes from its clock; ``answers`` scripts the status of the next requests (500, 429
with ``Retry-After``, 410, a 302 to elsewhere, "timeout").
"""

from __future__ import annotations

import asyncio
import base64
import collections
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

__all__ = ["EventReceiver"]

TOLERANCE = 300  # seconds


class EventReceiver:
    def __init__(self, secret: str = "", *, clock: Callable[[], float] = time.time) -> None:
        self.secret = secret  # set once the sender made it (``publisher webhook add`` prints it)
        self.clock = clock
        self.received: list[dict[str, Any]] = []  # accepted: {"id", "timestamp", "body", "document"}
        self.refused: list[str] = []  # why each refused request was refused
        self.answers: collections.deque[int | str] = collections.deque()
        self._release = asyncio.Event()

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/events", self._events)
        app.router.add_post("/elsewhere", self._events)
        app.on_shutdown.append(self._shutdown)
        return app

    @property
    def ids(self) -> list[str]:
        return [got["id"] for got in self.received]

    def _verified(self, request: web.Request, body: bytes) -> str | None:
        """None when the request is authentic, else why not."""
        message_id = request.headers.get("webhook-id")
        stamp = request.headers.get("webhook-timestamp")
        signatures = request.headers.get("webhook-signature")
        if not (message_id and stamp and signatures):
            return "missing webhook headers"
        if not stamp.isdigit() or abs(self.clock() - int(stamp)) > TOLERANCE:
            return "timestamp too far from now"
        if not self.secret.startswith("whsec_"):
            return "no secret known"
        key = base64.b64decode(self.secret[len("whsec_") :])
        signed = message_id.encode() + b"." + stamp.encode() + b"." + body
        expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
        for entry in signatures.split(" "):
            version, _, value = entry.partition(",")
            if version == "v1" and hmac.compare_digest(value, expected):
                return None
        return "bad signature"

    async def _events(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        why = self._verified(request, body)
        if why is not None:
            self.refused.append(why)
            return web.json_response({"error": why}, status=401)
        answer = self.answers.popleft() if self.answers else 204
        if answer == "timeout":
            await asyncio.wait_for(self._release.wait(), 30)
            return web.Response(status=204)
        if answer == 302:
            return web.Response(status=302, headers={"Location": "/elsewhere"})
        if answer == 429:
            return web.json_response({"error": "slow down"}, status=429, headers={"Retry-After": "120"})
        if isinstance(answer, int) and answer >= 300:
            return web.json_response({"error": f"answer {answer}"}, status=answer)
        self.received.append(
            {
                "id": request.headers["webhook-id"],
                "timestamp": int(request.headers["webhook-timestamp"]),
                "body": body,
                "document": json.loads(body),
            }
        )
        return web.Response(status=int(answer))

    async def _shutdown(self, _app: web.Application) -> None:
        self._release.set()
