"""Claiming due sources and writing what a poll found: source state, new entries, coverage, reprint groups.

Claims work like deliveries' (``Store.claim_due``): due sources are taken under a lease in one short transaction,
``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several daemons poll each source once per due time. The results are
written back in batches; a source whose lease was taken over meanwhile is left to its new holder.

Dedupe: an entry already stored for the same outlet with the same guid, canonical link or content hash is the
same article, seen again. New entries are inserted with ``ON CONFLICT DO NOTHING`` (SQLite and PostgreSQL both
have it), so two daemons polling two feeds of one outlet cannot store an article twice.
"""

from __future__ import annotations

import dataclasses
import heapq
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from publisher.logs import log_event
from publisher.models import Action
from publisher.store import Session, Store
from publisher.store.events import add_event, add_events
from publisher.store.feeds import (
    campaign_names_by_id,
    claim_sources,
    grouped_items,
    held_sources,
    insert_ignore,
    known_entry_keys,
    outlet_names_by_id,
    set_reprint_groups,
    update_sources,
)
from publisher.tracker.match import (
    CANDIDATE_SHARE,
    MIN_DOCUMENTS,
    STORY_SIMILARITY,
    Match,
    Matcher,
    Prepared,
    Vocabulary,
    prepare,
    similarity,
)
from publisher.tracker.models import CoverageItem, FeedEntry
from publisher.tracker.parse import FeedItem
from publisher.tracker.settings import TrackerSettings
from publisher.tracker.sources import after_error, after_success
from publisher.tracker.work import EntryKeys, keys_of

__all__ = [
    "Claimed",
    "Found",
    "Groups",
    "Polled",
    "Written",
    "claim_due",
    "record",
    "write_coverage",
]

STORY_CANDIDATES = 10  # items scored exactly for a new item's story: those sharing the most rare weight with it
STORY_GRAMS = 40  # an item's rarest grams, through which it finds the items that may be its story


@dataclasses.dataclass(frozen=True, kw_only=True)
class Claimed:
    source_id: int
    outlet_id: int
    outlet: str
    feed: str
    etag: str | None
    last_modified: str | None
    body_hash: str | None
    interval: float
    errors: int
    timezone: str | None


@dataclasses.dataclass(frozen=True, kw_only=True)
class Polled:
    """What one poll of one source came to."""

    claim: Claimed
    status: int | None = None
    error: str | None = None
    retry_after: float | None = None
    not_modified: bool = False
    same_bytes: bool = False  # the server ignored the validators but sent what it sent last time
    body_hash: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    warning: str | None = None
    items: Sequence[FeedItem] = ()
    prepared: Sequence[Prepared] = ()  # each item's folded text, in the same order
    keys: Sequence[EntryKeys] = ()  # each item's keys (``work.keys_of``), in the same order
    matches: Sequence[Sequence[Match]] | None = None  # each item's matches, when the parse worker matched them


@dataclasses.dataclass
class Written:
    sources: int = 0
    new_entries: int = 0
    coverage: int = 0
    errors: int = 0
    coverage_ids: list[int] = dataclasses.field(default_factory=list)


def claim_due(
    store: Store,
    now: datetime,
    owner: str,
    lease: timedelta,
    *,
    limit: int = 10000,
    force: bool = False,
    outlet: str | None = None,
) -> list[Claimed]:
    """Take the sources due by ``now`` (all enabled ones with ``force``) under a lease held by ``owner``."""
    rows = claim_sources(store, now, owner, lease, limit=limit, force=force, outlet=outlet)
    return [
        Claimed(
            source_id=source.id,
            outlet_id=source.outlet_id,
            outlet=name,
            feed=source.feed,
            etag=source.etag,
            last_modified=source.last_modified,
            body_hash=source.body_hash,
            interval=source.interval_seconds,
            errors=source.errors,
            timezone=timezone,
        )
        for source, name, timezone in rows
    ]


class Groups:
    """Stories, per campaign: the same story carried by several outlets is one reprint group, so reports count
    stories and their carriers.

    A new item joins the group of the items reprinting the same post of ours; otherwise the group of the most
    similar item from another outlet, when their weighted cosine (``match.similarity``, grams weighted as the matcher
    weighs them) is at least ``threshold`` (``match.STORY_SIMILARITY``, calibrated on tests/data/reprints);
    otherwise it starts a group of its own. Only items sharing with it a gram rare among the campaign's items are
    compared (an inverted index), so a campaign with thousands of items is not compared pair by pair. Loaded on
    first use per campaign, kept up to date through the pass.
    """

    def __init__(self, threshold: float = STORY_SIMILARITY) -> None:
        self.threshold = threshold
        self._campaigns: dict[int, _CampaignGroups] = {}

    def _load(self, session: Session, campaign_id: int, vocabulary: Vocabulary) -> _CampaignGroups:
        if campaign_id not in self._campaigns:
            groups = _CampaignGroups(vocabulary)
            for row in grouped_items(session, campaign_id):
                groups.add(
                    row.id,
                    row.outlet_id,
                    row.reprint_group or row.id,
                    row.post_id,
                    prepare(row.title, row.summary, row.body).grams,
                )
            self._campaigns[campaign_id] = groups
        return self._campaigns[campaign_id]

    def assign(
        self,
        session: Session,
        campaign_id: int,
        item_id: int,
        outlet_id: int,
        post_id: int | None,
        entry: Prepared,
        vocabulary: Vocabulary | None = None,
    ) -> int:
        groups = self._load(session, campaign_id, vocabulary or Vocabulary())
        group = item_id
        if post_id is not None and post_id in groups.by_post:
            group = groups.by_post[post_id]
        else:
            best = self.threshold
            mine = groups.vocabulary.total(entry.grams)
            shared = groups.shared_weights(entry.grams)
            shared = {other: weight for other, weight in shared.items() if groups.items[other][0] != outlet_id}
            # the same story shares its rare grams (names, places, the event's words): the few items sharing the
            # most weight through them are scored exactly, not every item sharing one (a busy campaign has
            # thousands, and a pass would compare item by item)
            for other in sorted(heapq.nlargest(STORY_CANDIDATES, shared, key=shared.__getitem__)):
                _, other_group, other_grams, other_total = groups.items[other]
                score = similarity(entry.grams, other_grams, groups.vocabulary, (mine, other_total))
                if score >= best:
                    group, best = other_group, score + 1e-12  # the first of equals: the oldest item
        groups.add(item_id, outlet_id, group, post_id, entry.grams)
        return group


class _CampaignGroups:
    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary  # the matcher's: what a gram weighs
        self.items: dict[int, tuple[int, int, frozenset[str], float]] = {}  # item -> (outlet, group, grams, weight)
        self.by_post: dict[int, int] = {}  # our post -> the group of its reprints
        self._postings: dict[str, list[int]] = {}  # gram -> the items holding it

    def add(self, item_id: int, outlet_id: int, group: int, post_id: int | None, grams: frozenset[str]) -> None:
        self.items[item_id] = (outlet_id, group, grams, self.vocabulary.total(grams))
        if post_id is not None:
            self.by_post.setdefault(post_id, group)
        for gram in grams:
            self._postings.setdefault(gram, []).append(item_id)

    def shared_weights(self, grams: frozenset[str]) -> dict[int, float]:
        """The items sharing with ``grams`` one of its ``STORY_GRAMS`` grams rarest among the campaign's items (held
        by at most 5% of them, or by at most ``MIN_DOCUMENTS``: the campaign's own words, in every item, propose
        nothing), each with the weight it shares through those grams. A story's names and words are in its own
        items and few others, so its rarest grams find them; through all its grams an item met most of the
        campaign (a busy campaign's items share some pair of characters with nearly every other)."""
        limit = max(CANDIDATE_SHARE * len(self.items), MIN_DOCUMENTS)
        postings, weights, unseen = self._postings, self.vocabulary.weights, self.vocabulary.unseen
        proposing = []
        for gram in grams:
            keys = postings.get(gram)
            # a gram weighing nothing proposes no one
            if keys is not None and len(keys) <= limit and (w := weights.get(gram, unseen)):
                proposing.append((len(keys), gram, keys, w))
        shared: dict[int, float] = {}
        for _, _, keys, w in heapq.nsmallest(STORY_GRAMS, proposing):
            for key in keys:
                shared[key] = shared.get(key, 0.0) + w
        return shared


@dataclasses.dataclass(frozen=True)
class Found:
    """A new entry, stored: its id and outlet, what the feed said, and its folded text."""

    entry_id: int
    outlet_id: int
    item: FeedItem
    prepared: Prepared
    matches: Sequence[Match] | None = None  # already matched (in the parse worker); None: match here

    @classmethod
    def of(cls, row: FeedEntry) -> Found:
        """A stored entry, to be matched again (``track --rematch``, or once its article page gave it text)."""
        item = FeedItem(
            guid=row.guid,
            link=row.link,
            title=row.title,
            summary=row.summary,
            body=row.body,
            author=row.author,
            published_at=row.published_at,
        )
        return cls(row.id, row.outlet_id, item, prepare(item.title, item.summary, item.body, item.published_at))


def _new_entries(session: Session, polled: Sequence[Polled], now: datetime) -> list[Found]:
    """Insert the entries not seen before; returns each one inserted."""
    candidates: list[tuple[Polled, FeedItem, Prepared, EntryKeys]] = []
    matched: dict[int, Sequence[Match]] = {}  # id(prepared) -> what the parse worker matched
    for result in polled:
        named = result.keys or list(map(keys_of, result.items, result.prepared))
        for item, prepared, entry_keys in zip(result.items, result.prepared, named, strict=True):
            candidates.append((result, item, prepared, entry_keys))
        if result.matches is not None:
            matched.update(zip(map(id, result.prepared), result.matches, strict=True))
    if not candidates:
        return []
    outlets = {result.claim.outlet_id for result, _, _, _ in candidates}
    wanted = [{key for _, _, _, keys in candidates if (key := keys[position])} for position in range(3)]
    known: set[tuple[int, int, str | None]] = set(known_entry_keys(session, outlets, wanted))  # (outlet, key, hash)
    rows: list[dict[str, Any]] = []
    fresh: dict[tuple[int, str | None, str | None, str | None], tuple[FeedItem, Prepared]] = {}
    for result, item, prepared, keys in candidates:
        outlet = result.claim.outlet_id
        if any(key and (outlet, position, key) in known for position, key in enumerate(keys)):
            continue
        for position, key in enumerate(keys):  # the same article twice in this batch
            if key:
                known.add((outlet, position, key))
        fresh[(outlet, *keys)] = (item, prepared)
        rows.append(
            {
                "outlet_id": outlet,
                "source_id": result.claim.source_id,
                "guid": item.guid,
                "guid_hash": keys[0],
                "link": item.link,
                "link_hash": keys[1],
                "content_hash": keys[2],
                "title": item.title,
                "summary": item.summary,
                "body": item.body,
                "author": item.author,
                "published_at": item.published_at,
                "fetched_at": now,
            }
        )
    inserted = insert_ignore(
        session,
        FeedEntry,
        rows,
        ("id", "outlet_id", "guid_hash", "link_hash", "content_hash"),
    )
    found = []
    for row in inserted:
        item, prepared = fresh[(row[1], row[2], row[3], row[4])]
        found.append(Found(row[0], row[1], item, prepared, matched.get(id(prepared))))
    return found


def write_coverage(
    session: Session,
    found: Sequence[Found],
    matcher: Matcher,
    groups: Groups,
    now: datetime,
    actor: str,
) -> list[int]:
    """Match new entries and store a coverage item for each campaign they belong to (in one statement), each in
    its reprint group, each logged."""
    if matcher.empty or not found:
        return []
    pending: list[tuple[Found, Match]] = [
        (entry, match)
        for entry in found
        for match in (entry.matches if entry.matches is not None else matcher.match(entry.prepared))
    ]
    if not pending:
        return []
    rows = [
        {
            "campaign_id": match.campaign_id,
            "outlet_id": entry.outlet_id,
            "entry_id": entry.entry_id,
            "title": entry.item.title or entry.item.summary[:80],
            "url": entry.item.link,
            "published_at": entry.item.published_at or now,
            "post_id": match.post_id,
            "matched_by": match.matched_by,
            "matched_terms": match.describe() or None,
            "score": round(match.score, 4),
            "origin": "feed",
            "created_at": now,
            "created_by": actor,
        }
        for entry, match in pending
    ]
    inserted = insert_ignore(session, CoverageItem, rows, ("id", "campaign_id", "entry_id"))
    ids = {(campaign, entry): item for item, campaign, entry in inserted}
    names = campaign_names_by_id(session, {c for _, c, _ in inserted})
    outlets = outlet_names_by_id(session, {e.outlet_id for e in found})
    updates: dict[int, int] = {}
    events: list[dict[str, Any]] = []
    created: list[int] = []
    for entry, match in pending:
        item_id = ids.get((match.campaign_id, entry.entry_id))
        if item_id is None:
            continue  # another daemon stored it first
        group = groups.assign(
            session, match.campaign_id, item_id, entry.outlet_id, match.post_id, entry.prepared, matcher.vocabulary
        )
        updates[item_id] = group
        reason = f"{names[match.campaign_id]}: {outlets[entry.outlet_id]}: {entry.item.title} ({match.describe()})"
        events.append(
            {"at": now, "actor": actor, "action": Action.COVERAGE_FOUND, "reason": reason, "coverage_id": item_id}
        )
        created.append(item_id)
    set_reprint_groups(session, updates)
    add_events(session, events)
    return created


def record(
    store: Store,
    polled: Sequence[Polled],
    *,
    owner: str,
    now: datetime,
    settings: TrackerSettings,
    matcher: Matcher,
    groups: Groups,
) -> Written:
    """Write a batch of poll results in one transaction."""
    written = Written()
    with store.session() as session:
        held = held_sources(session, [p.claim.source_id for p in polled], owner)
        mine = [p for p in polled if p.claim.source_id in held]
        found = _new_entries(session, [p for p in mine if p.items and not p.error], now)
        counted = _count_by_source(found, mine)
        update_sources(
            session,
            owner,
            [_source_state(session, result, counted.get(result.claim.source_id, 0), now, settings) for result in mine],
        )
        written.errors = sum(1 for result in mine if result.error)
        written.sources = len(mine)
        written.new_entries = len(found)
        written.coverage_ids = write_coverage(session, found, matcher, groups, now, "tracker")
        written.coverage = len(written.coverage_ids)
    return written


def _count_by_source(found: Sequence[Found], polled: Sequence[Polled]) -> dict[int, int]:
    """How many of the new entries came from each source (by identity of the item objects)."""
    owner_of = {id(item): p.claim.source_id for p in polled for item in p.items}
    counts: dict[int, int] = {}
    for entry in found:
        source = owner_of.get(id(entry.item))
        if source is not None:
            counts[source] = counts.get(source, 0) + 1
    return counts


def _source_state(
    session: Session, result: Polled, new_entries: int, now: datetime, settings: TrackerSettings
) -> tuple[int, dict[str, Any], int]:
    """What to write on a polled source: (its id, the values, the new entries added to its count); a source that
    starts or stops failing is written in the history too."""
    claim = result.claim
    values: dict[str, Any] = {
        "lease_owner": None,
        "lease_until": None,
        "last_polled_at": now,
        "last_status": result.status,
    }
    if result.error:
        errors = claim.errors + 1
        schedule = after_error(settings, claim.interval, errors, now, result.retry_after)
        values.update(errors=errors, last_error=result.error, last_error_at=now)
        if claim.errors == 0:
            add_event(
                session,
                at=now,
                actor="tracker",
                action=Action.SOURCE_FAILING,
                reason=f"{claim.outlet}: {claim.feed}: {result.error}",
            )
        log_event("tracker.error", outlet=claim.outlet, feed=claim.feed, reason=result.error, errors=errors)
    else:
        schedule = after_success(settings, claim.interval, new_entries > 0, now)
        values.update(errors=0, last_success_at=now)
        if claim.errors:
            add_event(
                session,
                at=now,
                actor="tracker",
                action=Action.SOURCE_RECOVERED,
                reason=f"{claim.outlet}: {claim.feed}: read again after {claim.errors} failures",
            )
        if not result.not_modified and not result.same_bytes:
            values.update(last_warning=result.warning, body_hash=result.body_hash)
        if result.etag is not None or result.last_modified is not None:
            values.update(etag=result.etag, last_modified=result.last_modified)
        if new_entries:
            values.update(last_changed_at=now)
    values.update(interval_seconds=schedule.interval, next_poll_at=schedule.next_poll_at)
    counted = new_entries if not result.error else 0  # added to the source's count of entries seen
    return claim.source_id, values, counted
