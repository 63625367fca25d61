"""Every role boundary, on every route: a role below the one a route needs is refused and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.applications import Starlette

from publisher.models import ApprovalState, Channel
from publisher.store import list_rows, post_history
from publisher.web.accounts import UserView
from publisher.web.console import Console
from publisher.web.models import Role
from tests.web.conftest import Visitor, concrete, routes

NAMES = {Role.EDITOR: "eve", Role.APPROVER: "园长", Role.ADMIN: "ada"}
FORM = {"reason": "x", "note": "x", "role": "admin", "active": "0", "action": "sent", "password": "x" * 12}


@pytest.mark.parametrize("role", [Role.EDITOR, Role.APPROVER])
async def test_a_role_below_the_one_a_page_needs_is_refused(
    role: Role, app: Starlette, console: Console, visitors: Any, ids: dict[str, int]
) -> None:
    browser: Visitor = await visitors(NAMES[role])
    checked = 0
    for method, template, endpoint in routes(app):
        needed = getattr(endpoint, "required_role", None)
        if template.startswith("/api/") or needed is None or role.may(needed):
            continue
        path = concrete(template, ids)
        response = await (browser.http.get(path) if method == "GET" else browser.post(path, FORM))
        assert response.status_code == 403, (role, method, path)
        assert "You may not do this." in response.text
        checked += 1
    assert checked >= (4 if role == Role.APPROVER else 10)
    post, _ = post_history(console.store, ids["post"])
    assert post is not None
    assert post.approval == ApprovalState.PENDING
    assert not any(c.paused for c in list_rows(console.store, Channel, Channel.name))
    assert {u.name: u.role for u in console.accounts.users()}["eve"] == Role.EDITOR


@pytest.mark.parametrize("role", [Role.EDITOR, Role.APPROVER])
async def test_an_api_token_of_a_lower_role_is_refused(
    role: Role, app: Starlette, console: Console, people: dict[str, UserView], visitors: Any, ids: dict[str, int]
) -> None:
    user = people["editor" if role == Role.EDITOR else "approver"]
    _, token = console.accounts.create_token(user.id, "tool", actor="setup")
    browser: Visitor = await visitors()
    headers = {"Authorization": f"Bearer {token}"}
    for method, template, endpoint in routes(app):
        needed = getattr(endpoint, "required_role", None)
        if not template.startswith("/api/") or needed is None or role.may(needed):
            continue
        path = concrete(template, ids)
        response = await browser.http.request(method, path, headers=headers, json={"reason": "x"})
        assert response.status_code == 403, (role, method, path)
        assert "needs the" in response.json()["error"]


async def test_an_editor_cannot_approve_or_manage_channels_or_users(
    visitors: Any, console: Console, ids: dict[str, int]
) -> None:
    editor: Visitor = await visitors("eve")
    assert (await editor.post(f"/posts/{ids['post']}/approve", {"note": "ok"})).status_code == 403
    assert (await editor.post(f"/posts/{ids['post']}/reject", {"reason": "no"})).status_code == 403
    assert (await editor.post("/channels/weibo/pause")).status_code == 403
    assert (await editor.post("/channels/weibo/test")).status_code == 403
    assert (await editor.get("/users")).status_code == 403
    post_page = await editor.get(f"/posts/{ids['post']}")
    assert "Waiting for approval" in post_page.text
    assert 'action="/posts/{}/approve"'.format(ids["post"]) not in post_page.text
    channels_page = await editor.get("/channels")
    assert "/channels/weibo/pause" not in channels_page.text
    assert "/users" not in (await editor.get("/queue")).text
    post, _ = post_history(console.store, ids["post"])
    assert post is not None
    assert post.approval == ApprovalState.PENDING


async def test_each_role_sees_the_pages_it_may_use(app: Starlette, visitors: Any, ids: dict[str, int]) -> None:
    for role, name in NAMES.items():
        browser: Visitor = await visitors(name)
        for method, template, endpoint in routes(app):
            needed = getattr(endpoint, "required_role", None)
            if method != "GET" or template.startswith("/api/") or needed is None or not role.may(needed):
                continue
            path = concrete(template, ids)
            response = await browser.http.get(path)
            assert response.status_code in (200, 303), (name, path, response.status_code)
