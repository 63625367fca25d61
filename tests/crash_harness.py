"""Crash safety, proven: daemons killed with SIGKILL at random moments while 1,000 deliveries flow.

    set -a; . /tmp/publisher-postgres.env; set +a      # after `bash tests/integration/postgres.sh start`
    .venv/bin/python -m tests.crash_harness [--deliveries 1000] [--rounds 20] [--daemons 2] [--seed N]

Daemons run as real processes (``python -m publisher.cli run``) on one PostgreSQL database and send to three
stand-in platforms served by a process of their own (``tests/fakes``): a plain webhook (no idempotency: an unknown
outcome becomes ``uncertain``), Mastodon (native ``Idempotency-Key``) and WordPress (lookup by slug). The posts fall
due evenly over ``spread`` seconds, so that work flows through every kill however fast the machine; the stand-ins
answer after a delay, so that at any moment requests are in flight, and they log each request's arrival.
At random moments (``kill_every``) one daemon, chosen at random among those up for ``min_age`` seconds (so that it
is sending), is killed with SIGKILL and a new one started, until ``rounds`` kills; the survivors then finish the
work (dead daemons' leases run out after ``lease_seconds``).

Afterwards each delivery is checked against what the platforms received:

- lost: a delivery neither sent, nor failed with a reason, nor uncertain (must be 0);
- duplicates: a delivery that appears more than once on its platform (must be 0 on Mastodon and WordPress; on the
  webhook, where nothing deduplicates, the daemon never resends blindly, so 0 there too);
- sent but absent: recorded as sent, yet the platform has nothing (must be 0);
- uncertain: each must have been held by a daemon that was killed, with its request (if any) arriving before that
  kill, i.e. in flight at the moment of the kill (unexplained: must be 0).

The harness prints these counts, and ``tests/test_crash.py`` runs it (marked ``slow``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import multiprocessing
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

__all__ = ["Result", "run"]

CHANNELS = {"hook": "webhook", "toot": "mastodon", "site": "wordpress"}  # name -> kind
PROMISES = {"hook": "at most once (uncertain)", "toot": "exactly once (native key)", "site": "exactly once (lookup)"}
MARKER = re.compile(rb"crash-(\d{5})")
WEBHOOK_KEY_ENV, WEBHOOK_KEY = "PUBLISHER_WEBHOOK_KEY", "crash-harness-webhook-key-0123456789"
#: the events the receiver subscribes to: every post's creation, and how each delivery settled
WEBHOOK_TYPES = ("post.created", "delivery.sent", "delivery.failed", "delivery.uncertain")
CONTEXT = multiprocessing.get_context("spawn")


# --- the stand-ins, in a process of their own -------------------------------------------------------------------------


def standins_main(conn: Connection, latency: float) -> None:
    asyncio.run(_standins(conn, latency))


async def _standins(conn: Connection, latency: float) -> None:
    from aiohttp import web

    from tests.fakes.event_receiver import EventReceiver
    from tests.fakes.mastodon import FakeMastodon
    from tests.fakes.webhook import FakeWebhook
    from tests.fakes.wordpress import FakeWordPress

    fakes: dict[str, Any] = {
        "hook": FakeWebhook(),
        "toot": FakeMastodon(statuses_per_window=1_000_000),
        "site": FakeWordPress(),
    }
    arrivals: list[list[Any]] = []  # [channel, marker, arrived, answered or None]

    def timing(channel: str) -> Any:
        @web.middleware
        async def middleware(request: web.Request, handler: Any) -> web.StreamResponse:
            entry = None
            if request.method == "POST":
                found = MARKER.search(await request.read())  # the body stays readable for the handler
                if found:
                    entry = [channel, int(found.group(1)), time.time(), None]
                    arrivals.append(entry)
            response = await handler(request)
            await asyncio.sleep(latency)  # the post has landed; the answer takes a while (the window of a kill)
            if entry is not None:
                entry[3] = time.time()
            return response

        return middleware

    runners = []
    options: dict[str, tuple[dict[str, Any], dict[str, str]]] = {}
    for name, fake in fakes.items():
        app = fake.app()
        app.middlewares.append(timing(name))
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=512)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        options[name] = fake.channel_options(f"http://127.0.0.1:{port}")
        runners.append(runner)
    # the system told of events (publisher webhook add): it checks each signature, and keeps the ids it got
    receiver = EventReceiver()
    app = receiver.app()
    app.middlewares.append(timing("events"))
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=512)
    await site.start()
    options["events"] = ({"url": f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/events"}, {})  # type: ignore[union-attr]
    runners.append(runner)

    def landed(items: list[dict[str, Any]]) -> list[int]:
        found = (MARKER.search(json.dumps(item, ensure_ascii=False, default=str).encode()) for item in items)
        return [int(match.group(1)) for match in found if match]

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def command() -> None:
        try:
            asked = conn.recv()
        except (EOFError, OSError):
            stop.set()
            return
        if isinstance(asked, tuple) and asked[0] == "secret":
            receiver.secret = asked[1]
        elif asked == "report":
            conn.send(
                {
                    "created": {name: landed(fake.accepted) for name, fake in fakes.items()},
                    "live": {"site": landed(fakes["site"].live())},
                    "arrivals": arrivals,
                    "events": receiver.ids,
                    "events_refused": list(receiver.refused),
                }
            )
        elif asked == "stop":
            stop.set()

    loop.add_reader(conn.fileno(), command)
    conn.send(options)
    await stop.wait()
    for runner in runners:
        await runner.cleanup()


class StandIns:
    def __init__(self, latency: float) -> None:
        self.conn, child = CONTEXT.Pipe()
        self.process = CONTEXT.Process(target=standins_main, args=(child, latency), daemon=True)
        self.process.start()
        child.close()
        if not self.conn.poll(30):
            raise RuntimeError("the stand-ins did not start")
        self.options: dict[str, tuple[dict[str, Any], dict[str, str]]] = self.conn.recv()

    def report(self) -> dict[str, Any]:
        self.conn.send("report")
        if not self.conn.poll(30):
            raise RuntimeError("the stand-ins did not answer")
        answer: dict[str, Any] = self.conn.recv()
        return answer

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.conn.send("stop")
        self.process.join(10)
        if self.process.is_alive():
            self.process.kill()
        self.conn.close()


# --- the daemons ------------------------------------------------------------------------------------------------------


def write_config(
    folder: Path, database_url: str, options: Mapping[str, tuple[dict[str, Any], dict[str, str]]], concurrency: int
) -> tuple[Path, dict[str, str]]:
    lines = [
        "[database]",
        f"url = {json.dumps(database_url)}",
        "[daemon]",
        "lease_seconds = 6",  # short: a killed daemon's claims come back quickly (the config needs > 5)
        "poll_interval = 1",
        "shutdown_grace = 2",
        "backoff_initial = 0.5",
        "backoff_max = 2",
        "max_attempts = 20",
        "breaker_threshold = 1000",  # kills are not the platform's fault
        "[web]",
        "enabled = false",
        "[log]",
        'level = "INFO"',
        "[webhooks]",
        f'secret_key_env = "{WEBHOOK_KEY_ENV}"',
        "check_seconds = 0.5",
        "backoff_initial = 0.5",
        "backoff_max = 2",
        "[outbound]",
        'allow = ["127.0.0.0/8"]',  # the receiver is on loopback
    ]
    env: dict[str, str] = {WEBHOOK_KEY_ENV: WEBHOOK_KEY}
    for name, kind in CHANNELS.items():
        channel_options, secrets = options[name]
        env.update(secrets)
        table = {**channel_options, "timeout": 10, "concurrency": concurrency}
        if kind == "mastodon":
            table["rate_per_minute"] = 60_000  # the stand-in has no such limit; the real one is 300 per 3 hours
        lines.append(f"[channels.{name}]")
        lines.append(f'kind = "{kind}"')
        lines.extend(f"{key} = {json.dumps(value)}" for key, value in table.items())
    path = folder / "publisher.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, env


@dataclasses.dataclass
class DaemonProc:
    process: subprocess.Popen[bytes]
    owner: str
    started: float
    log: Path


class Daemons:
    def __init__(self, config: Path, env: Mapping[str, str], folder: Path) -> None:
        self.config = config
        self.env = {**os.environ, **env}
        self.folder = folder
        self.running: list[DaemonProc] = []
        self.killed: dict[str, float] = {}  # owner -> time of the SIGKILL
        self.started = 0

    def start(self) -> DaemonProc:
        self.started += 1
        log = self.folder / f"daemon-{self.started}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "publisher.cli", "--config", str(self.config), "run"],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=self.env,
            )
        daemon = DaemonProc(process, f"{socket.gethostname()}:{process.pid}", time.time(), log)
        self.running.append(daemon)
        return daemon

    def kill(self, daemon: DaemonProc) -> None:
        at = time.time()
        daemon.process.send_signal(signal.SIGKILL)
        daemon.process.wait(10)
        self.killed[daemon.owner] = at
        self.running.remove(daemon)

    def check_alive(self) -> None:
        """A daemon that ended by itself is a failure of the harness's set-up or of the daemon: stop with its log."""
        for daemon in self.running:
            if daemon.process.poll() is not None:
                tail = daemon.log.read_text(encoding="utf-8", errors="replace")[-2000:]
                raise RuntimeError(f"daemon {daemon.owner} exited with {daemon.process.returncode}:\n{tail}")

    def stop_all(self) -> None:
        for daemon in self.running:
            daemon.process.send_signal(signal.SIGTERM)
        for daemon in self.running:
            try:
                daemon.process.wait(20)
            except subprocess.TimeoutExpired:
                daemon.process.kill()
        self.running.clear()


# --- queueing and counting --------------------------------------------------------------------------------------------


def queue_all(
    database_url: str, options: Mapping[str, tuple[dict[str, Any], dict[str, str]]], count: int, spread: float
) -> str:
    """``count`` posts falling due evenly over the next ``spread`` seconds, each on one channel in turn, titled with
    a marker the stand-ins can find. (Spread, so that work flows through every kill however fast the machine.) First
    the receiver subscribes to events; returns its signing secret."""
    import httpx

    from publisher.clock import SystemClock
    from publisher.config import AnySecret, ChannelSettings, Settings, WebhookSettings
    from publisher.outbound import OutboundPolicy
    from publisher.queue import PostDraft, Queue
    from publisher.services.webhooks import Webhooks
    from publisher.store import open_store

    settings = Settings(
        source="crash harness",
        database_url=database_url,
        channels={
            name: ChannelSettings(name=name, kind=kind, options=options[name][0]) for name, kind in CHANNELS.items()
        },
        webhooks=WebhookSettings(secret_key_env=WEBHOOK_KEY_ENV),
        outbound=OutboundPolicy(allow=("127.0.0.0/8",)),
    )
    store = open_store(database_url)
    store.upgrade()
    clock = SystemClock()
    store.sync_channels(dict(CHANNELS), clock.now())
    hooks = Webhooks(settings, store, clock, {WEBHOOK_KEY_ENV: WEBHOOK_KEY})
    secret = hooks.add("receiver", options["events"][0]["url"], WEBHOOK_TYPES, "crash-harness")
    adapters = settings.build_adapters(httpx.AsyncClient(), AnySecret({}))
    queue = Queue(store, adapters, clock, actor="crash-harness")
    names = list(CHANNELS)
    start = clock.now() + timedelta(seconds=2)
    for n in range(count):
        body = f"第{n}条：阳光幼儿园阅读月活动简报。孩子们和家长一起读绘本。"
        due = start + timedelta(seconds=spread * n / count)
        queue.add_post(PostDraft(title=f"crash-{n:05d} 活动简报", body=body, channels=[names[n % 3]], at=due))
    store.engine.dispose()
    return secret


def open_count(database_url: str) -> int:
    from sqlalchemy import func, select

    from publisher.models import Delivery, DeliveryState, WebhookDelivery
    from publisher.store import open_store

    store = open_store(database_url)
    try:
        with store.sessions() as session:
            states = [DeliveryState.QUEUED.value, DeliveryState.RETRY_WAIT.value, DeliveryState.CLAIMED.value]
            open_deliveries = session.scalar(select(func.count()).where(Delivery.state.in_(states))) or 0
            open_events = session.scalar(select(func.count()).where(WebhookDelivery.state == "queued")) or 0
            return int(open_deliveries) + int(open_events)
    finally:
        store.engine.dispose()


@dataclasses.dataclass
class Result:
    deliveries: int
    rounds: int  # SIGKILLs made, each while deliveries were still open
    rounds_asked: int
    daemons_started: int
    seconds: float
    states: dict[str, int]
    lost: int
    failed_without_reason: int
    duplicates: dict[str, int]  # channel -> deliveries on the platform more than once
    sent_but_absent: dict[str, int]
    uncertain: dict[str, int]  # channel -> uncertain deliveries
    uncertain_landed: int  # of those, the platform had received the request (a person resolves: --sent)
    uncertain_not_sent: int  # claimed by a killed daemon before its request went out (a person resolves: --resend)
    uncertain_unexplained: int  # not held by a killed daemon, or its request arrived after its lease was taken back
    resent_kept_once: int  # Mastodon: the same key sent again after a kill, and the platform kept one status
    found_by_lookup: int  # WordPress: after a kill, the post was found by its slug instead of posted again
    twins_trashed: int  # WordPress: a second post made while the first was in flight, moved to the trash
    in_flight_at_kill: dict[str, int]  # channel -> deliveries a killed daemon had claimed and not recorded
    events: int = 0  # events the receiver subscribed to, in the event log
    events_missing: int = 0  # of those, never received (lost)
    events_invented: int = 0  # received, or in the outbox, without such an event in the log
    events_doubled: int = 0  # events with more than one outbox row
    events_undelivered: int = 0  # outbox rows not delivered at the end
    events_refused: int = 0  # requests the receiver refused (a bad signature, a stale timestamp)
    events_sent_again: int = 0  # received again with the same webhook-id (a kill between the send and its record)

    @property
    def ok(self) -> bool:
        return (
            self.rounds >= self.rounds_asked
            and self.lost == 0
            and self.failed_without_reason == 0
            and self.duplicates["toot"] == 0
            and self.duplicates["site"] == 0
            and self.duplicates["hook"] == 0
            and not any(self.sent_but_absent.values())
            and self.uncertain_unexplained == 0
            and self.uncertain.get("toot", 0) == 0
            and self.uncertain.get("site", 0) == 0
            and self.uncertain.get("hook", 0) == self.in_flight_at_kill.get("hook", 0)
            and self.events > 0
            and self.events_missing == self.events_invented == self.events_doubled == 0
            and self.events_undelivered == self.events_refused == 0
        )

    def lines(self) -> Iterator[str]:
        yield (
            f"crash harness: {self.deliveries} deliveries, {self.rounds} SIGKILLs while they flowed (asked "
            f"{self.rounds_asked}), {self.daemons_started} daemon "
            f"processes, {self.seconds:.0f} s"
        )
        yield "  final states: " + ", ".join(f"{state} {count}" for state, count in sorted(self.states.items()))
        yield f"  lost (not sent, failed with a reason, or uncertain): {self.lost}"
        yield f"  failed without a reason: {self.failed_without_reason}"
        for name in CHANNELS:
            yield (
                f"  {name:<5} {PROMISES[name]:<27} duplicates {self.duplicates[name]}, "
                f"sent but absent {self.sent_but_absent[name]}, uncertain {self.uncertain.get(name, 0)}"
            )
        yield (
            f"  uncertain: {sum(self.uncertain.values())}, all held by a killed daemon: request had landed "
            f"{self.uncertain_landed}, request not yet sent {self.uncertain_not_sent}; unexplained "
            f"{self.uncertain_unexplained}"
        )
        flight = self.in_flight_at_kill
        yield (
            f"  in flight at a kill (claimed by the killed daemon, outcome unwritten): {sum(flight.values())}: "
            + ", ".join(f"{name} {flight.get(name, 0)}" for name in CHANNELS)
            + " (hook: each became uncertain; toot, site: sent again safely)"
        )
        yield (
            f"  after kills: Mastodon resends kept once by the platform {self.resent_kept_once}; WordPress posts "
            f"found by lookup {self.found_by_lookup}, twins moved to the trash {self.twins_trashed}"
        )
        yield (
            f"  webhook events: {self.events}; lost {self.events_missing}, invented {self.events_invented}, "
            f"doubled in the outbox {self.events_doubled}, undelivered {self.events_undelivered}, refused by the "
            f"receiver {self.events_refused}; sent again with the same id after a kill {self.events_sent_again}"
        )
        yield "  verdict: " + ("PASS" if self.ok else "FAIL")


def tally(
    database_url: str, report: Mapping[str, Any], daemons: Daemons, rounds: tuple[int, int], seconds: float
) -> Result:
    from sqlalchemy import select

    from publisher.models import Channel, Delivery, DeliveryState, Event, Post, WebhookDelivery
    from publisher.services.webhooks import EVENT_TYPES
    from publisher.store import open_store

    store = open_store(database_url)
    with store.sessions() as session:
        rows = session.execute(
            select(Delivery.id, Delivery.state, Delivery.last_error, Channel.name, Post.title)
            .join(Channel, Channel.id == Delivery.channel_id)
            .join(Post, Post.id == Delivery.post_id)
        ).all()
        expiries = session.execute(
            select(Event.delivery_id, Event.reason, Event.at).where(Event.action == "delivery.uncertain")
        ).all()
        found_by_lookup = len(session.scalars(select(Event.id).where(Event.reason.like("found by lookup%"))).all())
        actions = session.execute(
            select(Event.actor, Event.action, Event.delivery_id).where(
                Event.actor.in_(list(daemons.killed)), Event.delivery_id.is_not(None)
            )
        ).all()
        wanted = [action.value for name in WEBHOOK_TYPES for action in EVENT_TYPES[name]]
        told = set(session.scalars(select(Event.id).where(Event.action.in_(wanted))))
        outbox = session.execute(select(WebhookDelivery.event_id, WebhookDelivery.state)).all()
    store.engine.dispose()
    rows_per_event = Counter(event_id for event_id, _ in outbox)
    received = Counter(int(message_id.removeprefix("evt_")) for message_id in report["events"])

    marker_of = {row.id: int(row.title[6:11]) for row in rows}
    created = {name: Counter(markers) for name, markers in report["created"].items()}
    live_site = Counter(report["live"]["site"])
    arrivals: dict[tuple[str, int], list[tuple[float, float | None]]] = defaultdict(list)
    for channel, marker, arrived, answered in report["arrivals"]:
        arrivals[(channel, marker)].append((arrived, answered))
    lease_owner, expired_at = {}, {}
    for delivery_id, reason, at in expiries:
        match = re.match(r"lease of (\S+) expired", reason or "")
        if match:
            lease_owner[delivery_id] = match.group(1)
            # until a survivor marked the lease expired, only its killed holder can have sent the request
            expired_at[delivery_id] = (at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp()

    states = Counter(row.state for row in rows)
    settled = {DeliveryState.SENT.value, DeliveryState.FAILED.value, DeliveryState.UNCERTAIN.value}
    duplicates = dict.fromkeys(CHANNELS, 0)
    absent = dict.fromkeys(CHANNELS, 0)
    uncertain: Counter[str] = Counter()
    landed_uncertain = not_sent_uncertain = unexplained = 0
    for row in rows:
        marker = marker_of[row.id]
        on_platform = live_site[marker] if row.name == "site" else created[row.name][marker]
        if on_platform > 1:
            duplicates[row.name] += 1
        if row.state == DeliveryState.SENT.value and on_platform == 0:
            absent[row.name] += 1
        if row.state == DeliveryState.UNCERTAIN.value:
            uncertain[row.name] += 1
            owner = lease_owner.get(row.id)
            killed_at = daemons.killed.get(owner or "")
            seen = arrivals.get((row.name, marker), [])
            # a request the killed daemon wrote just before SIGKILL can reach the stand-in after it (socket
            # buffers): an arrival explains itself while the lease was still the killed daemon's
            if killed_at is None or any(arrived > expired_at[row.id] for arrived, _ in seen):
                unexplained += 1
            elif seen:
                landed_uncertain += 1
            else:
                not_sent_uncertain += 1
    channel_of = {row.id: row.name for row in rows}
    open_claims: Counter[tuple[str, int]] = Counter()  # (killed owner, delivery) -> claims not followed by an outcome
    for actor, action, delivery_id in actions:
        if actor in daemons.killed and delivery_id is not None:
            open_claims[(actor, delivery_id)] += 1 if action == "claim" else -1
    in_flight: Counter[str] = Counter(channel_of[delivery] for (_, delivery), n in open_claims.items() if n > 0)
    resent_kept_once = sum(
        1
        for (channel, marker), entries in arrivals.items()
        if channel == "toot" and len(entries) > 1 and created["toot"][marker] == 1
    )
    return Result(
        deliveries=len(rows),
        rounds=rounds[0],
        rounds_asked=rounds[1],
        daemons_started=daemons.started,
        seconds=seconds,
        states=dict(states),
        lost=sum(1 for row in rows if row.state not in settled),
        failed_without_reason=sum(1 for row in rows if row.state == DeliveryState.FAILED.value and not row.last_error),
        duplicates=duplicates,
        sent_but_absent=absent,
        uncertain=dict(uncertain),
        uncertain_landed=landed_uncertain,
        uncertain_not_sent=not_sent_uncertain,
        uncertain_unexplained=unexplained,
        resent_kept_once=resent_kept_once,
        found_by_lookup=found_by_lookup,
        twins_trashed=sum(created["site"].values()) - sum(live_site.values()),
        in_flight_at_kill=dict(in_flight),
        events=len(told),
        events_missing=len(told - set(received)),
        events_invented=len((set(received) | set(rows_per_event)) - told),
        events_doubled=sum(1 for n in rows_per_event.values() if n > 1),
        events_undelivered=sum(1 for _, state in outbox if state != "delivered"),
        events_refused=len(report["events_refused"]),
        events_sent_again=sum(received.values()) - len(received),
    )


# --- the run ----------------------------------------------------------------------------------------------------------


def run(
    database_url: str,
    *,
    deliveries: int = 1000,
    rounds: int = 20,
    daemons: int = 2,
    latency: float = 0.3,
    concurrency: int = 2,
    kill_every: tuple[float, float] = (0.3, 1.5),
    min_age: float = 3.5,
    spread: float = 45.0,
    seed: int | None = None,
    folder: Path | None = None,
    finish_within: float = 90.0,
    echo: Any = print,
) -> Result:
    """Run the harness against an empty, migrated database at ``database_url``; returns the counts."""
    rng = random.Random(seed)
    folder = folder or Path(tempfile.mkdtemp(prefix="publisher-crash-"))
    began = time.monotonic()
    standins = StandIns(latency)
    group: Daemons | None = None
    try:
        config, env = write_config(folder, database_url, standins.options, concurrency)
        secret = queue_all(database_url, standins.options, deliveries, spread)
        standins.conn.send(("secret", secret))
        echo(f"  queued {deliveries} deliveries; {daemons} daemons, one killed at random moments (logs in {folder})")
        group = Daemons(config, env, folder)
        for _ in range(daemons):
            group.start()
        kills = 0
        while kills < rounds:
            time.sleep(rng.uniform(*kill_every))
            group.check_alive()
            # a daemon still starting (imports, migrations check: 2-3 s here) has nothing in flight to lose
            flowing = [d for d in group.running if time.time() - d.started >= min_age]
            if not flowing:
                continue
            victim = rng.choice(flowing)
            if open_count(database_url) == 0:
                break  # nothing left to kill it for: the figures say how many kills caught work flowing
            group.kill(victim)
            kills += 1
            group.start()
            if kills % 5 == 0:
                echo(f"  {kills} kills, {open_count(database_url)} deliveries still open")
        deadline = time.monotonic() + finish_within
        while open_count(database_url) and time.monotonic() < deadline:
            time.sleep(0.5)
        group.stop_all()
        report = standins.report()
        return tally(database_url, report, group, (kills, rounds), time.monotonic() - began)
    finally:
        if group is not None:
            for daemon in list(group.running):
                daemon.process.kill()
        standins.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deliveries", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=20, help="SIGKILLs (default 20)")
    parser.add_argument("--daemons", type=int, default=2, help="daemons running at once (default 2)")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument(
        "--database", help="an empty database URL (default: a new one on $PUBLISHER_TEST_POSTGRES_URL's cluster)"
    )
    args = parser.parse_args(argv)
    from tests.postgres import ENV_ADMIN_URL, ENV_URL, Databases, missing_reason

    databases = None
    url = args.database
    if url is None:
        reason = missing_reason()
        if reason is not None:
            print(f"error: {reason}", file=sys.stderr)
            return 2
        databases = Databases(os.environ[ENV_URL], os.environ.get(ENV_ADMIN_URL))
        databases.make_template()
        url = databases.create("crash")
    try:
        print(f"{datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC, seed {args.seed}", flush=True)
        result = run(
            url,
            deliveries=args.deliveries,
            rounds=args.rounds,
            daemons=args.daemons,
            seed=args.seed,
            echo=lambda line: print(line, flush=True),
        )
    finally:
        if databases is not None:
            databases.drop(url)
            databases.close()
    for line in result.lines():
        print(line)
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
