"""Markdown: the whole report as one document, ready to paste into a wiki or a work summary.

Every piece of outside text is escaped (``safety.markdown``): a title cannot open a link, an image, raw HTML or a
new table cell. Links are written only for http(s) URLs, percent-encoded.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import IO

from publisher.reports import rows
from publisher.reports.labels import engagement, matched, read_back, state, text, tier
from publisher.reports.safety import markdown, markdown_url
from publisher.store.reports import Report

__all__ = ["write_markdown"]


def _row(cells: Iterable[str]) -> str:
    return "| " + " | ".join(cells) + " |\n"


def _table(stream: IO[str], header: list[str], body: Iterable[list[str]], right: set[int], empty: str) -> None:
    """A table whose cells are already escaped; ``right`` are the numeric columns."""
    lines = iter(body)
    first = next(lines, None)
    if first is None:
        stream.write(f"{empty}\n\n")
        return
    stream.write(_row(markdown(h) for h in header))
    stream.write(_row("---:" if i in right else "---" for i in range(len(header))))
    stream.write(_row(first))
    for line in lines:
        stream.write(_row(line))
    stream.write("\n")


def _link(label: str, url: str | None) -> str:
    target = markdown_url(url)
    return f"[{markdown(label)}]({target})" if target else markdown(label)


def write_markdown(report: Report, lang: str, narrative: str, stream: IO[str]) -> None:
    summary = report.summary
    zone = summary.scope.timezone
    colon = ": " if lang == "en" else "："
    stream.write(f"# {markdown(rows.title(lang, summary))}\n\n")
    facts = [
        f"{text(lang, 'period')}{colon}{rows.period(lang, summary)}",
        f"{text(lang, 'timezone')}{colon}{zone}",
        f"{text(lang, 'generated')}{colon}{rows.minute(summary.generated_at)}",
    ]
    stream.write(markdown(" · ".join(facts)) + "\n\n")
    stream.write(f"## {text(lang, 'narrative')}\n\n{markdown(narrative)}\n\n")

    stream.write(f"## {text(lang, 'figures')}\n\n")
    figures = [[markdown(label), str(value)] for label, value in rows.figures(lang, summary)]
    _table(stream, [text(lang, "key"), text(lang, "value")], figures, {1}, "")

    stream.write(f"## {text(lang, 'by_outlet')}\n\n")
    outlets = (
        [markdown(cell) if i < 4 else cell for i, cell in enumerate(rows.outlet_cells(lang, row, summary.coverage))]
        for row in summary.outlets
    )
    _table(stream, rows.outlet_header(lang), outlets, {4, 5}, text(lang, "no_coverage"))

    heading = "timeline_day" if summary.bucket == "day" else "timeline_week"
    stream.write(f"## {text(lang, heading)}\n\n")
    timeline = (rows.timeline_cells(bucket, summary.bucket) for bucket in summary.timeline)
    numbers = {1} if summary.bucket == "day" else {2}
    _table(stream, rows.timeline_header(lang, summary.bucket), timeline, numbers, text(lang, "none"))

    stream.write(f"## {text(lang, 'by_channel')}\n\n")
    channels = (
        [markdown(cell) if i < 2 else cell for i, cell in enumerate(rows.channel_cells(row))]
        for row in summary.channels
    )
    _table(stream, rows.channel_header(lang), channels, {2, 3, 4, 5, 6, 7}, text(lang, "no_posts"))

    stream.write(f"## {text(lang, 'items')}\n\n")
    header = rows.coverage_header(lang, zone)
    del header[5]  # the link is on the title
    items = (
        [
            str(line.id),
            rows.minute(line.published),
            markdown(line.outlet),
            markdown(tier(lang, line.tier)),
            _link(line.title, line.url),
            markdown(matched(lang, line.matched_by, line.matched_terms)),
            rows.same_story(line),
            markdown(line.note or ""),
            line.sha256 or "",  # hex digits: no Markdown syntax
        ]
        for line in report.coverage()
    )
    _table(stream, header, items, {0, 6}, text(lang, "no_coverage"))

    stream.write(f"## {text(lang, 'posts')}\n\n")
    post_header = rows.post_header(lang, zone)
    del post_header[3]
    posts = (
        [
            markdown(line.channel),
            _link(line.title, line.url),
            rows.minute(line.at),
            markdown(state(lang, line.state)),
            markdown(line.detail or ""),
            markdown(read_back(lang, line.read_back)),
            markdown(engagement(lang, line.metrics)),
        ]
        for line in report.posts()
    )
    _table(stream, post_header, posts, set(), text(lang, "no_posts"))
    stream.write(markdown(text(lang, "footer").format(zone=zone)) + "\n")
