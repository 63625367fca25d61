"""Our own website's articles announced on other channels (``publisher source add``; issue 15).

An own source is a feed of ours (the school's website, a WordPress site's ``/feed/``) and the channels its articles
go to. The daemon reads each source every ``INTERVAL`` seconds with the tracker's fetcher (through the outbound
guard, with conditional requests) and its feed reader, and each article not seen before becomes a post: its title,
its summary, its link (the post's link: the SMS and robot channels carry it) and its first image (an https address
the channels fetch when they send), queued now on the source's channels under its campaign's rules (approval,
quiet hours, limits), as any post is.

- **No flood on subscribing.** The first read of a source records what the feed already holds as seen and announces
  nothing: only articles published after the subscription are announced.
- **Once.** An article is named by its guid and by its canonical link: either seen before makes it old (a site that
  changes an article's guid, or serves it under two links, does not announce it twice). Articles are recorded as
  seen before they are queued, under the database's unique keys, so two daemons never both announce one; a daemon
  that dies between the two loses that announcement rather than doubling it (`source list` shows what was
  announced).
- An article a channel refuses (a title too long for it, say) is recorded as seen, not retried: the refusal is in
  the daemon's log (``announce.refused``) and in ``source list``'s last error.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from adapters.base import Adapter
from publisher.clock import Clock
from publisher.errors import NotFoundError, ValidationError
from publisher.logs import log_event
from publisher.models import Campaign, OwnSource
from publisher.queue import PostDraft, Queue
from publisher.store import Store
from publisher.store.announce import (
    add_own_source,
    claim_articles,
    due_own_sources,
    own_source,
    own_sources,
    remove_own_source,
    set_announced,
    update_own_source,
)
from publisher.store.posts import campaign_named
from publisher.tracker.normalize import sha1
from publisher.tracker.parse import FeedItem, parse_feed
from publisher.tracker.settings import check_feed

__all__ = ["CHECK_SECONDS", "INTERVAL", "Announcer", "SourceRow", "add_source", "list_sources", "remove_source"]

INTERVAL = 600.0  # seconds between two reads of a source
CHECK_SECONDS = 60.0  # how often the daemon looks for a source due
SUMMARY_CHARS = 500  # of an article's summary in its announcement (the link leads to the rest)


@dataclasses.dataclass(frozen=True)
class SourceRow:
    name: str
    feed: str
    channels: list[str]
    campaign: str | None
    announced: int
    primed: bool
    last_polled_at: datetime | None
    last_error: str | None


def add_source(
    store: Store, adapters: Mapping[str, Any], name: str, feed: str, channels: Sequence[str], campaign: str | None,
    now: datetime, actor: str,
) -> None:  # fmt: skip
    """Subscribe: checked first (a feed address, known channels, an existing campaign), nothing written otherwise."""
    name, feed = name.strip(), check_feed(feed)
    if not name:
        raise ValidationError.of("a source needs a name")
    if feed.startswith("rsshub:"):
        raise ValidationError.of("an own source is our website's feed: give its http(s) address")
    if not channels:
        raise ValidationError.of("say where the articles go: --channel NAME, once per channel")
    unknown = [c for c in channels if c not in adapters]
    if unknown:
        raise ValidationError.of(
            "unknown channel {names}: configured channels are {known}",
            names=", ".join(unknown),
            known=", ".join(sorted(adapters)) or "-",
        )
    with store.session() as session:
        if own_source(session, name) is not None:
            raise ValidationError.of("there is already a source named {name}", name=name)
        campaign_id = None
        if campaign:
            found = campaign_named(session, campaign)
            if found is None:
                raise NotFoundError.of("there is no campaign {name}", name=campaign)
            campaign_id = found.id
        add_own_source(
            session,
            OwnSource(
                name=name,
                feed=feed,
                channels=list(dict.fromkeys(channels)),
                campaign_id=campaign_id,
                primed=False,
                next_poll_at=now,
                created_at=now,
                created_by=actor,
            ),
        )


def list_sources(store: Store) -> list[SourceRow]:
    with store.sessions() as session:
        return [
            SourceRow(s.name, s.feed, list(s.channels), campaign, count, s.primed, s.last_polled_at, s.last_error)
            for s, campaign, count in own_sources(session)
        ]


def remove_source(store: Store, name: str) -> None:
    with store.session() as session:
        if not remove_own_source(session, name):
            raise NotFoundError.of("there is no source {name}", cli="; see `publisher source list`", name=name)


def _keys(item: FeedItem) -> tuple[str | None, str | None]:
    return (sha1(item.guid) if item.guid else None, sha1(item.link) if item.link else None)


class Announcer:
    """One run: read the due sources, queue a post for each new article."""

    def __init__(self, settings: Any, store: Store, clock: Clock, adapters: Mapping[str, Adapter]) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock
        self.adapters = adapters

    async def run_due(self) -> list[int]:
        """Read every due source; returns the ids of the posts queued."""
        from publisher.tracker.poll import Fetcher

        now = self.clock.now()
        due = await asyncio.to_thread(self._due, now)
        if not due:
            return []
        queued: list[int] = []
        async with Fetcher(self.settings.tracker, policy=self.settings.outbound) as fetcher:
            for source in due:
                queued += await self._read(fetcher, source, now)
        return queued

    def _due(self, now: datetime) -> list[OwnSource]:
        with self.store.sessions() as session:
            return due_own_sources(session, now)

    async def _read(self, fetcher: Any, source: OwnSource, now: datetime) -> list[int]:
        later = {"last_polled_at": now, "next_poll_at": now + timedelta(seconds=INTERVAL)}
        fetched = await fetcher.fetch(source.feed, source.etag, source.last_modified)
        if fetched.error:
            await asyncio.to_thread(self._update, source.id, {**later, "last_error": fetched.error})
            log_event("announce.failed", logging.WARNING, source=source.name, reason=fetched.error)
            return []
        if fetched.not_modified:
            await asyncio.to_thread(self._update, source.id, later)
            return []
        parsed = await asyncio.to_thread(
            parse_feed, fetched.body or b"", dict(fetched.headers), fetched.url, self.settings.timezone
        )
        if parsed.error:
            await asyncio.to_thread(self._update, source.id, {**later, "last_error": parsed.error})
            return []
        state = {**later, "etag": fetched.etag, "last_modified": fetched.last_modified, "last_error": None}
        return await asyncio.to_thread(self._announce, source, parsed.items, state, now)

    def _update(self, source_id: int, values: dict[str, Any]) -> None:
        with self.store.session() as session:
            update_own_source(session, source_id, **values)

    def _announce(
        self, source: OwnSource, items: Sequence[FeedItem], state: dict[str, Any], now: datetime
    ) -> list[int]:
        # oldest first, so that the channels carry them in the order the site published them
        items = sorted(items, key=lambda i: (i.published_at is None, i.published_at or now), reverse=False)
        with self.store.session() as session:
            new = claim_articles(session, source.id, [_keys(item) for item in items], now)
            update_own_source(session, source.id, primed=True, **state)
            campaign = session.get(Campaign, source.campaign_id) if source.campaign_id else None
            campaign_name = campaign.name if campaign else None
        if not source.primed:  # the first read: what the feed holds now is the past
            log_event("announce.subscribed", source=source.name, articles=len(new))
            return []
        queue = Queue(
            self.store, self.adapters, self.clock, timezone=self.settings.timezone, actor=f"source:{source.name}"
        )
        queued = []
        for item in items:
            entry = new.pop(_keys(item), None)
            if entry is None:
                continue  # seen before (or a second copy in this read)
            draft = PostDraft(
                title=item.title or item.summary[:40],
                body=item.summary[:SUMMARY_CHARS],
                channels=list(source.channels),
                now=True,
                campaign=campaign_name,
                link=item.link,
                images=[item.image] if item.image else [],
            )
            try:
                post_id = queue.add_post(draft)
            except ValidationError as exc:
                log_event("announce.refused", logging.WARNING, source=source.name, title=item.title, reason=str(exc))
                self._update(source.id, {"last_error": f"{item.title}: {exc}"})
                continue
            with self.store.session() as session:
                set_announced(session, entry, post_id)
            log_event("announce.queued", source=source.name, post=post_id)
            queued.append(post_id)
        return queued
