"""JSON: one document, written as it is read (the two long arrays are streamed item by item).

The shape (version 1). Times are ISO 8601 in the campaign's zone, with the offset; days are ``YYYY-MM-DD``; codes
(``kind``, ``matched_by``, ``state``) are the stored values, not translated; only ``narrative`` is in ``language``.

```
{
  "format": "publisher-report", "version": 1, "language": "zh" | "zh-Hant" | "en",
  "campaign": {"name", "timezone", "starts_at", "ends_at"},
  "period": {"from", "to",               # as asked (--from, --to), or null
             "first_day", "last_day",    # the days the timeline spans, or null when there is nothing
             "bucket": "day" | "week"},
  "generated_at": "...",
  "narrative": "...",
  "totals": {"coverage", "outlets", "stories", "reprints", "posts", "channels", "sent", "deliveries"},
  "outlets":  [{"name", "kind", "tier", "region", "count", "share", "first", "last"}],   # most items first
  "timeline": [{"from", "to", "count"}],                                                 # every day or week
  "channels": [{"name", "kind", "posts", "sent", "failed", "uncertain", "waiting", "cancelled"}],
  "coverage": [{"id", "published", "outlet", "tier", "title", "url", "matched_by", "matched_terms",
                "reprint_group", "post_id", "note", "kept_page_sha256"}],                # oldest first
  "posts":    [{"channel", "post_id", "title", "at", "url", "state", "detail", "read_back"}]  # by channel, time
}
```
``share`` is a fraction (0.25), ``reprint_group`` the id of the first item of the same story (the item's own id
when it stands alone), ``kept_page_sha256`` the SHA-256 of the article page the tracker kept as evidence of the item
(null without one), ``state`` a delivery state or ``pending``/``rejected`` for a post awaiting or refused approval,
``read_back`` what the latest read-back of a sent post found (``{"state", "checked_at", "metrics"}``, null when it
was never read back).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, datetime
from typing import IO, Any

from publisher.store.reports import Report

__all__ = ["VERSION", "write_json"]

VERSION = 1


def _time(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value is not None else None


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def write_json(report: Report, lang: str, narrative: str, stream: IO[str]) -> None:
    summary = report.summary
    scope = summary.scope
    zone = scope.zone
    head: dict[str, Any] = {
        "format": "publisher-report",
        "version": VERSION,
        "language": lang,
        "campaign": {
            "name": scope.campaign,
            "timezone": scope.timezone,
            "starts_at": _time(scope.campaign_starts_at.astimezone(zone) if scope.campaign_starts_at else None),
            "ends_at": _time(scope.campaign_ends_at.astimezone(zone) if scope.campaign_ends_at else None),
        },
        "period": {
            "from": _time(scope.start.astimezone(zone) if scope.start else None),
            "to": _time(scope.end.astimezone(zone) if scope.end else None),
            "first_day": _day(summary.first_day),
            "last_day": _day(summary.last_day),
            "bucket": summary.bucket,
        },
        "generated_at": _time(summary.generated_at),
        "narrative": narrative,
        "totals": {
            "coverage": summary.coverage,
            "outlets": len(summary.outlets),
            "stories": summary.stories,
            "reprints": summary.reprints,
            "posts": summary.posts,
            "channels": len([c for c in summary.channels if c.sent]),
            "sent": summary.sent,
            "deliveries": summary.deliveries,
        },
        "outlets": [
            {
                "name": o.outlet,
                "kind": o.kind,
                "tier": o.tier,
                "region": o.region,
                "count": o.items,
                "share": round(o.items / summary.coverage, 6) if summary.coverage else 0,
                "first": _time(o.first),
                "last": _time(o.last),
            }
            for o in summary.outlets
        ],
        "timeline": [{"from": _day(b.start), "to": _day(b.end), "count": b.items} for b in summary.timeline],
        "channels": [c._asdict() | {"name": c.channel} for c in summary.channels],
    }
    for channel in head["channels"]:
        del channel["channel"]
    opening = json.dumps(head, ensure_ascii=False, indent=2)
    stream.write(opening[: opening.rindex("}")].rstrip() + ",\n")
    _array(
        stream,
        "coverage",
        (
            {
                "id": line.id,
                "published": _time(report.aware(line.published)) if line.published else None,
                "outlet": line.outlet,
                "tier": line.tier,
                "title": line.title,
                "url": line.url,
                "matched_by": line.matched_by,
                "matched_terms": line.matched_terms,
                "reprint_group": line.reprint_group,
                "post_id": line.post_id,
                "note": line.note,
                "kept_page_sha256": line.sha256,
            }
            for line in report.coverage()
        ),
    )
    stream.write(",\n")
    _array(
        stream,
        "posts",
        (
            {
                "channel": line.channel,
                "post_id": line.post_id,
                "title": line.title,
                "at": _time(line.at),
                "url": line.url,
                "state": line.state,
                "detail": line.detail,
                "read_back": (
                    {"state": line.read_back, "checked_at": _time(line.checked_at), "metrics": line.metrics or {}}
                    if line.checked_at is not None
                    else None
                ),
            }
            for line in report.posts()
        ),
    )
    stream.write("\n}\n")


def _array(stream: IO[str], key: str, items: Iterable[dict[str, Any]]) -> None:
    stream.write(f'  "{key}": [')
    separator = "\n    "
    for item in items:
        stream.write(separator)
        stream.write(_dump(item))
        separator = ",\n    "
    stream.write("\n  ]" if separator != "\n    " else "]")
