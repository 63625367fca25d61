"""Issue 10, finding 3: a session ends on the server. A cookie copied before signing out, a password change, a role
change or disabling is refused afterwards (pages and minting API tokens alike); enabling again revives nothing;
idle and absolute lifetimes run on the injected clock. The console over HTTP in-process, on each store."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select
from starlette.applications import Starlette

from publisher.clock import ManualClock
from publisher.web.accounts import UserView
from publisher.web.console import Console
from publisher.web.models import ApiToken
from tests.web import conftest as web
from tests.web.conftest import PASSWORD, Visitor

# the console, the app, one person of each role and browsers, as tests/web builds them
console, app, people, visitors = web.console, web.app, web.people, web.visitors


def copy_of(browser: Visitor, app: Starlette) -> Visitor:
    """Another browser holding a copy of ``browser``'s cookie (and the CSRF token it carries), as an attacker would."""
    thief = Visitor(app)
    thief.http.cookies.set("publisher_session", browser.http.cookies["publisher_session"])
    thief.token = browser.token
    return thief


def token_count(console: Console) -> int:
    with console.store.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(ApiToken)) or 0)


async def test_a_cookie_copied_before_sign_out_is_refused_after_it(
    app: Starlette, console: Console, visitors: Any, people: dict[str, UserView]
) -> None:
    eve: Visitor = await visitors("eve")
    thief = copy_of(eve, app)
    async with thief.http:
        assert (await thief.http.get("/queue")).status_code == 200  # the copy works while eve is signed in
        assert (await eve.post("/logout")).status_code == 303
        assert (await thief.http.get("/queue")).status_code == 303  # to the sign-in page
        assert (await thief.http.get("/account")).status_code == 303
        minted = await thief.post("/account/tokens", {"label": "backdoor"})
        assert minted.status_code == 401
        assert "pub_" not in minted.text
        assert token_count(console) == 0


async def test_disabling_and_enabling_again_revives_no_session_and_no_token(
    app: Starlette, console: Console, visitors: Any, people: dict[str, UserView]
) -> None:
    eve: Visitor = await visitors("eve")
    thief = copy_of(eve, app)
    _, plain = console.accounts.create_token(people["editor"].id, "bot", actor="eve")
    bearer = {"Authorization": f"Bearer {plain}"}
    assert (await eve.http.get("/api/me", headers=bearer)).status_code == 200
    admin: Visitor = await visitors("ada")
    editor = people["editor"].id
    assert (await admin.post(f"/users/{editor}/active", {"active": "0"})).status_code == 303
    assert (await admin.post(f"/users/{editor}/active", {"active": "1"})).status_code == 303
    async with thief.http:
        assert (await thief.http.get("/queue")).status_code == 303
    assert (await eve.http.get("/queue")).status_code == 303
    assert (await eve.http.get("/api/me", headers=bearer)).status_code == 401  # revoked when disabled
    assert (await eve.sign_in("eve")).status_code == 303  # signing in again works: the account is enabled


async def test_a_password_change_ends_the_other_sessions_and_an_admin_reset_ends_all(
    visitors: Any, people: dict[str, UserView]
) -> None:
    here: Visitor = await visitors("eve")
    elsewhere: Visitor = await visitors("eve")
    changed = await here.post("/account/password", {"current": PASSWORD, "new": "a new long password"})
    assert changed.status_code == 303
    assert (await here.http.get("/queue")).status_code == 200  # the session that changed it goes on
    assert (await elsewhere.http.get("/queue")).status_code == 303
    admin: Visitor = await visitors("ada")
    reset = await admin.post(f"/users/{people['editor'].id}/password", {"password": "set by the admin"})
    assert reset.status_code == 303
    assert (await here.http.get("/queue")).status_code == 303
    assert (await admin.http.get("/users")).status_code == 200  # the admin's own session goes on


async def test_a_role_change_ends_the_persons_sessions(visitors: Any, people: dict[str, UserView]) -> None:
    eve: Visitor = await visitors("eve")
    admin: Visitor = await visitors("ada")
    assert (await admin.post(f"/users/{people['editor'].id}/role", {"role": "approver"})).status_code == 303
    assert (await eve.http.get("/queue")).status_code == 303
    assert (await eve.sign_in("eve")).status_code == 303
    assert (await eve.get("/approvals")).status_code == 200


async def test_a_session_ends_when_idle_too_long(
    visitors: Any, people: dict[str, UserView], clock: ManualClock
) -> None:
    eve: Visitor = await visitors("eve")
    clock.advance(119 * 60)  # [web] session_idle_minutes = 120
    assert (await eve.http.get("/queue")).status_code == 200
    clock.advance(119 * 60)  # counted from the last use
    assert (await eve.http.get("/queue")).status_code == 200
    clock.advance(120 * 60)
    assert (await eve.http.get("/queue")).status_code == 303
    clock.advance(-120 * 60)  # the row is gone: turning the clock back does not bring it back
    assert (await eve.http.get("/queue")).status_code == 303


async def test_a_session_ends_at_its_absolute_lifetime_however_busy(
    visitors: Any, people: dict[str, UserView], clock: ManualClock
) -> None:
    eve: Visitor = await visitors("eve")
    for _ in range(11):
        clock.advance(60 * 60)
        assert (await eve.http.get("/queue")).status_code == 200
    clock.advance(59 * 60)
    assert (await eve.http.get("/queue")).status_code == 200
    clock.advance(60)  # 12 hours after signing in: [web] session_max_hours
    assert (await eve.http.get("/queue")).status_code == 303


async def test_last_use_is_written_at_most_once_a_minute(
    console: Console, visitors: Any, people: dict[str, UserView], clock: ManualClock
) -> None:
    from publisher.store import user_web_sessions

    eve: Visitor = await visitors("eve")
    (signed_in,) = user_web_sessions(console.store, people["editor"].id)
    clock.advance(30)
    for _ in range(5):
        assert (await eve.http.get("/queue")).status_code == 200
    (row,) = user_web_sessions(console.store, people["editor"].id)
    assert row.last_seen_at == signed_in.last_seen_at
    clock.advance(31)
    assert (await eve.http.get("/queue")).status_code == 200
    (row,) = user_web_sessions(console.store, people["editor"].id)
    assert row.last_seen_at == clock.now()


_END_FORM = re.compile(r'action="/account/sessions/([0-9a-f]{64})/end"')


async def test_the_account_page_lists_ones_sessions_and_ends_any_of_them(
    app: Starlette, visitors: Any, people: dict[str, UserView]
) -> None:
    laptop: Visitor = await visitors()
    laptop.http.headers["user-agent"] = "Laptop Firefox"
    assert (await laptop.sign_in("eve")).status_code == 303
    phone: Visitor = await visitors()
    phone.http.headers["user-agent"] = "Phone Safari"
    assert (await phone.sign_in("eve")).status_code == 303
    other: Visitor = await visitors("ada")
    page = await laptop.get("/account")
    assert "Laptop Firefox" in page.text
    assert "Phone Safari" in page.text
    assert "198.51.100.7" in page.text
    assert "this browser" in page.text
    rows = {m.group(1): page.text[m.start() - 600 : m.start()] for m in _END_FORM.finditer(page.text)}
    assert len(rows) == 2
    (phones,) = [key for key, row in rows.items() if "Phone Safari" in row]
    # someone else cannot end eve's session, even knowing its key
    assert (await other.post(f"/account/sessions/{phones}/end")).status_code == 404
    assert (await phone.http.get("/queue")).status_code == 200
    assert (await laptop.post(f"/account/sessions/{phones}/end")).status_code == 303
    assert (await phone.http.get("/queue")).status_code == 303
    page = await laptop.get("/account")
    assert "Phone Safari" not in page.text
    # and "sign out everywhere" ends every one, this one too
    tablet: Visitor = await visitors("eve")
    assert (await laptop.post("/account/sessions/end")).status_code == 303
    assert (await laptop.http.get("/queue")).status_code == 303
    assert (await tablet.http.get("/queue")).status_code == 303
    assert (await other.http.get("/queue")).status_code == 200


async def test_the_account_page_lists_ones_tokens_and_revokes_them(
    console: Console, visitors: Any, people: dict[str, UserView]
) -> None:
    token, plain = console.accounts.create_token(people["editor"].id, "wechat-bot", actor="eve")
    eve: Visitor = await visitors("eve")
    page = await eve.get("/account")
    assert "wechat-bot" in page.text
    assert token.prefix in page.text
    assert (await eve.post(f"/account/tokens/{token.id}/revoke")).status_code == 303
    assert (await eve.http.get("/api/me", headers={"Authorization": f"Bearer {plain}"})).status_code == 401
