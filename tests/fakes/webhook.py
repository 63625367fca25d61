"""A receiver for the generic ``webhook`` channel: checks the HMAC signature and its timestamp, keeps what it got."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from typing import Any, ClassVar

import httpx
from aiohttp import web

from adapters import ChannelError, PostContent, create
from tests.fakes.server import StandIn, serve


class FakeWebhook(StandIn):
    kind = "webhook"
    fault_after: ClassVar[dict[str, float]] = {"rate_limit": 3.0}
    readable_despite = frozenset({"malformed"})
    #: "slow_body" sends the answer's body a byte a second
    own_faults = ("ok", "slow_body")

    def __init__(self, secret: str = "hook-secret-1234", delay: float = 0.0) -> None:
        super().__init__()
        self.secret = secret
        self.delay = delay

    def routes(self, router: web.UrlDispatcher) -> None:
        router.add_post("/hook", self._hook)

    def channel_options(self, base_url: str) -> tuple[dict[str, Any], dict[str, str]]:
        return {"url": f"{base_url}/hook", "secret_env": "HOOK_SECRET", "timeout": 0.3}, {"HOOK_SECRET": self.secret}

    async def _hook(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        stamp = request.headers.get("X-Publisher-Timestamp", "")
        expected = "sha256=" + hmac.new(self.secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(request.headers.get("X-Publisher-Signature", ""), expected):
            return web.json_response({"error": "bad signature"}, status=401)
        if not stamp.isdigit() or abs(time.time() - int(stamp)) > 300:
            return web.json_response({"error": "stale timestamp"}, status=401)
        fault = self.next_fault()
        if fault == "rate_limit":
            return web.json_response({"error": "slow down"}, status=429, headers={"Retry-After": "3"})
        if fault == "unavailable":
            return web.json_response({"error": "maintenance"}, status=503)
        if fault == "auth":
            return web.json_response({"error": "unknown hook"}, status=401)
        if fault == "server_error":
            return web.json_response({"error": "boom"}, status=500)
        document = json.loads(body)
        self.accepted.append(document)
        if fault == "timeout":
            await self._release.wait()
        if fault == "drop":
            assert request.transport is not None
            request.transport.close()
            return web.Response()
        if fault == "malformed":
            return web.Response(text="{not json", content_type="application/json")
        if fault == "slow_body":  # the headers come at once, the body a byte at a time, slower than any read timeout
            response = web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
            await response.prepare(request)
            for byte in json.dumps({"id": str(len(self.accepted))}).encode():
                await response.write(bytes([byte]))
                await asyncio.sleep(1.0)
            await response.write_eof()
            return response
        if self.delay:
            await asyncio.sleep(self.delay)
        return web.json_response({"id": str(len(self.accepted)), "url": f"https://example.org/p/{len(self.accepted)}"})


async def webhook_error(answer: web.Response) -> ChannelError:
    """What a ``webhook`` channel raises when its receiver answers ``answer`` (an error status: nothing else
    raises)."""

    async def hook(request: web.Request) -> web.Response:
        return answer

    app = web.Application()
    app.router.add_post("/hook", hook)
    async with serve(app) as base, httpx.AsyncClient() as client:
        adapter = create("webhook", "hook", {"url": f"{base}/hook"}, client=client, env={})
        try:
            await adapter.publish(adapter.render(PostContent(title="开学典礼", body="九月一日上午九点。")), "k")
        except ChannelError as error:
            return error
    raise AssertionError(f"the webhook took HTTP {answer.status} as a success")
