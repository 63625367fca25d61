"""The ``mastodon`` channel: post a status (with up to four images) to one account on one instance.

Mastodon drops a repeated ``Idempotency-Key`` for one hour per account and answers with the first status, so a send
whose answer was lost is simply sent again (``idempotency = "native"``). The character limit and the weight of a URL
belong to the instance: ``refresh_limits()`` reads them from ``/api/v2/instance`` when the daemon starts, and the
``max_characters`` / ``characters_reserved_per_url`` options give the values used until then (500 and 23).

The module also holds helpers the Weibo adapter shares: ``graphemes``, ``fit_text``, ``compose`` and ``load_image``.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import itertools
import re
import time
import unicodedata
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

import httpx

from adapters.base import (
    AdapterConfigError,
    ChannelError,
    CredentialsRejected,
    Idempotency,
    Limits,
    Payload,
    Permanent,
    PostContent,
    Receipt,
    Retryable,
    Uncertain,
    parse_retry_after,
    raise_for_transport,
    require_option,
    secret_from_env,
    status_error,
)
from adapters.text import markdown_to_text

__all__ = ["MastodonAdapter", "compose", "count_mastodon", "fit_text", "graphemes", "load_image"]

#: a URL as microblogs detect it: a scheme, then printable ASCII (CJK text right after a link is not part of it)
URL = re.compile(r"https?://[!-~]*[\w/=#&%~+-]", re.ASCII)  # ends before trailing punctuation
_MENTION = re.compile(r"(?<![\w@])@(\w+)@[\w.-]+\w")
_VISIBILITIES = ("public", "unlisted", "private", "direct")
_STATUS_RATE = 300 / 180  # statuses: 300 per account per 3 hours (app/lib/rate_limiter.rb)


# --- text helpers ------------------------------------------------------------------------------------------------


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


def count_mastodon(text: str, url_weight: int = 23) -> int:
    """Length as Mastodon counts it: grapheme clusters, each URL as ``url_weight``, ``@user@domain`` as ``@user``."""
    text = _MENTION.sub(r"@\1", URL.sub("x" * url_weight, text))
    return len(graphemes(text))


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


_MAGIC = {b"\x89PNG": "image/png", b"\xff\xd8\xff": "image/jpeg", b"GIF8": "image/gif"}


def _sniff(data: bytes) -> str | None:
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return next((mime for magic, mime in _MAGIC.items() if data.startswith(magic)), None)


async def load_image(client: httpx.AsyncClient, source: str, timeout: float) -> tuple[str, bytes, str]:
    """``(file name, bytes, MIME type)`` of an image given as a local path, ``file://`` or ``http(s)://`` URL.

    Nothing has been posted yet when this fails, so a fetch problem is ``Retryable`` and a missing file ``Permanent``.
    """
    name = source.rstrip("/").rsplit("/", 1)[-1] or "image"
    if source.startswith(("http://", "https://")):
        try:
            response = await client.get(source, timeout=timeout, follow_redirects=True)
        except httpx.TransportError as exc:
            raise Retryable(f"could not fetch the image {source}: {type(exc).__name__}") from exc
        if response.status_code >= 400:
            error = status_error(response, f"fetching the image {source}")
            raise Retryable(error.reason) if isinstance(error, Uncertain) else error
        data = response.content
    else:
        path = Path(source.removeprefix("file://"))
        try:
            data = await asyncio.to_thread(path.read_bytes)
        except OSError as exc:
            raise Permanent(f"cannot read the image {source}: {exc.strerror or exc}") from exc
    mime = _sniff(data)
    if mime is None:
        raise Permanent(f"{source} is not a PNG, JPEG, GIF or WebP image")
    return name, data, mime


# --- the adapter -------------------------------------------------------------------------------------------------


def _positive(options: Mapping[str, Any], key: str, default: float) -> float:
    value = options.get(key, default)
    if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
        raise AdapterConfigError(key, f"must be a positive number, got {value!r}")
    return float(value)


class MastodonAdapter:
    kind: ClassVar[str] = "mastodon"
    limits: Limits = Limits(
        max_length=500, count=count_mastodon, max_images=4, rate_per_minute=_STATUS_RATE, concurrency=2
    )
    idempotency: Idempotency = "native"

    def __init__(
        self, name: str, options: Mapping[str, Any], *, client: httpx.AsyncClient, env: Mapping[str, str]
    ) -> None:
        self.name = name
        self.client = client
        self.instance = require_option(options, "instance").rstrip("/")
        if not self.instance.startswith(("http://", "https://")):
            raise AdapterConfigError(
                "instance", f'must be the instance URL, e.g. "https://mastodon.social", got {self.instance!r}'
            )
        self.token_env = require_option(options, "token_env")
        self._token = secret_from_env(options, "token_env", env)
        self.visibility = options.get("visibility", "public")
        if self.visibility not in _VISIBILITIES:
            raise AdapterConfigError(
                "visibility", f"must be one of {', '.join(_VISIBILITIES)}, got {self.visibility!r}"
            )
        self.language = options.get("language")
        if self.language is not None and not (
            isinstance(self.language, str) and re.fullmatch(r"[a-z]{2}", self.language)
        ):
            raise AdapterConfigError(
                "language", f'must be an ISO 639-1 code such as "zh" or "en", got {self.language!r}'
            )
        self.spoiler_text = options.get("spoiler_text", "")
        if not isinstance(self.spoiler_text, str):
            raise AdapterConfigError("spoiler_text", f"must be text (the content warning), got {self.spoiler_text!r}")
        self.timeout = _positive(options, "timeout", 10)
        self.media_timeout = _positive(options, "media_timeout", 60)
        self.media_poll_interval = _positive(options, "media_poll_interval", 1)
        max_characters = options.get("max_characters", 500)
        url_weight = options.get("characters_reserved_per_url", 23)
        for key, value in (("max_characters", max_characters), ("characters_reserved_per_url", url_weight)):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise AdapterConfigError(key, f"must be a positive whole number, got {value!r}")
        self._set_limits(max_characters, url_weight, self.limits.max_images)

    def _set_limits(self, max_characters: int, url_weight: int, max_images: int) -> None:
        count = functools.partial(count_mastodon, url_weight=url_weight)
        room = max_characters - count(self.spoiler_text)  # the content warning counts against the same limit
        if room <= 0:
            raise AdapterConfigError("spoiler_text", f"leaves no room for the post within {max_characters} characters")
        self.max_characters, self.url_weight = max_characters, url_weight
        self.limits = Limits(
            max_length=room, count=count, max_images=max_images, rate_per_minute=_STATUS_RATE, concurrency=2
        )

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}"}

    async def refresh_limits(self) -> None:
        """Read the instance's character limit, URL weight and image count (the core calls this at start).

        Instances older than Mastodon 4.0 have no ``/api/v2/instance``; their ``/api/v1/instance`` has the same
        ``configuration.statuses``. On failure the configured limits stay and the error says why.
        """
        for version in ("v2", "v1"):
            try:
                response = await self.client.get(
                    f"{self.instance}/api/{version}/instance", headers=self._headers(), timeout=self.timeout
                )
            except httpx.TransportError as exc:
                raise Retryable(f"could not read the instance limits: {type(exc).__name__}") from exc
            if response.status_code != 404:
                break
        if response.status_code != 200:
            raise _error(response, "reading the instance limits")
        try:
            statuses = response.json()["configuration"]["statuses"]
            limits = (
                int(statuses["max_characters"]),
                int(statuses.get("characters_reserved_per_url", self.url_weight)),
                int(statuses.get("max_media_attachments", self.limits.max_images)),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise Permanent(f"{response.url} has no configuration.statuses limits") from exc
        self._set_limits(*limits)

    def render(self, post: PostContent) -> Payload:
        limit, count = self.limits.max_length or self.max_characters, self.limits.count

        def fits(text: str) -> bool:
            return count(text) <= limit

        body, link = markdown_to_text(post.body), post.link or ""
        tags = " ".join(f"#{tag}" for tag in (re.sub(r"\W", "", t) for t in post.tags) if tag)
        if count(tags) > limit // 4:  # hashtags may take a quarter of the post, never crowd the body out
            tags = ""
        text = compose(post.title, body, [_join("", link, tags), link], _join, fits)
        if text is None:
            raise Permanent(f"the link alone is over the {limit}-character limit of {self.instance}")
        data: dict[str, Any] = {"status": text, "visibility": self.visibility}
        data["images"] = list(post.images[: self.limits.max_images])
        if self.language:
            data["language"] = self.language
        if self.spoiler_text:
            data["spoiler_text"] = self.spoiler_text
        return Payload(text=text, data=data)

    async def publish(self, payload: Payload, key: str) -> Receipt:
        media_ids = [await self._upload(source) for source in payload.data.get("images", ())]
        body = {k: v for k, v in payload.data.items() if k != "images"}
        if media_ids:
            body["media_ids"] = media_ids
        # the same key on every retry: Mastodon answers a repeat within the hour with the first status
        headers = {**self._headers(), "Idempotency-Key": hashlib.sha256(key.encode()).hexdigest()}
        try:
            response = await self.client.post(
                f"{self.instance}/api/v1/statuses", json=body, headers=headers, timeout=self.timeout
            )
        except httpx.TransportError as exc:
            raise raise_for_transport(exc) from exc
        if response.status_code != 200:
            raise _error(response, "posting the status")
        try:
            status = response.json()
            remote_id = str(status["id"])
        except (ValueError, KeyError, TypeError) as exc:
            raise Uncertain("Mastodon answered 200 without a readable status; the post may exist") from exc
        url = status.get("url") or status.get("uri")
        return Receipt(remote_id=remote_id, url=url if isinstance(url, str) else None, details={"media_ids": media_ids})

    async def _upload(self, source: str) -> str:
        """Upload one image and wait until it is processed; nothing is posted yet, so every failure can be retried."""
        name, data, mime = await load_image(self.client, source, self.timeout)
        url = f"{self.instance}/api/v2/media"
        try:
            response = await self.client.post(
                url, files={"file": (name, data, mime)}, headers=self._headers(), timeout=self.timeout
            )
            if response.status_code not in (200, 202):
                raise _error(response, f"uploading the image {name}")
            media = response.json()
            url = f"{self.instance}/api/v1/media/{media['id']}"
            deadline = time.monotonic() + self.media_timeout
            while not media.get("url"):  # 202 and url null: processing; GET answers 206 until it is done
                if time.monotonic() > deadline:
                    raise Retryable(f"the image {name} was still processing after {self.media_timeout:g} s")
                await asyncio.sleep(self.media_poll_interval)
                response = await self.client.get(url, headers=self._headers(), timeout=self.timeout)
                if response.status_code not in (200, 206):
                    raise _error(response, f"processing the image {name}")
                media = response.json() if response.status_code == 200 else {}
            return str(media["id"])
        except Uncertain as exc:
            raise Retryable(exc.reason) from exc
        except httpx.TransportError as exc:
            raise Retryable(f"uploading the image {name}: {type(exc).__name__}") from exc
        except (ValueError, KeyError, TypeError) as exc:
            raise Retryable(f"unreadable answer while uploading the image {name}") from exc

    async def lookup(self, key: str) -> Receipt | None:
        raise NotImplementedError("Mastodon drops repeated Idempotency-Key values; no lookup is needed")

    async def check(self) -> str:
        try:
            response = await self.client.get(
                f"{self.instance}/api/v1/accounts/verify_credentials", headers=self._headers(), timeout=self.timeout
            )
        except httpx.TransportError as exc:
            raise raise_for_transport(exc) from exc
        if response.status_code == 403:  # a write-only token may still post; say what check needs
            raise CredentialsRejected("verify_credentials needs the read:accounts (or profile) scope on the token")
        if response.status_code != 200:
            raise _error(response, "verifying the token")
        try:
            acct = response.json()["acct"]
        except (ValueError, KeyError, TypeError) as exc:
            raise Permanent(f"{self.instance} answered verify_credentials without an account") from exc
        return f"token accepted for @{acct} on {self.instance}; posts up to {self.limits.max_length} characters"

    def describe(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "instance": self.instance,
            "token_env": self.token_env,
            "visibility": self.visibility,
            "language": self.language,
            "spoiler_text": self.spoiler_text,
            "max_characters": self.max_characters,
            "characters_reserved_per_url": self.url_weight,
            "timeout": self.timeout,
        }


def _join(title: str, body: str, tail: str) -> str:
    return "\n\n".join(part for part in (title.strip(), body, tail) if part)


def _rate_wait(response: httpx.Response) -> float | None:
    """Seconds until the limit resets: ``Retry-After`` if given, else the ISO time in ``X-RateLimit-Reset``."""
    after = parse_retry_after(response.headers.get("Retry-After"))
    if after is not None:
        return after
    try:
        reset = datetime.fromisoformat(response.headers.get("X-RateLimit-Reset", ""))
    except ValueError:
        return None
    return max(0.0, reset.timestamp() - time.time())


def _error(response: httpx.Response, doing: str) -> ChannelError:
    """Mastodon's reading of an error status; its body is ``{"error": "..."}``."""
    try:
        message = str(response.json()["error"])
    except (ValueError, KeyError, TypeError):
        message = response.text[:200] or response.reason_phrase
    status = response.status_code
    if status == 401:
        return CredentialsRejected(
            f"Mastodon refused the access token while {doing} (HTTP 401: {message}); create a new one"
        )
    if status == 403:
        return CredentialsRejected(
            f"Mastodon refused while {doing} (HTTP 403: {message}): the token lacks write:statuses/write:media "
            "or the account is disabled"
        )
    if status == 422:
        return Permanent(f"Mastodon refused {doing} (HTTP 422: {message})")
    if status == 429:
        return Retryable(f"rate limited while {doing}: {message}", after=_rate_wait(response))
    return status_error(response, f"{doing}: {message}")
