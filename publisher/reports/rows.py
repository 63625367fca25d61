"""The report's tables as headers and display cells, shared by the text formats (CSV, Markdown, HTML).

Times are shown in the campaign's zone as ``YYYY-MM-DD HH:MM`` (the zone is named in the header); counts as digits.
Cells are plain text here: each format applies its own escaping (``publisher.reports.safety``).
"""

from __future__ import annotations

from datetime import date, datetime

from publisher.reports.labels import engagement, kind, matched, read_back, state, text, tier, tier_rank
from publisher.store.reports import Bucket, ChannelRow, CoverageLine, OutletRow, PostLine, Summary

__all__ = [
    "channel_cells",
    "channel_header",
    "coverage_cells",
    "coverage_header",
    "day",
    "figures",
    "minute",
    "outlet_cells",
    "outlet_header",
    "period",
    "post_cells",
    "post_header",
    "same_story",
    "share",
    "tier_figures",
    "timeline_cells",
    "timeline_header",
    "title",
]


def minute(value: datetime | None) -> str:
    return value.isoformat(" ", "minutes")[:16] if value is not None else ""  # twice as fast as strftime


def day(value: date | None) -> str:
    return value.isoformat() if value is not None else ""


def share(count: int, total: int) -> str:
    return f"{100 * count / total:.1f}%" if total else ""


def title(lang: str, summary: Summary) -> str:
    separator = ": " if lang == "en" else "："
    return f"{text(lang, 'title')}{separator}{summary.scope.campaign}"


def period(lang: str, summary: Summary) -> str:
    if summary.first_day is None or summary.last_day is None:
        return text(lang, "all_time")
    return f"{day(summary.first_day)} – {day(summary.last_day)}"


def figures(lang: str, summary: Summary) -> list[tuple[str, int]]:
    """The key figures, in the order a summary reads them."""
    return [
        (text(lang, "coverage_total"), summary.coverage),
        (text(lang, "outlet_total"), len(summary.outlets)),
        *tier_figures(lang, summary),
        (text(lang, "stories"), summary.stories),
        (text(lang, "reprints"), summary.reprints),
        (text(lang, "posts_total"), summary.posts),
        (text(lang, "channel_total"), len([c for c in summary.channels if c.sent])),
        (text(lang, "sent_total"), summary.sent),
        (text(lang, "deliveries_total"), summary.deliveries),
    ]


def tier_figures(lang: str, summary: Summary) -> list[tuple[str, int]]:
    """Coverage per outlet tier (中央级 first, down to 校级), when any outlet has a tier."""
    if not any(o.tier for o in summary.outlets):
        return []
    counts: dict[str | None, int] = {}
    for outlet in summary.outlets:
        counts[outlet.tier] = counts.get(outlet.tier, 0) + outlet.items
    return [
        (text(lang, "tier_coverage").format(tier=tier(lang, code)) if code else text(lang, "no_tier_coverage"), count)
        for code, count in sorted(counts.items(), key=lambda pair: tier_rank(pair[0]))
    ]


def outlet_header(lang: str) -> list[str]:
    keys = ("outlet", "kind", "tier", "region", "count", "share", "first", "last")
    return [text(lang, k) for k in keys]


def outlet_cells(lang: str, row: OutletRow, total: int) -> list[str]:
    return [
        row.outlet,
        kind(lang, row.kind),
        tier(lang, row.tier),
        row.region or "",
        str(row.items),
        share(row.items, total),
        minute(row.first),
        minute(row.last),
    ]


def timeline_header(lang: str, bucket: str) -> list[str]:
    if bucket == "day":
        return [text(lang, "day"), text(lang, "count")]
    return [text(lang, "week_from"), text(lang, "week_to"), text(lang, "count")]


def timeline_cells(bucket: Bucket, kind_of_bucket: str) -> list[str]:
    if kind_of_bucket == "day":
        return [day(bucket.start), str(bucket.items)]
    return [day(bucket.start), day(bucket.end), str(bucket.items)]


def channel_header(lang: str) -> list[str]:
    keys = ("channel", "channel_kind", "posts_count", "sent", "failed", "uncertain", "waiting", "cancelled")
    return [text(lang, k) for k in keys]


def channel_cells(row: ChannelRow) -> list[str]:
    numbers = (row.posts, row.sent, row.failed, row.uncertain, row.waiting, row.cancelled)
    return [row.channel, row.kind, *(str(n) for n in numbers)]


def coverage_header(lang: str, zone: str) -> list[str]:
    return [
        text(lang, "id"),
        f"{text(lang, 'published')} ({zone})",
        text(lang, "outlet"),
        text(lang, "tier"),
        text(lang, "headline"),
        text(lang, "link"),
        text(lang, "why"),
        text(lang, "group"),
        text(lang, "note"),  # a newspaper's page ("第3版") and the like
        text(lang, "kept_page"),  # last, so the columns before it keep their places
    ]


def coverage_cells(lang: str, line: CoverageLine) -> list[str]:
    return [
        str(line.id),
        minute(line.published),
        line.outlet,
        tier(lang, line.tier),
        line.title,
        line.url or "",
        matched(lang, line.matched_by, line.matched_terms),
        same_story(line),
        line.note or "",
        line.sha256 or "",
    ]


def same_story(line: CoverageLine) -> str:
    """The first item of the same story (another outlet carried it first), or nothing when this one is the first."""
    return str(line.reprint_group) if line.reprint_group != line.id else ""


def post_header(lang: str, zone: str) -> list[str]:
    return [
        text(lang, "channel"),
        text(lang, "post_title"),
        f"{text(lang, 'time')} ({zone})",
        text(lang, "link"),
        text(lang, "result"),
        text(lang, "detail"),
        text(lang, "read_back"),
        text(lang, "engagement"),
    ]


def post_cells(lang: str, line: PostLine) -> list[str]:
    return [
        line.channel,
        line.title,
        minute(line.at),
        line.url or "",
        state(lang, line.state),
        line.detail or "",
        read_back(lang, line.read_back),
        engagement(lang, line.metrics),
    ]
