"""``publisher status``: heartbeats of the daemons, their leases, and the queue's depth and lateness per channel."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from publisher.clock import ManualClock
from publisher.heartbeat import ALIVE_SECONDS, Heartbeats, status
from publisher.queue import PostDraft, Queue
from publisher.store import Store
from tests.conftest import url_of
from tests.test_cli import Cli


def test_status_shows_daemons_leases_depth_and_lateness(store: Store, queue: Queue, clock: ManualClock) -> None:
    for n in range(3):
        queue.add_post(PostDraft(title=f"报道{n}", body="b", channels=["website", "weibo"], now=True))
    alive = Heartbeats(store, "host-a:101", ["website", "weibo"])
    alive.start(clock.now())
    silent = Heartbeats(store, "host-b:202", ["website"])
    silent.start(clock.now() - timedelta(minutes=5))
    claims = store.claim_due(clock.now(), "host-a:101", timedelta(minutes=5), {"website": 2})
    assert len(claims) == 2
    clock.advance(90)
    alive.beat(clock.now(), in_flight=2, sent=7)

    picture = status(store, clock.now())
    by_name = {d.name: d for d in picture.daemons}
    assert by_name["host-a:101"].alive
    assert (by_name["host-a:101"].in_flight, by_name["host-a:101"].sent, by_name["host-a:101"].leases) == (2, 7, 2)
    assert not by_name["host-b:202"].alive  # no heartbeat for more than ALIVE_SECONDS
    assert [(lease.owner, lease.deliveries, lease.expired) for lease in picture.leases] == [("host-a:101", 2, 0)]
    channels = {c.channel: c for c in picture.channels}
    assert channels["website"].states == {"claimed": 2, "queued": 1}
    assert (channels["website"].due_now, channels["website"].lateness_seconds) == (1, 90.0)
    assert (channels["weibo"].due_now, channels["weibo"].lateness_seconds) == (3, 90.0)

    clock.advance(301)  # host-a's leases have run out (it died): shown as expired, for another daemon to take back
    [lease] = status(store, clock.now()).leases
    assert lease.expired == 2

    alive.stop()
    assert [d.name for d in status(store, clock.now()).daemons] == ["host-b:202"]
    assert ALIVE_SECONDS < 90


def test_the_status_command_prints_tables_and_json(tmp_path: Path, store: Store, clock: ManualClock) -> None:
    (tmp_path / "publisher.toml").write_text(
        f'[database]\nurl = "{url_of(store)}"\n[channels.website]\nkind = "outbox"\nfolder = "{tmp_path}/out"\n',
        encoding="utf-8",
    )
    cli = Cli(tmp_path)
    cli("post", "add", "--title", "通知", "--body", "b", "--channel", "website", "--now")
    Heartbeats(store, "host-a:101", ["website"]).start(datetime.now(UTC))  # the CLI reads the system clock
    text = cli("status").stdout
    assert text.splitlines()[0] == "daemons: 1 alive"
    assert "host-a:101" in text
    assert "website" in text
    assert "DUE_NOW" in text
    document = json.loads(cli("status", "--json").stdout)
    assert [d["name"] for d in document["daemons"]] == ["host-a:101"]
    [website] = document["channels"]
    assert (website["channel"], website["states"], website["due_now"]) == ("website", {"queued": 1}, 1)
