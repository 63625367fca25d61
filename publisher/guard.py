"""The one outbound guard: every request made on behalf of user input (outlet feeds, article pages, images given as
URLs) goes through ``guarded_client``, which reaches public addresses only, unless the admin allows more.

What it refuses, before any byte is sent: a scheme other than http and https; a host that is, or resolves to, a
loopback, private (RFC 1918, ULA), link-local, multicast, reserved, unspecified or shared (100.64/10) address, or an
IPv6 form that embeds one (IPv4-mapped ``::ffff:127.0.0.1``, IPv4-compatible, 6to4, NAT64, Teredo), however the
IPv4 address is spelled (``2130706433``, ``0x7f.1``). ``[outbound] allow`` lists the exceptions: networks, and host
names trusted whatever they resolve to. Channel API bases come from the admin's TOML and do not go through here.

How: httpx drives the requests (redirects, at most ``max_redirects``, each hop passing through the transport again;
decoding; timeouts), and the transport underneath streams with aiohttp (answers read chunk by chunk, so a caller can
drop a body over its cap early; measured on bench/tracker.py, httpx's own transport spent 1.4 s of CPU fetching 200
feeds of 50 kB at 64 at a time, this one 0.08 s; httpx issue 3215). Three checks, one per way an address gets in:

- an IP-literal host (aiohttp does not resolve those) is checked in the transport;
- a host name goes through ``_GuardedResolver``, which drops every refused address from the answer; aiohttp connects
  only to what the resolver returned, so a name that answers differently the second time (DNS rebinding) cannot
  slip an internal address in between the check and the connection;
- the connected peer (``peername``) is checked again before the request is written, as a second line.

Errors keep their phase, as in ``publisher.http``: failing to connect is a connect error, silence mid-answer a read
timeout, anything else after the request went out a read error. Connect-level errors say "could not connect" and
nothing about the port's state (refused, reset, filtered), so that editors cannot map the network through them.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Mapping

import aiohttp
import httpx
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.client_reqrep import ClientRequest
from aiohttp.connector import Connection
from aiohttp.tracing import Trace

from publisher.outbound import COULD_NOT_CONNECT, NOT_HTTP, PRIVATE, OutboundPolicy, Refused
from publisher.outbound import literal_host as _literal

__all__ = [
    "COULD_NOT_CONNECT",
    "NOT_HTTP",
    "PRIVATE",
    "GuardedTransport",
    "OutboundPolicy",
    "Refused",
    "guarded_client",
]


class _Blocked(aiohttp.ClientOSError):
    """Raised inside aiohttp (resolver or connector) when the guard refuses; carries the reason out."""

    def __init__(self, reason: str) -> None:
        super().__init__(None, reason)
        self.reason = reason


class _GuardedResolver(AbstractResolver):
    """Resolves with ``inner`` (default: aiohttp's) and keeps only the addresses the policy allows."""

    def __init__(self, policy: OutboundPolicy, inner: AbstractResolver | None = None) -> None:
        self._policy = policy
        self._inner = inner or aiohttp.DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        answers = await self._inner.resolve(host, port, family)
        if self._policy.allows_host(host):
            return answers
        kept = []
        for answer in answers:
            try:
                self._policy.check_ip(answer["host"])
            except Refused:
                continue
            kept.append(answer)
        if answers and not kept:
            raise _Blocked(PRIVATE)
        return kept

    async def close(self) -> None:
        await self._inner.close()


class _GuardedConnector(aiohttp.TCPConnector):
    """Checks the peer of every connection before the request is written on it (the second line)."""

    def __init__(self, policy: OutboundPolicy, resolver: AbstractResolver, **kwargs: object) -> None:
        super().__init__(resolver=resolver, **kwargs)  # type: ignore[arg-type]
        self._policy = policy

    async def connect(self, req: ClientRequest, traces: list[Trace], timeout: aiohttp.ClientTimeout) -> Connection:
        connection = await super().connect(req, traces, timeout)
        if self._policy.allows_host(req.url.raw_host or ""):
            return connection
        transport = connection.transport
        peer = transport.get_extra_info("peername") if transport is not None else None
        try:
            if not peer:
                raise Refused(PRIVATE)
            self._policy.check_ip(str(peer[0]))
        except Refused as exc:
            connection.close()
            raise _Blocked(exc.reason) from None
        return connection


class GuardedTransport(httpx.AsyncBaseTransport):
    """An httpx transport that streams with aiohttp and reaches only what ``policy`` allows. ``resolver`` answers
    host names (default: aiohttp's, i.e. the system's); the guard filters whatever it answers."""

    def __init__(
        self, policy: OutboundPolicy, max_connections: int = 64, *, resolver: AbstractResolver | None = None
    ) -> None:
        self.policy = policy
        self._max_connections = max_connections
        self._resolver = resolver
        self._session: aiohttp.ClientSession | None = None
        self._guarded_resolver: _GuardedResolver | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._guarded_resolver = _GuardedResolver(self.policy, self._resolver)
            connector = _GuardedConnector(
                self.policy, self._guarded_resolver, limit=self._max_connections, limit_per_host=0
            )
            # httpx keeps cookies (it would send them on every hop); environment proxies would bypass the checks
            self._session = aiohttp.ClientSession(
                connector=connector, auto_decompress=False, cookie_jar=aiohttp.DummyCookieJar(), trust_env=False
            )
        return self._session

    def check(self, request: httpx.Request) -> None:
        """Refuse before connecting what can be judged from the URL: the scheme, and an IP-literal host."""
        if request.url.scheme not in ("http", "https"):
            raise Refused(NOT_HTTP, request=request)
        host = request.url.host
        if not host:
            raise Refused(NOT_HTTP, request=request)
        if self.policy.allows_host(host):
            return
        literal = _literal(host)
        if literal is not None:
            try:
                self.policy.check_ip(literal)
            except Refused as exc:
                raise Refused(exc.reason, request=request) from None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.check(request)  # every redirect hop comes through here too
        timeout = request.extensions.get("timeout", {})
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw]
        body = await request.aread()
        try:
            response = await self._client().request(
                request.method,
                str(request.url),
                headers=headers,
                data=body or None,
                allow_redirects=False,  # httpx follows them, counting to max_redirects, and each hop comes back here
                skip_auto_headers=("User-Agent", "Accept-Encoding", "Accept"),
                timeout=aiohttp.ClientTimeout(
                    total=None, sock_connect=timeout.get("connect"), sock_read=timeout.get("read")
                ),
            )
        except _Blocked as exc:
            raise Refused(exc.reason, request=request) from None
        except aiohttp.ClientConnectorError as exc:
            if isinstance(exc.os_error, _Blocked):
                raise Refused(exc.os_error.reason, request=request) from None
            raise httpx.ConnectError(COULD_NOT_CONNECT, request=request) from exc
        except aiohttp.ConnectionTimeoutError as exc:
            raise httpx.ConnectTimeout(COULD_NOT_CONNECT, request=request) from exc
        except (TimeoutError, aiohttp.SocketTimeoutError) as exc:
            raise httpx.ReadTimeout(str(exc) or "timed out waiting for the answer", request=request) from exc
        except aiohttp.InvalidURL as exc:
            raise httpx.UnsupportedProtocol(str(exc), request=request) from exc
        except aiohttp.ClientError as exc:
            raise httpx.ReadError(f"{type(exc).__name__}: {exc}", request=request) from exc
        return httpx.Response(
            status_code=response.status,
            headers=list(response.raw_headers),
            stream=_Body(response, request),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": (response.reason or "").encode("latin-1")},
        )

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()  # a connector closes only a resolver it made itself
            self._session = None
        if self._guarded_resolver is not None:
            await self._guarded_resolver.close()
            self._guarded_resolver = None


class _Body(httpx.AsyncByteStream):
    def __init__(self, response: aiohttp.ClientResponse, request: httpx.Request) -> None:
        self._response = response
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.content.iter_any():
                yield chunk
        except (TimeoutError, aiohttp.SocketTimeoutError) as exc:
            raise httpx.ReadTimeout(str(exc) or "timed out reading", request=self._request) from exc
        except aiohttp.ClientError as exc:
            raise httpx.ReadError(f"{type(exc).__name__}: {exc}", request=self._request) from exc

    async def aclose(self) -> None:
        self._response.close()  # an answer not read to the end is dropped with its connection


def guarded_client(
    policy: OutboundPolicy,
    *,
    timeout: float | httpx.Timeout = 20.0,
    max_redirects: int = 5,
    headers: Mapping[str, str] | None = None,
    max_connections: int = 64,
) -> httpx.AsyncClient:
    """A client for requests made on behalf of user input: redirects followed (each hop checked), answers streamed.

    ``timeout`` is seconds for each phase, or an ``httpx.Timeout`` for separate connect and read limits.
    """
    return httpx.AsyncClient(
        follow_redirects=True,
        max_redirects=max_redirects,
        timeout=timeout,
        headers=headers,
        transport=GuardedTransport(policy, max_connections),
        trust_env=False,  # no proxies or .netrc from the environment
    )
