"""The console's pages for issue 11: schedules (pause, resume, edit, delete), campaigns (add, edit, end) with their
keyword rules, a failed delivery's retry button, the channel column of a post's history, and coverage outside a
campaign's dates needing a tick."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from publisher.models import Delivery, DeliveryState
from publisher.queue import PostDraft
from publisher.store import list_rows, post_history
from publisher.tracker.coverage import CoverageFilter, get_rules, list_coverage
from publisher.tracker.outlets import OutletSpec, add_outlet
from publisher.tracker.settings import TrackerSettings
from publisher.web.accounts import UserView
from publisher.web.console import Console
from tests.web.conftest import Visitor


@pytest.fixture
async def editor(visitors: Any, people: dict[str, UserView]) -> Visitor:
    browser: Visitor = await visitors("eve")
    return browser


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_the_new_pages_render_in_both_languages(
    lang: str, visitors: Any, console: Console, people: dict[str, UserView]
) -> None:
    queue = console.queue("setup")
    queue.add_campaign("阅读月", timezone="Asia/Shanghai", ends_at=console.clock.now() + timedelta(days=30))
    queue.add_schedule(
        "晨读", cron="0 9 * * *", timezone="Asia/Shanghai", title="每日晨读", body="读绘本。", channels=["website"]
    )
    admin: Visitor = await visitors("ada")
    await admin.post("/language", {"lang": lang, "next": "/schedules"})
    schedules, campaigns = await admin.get("/schedules"), await admin.get("/campaigns")
    assert schedules.status_code == campaigns.status_code == 200
    assert ("定时发布" if lang == "zh" else "Schedules") in schedules.text
    assert ("结束（含当天）" if lang == "zh" else "Ends (through that day)") in campaigns.text
    assert 'href="/schedules"' in schedules.text
    assert 'href="/campaigns"' in schedules.text


async def test_an_editor_pauses_resumes_edits_and_deletes_a_schedule(editor: Visitor, console: Console) -> None:
    added = await editor.post(
        "/schedules/add",
        {"name": "晨读", "cron": "0 9 * * *", "post_title": "每日晨读", "body": "读绘本。", "channels": ["website"]},
    )
    assert added.status_code == 303
    console.queue("daemon").materialize_schedules()
    await editor.post("/schedules/pause", {"name": "晨读", "reason": "寒假"})
    page = await editor.get("/schedules")
    assert "Schedule 晨读 paused; 1 posts it had made ahead were cancelled." in page.text
    assert 'action="/schedules/resume"' in page.text
    await editor.post("/schedules/resume", {"name": "晨读"})
    await editor.post(
        "/schedules/edit",
        {"name": "晨读", "cron": "30 8 * * *", "timezone": "Asia/Shanghai", "post_title": "晨读时间", "body": "读。",
         "channels": ["website", "weibo"], "campaign": ""},
    )  # fmt: skip
    page = await editor.get("/schedules")
    assert "Schedule 晨读 changed" in page.text
    assert "<code>30 8 * * *</code>" in page.text
    refused = await editor.post("/schedules/edit", {"name": "晨读", "cron": "daily", "campaign": ""})
    assert refused.status_code == 303
    assert "invalid cron expression" in (await editor.get("/schedules")).text
    await editor.post("/schedules/delete", {"name": "晨读"})
    page = await editor.get("/schedules")
    assert "Schedule 晨读 deleted" in page.text
    assert 'data-schedule="晨读"' not in page.text


async def test_an_admin_adds_edits_and_ends_a_campaign_and_an_editor_sets_its_rules(
    visitors: Any, console: Console, people: dict[str, UserView]
) -> None:
    admin: Visitor = await visitors("ada")
    await admin.post("/campaigns/add", {"name": "阅读月", "start": "2026-12-01", "end": "2026-12-31"})
    page = await admin.get("/campaigns")
    assert "Campaign 阅读月 added." in page.text
    assert "2026-12-31 <span" in page.text  # through that day
    await admin.post(
        "/campaigns/edit",
        {"name": "阅读月", "timezone": "Asia/Shanghai", "start": "2026-12-01", "end": "2027-01-15",
         "requires_approval": "1", "separate_approver": "1"},
    )  # fmt: skip
    (campaign,) = console.campaigns()
    assert campaign.requires_approval
    assert 'value="2027-01-15"' in (await admin.get("/campaigns")).text
    editor: Visitor = await visitors("eve")
    assert (await editor.post("/campaigns/end", {"name": "阅读月"})).status_code == 403  # an admin's
    await editor.post("/campaigns/rules", {"name": "阅读月", "any": "阅读月\n绘本，书香", "none": "招聘"})
    assert get_rules(console.store, "阅读月") == {"any": ["阅读月", "绘本", "书香"], "all": [], "none": ["招聘"]}
    await admin.post("/campaigns/end", {"name": "阅读月"})
    assert "Campaign 阅读月 ended" in (await admin.get("/campaigns")).text
    (campaign,) = console.campaigns()
    assert campaign.ends_at == console.clock.now()


async def test_a_failed_delivery_has_a_retry_button_and_the_history_a_channel_column(
    editor: Visitor, console: Console
) -> None:
    post_id = console.queue("eve").add_post(
        PostDraft(title="开学", body="新学期。", channels=["website", "weibo"], now=True)
    )
    post, _ = post_history(console.store, post_id)
    assert post is not None
    weibo = next(d for d in post.deliveries if d.channel.name == "weibo")
    with console.store.session() as session:
        session.execute(
            update(Delivery).where(Delivery.id == weibo.id).values(state=DeliveryState.FAILED, last_error="401")
        )
    page = await editor.get(f"/posts/{post_id}")
    assert f'action="/posts/{post_id}/retry"' in page.text
    await editor.post(f"/posts/{post_id}/retry", {"channel": "weibo", "note": "换了令牌"})
    page = await editor.get(f"/posts/{post_id}")
    assert "Queued 1 failed deliveries to be sent again now." in page.text
    assert "<th>Channel</th><th>What</th>" in page.text
    assert '<td class="channel">weibo</td>' in page.text
    states = {d.channel.name: d.state for d in list_rows(console.store, Delivery, Delivery.id)}
    assert states == {"website": "queued", "weibo": "queued"}


async def test_coverage_before_the_campaign_needs_the_tick(editor: Visitor, console: Console) -> None:
    console.queue("setup").add_campaign("阅读月", timezone="Asia/Shanghai", starts_at=console.clock.now())
    add_outlet(console.store, OutletSpec(name="晚报", kind="paper"), TrackerSettings(), console.clock.now(), "setup")
    item = {"campaign": "阅读月", "outlet": "晚报", "title": "阅读月预告", "published": "2026-11-20T10:00"}
    await editor.post("/coverage/add", item)
    assert "before campaign 阅读月 starts" in (await editor.get("/coverage?campaign=阅读月")).text
    assert list_coverage(console.store, CoverageFilter(campaign="阅读月")) == []
    await editor.post("/coverage/add", {**item, "confirm_dates": "1"})
    assert len(list_coverage(console.store, CoverageFilter(campaign="阅读月"))) == 1
    await editor.post("/coverage/add", {**item, "confirm_dates": "1"})
    assert "already has this item on that day" in (await editor.get("/coverage?campaign=阅读月")).text
