"""Events told to other systems (publisher.services.webhooks): the outbox row comes with the event in one transaction
(a database trigger) or not at all; each event is POSTed signed as Standard Webhooks says, checked by a stand-in
receiver (tests/fakes/event_receiver.py) over loopback; retried with backoff, logged, resent, paused when it keeps
failing; the secret sealed in the database; the address through the outbound guard. On SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from publisher.clock import ManualClock
from publisher.config import Settings, WebhookSettings, WebSettings
from publisher.errors import ConfigError, ValidationError
from publisher.models import Action, WebhookDelivery
from publisher.outbound import OutboundPolicy
from publisher.queue import PostDraft, Queue
from publisher.services.webhooks import EVENT_TYPES, Webhooks, WebhookSender, sign
from publisher.store import Store
from publisher.store.events import add_event
from tests.conftest import make_settings
from tests.fakes.event_receiver import EventReceiver
from tests.fakes.server import serve

KEY_ENV = {"PUBLISHER_WEBHOOK_KEY": "a-long-random-key-for-the-tests-0123456789"}
LOOPBACK = OutboundPolicy.parse(["127.0.0.0/8"], "test")


def settings_for(tmp_path: Path, **webhooks: Any) -> Settings:
    return dataclasses.replace(
        make_settings(tmp_path),
        web=WebSettings(public_url="https://publicity.example.edu.cn"),
        outbound=LOOPBACK,
        webhooks=WebhookSettings(secret_key_env="PUBLISHER_WEBHOOK_KEY", **webhooks),
    )


@dataclasses.dataclass
class Subscribed:
    """A receiver subscribed: the settings, the admin's service, and a queue to make events with."""

    settings: Settings
    hooks: Webhooks
    queue: Queue


def subscribe(
    store: Store, clock: ManualClock, tmp_path: Path, fake: EventReceiver, url: str, types: list[str], **webhooks: Any
) -> Subscribed:
    """``fake`` subscribed to ``types`` at ``url`` (it learns the secret, as its owner would from `webhook add`)."""
    settings = settings_for(tmp_path, **webhooks)
    store.sync_channels({"website": "outbox", "weibo": "outbox"}, clock.now())
    hooks = Webhooks(settings, store, clock, KEY_ENV)
    fake.secret = hooks.add("oa", url, types, "admin")
    queue = Queue(store, settings.build_adapters(httpx.AsyncClient(), {}), clock, actor="eve")
    return Subscribed(settings, hooks, queue)


def outbox(store: Store) -> list[WebhookDelivery]:
    with store.sessions() as session:
        return list(session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


@pytest.fixture
async def receiver(clock: ManualClock) -> AsyncIterator[tuple[EventReceiver, str]]:
    fake = EventReceiver(clock=lambda: clock.now().timestamp())
    async with serve(fake.app()) as base:
        yield fake, base


def test_the_signature_is_the_standard_webhooks_one() -> None:
    # the example of the specification's reference libraries: a receiver using one of them accepts our requests
    secret, message, stamp = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330
    assert sign(secret, message, stamp, b'{"test": 2432232314}') == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    body = b'{"test": 2432232314}'
    assert sign(secret, message, stamp + 1, body) != sign(secret, message, stamp, body)


def test_an_event_is_queued_with_its_change_or_not_at_all(store: Store, clock: ManualClock, tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    store.sync_channels({"website": "outbox", "weibo": "outbox"}, clock.now())
    hooks = Webhooks(settings, store, clock, KEY_ENV)
    hooks.add("oa", "https://oa.example.edu.cn/hook", ["post.created", "post.approved"], "admin")
    hooks.add("off", "https://other.example.org/hook", ["post.created"], "admin")
    hooks.edit("off", active=False, actor="admin")
    queue = Queue(store, settings.build_adapters(httpx.AsyncClient(), {}), clock, actor="eve")
    queue.add_campaign("阅读月", requires_approval=True)
    post = queue.add_post(PostDraft(title="亲子共读", body="b", channels=["website"], now=True, campaign="阅读月"))
    Queue(store, queue.adapters, clock, actor="lee").approve(post)
    # a change that rolls back takes its event and its outbox row with it
    with pytest.raises(RuntimeError), store.session() as session:
        add_event(session, at=clock.now(), actor="eve", action=Action.POST_ADD, post_id=post)
        raise RuntimeError("the change failed after its event was written")

    rows = outbox(store)
    assert len(rows) == 2  # created and approved, to "oa" only: "off" is switched off; sent is not subscribed
    assert {row.subscriber_id for row in rows} == {hooks.subscribers()[0].id}
    assert [row.state for row in rows] == ["queued", "queued"]


async def test_each_event_arrives_signed_with_what_a_receiver_needs(
    store: Store, clock: ManualClock, tmp_path: Path, receiver: tuple[EventReceiver, str]
) -> None:
    fake, base = receiver
    made = subscribe(store, clock, tmp_path, fake, f"{base}/events", list(EVENT_TYPES))
    settings, queue = made.settings, made.queue
    post = queue.add_post(PostDraft(title="开学典礼", body="b", channels=["website"], now=True))

    sender = WebhookSender(settings, store, clock, "daemon-1", environ=KEY_ENV)
    assert await sender.run_due() == 1
    await sender.aclose()

    assert fake.refused == []
    (got,) = fake.received
    document = got["document"]
    assert document["type"] == "post.created"
    assert document["data"]["post"]["title"] == "开学典礼"
    assert document["data"]["post"]["console_url"] == f"https://publicity.example.edu.cn/posts/{post}"
    assert got["id"] == f"evt_{document['data']['event_id']}"
    assert got["timestamp"] == int(clock.now().timestamp())
    (row,) = outbox(store)
    assert (row.state, row.attempts, row.last_status) == ("delivered", 1, 204)
    assert row.body is not None
    assert row.body.encode() == got["body"]


async def test_a_wrong_secret_is_refused_by_the_receiver(
    store: Store, clock: ManualClock, tmp_path: Path, receiver: tuple[EventReceiver, str]
) -> None:
    fake, base = receiver
    settings = settings_for(tmp_path, max_attempts=3)
    store.sync_channels({"website": "outbox", "weibo": "outbox"}, clock.now())
    hooks = Webhooks(settings, store, clock, KEY_ENV)
    hooks.add("oa", f"{base}/events", ["post.created"], "admin")
    fake.secret = hooks.edit("oa", rotate=True, actor="admin") or ""
    Queue(store, settings.build_adapters(httpx.AsyncClient(), {}), clock, actor="eve").add_post(
        PostDraft(title="t", body="b", channels=["website"], now=True)
    )
    fake.secret = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY"  # not the one the sender holds
    sender = WebhookSender(settings, store, clock, "daemon-1", environ=KEY_ENV)
    assert await sender.run_due() == 0
    await sender.aclose()
    assert fake.refused == ["bad signature"]
    assert outbox(store)[0].last_status == 401


async def test_failures_are_retried_with_backoff_and_then_given_up(
    store: Store, clock: ManualClock, tmp_path: Path, receiver: tuple[EventReceiver, str]
) -> None:
    fake, base = receiver
    made = subscribe(
        store,
        clock,
        tmp_path,
        fake,
        f"{base}/events",
        ["post.created"],
        max_attempts=3,
        backoff_initial=60,
        backoff_max=3600,
    )
    settings, queue = made.settings, made.queue
    queue.add_post(PostDraft(title="t1", body="b", channels=["website"], now=True))
    sender = WebhookSender(settings, store, clock, "daemon-1", environ=KEY_ENV)
    fake.answers.extend([500, 429, 503])

    assert await sender.run_due() == 0  # 500
    (row,) = outbox(store)
    assert (row.state, row.attempts, row.last_error) == ("queued", 1, "HTTP 500")
    assert timedelta(seconds=30) <= row.next_at - clock.now() <= timedelta(seconds=60)
    assert await sender.run_due() == 0  # not due yet: nothing sent
    clock.advance(61)
    assert await sender.run_due() == 0  # 429 Retry-After: 120
    (row,) = outbox(store)
    assert row.next_at - clock.now() >= timedelta(seconds=120)
    clock.advance(130)
    assert await sender.run_due() == 0  # 503, the third and last attempt
    (row,) = outbox(store)
    assert (row.state, row.attempts, row.last_status) == ("failed", 3, 503)
    clock.advance(3600)
    assert await sender.run_due() == 0
    assert fake.received == []

    Webhooks(settings, store, clock, KEY_ENV).resend(row.id, "admin")  # the log's "resend"
    assert await sender.run_due() == 1
    await sender.aclose()
    (row,) = outbox(store)
    assert (row.state, row.attempts) == ("delivered", 1)
    assert [got["id"] for got in fake.received] == [f"evt_{row.event_id}"]


async def test_a_subscriber_that_keeps_failing_is_paused_with_the_reason_and_resumed(
    store: Store, clock: ManualClock, tmp_path: Path, receiver: tuple[EventReceiver, str]
) -> None:
    fake, base = receiver
    made = subscribe(
        store, clock, tmp_path, fake, f"{base}/events", ["post.created"], pause_after=3, backoff_initial=10
    )
    settings, hooks, queue = made.settings, made.hooks, made.queue
    for n in range(3):
        queue.add_post(PostDraft(title=f"t{n}", body="b", channels=["website"], now=True))
    sender = WebhookSender(settings, store, clock, "daemon-1", environ=KEY_ENV)
    fake.answers.extend([500, 500, 500])

    assert await sender.run_due() == 0
    (row,) = hooks.subscribers()
    assert row.paused_at is not None
    assert row.failures == 3
    assert row.paused_reason == "3 failed sends in a row; the last: HTTP 500"
    clock.advance(3600)
    assert await sender.run_due() == 0  # paused: its events wait
    assert fake.received == []
    assert row.queued == 3

    hooks.resume("oa", "admin")
    assert await sender.run_due() == 3
    await sender.aclose()
    assert len(set(fake.ids)) == 3
    assert hooks.subscribers()[0].paused_at is None


async def test_410_gone_pauses_at_once_and_a_redirect_is_not_followed(
    store: Store, clock: ManualClock, tmp_path: Path, receiver: tuple[EventReceiver, str]
) -> None:
    fake, base = receiver
    made = subscribe(store, clock, tmp_path, fake, f"{base}/events", ["post.created"])
    settings, hooks, queue = made.settings, made.hooks, made.queue
    queue.add_post(PostDraft(title="t", body="b", channels=["website"], now=True))
    sender = WebhookSender(settings, store, clock, "daemon-1", environ=KEY_ENV)

    fake.answers.append(302)
    assert await sender.run_due() == 0
    assert outbox(store)[0].last_status == 302
    assert fake.received == []
    clock.advance(3600)
    fake.answers.append(410)
    assert await sender.run_due() == 0
    await sender.aclose()
    (row,) = hooks.subscribers()
    assert row.paused_reason == "the receiver answered 410 Gone: it wants no more events"


async def test_the_address_goes_through_the_outbound_guard(
    store: Store, clock: ManualClock, tmp_path: Path, receiver: tuple[EventReceiver, str]
) -> None:
    fake, base = receiver
    guarded = dataclasses.replace(settings_for(tmp_path), outbound=OutboundPolicy())
    hooks = Webhooks(guarded, store, clock, KEY_ENV)
    with pytest.raises(ValidationError, match="refused: private address"):
        hooks.add("inside", f"{base}/events", ["post.created"], "admin")  # 127.0.0.1, not allowed
    with pytest.raises(ValidationError, match="not an address to send to"):
        hooks.add("file", "file:///etc/passwd", ["post.created"], "admin")
    # a name is checked when it is resolved: localhost resolves to loopback, refused at the send
    port = base.rsplit(":", 1)[1]
    fake.secret = hooks.add("named", f"http://localhost:{port}/events", ["post.created"], "admin")
    store.sync_channels({"website": "outbox", "weibo": "outbox"}, clock.now())
    Queue(store, guarded.build_adapters(httpx.AsyncClient(), {}), clock, actor="eve").add_post(
        PostDraft(title="t", body="b", channels=["website"], now=True)
    )
    sender = WebhookSender(guarded, store, clock, "daemon-1", environ=KEY_ENV)
    assert await sender.run_due() == 0
    await sender.aclose()
    assert fake.received == []
    assert fake.refused == []
    assert outbox(store)[0].last_error == "refused: private address"


def test_the_secret_is_sealed_and_needs_the_key(store: Store, clock: ManualClock, tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    with pytest.raises(ConfigError, match=r"\[webhooks.secret_key_env\] names PUBLISHER_WEBHOOK_KEY, which is unset"):
        Webhooks(settings, store, clock, {}).add("oa", "https://oa.example.edu.cn/hook", ["post.created"], "a")
    no_key = dataclasses.replace(settings, webhooks=WebhookSettings())
    with pytest.raises(ConfigError, match="secret_key_env = "):
        Webhooks(no_key, store, clock, KEY_ENV).add("oa", "https://oa.example.edu.cn/hook", ["post.created"], "a")
    with pytest.raises(ValidationError, match=r"unknown event type post\.sent; choose among: post\.created"):
        Webhooks(settings, store, clock, KEY_ENV).add("oa", "https://oa.example.edu.cn/h", ["post.sent"], "a")
    secret = Webhooks(settings, store, clock, KEY_ENV).add("oa", "https://oa.example.edu.cn/h", ["post.created"], "a")
    assert secret.startswith("whsec_")
    with store.engine.connect() as connection:
        dump = "\n".join(str(row) for row in connection.exec_driver_sql("SELECT * FROM webhook_subscribers"))
    assert secret not in dump
    assert secret.removeprefix("whsec_") not in dump
    with pytest.raises(ValidationError, match="already a webhook named oa"):
        Webhooks(settings, store, clock, KEY_ENV).add("oa", "https://oa.example.edu.cn/h", ["post.created"], "a")


async def test_a_key_that_cannot_open_the_secret_pauses_the_subscriber(
    store: Store, clock: ManualClock, tmp_path: Path, receiver: tuple[EventReceiver, str]
) -> None:
    _, base = receiver
    settings = settings_for(tmp_path)
    store.sync_channels({"website": "outbox", "weibo": "outbox"}, clock.now())
    Webhooks(settings, store, clock, KEY_ENV).add("oa", f"{base}/events", ["post.created"], "admin")
    Queue(store, settings.build_adapters(httpx.AsyncClient(), {}), clock, actor="eve").add_post(
        PostDraft(title="t", body="b", channels=["website"], now=True)
    )
    other_key = {"PUBLISHER_WEBHOOK_KEY": "another-key-entirely-0123456789"}
    sender = WebhookSender(settings, store, clock, "daemon-1", environ=other_key)
    assert await sender.run_due() == 0
    await sender.aclose()
    (row,) = Webhooks(settings, store, clock, KEY_ENV).subscribers()
    assert row.paused_reason == "its secret cannot be opened with the key now set: give it a new secret"


async def test_two_daemons_share_the_outbox_and_a_dead_ones_events_go_once_more_with_the_same_id(
    store: Store, clock: ManualClock, tmp_path: Path, receiver: tuple[EventReceiver, str]
) -> None:
    fake, base = receiver
    made = subscribe(store, clock, tmp_path, fake, f"{base}/events", ["post.created"], batch=4, timeout=5)
    settings, queue = made.settings, made.queue
    for n in range(10):
        queue.add_post(PostDraft(title=f"t{n}", body="b", channels=["website"], now=True))
    dead = WebhookSender(settings, store, clock, "daemon-dead", environ=KEY_ENV)
    claimed = dead._claim(clock.now(), clock.now() + timedelta(seconds=40))  # then killed: never records
    assert len(claimed) == 4
    one = WebhookSender(settings, store, clock, "daemon-1", environ=KEY_ENV)
    two = WebhookSender(settings, store, clock, "daemon-2", environ=KEY_ENV)
    assert await one.run_due() + await two.run_due() == 6  # what the dead one holds is left alone
    assert await one.run_due() == 0
    clock.advance(41)  # its lease runs out
    assert await two.run_due() == 4
    await one.aclose()
    await two.aclose()
    assert len(fake.ids) == len(set(fake.ids)) == 10
    assert {row.state for row in outbox(store)} == {"delivered"}


def test_the_command_line_adds_lists_logs_resends_and_removes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.test_cli import configured

    monkeypatch.setenv("PUBLISHER_WEBHOOK_KEY", KEY_ENV["PUBLISHER_WEBHOOK_KEY"])
    cli = configured(tmp_path, '[webhooks]\nsecret_key_env = "PUBLISHER_WEBHOOK_KEY"\n')
    cli("init")
    added = cli("webhook", "add", "oa", "--url", "https://oa.example.edu.cn/hook", "--event", "post.created").stdout
    wrong = cli("webhook", "add", "x", "--url", "http://192.168.1.9/h", "--event", "post.created", ok=False)
    cli("post", "add", "--title", "开学典礼", "--body", "b", "--channel", "website", "--now")
    [row] = cli.json("webhook", "list")
    [line] = cli.json("webhook", "log")
    resent = cli("webhook", "resend", str(line["id"])).stdout
    edited = cli("webhook", "edit", "oa", "--off", "--new-secret").stdout
    removed = cli("webhook", "remove", "oa").stdout
    gone = cli("webhook", "remove", "oa", ok=False)

    assert "webhook oa added: post.created" in added
    assert "its signing secret (shown this once; give it to the receiver): whsec_" in added
    assert "http://192.168.1.9/h: refused: private address; list the network under [outbound] allow" in wrong.stderr
    assert (row["name"], row["events"], row["state"], row["queued"]) == ("oa", ["post.created"], "active", 1)
    assert (line["webhook"], line["event"], line["state"], line["attempts"]) == ("oa", "post.created", "queued", 0)
    assert f"webhook delivery {line['id']} queued again" in resent
    assert "whsec_" in edited
    assert "webhook oa removed" in removed
    assert "there is no webhook oa; see `publisher webhook list`" in gone.stderr


def test_the_sealing_key_is_among_the_secrets_scrubbed(tmp_path: Path) -> None:
    from publisher.scrub import settings_secrets

    assert KEY_ENV["PUBLISHER_WEBHOOK_KEY"] in settings_secrets(settings_for(tmp_path), KEY_ENV)
