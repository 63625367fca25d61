"""Coverage items and campaign keyword rules: what people add, list and remove, and what matching reads.

Removing an item keeps its row (``removed_at``), so a later pass or ``track --rematch`` does not add it back.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from collections.abc import Sequence
from datetime import datetime, timedelta

from publisher.errors import NotFoundError, ValidationError
from publisher.models import Action, Campaign
from publisher.store import Session, Store
from publisher.store.coverage import all_campaigns, all_keyword_rules, coverage_rows
from publisher.store.events import add_event
from publisher.store.feeds import outlet_named
from publisher.store.posts import campaign_named, first_campaigns, sent_campaign_posts
from publisher.tracker.match import CampaignRules, OurPost
from publisher.tracker.models import CampaignRules as RulesRow
from publisher.tracker.models import CoverageItem
from publisher.tracker.normalize import canonical_link

__all__ = [
    "CoverageFilter",
    "CoverageRow",
    "add_manual",
    "find_campaign",
    "get_rules",
    "list_coverage",
    "load_posts",
    "load_rules",
    "remove_coverage",
    "set_rules",
]


@dataclasses.dataclass(frozen=True, kw_only=True)
class CoverageFilter:
    campaign: str | None = None
    outlet: str | None = None
    published_from: datetime | None = None
    published_to: datetime | None = None
    limit: int = 1000


@dataclasses.dataclass(frozen=True, kw_only=True)
class CoverageRow:
    id: int
    campaign: str
    timezone: str
    outlet: str
    tier: str | None
    kind: str
    title: str
    url: str | None
    published_at: datetime | None
    matched_by: str
    matched_terms: str | None
    score: float
    post_id: int | None
    reprint_group: int | None
    origin: str
    note: str | None


def find_campaign(session: Session, name: str | None) -> Campaign:
    """The campaign called ``name``; with None, the only campaign there is."""
    if name is None:
        campaigns = first_campaigns(session, 2)
        if len(campaigns) == 1:
            return campaigns[0]
        raise ValidationError.of("say which campaign", cli=": --campaign NAME (see `publisher campaign list`)")
    campaign = campaign_named(session, name)
    if campaign is None:
        raise NotFoundError.of("there is no campaign {name}", cli="; see `publisher campaign list`", name=name)
    return campaign


def _event(
    session: Session, now: datetime, actor: str, action: Action, reason: str, coverage_id: int | None = None
) -> None:
    add_event(session, at=now, actor=actor, action=action, reason=reason, coverage_id=coverage_id)


def add_manual(
    store: Store,
    *,
    campaign: str | None,
    outlet: str,
    title: str,
    published_at: datetime,
    url: str | None,
    note: str | None,
    now: datetime,
    actor: str,
    force: bool = False,
) -> int:
    """Record coverage found by a person (in print, on a wall, on air); returns its id.

    Refuses the same item twice (same outlet, same title, same day in the campaign's zone), and, unless ``force``
    (a person confirmed it), an item dated outside the campaign's dates: it would count, and move the report's start.
    """
    if not title.strip():
        raise ValidationError.of("coverage needs a title", cli=": --title TEXT")
    if url is not None and canonical_link(url) is None:
        raise ValidationError.of("{url!r} is not an http(s) URL", url=url)
    with store.session() as session:
        row = find_campaign(session, campaign)
        found = outlet_named(session, outlet, active=True)
        if found is None:
            raise NotFoundError.of(
                "there is no outlet {name}", cli="; add it first with `publisher outlet add`", name=outlet
            )
        if not force:
            _check_within_campaign(row, published_at)
        same = _same_item(session, row, found.name, title, published_at)
        if same is not None:
            raise ValidationError.of(
                "{outlet} already has this item on that day: coverage item {id} ({title}); it is counted once (remove "
                "that one first to record it again)",
                outlet=found.name,
                id=same,
                title=title.strip(),
            )
        item = CoverageItem(
            campaign_id=row.id,
            outlet_id=found.id,
            entry_id=None,
            title=title.strip(),
            url=canonical_link(url) if url else None,
            published_at=published_at,
            matched_by="manual",
            score=1.0,
            origin="manual",
            note=note,
            created_at=now,
            created_by=actor,
        )
        session.add(item)
        session.flush()
        item.reprint_group = item.id
        _event(
            session,
            now,
            actor,
            Action.COVERAGE_ADD,
            f"{row.name}: {outlet}: {item.title} (item {item.id}, by hand)",
            item.id,
        )
        return item.id


def _check_within_campaign(campaign: Campaign, published_at: datetime) -> None:
    from publisher.times import local, local_end

    zone, when = campaign.timezone, local(published_at, campaign.timezone)
    if campaign.starts_at is not None and published_at < campaign.starts_at:
        raise ValidationError.of(
            "{when} is before campaign {name} starts ({start}); check the date, or confirm to record it anyway: the "
            "report would then start on that day",
            cli=" (--force)",
            when=when,
            name=campaign.name,
            start=local(campaign.starts_at, zone),
        )
    if campaign.ends_at is not None and published_at >= campaign.ends_at:
        raise ValidationError.of(
            "{when} is after campaign {name} ends ({end}); check the date, or confirm to record it anyway",
            cli=" (--force)",
            when=when,
            name=campaign.name,
            end=local_end(campaign.ends_at, zone),
        )


def _same_item(session: Session, campaign: Campaign, outlet: str, title: str, published_at: datetime) -> int | None:
    """The kept item of ``outlet`` with the same title (folded) on the same local day, if there is one."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(campaign.timezone)
    day = published_at.astimezone(zone).date()
    start = datetime.combine(day, datetime.min.time(), tzinfo=zone)
    following = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    wanted = _same_text(title)
    rows = coverage_rows(
        session, campaign=campaign.name, outlet=outlet, published_from=start, published_to=following, limit=1000
    )
    return next((item.id for item, _, _ in rows if _same_text(item.title) == wanted), None)


def _same_text(title: str) -> str:
    """A title as typed twice: width, case and spacing do not matter; punctuation does (``=1+1`` is not ``11``)."""
    return " ".join(unicodedata.normalize("NFKC", title).casefold().split())


def remove_coverage(store: Store, item_id: int, now: datetime, actor: str, reason: str | None) -> CoverageItem:
    with store.session() as session:
        item = session.get(CoverageItem, item_id)
        if item is None or item.removed_at is not None:
            raise NotFoundError.of("there is no coverage item {id}", cli="; see `publisher coverage list`", id=item_id)
        item.removed_at, item.removed_by = now, actor
        _event(session, now, actor, Action.COVERAGE_REMOVE, f"item {item_id}: {item.title}: {reason or 'removed'}")
        return item


def list_coverage(store: Store, where: CoverageFilter) -> list[CoverageRow]:
    with store.sessions() as session:
        if where.campaign:
            find_campaign(session, where.campaign)
        rows = coverage_rows(
            session,
            campaign=where.campaign,
            outlet=where.outlet,
            published_from=where.published_from,
            published_to=where.published_to,
            limit=where.limit,
        )
    return [
        CoverageRow(
            id=item.id,
            campaign=campaign.name,
            timezone=campaign.timezone,
            outlet=outlet.name,
            tier=outlet.tier,
            kind=outlet.kind,
            title=item.title,
            url=item.url,
            published_at=item.published_at,
            matched_by=item.matched_by,
            matched_terms=item.matched_terms,
            score=item.score,
            post_id=item.post_id,
            reprint_group=item.reprint_group,
            origin=item.origin,
            note=item.note,
        )
        for item, campaign, outlet in rows
    ]


def _clean(words: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(w.strip() for w in words if w.strip()))


def set_rules(
    store: Store,
    campaign: str,
    *,
    any_of: Sequence[str],
    all_of: Sequence[str],
    none_of: Sequence[str],
    now: datetime,
    actor: str,
) -> dict[str, list[str]]:
    """Replace a campaign's keyword rules."""
    from publisher.tracker.normalize import fold

    any_of, all_of, none_of = _clean(any_of), _clean(all_of), _clean(none_of)
    empty = [w for w in (*any_of, *all_of, *none_of) if not fold(w)]
    if empty:
        raise ValidationError.of("keywords made only of punctuation match nothing: {words}", words=", ".join(empty))
    with store.session() as session:
        row = find_campaign(session, campaign)
        rules = session.get(RulesRow, row.id)
        if rules is None:
            rules = RulesRow(campaign_id=row.id, updated_at=now, updated_by=actor)
            session.add(rules)
        rules.any_of, rules.all_of, rules.none_of = any_of, all_of, none_of
        rules.updated_at, rules.updated_by = now, actor
        shown = f"any of {any_of or '-'}; all of {all_of or '-'}; none of {none_of or '-'}"
        _event(session, now, actor, Action.CAMPAIGN_RULES, f"{row.name}: {shown}")
        return rules.as_dict()


def get_rules(store: Store, campaign: str) -> dict[str, list[str]]:
    with store.sessions() as session:
        row = find_campaign(session, campaign)
        rules = session.get(RulesRow, row.id)
        return rules.as_dict() if rules else {"any": [], "all": [], "none": []}


def load_rules(session: Session) -> list[CampaignRules]:
    """Every campaign, with its keyword rules (empty where it has none) and start."""
    rules = all_keyword_rules(session)
    loaded = []
    for campaign in all_campaigns(session):
        row = rules.get(campaign.id)
        loaded.append(
            CampaignRules(
                campaign_id=campaign.id,
                any_of=tuple(row.any_of) if row else (),
                all_of=tuple(row.all_of) if row else (),
                none_of=tuple(row.none_of) if row else (),
                starts_at=campaign.starts_at,
            )
        )
    return loaded


def load_posts(session: Session) -> list[OurPost]:
    """Our posts that went out on at least one channel, with each channel's own wording: reprints copy these."""
    posts = []
    for post in sent_campaign_posts(session):
        texts = [f"{post.title}\n{post.body}"]
        for override in (post.overrides or {}).values():
            if isinstance(override, dict) and override.get("body"):
                texts.append(f"{override.get('title') or post.title}\n{override['body']}")
        assert post.campaign_id is not None
        posts.append(OurPost(post_id=post.id, campaign_id=post.campaign_id, texts=texts))
    return posts
