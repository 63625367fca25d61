"""A stand-in CMS that takes articles by signed webhook and can say whether a key was already published.

Like most such receivers it does not drop a repeated key: a second POST makes a second article. It checks the
signature (HMAC-SHA256 over ``<timestamp>.<body>``, or over the key for a lookup) and the timestamp's age.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any, ClassVar

from aiohttp import web

from tests.fakes.server import StandIn

__all__ = ["FakeCms"]


class FakeCms(StandIn):
    kind = "cms_webhook"
    fault_after: ClassVar[dict[str, float]] = {"rate_limit": 20.0}

    def __init__(
        self,
        *,
        secret: str = "cms-secret",
        lookup: bool = True,
        max_skew: int = 300,
        rate_per_minute: int | None = None,
    ) -> None:
        super().__init__()
        self.secret, self.lookup, self.max_skew, self.rate_per_minute = secret, lookup, max_skew, rate_per_minute
        self.lookups: list[str] = []
        self._seen: list[float] = []

    def new_app(self) -> web.Application:
        return web.Application(middlewares=[self._middleware])

    def routes(self, router: web.UrlDispatcher) -> None:
        router.add_post("/api/articles", self._create)
        if self.lookup:
            router.add_get("/api/articles/by-key", self._find)

    def channel_options(self, base_url: str) -> tuple[dict[str, Any], dict[str, str]]:
        options: dict[str, Any] = {"url": f"{base_url}/api/articles", "secret_env": "CMS_SECRET"}
        if self.lookup:
            options["lookup_url"] = f"{base_url}/api/articles/by-key"
        return options, {"CMS_SECRET": self.secret}

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
        fault = self.next_fault()
        if fault == "rate_limit":
            return web.json_response({"error": "rate limited"}, status=429, headers={"Retry-After": "20"})
        if fault in ("server_error", "unavailable"):
            return web.json_response({"error": "down"}, status=500 if fault == "server_error" else 503)
        if fault == "auth":
            return web.json_response({"error": "bad signature"}, status=401)
        return await self.misbehave(fault, request, await handler(request), '{"id": 7, "url": ')

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
