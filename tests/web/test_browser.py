"""End to end in a real headless Chromium (Debian's, driven by Playwright; no browser download).

The console is served the way `publisher run` serves it: inside the daemon, on its event loop, here in a thread of
its own. An editor composes a post whose microblog text is too long (the counter turns red, the server refuses it
too), shortens it and submits it; an approver (who reads the console in Chinese) approves it; the daemon sends it to
the stand-in channels (outbox folders) and the post page shows it sent. Screenshots of each step are saved under
the test's folder; with PUBLISHER_UPDATE_SCREENSHOTS=1 the queue, compose and calendar ones are also copied to
docs/screenshots/ for the README.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from publisher.clock import SystemClock
from publisher.config import DaemonSettings, Settings
from publisher.daemon import Daemon
from publisher.queue import PostDraft, Queue
from publisher.store import Store
from publisher.web.accounts import Accounts
from tests.web.conftest import PASSWORD, web_settings

pytestmark = pytest.mark.external_service

CHROMIUM = os.environ.get("PUBLISHER_TEST_CHROMIUM", "/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
TOO_LONG = "大一班的孩子们当起了小老师，给爸爸妈妈讲绘本《猜猜我有多爱你》。" * 5
SHORT = "大一班的孩子们当起了小老师，给爸爸妈妈讲绘本。"


def _chromium() -> str:
    if not Path(CHROMIUM).exists():
        reason = f"no Chromium at {CHROMIUM}: install Debian's `chromium` (tests/integration/chromium.sh start)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return CHROMIUM


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def served(tmp_path: Path, store: Store) -> Iterator[str]:
    """The daemon with its console, on a thread; yields the console's address."""
    port = _free_port()
    settings = dataclasses.replace(web_settings(tmp_path, port=port), daemon=DaemonSettings(poll_interval=0.3))
    clock = SystemClock()
    store.sync_channels({n: c.kind for n, c in settings.channels.items()}, clock.now())
    accounts = Accounts(store, clock)
    accounts.add_user("eve", PASSWORD, "editor", language="en", actor="setup")
    accounts.add_user("园长", PASSWORD, "approver", language="zh", actor="setup")
    _sample_posts(settings, store, clock)
    daemon = Daemon(settings, store, clock)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete, args=(daemon.run(handle_signals=False),), daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            httpx.get(url + "/login", timeout=1)
            break
        except httpx.TransportError:
            time.sleep(0.05)
    try:
        yield url
    finally:
        loop.call_soon_threadsafe(daemon.stop)
        thread.join(30)
        loop.close()


def _sample_posts(settings: Settings, store: Store, clock: SystemClock) -> None:
    """A few posts around this week, so the queue and the calendar look like a team's."""
    queue = Queue(
        store, settings.build_adapters(httpx.AsyncClient(), {}), clock, timezone="Asia/Shanghai", actor="王老师"
    )
    queue.add_campaign("书香润童心阅读月", timezone="Asia/Shanghai", requires_approval=True)
    queue.add_campaign("校园动态", timezone="Asia/Shanghai")
    zone = ZoneInfo("Asia/Shanghai")
    today = datetime.now(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    queue.add_post(
        PostDraft(
            title="图书漂流活动回顾",
            body="上周的图书漂流活动圆满结束。",
            channels=["website", "weibo"],
            now=True,
            campaign="校园动态",
        )
    )
    queue.add_post(
        PostDraft(
            title="家长开放日通知",
            body="本周五上午九点，欢迎家长来园参观。",
            channels=["parents"],
            at=today + timedelta(days=1, hours=8),
            campaign="校园动态",
        )
    )
    queue.add_post(
        PostDraft(
            title="每周园所动态",
            body="本周孩子们学习了二十四节气。",
            channels=["website", "weibo"],
            at=today + timedelta(days=2, hours=16),
            campaign="校园动态",
        )
    )


def _shot(page: Any, folder: Path, name: str, docs: str | None = None) -> None:
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if docs and os.environ.get("PUBLISHER_UPDATE_SCREENSHOTS") == "1":
        DOCS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS / f"{docs}.png")


def _sign_in(page: Any, url: str, name: str) -> None:
    page.goto(url + "/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/login'] button")
    page.wait_for_url(url + "/queue")


def test_compose_approve_and_watch_it_go_out(served: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    executable = _chromium()
    shots = tmp_path / "screenshots"
    shots.mkdir()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1360, "height": 900}, locale="en-US")
            page.goto(served + "/queue")
            expect(page).to_have_url(served + "/login?next=/queue")
            _shot(page, shots, "01-sign-in")

            # the editor composes: the microblog's text is too long
            _sign_in(page, served, "eve")
            page.goto(served + "/posts/new")
            page.select_option("#campaign", "书香润童心阅读月")
            page.fill("#title", "亲子共读半小时")
            page.fill("#body", TOO_LONG)
            page.check("input[name=channels][value=website]")
            page.check("input[name=channels][value=weibo]")
            page.check("#asap")
            weibo_counter = page.locator("[data-counter=weibo]")
            expect(weibo_counter).to_have_class("counter over")
            expect(page.locator("#submit")).to_be_disabled()
            page.click("#tab-weibo")
            _shot(page, shots, "02-compose-too-long", docs="compose")
            page.evaluate("document.getElementById('compose').requestSubmit()")  # past the disabled button
            expect(page.locator("#compose-error")).to_contain_text("weibo: the text is")
            _shot(page, shots, "03-refused-by-the-server")

            # shortened, it fits and goes in
            page.fill("#body", SHORT)
            expect(page.locator("[data-counter=weibo]")).to_have_class("counter")
            expect(page.locator("#submit")).to_be_enabled()
            page.click("#submit")
            expect(page.locator("h1")).to_contain_text("亲子共读半小时")
            expect(page.locator(".decision")).to_contain_text("Waiting for approval")
            post_url = page.url
            _shot(page, shots, "04-submitted")
            page.goto(served + "/queue")
            expect(page.locator("table.posts")).to_contain_text("亲子共读半小时")
            _shot(page, shots, "05-queue", docs="queue")
            page.goto(served + "/calendar")
            expect(page.locator("#calendar")).to_be_visible()
            _shot(page, shots, "06-calendar", docs="calendar")
            page.click("form[action='/logout'] button")

            # the approver, in Chinese, approves with a comment
            _sign_in(page, served, "园长")
            page.goto(served + "/approvals")
            expect(page.locator("h1")).to_have_text("审批")
            page.click("text=亲子共读半小时")
            page.fill("#approve-note", "同意发布")
            page.click("#approve")
            expect(page.locator(".flash")).to_contain_text("已批准")
            expect(page.locator("table.history")).to_contain_text("同意发布")
            _shot(page, shots, "07-approved")

            # the daemon sends it to the stand-in channels; the post page shows it sent
            page.goto(post_url)
            for _ in range(60):
                states = page.locator("td.delivery-state").all_inner_texts()
                if states and all(s.strip() == "已发送" for s in states):
                    break
                time.sleep(0.25)
                page.reload()
            assert [s.strip() for s in page.locator("td.delivery-state").all_inner_texts()] == ["已发送", "已发送"]
            _shot(page, shots, "08-sent")
        finally:
            browser.close()
    sent = list((tmp_path / "out" / "weibo").glob("*.md"))
    assert any(SHORT in path.read_text(encoding="utf-8") for path in sent)
    assert len(list(shots.glob("*.png"))) == 8
