"""Finding 6: a platform that echoes the credentials it was sent (a CMS printing the request in its error page).

A stand-in WordPress site and Mastodon instance refuse every request and quote, in their error text, the
``Authorization`` header they received, the credentials decoded from it, and the token again in base64, URL-safe
base64 and URL-encoded forms. None of those may reach the database (deliveries, events, channels), `post show`,
`channel test`, the console, or the log records. And a ``*_env`` key holding the secret itself is refused at load
without repeating it.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, quote_plus

import httpx
import pytest
from aiohttp import web
from sqlalchemy import select

from publisher.clock import ManualClock
from publisher.config import load_settings
from publisher.daemon import build_dispatcher
from publisher.errors import ConfigError
from publisher.models import Channel, Delivery, Event
from publisher.queue import PostDraft, Queue
from publisher.scrub import REDACTED, Scrubber
from publisher.store import Store
from publisher.web.accounts import Accounts
from publisher.web.app import create_app
from publisher.web.console import Console
from publisher.web.passwords import Passwords
from tests.conftest import url_of
from tests.fakes.server import serve_in_thread
from tests.test_cli import Cli
from tests.web.conftest import CHEAP, PASSWORD, Visitor

WP_USER = "publisher-bot"
WP_PASSWORD = "Ab3d eF6h Ij9k/Lm2n+Op5q=Rs8t"  # an application password (spaces, and /+= to make the forms differ)
MASTODON_TOKEN = "mstdn_Zx9+/Qw8=ER7tY6uI5oP4aS3dF2gH"
SIGNING_KEY = "console-signing-key-" + "k" * 24


def echo(request: web.Request) -> str:
    """What a careless platform writes in its error: everything it was sent, decoded and re-encoded."""
    auth = request.headers.get("Authorization", "")
    scheme, _, credential = auth.partition(" ")
    decoded = base64.b64decode(credential).decode() if scheme == "Basic" else credential
    token = decoded.partition(":")[2] if scheme == "Basic" else credential
    raw = token.encode()
    return (
        f"denied. You sent Authorization: {auth} (that is {decoded}); the token {token} is "
        f"{base64.b64encode(raw).decode()} in base64, {base64.urlsafe_b64encode(raw).decode().rstrip('=')} "
        f"URL-safe, {quote(token, safe='')} / {quote(token)} / {quote_plus(token)} escaped; "
        f"query {request.query_string}"
    )


def platform() -> web.Application:
    async def wordpress(request: web.Request) -> web.Response:
        if request.path.endswith("/users/me"):
            return web.json_response({"code": "rest_not_logged_in", "message": echo(request)}, status=401)
        return web.json_response({"code": "rest_invalid", "message": echo(request)}, status=400)

    async def mastodon(request: web.Request) -> web.Response:
        return web.json_response({"error": echo(request)}, status=401)

    app = web.Application()
    app.router.add_route("*", "/wp/{tail:.*}", wordpress)
    app.router.add_route("*", "/{tail:api/.*}", mastodon)
    return app


def forms(secret: str, user: str | None = None) -> list[str]:
    raw = secret.encode()
    found = [
        secret,
        base64.b64encode(raw).decode().rstrip("="),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
        quote(secret, safe=""),
        quote(secret),
        quote_plus(secret),
    ]
    if user is not None:
        found.append(base64.b64encode(f"{user}:{secret}".encode()).decode().rstrip("="))
    return found


LEAKS = [*forms(WP_PASSWORD, WP_USER), *forms(MASTODON_TOKEN), *forms(SIGNING_KEY)]


def leaked(text: str) -> list[str]:
    return [form for form in LEAKS if form in text]


@pytest.fixture
def base_url() -> Iterator[str]:
    with serve_in_thread(platform) as url:
        yield url


@pytest.fixture
def config(tmp_path: Path, store: Store, base_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("WP_APP_PASSWORD", WP_PASSWORD)
    monkeypatch.setenv("MASTODON_TOKEN", MASTODON_TOKEN)
    monkeypatch.setenv("CONSOLE_KEY", SIGNING_KEY)
    path = tmp_path / "publisher.toml"
    path.write_text(
        f"""
[database]
url = "{url_of(store)}"

[web]
secret_key_env = "CONSOLE_KEY"
language = "en"

[channels.site]
kind = "wordpress"
url = "{base_url}/wp"
username = "{WP_USER}"
app_password_env = "WP_APP_PASSWORD"

[channels.social]
kind = "mastodon"
instance = "{base_url}"
token_env = "MASTODON_TOKEN"
""",
        encoding="utf-8",
    )
    return path


def dispatch_once(config: Path, store: Store, clock: ManualClock) -> int:
    settings = load_settings(str(config), check_secrets=True)

    async def run() -> int:
        async with httpx.AsyncClient() as client:
            dispatcher = build_dispatcher(settings, store, client, clock)
            queue = Queue(store, dispatcher.adapters, clock, actor="tester")
            post_id = queue.add_post(
                PostDraft(title="Open day", body="Come and see", channels=["site", "social"], now=True)
            )
            await dispatcher.run_once()
            return post_id

    return asyncio.run(run())


def stored_text(store: Store) -> str:
    """Every column of every delivery, event and channel row, as text."""
    lines = []
    with store.sessions() as session:
        for model in (Delivery, Event, Channel):
            for row in session.scalars(select(model)):
                lines.append(" ".join(repr(getattr(row, c.key)) for c in model.__table__.columns))
    return "\n".join(lines)


def test_what_a_platform_echoes_is_stored_logged_and_shown_without_the_secret(
    config: Path, store: Store, clock: ManualClock, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        post_id = dispatch_once(config, store, clock)

    stored = stored_text(store)
    assert REDACTED in stored  # the platforms did echo, and what they said was kept, scrubbed
    assert "denied. You sent Authorization: Basic [redacted]" in stored
    assert leaked(stored) == []
    # each structured line's fields (publisher.logs.log_event) as well as its text
    logged = caplog.text + "\n".join(repr(getattr(record, "fields", None)) for record in caplog.records)
    assert REDACTED in logged
    assert leaked(logged) == []

    cli = Cli(tmp_path)
    shown = cli("post", "show", str(post_id)).stdout
    assert "denied" in shown
    assert leaked(shown) == []
    tested = cli("channel", "test", "site", ok=False)
    assert tested.returncode == 1
    assert "site: FAILED" in tested.stdout
    assert REDACTED in tested.stdout
    assert leaked(tested.stdout + tested.stderr) == []

    pages = asyncio.run(console_pages(config, store, clock, post_id))
    for path, text in pages.items():
        assert leaked(text) == [], path
    assert REDACTED in pages["/channels after test"]


async def console_pages(config: Path, store: Store, clock: ManualClock, post_id: int) -> dict[str, str]:
    settings = load_settings(str(config), check_secrets=True)
    accounts = Accounts(store, clock, Passwords(CHEAP))
    accounts.add_user("ada", PASSWORD, "admin", actor="setup")
    console = Console.build(settings, store, clock, accounts=accounts)
    browser = Visitor(create_app(console, SIGNING_KEY))
    pages: dict[str, str] = {}
    async with browser.http:
        await browser.sign_in("ada")
        for path in (f"/posts/{post_id}", "/channels", "/queue", f"/api/posts/{post_id}"):
            pages[path] = (await browser.get(path)).text
        await browser.post("/channels/site/test")
        pages["/channels after test"] = (await browser.get("/channels")).text
    return pages


def test_the_scrubber_knows_every_form_and_every_configured_secret(config: Path) -> None:
    from publisher.scrub import for_settings

    settings = load_settings(str(config), check_secrets=True)
    scrubber = for_settings(settings)
    for form in LEAKS:
        assert leaked(scrubber.scrub(f"said: {form}.")) == [], form
    # any user name before the secret in Basic form, and lower-case percent-encoding
    other = base64.b64encode(f"someone-else:{WP_PASSWORD}".encode()).decode()
    assert leaked(scrubber.scrub(f"Basic {other}")) == []
    assert WP_PASSWORD not in base64.b64decode(scrubber.scrub(other).replace(REDACTED, "") + "==").decode(
        errors="replace"
    )
    assert scrubber.scrub(quote(MASTODON_TOKEN, safe="").lower()) == REDACTED
    # the database password, from the URL, and nothing that is not a secret
    with_password = Scrubber(["postgres-pass-123"]).scrub("could not connect: password postgres-pass-123 refused")
    assert "postgres-pass-123" not in with_password
    assert scrubber.scrub("HTTP 400: the title is too long") == "HTTP 400: the title is too long"


def test_database_password_is_a_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from publisher.scrub import for_settings

    path = tmp_path / "publisher.toml"
    path.write_text(
        '[database]\nurl = "postgresql+psycopg://app:s3cret%2Fpw-991@db.internal/publisher"\n'
        '[channels.outbox]\nkind = "outbox"\nfolder = "out"\n',
        encoding="utf-8",
    )
    scrubber = for_settings(load_settings(str(path)))
    assert (
        scrubber.scrub("auth failed for s3cret/pw-991 and s3cret%2Fpw-991")
        == f"auth failed for {REDACTED} and {REDACTED}"
    )


@pytest.mark.parametrize(
    ("table", "key"),
    [
        (
            '[channels.social]\nkind = "mastodon"\ninstance = "https://m.example"\ntoken_env = "{value}"\n',
            "channels.social.token_env",
        ),
        ('[channels.out]\nkind = "outbox"\nfolder = "out"\n[web]\nsecret_key_env = "{value}"\n', "web.secret_key_env"),
    ],
)
@pytest.mark.parametrize("value", [MASTODON_TOKEN, "abc def", "lower_case_hex_0f3a9b"])
def test_an_env_key_holding_the_secret_itself_is_refused_without_echoing_it(
    tmp_path: Path, table: str, key: str, value: str
) -> None:
    path = tmp_path / "publisher.toml"
    path.write_text(table.replace("{value}", value), encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_settings(str(path))
    message = str(refused.value)
    assert f"[{key}] must name an environment variable (A-Z, 0-9, _), not hold the secret itself" in message
    assert value not in message


async def test_what_a_read_back_says_reaches_the_core_scrubbed() -> None:
    """A platform's words about a sent post (read-back) pass the same door as its receipts and errors."""
    from adapters.base import ReadBack, Receipt
    from publisher.scrub import ScrubbedAdapter

    secret = "s3cr3t-token-value-42"

    class Echoing:
        async def read_back(self, sent: Receipt, key: str) -> ReadBack:
            return ReadBack(state="gone", detail=f"HTTP 404 for /bot{secret}/x", url=f"https://x.example/?t={secret}")

    found = await ScrubbedAdapter.wrap(Echoing(), Scrubber([secret])).read_back(Receipt(remote_id="1"), "k")  # type: ignore[arg-type]
    assert found.state == "gone"
    assert secret not in found.detail
    assert secret not in (found.url or "")
