"""The two built-in adapters against a real folder and a loopback HTTP server."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import httpx
import pytest
from aiohttp import web

from adapters import REGISTRY, AdapterConfigError, PostContent, Retryable, Uncertain, create
from adapters.errors import Permanent
from tests.fakes import serve
from tests.fakes.webhook import webhook_error

POST = PostContent(title="开学第一课", body="孩子们**回到**校园。\n\n- 升旗\n- 讲话", link="https://example.org/a/1")


async def test_outbox_writes_json_and_markdown_and_is_idempotent(tmp_path: Path) -> None:
    async with httpx.AsyncClient() as client:
        adapter = create("outbox", "box", {"folder": str(tmp_path / "out")}, client=client, env={})
        payload = adapter.render(POST)
        first = await adapter.publish(payload, "post-1-box")
        second = await adapter.publish(payload, "post-1-box")
    assert first == second
    document = json.loads((tmp_path / "out" / "post-1-box.json").read_text(encoding="utf-8"))
    assert document["title"] == "开学第一课"
    assert "<strong>回到</strong>" in document["body_html"]
    assert (tmp_path / "out" / "post-1-box.md").read_text(encoding="utf-8").startswith("# 开学第一课")
    assert len(list((tmp_path / "out").iterdir())) == 2
    assert await adapter.lookup("post-1-box") == first
    assert await adapter.lookup("post-2-box") is None


def test_unknown_kind_and_bad_options_name_the_key() -> None:
    client = httpx.AsyncClient()
    with pytest.raises(AdapterConfigError, match="unknown channel kind 'fax'"):
        create("fax", "x", {}, client=client, env={})
    with pytest.raises(AdapterConfigError, match="url: is required"):
        create("webhook", "x", {}, client=client, env={})
    with pytest.raises(AdapterConfigError, match="secret_env: the environment variable HOOK_SECRET is not set"):
        create("webhook", "x", {"url": "http://127.0.0.1:9/", "secret_env": "HOOK_SECRET"}, client=client, env={})
    assert set(REGISTRY) >= {"outbox", "webhook"}


async def test_webhook_signs_the_body_and_never_shows_the_secret() -> None:
    seen: list[tuple[dict[str, str], bytes]] = []

    async def hook(request: web.Request) -> web.Response:
        body = await request.read()
        seen.append((dict(request.headers), body))
        return web.json_response({"id": 42, "url": "https://example.org/p/42"})

    app = web.Application()
    app.router.add_post("/hook", hook)
    async with serve(app) as base, httpx.AsyncClient() as client:
        adapter = create(
            "webhook", "hook", {"url": f"{base}/hook", "secret_env": "S"}, client=client, env={"S": "s3cret"}
        )
        receipt = await adapter.publish(adapter.render(POST), "k-1")
    assert receipt.remote_id == "42"
    assert receipt.url == "https://example.org/p/42"
    headers, body = seen[0]
    expected = hmac.new(b"s3cret", headers["X-Publisher-Timestamp"].encode() + b"." + body, hashlib.sha256)
    assert headers["X-Publisher-Signature"] == "sha256=" + expected.hexdigest()
    assert headers["Idempotency-Key"] == "k-1"
    assert json.loads(body)["title"] == "开学第一课"
    assert "s3cret" not in json.dumps(adapter.describe())


@pytest.mark.parametrize(
    ("status", "headers", "error"),
    [(429, {"Retry-After": "7"}, Retryable), (503, {}, Retryable), (502, {}, Uncertain), (400, {}, Permanent)],
)
async def test_webhook_classifies_error_statuses(status: int, headers: dict[str, str], error: type) -> None:
    caught = await webhook_error(web.Response(status=status, headers=headers, text="nope"))
    assert isinstance(caught, error)
    if status == 429:
        assert isinstance(caught, Retryable)
        assert caught.after == 7.0


async def test_webhook_timeout_after_sending_is_uncertain_and_refused_connection_is_retryable() -> None:
    import asyncio

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(2)
        return web.Response()

    app = web.Application()
    app.router.add_post("/slow", slow)
    async with serve(app) as base, httpx.AsyncClient() as client:
        adapter = create("webhook", "hook", {"url": f"{base}/slow", "timeout": 0.2}, client=client, env={})
        with pytest.raises(Uncertain):
            await adapter.publish(adapter.render(POST), "k")
    async with httpx.AsyncClient() as client:
        closed = create("webhook", "hook", {"url": "http://127.0.0.1:9/none"}, client=client, env={})
        with pytest.raises(Retryable):
            await closed.publish(closed.render(POST), "k")
