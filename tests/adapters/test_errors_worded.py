"""Reasons a person can act on: a connection error names the address, an HTML error page is cut to its title.

Generic to every adapter (adapters/base.py ``raise_for_transport`` and ``status_error``); exercised through the
``webhook`` adapter against a real socket and a real HTTP server.
"""

from __future__ import annotations

import asyncio
import socket

import httpx
import pytest
from aiohttp import web

from adapters import PostContent, Retryable, Uncertain, create
from adapters.errors import Permanent
from adapters.http import summarise
from tests.fakes import serve
from tests.fakes.webhook import webhook_error

POST = PostContent(title="开学典礼", body="九月一日上午九点。")

NGINX_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n"
    "<hr><center>nginx/1.24.0</center>\r\n</body>\r\n</html>\r\n" + "<!-- a padding comment -->\r\n" * 6
)
# a platform's page with no title: the first text stands in, after the scripts and styles
UNTITLED = (
    "<!DOCTYPE html><html><head><style>body { color: red }</style><script>var x = 1;</script></head>"
    "<body><div class='error'><p>系统繁忙，请稍后再试 (the system is busy)</p></div>" + "<p>details</p>" * 50
)


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_a_refused_connection_names_the_address_but_not_the_path() -> None:
    port = closed_port()
    async with httpx.AsyncClient() as client:
        adapter = create(
            "webhook", "hook", {"url": f"http://127.0.0.1:{port}/hooks/secret-token-123"}, client=client, env={}
        )
        with pytest.raises(Retryable) as caught:
            await adapter.publish(adapter.render(POST), "k")
    assert caught.value.reason.startswith(f"could not connect to http://127.0.0.1:{port}: ConnectError")
    assert "secret-token-123" not in caught.value.reason


async def test_a_timeout_after_sending_names_the_address() -> None:
    async def slow(request: web.Request) -> web.Response:
        await request.read()
        await asyncio.Event().wait()  # never answers; the client's timeout ends it
        raise AssertionError

    app = web.Application()
    app.router.add_post("/hook", slow)
    async with serve(app) as base, httpx.AsyncClient() as client:
        adapter = create("webhook", "hook", {"url": f"{base}/hook", "timeout": 0.2}, client=client, env={})
        with pytest.raises(Uncertain) as caught:
            await adapter.publish(adapter.render(POST), "k")
    assert caught.value.reason.startswith(f"no answer from {base} after the request was sent: ReadTimeout")


@pytest.mark.parametrize(
    ("page", "status", "error", "summary"),
    [
        (NGINX_502, 502, Uncertain, "HTTP 502: HTML page: 502 Bad Gateway"),
        (UNTITLED, 400, Permanent, "HTTP 400: HTML page: 系统繁忙，请稍后再试 (the system is busy) details details"),
    ],
    ids=["titled", "untitled"],
)
async def test_an_html_error_page_is_summarised_not_printed(
    page: str, status: int, error: type[Exception], summary: str
) -> None:
    caught = await webhook_error(web.Response(status=status, text=page, content_type="text/html"))
    assert isinstance(caught, error)
    reason = str(caught)
    assert reason.startswith(summary)
    assert "<" not in reason
    assert "nginx" not in reason
    assert "var x" not in reason
    assert len(reason) < 120


def test_summarise_keeps_plain_text_and_what_precedes_a_page() -> None:
    assert summarise("rate limited by the gateway") == "rate limited by the gateway"
    assert summarise("the CMS answered: <html><title>Forbidden</title>") == "the CMS answered: (HTML page: Forbidden)"
    long_title = "<title>" + "很长的标题" * 40 + "</title>"
    assert len(summarise(long_title)) == len("HTML page: ") + 80
