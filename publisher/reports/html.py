"""HTML: one self-contained, printable page. No script, no font, no image and no style is fetched from anywhere:
the styles are inline and the two charts (coverage per outlet, coverage over time) are inline SVG drawn here.

Every piece of text is escaped (``safety.html``) and only http(s) links become ``href``s, so a feed's title cannot
add markup, a script or a ``javascript:`` link to the page. Rows are written as they are read.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import IO

from publisher.reports import rows
from publisher.reports.labels import engagement, matched, read_back, state, text, tier
from publisher.reports.safety import href, html
from publisher.store.reports import Bucket, OutletRow, Report, Summary

__all__ = ["CHART_OUTLETS", "axis", "kept_page", "write_html"]

CHART_OUTLETS = 20  # bars in the outlet chart; the rest are summed into one
_LANG_TAGS = {"zh": "zh-CN", "zh-Hant": "zh-Hant", "en": "en"}

_STYLE = """
:root { --ink: #1d2733; --muted: #5b6775; --line: #d9dee5; --accent: #2f6eba; --soft: #eef3fa; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1040px; padding: 28px 32px 40px; color: var(--ink); background: #fff;
  font: 14px/1.6 "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei",
  "Helvetica Neue", Arial, sans-serif; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
header { border-bottom: 3px solid var(--accent); padding-bottom: 10px; margin-bottom: 18px; }
h1 { font-size: 24px; margin: 0; letter-spacing: .02em; }
h1 small { display: block; font-size: 15px; font-weight: normal; color: var(--muted); margin-top: 2px; }
h2 { font-size: 17px; margin: 26px 0 10px; padding-left: 10px; border-left: 4px solid var(--accent); }
.meta { color: var(--muted); margin: 6px 0 0; }
.narrative p { font-size: 15px; line-height: 1.9; text-indent: 2em; margin: 0; background: var(--soft);
  padding: 14px 18px; border-radius: 6px; }
.figures { display: grid; grid-template-columns: repeat(4, 1fr); gap: 10px; }
.figure { border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; }
.figure b { display: block; font-size: 24px; color: var(--accent); line-height: 1.2; }
.figure span { color: var(--muted); font-size: 13px; }
svg { display: block; max-width: 100%; height: auto; }
svg text { font: 12px "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif;
  fill: var(--ink); }
table { border-collapse: collapse; width: 100%; margin: 8px 0 4px; font-size: 13px; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 8px; text-align: left; vertical-align: top; }
th { background: var(--soft); font-weight: 600; white-space: nowrap; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
td.t { white-space: nowrap; color: var(--muted); }
td.h { font: 11px/1.4 ui-monospace, Menlo, Consolas, monospace; word-break: break-all; min-width: 9em; }
tbody tr:nth-child(even) { background: #fafbfc; }
a { color: var(--accent); text-decoration: none; word-break: break-all; }
.empty { color: var(--muted); font-style: italic; }
.s-sent { color: #1e7b34; } .s-failed, .s-rejected { color: #b3261e; } .s-uncertain { color: #a15c00; }
footer { margin-top: 28px; color: var(--muted); font-size: 12px; border-top: 1px solid var(--line); padding-top: 8px; }
@page { size: A4; margin: 14mm 12mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 12px; }
  h2 { break-after: avoid; }
  .keep { break-inside: avoid; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; }
  a { color: var(--ink); }
}
"""


def _cells(values: Iterable[str], numeric: Collection[int] = ()) -> str:
    return "".join(
        f'<td class="n">{html(v)}</td>' if i in numeric else f"<td>{html(v)}</td>" for i, v in enumerate(values)
    )


def _head(values: Sequence[str], numeric: Collection[int] = ()) -> str:
    cells = "".join(
        f'<th class="n">{html(v)}</th>' if i in numeric else f"<th>{html(v)}</th>" for i, v in enumerate(values)
    )
    return f"<thead><tr>{cells}</tr></thead>"


def _link(label: str, url: str | None) -> str:
    target = href(url)
    if target is None:
        return html(label)
    return f'<a href="{target}" rel="noopener noreferrer">{html(label)}</a>'


def _short(name: str, width: int) -> str:
    return name if len(name) <= width else name[: width - 1] + "…"


def outlet_chart(outlets: Sequence[OutletRow], lang: str) -> str:
    """Horizontal bars, one per outlet (most first); past ``CHART_OUTLETS``, the rest as one bar."""
    bars: list[tuple[str, int]] = [(o.outlet, o.items) for o in outlets[:CHART_OUTLETS]]
    rest = outlets[CHART_OUTLETS:]
    if rest:
        bars.append((text(lang, "more_outlets").format(n=len(rest)), sum(o.items for o in rest)))
    label = text(lang, "chart_outlets")
    width, label_width, row, top = 720, 170, 26, 8
    plot = width - label_width - 60
    height = top * 2 + row * len(bars)
    peak = max((count for _, count in bars), default=1) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{html(label)}"><title>{html(label)}</title>'
    ]
    for index, (name, count) in enumerate(bars):
        y = top + index * row
        length = max(2.0, plot * count / peak)
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 17}" text-anchor="end">{html(_short(name, 14))}</text>'
            f'<rect x="{label_width}" y="{y + 4}" width="{length:.1f}" height="{row - 8}" rx="3" fill="#2f6eba"/>'
            f'<text x="{label_width + length + 6:.1f}" y="{y + 17}">{count}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def axis(peak: int) -> tuple[int, int]:
    """A round axis maximum at or above ``peak`` and the number of whole-number steps to it (at most 4); the
    console's coverage chart uses it too."""
    if peak <= 4:
        return max(peak, 1), max(peak, 1)
    step = math.ceil(peak / 4)
    magnitude = 10 ** int(math.log10(step))
    for nice in (1, 2, 5, 10):
        if step <= nice * magnitude:
            step = nice * magnitude
            break
    return step * 4, 4


def timeline_chart(buckets: Sequence[Bucket], bucket: str, lang: str) -> str:
    """Columns per day or week, with a light grid and a few date labels."""
    width, height, left, right, top, bottom = 720, 230, 44, 12, 14, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    peak, steps = axis(max((b.items for b in buckets), default=0))
    slot = plot_w / max(1, len(buckets))
    title = text(lang, "chart_timeline")
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{html(title)}"><title>{html(title)}</title>'
    ]
    for step in range(steps + 1):
        y = top + plot_h - plot_h * step / steps
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d9dee5" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{peak * step // steps}</text>'
        )
    every = max(1, math.ceil(len(buckets) / 12))
    for index, b in enumerate(buckets):
        x = left + index * slot
        bar_h = plot_h * b.items / peak if peak else 0
        bar_w = max(1.0, slot * 0.7)
        parts.append(
            f'<rect x="{x + (slot - bar_w) / 2:.1f}" y="{top + plot_h - bar_h:.1f}" width="{bar_w:.1f}" '
            f'height="{bar_h:.1f}" fill="#5b9bd5"><title>{b.start.isoformat()}: {b.items}</title></rect>'
        )
        if b.items and len(buckets) <= 31:
            parts.append(
                f'<text x="{x + slot / 2:.1f}" y="{top + plot_h - bar_h - 4:.1f}" text-anchor="middle">{b.items}</text>'
            )
        if index % every == 0:
            parts.append(
                f'<text x="{x + slot / 2:.1f}" y="{height - bottom + 16}" text-anchor="middle">'
                f"{b.start.strftime('%m-%d')}</text>"
            )
    axis_y = top + plot_h
    parts.append(f'<line x1="{left}" x2="{width - right}" y1="{axis_y}" y2="{axis_y}" stroke="#5b6775"/>')
    unit = text(lang, "day" if bucket == "day" else "week_from")
    parts.append(f'<text x="{width - right}" y="{height - 6}" text-anchor="end">{html(unit)}</text></svg>')
    return "".join(parts)


def _figures(summary: Summary, lang: str) -> str:
    cards = "".join(
        f'<div class="figure"><b>{value}</b><span>{html(label)}</span></div>'
        for label, value in rows.figures(lang, summary)
    )
    return f'<section class="keep"><h2>{html(text(lang, "figures"))}</h2><div class="figures">{cards}</div></section>'


def _streamed_table(stream: IO[str], opening: str, lines: Iterable[str], empty: str) -> None:
    """Write a table whose rows come one by one from the store, or the ``empty`` note when there is none."""
    written = False
    for line in lines:
        if not written:
            stream.write(opening)
            written = True
        stream.write(line)
    stream.write("</tbody></table>" if written else f'<p class="empty">{html(empty)}</p>')


def kept_page(public_url: str | None) -> Callable[[int, str | None], str]:
    """The cell of an item's kept page: its SHA-256, a link to the console's evidence page when the console's public
    address is known (only an http(s) one becomes a link)."""
    base = href(public_url.strip().rstrip("/")) if public_url else None

    def kept(item_id: int, digest: str | None) -> str:
        if not digest:
            return ""
        if base is None:
            return html(digest)
        return f'<a href="{base}/coverage/{item_id}/evidence">{html(digest)}</a>'

    return kept


def write_html(report: Report, lang: str, narrative: str, stream: IO[str], *, public_url: str | None = None) -> None:
    """The report as one page; with ``public_url`` (``[web] public_url``) each kept page links to its evidence."""
    summary = report.summary
    zone = summary.scope.timezone
    write = stream.write
    colon = ": " if lang == "en" else "："
    page_title = rows.title(lang, summary)
    write(
        f'<!DOCTYPE html>\n<html lang="{_LANG_TAGS.get(lang, "zh-CN")}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        'img-src data:">\n'
        f"<title>{html(page_title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
    )
    meta = " · ".join(
        f"{html(label)}{colon}{html(value)}"
        for label, value in (
            (text(lang, "period"), rows.period(lang, summary)),
            (text(lang, "timezone"), zone),
            (text(lang, "generated"), rows.minute(summary.generated_at)),
        )
    )
    write(
        f"<header><h1>{html(text(lang, 'title'))}<small>{html(summary.scope.campaign)}</small></h1>"
        f'<p class="meta">{meta}</p></header>\n'
    )
    write(
        f'<section class="narrative keep"><h2>{html(text(lang, "narrative"))}</h2>'
        f'<p id="narrative">{html(narrative)}</p></section>\n'
    )
    write(_figures(summary, lang) + "\n")

    write(f'<section class="keep"><h2>{html(text(lang, "by_outlet"))}</h2>')
    if summary.outlets:
        write(outlet_chart(summary.outlets, lang))
        write(f'<table id="outlets">{_head(rows.outlet_header(lang), {4, 5})}<tbody>')
        for outlet in summary.outlets:
            write(f"<tr>{_cells(rows.outlet_cells(lang, outlet, summary.coverage), {4, 5})}</tr>")
        total = [text(lang, "coverage_total"), "", "", "", str(summary.coverage), "100%", "", ""]
        write(f"</tbody><tfoot><tr>{_cells(total, {4, 5})}</tr></tfoot></table>")
    else:
        write(f'<p class="empty">{html(text(lang, "no_coverage"))}</p>')
    write("</section>\n")

    heading = "timeline_day" if summary.bucket == "day" else "timeline_week"
    write(f'<section class="keep"><h2>{html(text(lang, heading))}</h2>')
    if summary.timeline and summary.coverage:
        write(timeline_chart(summary.timeline, summary.bucket, lang))
    else:
        write(f'<p class="empty">{html(text(lang, "no_coverage"))}</p>')
    write("</section>\n")

    write(f'<section class="keep"><h2>{html(text(lang, "by_channel"))}</h2>')
    if summary.channels:
        numeric = {2, 3, 4, 5, 6, 7}
        write(f'<table id="channels">{_head(rows.channel_header(lang), numeric)}<tbody>')
        for channel in summary.channels:
            write(f"<tr>{_cells(rows.channel_cells(channel), numeric)}</tr>")
        write("</tbody></table>")
    else:
        write(f'<p class="empty">{html(text(lang, "no_posts"))}</p>')
    write("</section>\n")

    write(f"<section><h2>{html(text(lang, 'items'))}</h2>")
    header = rows.coverage_header(lang, zone)
    del header[5]  # the link is on the title
    kept = kept_page(public_url)
    _streamed_table(
        stream,
        f'<table id="coverage">{_head(header, {0, 6})}<tbody>\n',
        (
            f'<tr><td class="n">{line.id}</td><td class="t">{rows.minute(line.published)}</td>'
            f"<td>{html(line.outlet)}</td><td>{html(tier(lang, line.tier))}</td><td>{_link(line.title, line.url)}</td>"
            f"<td>{html(matched(lang, line.matched_by, line.matched_terms))}</td>"
            f'<td class="n">{rows.same_story(line)}</td><td>{html(line.note or "")}</td>'
            f'<td class="h">{kept(line.id, line.sha256) if line.sha256 else ""}</td></tr>\n'
            for line in report.coverage()
        ),
        text(lang, "no_coverage"),
    )
    write("</section>\n")

    write(f"<section><h2>{html(text(lang, 'posts'))}</h2>")
    post_header = rows.post_header(lang, zone)
    del post_header[3]
    _streamed_table(
        stream,
        f'<table id="posts">{_head(post_header)}<tbody>\n',
        (
            f"<tr><td>{html(post.channel)}</td><td>{_link(post.title, post.url)}</td>"
            f'<td class="t">{rows.minute(post.at)}</td>'
            f'<td class="s-{html(post.state)}">{html(state(lang, post.state))}</td><td>{html(post.detail or "")}</td>'
            f"<td>{html(read_back(lang, post.read_back))}</td><td>{html(engagement(lang, post.metrics))}</td></tr>\n"
            for post in report.posts()
        ),
        text(lang, "no_posts"),
    )
    write("</section>\n")
    write(f"<footer>{html(text(lang, 'footer').format(zone=zone))}</footer>\n</body>\n</html>\n")
