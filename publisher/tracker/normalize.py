"""Text and links folded to one form, so that matching and dedupe do not depend on how an outlet wrote them.

``fold``: NFKC (full-width letters, digits and punctuation become half-width), case-folded, Traditional Chinese
(Hong Kong and Taiwan variants too) converted to Simplified with OpenCC, every run of punctuation, symbols and
white space made one space, and spaces beside CJK characters dropped (Chinese has no word spaces, so "阅读 月"
and "阅读月" are the same). ``compact`` drops the remaining spaces: similarity's n-grams are taken from it.

``canonical_link``: lower-case scheme and host, no default port, no fragment, no tracking parameters (utm_*,
spm, fbclid, ...), the rest of the query sorted; WeChat article links keep only the four parameters that name the
article.
"""

from __future__ import annotations

import functools
import hashlib
import html
import re
import sys
import unicodedata
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = [
    "canonical_link",
    "compact",
    "content_hash",
    "fold",
    "plain_text",
    "sha1",
    "to_utc",
]

_CJK = (
    "\u2e80-\u2fdf\u3040-\u30ff\u3100-\u312f\u3190-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f"
)
# a space, then the test (a pattern that starts with a literal lets the engine scan for it in C)
_SPACE_BY_CJK = re.compile(f" (?:(?=[{_CJK}])|(?<=[{_CJK}] ))")
_TAG = re.compile(r"<(?:script|style)\b.*?</(?:script|style)\s*>|<[^>]*>", re.IGNORECASE | re.DOTALL)
_BLOCK_END = re.compile(r"</(?:p|div|li|h[1-6]|tr|blockquote)\s*>|<br\s*/?>", re.IGNORECASE)
_WHITESPACE = re.compile(r"\s+")

#: query parameters that only say where a click came from
_TRACKING = re.compile(
    r"^(utm_\w*|spm|scm|fbclid|gclid|dclid|yclid|msclkid|igshid|mc_cid|mc_eid|_hsenc|_hsmi|wt\.mc_id"
    r"|share_token|share_source|share_medium|sharer_\w+|from_source|vd_source|ref_src|chksm|scene|clicktime"
    r"|enterid|sessionid|subscene|ascene|devicetype|version|nettype|abtest_cookie|pass_ticket|wx_header)$",
    re.IGNORECASE,
)
_WECHAT_KEEP = frozenset({"__biz", "mid", "idx", "sn"})
#: a link canonical_link would give back as it is (with "/" for an empty path): http(s), a lower-case host of
#: dotted labels, no port, user, query or fragment, and nothing urlsplit would drop (white space, controls)
_PLAIN_LINK = re.compile(r"https?://[a-z0-9-]+(?:\.[a-z0-9-]+)*(/[^?#\s\x00-\x1f\x7f]*)?")


def _separator_table() -> dict[int, str]:
    """Every punctuation, symbol, separator and control character maps to a space."""
    table: dict[int, str] = {}
    for code in range(sys.maxunicode + 1):
        category = unicodedata.category(chr(code))
        if category[0] in "PSZ" or category in ("Cc", "Cf"):
            table[code] = " "
    return table


@functools.cache
def _separators() -> dict[int, str]:
    return _separator_table()


def _character_class(codes: Iterable[int]) -> str:
    """A regular expression's ``[...]`` for these code points, as ranges."""
    ranges: list[list[int]] = []
    for code in sorted(codes):
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return "[" + "".join(re.escape(chr(a)) + ("-" + re.escape(chr(b)) if b > a else "") for a, b in ranges) + "]"


class _CharacterSet:
    """A set of characters, looked for in C. The regex engine tests a character against a class of Basic
    Multilingual Plane characters in one step (a bitmap) but walks the ranges of a class holding any character
    beyond it: the BMP class serves the texts holding none (nearly all), the whole set the others."""

    _ASTRAL = re.compile("[\U00010000-\U0010ffff]")

    def __init__(self, codes: Iterable[int], suffix: str = "") -> None:
        codes = set(codes)
        self.basic = re.compile(_character_class(c for c in codes if c <= 0xFFFF) + suffix)
        self.every = re.compile(_character_class(codes) + suffix)

    def pattern(self, text: str) -> re.Pattern[str]:
        return self.every if self._ASTRAL.search(text) else self.basic


@functools.cache
def _separator_runs() -> _CharacterSet:
    return _CharacterSet(_separators(), "+")


#: full-width punctuation and the ideographic space, which NFKC turns into ASCII punctuation and spaces that become
#: spaces anyway: made spaces first, most Chinese text is already in NFKC and skips it (the same result, faster)
_EARLY = re.compile("[！＂＃＄％＆＇（）＊＋，－．／：；？＠［＼］＾＿｀｛｜｝～\u3000]")

#: every character some step of OpenCC's hk2s or tw2s changes (generated from its dictionaries by
#: ``scripts/opencc_changes.py``; tests/tracker/test_normalize.py checks it against the installed OpenCC): a text
#: without one of them comes out of OpenCC as it went in, so most mainland text skips the conversion
_OPENCC_CHANGES = Path(__file__).with_name("opencc_changes.txt")


@functools.cache
def _traditional() -> _CharacterSet:
    return _CharacterSet(map(ord, _OPENCC_CHANGES.read_text(encoding="utf-8").strip()))


@functools.cache
def _converters() -> tuple[Any, Any]:
    import opencc

    # hk2s folds Hong Kong forms (衞, 綫), tw2s the Taiwan ones (裡, 著 as zhe); both end in Simplified
    return opencc.OpenCC("hk2s"), opencc.OpenCC("tw2s")


def to_simplified(text: str) -> str:
    hong_kong, taiwan = _converters()
    if "\x00" in text:  # OpenCC reads a C string: the text after a NUL would be lost
        return "\x00".join(map(to_simplified, text.split("\x00")))
    return str(taiwan.convert(hong_kong.convert(text)))


def fold(text: str) -> str:
    """``text`` in the one form matching works on (see the module docstring)."""
    if not text:
        return ""
    if not text.isascii():  # NFKC leaves ASCII as it is
        text = _EARLY.sub(" ", text)
        if not unicodedata.is_normalized("NFKC", text):
            text = unicodedata.normalize("NFKC", text)
    text = text.casefold()
    if text.isascii():
        return _separator_runs().basic.sub(" ", text).strip(" ")
    if _traditional().pattern(text).search(text):
        text = to_simplified(text)
    text = _separator_runs().pattern(text).sub(" ", text).strip(" ")
    return _SPACE_BY_CJK.sub("", text)


def compact(folded: str) -> str:
    return folded.replace(" ", "")


def sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()


def content_hash(title: str, text: str) -> str | None:
    """A hash of the folded title and text, or None when there is too little text to tell articles apart."""
    folded = compact(fold(title)) + "\n" + compact(fold(text))
    return sha1(folded) if len(folded) >= 24 else None


def plain_text(markup: str) -> str:
    """HTML (as feedparser leaves it, already sanitised) to plain text with entities decoded."""
    if not markup:
        return ""
    if "<" in markup:
        markup = _BLOCK_END.sub("\n", markup)
        markup = _TAG.sub(" ", markup)
    if "&" in markup:
        markup = html.unescape(markup)
    return _WHITESPACE.sub(" ", markup).strip()


def canonical_link(link: str | None) -> str | None:
    """``link`` in canonical form, or None if it is not an http(s) URL."""
    if not link:
        return None
    link = link.strip()
    if simple := _PLAIN_LINK.fullmatch(link):  # already canonical, as most are: urlsplit and back cost 10 µs
        return link if simple.group(1) else link + "/"
    try:
        parts = urlsplit(link)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower().rstrip(".")
    if port is not None and not (scheme == "http" and port == 80) and not (scheme == "https" and port == 443):
        host = f"{host}:{port}"
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    if host == "mp.weixin.qq.com":
        pairs = [(k, v) for k, v in pairs if k in _WECHAT_KEEP]
    else:
        pairs = [(k, v) for k, v in pairs if not _TRACKING.match(k)]
    query = urlencode(sorted(pairs), doseq=True)
    return urlunsplit((scheme, host, parts.path or "/", query, ""))


def to_utc(when: datetime) -> datetime:
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
