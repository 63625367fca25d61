"""The team hears what needs it (publisher.services.team, [team]): an approval request in the approvers' group with
the post's link, a failed or uncertain delivery in the editors' group, a daily summary after its time; each once,
however many daemons look; a campaign's own groups before the table's; nothing about the team's own words."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, update

from adapters.base import Adapter
from publisher.clock import ManualClock
from publisher.config import Settings, WebSettings, load_settings
from publisher.errors import ConfigError
from publisher.models import Delivery, DeliveryState, Post
from publisher.queue import PostDraft, Queue
from publisher.services.team import TeamNotices
from publisher.services.team_settings import TeamChannels, TeamSettings
from publisher.store import Store
from tests.conftest import make_settings, outbox_config

NOW = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


@pytest.fixture
def team(tmp_path: Path, store: Store, clock: ManualClock) -> tuple[Settings, dict[str, Adapter]]:
    names = ("website", "leaders", "editors", "reading-leaders")
    channels = {name: {"kind": "outbox", "folder": str(tmp_path / name)} for name in names}
    settings = dataclasses.replace(
        make_settings(tmp_path, channels),
        web=WebSettings(public_url="https://publicity.example.edu.cn"),
        team=TeamSettings(
            approvers="leaders",
            editors="editors",
            summary="editors",
            summary_at="18:00",
            campaigns={"阅读月": TeamChannels(approvers="reading-leaders")},
        ),
    )
    store.sync_channels({name: "outbox" for name in names}, clock.now())
    return settings, settings.build_adapters(httpx.AsyncClient(), {})


def told(store: Store) -> list[tuple[str, str, list[str]]]:
    """(title, body, channels) of the posts the notices queued."""
    with store.sessions() as session:
        posts = session.scalars(select(Post).where(Post.created_by.like("team:%")).order_by(Post.id))
        return [(p.title, p.body, [d.channel.name for d in p.deliveries]) for p in posts]


def test_approval_requests_go_to_the_campaigns_approvers_once(
    store: Store, clock: ManualClock, team: tuple[Settings, dict[str, Adapter]]
) -> None:
    settings, adapters = team
    clock.set(NOW)
    queue = Queue(store, adapters, clock, timezone="Asia/Shanghai", actor="eve")
    queue.add_campaign("阅读月", timezone="Asia/Shanghai", requires_approval=True)
    queue.add_campaign("校运会", timezone="Asia/Shanghai", requires_approval=True)
    due = NOW + timedelta(hours=8)
    reading = queue.add_post(PostDraft(title="亲子共读", body="b", channels=["website"], at=due, campaign="阅读月"))
    queue.add_post(PostDraft(title="校运会开幕", body="b", channels=["website"], at=due, campaign="校运会"))
    queue.add_post(PostDraft(title="无需审批", body="b", channels=["website"], now=True))

    first = TeamNotices(settings, store, clock, adapters).run_due()
    second = TeamNotices(settings, store, clock, adapters).run_due()  # another daemon, the same minute

    assert len(first) == 2
    assert second == []
    (reading_title, reading_body, reading_channels), (sports_title, _, sports_channels) = told(store)
    assert reading_title == "待审批：《亲子共读》"
    assert reading_channels == ["reading-leaders"]  # the campaign's own approvers' group
    assert sports_title == "待审批：《校运会开幕》"
    assert sports_channels == ["leaders"]  # the table's
    assert "作者：eve；渠道：website；计划时间：2026-12-04 18:00" in reading_body
    assert f"https://publicity.example.edu.cn/posts/{reading}" in reading_body


def test_a_failure_is_told_to_the_editors_and_a_notice_that_fails_is_not(
    store: Store, clock: ManualClock, team: tuple[Settings, dict[str, Adapter]]
) -> None:
    settings, adapters = team
    clock.set(NOW)
    queue = Queue(store, adapters, clock, timezone="Asia/Shanghai", actor="eve")
    post = queue.add_post(PostDraft(title="开学典礼", body="b", channels=["website"], now=True))
    with store.session() as session:
        session.execute(
            update(Delivery)
            .where(Delivery.post_id == post)
            .values(state=DeliveryState.UNCERTAIN.value, last_error="timed out", updated_at=NOW)
        )
    notices = TeamNotices(settings, store, clock, adapters)

    [notice] = notices.run_due()
    with store.session() as session:  # the notice's own delivery fails too
        session.execute(
            update(Delivery).where(Delivery.post_id == notice).values(state="failed", last_error="x", updated_at=NOW)
        )
    again = notices.run_due()

    [(title, body, channels)] = told(store)
    assert title == "待确认：《开学典礼》"
    assert channels == ["editors"]
    assert "website 的发送结果不确定：timed out" in body
    assert again == []


def test_the_daily_summary_goes_once_after_its_time(
    store: Store, clock: ManualClock, team: tuple[Settings, dict[str, Adapter]]
) -> None:
    settings, adapters = team
    clock.set(NOW)
    queue = Queue(store, adapters, clock, timezone="Asia/Shanghai", actor="eve")
    sent = queue.add_post(PostDraft(title="已发", body="b", channels=["website"], now=True))
    queue.add_post(PostDraft(title="稍后", body="b", channels=["website"], at=NOW + timedelta(hours=3)))
    with store.session() as session:
        session.execute(
            update(Delivery).where(Delivery.post_id == sent).values(state="sent", sent_at=NOW, updated_at=NOW)
        )
    notices = TeamNotices(settings, store, clock, adapters)

    before = notices.run_due()  # 10:00: not yet
    clock.set(datetime(2026, 12, 4, 10, 1, tzinfo=UTC))  # 18:01 in Shanghai
    [summary] = notices.run_due()
    later = notices.run_due()

    assert before == []
    assert later == []
    [(title, body, channels)] = [t for t in told(store) if t[0].startswith("宣传日报")]
    assert title == "宣传日报 2026-12-04"
    assert channels == ["editors"]
    assert body == "已发送 1 条，等待发送 1 条，失败 0 条，待确认 0 条，新增媒体报道 0 篇。"
    assert summary > 0


def test_the_config_table_is_checked(tmp_path: Path) -> None:
    text = '[team]\napprovers = "outbox"\nsummary_at = "6pm"\n'
    with pytest.raises(ConfigError, match=r"team.summary_at\] must be a time of day as HH:MM"):
        load_settings(outbox_config(tmp_path, text))
    text = '[team]\neditors = "nowhere"\n'
    with pytest.raises(ConfigError, match=r"team.editors\] unknown channel 'nowhere'"):
        load_settings(outbox_config(tmp_path, text))
    text = '[team]\napprovers = "outbox"\n[team."阅读月"]\nsummary = "outbox"\nfoo = 1\n'
    with pytest.raises(ConfigError, match="is not a known setting"):
        load_settings(outbox_config(tmp_path, text))
    text = '[team]\napprovers = "outbox"\n[team."阅读月"]\nsummary = "outbox"\n'
    team = load_settings(outbox_config(tmp_path, text)).team
    assert team is not None
    assert team.channel("阅读月", "summary") == "outbox"
    assert team.channel("阅读月", "approvers") == "outbox"  # the table's
    assert team.channel(None, "editors") is None
