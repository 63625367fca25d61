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
_SPACE_BY_CJK = re.compile(f" (?=[{_CJK}])|(?<=[{_CJK}]) ")
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


def _separator_table() -> dict[int, str]:
    """Every punctuation, symbol, separator and control character maps to a space (str.translate runs in C)."""
    table: dict[int, str] = {}
    for code in range(sys.maxunicode + 1):
        category = unicodedata.category(chr(code))
        if category[0] in "PSZ" or category in ("Cc", "Cf"):
            table[code] = " "
    return table


@functools.cache
def _separators() -> dict[int, str]:
    return _separator_table()


@functools.cache
def _separator_chars() -> frozenset[str]:
    return frozenset(map(chr, _separators()))


#: full-width punctuation and the ideographic space, which NFKC turns into ASCII punctuation and spaces that become
#: spaces anyway: made spaces first, most Chinese text is already in NFKC and skips it (the same result, faster)
_EARLY = frozenset("！＂＃＄％＆＇（）＊＋，－．／：；？＠［＼］＾＿｀｛｜｝～\u3000")


def _spaced(text: str, chars: Iterable[str]) -> str:
    """``text`` with each of ``chars`` made a space (a few ``str.replace`` calls beat ``str.translate`` with a
    table of every separator, which looks each character up as a number)."""
    for char in chars:
        text = text.replace(char, " ")
    return text


@functools.cache
def _converters() -> tuple[Any, Any]:
    import opencc

    # hk2s folds Hong Kong forms (衞, 綫), tw2s the Taiwan ones (裡, 著 as zhe); both end in Simplified
    return opencc.OpenCC("hk2s"), opencc.OpenCC("tw2s")


def to_simplified(text: str) -> str:
    hong_kong, taiwan = _converters()
    return str(taiwan.convert(hong_kong.convert(text)))


def fold(text: str) -> str:
    """``text`` in the one form matching works on (see the module docstring)."""
    if not text:
        return ""
    if not text.isascii():  # NFKC leaves ASCII as it is
        text = _spaced(text, _EARLY.intersection(text))
        if not unicodedata.is_normalized("NFKC", text):
            text = unicodedata.normalize("NFKC", text)
    text = text.casefold()
    if not text.isascii():
        text = to_simplified(text)
    text = " ".join(_spaced(text, _separator_chars().intersection(text)).split())
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
    try:
        parts = urlsplit(link.strip())
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
