"""The CPU work of a poll: parse a feed, fold each entry, match it. Run in a worker thread, or in a parse worker
process when a pass has many feeds (``service.Tracker.run_once``).

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
from publisher.tracker.parse import ParsedFeed, parse_feed

__all__ = ["matcher_file", "read_feed", "start_worker"]

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


def read_feed(
    body: bytes, headers: dict[str, str], url: str, timezone: str, matcher: Matcher | None = None
) -> tuple[ParsedFeed, list[Prepared], list[list[Match]] | None]:
    """Parse a feed, fold each entry's text and match it (with ``matcher``, else the worker process's own). The
    matches are None when there is no matcher to use (the writer then matches)."""
    parsed = parse_feed(body, headers, url, timezone)
    matcher = matcher or _WORKER_MATCHER
    prepared = []
    for item in parsed.items:
        entry = prepare(item.title, item.summary, item.body, item.published_at)
        _ = entry.keyword_text, entry.compacted  # computed here, carried back with the entry
        prepared.append(entry)
    if matcher is None or matcher.empty:
        return parsed, prepared, None
    # every entry, though some are already stored: the writer keeps the new ones' matches and drops the rest
    return parsed, prepared, [matcher.match(entry) for entry in prepared]
