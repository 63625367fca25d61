"""Signing in, sessions, CSRF and the guard on every route: anonymous visitors see nothing but the sign-in page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from starlette.applications import Starlette

from publisher.clock import ManualClock
from publisher.models import ApprovalState, Channel
from publisher.store import list_rows, post_history
from publisher.web.accounts import FREE_FAILURES_PER_PAIR, MAX_FAILURES_PER_ADDRESS, UserView
from publisher.web.app import create_app
from publisher.web.console import Console
from tests.web.conftest import PASSWORD, Visitor, concrete, routes

OPEN_PAGES = {"/login", "/logout", "/language"}  # reachable without signing in (each still needs its CSRF token)


def test_every_route_is_guarded(app: Starlette) -> None:
    for method, path, endpoint in routes(app):
        if path == "/api/openapi.json":
            continue
        assert hasattr(endpoint, "required_role"), f"{method} {path} is not behind the guard"
        if endpoint.required_role is None:
            assert path in OPEN_PAGES, f"{method} {path} is open to anyone"


async def test_anonymous_visitors_see_nothing_but_sign_in(app: Starlette, visitors: Any, ids: dict[str, int]) -> None:
    anonymous: Visitor = await visitors()
    await anonymous.get("/login")
    for method, template, _ in routes(app):
        path = concrete(template, ids)
        if path in OPEN_PAGES or path == "/api/openapi.json":
            continue
        if method == "GET":
            response = await anonymous.http.get(path)
        elif path.startswith("/api/"):
            response = await anonymous.http.post(path, json={})
        else:
            response = await anonymous.post(path, {"reason": "x", "note": "x", "role": "admin", "password": "x" * 12})
        if path.startswith("/api/"):
            assert response.status_code == 401, (method, path)
            assert response.headers["www-authenticate"].startswith("Bearer")
        elif method == "GET":
            assert response.status_code == 303, (method, path)
            assert response.headers["location"].startswith("/login?next=")
        else:
            assert response.status_code == 401, (method, path)
            assert "亲子共读" not in response.text
    post, _ = post_history(anonymous_console(app).store, ids["post"])
    assert post is not None
    assert post.approval == ApprovalState.PENDING


def anonymous_console(app: Starlette) -> Console:
    console: Console = app.state.console
    return console


async def test_a_state_change_without_a_valid_csrf_token_is_refused(
    app: Starlette, console: Console, visitors: Any, ids: dict[str, int]
) -> None:
    admin: Visitor = await visitors("ada")
    unsafe = [(m, p) for m, p, _ in routes(app) if m == "POST" and not p.startswith("/api/")]
    assert len(unsafe) > 15
    for _, template in unsafe:
        path = concrete(template, ids)
        form = {"reason": "x", "note": "x", "role": "editor", "active": "0", "action": "sent", "lang": "zh"}
        missing = await admin.post(path, form, csrf=False)
        assert missing.status_code == 403, path
        forged = await admin.post(path, {**form, "csrf_token": "forged-" + admin.token[7:]})
        assert forged.status_code == 403, path
        header_forged = await admin.http.post(path, data=form, headers={"X-CSRF-Token": "nope"})
        assert header_forged.status_code == 403, path
    post, _ = post_history(console.store, ids["post"])
    assert post is not None
    assert post.approval == ApprovalState.PENDING  # the approve and reject posts did nothing
    assert not any(c.paused for c in list_rows(console.store, Channel, Channel.name))
    assert all(u.active and u.role.value in ("editor", "approver", "admin") for u in console.accounts.users())
    assert (await admin.get("/queue")).status_code == 200  # still signed in: /logout without a token did nothing


async def test_the_token_in_a_header_serves_scripts(visitors: Any, ids: dict[str, int], console: Console) -> None:
    approver: Visitor = await visitors("园长")
    response = await approver.fetch(f"/posts/{ids['post']}/approve", {"note": "好"})
    assert response.json() == {"ok": True, "message": f"Approved post {ids['post']}."}
    post, events = post_history(console.store, ids["post"])
    assert post is not None
    assert post.approval == ApprovalState.APPROVED
    assert [(e.actor, e.action, e.reason) for e in events][-1] == ("园长", "post.approve", "好")


async def test_sign_in_sets_a_signed_http_only_lax_cookie_and_sign_out_ends_it(
    visitors: Any, people: dict[str, UserView]
) -> None:
    browser: Visitor = await visitors()
    await browser.get("/login")
    response = await browser.post("/login", {"name": "eve", "password": PASSWORD, "next": "/calendar"})
    assert response.status_code == 303
    assert response.headers["location"] == "/calendar"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("publisher_session=")
    assert "httponly" in cookie.lower()
    assert "samesite=lax" in cookie.lower()
    assert "secure" not in cookie.lower()
    assert PASSWORD not in cookie
    page = await browser.get("/queue")
    assert page.status_code == 200
    assert "eve" in page.text
    cookie = browser.http.cookies["publisher_session"]
    # change the first character of the signature: the last ones of base64 may carry only padding bits
    value, _, signature = cookie.rpartition(".")
    tampered = f"{value}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"
    browser.http.cookies.clear()
    browser.http.cookies.set("publisher_session", tampered)
    assert (await browser.http.get("/queue")).status_code == 303
    browser.http.cookies.clear()
    await browser.sign_in("eve")
    assert (await browser.post("/logout")).status_code == 303
    assert (await browser.http.get("/queue")).status_code == 303


async def test_the_cookie_is_secure_when_served_over_https(console: Console, people: dict[str, UserView]) -> None:
    import dataclasses

    secure = dataclasses.replace(console, web=dataclasses.replace(console.web, https_only=True))
    browser = Visitor(create_app(secure, "k" * 40))
    async with browser.http:
        response = await browser.sign_in("eve")
    assert "secure" in response.headers["set-cookie"].lower()


async def test_wrong_passwords_are_refused_and_slowed_per_name_and_address(
    visitors: Any, people: dict[str, UserView], clock: ManualClock
) -> None:
    browser: Visitor = await visitors()
    assert (await browser.sign_in("eve", "wrong password")).status_code == 401
    assert (await browser.sign_in("nobody", PASSWORD)).status_code == 401
    for _ in range(FREE_FAILURES_PER_PAIR - 1):
        refused = await browser.sign_in("eve", "wrong password")
    assert "Wrong name or password." in refused.text
    slowed = await browser.sign_in("eve", PASSWORD)  # right, but too soon
    assert slowed.status_code == 429
    assert "Too many failed attempts. Try again in 1 s." in slowed.text
    assert slowed.headers["retry-after"] == "1"
    assert (await browser.sign_in("ada")).status_code == 303  # another name is not slowed
    clock.advance(1)
    assert (await browser.sign_in("eve")).status_code == 303


async def test_sign_in_attempts_are_rate_limited_per_address(
    visitors: Any, people: dict[str, UserView], clock: ManualClock
) -> None:
    browser: Visitor = await visitors()
    for n in range(MAX_FAILURES_PER_ADDRESS):
        await browser.sign_in(f"guess{n}", "wrong password")
    assert (await browser.sign_in("ada")).status_code == 429
    clock.advance(timedelta(minutes=16).total_seconds())
    assert (await browser.sign_in("ada")).status_code == 303


async def test_until_an_admin_exists_the_sign_in_page_says_how_to_make_one(visitors: Any, console: Console) -> None:
    browser: Visitor = await visitors()
    page = await browser.get("/login")
    assert "publisher user add NAME --role admin" in page.text
    console.accounts.add_user("ada", PASSWORD, "admin", actor="setup")
    page = await browser.get("/login")
    assert "publisher user add" not in page.text


async def test_next_only_leads_to_this_site(visitors: Any, people: dict[str, UserView]) -> None:
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        browser: Visitor = await visitors()
        await browser.get("/login")
        response = await browser.post("/login", {"name": "eve", "password": PASSWORD, "next": target})
        assert response.headers["location"] == "/queue"


async def test_a_password_change_or_disabling_ends_sessions(
    visitors: Any, console: Console, people: dict[str, UserView]
) -> None:
    elsewhere: Visitor = await visitors("eve")
    here: Visitor = await visitors("eve")
    changed = await here.post("/account/password", {"current": PASSWORD, "new": "a new long password"})
    assert changed.status_code == 303
    assert (await here.get("/queue")).status_code == 200  # the session that changed it goes on
    assert (await elsewhere.http.get("/queue")).status_code == 303  # the other one has ended
    wrong = await here.post("/account/password", {"current": "not it", "new": "another long password"})
    assert "the current password is not right" in (await here.get(wrong.headers["location"])).text
    admin: Visitor = await visitors("ada")
    await admin.post(f"/users/{people['editor'].id}/active", {"active": "0"})
    assert (await here.http.get("/queue")).status_code == 303
    assert (await here.sign_in("eve", "a new long password")).status_code == 401


async def test_pages_carry_strict_security_headers(visitors: Any, people: dict[str, UserView]) -> None:
    browser: Visitor = await visitors("eve")
    response = await browser.get("/queue")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"
    static = await browser.http.get("/static/app.js")
    assert static.status_code == 200
    assert "cache-control" not in static.headers or static.headers["cache-control"] != "no-store"
