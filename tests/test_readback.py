"""Read-back of sent posts (publisher.services.readback): each sent Mastodon post is asked about 1 hour, 1 day, 3 days
and 7 days after sending, against the Mastodon stand-in; a deletion is written in the delivery's history and told
to the team once; several daemons check each post once; the daemon runs the job."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, update

from adapters.base import Adapter, PostContent
from publisher.clock import ManualClock
from publisher.config import Settings
from publisher.daemon import Daemon
from publisher.models import Action, Delivery, DeliveryCheck, DeliveryState, Event, Post
from publisher.queue import PostDraft, Queue
from publisher.services.readback import SCHEDULE, ReadBacks
from publisher.store import Store
from publisher.tracker.settings import AlertSettings
from tests.conftest import make_settings
from tests.fakes import serve
from tests.fakes.mastodon import FakeMastodon


@dataclasses.dataclass
class World:
    fake: FakeMastodon
    settings: Settings
    adapters: dict[str, Adapter]
    store: Store
    clock: ManualClock

    def readbacks(self, owner: str = "daemon-a") -> ReadBacks:
        return ReadBacks(self.settings, self.store, self.clock, self.adapters, owner=owner)

    async def sent(self, title: str = "校运会圆满结束") -> tuple[int, str]:
        """A post the dispatcher sent to Mastodon now: (delivery id, status id)."""
        queue = Queue(self.store, self.adapters, self.clock, timezone="Asia/Shanghai", actor="eve")
        post_id = queue.add_post(PostDraft(title=title, body="感谢各位老师和同学。", channels=["toot"], now=True))
        adapter = self.adapters["toot"]
        receipt = await adapter.publish(adapter.render(PostContent(title=title, body="感谢。")), f"pub-{post_id}")
        with self.store.session() as session:
            delivery = session.scalar(select(Delivery.id).where(Delivery.post_id == post_id))
            session.execute(
                update(Delivery)
                .where(Delivery.id == delivery)
                .values(
                    state=DeliveryState.SENT.value,
                    remote_id=receipt.remote_id,
                    remote_url=receipt.url,
                    sent_at=self.clock.now(),
                )
            )
        assert delivery is not None
        assert receipt.remote_id is not None
        return delivery, receipt.remote_id


@contextlib.asynccontextmanager
async def world(store: Store, clock: ManualClock, tmp_path: Path) -> AsyncIterator[World]:
    fake = FakeMastodon()
    async with serve(fake.app()) as base, httpx.AsyncClient() as client:
        options, env = fake.channel_options(base)
        channels = {
            "toot": {"kind": "mastodon", **options},
            "team": {"kind": "outbox", "folder": str(tmp_path / "team")},
        }
        settings = dataclasses.replace(make_settings(tmp_path, channels), alerts=AlertSettings(channel="team"))
        adapters = settings.build_adapters(client, env)
        store.sync_channels({n: c.kind for n, c in settings.channels.items()}, clock.now())
        yield World(fake, settings, adapters, store, clock)


def check_of(store: Store, delivery: int) -> DeliveryCheck:
    with store.sessions() as session:
        found = session.get(DeliveryCheck, delivery)
    assert found is not None
    return found


def events(store: Store, action: Action) -> list[Event]:
    with store.sessions() as session:
        return list(session.scalars(select(Event).where(Event.action == action.value)))


def team_posts(store: Store) -> list[tuple[str, str, list[str]]]:
    """(title, body, channels) of the posts that told the team of a take-down."""
    with store.sessions() as session:
        posts = session.scalars(select(Post).where(Post.created_by.like("readback %")))
        return [(p.title, p.body, [d.channel.name for d in p.deliveries]) for p in posts]


async def test_a_post_is_read_back_on_the_schedule_and_its_deletion_told_once(
    store: Store, clock: ManualClock, tmp_path: Path
) -> None:
    async with world(store, clock, tmp_path) as w:
        delivery, status = await w.sent()
        sent_at = clock.now()
        job = w.readbacks()
        assert await job.run_due() == []  # seeded: the first check is an hour after sending
        clock.set(sent_at + SCHEDULE[0] + timedelta(seconds=1))
        w.fake.engage(status, favourites=3, reblogs=1)
        [(_, first)] = await job.run_due()
        online = check_of(store, delivery)
        clock.set(sent_at + SCHEDULE[1] + timedelta(seconds=1))
        w.fake.delete(status)
        [(_, second)] = await job.run_due()
        clock.set(sent_at + SCHEDULE[2] + timedelta(seconds=1))
        [(_, third)] = await job.run_due()
        clock.set(sent_at + SCHEDULE[3] + timedelta(seconds=1))
        await job.run_due()
        clock.set(sent_at + timedelta(days=30))
        assert await job.run_due() == []  # the schedule is done

    assert first.state == "online"
    assert (online.state, online.metrics, online.round) == ("online", {"favourites": 3, "reblogs": 1, "replies": 0}, 1)
    assert online.next_at == sent_at + SCHEDULE[1]
    assert (second.state, third.state) == ("gone", "gone")
    done = check_of(store, delivery)
    assert (done.round, done.next_at, done.state) == (4, None, "gone")
    [taken_down] = events(store, Action.DELIVERY_TAKEN_DOWN)
    assert taken_down.delivery_id == delivery
    assert taken_down.reason is not None
    assert taken_down.reason.startswith("toot: gone")
    [(title, body, channels)] = team_posts(store)  # once, though two checks found it gone
    assert title == "稿件下线提醒：《校运会圆满结束》"
    assert "toot 上的稿件《校运会圆满结束》已被删除或封禁" in body
    assert channels == ["team"]


async def test_several_daemons_check_each_post_once(store: Store, clock: ManualClock, tmp_path: Path) -> None:
    async with world(store, clock, tmp_path) as w:
        for n in range(3):
            await w.sent(f"第{n}篇")
        clock.set(clock.now() + SCHEDULE[0] + timedelta(seconds=1))
        first, second = w.readbacks("daemon-a"), w.readbacks("daemon-b")
        checked = [*await first.run_due(), *await second.run_due()]
        reads = [r for r in w.fake.requests if r[0] == "GET" and "/api/v1/statuses/" in r[1]]

    assert sorted(check.delivery_id for check, _ in checked) == sorted({c.delivery_id for c, _ in checked})
    assert len(checked) == 3
    assert len(reads) == 3


async def test_a_platform_that_cannot_be_asked_changes_nothing_known(
    store: Store, clock: ManualClock, tmp_path: Path
) -> None:
    async with world(store, clock, tmp_path) as w:
        delivery, status = await w.sent()
        w.fake.engage(status, favourites=2)
        job = w.readbacks()
        await job.run_due()
        clock.set(clock.now() + SCHEDULE[0] + timedelta(seconds=1))
        await job.run_due()
        w.fake.reads_down = True  # the instance is down for maintenance: it cannot be asked
        clock.set(clock.now() + SCHEDULE[1])
        [(_, found)] = await job.run_due()

    assert found.state == "unknown"
    kept = check_of(store, delivery)
    assert (kept.state, kept.metrics["favourites"], kept.round) == ("online", 2, 2)
    assert events(store, Action.DELIVERY_TAKEN_DOWN) == []


async def test_the_daemon_reads_back_what_is_due(
    store: Store, clock: ManualClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with world(store, clock, tmp_path) as w:
        delivery, _ = await w.sent()
        monkeypatch.setenv("MASTODON_TOKEN", w.fake.token)
        await w.readbacks().run_due()  # seeds the check
        clock.set(clock.now() + SCHEDULE[0] + timedelta(seconds=1))
        daemon = Daemon(w.settings, store, clock)
        running = asyncio.create_task(daemon.run(handle_signals=False))
        try:
            async with asyncio.timeout(20):  # the job runs as the daemon starts
                while check_of(store, delivery).checked_at is None:  # noqa: ASYNC110 (a database read)
                    await asyncio.sleep(0.05)
        finally:
            daemon.stop()
            await running
    assert check_of(store, delivery).state == "online"


async def test_a_wordpress_twin_that_landed_after_the_send_is_trashed_at_the_next_read_back(
    store: Store, clock: ManualClock, tmp_path: Path
) -> None:
    """Seen on a real site: the first create request reached WordPress late, after the daemon had posted again, and
    made a second published post once the delivery was settled. The read-back finds it and moves it to the trash."""
    from adapters.errors import Uncertain
    from tests.fakes.wordpress import FakeWordPress

    fake = FakeWordPress()
    async with serve(fake.app()) as base, httpx.AsyncClient() as client:
        options, env = fake.channel_options(base)
        channels = {"site": {"kind": "wordpress", **options, "timeout": 0.3}}
        settings = make_settings(tmp_path, channels)
        adapters = settings.build_adapters(client, env)
        store.sync_channels({"site": "wordpress"}, clock.now())
        queue = Queue(store, adapters, clock, timezone="Asia/Shanghai", actor="eve")
        post_id = queue.add_post(PostDraft(title="校运会圆满结束", body="感谢各位老师。", channels=["site"], now=True))
        with store.sessions() as session:
            delivery, key = session.execute(
                select(Delivery.id, Delivery.idempotency_key).where(Delivery.post_id == post_id)
            ).one()
        site = adapters["site"]
        payload = site.render(PostContent(title="校运会圆满结束", body="感谢各位老师。"))
        fake.inject("late")
        with pytest.raises(Uncertain):  # the first request is held: it lands later
            await site.publish(payload, key)
        receipt = await site.publish(payload, key)
        with store.session() as session:
            session.execute(
                update(Delivery)
                .where(Delivery.id == delivery)
                .values(state=DeliveryState.SENT.value, remote_id=receipt.remote_id, sent_at=clock.now())
            )
        job = ReadBacks(settings, store, clock, adapters, owner="daemon-a")
        await job.run_due()  # seeded
        assert await fake.land() == 1  # the late request lands after the delivery was settled
        assert len(fake.live()) == 2
        clock.set(clock.now() + SCHEDULE[0] + timedelta(seconds=1))

        [(_, found)] = await job.run_due()

    kept, late = fake.accepted
    assert found.state == "online"
    assert [post["id"] for post in fake.live()] == [kept["id"]]
    assert str(kept["id"]) == receipt.remote_id
    assert late["status"] == "trash"
    [removed] = events(store, Action.DELIVERY_COPIES_REMOVED)
    assert (removed.delivery_id, removed.reason) == (delivery, f"extra copies moved to the trash: {late['id']}")
