"""Untrusted text made inert for each format. Titles and outlet names come from outside feeds.

- Spreadsheets (CSV, XLSX): a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return may be
  taken for a formula (``=HYPERLINK(...)``, ``=cmd|' /C calc'!A0``, DDE). ``cell`` prefixes such text with an
  apostrophe, as OWASP recommends for CSV; leading spaces do not hide it. XLSX cells are written as typed strings
  (never formulas) with Excel's "quote prefix" style instead, so the title reads unchanged and stays text when edited.
- HTML: ``html`` escapes ``& < > " '``; ``href`` passes only http(s) URLs.
- Markdown: ``markdown`` backslash-escapes every character that starts inline syntax (and block syntax at the
  start), and folds line breaks, so a title cannot become a link, an image, a heading, HTML or a table cell break.
"""

from __future__ import annotations

import html as _html
import re
from urllib.parse import quote

__all__ = ["FORMULA_STARTS", "cell", "href", "html", "is_formula_like", "markdown", "markdown_url", "one_line"]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# characters a spreadsheet skips before it decides whether a cell is a formula
_LEADING_BLANKS = " \u00a0\u3000"
_RISKY_FIRST = frozenset(FORMULA_STARTS) | frozenset(_LEADING_BLANKS)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029]+")
# CommonMark: any ASCII punctuation may be escaped; these are the ones that can start or end inline syntax
_MD_INLINE = re.compile(r"([\\`*_\[\]<>#!|~&])")  # with [ and ] escaped, ( ) can no longer close a link
_MD_BULLET = re.compile(r"^(\s*)([-+=])")  # a list item, or a setext heading underline
_MD_ORDERED = re.compile(r"^(\s*\d+)\.")  # an ordered list item ("1)" is caught by the inline escape)


def is_formula_like(value: str) -> bool:
    """True if a spreadsheet could read ``value`` as a formula."""
    stripped = value.lstrip(_LEADING_BLANKS)
    return stripped.startswith(FORMULA_STARTS) or value.startswith(FORMULA_STARTS)


def cell(value: str) -> str:
    """``value`` for a CSV cell: an apostrophe before anything a spreadsheet could run, control characters dropped."""
    if not value or (value[0] not in _RISKY_FIRST and value.isprintable()):
        return value  # the common case, decided in two C calls
    value = _CONTROL.sub("", value)
    return "'" + value if is_formula_like(value) else value


def one_line(value: str) -> str:
    """Line breaks and control characters folded to single spaces."""
    return _CONTROL.sub("", _LINE_BREAKS.sub(" ", value)).strip()


def html(value: object) -> str:
    """Text for HTML element content or a quoted attribute."""
    return _html.escape(str(value), quote=True)


def href(url: str | None) -> str | None:
    """An http(s) URL escaped for an ``href`` attribute, or None for anything else (javascript:, data:, ...)."""
    if not url:
        return None
    url = url.strip()
    # no whitespace or control character anywhere (isprintable is False for every one of them but the space)
    if not url[:8].lower().startswith(("http://", "https://")) or not url.isprintable() or " " in url:
        return None
    return _html.escape(url, quote=True)


def markdown(value: str) -> str:
    """Text for a Markdown paragraph or table cell, on one line, with no syntax of its own."""
    escaped = _MD_INLINE.sub(r"\\\1", one_line(value))
    escaped = _MD_BULLET.sub(r"\1\\\2", escaped)
    return _MD_ORDERED.sub(r"\1\\.", escaped)


def markdown_url(url: str | None) -> str | None:
    """An http(s) URL safe inside ``[text](...)``: spaces, brackets and angle brackets percent-encoded."""
    if not url or href(url) is None:
        return None
    return quote(url.strip(), safe=":/?#@!$&'*+,;=%~-._").replace("(", "%28").replace(")", "%29")
