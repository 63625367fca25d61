"""Making untrusted text safe to show: Markdown through an HTML sanitiser, links limited to web addresses.

Templates escape every string (Jinja2 autoescape). The only HTML we produce from user text is a post body's
Markdown: markdown-it renders it with raw HTML off, and nh3 (ammonia) then keeps only an allow-list of tags and
attributes, so neither a script nor an event handler nor a ``javascript:`` link survives.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import nh3
from markupsafe import Markup

from adapters.text import markdown_to_html

__all__ = ["markdown", "web_url"]

_TAGS = {
    "a", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "li",
    "ol", "p", "pre", "s", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "td": {"align"}, "th": {"align"}}


def markdown(text: str) -> Markup:
    """A post body (Markdown) as sanitised HTML."""
    cleaned = nh3.clean(
        markdown_to_html(text),
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return Markup(cleaned)  # noqa: S704  (sanitised just above)


def web_url(url: str | None) -> str | None:
    """``url`` if it is an http(s) address a browser may follow, else None (a ``javascript:`` or ``file:`` link is
    shown as text, never as a link)."""
    if not url:
        return None
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return None
    return url if scheme in ("http", "https") else None
