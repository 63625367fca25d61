"""Making untrusted text safe to show: Markdown through an HTML sanitiser, links limited to web addresses.

Templates escape every string (Jinja2 autoescape). The only HTML we produce from user text is a post body's
Markdown: markdown-it renders it with raw HTML off, and nh3 (ammonia) then keeps only an allow-list of tags and
attributes, so neither a script nor an event handler nor a ``javascript:`` link survives. An image from another
site is shown as a link, not loaded: a remote image in a draft would tell its sender when (and from where) the
approver opened it (a tracking pixel). The CSP's ``img-src 'self' data:`` stops any that slipped through.
"""

from __future__ import annotations

from html import escape
from html.parser import HTMLParser
from urllib.parse import urlsplit

import nh3
from markupsafe import Markup

from adapters.text import markdown_to_html

__all__ = ["is_local", "markdown", "web_url"]

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
    return Markup(_without_remote_images(cleaned))  # noqa: S704  (sanitised just above)


def is_local(url: str) -> bool:
    """Whether ``url`` is served by the console itself (a path such as ``/media/...``), not by another site."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return not parts.scheme and not parts.netloc and not url.strip().startswith("//")


class _RemoteImages(HTMLParser):
    """Re-writes sanitised HTML with each remote ``<img>`` replaced by a link to it, which loads nothing."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "img" and not is_local(values.get("src", "")):
            src = values.get("src", "")
            label = values.get("alt") or urlsplit(src).hostname or "image"
            if web_url(src):
                self.out.append(f'<a href="{escape(src)}" rel="noopener noreferrer nofollow">🖼 {escape(label)}</a>')
            else:
                self.out.append(f"🖼 {escape(label)}")
            return
        self.out.append(self.get_starttag_text() or "")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        self.out.append(escape(data, quote=False))


def _without_remote_images(cleaned: str) -> str:
    if "<img" not in cleaned:
        return cleaned
    parser = _RemoteImages()
    parser.feed(cleaned)
    parser.close()
    # and through the sanitiser again, so the rewriting itself can add nothing unsafe
    return nh3.clean(
        "".join(parser.out),
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


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
