"""Issue 10, finding 4: sign-in cannot be overloaded or used to lock people out.

A burst of wrong passwords over real HTTP (uvicorn on loopback) hashes at most ``[web] max_concurrent_password_checks``
at once and turns the rest away with 429 unhashed; failures slow down the (name, address) pair with growing delays
while the owner signs in from elsewhere; the client address comes from X-Forwarded-For only through a trusted proxy.
Real argon2 (cheap parameters), a real database on each store, the injected clock: no sleeps.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from starlette.applications import Starlette

from publisher.clock import ManualClock
from publisher.config import load_settings
from publisher.errors import ConfigError
from publisher.store import Store
from publisher.web import serve
from publisher.web.accounts import Accounts
from publisher.web.app import create_app
from publisher.web.console import Console
from publisher.web.passwords import Passwords
from tests.web.conftest import PASSWORD, Visitor, web_settings

KEY = "test-signing-key-" + "x" * 32
BURST = 40


class GatedHasher(PasswordHasher):
    """Real argon2 that counts the checks running at once; each check waits at ``gate`` first, so the checks of a
    burst truly overlap whatever the machine's speed (a check the console turned away never gets here)."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8, parallelism=1)
        self.gate = threading.Event()
        self.gate.set()
        self.lock = threading.Lock()
        self.running = self.peak = self.verified = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        with self.lock:
            self.running += 1
            self.verified += 1
            self.peak = max(self.peak, self.running)
        try:
            self.gate.wait(timeout=60)
            return super().verify(hash, password)
        finally:
            with self.lock:
                self.running -= 1


def build(tmp_path: Path, store: Store, clock: ManualClock, hasher: GatedHasher, **web: Any) -> Starlette:
    settings = web_settings(tmp_path, **web)
    assert settings.web is not None
    passwords = Passwords(hasher, max_concurrent=settings.web.max_concurrent_password_checks)
    console = Console.build(settings, store, clock, accounts=Accounts(store, clock, passwords))
    for name, role in (("eve", "editor"), ("园长", "approver"), ("ada", "admin")):
        console.accounts.add_user(name, PASSWORD, role, actor="setup")
    return create_app(console, KEY)


@pytest.fixture
def hasher() -> GatedHasher:
    return GatedHasher()


@pytest.fixture
def app(tmp_path: Path, store: Store, clock: ManualClock, hasher: GatedHasher) -> Starlette:
    return build(tmp_path, store, clock, hasher)


@contextlib.asynccontextmanager
async def served(app: Starlette) -> AsyncIterator[str]:
    """The app under uvicorn, configured as ``publisher web`` serves it, on a loopback port of its own (listening
    before it is handed over, so no waiting is needed)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    port = sock.getsockname()[1]
    server = serve._QuietServer(serve._config(app, "127.0.0.1", port))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()


async def from_address(app: Starlette, address: str) -> Visitor:
    """A browser connecting from ``address`` (in-process)."""
    browser = Visitor(app)
    await browser.http.aclose()
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    browser.http = httpx.AsyncClient(transport=transport, base_url="http://testserver")
    await browser.get("/login")
    return browser


async def attempt(browser: Visitor, name: str, password: str, **headers: str) -> httpx.Response:
    form = {"name": name, "password": password, "next": "/queue", "csrf_token": browser.token}
    return await browser.http.post("/login", data=form, headers=headers)


async def fail_until(browser: Visitor, clock: ManualClock, failures: int, name: str = "eve") -> None:
    """Wrong passwords until ``failures`` were checked, waiting out each delay the console asks for."""
    failed = 0
    while failed < failures:
        response = await attempt(browser, name, f"guess number {failed}")
        if response.status_code == 429:
            clock.advance(int(response.headers.get("retry-after", 60)))
            continue
        assert response.status_code == 401, response.text
        failed += 1


async def test_a_burst_of_wrong_sign_ins_hashes_at_most_n_at_once_and_turns_the_rest_away(
    app: Starlette, hasher: GatedHasher
) -> None:
    hasher.gate.clear()  # the checks that start wait until the others have been answered
    limits = httpx.Limits(max_connections=BURST)
    async with served(app) as url, httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:
        page = await client.get("/login")
        token = page.text.split('name="csrf-token" content="')[1].split('"')[0]
        form = {"name": "eve", "password": "wrong password", "next": "/queue", "csrf_token": token}
        burst = [asyncio.ensure_future(client.post("/login", data=form)) for _ in range(BURST)]
        turned_away = BURST - 2  # [web] max_concurrent_password_checks = 2

        async def answered(count: int) -> None:
            for done, future in enumerate(asyncio.as_completed(burst), start=1):
                await future
                if done == count:
                    return

        try:
            await asyncio.wait_for(answered(turned_away), timeout=30)
        finally:
            hasher.gate.set()
        responses = await asyncio.gather(*burst)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [401] * 2 + [429] * turned_away
    assert all(r.headers["retry-after"] == "1" for r in responses if r.status_code == 429)
    assert "Many sign-ins at once" in next(r.text for r in responses if r.status_code == 429)
    assert hasher.peak == 2
    assert hasher.verified == 2  # the others were never hashed


async def test_the_number_of_checks_at_once_is_configurable(
    tmp_path: Path, store: Store, clock: ManualClock, hasher: GatedHasher
) -> None:
    app = build(tmp_path, store, clock, hasher, max_concurrent_password_checks=3)
    hasher.gate.clear()
    browsers = [await from_address(app, f"198.51.100.{n}") for n in range(10)]
    burst = [asyncio.ensure_future(attempt(b, "eve", "wrong password")) for b in browsers]
    turned_away = [r async for r in _first(burst, 7)]
    hasher.gate.set()
    rest = await asyncio.gather(*burst)
    assert all(r.status_code == 429 for r in turned_away)
    assert sorted(r.status_code for r in rest) == [401] * 3 + [429] * 7
    assert hasher.peak == 3
    for browser in browsers:
        await browser.http.aclose()


async def _first(futures: list[asyncio.Future[httpx.Response]], count: int) -> AsyncIterator[httpx.Response]:
    async with asyncio.timeout(30):
        for done, future in enumerate(asyncio.as_completed(futures), start=1):
            yield await future
            if done == count:
                return


async def test_the_owner_signs_in_from_another_address_after_30_failures_from_an_attackers(
    app: Starlette, clock: ManualClock
) -> None:
    attacker = await from_address(app, "203.0.113.9")
    await fail_until(attacker, clock, 30)
    owner = await from_address(app, "198.51.100.7")
    assert (await attempt(owner, "eve", PASSWORD)).status_code == 303
    assert (await attempt(attacker, "eve", PASSWORD)).status_code == 429  # the attacker's pair is still slowed


async def test_an_attackers_address_gets_growing_delays_and_nothing_is_hashed_meanwhile(
    app: Starlette, clock: ManualClock, hasher: GatedHasher
) -> None:
    attacker = await from_address(app, "203.0.113.9")
    for n in range(3):  # a few typing mistakes are free
        assert (await attempt(attacker, "eve", f"guess {n}")).status_code == 401
    delays = []
    for n in range(6):
        checked = hasher.verified
        slowed = await attempt(attacker, "eve", PASSWORD)  # even the right password waits: it is not checked
        assert slowed.status_code == 429
        assert hasher.verified == checked
        delays.append(int(slowed.headers["retry-after"]))
        clock.advance(delays[-1] - 0.5)
        assert (await attempt(attacker, "eve", "still early")).status_code == 429
        clock.advance(0.5)
        assert (await attempt(attacker, "eve", f"again {n}")).status_code == 401
    assert delays == [1, 2, 4, 8, 16, 32]


async def test_an_address_spraying_many_names_is_slowed_but_people_who_signed_in_from_it_are_not(
    app: Starlette, clock: ManualClock
) -> None:
    office = await from_address(app, "192.0.2.10")  # a team behind one router
    assert (await attempt(office, "ada", PASSWORD)).status_code == 303
    sprayer = await from_address(app, "192.0.2.10")
    for n in range(30):
        assert (await attempt(sprayer, f"name{n}", "password1234")).status_code == 401
    assert (await attempt(sprayer, "name31", "password1234")).status_code == 429
    colleague = await from_address(app, "192.0.2.10")
    assert (await attempt(colleague, "ada", PASSWORD)).status_code == 303  # signed in from here before
    newcomer = await from_address(app, "192.0.2.10")
    slowed = await attempt(newcomer, "园长", PASSWORD)  # never signed in from here: a delay, not a lockout
    assert slowed.status_code == 429
    clock.advance(int(slowed.headers["retry-after"]))
    assert (await attempt(newcomer, "园长", PASSWORD)).status_code == 303


async def test_under_a_distributed_attack_the_owner_waits_a_little_and_gets_in(
    app: Starlette, clock: ManualClock
) -> None:
    for bot in range(10):  # ten addresses, five guesses each, within a few minutes
        attacker = await from_address(app, f"203.0.113.{bot + 1}")
        for n in range(5):
            response = await attempt(attacker, "eve", f"bot {bot} guess {n}")
            if response.status_code == 429:
                clock.advance(int(response.headers["retry-after"]))
                response = await attempt(attacker, "eve", f"bot {bot} guess {n}")
            assert response.status_code == 401
    owner = await from_address(app, "198.51.100.7")
    told = await attempt(owner, "eve", PASSWORD)
    assert told.status_code == 429
    wait = int(told.headers["retry-after"])
    assert wait <= 10
    clock.advance(wait)
    assert (await attempt(owner, "eve", PASSWORD)).status_code == 303


async def test_x_forwarded_for_from_loopback_is_not_believed_by_default(app: Starlette) -> None:
    async with served(app) as url, httpx.AsyncClient(base_url=url, timeout=30) as client:
        page = await client.get("/login")
        token = page.text.split('name="csrf-token" content="')[1].split('"')[0]
        for n in range(30):  # each guess claims a new address
            form = {"name": f"name{n}", "password": "password1234", "next": "/", "csrf_token": token}
            response = await client.post("/login", data=form, headers={"X-Forwarded-For": f"203.0.113.{n + 1}"})
            assert response.status_code == 401
        form = {"name": "ada", "password": PASSWORD, "next": "/", "csrf_token": token}
        refused = await client.post("/login", data=form, headers={"X-Forwarded-For": "198.51.100.99"})
    assert refused.status_code == 429  # all 30 failures came from 127.0.0.1, whatever the header said


async def test_x_forwarded_for_is_read_only_from_a_trusted_proxy_and_only_its_rightmost_untrusted_hop(
    tmp_path: Path, store: Store, clock: ManualClock, hasher: GatedHasher
) -> None:
    app = build(tmp_path, store, clock, hasher, trusted_proxies=("10.0.0.0/8",))
    attacker = await from_address(app, "10.0.0.2")  # through the proxy
    for n in range(3):
        wrong = await attempt(attacker, "eve", f"guess {n}", **{"X-Forwarded-For": "203.0.113.5"})
        assert wrong.status_code == 401
    # a hop the attacker wrote in front of the header changes nothing: the proxy appended the real one
    spoofed = await attempt(attacker, "eve", "guess 4", **{"X-Forwarded-For": "198.51.100.20, 203.0.113.5"})
    assert spoofed.status_code == 429
    owner = await from_address(app, "10.0.0.2")
    signed_in = await attempt(owner, "eve", PASSWORD, **{"X-Forwarded-For": "198.51.100.20, 10.0.0.3"})
    assert signed_in.status_code == 303
    assert "198.51.100.20" in (await owner.get("/account")).text  # the session's address, shown to its owner
    # from a peer that is not a trusted proxy the header is ignored: rotating it does not escape the delay
    direct = await from_address(app, "192.0.2.77")
    for n in range(3):
        assert (await attempt(direct, "园长", f"guess {n}", **{"X-Forwarded-For": f"10.0.0.{n}"})).status_code == 401
    assert (await attempt(direct, "园长", PASSWORD, **{"X-Forwarded-For": "10.0.0.9"})).status_code == 429


def test_trusted_proxies_and_check_limits_are_checked_when_the_settings_are_read(tmp_path: Path) -> None:
    config = tmp_path / "publisher.toml"
    outbox = '[channels.site]\nkind = "outbox"\nfolder = "out"\n'
    config.write_text(outbox + '[web]\ntrusted_proxies = ["10.0.0.0/8", "::1"]\nmax_concurrent_password_checks = 4\n')
    web = load_settings(str(config)).web
    assert web is not None
    assert web.trusted_proxies == ("10.0.0.0/8", "::1")
    assert web.max_concurrent_password_checks == 4
    assert (web.session_idle_minutes, web.session_max_hours) == (120.0, 12.0)
    config.write_text(outbox + '[web]\ntrusted_proxies = ["the load balancer"]\n')
    with pytest.raises(ConfigError, match="is not an address or network"):
        load_settings(str(config))
    config.write_text(outbox + "[web]\nmax_concurrent_password_checks = 0\n")
    with pytest.raises(ConfigError, match="from 1 to 64"):
        load_settings(str(config))
