"""Untrusted strings (post titles and bodies, campaign and user names, links from platforms, error messages) are
escaped everywhere, Markdown goes through the sanitiser, and no secret is ever rendered."""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta
from typing import Any

import pytest

from publisher.clock import ManualClock
from publisher.config import ChannelSettings
from publisher.models import DeliveryState
from publisher.queue import PostDraft
from publisher.store import Outcome
from publisher.web.accounts import UserView
from publisher.web.app import create_app
from publisher.web.console import Console
from publisher.web.markup import markdown, web_url
from tests.web.conftest import Visitor

SCRIPT = "<script>alert(1)</script>"
#: markup that would run: an event handler inside a tag, or a javascript: link
ACTIVE = re.compile(r"<[a-z][^<>]*\b(on[a-z]+|href|src)\s*=\s*[\"']?\s*(javascript:|[^\s>]*alert)", re.IGNORECASE)
BODY = 'Hello <img src=x onerror="alert(2)"> [click](javascript:alert(3)) <a href="javascript:alert(4)">x</a>'


def test_markdown_is_sanitised() -> None:
    html = str(markdown(BODY + "\n\n**bold** [ok](https://example.org)"))
    assert not ACTIVE.search(html)
    assert "<script" not in html
    assert "&lt;img src=x" in html  # shown as the text it is
    assert "<strong>bold</strong>" in html
    assert 'href="https://example.org"' in html
    assert 'rel="noopener noreferrer nofollow"' in html


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://weibo.com/1/2", "https://weibo.com/1/2"),
        ("http://example.org", "http://example.org"),
        ("javascript:alert(1)", None),
        ("JavaScript:alert(1)", None),
        ("file:///tmp/x.json", None),
        ("data:text/html,x", None),
        ("", None),
        (None, None),
    ],
)
def test_only_web_links_are_followed(url: str | None, shown: str | None) -> None:
    assert web_url(url) == shown


async def test_every_page_escapes_untrusted_text(
    visitors: Any, console: Console, people: dict[str, UserView], clock: ManualClock
) -> None:
    queue = console.queue("setup")
    queue.add_campaign(f"活动{SCRIPT}", timezone="Asia/Shanghai", requires_approval=True)
    post_id = queue.add_post(
        PostDraft(title=f"标题{SCRIPT}", body=BODY, channels=["website"], now=True, campaign=f"活动{SCRIPT}")
    )
    console.queue("园长").approve(post_id)  # someone other than who queued it: the campaign requires two people
    claims = console.store.claim_due(clock.now(), "w", timedelta(minutes=5), {"website": 5})
    console.store.record(
        [
            Outcome(
                c.delivery_id,
                c.post_id,
                "website",
                DeliveryState.SENT,
                remote_url="javascript:alert(5)",
                reason=SCRIPT,
            )
            for c in claims
        ],
        "w",
        clock.now(),
    )
    console.store.set_paused("website", True, f"error {SCRIPT}", clock.now(), "daemon")
    console.accounts.add_user(f"<i>{SCRIPT}</i>", "long enough pass", "editor", actor="setup")
    admin: Visitor = await visitors("ada")
    pages = [
        "/queue",
        f"/posts/{post_id}",
        "/approvals",
        "/calendar?date=2026-12-01",
        "/calendar?view=month&date=2026-12-01",
        "/channels",
        "/users",
        "/uncertain",
    ]
    for path in pages:
        text = (await admin.get(path)).text
        assert SCRIPT not in text, path
        assert not ACTIVE.search(text), path
    post_page = (await admin.get(f"/posts/{post_id}")).text
    assert "标题&lt;script&gt;alert(1)&lt;/script&gt;" in post_page
    queued = await admin.post("/posts/new", {"title": SCRIPT, "body": BODY, "channels": "weibo", "action": "preview"})
    assert SCRIPT not in queued.text
    assert not ACTIVE.search(queued.text)


async def test_no_secret_is_ever_rendered(
    visitors: Any, console: Console, people: dict[str, UserView], monkeypatch: pytest.MonkeyPatch, clock: ManualClock
) -> None:
    secret = "hook-secret-7Gq2x9"
    monkeypatch.setenv("PARENTS_HOOK_SECRET", secret)
    hook = ChannelSettings(
        name="hook",
        kind="webhook",
        options={"url": "https://example.org/hook", "secret_env": "PARENTS_HOOK_SECRET"},
    )
    settings = dataclasses.replace(console.settings, channels={**console.settings.channels, "hook": hook})
    console.store.sync_channels({"hook": "webhook"}, clock.now())
    with_hook = Console.build(settings, console.store, clock, accounts=console.accounts)
    post_id = with_hook.queue("x").add_post(PostDraft(title="t", body="b", channels=["hook"], now=True))
    claims = console.store.claim_due(clock.now(), "w", timedelta(minutes=5), {"hook": 5})
    leak = f"HTTP 401: bad signature for secret {secret}"
    console.store.record(
        [Outcome(c.delivery_id, c.post_id, "hook", DeliveryState.UNCERTAIN, reason=leak) for c in claims],
        "w",
        clock.now(),
    )
    browser = Visitor(create_app(with_hook, "k" * 40))
    async with browser.http:
        await browser.sign_in("ada")
        for path in ("/channels", f"/posts/{post_id}", "/uncertain", "/queue"):
            text = (await browser.get(path)).text
            assert secret not in text, path
        assert "bad signature for secret [redacted]" in (await browser.get("/channels")).text
        api = await browser.http.get(f"/api/posts/{post_id}", headers={"Authorization": "Bearer nope"})
        assert api.status_code == 401
        _, token = console.accounts.create_token(people["admin"].id, "t", actor="x")
        api = await browser.http.get(f"/api/posts/{post_id}", headers={"Authorization": f"Bearer {token}"})
        assert secret not in api.text
        assert "[redacted]" in api.text
