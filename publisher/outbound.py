"""Which addresses outbound requests may reach (``OutboundPolicy``, from ``[outbound] allow``) and the error for a
refused one: the rules of the outbound guard (``publisher.guard``), apart from its transport so that reading the
configuration does not import aiohttp (every command reads it; `publisher post list` should start fast)."""

from __future__ import annotations

import dataclasses
import ipaddress
import re
import socket
from collections.abc import Sequence

import httpx

from publisher.errors import ConfigError

__all__ = ["COULD_NOT_CONNECT", "NOT_HTTP", "PRIVATE", "OutboundPolicy", "Refused", "literal_host"]

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
            raise ConfigError.of(
                '{file}: [{key}] must be a list such as ["10.1.2.0/24"], got {value!r}',
                file=where,
                key="outbound.allow",
                value=values,
            )
        for value in values:
            if not isinstance(value, str):
                raise ConfigError.of(
                    "{file}: [{key}] entries must be strings, got {value!r}",
                    file=where,
                    key="outbound.allow",
                    value=value,
                )
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


literal_host = _literal  # for the guard's transport
