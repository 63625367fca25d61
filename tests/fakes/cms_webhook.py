"""A stand-in CMS that takes articles by signed webhook and can say whether a key was already published.

Like most such receivers it does not drop a repeated key: a second POST makes a second article. It checks the
signature (HMAC-SHA256 over ``<timestamp>.<body>``, or over the key for a lookup) and the timestamp's age.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import time
from typing import Any

from aiohttp import web

__all__ = ["FakeCms"]


class FakeCms:
    kind = "cms_webhook"

    def __init__(
        self,
        *,
        secret: str = "cms-secret",
        lookup: bool = True,
        max_skew: int = 300,
        rate_per_minute: int | None = None,
    ) -> None:
        self.secret, self.lookup, self.max_skew, self.rate_per_minute = secret, lookup, max_skew, rate_per_minute
        self.accepted: list[dict[str, Any]] = []
        self.lookups: list[str] = []
        self._faults: list[str] = []
        self._seen: list[float] = []
        self._release = asyncio.Event()

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware])
        app.router.add_post("/api/articles", self._create)
        if self.lookup:
            app.router.add_get("/api/articles/by-key", self._find)
        app.on_shutdown.append(self._shutdown)
        return app

    def channel_options(self, base_url: str) -> tuple[dict[str, Any], dict[str, str]]:
        options: dict[str, Any] = {"url": f"{base_url}/api/articles", "secret_env": "CMS_SECRET"}
        if self.lookup:
            options["lookup_url"] = f"{base_url}/api/articles/by-key"
        return options, {"CMS_SECRET": self.secret}

    def inject(self, fault: str, count: int = 1) -> None:
        self._faults.extend([fault] * count)

    async def _shutdown(self, app: web.Application) -> None:
        self._release.set()

    def _signed(self, request: web.Request, signed: bytes) -> bool:
        timestamp = request.headers.get("X-Publisher-Timestamp", "")
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > self.max_skew:
            return False
        mac = hmac.new(self.secret.encode(), timestamp.encode() + b"." + signed, hashlib.sha256)
        return hmac.compare_digest(request.headers.get("X-Publisher-Signature", ""), "sha256=" + mac.hexdigest())

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        now = time.monotonic()
        if self.rate_per_minute is not None:
            self._seen = [t for t in self._seen if now - t < 60]
            if len(self._seen) >= self.rate_per_minute:
                retry = str(int(60 - (now - self._seen[0])) + 1)
                return web.json_response({"error": "rate limited"}, status=429, headers={"Retry-After": retry})
            self._seen.append(now)
        fault = self._faults.pop(0) if self._faults else None
        if fault == "rate_limit":
            return web.json_response({"error": "rate limited"}, status=429, headers={"Retry-After": "20"})
        if fault in ("server_error", "unavailable"):
            return web.json_response({"error": "down"}, status=500 if fault == "server_error" else 503)
        if fault == "auth":
            return web.json_response({"error": "bad signature"}, status=401)
        response = await handler(request)
        if fault == "timeout":
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._release.wait(), 30)
        elif fault == "drop" and request.transport is not None:
            request.transport.abort()
        elif fault == "malformed":
            return web.Response(text='{"id": 7, "url": ', content_type="application/json")
        return response

    async def _create(self, request: web.Request) -> web.Response:
        body = await request.read()
        if self.secret and not self._signed(request, body):
            return web.json_response({"error": "bad signature"}, status=401)
        try:
            article = json.loads(body)
        except ValueError:
            return web.json_response({"error": "body is not JSON"}, status=400)
        missing = [f for f in ("key", "title", "html", "slug") if not isinstance(article.get(f), str) or not article[f]]
        if missing:
            return web.json_response({"error": f"missing {', '.join(missing)}"}, status=422)
        article["id"] = len(self.accepted) + 1
        article["url"] = f"{request.scheme}://{request.host}/news/{article['slug']}"
        self.accepted.append(article)
        return web.json_response({"id": article["id"], "url": article["url"]}, status=201)

    async def _find(self, request: web.Request) -> web.Response:
        key = request.query.get("key", "")
        if self.secret and not self._signed(request, key.encode()):
            return web.json_response({"error": "bad signature"}, status=401)
        self.lookups.append(key)
        for article in self.accepted:
            if article["key"] == key:
                return web.json_response({"id": article["id"], "url": article["url"]})
        return web.json_response({"error": "not found"}, status=404)
