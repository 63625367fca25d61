"""Feed bytes to entries: the lean reader first, feedparser when it declines, with three things done first and one
after.

The lean reader (``leanfeed.py``, lxml) takes well-formed RSS 2.0 and Atom 1.0 of the usual shape, about a tenth of
feedparser's time, and gives the same fields; anything else (RDF, malformed XML, a DOCTYPE, an encoding left to
feedparser's rules, an element it does not reproduce) goes to feedparser, as every feed did before. The encoding
is chosen the same way for both (2. below), and a document with entity declarations always goes to feedparser.

1. **Disarm XML entities.** feedparser drops entity declarations it thinks unsafe, but keeps "safe" ones (a plain
   string value) and expands them itself in its fallback parser, where expat's amplification limit does not
   apply: a 10 kB entity referenced 2,000 times became a 20 MB summary in our test. A document with any
   ``<!ENTITY`` has every entity declaration removed before parsing, so nothing declared can expand; a reference
   to it stays as inert text. External entities and DTDs are never fetched (expat's external general
   entities are off in feedparser, and the subset that could name them is gone).
2. **Choose the encoding where the bytes decide it.** Bytes that are valid UTF-8 (with non-ASCII in them) are read as
   UTF-8 whatever they declare; a declared GB2312 or GBK is read as GB18030 and Big5 as CP950 (or Big5-HKSCS), the
   supersets real Chinese feeds are written in; a single-byte Western declaration on bytes that chardet and a
   strict decode both say are Chinese is read as Chinese. Otherwise feedparser's own rules apply: the HTTP
   charset, then the XML declaration, then chardet.
3. Never hand feedparser a ``str`` or ``bytes`` (it would treat a URL-like string as something to fetch): always
   a ``BytesIO``.

After: a feed that is malformed but yields entries is used and flagged (``warning``); one that yields nothing and is
malformed is an error. Entry dates without an offset (and "CST" in a feed from a +08:00 zone) are read in the
outlet's time zone.
"""

from __future__ import annotations

import calendar
import codecs
import dataclasses
import html
import io
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import feedparser

from publisher.tracker.normalize import canonical_link, plain_text

__all__ = ["FeedItem", "ParsedFeed", "disarm", "parse_feed"]

TITLE_CHARS, SUMMARY_CHARS, BODY_CHARS = 1000, 4000, 20000

_ENTITY_DECLARATION = re.compile(rb"<\x00*!\x00*E\x00*N\x00*T\x00*I\x00*T\x00*Y")
_ENTITY_TEXT = re.compile(r"<!ENTITY\s(?:[^>\"']|\"[^\"]*\"|'[^']*')*>")
_XML_ENCODING = re.compile(rb"^(?:\xef\xbb\xbf)?\s*<\?xml[^>]{0,200}?encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)[\"']")
_XML_DECLARATION = re.compile(rb"^\s*<\?xml[^>]{0,300}\?>")
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._:-]+)", re.IGNORECASE)
_SUPERSETS = {"gb2312": ("gb18030",), "gbk": ("gb18030",), "big5": ("cp950", "big5hkscs")}
_WESTERN = {"latin-1", "iso8859-1", "iso8859-15", "cp1252", "ascii"}
_CHINESE = {"gb2312", "gbk", "gb18030", "big5", "cp950", "big5hkscs", "hz", "euc-tw"}
_IMG = re.compile(r"<img\b[^>]*?\bsrc\s*=\s*[\"']?(https://[^\"'\s>]+)", re.IGNORECASE)
_HAS_ZONE = re.compile(r"(?:[zZ]|[+-]\d{2}:?\d{2}|\b(?:GMT|UTC|UT|[A-Z]{2,4}))\s*$")
_CHINESE_DATE = re.compile(
    r"(\d{4})\s*[-/年.]\s*(\d{1,2})\s*[-/月.]\s*(\d{1,2})\s*日?(?:\s*T?\s*(\d{1,2})[:时點点](\d{1,2})(?:[:分](\d{1,2}))?)?"
)


@dataclasses.dataclass(frozen=True, kw_only=True)
class FeedItem:
    guid: str | None
    link: str | None  # canonical
    title: str
    summary: str  # plain text
    body: str  # plain text of the full content, "" when the feed only has the summary
    author: str | None
    published_at: datetime | None  # UTC
    image: str | None = None  # the entry's first https image (a media element, an enclosure, an <img> in its text)


@dataclasses.dataclass(frozen=True, kw_only=True)
class ParsedFeed:
    items: list[FeedItem]
    encoding: str | None
    version: str
    title: str
    warning: str | None = None  # read, but something was off: malformed, declared one encoding and was another
    error: str | None = None  # nothing could be read


def parse_feed(
    body: bytes, headers: Mapping[str, str], url: str | None = None, timezone: str = "UTC", *, lean: bool = True
) -> ParsedFeed:
    """Parse ``body`` as served with ``headers`` (the HTTP answer's) from ``url``. Never raises for bad input.
    ``lean=False``: feedparser only, never the lean reader (what the lean reader is tested against)."""
    given = {k.lower(): v for k, v in headers.items()}
    kept = ("content-type", "content-location", "content-language")
    wanted: dict[str, str] = {k: given[k] for k in kept if k in given}
    if url and "content-location" not in wanted:
        wanted["content-location"] = url  # so relative links resolve against the feed's own address
    notes: list[str] = []
    charset, note = choose_charset(body, wanted.get("content-type", ""))
    if note:
        notes.append(note)
    read = _lean(body, charset, wanted) if lean and not _ENTITY_DECLARATION.search(body) else None
    if read is not None:  # well-formed RSS 2.0 or Atom 1.0 of the usual shape: read without feedparser
        lean_version, lean_title, entries, lean_encoding = read
        lean_zone = ZoneInfo(timezone)
        lean_items = [_item(entry, lean_zone) for entry in entries]
        if not lean_items:
            notes.append("the feed has no entries")
        return ParsedFeed(
            items=lean_items,
            encoding=lean_encoding,
            version=lean_version,
            title=plain_text(lean_title),
            warning="; ".join(notes) or None,
        )
    if _ENTITY_DECLARATION.search(body):
        body = disarm(body, charset, wanted)
        charset = "utf-8"
        notes.append("XML entity declarations removed, not expanded")
    if charset:
        wanted["content-type"] = f"application/xml; charset={charset}"
    result = feedparser.parse(io.BytesIO(body), response_headers=wanted)
    zone = ZoneInfo(timezone)
    items = [_item(entry, zone) for entry in result.get("entries", [])]
    problem = _bozo(result)
    version = str(result.get("version") or "")
    title = plain_text(str(result.get("feed", {}).get("title", "")))
    encoding = str(result.get("encoding") or charset or "") or None
    if not items:
        if problem:
            return ParsedFeed(items=[], encoding=encoding, version=version, title=title, error=f"no entries: {problem}")
        if not version:
            return ParsedFeed(items=[], encoding=encoding, version=version, title=title, error="not a feed")
        notes.append("the feed has no entries")
    elif problem:
        notes.append(f"malformed, read anyway: {problem}")
    return ParsedFeed(items=items, encoding=encoding, version=version, title=title, warning="; ".join(notes) or None)


def _lean(
    body: bytes, charset: str | None, headers: Mapping[str, str]
) -> tuple[str, str, list[dict[str, Any]], str] | None:
    """The lean reader's answer (``leanfeed.py``), with the encoding it read; None when feedparser must read it."""
    from publisher.tracker.leanfeed import read_lean

    encoding = charset
    if encoding is None:  # left to feedparser's rules: only plain ASCII under an ASCII-compatible label is taken
        if b"\x00" in body or not body.isascii():
            return None
        match = _CHARSET.search(headers.get("content-type", ""))
        xml = _XML_ENCODING.match(body)
        labels = [label for label in (match and match.group(1), xml and xml.group(1).decode("ascii")) if label]
        named = [_codec(label) for label in labels]
        ascii_like = [name for name in named if name is not None and _decodes(b"<?xml ?>", name) == "<?xml ?>"]
        if len(ascii_like) < len(named):
            return None  # a label that is no codec, or UTF-16/32: feedparser says what it makes of it
        encoding = ascii_like[0] if ascii_like else "utf-8"
    read = read_lean(body, encoding, headers.get("content-location"))
    return None if read is None else (*read, encoding)


def _bozo(result: Any) -> str | None:
    if not result.get("bozo"):
        return None
    exc = result.get("bozo_exception")
    if isinstance(exc, feedparser.NonXMLContentType):
        return None  # a feed served as text/html or without a type: the bytes decide, not the label
    if isinstance(exc, feedparser.CharacterEncodingOverride):
        return f"encoding: {exc}"
    return f"{type(exc).__name__}: {exc}" if exc else "malformed"


def _codec(name: str) -> str | None:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _decodes(body: bytes, encoding: str) -> str | None:
    try:
        return body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _looks_chinese(text: str) -> bool:
    wide = [ch for ch in text if ord(ch) > 0x7F]
    han = sum(1 for ch in wide if "\u3000" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef")
    return bool(wide) and han >= 0.8 * len(wide)


def choose_charset(body: bytes, content_type: str) -> tuple[str | None, str | None]:
    """The charset to read ``body`` with, or None to leave it to feedparser; and a note when it overrides one declared.

    Only ASCII-compatible documents are considered (a BOM or NUL bytes mean UTF-16/32: feedparser's own sniffing).
    """
    head = body[:4]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in body[:200]:
        return None, None
    match = _CHARSET.search(content_type)
    xml = _XML_ENCODING.match(body)
    labels = [label for label in (match and match.group(1), xml and xml.group(1).decode("ascii")) if label]
    if not any(byte > 0x7F for byte in body[:65536]) and body.isascii():
        return None, None
    data = body[3:] if body.startswith(codecs.BOM_UTF8) else body
    said = labels[0] if labels else None
    if _decodes(data, "utf-8") is not None:
        if said is not None and _codec(said) != "utf-8":
            return "utf-8", f"declared {said} but the bytes are UTF-8; read as UTF-8"
        return "utf-8", None
    for label in dict.fromkeys(labels):
        declared = _codec(label)
        if declared is None:
            continue
        for candidate in _SUPERSETS.get(declared, (declared,)):
            if _decodes(data, candidate) is None:
                continue
            if declared in _WESTERN:
                chinese = _detect_chinese(data)
                if chinese:
                    return chinese, f"declared {said} but the bytes are {chinese}; read as {chinese}"
            note = f"declared {said} but the bytes are {candidate}; read as {candidate}" if label != said else None
            return candidate, note
    chinese = _detect_chinese(data)
    if chinese:
        return chinese, f"declared {said or 'nothing'}; the bytes are {chinese}; read as {chinese}"
    return None, None


def _detect_chinese(data: bytes) -> str | None:
    import chardet

    # without the XML declaration: chardet believes what it declares, which is what is in doubt here
    guess = chardet.detect(_XML_DECLARATION.sub(b"", data[:65536], count=1))
    name = _codec(str(guess.get("encoding") or ""))
    if name not in _CHINESE:  # chardet's confidence is low on short texts; the strict decode below decides
        return None
    for candidate in _SUPERSETS.get(str(name), (str(name),)):
        text = _decodes(data, candidate)
        if text is not None and _looks_chinese(text):
            return candidate
    return None


def disarm(body: bytes, charset: str | None, headers: Mapping[str, str]) -> bytes:
    """``body`` as UTF-8 with every entity declaration removed, so that nothing can expand or be fetched."""
    text = _decodes(body, charset) if charset else None
    if text is None:
        from feedparser.encodings import convert_to_utf8

        scratch: dict[str, Any] = {}
        text = convert_to_utf8(dict(headers), body, scratch).decode("utf-8", "replace")
    return _without_entity_declarations(text).encode("utf-8")


def _without_entity_declarations(text: str) -> str:
    """Every ``<!ENTITY ...>`` (general or parameter, quoted values respected) removed; an unclosed one broken."""
    return _ENTITY_TEXT.sub("", text).replace("<!ENTITY", "<!-")


def _first_image(entry: Any) -> str | None:
    """The entry's first image given as an https address: a media:content or media:thumbnail, an image enclosure,
    else the first ``<img>`` of its summary or content (what a post announcing the article shows)."""
    found = [m.get("url") for m in (*(entry.get("media_content") or ()), *(entry.get("media_thumbnail") or ()))]
    found += [e.get("href") for e in entry.get("enclosures") or () if str(e.get("type", "")).startswith("image/")]
    for markup in (entry.get("summary", ""), *(part.get("value", "") for part in entry.get("content", []) or [])):
        found += [html.unescape(m.group(1)) for m in _IMG.finditer(str(markup))]
    return next((str(url) for url in found if isinstance(url, str) and url.startswith("https://")), None)


def _item(entry: Any, zone: ZoneInfo) -> FeedItem:
    title = plain_text(str(entry.get("title", "")))[:TITLE_CHARS]
    summary = plain_text(str(entry.get("summary", "")))
    body = " ".join(plain_text(str(part.get("value", ""))) for part in entry.get("content", []) or [])
    if not summary and body:
        summary = body
    if body == summary:
        body = ""
    guid = entry.get("id") or entry.get("guid")
    return FeedItem(
        guid=str(guid)[:2000] if guid else None,
        link=canonical_link(entry.get("link")),
        title=title,
        summary=summary[:SUMMARY_CHARS],
        body=body[:BODY_CHARS],
        author=str(entry["author"])[:500] if entry.get("author") else None,
        published_at=_published(entry, zone),
        image=_first_image(entry),
    )


def _published(entry: Any, zone: ZoneInfo) -> datetime | None:
    for key in ("published", "updated", "created"):
        raw = str(entry.get(key) or "").strip()
        found = _CHINESE_DATE.search(raw) if raw and ("年" in raw or "/" in raw) else None
        if found:  # feedparser misreads these (it took 2026年12月2日 for a date in October)
            year, month, day, hour, minute, second = (int(p) if p else 0 for p in found.groups())
            try:
                return datetime(year, month, day, hour, minute, second, tzinfo=zone).astimezone(UTC)
            except ValueError:
                pass
        parsed = entry.get(f"{key}_parsed")
        if parsed:
            when = datetime.fromtimestamp(calendar.timegm(parsed), UTC)
            shift = _wall_clock_shift(raw, when, zone) if raw else None
            if shift is not None:  # feedparser read a local time as if it were UTC (or US Central): undo that
                wall = (when + shift).replace(tzinfo=None)
                when = wall.replace(tzinfo=zone).astimezone(UTC)
            return when
    return None


def _wall_clock_shift(raw: str, parsed_utc: datetime, zone: ZoneInfo) -> timedelta | None:
    """How far feedparser's UTC reading is from the feed's wall clock, when that wall clock is the outlet's local
    time: a date with no offset (feedparser took it as UTC), or "CST" in a feed from a +08:00 zone (feedparser took
    it as US Central, -06:00; Chinese feeds mean China Standard Time). None when the date says its own offset."""
    zone_match = _HAS_ZONE.search(raw)
    if zone_match is None:
        return timedelta(0)
    if zone_match.group(0).strip() == "CST" and (parsed_utc - timedelta(hours=6)).replace(
        tzinfo=zone
    ).utcoffset() == timedelta(hours=8):
        return timedelta(hours=-6)
    return None
