"""Text helpers shared by adapters: Markdown rendering, the ways platforms count length, and cutting a post to fit.

``graphemes``, ``fit_text`` and ``compose`` serve the microblogs (Mastodon, Weibo); ``plain_text``,
``chat_markdown`` and ``truncate_utf8`` serve the chat robots (WeCom, DingTalk, Feishu, OneBot).
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

from markdown_it import MarkdownIt

__all__ = [
    "URL",
    "chat_markdown",
    "compose",
    "count_code_points",
    "count_utf8_bytes",
    "count_utf16_units",
    "fit_text",
    "graphemes",
    "html_to_text",
    "markdown_to_html",
    "markdown_to_text",
    "plain_text",
    "truncate_utf8",
]


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    # "js-default" is CommonMark plus tables and strikethrough, with raw HTML switched off: a post body is text
    return MarkdownIt("js-default")


def markdown_to_html(markdown: str) -> str:
    """Render a post body to HTML. Raw HTML in the source is escaped, never passed through."""
    html: str = _markdown().render(markdown)
    return html


_TAG = re.compile(r"<[^>]+>")
_BLANKS = re.compile(r"\n{3,}")


#: a link as ``markdown_to_html`` writes it, and the character after it (to keep a URL apart from the next word)
_ANCHOR = re.compile(r'<a href="([^"]*)"[^>]*>(.*?)</a>(?=([\w/#&=%~+-])?)', re.DOTALL | re.ASCII)


def _label_and_target(match: re.Match[str]) -> str:
    import html
    from urllib.parse import unquote

    href, label = html.unescape(match.group(1)), match.group(2)
    shown = html.unescape(_TAG.sub("", label)).strip()
    if not re.match(r"https?://", href, re.IGNORECASE) or shown in (href, unquote(href)):
        return label  # a relative link says nothing to a reader; an autolink already shows its URL
    # the target as written in the HTML (percent-encoded): a URL with CJK in it would end at the first CJK letter
    return f"{label} {match.group(1)}" + (" " if match.group(3) else "")


def markdown_to_text(markdown: str, *, link_targets: bool = False) -> str:
    """A plain-text reading of a Markdown body, for channels that show no formatting.

    With ``link_targets``, a link keeps its target after its label ("查看 https://…"): in plain text the label
    alone would lose where it pointed.
    """
    rendered = markdown_to_html(markdown)
    if link_targets:
        rendered = _ANCHOR.sub(_label_and_target, rendered)
    return html_to_text(rendered)


def html_to_text(rendered: str) -> str:
    """The plain text of HTML that ``markdown_to_html`` produced (for a channel that needs both forms)."""
    import html

    rendered = re.sub(r"</(p|h[1-6]|blockquote|pre|tr)>", "\n", rendered)
    rendered = re.sub(r"<br\s*/?>", "\n", rendered)
    rendered = rendered.replace("<li>", "• ").replace("</ul>", "\n").replace("</ol>", "\n")
    rendered = re.sub(r"</li>\n", "\n", rendered)
    text = html.unescape(_TAG.sub("", rendered))
    return _BLANKS.sub("\n\n", text).strip()


def count_code_points(text: str) -> int:
    return len(text)


def count_utf16_units(text: str) -> int:
    """Length in UTF-16 code units, as Telegram counts it: characters outside the BMP (emoji) count twice."""
    return len(text.encode("utf-16-le")) // 2


def count_utf8_bytes(text: str) -> int:
    """Length in UTF-8 bytes, as WeCom counts it: a Chinese character counts three."""
    return len(text.encode("utf-8"))


# --- cutting a post to fit (microblogs) -------------------------------------------------------------------------------

#: a URL as microblogs detect it: a scheme, then printable ASCII (CJK text right after a link is not part of it)
URL = re.compile(r"https?://[!-~]*[\w/=#&%~+-]", re.ASCII)  # ends before trailing punctuation


def _joins(cluster: str, ch: str) -> bool:
    """Whether ``ch`` continues the grapheme cluster ``cluster`` (a compact reading of UAX #29)."""
    cp, last = ord(ch), cluster[-1]
    if unicodedata.category(ch) in ("Mn", "Me", "Mc") or ch == "\u200d" or (last, ch) == ("\r", "\n"):
        return True
    if 0x1F3FB <= cp <= 0x1F3FF or 0xE0020 <= cp <= 0xE007F:  # skin tones, flag tags
        return True
    if last == "\u200d":  # ZWJ emoji sequences
        return 0x1F000 <= cp <= 0x1FAFF or 0x2190 <= cp <= 0x2BFF
    if 0x1F1E6 <= cp <= 0x1F1FF:  # regional indicators pair into flags
        return len(cluster) == 1 and 0x1F1E6 <= ord(last) <= 0x1F1FF
    return 0x1160 <= cp <= 0x11FF and 0x1100 <= ord(last) <= 0x11FF  # Hangul jamo V/T after a jamo


def graphemes(text: str) -> list[str]:
    """``text`` split into user-perceived characters: an emoji sequence or a letter with its accents is one."""
    clusters: list[str] = []
    for ch in text:
        if clusters and _joins(clusters[-1], ch):
            clusters[-1] += ch
        else:
            clusters.append(ch)
    return clusters


Joiner = Callable[[str, str, str], str]  # (title, body, tail) -> the post's text

_SENTENCE_END = re.compile(r"[。！？!?；;…\n]|\.(?=\s)")


def _word_break(text: str, pos: int) -> bool:
    if pos <= 0 or pos >= len(text):
        return True
    before, after = text[pos - 1], text[pos]
    wide = unicodedata.east_asian_width(before) in "WF" or unicodedata.east_asian_width(after) in "WF"
    return before.isspace() or after.isspace() or wide or before in ",;:)]}"


def fit_text(text: str, fits: Callable[[str], bool], ellipsis: str = "…") -> str:
    """The longest start of ``text`` that ``fits``, cut at a sentence or word end and marked with ``ellipsis``.

    Never cuts inside a grapheme (emoji, accented letter) or a URL. Returns ``""`` when not even a word fits.
    """
    if fits(text):
        return text
    ends = [0, *itertools.accumulate(len(c) for c in graphemes(text))]
    lo, hi = 0, len(ends) - 2  # the largest n < len with fits(text[:ends[n]] + ellipsis)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if fits(text[: ends[mid]].rstrip() + ellipsis) else (lo, mid - 1)
    cut = ends[lo]
    for match in URL.finditer(text):
        if match.start() < cut < match.end():
            cut = match.start()
    allowed = set(ends)
    sentence = [m.end() for m in _SENTENCE_END.finditer(text, 0, cut) if m.end() in allowed]
    if sentence and sentence[-1] >= cut // 2:
        cut = sentence[-1]
    else:
        cut = next((p for p in reversed(ends) if 0 < p <= cut and _word_break(text, p)), cut)
    head = text[:cut].rstrip()
    return head + ellipsis if head else ""


def _body_fits(join: Joiner, fits: Callable[[str], bool], title: str, tail: str) -> Callable[[str], bool]:
    return lambda body: fits(join(title, body, tail))


def compose(title: str, body: str, tails: list[str], join: Joiner, fits: Callable[[str], bool]) -> str | None:
    """The fullest post that ``fits``: ``join(title, body, tail)`` with the body cut to size, trying each tail in
    turn (the last is the bare link), then the cut title and the link alone; None if not even the link fits."""
    for tail in tails:
        short = fit_text(body, _body_fits(join, fits, title, tail))
        if (short or not body) and fits(join(title, short, tail)):
            return join(title, short, tail)
    link = tails[-1]
    text = join(fit_text(title, lambda t: fits(join(t, "", link))), "", link)
    return text if fits(text) else None


# --- chat-robot text --------------------------------------------------------------------------------------------------

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)+\|?\s*$|^\s*\|\s*:?-+:?\s*\|\s*$")
_MD_LINK = re.compile(r"(!?)\[([^\]\n]*)\]\(\s*<?([^\s)>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_CHAT_URL = re.compile(r"https?://[^\s<>()\[\]]+")


def _flatten(markdown: str, *, code: bool) -> str:
    """Tables become one line per row (cells joined by " | "); with ``code``, fenced code becomes quoted lines."""
    lines, out, fence, in_table = markdown.splitlines(), [], "", False
    for index, line in enumerate(lines):
        marker = _FENCE.match(line)
        if fence:
            if marker and marker.group(1)[0] == fence[0] and len(marker.group(1)) >= len(fence):
                fence = ""
                if code:
                    continue
            out.append(f"> {line}" if code else line)
            continue
        if marker:
            fence = marker.group(1)
            if not code:
                out.append(line)
            continue
        next_line = lines[index + 1] if index + 1 < len(lines) else ""
        if "|" in line and (in_table or _TABLE_RULE.match(next_line)):
            if _TABLE_RULE.match(line):
                continue
            in_table = True
            out.append(" | ".join(cell.strip() for cell in line.strip().strip("|").split("|")))
            out.append("")  # each row its own paragraph
            continue
        in_table = False
        out.append(line)
    return "\n".join(out)


def chat_markdown(markdown: str, *, images: bool) -> str:
    """A Markdown body reduced to what chat robots render: no tables, no code blocks, images kept or made links."""
    text = _flatten(markdown, code=True)
    if not images:
        text = _MD_LINK.sub(lambda m: f"[{m.group(2) or '图片'}]({m.group(3)})" if m.group(1) else m.group(0), text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def plain_text(markdown: str, *, title: str = "", images: tuple[str, ...] = (), link: str | None = None) -> str:
    """A readable plain-text post: link targets stay visible and untouched, tables keep their cells apart."""
    targets: list[str] = []

    def protect(match: re.Match[str]) -> str:
        label, url = match.group(2), match.group(3)
        targets.append(url)
        marker = f"\ue000{len(targets) - 1}\ue001"  # private-use characters pass through Markdown untouched
        return marker if not label or label == url else f"{label} {marker}"

    text = markdown_to_text(_MD_LINK.sub(protect, _flatten(markdown, code=False)))
    text = re.sub("\ue000(\\d+)\ue001", lambda m: targets[int(m.group(1))], text)
    parts = [title.strip(), text, *images, link or ""]
    return "\n\n".join(part for part in parts if part)


def _chat_graphemes(text: str) -> list[str]:
    """User-perceived characters, closely enough for cutting: marks, ZWJ sequences, skin tones and flags stay whole.

    Not quite ``graphemes``: anything after a ZWJ joins, and Hangul jamo are not joined. ``truncate_utf8`` has
    always cut by this reading, so it keeps it.
    """
    clusters: list[str] = []
    for ch in text:
        code = ord(ch)
        joins = unicodedata.category(ch) in ("Mn", "Mc", "Me") or ch in "\u200d\ufe0e\ufe0f"
        joins = joins or 0x1F3FB <= code <= 0x1F3FF or 0xE0020 <= code <= 0xE007F
        last = clusters[-1] if clusters else ""
        flag = 0x1F1E6 <= code <= 0x1F1FF and len(last) == 1 and 0x1F1E6 <= ord(last) <= 0x1F1FF
        if last and (joins or flag or last.endswith("\u200d") or (last == "\r" and ch == "\n")):
            clusters[-1] += ch
        else:
            clusters.append(ch)
    return clusters


def truncate_utf8(text: str, limit: int, ellipsis: str = "…") -> str:
    """``text`` cut to ``limit`` UTF-8 bytes at a sentence or word boundary, never inside a character or a link."""
    if count_utf8_bytes(text) <= limit:
        return text
    budget, size, kept = limit - count_utf8_bytes(ellipsis), 0, []
    for cluster in _chat_graphemes(text):
        size += count_utf8_bytes(cluster)
        if size > budget:
            break
        kept.append(cluster)
    cut = "".join(kept)
    for marks in ("。！？!?\n", "，、；;,: "):
        end = max(cut.rfind(mark) for mark in marks)
        if end >= len(cut) * 2 // 3:
            cut = cut[: end + 1]
            break
    for url in _CHAT_URL.finditer(text):
        if url.start() < len(cut) < url.end():
            cut = cut[: url.start()]
    return cut.rstrip() + ellipsis
