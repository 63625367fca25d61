"""Text helpers shared by adapters: Markdown rendering and the ways platforms count length."""

from __future__ import annotations

import re
from functools import lru_cache

from markdown_it import MarkdownIt

__all__ = [
    "count_code_points",
    "count_utf8_bytes",
    "count_utf16_units",
    "html_to_text",
    "markdown_to_html",
    "markdown_to_text",
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


def markdown_to_text(markdown: str) -> str:
    """A plain-text reading of a Markdown body, for channels that show no formatting."""
    return html_to_text(markdown_to_html(markdown))


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
