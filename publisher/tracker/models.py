"""The tracker's tables, on the same declarative ``Base`` as ``publisher.models`` (migration 0003t).

outlets ─< outlet_sources          an outlet has feeds (URLs or RSSHub routes), each polled on its own schedule
outlets ─< feed_entries            every article seen, once per outlet (unique by guid, canonical link, content hash)
campaigns ─< coverage_items        what counts as coverage: a matched entry, or one a person added by hand
campaigns ─ campaign_rules         keyword rules (any-of, all-of, none-of) for matching
feed_entries ─ article_pages       the page of a headline-only entry, fetched for its text and kept as evidence (0012)
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from publisher.models import Base

__all__ = ["ArticlePage", "CampaignRules", "CoverageItem", "FeedEntry", "Outlet", "OutletSource"]


class Outlet(Base):
    """An outside outlet whose coverage is counted: a city daily's site, a portal, an official account, a paper."""

    __tablename__ = "outlets"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(30), default="news_site")
    tier: Mapped[str | None] = mapped_column(String(50))
    region: Mapped[str | None] = mapped_column(String(100))
    timezone: Mapped[str | None] = mapped_column(String(64))
    origin: Mapped[str] = mapped_column(String(10), default="cli")  # "config" (synced from the file) or "cli"
    active: Mapped[bool] = mapped_column(Boolean, default=True)  # removed outlets stay for their coverage
    #: fetch the article page of a headline-only entry for its text (off for an outlet whose pages are walled)
    full_text: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]


class OutletSource(Base):
    """One feed of an outlet, with what polling has learnt about it. Claimed under a lease like a delivery."""

    __tablename__ = "outlet_sources"
    __table_args__ = (
        UniqueConstraint("outlet_id", "feed", name="uq_outlet_sources_feed"),
        Index("ix_outlet_sources_due", "enabled", "next_poll_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    outlet_id: Mapped[int] = mapped_column(ForeignKey("outlets.id"))
    feed: Mapped[str] = mapped_column(String(2000))  # as configured: a URL or ``rsshub:/ROUTE``
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    etag: Mapped[str | None] = mapped_column(String(500))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    body_hash: Mapped[str | None] = mapped_column(String(64))  # of the last body parsed: same bytes, no parse
    interval_seconds: Mapped[float] = mapped_column(Float)  # adapts between [tracker] min and max_interval
    next_poll_at: Mapped[datetime]
    errors: Mapped[int] = mapped_column(Integer, default=0)  # consecutive failures, for the backoff
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_polled_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    last_changed_at: Mapped[datetime | None]  # last poll that found a new entry
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None]
    last_warning: Mapped[str | None] = mapped_column(Text)  # read, but malformed / wrongly declared / empty
    entries_seen: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None]
    created_at: Mapped[datetime]


class FeedEntry(Base):
    """An article seen in an outlet's feed: one row however often and through however many feeds it is seen."""

    __tablename__ = "feed_entries"
    __table_args__ = (
        UniqueConstraint("outlet_id", "guid_hash", name="uq_feed_entries_guid"),
        UniqueConstraint("outlet_id", "link_hash", name="uq_feed_entries_link"),
        UniqueConstraint("outlet_id", "content_hash", name="uq_feed_entries_content"),
        Index("ix_feed_entries_fetched", "fetched_at"),
        Index("ix_feed_entries_link_hash", "link_hash"),  # from a kept article page to its entries (0015)
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    outlet_id: Mapped[int] = mapped_column(ForeignKey("outlets.id"))
    source_id: Mapped[int | None] = mapped_column(ForeignKey("outlet_sources.id", ondelete="SET NULL"))
    guid: Mapped[str | None] = mapped_column(Text)
    guid_hash: Mapped[str | None] = mapped_column(String(40))
    link: Mapped[str | None] = mapped_column(Text)  # canonical: lower-case scheme and host, no tracking parameters
    link_hash: Mapped[str | None] = mapped_column(String(40))
    content_hash: Mapped[str | None] = mapped_column(String(40))  # of the folded title and text
    title: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text)  # plain text
    body: Mapped[str] = mapped_column(Text)  # plain text of the full content where the feed has it
    author: Mapped[str | None] = mapped_column(String(500))
    published_at: Mapped[datetime | None]
    fetched_at: Mapped[datetime]


class ArticlePage(Base):
    """The page of an article whose feed entry had only a headline or a short summary: its main text, matched as
    the entry's body, and the page as fetched, kept (compressed, with its SHA-256) as evidence of the coverage after
    the outlet takes the article down. One row per canonical link, shared by every entry with that link."""

    __tablename__ = "article_pages"

    id: Mapped[int] = mapped_column(primary_key=True)
    link_hash: Mapped[str] = mapped_column(String(40), unique=True)  # FeedEntry.link_hash
    url: Mapped[str] = mapped_column(Text)  # after redirects
    status: Mapped[int | None] = mapped_column(Integer)
    etag: Mapped[str | None] = mapped_column(String(500))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    sha256: Mapped[str | None] = mapped_column(String(64))  # of the page's bytes as fetched
    html_gz: Mapped[bytes | None] = mapped_column(LargeBinary)  # gzip of those bytes
    text: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str | None] = mapped_column(Text)  # why the last fetch gave no page (the evidence stays)
    fetched_at: Mapped[datetime]  # when the page kept here was fetched
    checked_at: Mapped[datetime]  # the last fetch, whatever came of it
    screenshot_png: Mapped[bytes | None] = mapped_column(LargeBinary)  # the kept page as Chromium drew it, offline
    screenshot_at: Mapped[datetime | None]


class CoverageItem(Base):
    """One outlet's report on a campaign: a matched feed entry, or one added by hand (print, a wall, a broadcast)."""

    __tablename__ = "coverage_items"
    __table_args__ = (
        UniqueConstraint("campaign_id", "entry_id", name="uq_coverage_items_entry"),
        Index("ix_coverage_items_campaign", "campaign_id", "published_at"),
        Index("ix_coverage_items_alert", "alert_tag", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    outlet_id: Mapped[int] = mapped_column(ForeignKey("outlets.id"))
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("feed_entries.id"))
    title: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None]
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"))  # our post it reprints, if any
    matched_by: Mapped[str] = mapped_column(String(30))  # keywords | similarity | keywords+similarity | manual
    matched_terms: Mapped[str | None] = mapped_column(Text)  # the keywords found, or "post 12"
    score: Mapped[float] = mapped_column(Float, default=1.0)
    #: the id of the first item of the same story carried by another outlet (itself when alone)
    reprint_group: Mapped[int | None] = mapped_column(Integer)
    origin: Mapped[str] = mapped_column(String(10), default="feed")  # feed | manual
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))
    removed_at: Mapped[datetime | None]  # removed items stay, so a later pass does not add them back
    removed_by: Mapped[str | None] = mapped_column(String(200))
    #: the alert run that told the team about this item ([alerts]); the alert post's ``created_by`` is the same tag
    alert_tag: Mapped[str | None] = mapped_column(String(100))
    alerted_at: Mapped[datetime | None]


class CampaignRules(Base):
    """Keyword rules of one campaign, over an entry's title and summary (folded: see ``normalize``)."""

    __tablename__ = "campaign_rules"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), primary_key=True)
    any_of: Mapped[list[str]] = mapped_column(default=list)
    all_of: Mapped[list[str]] = mapped_column(default=list)
    none_of: Mapped[list[str]] = mapped_column(default=list)
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(200))

    def as_dict(self) -> dict[str, Any]:
        return {"any": list(self.any_of), "all": list(self.all_of), "none": list(self.none_of)}
