"""The evidence of a coverage item: the article page the tracker kept when it fetched the entry's text
(``publisher.tracker.fulltext``), shown by ``publisher coverage show`` and the console's coverage page."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection

from publisher.errors import NotFoundError
from publisher.models import Campaign
from publisher.store import Store
from publisher.store.articles import Evidence, evidence_of, items_with_pages
from publisher.tracker.models import CoverageItem

__all__ = ["ItemEvidence", "evidence_for", "items_with_evidence"]


@dataclasses.dataclass(frozen=True)
class ItemEvidence:
    item_id: int
    title: str
    outlet_url: str | None  # the item's link, as the feed gave it
    timezone: str  # the campaign's, for the times shown
    page: Evidence


def evidence_for(store: Store, item_id: int) -> ItemEvidence:
    """The kept page of coverage item ``item_id``; NotFoundError when there is no such item or it has none."""
    with store.sessions() as session:
        item = session.get(CoverageItem, item_id)
        if item is None or item.removed_at is not None:
            raise NotFoundError.of("there is no coverage item {id}", cli="; see `publisher coverage list`", id=item_id)
        page = evidence_of(session, [item_id]).get(item_id)
        if page is None:
            raise NotFoundError.of(
                "coverage item {id} has no kept page: pages are kept for items found in an article's text, which "
                "the tracker fetched because the feed gave only a headline",
                id=item_id,
            )
        campaign = session.get(Campaign, item.campaign_id)
        zone = campaign.timezone if campaign is not None else "UTC"
        return ItemEvidence(item_id, item.title, item.url, zone, page)


def items_with_evidence(store: Store, item_ids: Collection[int]) -> set[int]:
    with store.sessions() as session:
        return items_with_pages(session, item_ids)
