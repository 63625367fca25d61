"""Article pages of headline-only entries: which entries want one, the pages kept, and the evidence of coverage
(``publisher.tracker.fulltext`` decides when to fetch and what to match)."""

from __future__ import annotations

import gzip
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, exists, func, select
from sqlalchemy.orm import Session

from publisher.store.engine import StoreBase
from publisher.tracker.models import ArticlePage, CoverageItem, FeedEntry, Outlet

__all__ = [
    "Evidence",
    "FetchedPage",
    "entries_wanting_text",
    "evidence_of",
    "items_with_pages",
    "keep_screenshot",
    "pages_to_draw",
    "prune_unused_pages",
    "save_pages",
]


@dataclass(frozen=True)
class FetchedPage:
    """What one fetch of an article page came to, for ``save_pages``."""

    link_hash: str
    url: str
    status: int | None
    etag: str | None = None
    last_modified: str | None = None
    body: bytes | None = None  # None: failed or not modified (a stored page is then kept)
    text: str = ""
    sha256: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class Evidence:
    """The page kept for a coverage item."""

    url: str
    status: int | None
    sha256: str | None
    fetched_at: datetime
    checked_at: datetime
    text: str
    error: str | None  # why the last check gave no page: the article may be gone, the evidence is not
    html_gz: bytes
    screenshot_png: bytes | None = None  # the kept page as a browser drew it ([tracker] screenshots)
    screenshot_at: datetime | None = None

    @property
    def html(self) -> bytes:
        """The page's bytes as fetched (their SHA-256 is ``sha256``)."""
        return gzip.decompress(self.html_gz)


def entries_wanting_text(session: Session, since: datetime, below: int, limit: int) -> list[FeedEntry]:
    """Entries first seen at or after ``since`` whose feed text is under ``below`` characters, with a link, of an
    outlet that fetches full text, and whose page was never fetched: newest first, at most ``limit``."""
    fetched = exists().where(ArticlePage.link_hash == FeedEntry.link_hash)
    query = (
        select(FeedEntry)
        .join(Outlet, Outlet.id == FeedEntry.outlet_id)
        .where(
            FeedEntry.fetched_at >= since,
            FeedEntry.link_hash.is_not(None),
            Outlet.full_text.is_(True),
            func.length(FeedEntry.summary) < below,
            func.length(FeedEntry.body) < below,
            ~fetched,
        )
        .order_by(FeedEntry.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def save_pages(session: Session, pages: Sequence[FetchedPage], now: datetime) -> list[FeedEntry]:
    """Keep each page (compressed), and add its text to the summary of the entries with its link. A failed or
    not-modified fetch only records when and why: a page kept before stays, as evidence. Returns the entries that
    gained text."""
    gained: list[FeedEntry] = []
    known = {
        page.link_hash: page
        for page in session.scalars(select(ArticlePage).where(ArticlePage.link_hash.in_([p.link_hash for p in pages])))
    }
    for fetched in pages:
        row = known.get(fetched.link_hash)
        if row is None:
            row = ArticlePage(link_hash=fetched.link_hash, url=fetched.url, text="", fetched_at=now, checked_at=now)
            session.add(row)
        row.checked_at, row.error = now, fetched.error
        if fetched.body is None:
            continue
        row.url, row.status, row.etag, row.last_modified = (
            fetched.url,
            fetched.status,
            fetched.etag,
            fetched.last_modified,
        )
        row.sha256, row.html_gz, row.text, row.fetched_at = (
            fetched.sha256,
            gzip.compress(fetched.body),
            fetched.text,
            now,
        )
        if fetched.text:
            # the page's text is what the feed's summary should have been: keywords, similarity and a later rematch
            # all read it there
            for entry in session.scalars(select(FeedEntry).where(FeedEntry.link_hash == fetched.link_hash)):
                if len(entry.summary) < len(fetched.text):
                    entry.summary = f"{entry.summary}\n{fetched.text}" if entry.summary else fetched.text
                    gained.append(entry)
    return gained


def evidence_of(session: Session, item_ids: Collection[int]) -> dict[int, Evidence]:
    """The page kept for each of these coverage items that has one."""
    rows = session.execute(
        select(CoverageItem.id, ArticlePage)
        .join(FeedEntry, FeedEntry.id == CoverageItem.entry_id)
        .join(ArticlePage, ArticlePage.link_hash == FeedEntry.link_hash)
        .where(CoverageItem.id.in_(list(item_ids)), ArticlePage.html_gz.is_not(None))
    ).all()
    return {
        item_id: Evidence(
            url=page.url,
            status=page.status,
            sha256=page.sha256,
            fetched_at=page.fetched_at,
            checked_at=page.checked_at,
            text=page.text,
            error=page.error,
            html_gz=page.html_gz or b"",
            screenshot_png=page.screenshot_png,
            screenshot_at=page.screenshot_at,
        )
        for item_id, page in rows
    }


def pages_to_draw(session: Session, link_hashes: Collection[str], limit: int) -> list[tuple[str, bytes]]:
    """(link hash, gzipped HTML) of these kept pages that are evidence of a coverage item and have no picture yet."""
    of_coverage = (
        exists()
        .where(FeedEntry.link_hash == ArticlePage.link_hash)
        .where(CoverageItem.entry_id == FeedEntry.id, CoverageItem.removed_at.is_(None))
    )
    rows = session.execute(
        select(ArticlePage.link_hash, ArticlePage.html_gz)
        .where(
            ArticlePage.link_hash.in_(list(link_hashes)),
            ArticlePage.html_gz.is_not(None),
            ArticlePage.screenshot_png.is_(None),
            of_coverage,
        )
        .limit(limit)
    ).all()
    return [(link_hash, html_gz) for link_hash, html_gz in rows if html_gz]


def keep_screenshot(session: Session, link_hash: str, png: bytes, now: datetime) -> None:
    page = session.scalars(select(ArticlePage).where(ArticlePage.link_hash == link_hash)).first()
    if page is not None:
        page.screenshot_png, page.screenshot_at = png, now


def items_with_pages(session: Session, item_ids: Collection[int]) -> set[int]:
    """Which of these coverage items have a kept page (without reading the pages)."""
    query = (
        select(CoverageItem.id)
        .join(FeedEntry, FeedEntry.id == CoverageItem.entry_id)
        .join(ArticlePage, ArticlePage.link_hash == FeedEntry.link_hash)
        .where(CoverageItem.id.in_(list(item_ids)), ArticlePage.html_gz.is_not(None))
    )
    return set(session.scalars(query))


def prune_unused_pages(store: StoreBase) -> int:
    """Delete the pages no entry links to any more (their entries were pruned); evidence of coverage stays."""
    linked = exists().where(FeedEntry.link_hash == ArticlePage.link_hash)
    with store.session() as session:
        result = session.execute(delete(ArticlePage).where(~linked))
        return int(getattr(result, "rowcount", 0) or 0)
