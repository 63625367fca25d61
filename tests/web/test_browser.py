"""End to end in a real headless Chromium (Debian's, driven by Playwright; no browser download).

The console is served the way `publisher run` serves it: inside the daemon, on its event loop, here in a thread of
its own. An editor composes a post whose microblog text is too long (the counter turns red, the server refuses it
too), shortens it and submits it; an approver (who reads the console in Chinese) approves it; the daemon sends it to
the stand-in channels (outbox folders) and the post page shows it sent. Then one tracker pass reads two outlets'
feeds from a loopback feed server: their reports of the campaign (one reprints the post just sent) appear on the
coverage dashboard, an editor adds one found in print, and downloads the campaign's XLSX report, which openpyxl
reads back. Screenshots of each step are saved under the test's folder; with PUBLISHER_UPDATE_SCREENSHOTS=1 the
queue, compose, calendar and coverage ones are also copied to docs/screenshots/ for the manual.
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
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import httpx
import openpyxl
import pytest

from publisher.clock import SystemClock
from publisher.config import DaemonSettings, Settings
from publisher.daemon import Daemon
from publisher.queue import PostDraft, Queue
from publisher.store import Store
from publisher.tracker.coverage import set_rules
from publisher.tracker.outlets import OutletSpec, add_outlet
from publisher.tracker.service import Tracker
from publisher.tracker.settings import TrackerSettings
from publisher.web.accounts import Accounts
from tests.fakes.feeds import FeedServer, Item, atom, rss
from tests.fakes.server import serve_in_thread
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
READING_MONTH = "书香润童心阅读月"
#: the daemon's own tracker job runs once at start (no outlets yet) and not again during the test: the test's pass
#: is the one that finds the coverage
TRACKER = TrackerSettings(check_interval=3600, connect_timeout=2, read_timeout=2, total_timeout=5)


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


@dataclasses.dataclass
class Served:
    url: str
    settings: Settings
    store: Store


@pytest.fixture
def served(tmp_path: Path, store: Store) -> Iterator[Served]:
    """The daemon with its console, on a thread."""
    port = _free_port()
    settings = dataclasses.replace(
        web_settings(tmp_path, port=port), daemon=DaemonSettings(poll_interval=0.3), tracker=TRACKER
    )
    clock = SystemClock()
    store.sync_channels({n: c.kind for n, c in settings.channels.items()}, clock.now())
    accounts = Accounts(store, clock)
    accounts.add_user("eve", PASSWORD, "editor", language="en", actor="setup")
    accounts.add_user("园长", PASSWORD, "approver", language="zh", actor="setup")
    _sample_posts(settings, store, clock)
    rules = {"any_of": ["阅读月", "亲子共读"], "all_of": [], "none_of": ["招聘"]}
    set_rules(store, READING_MONTH, **rules, now=clock.now(), actor="王老师")
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
        yield Served(url, settings, store)
    finally:
        loop.call_soon_threadsafe(daemon.stop)
        thread.join(30)
        loop.close()


def _sample_posts(settings: Settings, store: Store, clock: SystemClock) -> None:
    """A few posts around this week, so the queue and the calendar look like a team's."""
    queue = Queue(
        store, settings.build_adapters(httpx.AsyncClient(), {}), clock, timezone="Asia/Shanghai", actor="王老师"
    )
    queue.add_campaign(READING_MONTH, timezone="Asia/Shanghai", requires_approval=True)
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


def _feeds(server: FeedServer) -> None:
    """Two outlets' feeds: a city daily (one report, one reprint of our post, one unrelated item) and a province
    portal (a round-up), published over the last days."""
    now = datetime.now(ZoneInfo("UTC")).replace(microsecond=0)
    daily = [
        Item(
            "阳光幼儿园启动书香润童心阅读月",
            "阳光幼儿园日前启动阅读月活动，邀请家长走进课堂，开展亲子共读。",
            "https://daily.example/edu/2026/reading-month?utm_source=rss",
            "daily-1",
            now - timedelta(days=4),
        ),
        Item(
            "小老师讲绘本",
            f"亲子共读半小时：{SHORT}",  # a reprint of the post just sent
            "https://daily.example/edu/2026/little-teachers",
            "daily-2",
            now - timedelta(hours=2),
        ),
        Item("地铁五号线年底通车", "地铁五号线全线进入调试阶段。", "https://daily.example/city/metro", "daily-3", now),
    ]
    portal = [
        Item(
            "全省幼儿园阅读月活动综述",
            "各地幼儿园开展阅读月活动，亲子共读蔚然成风。",
            "https://edu.example/news/2026/round-up",
            "portal-1",
            now - timedelta(days=2),
        ),
    ]
    server.put("/daily.xml", rss(daily))
    server.put("/portal.xml", atom(portal), content_type="application/atom+xml")


def _track(served: Served, base: str) -> None:
    """The outlets, then one pass of the tracker (what `publisher track --once` runs)."""
    settings, store, clock = served.settings, served.store, SystemClock()
    for spec in (
        OutletSpec(name="城市日报", kind="news_site", tier="city", region="杭州市", feeds=[f"{base}/daily.xml"]),
        OutletSpec(name="省教育网", kind="portal", tier="province", feeds=[f"{base}/portal.xml"]),
        OutletSpec(name="晚报", kind="paper", tier="city"),
    ):
        add_outlet(store, spec, settings.tracker, clock.now(), "王老师")
    tracker = Tracker(settings.tracker, store, clock, timezone=settings.timezone, outbound=settings.outbound)
    with ThreadPoolExecutor(1) as thread:  # Playwright's sync API keeps an event loop running in this thread
        report = thread.submit(lambda: asyncio.run(tracker.run_once(force=True))).result(60)
    assert (report.sources, report.errors, report.coverage) == (2, [], 3), report.summary()


def test_compose_approve_and_watch_it_go_out(served: Served, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    executable = _chromium()
    url = served.url
    shots = tmp_path / "screenshots"
    shots.mkdir()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1360, "height": 900}, locale="en-US")
            page.goto(url + "/queue")
            expect(page).to_have_url(url + "/login?next=/queue")
            _shot(page, shots, "01-sign-in")

            # the editor composes: the microblog's text is too long
            _sign_in(page, url, "eve")
            page.goto(url + "/posts/new")
            page.select_option("#campaign", READING_MONTH)
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
            page.goto(url + "/queue")
            expect(page.locator("table.posts")).to_contain_text("亲子共读半小时")
            _shot(page, shots, "05-queue", docs="queue")
            page.goto(url + "/calendar")
            expect(page.locator("#calendar")).to_be_visible()
            _shot(page, shots, "06-calendar", docs="calendar")
            page.click("form[action='/logout'] button")

            # the approver, in Chinese, approves with a comment
            _sign_in(page, url, "园长")
            page.goto(url + "/approvals")
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
            page.click("form[action='/logout'] button")

            # nothing on the dashboard yet; one tracker pass over the outlets' feeds; the reports appear
            dashboard = f"{url}/coverage?campaign={quote(READING_MONTH)}"
            _sign_in(page, url, "eve")
            page.goto(dashboard)
            expect(page.locator("#coverage-items")).to_contain_text("No coverage yet.")
            feeds = FeedServer()
            _feeds(feeds)
            with serve_in_thread(feeds.app) as base:
                _track(served, base)
            page.reload()
            items = page.locator("#coverage-items")
            expect(items).to_contain_text("阳光幼儿园启动书香润童心阅读月")
            expect(items).to_contain_text("全省幼儿园阅读月活动综述")
            expect(items.locator("tr", has_text="小老师讲绘本")).to_contain_text("reprints post #")
            expect(items).not_to_contain_text("地铁五号线")
            expect(page.locator("#outlet-counts")).to_contain_text("城市日报")
            expect(page.locator("svg.chart rect.bar").first).to_be_attached()

            # a report found in print, added by hand
            page.select_option("#manual-outlet", "晚报")
            page.fill("#manual-title", "孩子们的读书节")
            page.fill("#manual-note", "第3版")
            page.click("#manual-add")
            expect(page.locator(".flash")).to_contain_text("Added coverage item")
            expect(items).to_contain_text("孩子们的读书节")
            expect(page.locator("#figures .figure b").first).to_have_text("4")
            _shot(page, shots, "09-coverage", docs="coverage")
            page.goto(url + "/outlets")
            expect(page.locator("#outlets")).to_contain_text(f"{base}/daily.xml")
            expect(page.locator("#outlets tr", has_text="daily.xml")).to_contain_text("healthy")
            _shot(page, shots, "10-outlets")

            # the campaign's report, as an Excel file
            page.goto(url + "/reports")
            page.select_option("#report-campaign", READING_MONTH)
            page.select_option("#report-format", "xlsx")
            page.select_option("#report-lang", "zh")
            _shot(page, shots, "11-reports")
            with page.expect_download() as waiting:
                page.click("#report-download")
            download = waiting.value
            assert download.suggested_filename.startswith(f"report-{READING_MONTH}-")
            assert download.suggested_filename.endswith(".xlsx")
            report = tmp_path / "report.xlsx"
            download.save_as(report)
        finally:
            browser.close()
    sent = list((tmp_path / "out" / "weibo").glob("*.md"))
    assert any(SHORT in path.read_text(encoding="utf-8") for path in sent)
    book = openpyxl.load_workbook(report, read_only=True)
    cells = {str(c) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for c in row}
    book.close()
    assert {"阳光幼儿园启动书香润童心阅读月", "小老师讲绘本", "全省幼儿园阅读月活动综述", "孩子们的读书节"} <= cells
    assert len(list(shots.glob("*.png"))) == 11


def test_photos_dropped_on_the_media_library_are_uploaded(served: Served) -> None:
    """The drop zone hands dropped files to the form, which uploads them: a real drag of files from the desktop
    cannot be scripted, so the test drops a DataTransfer holding two PNG files, as the browser would."""
    from playwright.sync_api import expect, sync_playwright

    executable = _chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1360, "height": 900}, locale="en-US")
            _sign_in(page, served.url, "eve")
            page.goto(served.url + "/media")
            expect(page.locator("h1")).to_have_text("Media library")
            page.evaluate(
                """async () => {
                    const canvas = document.createElement("canvas");
                    canvas.width = 40; canvas.height = 30;
                    const files = new DataTransfer();
                    for (const [name, colour] of [["red.png", "#d00"], ["blue.png", "#00d"]]) {
                        const context = canvas.getContext("2d");
                        context.fillStyle = colour; context.fillRect(0, 0, 40, 30);
                        const blob = await new Promise((done) => canvas.toBlob(done, "image/png"));
                        files.items.add(new File([blob], name, { type: "image/png" }));
                    }
                    const zone = document.getElementById("media-drop");
                    const how = { dataTransfer: files, bubbles: true, cancelable: true };
                    zone.dispatchEvent(new DragEvent("dragover", how));
                    zone.dispatchEvent(new DragEvent("drop", how));
                }"""
            )
            expect(page.locator("#media-items li")).to_have_count(2)
            expect(page.locator(".flash, .flashes")).to_contain_text("2 photos added to the media library.")
        finally:
            browser.close()
