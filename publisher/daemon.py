"""``publisher run``: the long-running process that sends what is due and turns schedules into posts.

It sleeps until the next delivery is due (an APScheduler timer wakes it; a slow poll catches work queued by other
processes; on PostgreSQL a NOTIFY wakes it at once), claims due deliveries under a lease, and sends them. SIGTERM
or SIGINT stops it cleanly: it claims nothing more, lets sends in flight finish for ``shutdown_grace`` seconds, and
records the rest by what may have happened to them. While the database is away it waits with backoff and resumes
(``publisher.outage``); it writes a heartbeat for ``publisher status`` and pauses channels that keep failing
(``publisher.breaker``). Several daemons may run against one PostgreSQL database (docs/operations.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import logging
import signal
from collections.abc import Awaitable, Callable, Iterator, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx

from adapters.base import Adapter
from adapters.errors import ChannelError
from adapters.media import ImageSource
from publisher import __version__
from publisher.clock import Clock, SystemClock
from publisher.config import Settings
from publisher.dispatcher import FLUSH_DELAY, Dispatcher, worker_name
from publisher.heartbeat import BEAT_SECONDS, Heartbeats
from publisher.http import make_client
from publisher.logs import log_event
from publisher.media import media_loader
from publisher.outage import OUTAGE_ERRORS, DatabaseGuard
from publisher.queue import Queue
from publisher.retry import RetryPolicy
from publisher.scheduler import Timers, waking_job
from publisher.services.shared_state import StoredCache, share_state
from publisher.services.windows import PostingHours
from publisher.store import Store

if TYPE_CHECKING:
    from publisher.notify import DueListener
    from publisher.services.webhooks import WebhookSender

__all__ = ["Daemon", "build_dispatcher"]

#: collect garbage less often than CPython's default (700 net allocations): a send allocates thousands of short-lived
#: objects, and at the default, collection took about a tenth of the daemon's CPU under load (bench/dispatch.py)
GC_THRESHOLDS = (7000, 10, 10)


def build_dispatcher(
    settings: Settings, store: Store, client: httpx.AsyncClient, clock: Clock, images: ImageSource | None = None
) -> Dispatcher:
    """The dispatcher over every channel; ``images`` is where adapters read a post's images (``media_loader``)."""
    adapters = settings.build_adapters(client, images=images)
    # a WeChat token and what was sent for each delivery, shared by every daemon on the database
    share_state(adapters, StoredCache(store, worker_name(), clock))
    store.sync_channels({name: c.kind for name, c in settings.channels.items()}, clock.now())
    daemon = settings.daemon
    return Dispatcher(
        store,
        adapters,
        clock,
        policy=RetryPolicy(daemon.backoff_initial, daemon.backoff_max, daemon.max_attempts),
        lease=timedelta(seconds=daemon.lease_seconds),
        concurrency={n: c.concurrency for n, c in settings.channels.items() if c.concurrency},
        rate_per_minute={n: c.rate_per_minute for n, c in settings.channels.items()},
        default_timezone=settings.timezone,
        hours=PostingHours.from_settings(settings),
    )


async def refresh_limits(adapters: Mapping[str, Adapter]) -> None:
    """Let adapters whose limits depend on the server (a Mastodon instance's own length) read them once."""
    for name, adapter in adapters.items():
        if not adapter.capabilities.platform_limits:
            continue
        try:
            await adapter.refresh_limits()
        except ChannelError as exc:
            log_event(
                "channel.limits", logging.WARNING, channel=name, reason=f"kept the configured limits: {exc.reason}"
            )


class Daemon:
    def __init__(self, settings: Settings, store: Store, clock: Clock | None = None) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock or SystemClock()
        self.stopping = asyncio.Event()
        self.guard = DatabaseGuard(store.engine.url, self.stopping)
        self.heartbeats: Heartbeats | None = None
        self.listener: DueListener | None = None
        self._listening: asyncio.Task[None] | None = None

    def stop(self) -> None:
        self.stopping.set()

    async def run(self, *, handle_signals: bool = True) -> None:
        loop = asyncio.get_running_loop()
        if handle_signals:
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(signum, self.stop)
        client = make_client(self.settings.daemon.http_transport)
        images = media_loader(self.store, self.settings)  # the media store, and https images through the guard
        timers = Timers()
        senders: list[WebhookSender] = []
        console = None
        thresholds = gc.get_threshold()
        gc.set_threshold(*GC_THRESHOLDS)
        try:
            dispatcher = build_dispatcher(self.settings, self.store, client, self.clock, images)
            await refresh_limits(dispatcher.adapters)
            queue = Queue(
                self.store,
                dispatcher.adapters,
                self.clock,
                timezone=self.settings.timezone,
                actor="daemon",
                hours=dispatcher.hours,
            )
            self.dispatcher = dispatcher
            if self.settings.web is not None and self.settings.web.enabled:
                from publisher.web.serve import start_console  # the web console, on this loop beside the daemon

                console = await start_console(self.settings, self.store, self.clock, dispatcher.adapters)

            async def materialize() -> None:
                with _unless_database_away():
                    for post_id in await asyncio.to_thread(queue.materialize_schedules):
                        log_event("schedule.post", post=post_id)
                dispatcher.wake.set()

            async def reclaim() -> None:
                with _unless_database_away():
                    if dispatcher.reclaim_expired():
                        dispatcher.wake.set()

            def every(seconds: float, run: Callable[[], Awaitable[Any]], name: str, failed: str) -> None:
                """A job every ``seconds`` that wakes the sender when it queued something, and logs a failure as
                ``failed`` without stopping the daemon."""
                timers.every(seconds, waking_job(run, woke=bool, wake=dispatcher.wake.set, failed=failed), name)

            timers.start()
            timers.every(60, materialize, "schedules")
            timers.every(max(5.0, self.settings.daemon.lease_seconds / 4), reclaim, "leases")
            await self._start_reliability(dispatcher, timers)
            from publisher.tracker.service import TrackerJob  # polls the outlets' feeds as they come due

            tracker = TrackerJob(self.settings, self.store, self.clock)
            timers.every(self.settings.tracker.check_interval, tracker.run, "tracker")
            # [reports.NAME], once per occurrence
            from publisher.reports.schedule import CHECK_SECONDS, ReportJob, ReportScheduler

            reports = ReportJob(
                ReportScheduler(self.settings, self.store, self.clock, dispatcher.adapters), dispatcher.wake.set
            )
            timers.every(CHECK_SECONDS, reports.run, "reports")
            # sent posts read back on their platforms: still online? taken down? (1 h, 1 d, 3 d, 7 d after sending)
            from publisher.services.readback import CHECK_SECONDS as READBACK_SECONDS
            from publisher.services.readback import ReadBacks, took_down

            readbacks = ReadBacks(self.settings, self.store, self.clock, dispatcher.adapters)
            if readbacks.channels:
                read = waking_job(readbacks.run_due, woke=took_down, wake=dispatcher.wake.set, failed="readback.failed")
                timers.every(READBACK_SECONDS, read, "readback")  # wakes only for a take-down notice
            # our own website's new articles announced on other channels (`publisher source add`)
            from publisher.services.announce import CHECK_SECONDS as ANNOUNCE_SECONDS
            from publisher.services.announce import Announcer

            announcer = Announcer(self.settings, self.store, self.clock, dispatcher.adapters)
            every(ANNOUNCE_SECONDS, announcer.run_due, "announce", "announce.failed")
            if self.settings.team is not None:  # [team]: approval requests, failures, a daily summary
                from publisher.services.team import CHECK_SECONDS as TEAM_SECONDS
                from publisher.services.team import TeamNotices

                notices = TeamNotices(self.settings, self.store, self.clock, dispatcher.adapters)
                every(TEAM_SECONDS, functools.partial(asyncio.to_thread, notices.run_due), "team", "team.failed")
            # events told to other systems' addresses (`publisher webhook add`), from the outbox
            from publisher.services.webhooks import WebhookSender

            sender = WebhookSender(self.settings, self.store, self.clock, dispatcher.owner)
            senders.append(sender)

            async def tell_subscribers() -> None:
                with _unless_database_away():
                    while await sender.run_due() == self.settings.webhooks.batch:
                        pass  # a full batch all delivered: there may be more waiting

            tell = waking_job(tell_subscribers, woke=bool, wake=None, failed="webhook.failed")
            timers.every(self.settings.webhooks.check_seconds, tell, "webhooks")
            if self.settings.alerts is not None:  # [alerts]: new coverage told to the team
                from publisher.tracker.alerts import CoverageAlerts

                alerts = CoverageAlerts(self.settings, self.store, self.clock, dispatcher.adapters)
                alert = functools.partial(asyncio.to_thread, alerts.run_due)
                every(CHECK_SECONDS, alert, "alerts", "coverage.alert_failed")
            # the one line a start writes: what runs, on what, and where the console is
            web_on = self.settings.web is not None and self.settings.web.enabled
            log_event(
                "daemon.start",
                version=__version__,
                database=self.store.engine.url.render_as_string(hide_password=True),
                channels=",".join(dispatcher.adapters) or "-",
                console=console.url if console is not None else "unavailable" if web_on else "off",
            )
            await self._loop(dispatcher, timers)
            await self._shutdown(dispatcher)
        finally:
            await self._stop_reliability()
            gc.set_threshold(*thresholds)
            if console is not None:
                await console.stop()
            timers.shutdown()
            await client.aclose()
            await images.aclose()
            for sender in senders:
                await sender.aclose()
            if handle_signals:
                for signum in (signal.SIGTERM, signal.SIGINT):
                    loop.remove_signal_handler(signum)
            log_event("daemon.stop")

    async def _loop(self, dispatcher: Dispatcher, timers: Timers) -> None:
        poll = self.settings.daemon.poll_interval

        async def wake() -> None:
            # a coroutine, so APScheduler runs it on this loop: a plain callable would run in a worker thread,
            # where setting an asyncio.Event does not wake the loop
            dispatcher.wake.set()

        while not self.stopping.is_set():
            dispatcher.wake.clear()
            try:  # while the database is away this waits, with backoff, and says why (publisher/outage.py)
                claimed_at, next_due = await self.guard.run(lambda: self._claim(dispatcher), "claiming")
            except OUTAGE_ERRORS:
                break  # asked to stop while the database was away
            timeout = poll
            # one due before the claim and still there is on a full channel: a finishing send will wake us for it
            upcoming = next_due if next_due is not None and next_due > claimed_at else None
            if upcoming is not None:
                delay = (upcoming - self.clock.now()).total_seconds()
                if delay > 0:
                    timers.wake_at(upcoming, wake)
                    timeout = min(poll, delay + 0.05)  # the timer should come first; this is the fallback
                else:  # it fell due while we were claiming: go round again at once
                    timeout = 0
            if dispatcher.pending_outcomes:
                timeout = min(timeout, FLUSH_DELAY)
            await _wait_any(dispatcher.wake, self.stopping, timeout)
            fell_due = upcoming is not None and upcoming <= self.clock.now()
            if dispatcher.busy and not fell_due and not self.stopping.is_set():
                await asyncio.sleep(FLUSH_DELAY)  # let sends finishing together be written together

    def _claim(self, dispatcher: Dispatcher) -> tuple[datetime, datetime | None]:
        """One round's database work: write finished outcomes, claim what is due, find when the next one is."""
        dispatcher.flush()
        claimed_at = self.clock.now()
        dispatcher.start_due(only_batches=dispatcher.busy)
        return claimed_at, self.store.next_due_at(list(dispatcher.adapters))

    async def _shutdown(self, dispatcher: Dispatcher) -> None:
        grace = self.settings.daemon.shutdown_grace
        log_event("daemon.stopping", in_flight=sum(dispatcher.in_flight.values()), grace_seconds=grace)
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(dispatcher.drain(), grace)
            await dispatcher.cancel_in_flight()
        except OUTAGE_ERRORS as exc:  # the database is away: these outcomes are left to the leases, as after a crash
            log_event(
                "daemon.outcomes_unwritten",
                logging.ERROR,
                deliveries=dispatcher.pending_outcomes,
                reason=f"the database is unavailable ({type(exc).__name__}); their leases will run out and another "
                "daemon (or this one, restarted) takes them back: resent where the platform allows, else uncertain",
            )

    # --- several daemons: heartbeats, the circuit breaker, LISTEN/NOTIFY (docs/operations.md) --------------------

    async def _start_reliability(self, dispatcher: Dispatcher, timers: Timers) -> None:
        from publisher.breaker import Breaker

        daemon = self.settings.daemon
        breaker = Breaker(
            self.store,
            dispatcher.adapters,
            self.clock,
            dispatcher.owner,
            threshold=daemon.breaker_threshold,
            cooldown=daemon.breaker_cooldown,
        )
        dispatcher.breaker = breaker
        heartbeats = self.heartbeats = Heartbeats(self.store, dispatcher.owner, list(dispatcher.adapters))
        with _unless_database_away():
            heartbeats.start(self.clock.now())

        async def probe() -> None:
            with _unless_database_away():
                if await breaker.probe():
                    dispatcher.wake.set()

        async def beat() -> None:
            with _unless_database_away():
                heartbeats.beat(self.clock.now(), sum(dispatcher.in_flight.values()), dispatcher.sent_count)

        timers.every(min(5.0, max(0.5, daemon.breaker_cooldown / 4)), probe, "breaker")
        timers.every(BEAT_SECONDS, beat, "heartbeat")
        if not self.store.is_sqlite:
            from publisher.notify import DueListener

            self.listener = DueListener(self.store.engine.url, dispatcher.wake.set)
            self._listening = asyncio.create_task(self.listener.run())

    async def _stop_reliability(self) -> None:
        if self._listening is not None:
            self._listening.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listening
        if self.heartbeats is not None:
            with _unless_database_away():
                self.heartbeats.stop()


@contextlib.contextmanager
def _unless_database_away() -> Iterator[None]:
    """For timer jobs: while the database is away, skip the round (the main loop reports the outage)."""
    try:
        yield
    except OUTAGE_ERRORS as exc:
        log_event("database.skipped", logging.DEBUG, reason=type(exc).__name__)


async def _wait_any(first: asyncio.Event, second: asyncio.Event, timeout: float) -> None:
    waiters = [asyncio.create_task(first.wait()), asyncio.create_task(second.wait())]
    try:
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
