"""The JSON API: bearer tokens per user and the queue's actions (its OpenAPI description: test_openapi.py)."""

from __future__ import annotations

from typing import Any

import pytest

from publisher.models import ApprovalState, DeliveryState
from publisher.store import post_history
from publisher.web.accounts import UserView
from publisher.web.console import Console
from tests.web.conftest import Visitor


@pytest.fixture
def tokens(console: Console, people: dict[str, UserView]) -> dict[str, str]:
    return {role: console.accounts.create_token(user.id, "tool", actor="setup")[1] for role, user in people.items()}


@pytest.fixture
async def http(visitors: Any) -> Any:
    browser: Visitor = await visitors()
    return browser.http


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_the_description_is_public_and_everything_else_needs_a_token(http: Any, tokens: dict[str, str]) -> None:
    spec = await http.get("/api/openapi.json")
    assert spec.status_code == 200
    assert spec.json()["openapi"].startswith("3.")
    assert (await http.get("/api/posts")).status_code == 401
    assert (await http.get("/api/posts", headers={"Authorization": "Bearer pub_wrong"})).status_code == 401
    assert (await http.get("/api/posts", headers={"Authorization": f"Basic {tokens['editor']}"})).status_code == 401
    me = await http.get("/api/me", headers=auth(tokens["approver"]))
    assert me.json() == {"name": "园长", "role": "approver", "language": None}


async def test_queue_list_show_approve_cancel_and_reschedule(
    http: Any, console: Console, tokens: dict[str, str]
) -> None:
    console.queue("setup").add_campaign("阅读月", timezone="Asia/Shanghai", requires_approval=True)
    body = {
        "title": "亲子共读",
        "body": "本周三",
        "channels": ["weibo"],
        "at": "2026-12-02 10:00",
        "campaign": "阅读月",
    }
    queued = await http.post("/api/posts", json=body, headers=auth(tokens["editor"]))
    assert queued.status_code == 201
    post_id = queued.json()["id"]
    listed = (await http.get("/api/posts?state=pending", headers=auth(tokens["editor"]))).json()["posts"]
    assert [(p["id"], p["approval"], p["deliveries"][0]["due_local"]) for p in listed] == [
        (post_id, "pending", "2026-12-02 10:00 CST")
    ]
    assert listed[0]["deliveries"][0]["due_at"] == "2026-12-02T02:00:00+00:00"
    refused = await http.post(f"/api/posts/{post_id}/approve", json={}, headers=auth(tokens["editor"]))
    assert refused.status_code == 403
    approved = await http.post(f"/api/posts/{post_id}/approve", json={"note": "同意"}, headers=auth(tokens["approver"]))
    assert approved.json() == {"id": post_id, "approval": "approved"}
    twice = await http.post(f"/api/posts/{post_id}/approve", json={}, headers=auth(tokens["approver"]))
    assert twice.status_code == 422
    assert "not waiting for approval" in twice.json()["error"]
    moved = await http.post(
        f"/api/posts/{post_id}/reschedule", json={"at": "2026-12-03 09:00"}, headers=auth(tokens["editor"])
    )
    assert moved.json() == {"id": post_id, "moved": 1}
    shown = (await http.get(f"/api/posts/{post_id}", headers=auth(tokens["editor"]))).json()
    assert shown["deliveries"][0]["due_local"] == "2026-12-03 09:00 CST"
    assert [h["action"] for h in shown["history"]] == ["post.add", "post.approve", "delivery.reschedule"]
    assert shown["history"][1]["actor"] == "园长"
    cancelled = await http.post(f"/api/posts/{post_id}/cancel", json={"reason": "延期"}, headers=auth(tokens["editor"]))
    assert cancelled.json() == {"id": post_id, "cancelled": 1}
    post, _ = post_history(console.store, post_id)
    assert post is not None
    assert post.deliveries[0].state == DeliveryState.CANCELLED


async def test_reject_needs_a_reason_and_refusals_say_why(http: Any, console: Console, tokens: dict[str, str]) -> None:
    console.queue("setup").add_campaign("阅读月", timezone="Asia/Shanghai", requires_approval=True)
    editor, approver = auth(tokens["editor"]), auth(tokens["approver"])
    post_id = (
        await http.post(
            "/api/posts",
            json={"title": "t", "body": "b", "channels": ["weibo"], "now": True, "campaign": "阅读月"},
            headers=editor,
        )
    ).json()["id"]
    assert (await http.post(f"/api/posts/{post_id}/reject", json={}, headers=approver)).status_code == 400
    rejected = await http.post(f"/api/posts/{post_id}/reject", json={"reason": "错别字"}, headers=approver)
    assert rejected.json()["approval"] == "rejected"
    post, _ = post_history(console.store, post_id)
    assert post is not None
    assert post.approval == ApprovalState.REJECTED
    too_long = await http.post(
        "/api/posts", json={"title": "t", "body": "长" * 200, "channels": ["weibo"], "now": True}, headers=editor
    )
    assert too_long.status_code == 422
    assert "weibo: the text is" in too_long.json()["error"]
    quiet = await http.post(
        "/api/posts",
        json={"title": "t", "body": "b", "channels": ["parents"], "at": "2026-12-02 23:00"},
        headers=editor,
    )
    assert quiet.status_code == 422
    assert "parents: in quiet hours 21:00-07:30" in quiet.json()["error"]
    allowed = await http.post(
        "/api/posts",
        json={"title": "t", "body": "b", "channels": ["parents"], "at": "2026-12-02 23:00", "allow_quiet_hours": True},
        headers=editor,
    )
    assert allowed.status_code == 201
    assert (await http.post("/api/posts", content=b"[1]", headers=editor)).status_code == 400
    assert (await http.post("/api/posts", content=b"{not json", headers=editor)).status_code == 400
    wrong_type = await http.post("/api/posts", json={"title": "t", "body": "b", "channels": "weibo"}, headers=editor)
    assert wrong_type.status_code == 400
    assert (await http.get("/api/posts/999", headers=editor)).status_code == 404
    assert (await http.post("/api/posts/999/cancel", json={}, headers=editor)).status_code == 404
    unknown = await http.post(
        "/api/posts",
        json={"title": "t", "body": "b", "channels": ["x"], "now": True, "campaign": "nope"},
        headers=editor,
    )
    assert unknown.status_code in (404, 422)


async def test_a_revoked_token_or_a_disabled_user_no_longer_works(
    http: Any, console: Console, people: dict[str, UserView], tokens: dict[str, str]
) -> None:
    editor = auth(tokens["editor"])
    assert (await http.get("/api/posts", headers=editor)).status_code == 200
    token_id = console.accounts.tokens(people["editor"].id)[0].id
    console.accounts.revoke_token(token_id, actor="ada")
    assert (await http.get("/api/posts", headers=editor)).status_code == 401
    approver = auth(tokens["approver"])
    assert (await http.get("/api/me", headers=approver)).status_code == 200
    console.accounts.set_active(people["approver"].id, False, actor="ada")
    assert (await http.get("/api/me", headers=approver)).status_code == 401
    stored = {t.label for t in console.accounts.tokens()}
    assert stored == {"tool"}
    assert all(tokens["admin"] not in repr(t) for t in console.accounts.tokens())  # only its hash is kept


async def test_refusals_speak_the_language_asked_for(http: Any, tokens: dict[str, str]) -> None:
    """The same bad request in Chinese and in English: the JSON shape and the status stay, the words follow
    Accept-Language (the console's default here is English)."""
    bad = {"title": "t", "body": "b", "channels": 5, "now": True}
    said = {}
    for language in ("zh-CN,zh;q=0.9", "en"):
        headers = {**auth(tokens["editor"]), "Accept-Language": language}
        answer = await http.post("/api/posts", json=bad, headers=headers)
        assert answer.status_code == 400
        said[language[:2]] = answer.json()
    assert said == {
        "zh": {"error": "`channels` 必须是渠道名的列表，实际为 5"},
        "en": {"error": "`channels` must be a list of channel names, got 5"},
    }
    chinese = {"Accept-Language": "zh-CN"}
    missing = await http.get("/api/posts/999", headers={**auth(tokens["editor"]), **chinese})
    assert (missing.status_code, missing.json()) == (404, {"error": "没有编号为 999 的稿件"})
    unknown = {"title": "t", "body": "b", "channels": ["nowhere"], "now": True}
    refused = await http.post("/api/posts", json=unknown, headers={**auth(tokens["editor"]), **chinese})
    assert refused.status_code == 422
    assert refused.json()["error"].startswith("没有渠道 nowhere；已配置的渠道：")
    anonymous = await http.get("/api/posts", headers=chinese)
    assert anonymous.status_code == 401
    assert anonymous.json() == {"error": "需要有效的 API 令牌：Authorization: Bearer pub_…"}
    role = await http.post("/api/posts/1/approve", json={}, headers={**auth(tokens["editor"]), **chinese})
    assert (role.status_code, role.json()) == (403, {"error": "此操作需要 approver 角色；该令牌的用户是 editor"})
    nested = b'{"title": ' + b"[" * 40 + b"]" * 40 + b"}"
    deep = await http.post("/api/posts", content=nested, headers={**auth(tokens["editor"]), **chinese})
    assert (deep.status_code, deep.json()) == (422, {"error": "JSON 嵌套超过 32 层；请发送层次更浅的文档"})
    nowhere = await http.get("/api/nowhere", headers=chinese)
    assert (nowhere.status_code, nowhere.json()) == (404, {"error": "没有这个地址"})
    too_big = await http.get(f"/api/posts/{2**70}", headers={**auth(tokens["editor"]), **chinese})
    assert (too_big.status_code, too_big.json()) == (404, {"error": "编号超出范围"})
    english = await http.get(f"/api/posts/{2**70}", headers=auth(tokens["editor"]))
    assert english.json() == {"error": "id out of range"}


async def test_the_tokens_user_language_wins_over_accept_language(
    http: Any, console: Console, people: dict[str, UserView], tokens: dict[str, str]
) -> None:
    console.accounts.set_language(people["editor"].id, "zh")
    answer = await http.get("/api/posts?limit=many", headers={**auth(tokens["editor"]), "Accept-Language": "en"})
    assert (answer.status_code, answer.json()) == (400, {"error": "`limit` 必须是整数"})
