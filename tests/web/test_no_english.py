"""The console in Chinese speaks Chinese: every page, rendered for a zh user with data in every state (posts in
every state, channels paused by a person and by the breaker, uncertain deliveries, coverage matched by keywords and
as a reprint, a newspaper item with its page), and the refusals of its forms, hold no English word outside an
allow-list of names, units and brands."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any

import pytest

from publisher.breaker import BREAKER
from publisher.clock import ManualClock
from publisher.models import DeliveryState
from publisher.queue import PostDraft
from publisher.store import Outcome
from publisher.tracker.coverage import add_manual
from publisher.web.accounts import UserView
from publisher.web.console import Console
from tests.reports.conftest import set_coverage
from tests.web.conftest import Visitor

#: names, units and brands a Chinese page may carry as they are; and the test's own data (people, channels, zone)
ALLOWED = {
    "WordPress", "Weibo", "RSS", "URL", "API", "CSV", "XLSX", "JSON", "HTML", "QQ", "SMS", "UTF", "CST", "UTC",
    "Markdown", "OpenAPI", "Bearer", "Excel", "ZIP", "PNG", "JPEG", "GIF", "WebP", "RSSHub", "ISO", "publisher",
    "English",  # a language's own name, on the switch
    "cron", "MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN",  # cron's own syntax, in its examples
    "eve", "ada", "bot", "setup", "website", "weibo", "parents", "outbox", "Asia", "Shanghai", "python", "httpx",
}  # fmt: skip
#: what no reader reads as words: scripts, styles, comments, and code (token prefixes, commands, references)
_HIDDEN = re.compile(r"<(script|style|template|code|pre)\b.*?</\1>|<!--.*?-->", re.S)
_TAG = re.compile(r"<[^>]*>")
_SHOWN_ATTRIBUTE = re.compile(r"""\b(?:title|placeholder|aria-label|alt)="([^"]*)\"""")
_URL = re.compile(r"(?:[a-z]+:/|/)[\w./?=&%:#-]+")
_WORD = re.compile(r"[A-Za-z]{3,}")


def shown_text(page: str) -> str:
    """What a reader sees: the text between tags and the attributes shown on hover, addresses left out."""
    page = _HIDDEN.sub(" ", page)
    shown = " ".join([_TAG.sub(" ", page), *_SHOWN_ATTRIBUTE.findall(page)])
    return _URL.sub(" ", html.unescape(shown))


def english_words(page: str) -> list[str]:
    """The words of 3+ Latin letters a reader sees, outside the allow-list."""
    return sorted({word for word in _WORD.findall(shown_text(page)) if word not in ALLOWED})


def in_context(page: str, words: list[str]) -> str:
    """Each word with the text around it, for a failure message that says where to look."""
    text = " ".join(shown_text(page).split())
    return "; ".join(f"{w}: …{text[max(0, text.find(w) - 30) : text.find(w) + 30]}…" for w in words)


@pytest.fixture
def everything(console: Console, ids: dict[str, int], clock: ManualClock) -> Any:
    """Posts in every state, channels paused by a person and by the breaker, uncertain deliveries, coverage matched
    by keywords and as a reprint (the ``ids`` fixture adds the post awaiting approval and 晚报's page 3)."""
    queue = console.queue("eve")
    store = console.store
    now = clock.now()
    posts = {}
    titles = {"sent": "已发", "failed": "失败", "uncertain": "待确认", "retry_wait": "重试", "claimed": "发送中",
              "cancelled": "取消", "rejected": "驳回"}  # fmt: skip
    for state, title in titles.items():
        campaign = "阅读月" if state == "rejected" else None
        later = state == "cancelled"  # not claimed before it is cancelled
        posts[state] = queue.add_post(
            PostDraft(title=f"稿件{title}", body="正文", channels=["website"], now=not later, campaign=campaign,
                      at=now + timedelta(days=2) if later else None)
        )  # fmt: skip
    posts["queued"] = queue.add_post(
        PostDraft(title="明天的稿件", body="正文", channels=["website"], at=now + timedelta(days=1))
    )
    claims = store.claim_due(now, "w", timedelta(minutes=5), {"website": 20})
    by_post = {c.post_id: c for c in claims}
    outcomes = []
    for state in ("sent", "failed", "uncertain", "retry_wait"):
        c = by_post[posts[state]]
        # the platform's own words are shown as they came: a Chinese platform's are Chinese
        outcomes.append(
            Outcome(c.delivery_id, c.post_id, "website", DeliveryState(state), reason="平台返回：服务繁忙",
                    remote_url="https://example.org/a/1" if state == "sent" else None,
                    due_at=now + timedelta(minutes=10) if state == "retry_wait" else None)
        )  # fmt: skip
    store.record(outcomes, "w", now)
    queue.cancel(posts["cancelled"])
    console.queue("园长").reject(posts["rejected"], "请补充照片")
    console.channels.pause("parents", "ada")
    store.open_circuit("weibo", BREAKER, now + timedelta(minutes=5), "连续失败 5 次", now, "daemon")
    found = {
        key: add_manual(store, campaign="阅读月", outlet="晚报", title=title, published_at=now - timedelta(hours=hours),
                        url=f"https://paper.example/{hours}", note=None, now=now, actor="setup")
        for key, title, hours in (("first", "阅读月启动", 30), ("evening", "亲子共读进社区", 20))
    }  # fmt: skip
    # as the tracker's rules write them
    set_coverage(store, found["first"], matched_by="keywords", matched_terms="keywords: 阅读月, 绘本")
    set_coverage(
        store,
        found["evening"],
        matched_by="keywords+similarity",
        matched_terms=f"keywords: 共读; reprint of post {ids['post']} (0.82)",
        post_id=ids["post"],
        reprint_group=found["first"],
    )
    return {"posts": posts, **ids}


@pytest.fixture
async def zh_admin(visitors: Any, console: Console, people: dict[str, UserView]) -> Visitor:
    console.accounts.set_language(people["admin"].id, "zh")
    browser: Visitor = await visitors("ada")
    return browser


def pages(made: dict[str, Any]) -> list[str]:
    posts = made["posts"]
    return [
        "/queue", *(f"/queue?state={s}" for s in DeliveryState), "/approvals", "/calendar",
        "/calendar?view=month", "/channels", "/uncertain", "/posts/new", f"/posts/{made['post']}/edit",
        f"/posts/{made['post']}", *(f"/posts/{p}" for p in posts.values()),
        "/coverage", "/coverage?campaign=阅读月", "/outlets", "/reports", "/schedules", "/campaigns", "/users",
        "/account", "/posts/999999", "/queue?from=某天",
    ]  # fmt: skip


async def test_every_page_in_chinese_has_no_english_word(zh_admin: Visitor, everything: Any) -> None:
    found = {}
    for path in pages(everything):
        page = await zh_admin.get(path)
        assert page.status_code in (200, 404, 422), (path, page.status_code)
        words = english_words(page.text)
        if words:
            found[path] = in_context(page.text, words)
    assert found == {}, "\n".join(f"{path}: {where}" for path, where in found.items())


async def test_who_paused_a_channel_is_said_in_chinese(zh_admin: Visitor, everything: Any) -> None:
    page = (await zh_admin.get("/channels")).text
    assert "连续失败后自动暂停" in page[page.index('data-channel="weibo"') :][:3000]
    assert "由 ada 暂停" in page[page.index('data-channel="parents"') :][:3000]


async def test_the_sign_in_page_in_chinese(visitors: Any) -> None:
    browser: Visitor = await visitors()
    page = await browser.get("/login", headers={"Accept-Language": "zh-CN"})
    words = english_words(page.text)
    assert not words, words
    refused = await browser.post("/login", {"name": "nobody", "password": "wrong password", "next": "/queue"},
                                 headers={"Accept-Language": "zh-CN"})  # fmt: skip
    words = english_words(refused.text)
    assert not words, words


async def test_refusals_in_chinese_name_no_cli_flag(zh_admin: Visitor, everything: Any) -> None:
    """What a form refuses is said in Chinese, without the CLI's flags."""
    no_channel = await zh_admin.post("/posts/new", {"title": "通知", "body": "正文", "action": "submit"})
    assert no_channel.status_code == 422
    assert "--" not in _TAG.sub(" ", _HIDDEN.sub(" ", no_channel.text)).replace("-->", "")
    words = english_words(no_channel.text)
    assert not words, words
    past = await zh_admin.fetch(
        f"/posts/{everything['post']}/reschedule", {"at": "2020-01-01 10:00", "channel": "weibo"}
    )
    assert past.status_code == 422
    assert english_words(past.json()["error"]) == []


async def test_core_refusals_reached_through_the_console_are_said_in_chinese(
    zh_admin: Visitor, everything: Any
) -> None:
    """The queue's and the scheduler's refusals, once finished English sentences, reach a zh reader in Chinese."""
    posts = everything["posts"]
    refused = {
        "cancel twice": await zh_admin.fetch(f"/posts/{posts['cancelled']}/cancel", {}),
        "nothing failed": await zh_admin.fetch(f"/posts/{posts['queued']}/retry", {}),
        "no reason": await zh_admin.fetch(f"/posts/{everything['post']}/reject", {"reason": " "}),
        "not pending": await zh_admin.fetch(f"/posts/{posts['sent']}/approve", {}),
        "bad cron": await zh_admin.fetch(
            "/schedules/add",
            {
                "name": "周报",
                "cron": "0 16 *",
                "timezone": "Asia/Shanghai",
                "post_title": "周报",
                "body": "正文",
                "channels": "website",
            },
        ),
    }
    said = {why: response.json()["error"] for why, response in refused.items()}
    assert all(response.status_code == 422 for response in refused.values()), said
    assert {why: english_words(error) for why, error in said.items()} == {why: [] for why in said}
    assert said["cancel twice"] == f"稿件 {posts['cancelled']} 已取消"
    assert "--" not in said["no reason"]
    assert said["not pending"] == f"稿件 {posts['sent']} 不在等待审批（无需审批）"
    too_long = await zh_admin.post(
        "/posts/new", {"title": "长" * 201, "body": "正文", "channels": "website", "now": "1", "action": "submit"}
    )
    assert too_long.status_code == 422
    assert "标题长 201 个字符" in too_long.text
    assert english_words(too_long.text) == []
