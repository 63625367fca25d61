"""The console's webhooks page (admins): add one and see its secret once, the delivery log with a "resend" button
that queues the event again, pause reasons and "resume"; in Chinese as well."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest

from publisher.config import WebhookSettings
from publisher.queue import PostDraft
from publisher.services.webhooks import Webhooks
from publisher.store.webhooks import set_subscriber
from publisher.web.console import Console
from publisher.web.models import Role
from tests.web.conftest import PASSWORD

KEY = "a-long-random-key-for-the-console-tests"


@pytest.fixture
def hooked(console: Console, monkeypatch: pytest.MonkeyPatch) -> Console:
    monkeypatch.setenv("PUBLISHER_WEBHOOK_KEY", KEY)
    settings = dataclasses.replace(console.settings, webhooks=WebhookSettings(secret_key_env="PUBLISHER_WEBHOOK_KEY"))
    object.__setattr__(console, "settings", settings)  # the page builds its service from the console's settings
    return console


async def test_an_admin_adds_a_webhook_sees_its_secret_once_and_resends_from_the_log(
    visitors: Any, hooked: Console, people: dict[str, Any]
) -> None:
    admin = await visitors("ada")
    form = {"name": "oa", "url": "https://oa.example.edu.cn/hook", "event": ["post.created", "delivery.sent"]}
    added = await admin.post("/webhooks/add", form)
    page = await admin.get("/webhooks")
    secret = re.search(r"whsec_[A-Za-z0-9+/=]+", page.text)
    assert added.status_code == 303
    assert secret is not None  # in the flash message, this once
    assert "post created" in page.text
    assert "delivery sent" in page.text
    again = await admin.get("/webhooks")
    assert "whsec_" not in again.text

    hooked.queue("eve").add_post(PostDraft(title="开学典礼", body="b", channels=["website"], now=True))
    page = await admin.get("/webhooks")
    (row_id,) = re.findall(r'<tr data-delivery="(\d+)">', page.text)
    service = Webhooks(hooked.settings, hooked.store, hooked.clock)
    resent = await admin.post(f"/webhooks/log/{row_id}/resend")
    after = await admin.get("/webhooks")
    assert resent.status_code == 303
    assert f"Event {row_id} will be sent again now." in after.text
    assert [line.state for line in service.log()] == ["queued"]

    switched = await admin.post("/webhooks/oa/active", {"active": "0"})
    assert switched.status_code == 303
    assert service.subscribers()[0].active is False
    bad = await admin.post("/webhooks/add", {"name": "x", "url": "ftp://nowhere", "event": ["post.created"]})
    refused = await admin.get("/webhooks")
    assert bad.status_code == 303
    assert "is not an address to send to: give an http(s) URL" in refused.text


async def test_the_page_in_chinese_and_a_paused_webhook_can_be_resumed(
    visitors: Any, hooked: Console, people: dict[str, Any]
) -> None:
    hooked.accounts.add_user("管理员", PASSWORD, Role.ADMIN.value, language="zh", actor="setup")
    service = Webhooks(hooked.settings, hooked.store, hooked.clock)
    service.add("oa", "https://oa.example.edu.cn/hook", ["post.approved"], "setup")
    (row,) = service.subscribers()
    with hooked.store.session() as session:
        set_subscriber(session, row.id, paused_at=hooked.clock.now(), paused_reason="20 failed sends in a row")
    admin = await visitors("管理员")
    admin_page = await admin.get("/webhooks")
    assert "事件推送" in admin_page.text
    assert "稿件已批准" in admin_page.text
    assert "20 failed sends in a row" in admin_page.text
    resumed = await admin.post("/webhooks/oa/resume")
    after = await admin.get("/webhooks")
    assert resumed.status_code == 303
    assert "事件推送 oa 已恢复" in after.text
    assert service.subscribers()[0].paused_at is None
