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

import dataclasses
import ipaddress
import re
import socket
from collections.abc import AsyncIterator, Mapping, Sequence

import aiohttp
import httpx
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.client_reqrep import ClientRequest
from aiohttp.connector import Connection
from aiohttp.tracing import Trace

from publisher.errors import ConfigError

__all__ = [
    "COULD_NOT_CONNECT",
    "NOT_HTTP",
    "PRIVATE",
    "GuardedTransport",
    "OutboundPolicy",
    "Refused",
    "guarded_client",
]

PRIVATE = "refused: private address"
NOT_HTTP = "refused: not http or https"
COULD_NOT_CONNECT = "could not connect"

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# Special-purpose blocks (IANA registries) that Python's ``is_global`` still calls global on some versions
# (3.11 says so of 224/4, 192.0.0.0/24, ::/96, ff00::/8, 2002::/16 ...). Anything in here is refused.
_NOT_PUBLIC: tuple[Network, ...] = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.88.99.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "::/96",  # unspecified, loopback and the deprecated IPv4-compatible form
        "64:ff9b:1::/48",
        "100::/64",
        "2001::/23",  # Teredo and IETF protocol assignments
        "2001:db8::/32",
        "3fff::/20",
        "5f00::/16",
        "fc00::/7",
        "fe80::/10",
        "fec0::/10",
        "ff00::/8",
    )
)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_HOST_NAME = re.compile(
    r"^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?)(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?)*$"
)
_NUMERIC_HOST = re.compile(r"^[0-9a-fx.]+$")  # what inet_aton might read as an IPv4 address: 2130706433, 0x7f.1


class Refused(httpx.ConnectError):
    """The guard refused a request before any byte was sent; ``str()`` is the editor-facing reason."""

    def __init__(self, reason: str, *, request: httpx.Request | None = None) -> None:
        super().__init__(reason, request=request)
        self.reason = reason


@dataclasses.dataclass(frozen=True)
class OutboundPolicy:
    """Which addresses outbound requests may reach: public ones, and whatever ``allow`` lists.

    ``allow`` holds networks (``"127.0.0.0/8"``, ``"10.1.2.0/24"``, ``"::1/128"``, a bare address for one host) and
    host names (``"feeds.intranet.example"``, matched exactly, trusted whatever they resolve to).
    """

    allow: tuple[str, ...] = ()  # networks and host names reachable beyond public addresses (default: none)
    _networks: tuple[Network, ...] = dataclasses.field(init=False, repr=False, compare=False)
    _hosts: frozenset[str] = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        networks: list[Network] = []
        hosts: set[str] = set()
        for entry in self.allow:
            value = _allow_entry(entry)  # ValueError with the fix for a bad entry
            if isinstance(value, str):
                hosts.add(value)
            else:
                networks.append(value)
        object.__setattr__(self, "_networks", tuple(networks))
        object.__setattr__(self, "_hosts", frozenset(hosts))

    @classmethod
    def parse(cls, values: Sequence[str], where: str) -> OutboundPolicy:
        """``[outbound] allow`` read from the file ``where``; ConfigError naming the entry and the fix."""
        if isinstance(values, str) or not isinstance(values, Sequence):
            raise ConfigError(where, "outbound.allow", f'must be a list such as ["10.1.2.0/24"], got {values!r}')
        for value in values:
            if not isinstance(value, str):
                raise ConfigError(where, "outbound.allow", f"entries must be strings, got {value!r}")
            try:
                _allow_entry(value)
            except ValueError as exc:
                raise ConfigError(where, "outbound.allow", str(exc)) from None
        return cls(tuple(v.strip() for v in values))

    def allows_host(self, host: str) -> bool:
        """True for a host name the admin listed: it is trusted whatever it resolves to."""
        return host.rstrip(".").lower() in self._hosts

    def check_ip(self, ip: str) -> None:
        """Return if ``ip`` is public or inside an allowed network; raise ``Refused`` otherwise."""
        try:
            address: Address = ipaddress.ip_address(ip.split("%", 1)[0])  # a scope (fe80::1%eth0) changes nothing
        except ValueError:
            raise Refused(PRIVATE) from None
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1 on the wire
        if any(address.version == n.version and address in n for n in self._networks):
            return
        if not _public(address):
            raise Refused(PRIVATE)


def _allow_entry(entry: str) -> Network | str:
    """A network, or a host name (lowercase, no trailing dot); ValueError saying how to write it."""
    value = entry.strip()
    if not value:
        raise ValueError("an entry is empty; give a network such as 10.1.2.0/24 or a host name")
    try:
        return ipaddress.ip_network(value)
    except ValueError as exc:
        if "host bits set" in str(exc):
            fixed = ipaddress.ip_network(value, strict=False)
            raise ValueError(f"{value!r} has host bits set; write the network as {fixed}") from None
    name = value.rstrip(".").lower()
    if _HOST_NAME.match(name) and _literal(name) is None:
        return name
    raise ValueError(
        f"{value!r} is neither a network (127.0.0.0/8, 10.1.2.0/24, ::1/128) nor a host name (feeds.example.org); "
        "write no scheme, port or path"
    )


def _public(address: Address) -> bool:
    if not address.is_global or address.is_multicast or address.is_reserved:
        return False
    if any(address.version == n.version and address in n for n in _NOT_PUBLIC):
        return False
    if isinstance(address, ipaddress.IPv6Address):
        embedded = []
        if address.sixtofour is not None:  # 2002:7f00:1::/48 routes to 127.0.0.1 through a 6to4 relay
            embedded.append(address.sixtofour)
        if address in _NAT64:
            embedded.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
        return all(_public(v4) for v4 in embedded)
    return True


def _literal(host: str) -> str | None:
    """The address an IP-literal host names, in canonical form, or None for a host name. Numeric IPv4 spellings that
    ``inet_aton`` accepts (2130706433, 0x7f.1, 0177.0.0.1, 127.1) count: getaddrinfo would connect to them."""
    try:
        return str(ipaddress.ip_address(host.split("%", 1)[0]))
    except ValueError:
        pass
    if _NUMERIC_HOST.match(host.lower()):
        try:
            return socket.inet_ntoa(socket.inet_aton(host))
        except OSError:
            return None
    return None


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
