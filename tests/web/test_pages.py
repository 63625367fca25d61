"""The pages at work: compose with its per-channel counts, approval, editing, the queue, the calendar, channels,
uncertain deliveries, users and tokens."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from publisher.clock import ManualClock
from publisher.models import ApprovalState, Channel, DeliveryState, PostState
from publisher.queue import PostDraft
from publisher.store import Outcome, PostFilter, list_deliveries, list_rows, post_history
from publisher.web.accounts import UserView
from publisher.web.console import Console
from tests.web.conftest import PASSWORD, Visitor

LONG = "大一班的孩子们当起了小老师，给爸爸妈妈讲绘本。" * 8  # 184 characters: too long for the 140 of weibo


def draft(**fields: Any) -> dict[str, Any]:
    form = {
        "title": "亲子共读半小时",
        "body": "本周三下午。",
        "channels": ["website", "weibo"],
        "at": "2026-12-02T10:00",
    }
    form.update(fields)
    return form


def deliveries(console: Console, **where: Any) -> list[tuple[Any, Any]]:
    return list_deliveries(console.store, PostFilter(**where))


@pytest.fixture
async def editor(visitors: Any, people: dict[str, UserView]) -> Visitor:
    browser: Visitor = await visitors("eve")
    return browser


async def test_compose_counts_each_channel_and_the_server_refuses_text_too_long(
    editor: Visitor, console: Console
) -> None:
    page = await editor.get("/posts/new")
    assert page.status_code == 200
    assert 'name="channels" value="weibo"' in page.text
    preview = await editor.fetch("/posts/preview", draft(body=LONG, csrf_token=editor.token))
    assert preview.status_code == 200
    weibo = re.search(r'<div class="panel"[^>]*data-channel="weibo"[^>]*>', preview.text)
    assert weibo is not None
    assert "data-over" in weibo.group(0)
    assert 'class="counter over" data-counter="weibo"' in preview.text
    assert "over the limit" in preview.text
    website = re.search(r'<div class="panel"[^>]*data-channel="website"[^>]*>', preview.text)
    assert website is not None
    assert "data-over" not in website.group(0)

    refused = await editor.post("/posts/new", draft(body=LONG, action="submit"))
    assert refused.status_code == 422
    assert "weibo: the text is" in refused.text
    assert LONG in refused.text  # the form keeps what was typed
    assert deliveries(console) == []

    own_text = await editor.post("/posts/new", draft(body=LONG, override_weibo="给爸爸妈妈讲绘本。", action="submit"))
    assert own_text.status_code == 303
    post_id = int(own_text.headers["location"].rsplit("/", 1)[1])
    shown = await editor.get(own_text.headers["location"])
    assert f"Queued post {post_id}." in shown.text
    assert "2026-12-02 10:00 CST" in shown.text
    post, _ = post_history(console.store, post_id)
    assert post is not None
    assert post.overrides == {"weibo": {"body": "给爸爸妈妈讲绘本。"}}
    assert post.created_by == "eve"


async def test_the_preview_button_works_without_script(editor: Visitor) -> None:
    page = await editor.post("/posts/new", draft(body="**粗体**<script>x</script>", action="preview"))
    assert page.status_code == 200
    assert "<strong>粗体</strong>" in page.text
    assert "<script>x</script>" not in page.text


async def test_quiet_hours_need_confirming_and_the_next_free_slot_is_offered(editor: Visitor, console: Console) -> None:
    night = draft(channels=["parents"], at="2026-12-02T22:00")
    preview = await editor.fetch("/posts/preview", {**night, "csrf_token": editor.token})
    assert "quiet hours (21:00-07:30)" in preview.text
    assert "data-quiet" in preview.text
    assert "2026-12-03 07:30 CST" in preview.text  # the next free slot
    assert 'data-use-time="2026-12-03T07:30"' in preview.text
    refused = await editor.post("/posts/new", {**night, "action": "submit"})
    assert refused.status_code == 422
    assert "outside some channels' posting hours" in html.unescape(refused.text)
    assert 'id="confirm-quiet" hidden' not in refused.text
    assert deliveries(console) == []
    at_slot = await editor.post("/posts/new", {**night, "at": "2026-12-03T07:30", "action": "submit"})
    assert at_slot.status_code == 303
    # that slot is now taken: the next one is half an hour later
    preview = await editor.fetch("/posts/preview", {**night, "csrf_token": editor.token})
    assert "2026-12-03 08:00 CST" in preview.text
    confirmed = await editor.post("/posts/new", {**night, "confirm_quiet": "1", "action": "submit"})
    assert confirmed.status_code == 303
    assert len(deliveries(console, channel="parents")) == 2


async def test_approval_rejection_with_a_comment_then_a_corrected_copy(
    visitors: Any, console: Console, people: dict[str, UserView]
) -> None:
    console.queue("setup").add_campaign("阅读月", timezone="Asia/Shanghai", requires_approval=True)
    editor: Visitor = await visitors("eve")
    submitted = await editor.post("/posts/new", draft(campaign="阅读月", channels=["weibo"], action="submit"))
    post_id = int(submitted.headers["location"].rsplit("/", 1)[1])
    approvals = await editor.get("/approvals")
    assert f"#{post_id} 亲子共读半小时" in approvals.text

    approver: Visitor = await visitors("园长")
    no_reason = await approver.post(f"/posts/{post_id}/reject", {"reason": " "})
    assert "say why" in (await approver.get(no_reason.headers["location"])).text
    await approver.post(f"/posts/{post_id}/reject", {"reason": "标题有错别字"})
    post, events = post_history(console.store, post_id)
    assert post is not None
    assert post.approval == ApprovalState.REJECTED
    page = await editor.get(f"/posts/{post_id}")
    assert "标题有错别字" in page.text
    assert "园长" in page.text

    edit = await editor.get(f"/posts/{post_id}/edit")
    assert f'name="replaces" value="{post_id}"' in edit.text
    assert "亲子共读半小时" in edit.text
    corrected = await editor.post(
        "/posts/new",
        draft(
            title="亲子共读半小时（更正）",
            campaign="阅读月",
            channels=["weibo"],
            replaces=str(post_id),
            action="submit",
        ),
    )
    new_id = int(corrected.headers["location"].rsplit("/", 1)[1])
    assert new_id != post_id
    _, new_events = post_history(console.store, new_id)
    assert ("post.replace", f"replaces post {post_id}") in [(e.action, e.reason) for e in new_events]

    approved = await approver.post(f"/posts/{new_id}/approve", {"note": "可以发"})
    assert f"Approved post {new_id}." in (await approver.get(approved.headers["location"])).text
    post, events = post_history(console.store, new_id)
    assert post is not None
    assert post.approval == ApprovalState.APPROVED
    assert post.approved_by == "园长"
    assert [(e.actor, e.action, e.reason) for e in events][-1] == ("园长", "post.approve", "可以发")
    assert (await approver.post(f"/posts/{new_id}/approve", {})).status_code == 303  # twice: refused, with why
    assert "not waiting for approval" in (await approver.get(f"/posts/{new_id}")).text


async def test_editing_a_waiting_post_queues_a_copy_and_cancels_the_original(editor: Visitor, console: Console) -> None:
    first = await editor.post("/posts/new", draft(action="submit"))
    old_id = int(first.headers["location"].rsplit("/", 1)[1])
    corrected = await editor.post("/posts/new", draft(body="改过的正文。", replaces=str(old_id), action="submit"))
    new_id = int(corrected.headers["location"].rsplit("/", 1)[1])
    old, events = post_history(console.store, old_id)
    assert old is not None
    assert old.state == PostState.CANCELLED
    assert {e.reason for e in events} >= {f"replaced by post {new_id}"}
    assert "Edit" not in (await editor.get(f"/posts/{old_id}")).text.split("<h2>")[0]
    again = await editor.get(f"/posts/{old_id}/edit")
    assert again.status_code == 303


async def test_the_queue_lists_posts_with_their_deliveries_and_filters(
    editor: Visitor, console: Console, clock: ManualClock
) -> None:
    queue = console.queue("eve")
    one = queue.add_post(
        PostDraft(title="开学典礼", body="b", channels=["website", "weibo"], at=clock.now() + timedelta(hours=2))
    )
    two = queue.add_post(PostDraft(title="家长会", body="b", channels=["website"], at=clock.now() + timedelta(days=3)))
    page = await editor.get("/queue")
    assert "开学典礼" in page.text
    assert "家长会" in page.text
    assert page.text.index("开学典礼") < page.text.index("家长会")
    only_weibo = await editor.get("/queue?channel=weibo")
    assert "开学典礼" in only_weibo.text
    assert "家长会" not in only_weibo.text
    later = await editor.get("/queue?from=2026-12-03")
    assert "家长会" in later.text
    assert "开学典礼" not in later.text
    bad = await editor.get("/queue?from=someday")
    assert "cannot read the time" in bad.text
    sent = console.store.claim_due(clock.now() + timedelta(hours=3), "w", timedelta(minutes=5), {"website": 5})
    console.store.record(
        [
            Outcome(c.delivery_id, c.post_id, "website", DeliveryState.SENT, remote_url="https://example.org/a/1")
            for c in sent
        ],
        "w",
        clock.now(),
    )
    sent_page = await editor.get("/queue?state=sent")
    assert 'href="https://example.org/a/1"' in sent_page.text
    assert {one, two} >= {int(n) for n in re.findall(r'href="/posts/(\d+)"', sent_page.text)}


async def test_the_calendar_shows_week_and_month_and_a_drag_reschedules(
    editor: Visitor, console: Console, clock: ManualClock
) -> None:
    queue = console.queue("eve")
    when = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
    post_id = queue.add_post(PostDraft(title="阅读分享", body="b", channels=["weibo", "parents"], at=when))
    week = await editor.get("/calendar?date=2026-12-02")
    cell = week.text[week.text.index('data-date="2026-12-02"') :]
    assert cell.index("阅读分享") < cell.index('data-date="2026-12-03"')
    assert f'draggable="true" data-post="{post_id}" data-channel="weibo" data-time="10:00"' in week.text
    month = await editor.get("/calendar?view=month&date=2026-12-15")
    assert 'data-date="2026-11-30"' in month.text  # the month's first week starts on Monday
    assert "阅读分享" in month.text
    moved = await editor.fetch(f"/posts/{post_id}/reschedule", {"at": "2026-12-04 10:00", "channel": "weibo"})
    assert moved.json()["ok"] is True
    due = {d.channel.name: d.due_at for _, d in deliveries(console)}
    assert due["weibo"] == datetime(2026, 12, 4, 2, 0, tzinfo=UTC)
    assert due["parents"] == when
    past = await editor.fetch(f"/posts/{post_id}/reschedule", {"at": "2026-11-01 10:00", "channel": "weibo"})
    assert past.status_code == 422
    assert "in the past" in past.json()["error"]
    quiet = await editor.fetch(f"/posts/{post_id}/reschedule", {"at": "2026-12-04 23:00", "channel": "parents"})
    assert quiet.status_code == 422
    assert "parents: in quiet hours 21:00-07:30" in quiet.json()["error"]
    forced = await editor.fetch(
        f"/posts/{post_id}/reschedule", {"at": "2026-12-04 23:00", "channel": "parents", "confirm_quiet": "1"}
    )
    assert forced.json()["ok"] is True


async def test_channels_show_health_and_an_admin_pauses_resumes_and_tests(
    visitors: Any, console: Console, people: dict[str, UserView], clock: ManualClock
) -> None:
    console.store.set_paused("weibo", True, "token expired", clock.now(), "daemon")
    admin: Visitor = await visitors("ada")
    page = await admin.get("/channels")
    row = page.text[page.text.index('data-channel="weibo"') :]
    assert "paused" in row[:2000]
    assert "token expired" in row[:2000]
    assert "at most 140" in row[:2000]
    await admin.post("/channels/weibo/resume")
    assert not {c.name: c.paused for c in list_rows(console.store, Channel, Channel.name)}["weibo"]
    await admin.post("/channels/parents/pause")
    assert {c.name: c.paused for c in list_rows(console.store, Channel, Channel.name)}["parents"]
    tested = await admin.post("/channels/website/test")
    assert "website: OK: folder" in (await admin.get(tested.headers["location"])).text
    assert (await admin.post("/channels/fax/pause")).status_code == 404


async def test_uncertain_deliveries_are_settled_by_an_approver(
    visitors: Any, console: Console, people: dict[str, UserView], clock: ManualClock
) -> None:
    post_id = console.queue("eve").add_post(PostDraft(title="通知", body="b", channels=["website", "weibo"], now=True))
    claims = console.store.claim_due(clock.now(), "w", timedelta(minutes=5), {"website": 5, "weibo": 5})
    console.store.record(
        [Outcome(c.delivery_id, c.post_id, c.channel, DeliveryState.UNCERTAIN, reason="read timeout") for c in claims],
        "w",
        clock.now(),
    )
    approver: Visitor = await visitors("园长")
    page = await approver.get("/uncertain")
    assert page.text.count("read timeout") == 2
    done = await approver.post(
        f"/posts/{post_id}/resolve", {"channel": "website", "action": "sent", "back": "/uncertain"}
    )
    assert done.headers["location"] == "/uncertain"
    await approver.post(f"/posts/{post_id}/resolve", {"channel": "weibo", "action": "resend", "note": "查过，没发出"})
    states = {d.channel.name: d.state for _, d in deliveries(console)}
    assert states == {"website": DeliveryState.SENT, "weibo": DeliveryState.QUEUED}
    assert "Nothing is uncertain." in (await approver.get("/uncertain")).text


async def test_an_admin_manages_users(visitors: Any, console: Console, people: dict[str, UserView]) -> None:
    admin: Visitor = await visitors("ada")
    added = await admin.post(
        "/users/add", {"name": "王老师", "role": "editor", "password": "long enough pass", "language": "zh"}
    )
    assert "Added 王老师." in (await admin.get(added.headers["location"])).text
    short = await admin.post("/users/add", {"name": "x", "role": "editor", "password": "short"})
    assert "too short" in (await admin.get(short.headers["location"])).text
    twice = await admin.post("/users/add", {"name": "王老师", "role": "editor", "password": "long enough pass"})
    assert "already exists" in (await admin.get(twice.headers["location"])).text
    wang = {u.name: u for u in console.accounts.users()}["王老师"]
    await admin.post(f"/users/{wang.id}/role", {"role": "approver"})
    assert console.accounts.get(wang.id).role.value == "approver"  # type: ignore[union-attr]
    last_admin = await admin.post(f"/users/{people['admin'].id}/role", {"role": "editor"})
    assert "last admin" in (await admin.get(last_admin.headers["location"])).text
    await admin.post(f"/users/{wang.id}/password", {"password": "a different password"})
    wang_browser: Visitor = await visitors()
    assert (await wang_browser.sign_in("王老师", "a different password")).status_code == 303
    page = await admin.get("/users")
    assert "password_hash" not in page.text
    assert "$argon2" not in page.text


async def test_tokens_are_shown_once_and_revoking_one_ends_it(
    visitors: Any, console: Console, people: dict[str, UserView]
) -> None:
    editor: Visitor = await visitors("eve")
    made = await editor.post("/account/tokens", {"label": "wechat-bot"})
    assert made.status_code == 200
    assert made.headers["cache-control"] == "no-store"
    token = re.search(r'<pre id="new-token">(pub_[^<]+)</pre>', made.text)
    assert token is not None
    plain = token.group(1)
    api = await editor.http.get("/api/me", headers={"Authorization": f"Bearer {plain}"})
    assert api.json()["name"] == "eve"
    again = await editor.get("/account")
    assert plain not in again.text
    assert plain[:10] in again.text  # its prefix, to tell tokens apart
    token_id = console.accounts.tokens(people["editor"].id)[0].id
    other: Visitor = await visitors("园长")
    assert (await other.post(f"/account/tokens/{token_id}/revoke")).status_code == 404  # not theirs
    await editor.post(f"/account/tokens/{token_id}/revoke")
    api = await editor.http.get("/api/me", headers={"Authorization": f"Bearer {plain}"})
    assert api.status_code == 401


async def test_a_person_chooses_their_language(visitors: Any, console: Console, people: dict[str, UserView]) -> None:
    editor: Visitor = await visitors("eve")
    assert "Queue" in (await editor.get("/queue")).text
    await editor.post("/language", {"lang": "zh", "next": "/queue"})
    page = await editor.get("/queue")
    assert "发布队列" in page.text
    assert '<html lang="zh-CN">' in page.text
    assert console.accounts.get(people["editor"].id).language == "zh"  # type: ignore[union-attr]
    elsewhere: Visitor = await visitors("eve")
    assert "发布队列" in (await elsewhere.get("/queue")).text  # stored on the user, not the browser
    anonymous: Visitor = await visitors()
    assert "Sign in" in (await anonymous.get("/login")).text
    assert "登录" in (await anonymous.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9"})).text
    await anonymous.post("/language", {"lang": "zh", "next": "/login"})
    assert "登录" in (await anonymous.get("/login")).text


async def test_times_are_shown_in_the_campaign_zone(editor: Visitor, console: Console, clock: ManualClock) -> None:
    queue = console.queue("eve")
    queue.add_campaign("Open day", timezone="America/New_York")
    at = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)
    post_id = queue.add_post(PostDraft(title="Open day", body="b", channels=["website"], at=at, campaign="Open day"))
    page = await editor.get(f"/posts/{post_id}")
    assert "2026-12-03 10:00 EST" in page.text
    assert "America/New_York" in page.text
    queued = await editor.post(
        "/posts/new",
        draft(title="Later", channels=["website"], campaign="Open day", at="2026-12-05T09:00", action="submit"),
    )
    later = int(queued.headers["location"].rsplit("/", 1)[1])
    assert "2026-12-05 09:00 EST" in (await editor.get(f"/posts/{later}")).text
    assert PASSWORD not in (await editor.get("/account")).text
