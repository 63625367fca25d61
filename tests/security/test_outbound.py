"""Issue 10, finding 2: the tracker fetched internal addresses, and its errors told editors which ports were open.

Every request made for user input goes through ``publisher.guard``: a feed on loopback, the cloud metadata address,
an IPv4-mapped or numeric spelling of 127.0.0.1, a host name that resolves inside, and an allowed feed that
redirects inside are all refused before a byte reaches the internal server (the stand-ins count requests); the
connection is pinned to the addresses that were checked (DNS rebinding), and the connected peer is checked again.
What editors see (``publisher outlet list``, the console's outlets page) is "refused: private address" or "could not
connect", never the port's state. Real servers over loopback: 127.0.0.1, and 127.0.0.2 (Linux routes 127/8 to lo)
for the "allowed" side.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult

from publisher.clock import ManualClock
from publisher.config import load_settings
from publisher.guard import GuardedTransport, OutboundPolicy, Refused, guarded_client
from publisher.tracker.outlets import OutletSpec, add_outlet, outlet_health
from publisher.tracker.poll import Fetcher
from publisher.tracker.service import Tracker
from publisher.web.accounts import UserView
from publisher.web.console import Console
from tests.conftest import outbox_config
from tests.fakes.feeds import FeedServer, Item, rss
from tests.fakes.server import serve, serve_in_thread
from tests.test_cli import Cli
from tests.tracker.conftest import FAST
from tests.web import conftest as web_fixtures
from tests.web.conftest import Visitor

# the console, the app, one person of each role and browsers, as tests/web builds them
console, app, people, visitors = web_fixtures.console, web_fixtures.app, web_fixtures.people, web_fixtures.visitors

NOTHING = OutboundPolicy()  # the default: public addresses only
FEED = rss([Item("阳光幼儿园启动阅读月", "内部页面的文字", "http://daily.example/a/1", "d-1")])
PORT_DETAILS = ("Connection refused", "Connect call failed", "ssl:default", "Cannot connect", "Errno")


@contextlib.asynccontextmanager
async def serve_on(app: web.Application, host: str, port: int = 0) -> AsyncIterator[str]:
    """``tests.fakes.server.serve`` on another loopback address (127.0.0.2 is routed to lo like 127.0.0.1)."""
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    assert site._server is not None
    bound = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://{host}:{bound}"
    finally:
        await runner.cleanup()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Answers(AbstractResolver):
    """A DNS stand-in: every name answers ``addresses``, in that order (a rebinding server answers what it likes)."""

    def __init__(self, *addresses: str) -> None:
        self.addresses = addresses
        self.asked: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.asked.append(host)
        return [
            ResolveResult(hostname=host, host=a, port=port, family=socket.AF_INET, proto=0, flags=socket.AI_NUMERICHOST)
            for a in self.addresses
        ]

    async def close(self) -> None:
        pass


# --- OutboundPolicy.check_ip over a table of addresses -----------------------------------------------------------

REFUSED = [
    "127.0.0.1",
    "127.255.255.254",
    "10.0.0.1",
    "172.16.5.4",
    "192.168.1.1",
    "169.254.169.254",  # the cloud metadata service
    "100.64.0.1",  # shared (carrier-grade NAT)
    "0.0.0.0",
    "224.0.0.1",  # multicast
    "239.255.255.250",
    "240.0.0.1",  # reserved
    "255.255.255.255",
    "192.0.0.8",
    "198.18.0.1",
    "::1",
    "::",
    "fc00::1",  # ULA
    "fd12:3456::1",
    "fe80::1",  # link-local
    "fe80::1%2",
    "ff02::1",  # multicast
    "fec0::1",  # site-local
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "::127.0.0.1",  # IPv4-compatible
    "2002:7f00:1::1",  # 6to4 around 127.0.0.1
    "64:ff9b::7f00:1",  # NAT64 around 127.0.0.1
    "2001::1",  # Teredo
    "2001:db8::1",  # documentation
    "not an address",
]
PUBLIC = ["8.8.8.8", "1.1.1.1", "93.184.216.34", "2001:4860:4860::8888", "2606:4700:4700::1111"]


@pytest.mark.parametrize("address", REFUSED)
def test_check_ip_refuses_every_non_public_address(address: str) -> None:
    with pytest.raises(Refused) as refused:
        NOTHING.check_ip(address)
    assert str(refused.value) == refused.value.reason == "refused: private address"


@pytest.mark.parametrize("address", PUBLIC)
def test_check_ip_lets_public_addresses_through(address: str) -> None:
    NOTHING.check_ip(address)


def test_allowed_networks_and_host_names_are_the_exceptions() -> None:
    policy = OutboundPolicy(allow=("127.0.0.0/8", "10.1.2.0/24", "::1/128", "Feeds.Intranet.Example."))
    for address in ("127.0.0.1", "127.0.0.2", "::ffff:127.0.0.1", "10.1.2.200", "::1"):
        policy.check_ip(address)
    for address in ("10.1.3.1", "192.168.1.1", "169.254.169.254", "fe80::1"):
        with pytest.raises(Refused):
            policy.check_ip(address)
    assert policy.allows_host("feeds.intranet.example")
    assert not policy.allows_host("other.intranet.example")


# --- the guard on the wire -----------------------------------------------------------------------------------------


@pytest.fixture
async def inside() -> AsyncIterator[tuple[FeedServer, str]]:
    """An internal server on 127.0.0.1 that counts what reaches it."""
    server = FeedServer()
    server.put("/feed.xml", FEED)
    server.put("/secret", b"internal page", content_type="text/plain")
    async with serve(server.app()) as base:
        yield server, base


async def test_a_loopback_feed_is_refused_and_nothing_reaches_it(inside: tuple[FeedServer, str]) -> None:
    server, base = inside
    async with Fetcher(FAST) as fetcher:  # the default policy: nothing allowed beyond public addresses
        fetched = await fetcher.fetch(f"{base}/feed.xml")
    assert fetched.error == "refused: private address"
    assert fetched.body is None
    assert server.requests == []


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://0.0.0.0:{port}/secret",
        "http://[::ffff:127.0.0.1]:{port}/secret",
        "http://[::1]:{port}/secret",
        "http://2130706433:{port}/secret",  # 127.0.0.1 as one decimal number
        "http://0x7f.1:{port}/secret",  # and in hex, shortened
        "http://017700000001:{port}/secret",  # and in octal
        "http://127.1:{port}/secret",
        "http://localhost:{port}/secret",  # a name that resolves to loopback
    ],
)
async def test_internal_spellings_are_refused_before_connecting(inside: tuple[FeedServer, str], url: str) -> None:
    server, base = inside
    port = base.rsplit(":", 1)[1]
    async with guarded_client(NOTHING, timeout=2) as client:
        with pytest.raises(Refused) as refused:
            await client.get(url.format(port=port))
    assert str(refused.value) == "refused: private address"
    assert server.requests == []


async def test_schemes_other_than_http_are_refused() -> None:
    async with guarded_client(NOTHING, timeout=2) as client:
        for url in ("file:///etc/passwd", "ftp://ftp.example.org/x", "gopher://example.org/"):
            with pytest.raises(Refused, match=r"^refused: not http or https$"):
                await client.get(url)


async def test_an_allowed_feed_that_redirects_inside_is_refused_at_the_hop(inside: tuple[FeedServer, str]) -> None:
    server, base = inside
    hops: list[str] = []

    async def outside(request: web.Request) -> web.Response:
        hops.append(request.path)
        target = {"/to-loopback": f"{base}/secret", "/to-metadata": "http://169.254.169.254/latest/meta-data/"}
        if request.path == "/to-file":
            raise web.HTTPFound("file:///etc/passwd")
        raise web.HTTPFound(target[request.path])

    outlet = web.Application()
    outlet.router.add_get("/{path:.*}", outside)
    policy = OutboundPolicy(allow=("127.0.0.2/32",))
    async with serve_on(outlet, "127.0.0.2") as allowed, Fetcher(FAST, policy=policy) as fetcher:
        to_loopback = await fetcher.fetch(f"{allowed}/to-loopback")
        to_metadata = await fetcher.fetch(f"{allowed}/to-metadata")
        to_file = await fetcher.fetch(f"{allowed}/to-file")
    assert hops == ["/to-loopback", "/to-metadata", "/to-file"]  # the allowed outlet was asked
    assert to_loopback.error == to_metadata.error == "refused: private address"
    assert to_file.error == "refused: not http or https"
    assert server.requests == []  # the hop inside never left


async def test_a_name_resolving_inside_is_refused_and_the_connection_pinned(inside: tuple[FeedServer, str]) -> None:
    """A DNS answer is filtered before aiohttp sees it, so aiohttp connects only to checked addresses: a name that
    answers an internal address (alone, or beside an allowed one, as a rebinding server would) never reaches it."""
    server, base = inside
    port = int(base.rsplit(":", 1)[1])
    inner = Answers("10.0.0.7", "127.0.0.1")
    async with httpx.AsyncClient(transport=GuardedTransport(NOTHING, resolver=inner), timeout=2) as client:
        with pytest.raises(Refused, match="refused: private address"):
            await client.get(f"http://feeds.attacker.example:{port}/secret")
    assert inner.asked == ["feeds.attacker.example"]

    allowed = FeedServer()
    allowed.put("/secret", b"the allowed server", content_type="text/plain")
    policy = OutboundPolicy(allow=("127.0.0.2/32",))
    both = Answers("127.0.0.1", "127.0.0.2")  # the internal address first
    async with (
        serve_on(allowed.app(), "127.0.0.2", port),  # the same port on both addresses
        httpx.AsyncClient(transport=GuardedTransport(policy, resolver=both), timeout=2) as client,
    ):
        answer = await client.get(f"http://rebinding.example:{port}/secret")
    assert answer.text == "the allowed server"
    assert [r.path for r in allowed.requests] == ["/secret"]
    assert server.requests == []


async def test_the_connected_peer_is_checked_before_the_request_is_written(inside: tuple[FeedServer, str]) -> None:
    """The second line: a connection whose peer is internal is closed unused, even if the resolver let it through."""
    from publisher.guard import _GuardedConnector

    server, base = inside
    port = base.rsplit(":", 1)[1]
    connector = _GuardedConnector(NOTHING, Answers("127.0.0.1"))  # an unfiltered resolver: only the peer check
    async with aiohttp.ClientSession(connector=connector) as session:
        with pytest.raises(aiohttp.ClientConnectionError, match="refused: private address"):
            await session.get(f"http://unfiltered.example:{port}/secret")
    assert server.requests == []


# --- what editors see ------------------------------------------------------------------------------------------------


async def test_a_closed_port_on_an_allowed_address_says_only_could_not_connect() -> None:
    policy = OutboundPolicy(allow=("127.0.0.0/8",))
    async with Fetcher(FAST, policy=policy) as fetcher:
        fetched = await fetcher.fetch(f"http://127.0.0.1:{closed_port()}/feed.xml")
    assert fetched.error == "could not connect; check the feed's address"


@pytest.fixture
def outside_cli(tmp_path: Path) -> Iterator[tuple[Cli, FeedServer]]:
    """The command line over a config whose outlet's feed is on 127.0.0.1, with no [outbound] table."""
    server = FeedServer()
    server.put("/feed.xml", FEED)
    with serve_in_thread(server.app) as base:
        (tmp_path / "publisher.toml").write_text(
            '[channels.website]\nkind = "outbox"\nfolder = "out"\n'
            f'[outlets."内部"]\nfeeds = ["{base}/feed.xml"]\n'
            f'[outlets."关着的端口"]\nfeeds = ["http://127.0.0.1:{closed_port()}/feed.xml"]\n',
            encoding="utf-8",
        )
        cli = Cli(tmp_path)
        cli("init")  # no command but `init` (and the daemon) makes the database
        yield cli, server


def test_outlet_list_and_test_show_refused_without_port_details(outside_cli: tuple[Cli, FeedServer]) -> None:
    cli, server = outside_cli
    cli("campaign", "add", "阅读月", "--tz", "Asia/Shanghai", "--start", "2026-11-25")
    cli("campaign", "rules", "阅读月", "--any", "阅读月")
    out = cli("track", "--once").stdout
    assert "2 failed" in out
    assert "0 new coverage items" in out
    assert cli.json("coverage", "list") == []  # the internal text is not coverage
    errors = {row["outlet"]: row["last_error"] for row in cli.json("outlet", "list")}
    assert errors == {"内部": "refused: private address", "关着的端口": "refused: private address"}
    listing = cli("outlet", "list").stdout
    verdict = cli("outlet", "test", "关着的端口", ok=False).stdout
    assert "refused" in listing
    assert "refused: private address" in verdict
    for shown in (listing, verdict, out):
        assert not any(detail in shown for detail in PORT_DETAILS), shown
    assert server.requests == []


async def test_the_outlets_page_shows_refused_without_port_details(
    visitors: Any, console: Console, clock: ManualClock, people: dict[str, UserView], inside: tuple[FeedServer, str]
) -> None:
    server, base = inside
    add_outlet(console.store, OutletSpec(name="内部", feeds=[f"{base}/feed.xml"]), FAST, clock.now(), "ada")
    add_outlet(console.store, OutletSpec(name="元数据", feeds=["http://169.254.169.254/"]), FAST, clock.now(), "ada")
    report = await Tracker(FAST, console.store, clock, timezone="Asia/Shanghai").run_once(force=True)
    assert sorted(error for _, _, error in report.errors) == ["refused: private address"] * 2
    assert {h.outlet: h.last_error for h in outlet_health(console.store)} == {
        "内部": "refused: private address",
        "元数据": "refused: private address",
    }
    editor: Visitor = await visitors("eve")
    page = (await editor.get("/outlets")).text
    assert page.count("refused: private address") >= 2
    assert not any(detail in page for detail in PORT_DETAILS)
    assert server.requests == []


# --- [outbound] in the config file -----------------------------------------------------------------------------------


def test_outbound_allow_is_read_from_the_config(tmp_path: Path) -> None:
    assert load_settings(outbox_config(tmp_path, "")).outbound == OutboundPolicy()
    text = '[outbound]\nallow = ["10.1.2.0/24", "127.0.0.1", "::1/128", "rsshub.intranet.example"]\n'
    policy = load_settings(outbox_config(tmp_path, text)).outbound
    assert policy.allow == ("10.1.2.0/24", "127.0.0.1", "::1/128", "rsshub.intranet.example")
    policy.check_ip("10.1.2.3")
    policy.check_ip("127.0.0.1")
    with pytest.raises(Refused):
        policy.check_ip("127.0.0.2")
    assert policy.allows_host("rsshub.intranet.example")


# a bad [outbound] entry is refused with the fix: tests/test_config.py, with every other config mistake
