"""The CPU work of a poll: parse a feed, fold each entry, name it (``keys_of``), match it. Run in a worker thread,
or in a parse worker process when a pass has many feeds (``service.Tracker.run_once``).

A module of its own, importing only the parser and the matcher: a spawned worker imports the module of the
function it runs, and the tracker's (the store, SQLAlchemy, httpx) would cost each worker half a second of CPU
before its first feed. Each worker loads the pass's matcher once, when it starts, from a file the tracker writes
(``matcher_file``): a spawned process's arguments go down a pipe the tracker would block on, for seconds each while
the child starts, if they were larger than the pipe's buffer, as a matcher is.
"""

from __future__ import annotations

import os
import pickle

from publisher.tracker.match import Match, Matcher, Prepared, prepare
from publisher.tracker.normalize import sha1
from publisher.tracker.parse import FeedItem, ParsedFeed, parse_feed

__all__ = ["EntryKeys", "keys_of", "matcher_file", "read_feed", "start_worker"]

#: guid hash, canonical link hash, content hash (``publisher.store.feeds.ENTRY_KEYS``, in that order)
EntryKeys = tuple[str | None, str | None, str | None]

_WORKER_MATCHER: Matcher | None = None  # in a parse worker process: the pass's matcher, loaded when it started


def matcher_file(matcher: Matcher, folder: str) -> str:
    """``matcher`` pickled into ``folder`` (the pass's own temporary folder); the path, for ``start_worker``."""
    path = os.path.join(folder, "matcher.pickle")
    with open(path, "wb") as file:
        pickle.dump(matcher, file, protocol=pickle.HIGHEST_PROTOCOL)
    return path


def start_worker(path: str) -> None:
    """A parse worker's first step: load the pass's matcher from the file the tracker wrote it to."""
    global _WORKER_MATCHER
    with open(path, "rb") as file:
        _WORKER_MATCHER = pickle.load(file)  # noqa: S301 (written by this pass's tracker process, in its own folder)


def keys_of(item: FeedItem, prepared: Prepared) -> EntryKeys:
    """guid hash, canonical link hash, content hash (of the folded title and text; None when too short, or when the
    entry has no text beyond its headline but a guid or link of its own: a follow-up may carry its first report's
    headline, so a headline alone does not say two entries are one article)."""
    text = prepared.compacted
    headline_only = not prepared.compacted_text and bool(item.guid or item.link)
    return (
        sha1(item.guid) if item.guid else None,
        sha1(item.link) if item.link else None,
        sha1(text) if len(text) >= 24 and not headline_only else None,
    )


def read_feed(
    body: bytes, headers: dict[str, str], url: str, timezone: str, matcher: Matcher | None = None
) -> tuple[ParsedFeed, list[Prepared], list[list[Match]] | None, list[EntryKeys]]:
    """Parse a feed, fold each entry's text, name it and match it (with ``matcher``, else the worker process's
    own). The matches are None when there is no matcher to use (the writer then matches). All of it here, in the
    parse worker: the writer, one thread for the whole pass, only writes."""
    parsed = parse_feed(body, headers, url, timezone)
    matcher = matcher or _WORKER_MATCHER
    prepared = [prepare(item.title, item.summary, item.body, item.published_at) for item in parsed.items]
    keys = list(map(keys_of, parsed.items, prepared))
    if matcher is None or matcher.empty:
        return parsed, prepared, None, keys
    # every entry, though some are already stored: the writer keeps the new ones' matches and drops the rest
    return parsed, prepared, [matcher.match(entry) for entry in prepared], keys
