"""A stand-in for outlets' feed servers, over loopback: the shapes real outlets produce, and the ways they fail.

``FeedServer.app()`` is an aiohttp application (serve it with ``tests.fakes.server.serve``). Register a feed with
``put(path, body, content_type=..., mode=...)``; every request is recorded (path and the validators it sent).

Modes: ``normal`` (ETag and Last-Modified; 304 when the client sends them back), ``ignore`` (validators ignored:
the same bytes every time), ``status:N`` (answers N; 503 and 429 come with Retry-After), ``slow`` (headers, a first
chunk, then silence), ``trickle`` (a few bytes every 50 ms, for ever), ``big`` (10 MB streamed without a length),
``big-declared`` (10 MB with its Content-Length). ``/loop/a`` and ``/loop/b`` redirect to each other;
``/hop/N/PATH`` redirects N times before landing on PATH. ``/evil.dtd`` and ``/secret`` record any fetch, for the
XML external-entity tests.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape

from aiohttp import web

__all__ = ["FeedServer", "Item", "atom", "rdf", "rss"]

TEN_MB = 10_000_000


@dataclasses.dataclass(frozen=True)
class Item:
    title: str
    summary: str
    link: str
    guid: str | None = None
    published: datetime = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
    content: str | None = None


def rss(
    items: Iterable[Item], *, encoding: str = "utf-8", declare: str | None = None, title: str = "城市日报"
) -> bytes:
    """RSS 2.0 in ``encoding``, declaring ``declare`` (default: the same) in the XML declaration."""
    parts = [
        f'<?xml version="1.0" encoding="{declare or encoding}"?>\n',
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>',
        f"<title>{escape(title)}</title><link>http://news.example/</link><description>新聞</description>",
    ]
    for item in items:
        parts.append(
            f"<item><title>{escape(item.title)}</title><link>{escape(item.link)}</link>"
            f"<description>{escape(item.summary)}</description>"
            f"<pubDate>{format_datetime(item.published)}</pubDate>"
        )
        if item.guid:
            parts.append(f'<guid isPermaLink="false">{escape(item.guid)}</guid>')
        if item.content:
            parts.append(f"<content:encoded><![CDATA[{item.content}]]></content:encoded>")
        parts.append("</item>")
    parts.append("</channel></rss>")
    return "".join(parts).encode(encoding)


def atom(items: Iterable[Item], *, title: str = "省级门户") -> bytes:
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">',
        f"<title>{escape(title)}</title><id>urn:portal</id><updated>2026-12-02T08:00:00Z</updated>",
    ]
    for item in items:
        parts.append(
            f'<entry><title>{escape(item.title)}</title><link href="{escape(item.link)}"/>'
            f"<id>{escape(item.guid or item.link)}</id><updated>{item.published.isoformat()}</updated>"
            f"<summary>{escape(item.summary)}</summary>"
        )
        if item.content:
            parts.append(f'<content type="html">{escape(item.content)}</content>')
        parts.append("</entry>")
    parts.append("</feed>")
    return "".join(parts).encode("utf-8")


def rdf(items: Sequence[Item], *, title: str = "晚报") -> bytes:
    """RSS 1.0 (RDF) with Dublin Core dates."""
    seq = "".join(f'<rdf:li rdf:resource="{escape(i.link)}"/>' for i in items)
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        ' xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">',
        f'<channel rdf:about="http://paper.example/"><title>{escape(title)}</title><link>http://paper.example/</link>'
        f"<description>晚报</description><items><rdf:Seq>{seq}</rdf:Seq></items></channel>",
    ]
    for item in items:
        parts.append(
            f'<item rdf:about="{escape(item.link)}"><title>{escape(item.title)}</title><link>{escape(item.link)}</link>'
            f"<description>{escape(item.summary)}</description><dc:date>{item.published.isoformat()}</dc:date></item>"
        )
    parts.append("</rdf:RDF>")
    return "".join(parts).encode("utf-8")


@dataclasses.dataclass
class Feed:
    body: bytes
    content_type: str
    mode: str = "normal"
    last_modified: str = "Wed, 02 Dec 2026 08:00:00 GMT"

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha1(self.body, usedforsecurity=False).hexdigest()[:16] + '"'


@dataclasses.dataclass(frozen=True)
class Seen:
    path: str
    if_none_match: str | None
    if_modified_since: str | None
    user_agent: str | None
    accept: str | None = None


class FeedServer:
    def __init__(self) -> None:
        self.feeds: dict[str, Feed] = {}
        self.requests: list[Seen] = []
        self.in_flight: dict[str, int] = {}
        self.most_in_flight: dict[str, int] = {}
        self.hold = asyncio.Event()  # "held" feeds wait for this before answering
        self.hold.set()
        self._changed = asyncio.Event()  # set at every request's arrival

    async def until(self, condition: Callable[[], bool]) -> None:
        """Wait (no polling) until ``condition()`` holds; it is checked as each request arrives."""
        while not condition():
            self._changed.clear()
            await self._changed.wait()

    def put(self, path: str, body: bytes, content_type: str = "application/rss+xml", mode: str = "normal") -> str:
        self.feeds[path] = Feed(body, content_type, mode)
        return path

    def seen(self, path: str) -> list[Seen]:
        return [r for r in self.requests if r.path == path]

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/loop/{side}", self._loop)
        app.router.add_get("/hop/{count}/{rest:.*}", self._hop)
        app.router.add_get("/{path:.*}", self._feed)
        return app

    async def _loop(self, request: web.Request) -> web.Response:
        self._note(request)
        other = "b" if request.match_info["side"] == "a" else "a"
        raise web.HTTPFound(f"/loop/{other}")

    async def _hop(self, request: web.Request) -> web.Response:
        self._note(request)
        count = int(request.match_info["count"])
        rest = request.match_info["rest"]
        raise web.HTTPFound(f"/hop/{count - 1}/{rest}" if count > 1 else f"/{rest}")

    def _note(self, request: web.Request) -> None:
        self._changed.set()
        self.requests.append(
            Seen(
                request.path,
                request.headers.get("If-None-Match"),
                request.headers.get("If-Modified-Since"),
                request.headers.get("User-Agent"),
                request.headers.get("Accept"),
            )
        )

    async def _feed(self, request: web.Request) -> web.StreamResponse:
        self._note(request)
        path = request.path
        feed = self.feeds.get(path)
        if feed is None:
            return web.Response(status=404, text="not found")
        self.in_flight[path] = self.in_flight.get(path, 0) + 1
        host_key = "all"
        self.in_flight[host_key] = self.in_flight.get(host_key, 0) + 1
        self.most_in_flight[host_key] = max(self.most_in_flight.get(host_key, 0), self.in_flight[host_key])
        self._changed.set()
        try:
            return await self._answer(request, feed)
        finally:
            self.in_flight[path] -= 1
            self.in_flight[host_key] -= 1

    async def _answer(self, request: web.Request, feed: Feed) -> web.StreamResponse:
        mode = feed.mode
        if mode == "held":
            await self.hold.wait()
            mode = "normal"
        if mode.startswith("status:"):
            status = int(mode.split(":")[1])
            headers = {"Retry-After": "7200"} if status in (429, 503) else {}
            return web.Response(status=status, text="server error", headers=headers)
        if mode == "normal":
            if request.headers.get("If-None-Match") == feed.etag or (
                request.headers.get("If-Modified-Since") == feed.last_modified
                and "If-None-Match" not in request.headers
            ):
                return web.Response(status=304, headers={"ETag": feed.etag})
            headers = {"ETag": feed.etag, "Last-Modified": feed.last_modified, "Content-Type": feed.content_type}
            return web.Response(body=feed.body, headers=headers)
        if mode == "ignore":
            return web.Response(body=feed.body, headers={"Content-Type": feed.content_type})
        response = web.StreamResponse(headers={"Content-Type": feed.content_type})
        if mode == "big-declared":
            response.content_length = TEN_MB
        await response.prepare(request)
        if mode == "slow":
            await response.write(feed.body[:100])
            await asyncio.sleep(30)  # cut short when the test's server shuts down
        elif mode == "trickle":
            for _ in range(600):
                await response.write(b" ")
                await asyncio.sleep(0.05)
        elif mode in ("big", "big-declared"):
            chunk = b"<!-- " + b"x" * (64 * 1024 - 9) + b" -->"
            sent = 0
            await response.write(feed.body[: feed.body.index(b"<channel>") + 9])
            try:
                while sent < TEN_MB:
                    await response.write(chunk)
                    sent += len(chunk)
            except (ConnectionResetError, RuntimeError):
                return response  # the client stopped reading, as it should
        await response.write_eof()
        return response
