"""One pass of the tracker, end to end: claim due sources, fetch them, parse, dedupe, match, record.

``Tracker.run_once`` is ``publisher track --once``; ``TrackerJob`` is the daemon's recurring job. Fetches run
concurrently on one shared client; parsing, folding and matching (the CPU work) run in worker threads, or in
worker processes when a pass has many feeds, so the event loop, which the daemon shares with the dispatcher, keeps
answering; results are written by one writer in batches. Each worker process gets the pass's ``Matcher`` once, when
it starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import hashlib
import logging
import multiprocessing
import os
import socket
import tempfile
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import httpx

from publisher.clock import Clock
from publisher.guard import OutboundPolicy
from publisher.logs import log_event
from publisher.store import Store
from publisher.store.articles import prune_unused_pages
from publisher.store.feeds import entries_after, next_poll_due, prune_unused_entries
from publisher.tracker.coverage import find_campaign, load_posts, load_rules
from publisher.tracker.fulltext import read_articles
from publisher.tracker.match import Matcher
from publisher.tracker.outlets import sync_outlets
from publisher.tracker.parse import parse_feed
from publisher.tracker.poll import Fetcher
from publisher.tracker.record import Claimed, Found, Groups, Polled, Written, claim_due, record, write_coverage
from publisher.tracker.settings import OutletSettings, TrackerSettings, resolve_feed
from publisher.tracker.work import matcher_file, read_feed, start_worker

__all__ = ["PassReport", "Tracker", "TrackerJob", "Verdict"]

BATCH = 50  # poll results written per transaction
BATCH_WAIT = 1.0  # seconds a result waits for others to fill its batch
_FLUSH = object()  # the wait is over: write what has come
POOL_MIN = 50  # feeds in a pass from which parsing moves to worker processes ([tracker] parse_workers)


@dataclasses.dataclass
class PassReport:
    sources: int = 0
    not_modified: int = 0
    same_bytes: int = 0
    parsed: int = 0
    new_entries: int = 0
    coverage: int = 0
    errors: list[tuple[str, str, str]] = dataclasses.field(default_factory=list)  # (outlet, feed, error)
    seconds: float = 0.0
    #: when nothing was due: when the earliest feed next is (None without any enabled feed)
    next_due: datetime | None = None

    def summary(self) -> str:
        return (
            f"polled {self.sources} sources in {self.seconds:.1f} s: {self.parsed} read, {self.not_modified} not "
            f"modified, {self.same_bytes} unchanged, {len(self.errors)} failed; {self.new_entries} new entries, "
            f"{self.coverage} new coverage items"
        )


@dataclasses.dataclass(frozen=True)
class Verdict:
    feed: str
    ok: bool
    text: str


class Tracker:
    def __init__(
        self,
        settings: TrackerSettings,
        store: Store,
        clock: Clock,
        *,
        timezone: str = "UTC",
        client: httpx.AsyncClient | None = None,
        outbound: OutboundPolicy | None = None,
        owner: str | None = None,
        batch: int = BATCH,
        pool_min: int = POOL_MIN,
    ) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock
        self.timezone = timezone  # for feed dates without an offset, where the outlet names no zone
        self.client = client
        self.outbound = outbound or OutboundPolicy()  # what feeds may reach ([outbound]); public addresses only
        self.owner = owner or f"tracker:{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.batch = batch
        self.pool_min = pool_min  # a pass with at least this many feeds parses in worker processes

    def sync(self, outlets: dict[str, OutletSettings]) -> None:
        sync_outlets(self.store, outlets, self.settings, self.clock.now())

    def matcher(self) -> Matcher:
        with self.store.sessions() as session:
            return Matcher(load_rules(session), load_posts(session), self.settings.similarity)

    async def run_once(self, *, force: bool = False, outlet: str | None = None) -> PassReport:
        """Poll every due source (every source with ``force``) once, and record what was found."""
        started = time.perf_counter()
        report = PassReport()
        now = self.clock.now()
        lease = timedelta(seconds=self.settings.lease_seconds)
        claims = await asyncio.to_thread(claim_due, self.store, now, self.owner, lease, force=force, outlet=outlet)
        if not claims:
            report.next_due = await asyncio.to_thread(next_poll_due, self.store, outlet)
            return report
        matcher = await asyncio.to_thread(self.matcher)
        groups = Groups(self.settings.story_similarity)
        results: asyncio.Queue[Polled | None] = asyncio.Queue()
        with contextlib.ExitStack() as stack:
            pool = None
            if self.settings.parse_workers and len(claims) >= self.pool_min:
                context = multiprocessing.get_context("spawn")  # never fork a process that runs an event loop
                folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="publisher-tracker-"))
                path = await asyncio.to_thread(matcher_file, matcher, folder)
                pool = stack.enter_context(
                    ProcessPoolExecutor(
                        self.settings.parse_workers,
                        mp_context=context,
                        initializer=start_worker,
                        initargs=(path,),  # each worker loads the matcher once, not with every feed
                    )
                )
            async with Fetcher(self.settings, self.client, self.outbound) as fetcher:
                writer = asyncio.create_task(self._write(results, matcher, groups, report))

                async def poll(claim: Claimed) -> None:
                    await results.put(await self._poll(fetcher, claim, pool, matcher))

                try:
                    await asyncio.gather(*(poll(claim) for claim in claims))
                finally:
                    await results.put(None)
                    await writer
                if self.settings.full_text and self.settings.full_text_per_pass:
                    report.coverage += await read_articles(
                        self.store,
                        fetcher,
                        self.settings,
                        since=now,
                        now=self.clock.now(),
                        matcher=matcher,
                        groups=groups,
                        actor=self.owner,
                    )
        await asyncio.to_thread(self.prune)
        report.seconds = time.perf_counter() - started
        log_event(
            "tracker.pass",
            sources=report.sources,
            read=report.parsed,
            not_modified=report.not_modified,
            unchanged=report.same_bytes,
            failed=len(report.errors),
            new_entries=report.new_entries,
            coverage=report.coverage,
            seconds=round(report.seconds, 2),
        )
        return report

    async def _poll(self, fetcher: Fetcher, claim: Claimed, pool: Executor | None, matcher: Matcher) -> Polled:
        url = resolve_feed(claim.feed, self.settings.rsshub_base)
        fetched = await fetcher.fetch(url, claim.etag, claim.last_modified)
        polled = functools.partial(Polled, claim=claim, status=fetched.status)  # whatever the poll came to
        if fetched.error:
            return polled(error=fetched.error, retry_after=fetched.retry_after)
        if fetched.not_modified:
            return polled(not_modified=True)
        body = fetched.body or b""
        digest = hashlib.sha256(body).hexdigest()
        if digest == claim.body_hash:
            return polled(same_bytes=True, etag=fetched.etag, last_modified=fetched.last_modified)
        zone = claim.timezone or self.timezone
        headers = dict(fetched.headers)
        if pool is None:
            parsed, prepared, matches, keys = await asyncio.to_thread(
                read_feed, body, headers, fetched.url, zone, matcher
            )
        else:  # the worker matches with the copy of the pass's matcher it was started with
            loop = asyncio.get_running_loop()
            parsed, prepared, matches, keys = await loop.run_in_executor(
                pool, read_feed, body, headers, fetched.url, zone
            )
        if parsed.error:
            return polled(error=parsed.error)
        return polled(
            body_hash=digest,
            warning=parsed.warning,
            items=parsed.items,
            prepared=prepared,
            matches=matches,
            keys=keys,
            etag=fetched.etag,
            last_modified=fetched.last_modified,
        )

    async def _write(
        self, results: asyncio.Queue[Polled | None], matcher: Matcher, groups: Groups, report: PassReport
    ) -> None:
        """Write results in batches of ``self.batch``, or what has come once the first waited ``BATCH_WAIT``
        seconds: each transaction costs a commit, and the thread writing holds the event loop's lock while it works,
        so a few large batches beat many small ones; a slow pass still writes each result within the wait."""
        batch: list[Polled] = []
        done = False
        started = 0.0
        while not done:
            result: Polled | object | None
            try:
                if not batch:
                    result = await results.get()
                    started = time.monotonic()
                else:
                    wait = max(0.0, started + BATCH_WAIT - time.monotonic())
                    result = await asyncio.wait_for(results.get(), wait)
            except TimeoutError:
                result = _FLUSH
            if result is None:
                done = True
            elif isinstance(result, Polled):
                batch.append(result)
            if batch and (done or result is _FLUSH or len(batch) >= self.batch):
                written = await asyncio.to_thread(self._record, batch, matcher, groups)
                self._count(report, batch, written)
                batch = []

    def _record(self, batch: Sequence[Polled], matcher: Matcher, groups: Groups) -> Written:
        return record(
            self.store,
            batch,
            owner=self.owner,
            now=self.clock.now(),
            settings=self.settings,
            matcher=matcher,
            groups=groups,
        )

    @staticmethod
    def _count(report: PassReport, batch: Sequence[Polled], written: Written) -> None:
        report.sources += len(batch)
        for result in batch:
            if result.error:
                report.errors.append((result.claim.outlet, result.claim.feed, result.error))
            elif result.not_modified:
                report.not_modified += 1
            elif result.same_bytes:
                report.same_bytes += 1
            else:
                report.parsed += 1
        report.new_entries += written.new_entries
        report.coverage += written.coverage

    def prune(self) -> int:
        """Forget entries that matched nothing and were first seen more than ``keep_entries_days`` ago."""
        cutoff = self.clock.now() - timedelta(days=self.settings.keep_entries_days)
        pruned = prune_unused_entries(self.store, cutoff)
        if pruned:
            prune_unused_pages(self.store)  # their pages go with them; a page of coverage is linked and stays
        return pruned

    def rematch(self, campaign: str | None = None, chunk: int = 2000) -> int:
        """Match every stored entry again (after the rules changed); returns how many coverage items were added.
        Items people removed stay removed."""
        with self.store.sessions() as session:
            rules, posts = load_rules(session), load_posts(session)
            if campaign is not None:
                wanted = find_campaign(session, campaign).id
                rules = [r for r in rules if r.campaign_id == wanted]
                posts = [p for p in posts if p.campaign_id == wanted]
        matcher = Matcher(rules, posts, self.settings.similarity)
        groups = Groups(self.settings.story_similarity)
        added, last = 0, 0
        while True:
            with self.store.session() as session:
                rows = entries_after(session, last, chunk)
                if not rows:
                    return added
                last = rows[-1].id
                found = [Found.of(row) for row in rows]
                added += len(write_coverage(session, found, matcher, groups, self.clock.now(), "rematch"))

    async def test(self, outlet: str) -> list[Verdict]:
        """Fetch and parse each of an outlet's feeds now, without validators, and say what came back. Writes nothing."""
        from publisher.tracker.outlets import outlet_health

        rows = [row for row in outlet_health(self.store, outlet) if row.feed]
        verdicts = []
        async with Fetcher(self.settings, self.client, self.outbound) as fetcher:
            for row in rows:
                assert row.feed is not None
                url = resolve_feed(row.feed, self.settings.rsshub_base)
                fetched = await fetcher.fetch(url)
                if fetched.error:
                    verdicts.append(Verdict(row.feed, False, f"{url}: {fetched.error}"))
                    continue
                parsed = parse_feed(fetched.body or b"", fetched.headers, fetched.url, self.timezone)
                if parsed.error:
                    verdicts.append(Verdict(row.feed, False, f"{url}: HTTP {fetched.status}, {parsed.error}"))
                    continue
                newest = max(parsed.items, key=lambda i: i.published_at or self.clock.now(), default=None)
                text = (
                    f"{url}: HTTP {fetched.status}, {parsed.version or 'feed'} in {parsed.encoding}, "
                    f"{len(parsed.items)} entries ({fetched.seconds:.2f} s)"
                )
                if newest is not None:
                    text += f"; newest: {newest.title[:60]}"
                if parsed.warning:
                    text += f"; note: {parsed.warning}"
                verdicts.append(Verdict(row.feed, True, text))
        return verdicts


class TrackerJob:
    """The daemon's recurring job: sync the config's outlets once, then one pass each time it is called.

    A pass that fails is logged and the daemon goes on; the next call tries again.
    """

    def __init__(self, settings: Any, store: Store, clock: Clock) -> None:
        self.tracker = Tracker(settings.tracker, store, clock, timezone=settings.timezone, outbound=settings.outbound)
        self.outlets = dict(settings.outlets)
        self.synced = False

    async def run(self) -> None:
        try:
            if not self.synced:
                await asyncio.to_thread(self.tracker.sync, self.outlets)
                self.synced = True
            await self.tracker.run_once()
        except Exception as exc:  # the daemon must keep sending whatever the tracker meets
            log_event("tracker.failed", logging.ERROR, reason=f"{type(exc).__name__}: {exc}")
