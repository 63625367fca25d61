"""The console over HTTP in-process (httpx's ASGI transport): a real SQLite file, an injected clock, cheap argon2
parameters (the real ones take 50 ms a hash on purpose), and one person of each role."""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from sqlalchemy import insert, select, update
from starlette.applications import Starlette
from starlette.routing import Route

from publisher.clock import ManualClock
from publisher.config import ChannelSettings, DaemonSettings, Settings, WebSettings
from publisher.guard import OutboundPolicy
from publisher.models import Event
from publisher.queue import PostDraft
from publisher.store import Store
from publisher.store.articles import FetchedPage, save_pages
from publisher.tracker.coverage import CoverageFilter, CoverageRow, add_manual, list_coverage
from publisher.tracker.models import CoverageItem, FeedEntry
from publisher.tracker.outlets import OutletSpec, add_outlet
from publisher.tracker.settings import TrackerSettings
from publisher.web.accounts import Accounts, UserView
from publisher.web.app import create_app
from publisher.web.console import Console
from publisher.web.passwords import Passwords
from tests.fakes.images import png

PASSWORD = "correct horse battery"
CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
FAST = TrackerSettings(connect_timeout=2, read_timeout=1, total_timeout=3)  # for passes against loopback feeds
LOOPBACK = OutboundPolicy(allow=("127.0.0.0/8",))  # the stand-in feed servers listen on 127.0.0.1
_META_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


def web_settings(tmp_path: Path, **web: Any) -> Settings:
    """A website, a microblog with a 140-character limit, and a parents' group that is quiet at night."""

    def outbox(name: str, **extra: Any) -> ChannelSettings:
        options: dict[str, Any] = {"folder": str(tmp_path / "out" / name)}
        if "max_length" in extra:
            options["max_length"] = extra.pop("max_length")
        return ChannelSettings(name=name, kind="outbox", options=options, **extra)

    channels = {
        "website": outbox("website"),
        "weibo": outbox("weibo", max_length=140),
        "parents": outbox("parents", quiet_hours=("21:00-07:30",), posting_windows=("07:30-21:00",)),
    }
    return Settings(
        source="test",
        database_url=f"sqlite:///{tmp_path / 'publisher.db'}",
        timezone="Asia/Shanghai",
        daemon=DaemonSettings(),
        channels=channels,
        web=WebSettings(language="en", **web),
        outbound=LOOPBACK,
    )


@pytest.fixture
def console(tmp_path: Path, store: Store, clock: ManualClock) -> Console:
    settings = web_settings(tmp_path)
    store.sync_channels({n: c.kind for n, c in settings.channels.items()}, clock.now())
    return Console.build(settings, store, clock, accounts=Accounts(store, clock, Passwords(CHEAP)))


@pytest.fixture
def app(console: Console) -> Starlette:
    return create_app(console, "test-signing-key-" + "x" * 32)


@pytest.fixture
def people(console: Console) -> dict[str, UserView]:
    accounts = console.accounts
    return {
        "editor": accounts.add_user("eve", PASSWORD, "editor", actor="setup"),
        "approver": accounts.add_user("园长", PASSWORD, "approver", actor="setup"),
        "admin": accounts.add_user("ada", PASSWORD, "admin", actor="setup"),
    }


class Visitor:
    """One browser: an httpx client with its own cookie jar, talking to the app in-process."""

    def __init__(self, app: Starlette) -> None:
        self.http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=("198.51.100.7", 5000)), base_url="http://testserver"
        )
        self.token = ""

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        response = await self.http.get(path, **kwargs)
        found = _META_CSRF.search(response.text)
        if found:
            self.token = found.group(1)
        return response

    async def post(
        self, path: str, data: dict[str, Any] | None = None, *, csrf: bool = True, **kw: Any
    ) -> httpx.Response:
        if not self.token:
            await self.get("/login")
        form = dict(data or {})
        if csrf:
            form.setdefault("csrf_token", self.token)
        return await self.http.post(path, data=form, **kw)

    async def fetch(self, path: str, data: dict[str, Any]) -> httpx.Response:
        """As the page's script posts: the token in a header, JSON back."""
        headers = {"X-CSRF-Token": self.token, "X-Requested-With": "fetch"}
        return await self.http.post(path, data=data, headers=headers)

    async def sign_in(self, name: str, password: str = PASSWORD) -> httpx.Response:
        await self.get("/login")
        response = await self.post("/login", {"name": name, "password": password, "next": "/queue"})
        await self.get("/queue")  # the session's new CSRF token
        return response


@pytest.fixture
async def visitors(app: Starlette) -> AsyncIterator[Any]:
    """``await visitors("eve")``: a new browser signed in as that person (``visitors()``: anonymous)."""
    made: list[Visitor] = []

    async def make(name: str | None = None) -> Visitor:
        browser = Visitor(app)
        made.append(browser)
        if name is not None:
            response = await browser.sign_in(name)
            assert response.status_code == 303, response.text
        return browser

    yield make
    for browser in made:
        await browser.http.aclose()


def routes(app: Starlette) -> list[tuple[str, str, Any]]:
    """(method, path template, endpoint) for every route of the app (static files aside)."""
    found = []
    for route in app.routes:
        if isinstance(route, Route):
            for method in sorted((route.methods or {"GET"}) - {"HEAD"}):
                found.append((method, route.path, route.endpoint))
    return found


LIBRARY_PHOTO = png(12, 8)
LIBRARY_PHOTO_SHA256 = hashlib.sha256(LIBRARY_PHOTO).hexdigest()


def concrete(path: str, ids: dict[str, int]) -> str:
    return (
        path.replace("{post_id:int}", str(ids["post"]))
        .replace("{name}", "weibo")
        .replace("{user_id:int}", str(ids["user"]))
        .replace("{token_id:int}", str(ids["token"]))
        .replace("{item_id:int}", str(ids["item"]))
        .replace("{sha256}", LIBRARY_PHOTO_SHA256)
        .replace("{delivery_id:int}", "1")
    )


@pytest.fixture
def ids(console: Console, people: dict[str, UserView]) -> dict[str, int]:
    queue = console.queue("setup")
    queue.add_campaign("阅读月", timezone="Asia/Shanghai", requires_approval=True)
    post = queue.add_post(
        PostDraft(title="亲子共读", body="本周三下午", channels=["weibo"], now=True, campaign="阅读月")
    )
    token, _ = console.accounts.create_token(people["editor"].id, "bot", actor="setup")
    add_outlet(console.store, OutletSpec(name="晚报", kind="paper", tier="city"), FAST, console.clock.now(), "setup")
    item = add_manual(
        console.store,
        campaign="阅读月",
        outlet="晚报",
        title="孩子们的读书节",
        published_at=console.clock.now(),
        url=None,
        note="第3版",
        now=console.clock.now(),
        actor="setup",
    )
    keep_page(console, item)  # so that its evidence page has something to show
    keep_picture(console)  # and its picture
    # the media library has a photo (and so a thumbnail)
    console.media.put(LIBRARY_PHOTO, "升旗.png", "setup", alt="升旗仪式")
    return {"post": post, "user": people["editor"].id, "token": token.id, "item": item}


CAMPAIGN = "阅读月"
SHANGHAI = "Asia/Shanghai"

PAGE = (
    "<html><body><h1>亲子共读进社区</h1><p>阳光幼儿园的孩子们和家长一起走进社区图书室。</p>"
    "<script>document.title = 'owned'</script></body></html>"
).encode()
FETCHED = datetime(2026, 11, 30, 17, 30, tzinfo=UTC)  # 01:30 on 12-01 in Shanghai


def keep_picture(console: Console) -> None:
    """A picture of the page ``keep_page`` kept, as the tracker's Chromium would have drawn it."""
    import io

    from PIL import Image

    from publisher.store.articles import keep_screenshot

    drawn = io.BytesIO()
    Image.new("RGB", (64, 32), "white").save(drawn, "PNG")
    with console.store.session() as session:
        keep_screenshot(session, "l2", drawn.getvalue(), console.clock.now())


def keep_page(console: Console, item_id: int) -> None:
    """The item found in an entry whose article page the tracker fetched and kept."""
    with console.store.session() as session:
        outlet = session.scalar(select(CoverageItem.outlet_id).where(CoverageItem.id == item_id))
        entry = session.execute(
            insert(FeedEntry)
            .values(
                outlet_id=outlet,
                link="https://daily.example/2",
                link_hash="l2",
                title="亲子共读进社区",
                summary="",
                body="",
                fetched_at=FETCHED,
            )
            .returning(FeedEntry.id)
        ).scalar_one()
        page = FetchedPage(
            "l2",
            "https://daily.example/2",
            200,
            body=PAGE,
            text="亲子共读进社区\n阳光幼儿园的孩子们和家长一起走进社区图书室。",
            sha256=hashlib.sha256(PAGE).hexdigest(),
        )
        save_pages(session, [page], FETCHED)
        session.execute(update(CoverageItem).where(CoverageItem.id == item_id).values(entry_id=entry))


def events(console: Console, action: str) -> list[Event]:
    with console.store.sessions() as session:
        return list(session.scalars(select(Event).where(Event.action == action).order_by(Event.id)))


def coverage(console: Console) -> list[CoverageRow]:
    return list_coverage(console.store, CoverageFilter(campaign=CAMPAIGN))


@pytest.fixture
def reading_month(console: Console, people: dict[str, UserView], clock: ManualClock) -> dict[str, int]:
    """A campaign in Shanghai with two outlets and four items over three days (one late in the evening there)."""
    console.queue("setup").add_campaign(CAMPAIGN, timezone=SHANGHAI, starts_at=datetime(2026, 11, 29, tzinfo=UTC))
    now = clock.now()
    add_outlet(
        console.store, OutletSpec(name="城市日报", kind="news_site", tier="city", region="杭州市"), FAST, now, "t"
    )
    add_outlet(console.store, OutletSpec(name="晚报", kind="paper", tier="province"), FAST, now, "t")
    made = {}
    for key, outlet, title, published, url in [
        (
            "first",
            "城市日报",
            "阳光幼儿园启动阅读月",
            datetime(2026, 11, 29, 2, 0, tzinfo=UTC),
            "http://daily.example/1",
        ),
        ("evening", "城市日报", "亲子共读进社区", datetime(2026, 11, 30, 17, 0, tzinfo=UTC), "https://daily.example/2"),
        ("paper", "晚报", "孩子们的读书节", datetime(2026, 12, 1, 1, 0, tzinfo=UTC), None),
        ("last", "城市日报", "阅读月闭幕", datetime(2026, 12, 1, 6, 0, tzinfo=UTC), "https://daily.example/4"),
    ]:
        made[key] = add_manual(
            console.store,
            campaign=CAMPAIGN,
            outlet=outlet,
            title=title,
            published_at=published,
            url=url,
            note="第3版" if outlet == "晚报" else None,
            now=now,
            actor="t",
        )
    return made
