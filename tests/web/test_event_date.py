"""A post's event date (``event_at``, SMS templates' ``event_date``) through the API and the compose page, shown in
the campaign's zone. The templates themselves: tests/adapters/test_sms_event_date.py."""

from __future__ import annotations

from typing import Any

from publisher.store import PostFilter, list_deliveries
from publisher.web.accounts import UserView
from publisher.web.console import Console


async def test_the_api_takes_event_at_in_the_campaigns_zone(
    visitors: Any, console: Console, people: dict[str, UserView]
) -> None:
    console.queue("setup").add_campaign("开学", timezone="Asia/Shanghai")
    token = console.accounts.create_token(people["editor"].id, "tool", actor="setup")[1]
    http = (await visitors()).http
    headers = {"Authorization": f"Bearer {token}"}
    body = {"title": "开学典礼", "body": "b", "channels": ["website"], "now": True, "campaign": "开学"}
    queued = await http.post("/api/posts", json={**body, "event_at": "2026-09-01 09:00"}, headers=headers)
    assert queued.status_code == 201, queued.text
    shown = (await http.get(f"/api/posts/{queued.json()['id']}", headers=headers)).json()
    assert shown["event_at"] == "2026-09-01T01:00:00+00:00"
    assert shown["event_local"] == "2026-09-01 09:00 CST"
    plain = (await http.post("/api/posts", json=body, headers=headers)).json()["id"]
    assert (await http.get(f"/api/posts/{plain}", headers=headers)).json()["event_at"] is None
    unreadable = await http.post("/api/posts", json={**body, "event_at": "next week"}, headers=headers)
    assert unreadable.status_code == 422


async def test_the_compose_page_takes_the_event_date_and_the_post_page_shows_it(
    visitors: Any, console: Console, people: dict[str, UserView]
) -> None:
    editor = await visitors("eve")
    assert 'name="event_at"' in (await editor.get("/posts/new")).text
    form = {"title": "开学典礼", "body": "b", "channels": "website", "asap": "1", "event_at": "2026-09-01T09:00"}
    sent = await editor.post("/posts/new", {**form, "action": "submit"})
    assert sent.status_code == 303, sent.text
    [(post, _)] = list_deliveries(console.store, PostFilter())
    assert post.event_at is not None
    assert post.event_at.isoformat() == "2026-09-01T01:00:00+00:00"
    page = await editor.get(f"/posts/{post.id}")
    assert "Event date: 2026-09-01 09:00 CST" in " ".join(page.text.split())
    edit = await editor.get(f"/posts/{post.id}/edit")
    assert 'name="event_at" value="2026-09-01T09:00"' in edit.text
