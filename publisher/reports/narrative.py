"""The paragraph for the work summary: what we published where, and which outlets carried it, how many times.

Written in the register of a Chinese work summary ("活动开展以来，……等3家媒体先后刊发活动报道6篇") or in plain
English. The built-in wording adapts to the figures (one outlet or several, nothing yet). A team may write its own
paragraph in the config file, ``[reports] narrative_zh`` / ``narrative_en``, with the named placeholders below in
braces (``{count}``; a literal brace is doubled: ``{{``). A report with nothing at all in it keeps the built-in
sentence that says so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta

from publisher.reports.labels import to_traditional
from publisher.store.reports import Summary

__all__ = ["LISTED", "PLACEHOLDERS", "check_template", "narrative", "values"]

LISTED = 5  # outlets named in the paragraph; the rest are counted

#: every placeholder a template may use, with what it becomes
PLACEHOLDERS: dict[str, str] = {
    "campaign": "the campaign's name",
    "since": "the period as a phrase: 活动开展以来 / Since the campaign began / 2026年11月1日至2026年11月30日",
    "start": "the first day of the period (empty if there is no data)",
    "end": "the last day of the period",
    "posts": "our posts that went out on at least one channel",
    "sent": "deliveries sent (a post on three channels is three)",
    "deliveries": "deliveries in all, whatever their result",
    "channels": "the channels that sent something, most first",
    "channel_count": "how many channels sent something",
    "count": "coverage items",
    "outlet_count": "outlets that carried at least one item",
    "outlets": f"the first {LISTED} outlets by count, joined (、 or commas)",
    "breakdown": "each of those outlets with its count: 城市日报3篇、省教育网2篇 / 城市日报 3, 省教育网 2",
    "stories": "distinct stories (an article and its reprints elsewhere count once)",
    "reprints": "items that reprint one of our posts",
}

_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def check_template(template: str) -> None:
    """Raise ValueError, naming the problem and the placeholders there are, if ``template`` cannot be filled."""
    sample = dict.fromkeys(PLACEHOLDERS, "1")
    try:
        template.format_map(sample)
    except KeyError as exc:
        known = ", ".join("{" + name + "}" for name in PLACEHOLDERS)
        raise ValueError(f"unknown placeholder {{{exc.args[0]}}}; the placeholders are {known}") from None
    except (ValueError, IndexError) as exc:
        raise ValueError(
            f"cannot be filled ({exc}): name every placeholder, e.g. {{count}}, and double a literal brace: {{{{"
        ) from None


def _day(lang: str, day: date) -> str:
    if lang == "en":
        return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"
    return f"{day.year}年{day.month}月{day.day}日"


def _number(lang: str, value: int) -> str:
    return f"{value:,}" if lang == "en" else str(value)


def _join(lang: str, names: Sequence[str]) -> str:
    if lang != "en":
        return "、".join(names)
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


# How the period reads: both dates; a start only; no start (the campaign's own); and that with an end.
_PERIOD = {
    "en": ("From {start} to {end}", "Since {start}", "Since the campaign “{campaign}” began", "{began} (up to {end})"),
    "zh": ("{start}至{end}", "{start}以来", "“{campaign}”活动开展以来", "{began}（截至{end}）"),
}


def _since(summary: Summary, lang: str) -> str:
    scope = summary.scope
    zone = scope.zone
    start = scope.start.astimezone(zone).date() if scope.start else None
    end = (scope.end - timedelta(microseconds=1)).astimezone(zone).date() if scope.end else None
    both, since_start, since_campaign, up_to = _PERIOD["en" if lang == "en" else "zh"]
    if start and end:
        return both.format(start=_day(lang, start), end=_day(lang, end))
    if start:
        return since_start.format(start=_day(lang, start))
    began = since_campaign.format(campaign=scope.campaign)
    return up_to.format(began=began, end=_day(lang, end)) if end else began


def values(summary: Summary, lang: str) -> dict[str, str]:
    """The placeholders' values for ``summary`` in ``lang`` (zh-Hant is converted afterwards, as a whole)."""
    lang = "en" if lang == "en" else "zh"
    listed = summary.outlets[:LISTED]
    more = len(summary.outlets) - len(listed)
    if lang == "en":
        parts = [f"{o.outlet} {_number(lang, o.items)}" for o in listed]
        breakdown = ", ".join(parts) + (f" and {more} others" if more else "")
    else:
        breakdown = "、".join(f"{o.outlet}{o.items}篇" for o in listed) + ("等" if more else "")
    channels = [c.channel for c in summary.channels if c.sent]
    return {
        "campaign": summary.scope.campaign,
        "since": _since(summary, lang),
        "start": _day(lang, summary.first_day) if summary.first_day else "",
        "end": _day(lang, summary.last_day) if summary.last_day else "",
        "posts": _number(lang, summary.posts),
        "sent": _number(lang, summary.sent),
        "deliveries": _number(lang, summary.deliveries),
        "channels": _join(lang, channels),
        "channel_count": _number(lang, len(channels)),
        "count": _number(lang, summary.coverage),
        "outlet_count": _number(lang, len(summary.outlets)),
        "outlets": _join(lang, [o.outlet for o in listed]),
        "breakdown": breakdown,
        "stories": _number(lang, summary.stories),
        "reprints": _number(lang, summary.reprints),
    }


def _plural(count: int, one: str, many: str) -> str:
    return one if count == 1 else many


def _built_in_zh(summary: Summary, v: Mapping[str, str]) -> str:
    channel_count = len([c for c in summary.channels if c.sent])
    if summary.empty or (summary.posts == 0 and summary.coverage == 0):
        return f"{v['since']}，暂无发布记录和媒体报道。"
    if summary.posts == 0:
        published = "尚未发布活动信息"
    elif channel_count > 1:
        published = f"通过{v['channels']}等{v['channel_count']}个渠道发布活动信息{v['posts']}篇，累计推送{v['sent']}次"
    else:
        published = f"通过{v['channels']}发布活动信息{v['posts']}篇"
        if summary.sent != summary.posts:
            published += f"，累计推送{v['sent']}次"
    if summary.coverage == 0:
        covered = "暂未发现外部媒体报道"
    elif len(summary.outlets) == 1:
        covered = f"{v['outlets']}刊发活动报道{v['count']}篇"
    else:
        covered = f"{v['outlets']}等{v['outlet_count']}家媒体先后刊发活动报道{v['count']}篇，其中{v['breakdown']}"
    return f"{v['since']}，{published}；{covered}。"


def _built_in_en(summary: Summary, v: Mapping[str, str]) -> str:
    channel_count = len([c for c in summary.channels if c.sent])
    if summary.posts == 0 and summary.coverage == 0:
        return f"{v['since']}, nothing has been published and no coverage has been found."
    if summary.posts == 0:
        published = "nothing has been published yet"
    else:
        items = f"{v['posts']} {_plural(summary.posts, 'item', 'items')}"
        deliveries = f"{v['sent']} {_plural(summary.sent, 'delivery', 'deliveries')} in all"
        if channel_count > 1:
            published = f"we published {items} on {v['channel_count']} channels ({v['channels']}), {deliveries}"
        else:
            published = f"we published {items} on {v['channels']}"
            if summary.sent != summary.posts:
                published += f", {deliveries}"
    reports = f"{v['count']} {_plural(summary.coverage, 'report', 'reports')}"
    if summary.coverage == 0:
        covered = "no coverage by outside outlets has been found yet"
    elif len(summary.outlets) == 1:
        covered = f"{v['outlets']} carried {reports} on it"
    elif len(summary.outlets) <= LISTED:
        covered = f"{v['outlets']} carried {reports} on it ({v['breakdown']})"
    else:
        covered = f"{v['outlet_count']} outlets, including {v['outlets']}, carried {reports} on it ({v['breakdown']})"
    return f"{v['since']}, {published}; {covered}."


def narrative(summary: Summary, lang: str, templates: Mapping[str, str | None] | None = None) -> str:
    """The paragraph in ``lang`` (zh, zh-Hant or en), from the team's template for that language if it has one."""
    base = "en" if lang == "en" else "zh"
    filled = values(summary, base)
    template = (templates or {}).get(base)
    if template and not (summary.posts == 0 and summary.coverage == 0):
        text = template.format_map(filled)
    else:
        text = _built_in_en(summary, filled) if base == "en" else _built_in_zh(summary, filled)
    return to_traditional(text) if lang == "zh-Hant" else text
