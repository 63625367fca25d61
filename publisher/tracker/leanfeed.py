"""The first try at a feed: RSS 2.0 and Atom 1.0 read with lxml, giving what feedparser would, or None.

feedparser takes about 0.6 ms an entry, mostly in its pure-Python SAX handlers and HTML sanitiser; a well-formed
feed of the usual shape needs none of that (this reader: about 0.09 ms). This reader takes only such feeds and
answers ``None`` for anything else, and ``parse.py`` then hands the bytes to feedparser, so that every oddity keeps
feedparser's handling:

- not well-formed (lxml's strict parser, entities never resolved, nothing fetched): feedparser, which reads what
  it can and says it was malformed;
- a DOCTYPE, ``xml:base``, an RDF or RSS 0.9x or Atom 0.3 root, items outside the channel;
- any element of an entry whose meaning to feedparser is not reproduced here (a second title, XHTML or base64
  content, a ``media:title``, an element in a namespace feedparser knows but this reader does not take).

For the entries it does take, each field is what feedparser's strict parser gives (the same rules, and
feedparser's own date parser and URL joiner): the test ``test_lean_reader_matches_feedparser`` runs both over
every real-world file in ``../shared/feeds`` and the shapes Chinese outlets produce, and compares. HTML is not
sanitised here: ``plain_text`` drops the tags and script and style blocks, which is all the tracker keeps of it.

fastfeedparser (measured faster still) was not taken: it normalises dates to UTC and keeps no raw string (so
"16:00 CST" and dates without an offset cannot be read in the outlet's zone), makes up a guid from the link, and
reads malformed XML in recover mode without saying so.
"""

from __future__ import annotations

import contextlib
import re
import threading
from typing import Any

from lxml import etree

__all__ = ["PLAIN_URL", "read_lean"]

_ATOM = "{http://www.w3.org/2005/Atom}"
_DC = "{http://purl.org/dc/elements/1.1/}"
_CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
_HTML_TYPES = {"text/html", "application/xhtml+xml"}
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_ENTITY_IN_LINK = re.compile("&([A-Za-z0-9_]+);")
_C1 = re.compile("[\x80-\x9f]")
#: an absolute http(s) URL that urllib's split and join give back as it is: no params, no empty query or fragment,
#: no brackets, white space or extra slashes (tests/tracker/test_parse.py checks this against feedparser's join)
PLAIN_URL = re.compile(
    r"https?://[A-Za-z0-9][A-Za-z0-9.-]*(?::[0-9]+)?(?:/[A-Za-z0-9\-._~!$&'()*+,=:@%/]*)?"
    r"(?:\?[A-Za-z0-9\-._~!$&'()*+,;=:@%/?]+)?(?:#[A-Za-z0-9\-._~!$&'()*+,;=:@%/?]+)?\Z"
)


class _Parsers(threading.local):
    """One parser per thread: lxml lets one parse at a time use a parser, so threads sharing one would queue."""

    def __init__(self) -> None:
        # strict: a malformed feed goes to feedparser, which reads what it can and flags it
        self.strict = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            huge_tree=False,
            recover=False,
            remove_comments=True,
            remove_pis=True,
        )


_PARSERS = _Parsers()


class _Fallback(Exception):
    """This feed needs feedparser."""


def read_lean(data: bytes, encoding: str, base: str | None) -> tuple[str, str, list[dict[str, Any]]] | None:
    """``data`` (bytes in ``encoding``, already chosen) as (version, feed title, entries), the entries as
    feedparser-shaped dicts; None when feedparser must read it. ``base`` resolves relative links, as feedparser's
    Content-Location does."""
    head = data[:4096]
    if _DOCTYPE.search(head) or b"xml:base" in data:
        return None
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None
    if text.startswith("\ufeff"):
        text = text[1:]
    if text.startswith("<?xml"):  # lxml takes no str with an encoding declaration; the encoding is decided
        end = text.find("?>")
        if end < 0:
            return None
        text = text[end + 2 :]
    else:
        text = text.lstrip()  # white space before the root is allowed, before a declaration it is not
        if not text.startswith("<") or text.startswith("<?xml"):
            return None  # feedparser says what it makes of text before the root, or a misplaced declaration
    try:
        root = etree.fromstring(text.encode("utf-8"), _PARSERS.strict)
    except (etree.XMLSyntaxError, ValueError):
        return None
    utf8 = encoding.replace("_", "-").lower() in ("utf-8", "utf8")
    try:
        if root.tag == "rss" and root.get("version") == "2.0" and not root.prefix:
            return _rss(root, base, utf8)
        if root.tag == f"{_ATOM}feed":
            return _atom(root, base, utf8)
    except _Fallback:
        return None
    return None


# --- RSS 2.0 ---------------------------------------------------------------------------------------------------


def _rss(root: Any, base: str | None, utf8: bool) -> tuple[str, str, list[dict[str, Any]]]:
    channels = [child for child in root if child.tag == "channel"]
    if len(channels) != 1:
        raise _Fallback
    channel = channels[0]
    items = [child for child in channel if child.tag == "item"]
    if sum(1 for _ in root.iter("item")) != len(items):
        raise _Fallback  # items outside the channel: feedparser's rules for those are its own
    title = next((_text(child, utf8) for child in channel if child.tag == "title"), "")
    return "rss20", title, [_rss_item(item, base, utf8) for item in items]


# what feedparser keeps of these (media lists, comment links) is no field the tracker reads
_MEDIA = frozenset(
    f"{{{namespace}}}{name}"
    for namespace in ("http://search.yahoo.com/mrss/", "http://search.yahoo.com/mrss")
    for name in ("content", "thumbnail")
)
_RSS_IGNORED = _MEDIA | frozenset(
    {
        "category",
        "comments",
        "enclosure",
        "source",
        "{http://wellformedweb.org/CommentAPI/}commentRss",
        "{http://wellformedweb.org/CommentAPI/}comment",
        f"{_DC}subject",  # a category to feedparser
        "{http://purl.org/rss/1.0/modules/slash/}comments",
    }
)


def _rss_item(item: Any, base: str | None, utf8: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {}
    seen: set[str] = set()
    link: str | None = None
    guid: tuple[str, bool] | None = None
    for child in item:
        tag = child.tag
        if not isinstance(tag, str):
            continue
        if len(child):
            raise _Fallback  # markup inside an element: feedparser reads it as inline content
        if tag in seen and tag != "category":
            raise _Fallback  # which of two wins depends on feedparser's depth rules
        seen.add(tag)
        if tag == "title":
            entry["title"] = _text(child, utf8)
        elif tag == "description":
            entry["summary"] = _text(child, utf8)
        elif tag == "link":
            link = _text(child, utf8)
        elif tag == "guid":
            guid = (_text(child, utf8), child.get("isPermaLink", "true") == "true")
        elif tag == "pubDate":
            entry["published"] = _text(child, utf8)
        elif tag == f"{_DC}date":
            entry["updated"] = _text(child, utf8)
        elif tag in ("author", f"{_DC}creator"):
            if "author" in entry:
                raise _Fallback
            entry["author"] = _text(child, utf8)
        elif tag == f"{_CONTENT}encoded":
            entry["content"] = [{"value": _text(child, utf8)}]
        elif tag == "enclosure":  # as feedparser gives it: the first image is what an announcement shows
            entry["enclosures"] = [{"href": child.get("url", ""), "type": child.get("type", "")}]
        elif tag in _MEDIA:
            kind = "media_thumbnail" if tag.endswith("thumbnail") else "media_content"
            entry[kind] = [{"url": child.get("url", "")}]
        elif tag not in _RSS_IGNORED:
            _unknown(child)
    if "summary" not in entry and "content" in entry:
        entry["summary"] = entry["content"][0]["value"]  # feedparser copies HTML content into an empty summary
    if guid is not None:
        value, is_link = guid
        entry["id"] = _resolve(base, value) if is_link and value else value
        if is_link and link is None:
            link = value  # a permalink guid is the link when the item has none
    if link is not None:
        entry["link"] = _link(base, link)
    _dates(entry)
    return entry


# --- Atom 1.0 --------------------------------------------------------------------------------------------------


def _atom(root: Any, base: str | None, utf8: bool) -> tuple[str, str, list[dict[str, Any]]]:
    entries = [child for child in root if child.tag == f"{_ATOM}entry"]
    if sum(1 for _ in root.iter(f"{_ATOM}entry")) != len(entries):
        raise _Fallback
    title = ""
    for child in root:
        if child.tag == f"{_ATOM}title":
            title = _atom_text(child, utf8)
            break
    return "atom10", title, [_atom_entry(entry, base, utf8) for entry in entries]


_ATOM_IGNORED = _MEDIA | frozenset({f"{_ATOM}category", f"{_ATOM}rights"})


def _atom_entry(element: Any, base: str | None, utf8: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {}
    seen: set[str] = set()
    link: str | None = None
    ident: str | None = None
    for child in element:
        tag = child.tag
        if not isinstance(tag, str):
            continue
        if tag in seen and tag not in (f"{_ATOM}link", f"{_ATOM}category"):
            raise _Fallback
        seen.add(tag)
        if tag == f"{_ATOM}author":
            entry.update(_atom_author(child, utf8))
            continue
        if len(child):
            raise _Fallback
        if tag == f"{_ATOM}title":
            entry["title"] = _atom_text(child, utf8)
        elif tag == f"{_ATOM}summary":
            entry["summary"] = _atom_text(child, utf8)
        elif tag == f"{_ATOM}content":
            if child.get("src") is not None:
                raise _Fallback
            value = _atom_text(child, utf8)
            entry["content"] = [{"value": value}]
        elif tag == f"{_ATOM}link":
            rel = child.get("rel", "alternate")
            kind = child.get("type", "application/atom+xml" if rel == "self" else "text/html")
            href = child.get("href")
            if href is not None and rel == "alternate" and kind in _HTML_TYPES:
                link = href  # the last one, as feedparser
            elif href is None:
                raise _Fallback
        elif tag == f"{_ATOM}id":
            ident = _text(child, utf8)
        elif tag == f"{_ATOM}published":
            entry["published"] = _text(child, utf8)
        elif tag == f"{_ATOM}updated":
            entry["updated"] = _text(child, utf8)
        elif tag not in _ATOM_IGNORED:
            _unknown(child)
    if "summary" not in entry and "content" in entry:
        entry["summary"] = entry["content"][0]["value"]
    if ident is not None:
        entry["id"] = _resolve(base, ident) if ident else ident  # an Atom id is a "permalink" to feedparser
    if link is not None:
        entry["link"] = _resolve(base, link)
    elif ident is not None:
        entry["link"] = entry["id"]  # feedparser takes the id for the link when no alternate link comes
    _dates(entry)
    return entry


def _atom_text(element: Any, utf8: bool) -> str:
    kind = element.get("type", "text")
    if kind not in ("text", "html") or element.get("mode") is not None:
        raise _Fallback  # XHTML, MIME types, Atom 0.3 modes: feedparser's
    return _text(element, utf8)


def _atom_author(element: Any, utf8: bool) -> dict[str, str]:
    name = email = None
    for child in element:
        if not isinstance(child.tag, str):
            continue
        if len(child):
            raise _Fallback
        if child.tag == f"{_ATOM}name":
            name = _text(child, utf8)
        elif child.tag == f"{_ATOM}email":
            email = _text(child, utf8)
        elif child.tag != f"{_ATOM}uri":
            raise _Fallback
    if name and email:
        return {"author": f"{name} ({email})"}
    if name or email:
        return {"author": name or email or ""}
    return {}


# --- what feedparser does to every value ----------------------------------------------------------------------


def _unknown(element: Any) -> None:
    """An element this reader does not take: harmless only in a namespace feedparser knows nothing of."""
    from feedparser.mixin import _FeedParserMixin

    namespace = etree.QName(element).namespace
    known = _FeedParserMixin.namespaces
    if namespace is None or namespace in known or namespace.lower() in known:
        raise _Fallback
    if element.prefix and element.prefix.lower() in _known_prefixes():
        raise _Fallback  # feedparser dispatches on the prefix the document wrote
    if len(element):
        raise _Fallback


_PREFIXES: set[str] = set()


def _known_prefixes() -> set[str]:
    if not _PREFIXES:
        from feedparser.mixin import _FeedParserMixin

        _PREFIXES.update(p.lower() for p in _FeedParserMixin.namespaces.values() if p)
    return _PREFIXES


def _text(element: Any, utf8: bool) -> str:
    value = (element.text or "").strip()
    if value.isascii():
        return value
    if utf8:
        with contextlib.suppress(UnicodeError):  # feedparser undoes UTF-8 read as ISO-8859-1 and encoded again
            value = value.encode("iso-8859-1").decode("utf-8")
    if _C1.search(value):  # and maps C1 controls to the characters Windows-1252 puts there
        from feedparser.mixin import _cp1252

        value = value.translate(_cp1252)
    return value


def _link(base: str | None, value: str) -> str:
    # resolved first, then feedparser's repair of links whose "&" was read as an entity
    return _ENTITY_IN_LINK.sub(r"&\g<1>", _resolve(base, value).replace("&amp;", "&"))


def _resolve(base: str | None, value: str) -> str:
    if not value or PLAIN_URL.match(value):
        return value  # what feedparser's join gives back unchanged (a third of the reader's time, skipped)
    from feedparser.urls import _urljoin

    return str(_urljoin(base or "", value))


def _dates(entry: dict[str, Any]) -> None:
    from feedparser.datetimes import _parse_date

    for key in ("published", "updated"):
        if key in entry:
            entry[f"{key}_parsed"] = _parse_date(entry[key])
