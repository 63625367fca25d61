"""The full-text step of a pass: the new entries that carry only a headline or a line of summary get their article
page fetched, its main text is added to their summary, and they are matched again on it.

It runs after the pass has recorded its feeds, on the pass's ``Fetcher`` (so through the outbound guard, within the
per-host and total caps), for at most ``[tracker] full_text_per_pass`` entries, newest first (a first subscription
to a busy outlet does not fetch hundreds of pages in one pass: the rest have had their chance when they were new,
and older entries matter less). A page is fetched once per canonical link, whatever outlets carry it, and kept
(``publisher.store.articles``) as the evidence of the coverage it proves; a page that fails is tried no more
(its entry still counts by its headline). An outlet turns it off with ``full_text = false``. With ``[tracker]
screenshots`` on, each kept page that proves a coverage item is also drawn (``screenshot``, offline) and the
picture kept beside it.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
from collections.abc import Sequence
from datetime import datetime

from publisher.logs import log_event
from publisher.store import Store
from publisher.store.articles import FetchedPage, entries_wanting_text, keep_screenshot, pages_to_draw, save_pages
from publisher.tracker.articles import extract_text
from publisher.tracker.match import Matcher
from publisher.tracker.models import FeedEntry
from publisher.tracker.poll import Fetcher
from publisher.tracker.record import Found, Groups, write_coverage
from publisher.tracker.screenshot import DrawFailed, draw, find_browser
from publisher.tracker.settings import TrackerSettings

__all__ = ["HTML_ACCEPT", "draw_pages", "read_articles"]

HTML_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"
_HTML_TYPES = ("text/html", "application/xhtml+xml", "text/plain", "")


async def read_articles(
    store: Store,
    fetcher: Fetcher,
    settings: TrackerSettings,
    *,
    since: datetime,
    now: datetime,
    matcher: Matcher,
    groups: Groups,
    actor: str,
) -> int:
    """Fetch the pages of the pass's headline-only entries, keep them, match the entries on their text; returns
    how many coverage items that added."""
    entries = await asyncio.to_thread(_wanting, store, settings, since)
    if not entries:
        return 0
    links = {entry.link_hash: entry.link for entry in entries if entry.link_hash and entry.link}
    pages = await asyncio.gather(*(_read(fetcher, key, url) for key, url in links.items()))
    added = await asyncio.to_thread(_save_and_match, store, pages, now, matcher, groups, actor)
    if settings.screenshots and settings.screenshots_per_pass:
        await draw_pages(store, settings, [page.link_hash for page in pages if page.body is not None], now)
    return added


async def draw_pages(store: Store, settings: TrackerSettings, link_hashes: Sequence[str], now: datetime) -> int:
    """Draw the kept pages among these that prove a coverage item and have no picture yet (``screenshot``);
    returns how many were drawn. One at a time: Chromium takes a core while it draws."""
    browser = find_browser(settings.screenshot_browser)
    if browser is None:
        log_event("tracker.screenshot", outcome="skipped", reason="no Chromium found: set [tracker] screenshot_browser")
        return 0
    todo = await asyncio.to_thread(_to_draw, store, link_hashes, settings.screenshots_per_pass)
    drawn = 0
    for link_hash, html_gz in todo:
        try:
            picture = await draw(browser, gzip.decompress(html_gz))
        except DrawFailed as exc:
            log_event("tracker.screenshot", outcome="failed", reason=str(exc))
            continue
        await asyncio.to_thread(_keep, store, link_hash, picture, now)
        drawn += 1
    return drawn


def _to_draw(store: Store, link_hashes: Sequence[str], limit: int) -> list[tuple[str, bytes]]:
    with store.sessions() as session:
        return pages_to_draw(session, link_hashes, limit)


def _keep(store: Store, link_hash: str, picture: bytes, now: datetime) -> None:
    with store.session() as session:
        keep_screenshot(session, link_hash, picture, now)


def _wanting(store: Store, settings: TrackerSettings, since: datetime) -> list[FeedEntry]:
    with store.sessions() as session:
        return entries_wanting_text(session, since, settings.full_text_below, settings.full_text_per_pass)


async def _read(fetcher: Fetcher, link_hash: str, url: str) -> FetchedPage:
    fetched = await fetcher.fetch(url, accept=HTML_ACCEPT)
    if fetched.error or fetched.body is None:
        return FetchedPage(link_hash, fetched.url, fetched.status, error=fetched.error or "no page")
    kind = fetched.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in _HTML_TYPES:
        return FetchedPage(link_hash, fetched.url, fetched.status, error=f"not a web page ({kind})")
    text = await asyncio.to_thread(extract_text, fetched.body, fetched.url)
    return FetchedPage(
        link_hash,
        fetched.url,
        fetched.status,
        etag=fetched.etag,
        last_modified=fetched.last_modified,
        body=fetched.body,
        text=text,
        sha256=hashlib.sha256(fetched.body).hexdigest(),
    )


def _save_and_match(
    store: Store,
    pages: Sequence[FetchedPage],
    now: datetime,
    matcher: Matcher,
    groups: Groups,
    actor: str,
) -> int:
    with store.session() as session:
        found = [Found.of(row) for row in save_pages(session, pages, now)]  # their summary now holds the text
        return len(write_coverage(session, found, matcher, groups, now, actor))
