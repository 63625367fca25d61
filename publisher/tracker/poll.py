"""Fetching feeds: one shared ``httpx.AsyncClient`` per pass, conditional GET, per-host and total caps.

The client is the outbound guard's (``publisher.guard.guarded_client``): feed URLs are user input, so only public
addresses and what ``[outbound] allow`` lists are reached, on every redirect hop (at most 5). Its transport streams,
so a body over ``max_body_bytes`` is refused as soon as the count passes the cap.

Every outcome is a ``Fetched``; nothing raises for a server's failure. Errors are short sentences meant for
``publisher outlet list`` and the console's outlets page, which editors read: a refused address says only the
guard's reason, and a failed connection only "could not connect", never the port's state.
"""

from __future__ import annotations

import asyncio
import dataclasses
import email.utils
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from types import TracebackType
from urllib.parse import urlsplit

import httpx

from publisher.guard import COULD_NOT_CONNECT, OutboundPolicy, Refused, guarded_client
from publisher.tracker.settings import MAX_REDIRECTS, TrackerSettings

__all__ = ["Fetched", "Fetcher", "make_tracker_client"]

ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)
_KEPT_HEADERS = ("content-type", "content-location", "content-language", "etag", "last-modified")


@dataclasses.dataclass(frozen=True, kw_only=True)
class Fetched:
    url: str  # after redirects
    status: int | None = None
    body: bytes | None = None  # None when not modified or failed
    headers: Mapping[str, str] = dataclasses.field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    error: str | None = None
    retry_after: float | None = None  # seconds, when the server asked for a pause
    seconds: float = 0.0

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def make_tracker_client(settings: TrackerSettings, policy: OutboundPolicy | None = None) -> httpx.AsyncClient:
    """The pass's one client: guarded by ``policy`` (default: public addresses only), redirects followed (at most
    5), timeouts from ``[tracker]``, a clear User-Agent."""
    return guarded_client(
        policy or OutboundPolicy(),
        timeout=httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout, pool=None),
        max_redirects=MAX_REDIRECTS,
        headers={"User-Agent": settings.user_agent, "Accept": ACCEPT},
        max_connections=settings.concurrency,
    )


class Fetcher:
    """Fetches under the caps: ``concurrency`` requests in all, ``per_host_concurrency`` to any one host.

    Without a ``client``, fetches through the guard with ``policy`` (default: public addresses only).
    """

    def __init__(
        self, settings: TrackerSettings, client: httpx.AsyncClient | None = None, policy: OutboundPolicy | None = None
    ) -> None:
        self.settings = settings
        self.client = client or make_tracker_client(settings, policy)
        self._owns_client = client is None
        self._all = asyncio.Semaphore(settings.concurrency)
        self._hosts: dict[str, asyncio.Semaphore] = {}

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._owns_client:
            await self.client.aclose()

    def _host(self, url: str) -> asyncio.Semaphore:
        host = (urlsplit(url).hostname or "").lower()
        if host not in self._hosts:
            self._hosts[host] = asyncio.Semaphore(self.settings.per_host_concurrency)
        return self._hosts[host]

    async def fetch(
        self, url: str, etag: str | None = None, last_modified: str | None = None, *, accept: str | None = None
    ) -> Fetched:
        """GET ``url`` with the stored validators; a 304 comes back with ``not_modified`` and no body. ``accept``
        replaces the feed types asked for (an article page asks for HTML)."""
        headers: dict[str, str] = {"Accept": accept} if accept else {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        async with self._host(url), self._all:
            started = time.perf_counter()
            try:
                async with asyncio.timeout(self.settings.total_timeout):
                    fetched = await self._get(url, headers)
            except TimeoutError:
                fetched = Fetched(url=url, error=f"took longer than {self.settings.total_timeout:g} s in all")
            except httpx.TooManyRedirects:
                fetched = Fetched(url=url, error=f"more than {MAX_REDIRECTS} redirects (a redirect loop?)")
            except Refused as exc:
                fetched = Fetched(url=url, error=exc.reason)
            except (httpx.ConnectError, httpx.ConnectTimeout):
                # the same words whatever the port did (refused, reset, silent): editors read this, and must not
                # be able to map which ports answer
                fetched = Fetched(url=url, error=f"{COULD_NOT_CONNECT}; check the feed's address")
            except httpx.ReadTimeout:
                fetched = Fetched(url=url, error=f"the server sent nothing for {self.settings.read_timeout:g} s")
            except httpx.HTTPError as exc:
                fetched = Fetched(url=url, error=f"{type(exc).__name__}: {exc}")
            return dataclasses.replace(fetched, seconds=time.perf_counter() - started)

    async def _get(self, url: str, headers: Mapping[str, str]) -> Fetched:
        cap = self.settings.max_body_bytes
        async with self.client.stream("GET", url, headers=headers) as response:
            final = str(response.url)
            kept = {k: response.headers[k] for k in _KEPT_HEADERS if k in response.headers}
            status = response.status_code
            if status == 304:
                return Fetched(url=final, status=status, headers=kept)
            if not 200 <= status < 300:
                reason = response.reason_phrase or ""
                return Fetched(
                    url=final,
                    status=status,
                    headers=kept,
                    error=f"HTTP {status} {reason}".strip(),
                    retry_after=_retry_after(response.headers.get("retry-after")),
                )
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > cap:
                return Fetched(url=final, status=status, headers=kept, error=_too_big(cap, int(declared)))
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > cap:
                    return Fetched(url=final, status=status, headers=kept, error=_too_big(cap, None))
                chunks.append(chunk)
            return Fetched(
                url=final,
                status=status,
                body=b"".join(chunks),
                headers=kept,
                etag=response.headers.get("etag"),
                last_modified=response.headers.get("last-modified"),
            )


def _too_big(cap: int, declared: int | None) -> str:
    size = f" ({declared / 1048576:.1f} MiB)" if declared else ""
    return f"the feed is larger than max_body_bytes = {cap} ({cap / 1048576:.1f} MiB){size}; stopped reading"


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
