"""The ``mastodon`` channel: post a status (with up to four images) to one account on one instance.

Mastodon drops a repeated ``Idempotency-Key`` for one hour per account and answers with the first status, so a send
whose answer was lost is simply sent again (``idempotency = "native"``). The character limit and the weight of a URL
belong to the instance: ``refresh_limits()`` reads them from ``/api/v2/instance`` when the daemon starts, and the
``max_characters`` / ``characters_reserved_per_url`` options give the values used until then (500 and 23).
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
import re
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar

import httpx

from adapters.base import (
    Capabilities,
    ChannelAdapter,
    Idempotency,
    Limits,
    Payload,
    PostContent,
    ReadBack,
    Receipt,
    read_back_safely,
)
from adapters.errors import AdapterConfigError, ChannelError, CredentialsRejected, Permanent, Retryable, Uncertain
from adapters.http import parse_retry_after, raise_for_transport, status_error
from adapters.options import Option, timeout
from adapters.text import URL, compose, fit_text, graphemes, markdown_to_text

# compose, fit_text, graphemes (adapters.text) lived here; still importable from here
__all__ = ["MastodonAdapter", "compose", "count_mastodon", "fit_text", "graphemes"]

_MENTION = re.compile(r"(?<![\w@])@(\w+)@[\w.-]+\w")
_VISIBILITIES = ("public", "unlisted", "private", "direct")
_LOG = logging.getLogger(__name__)
_STATUS_RATE = 300 / 180  # statuses: 300 per account per 3 hours (app/lib/rate_limiter.rb)
#: the refusal of a status over the limit, in English or Chinese ("character limit of 500 exceeded")
_TOO_LONG = re.compile(r"character limit|too long|字的限制|字数|字數", re.IGNORECASE)


def cut_margin(limit: int) -> int:
    """How far under ``limit`` a post that must be cut is cut: 2%, at least 5 (a server may count a little
    stricter than it says; a cut to the last character was refused)."""
    return max(5, limit // 50)


#: after a refusal as too long, the one retry is cut to this share of the refused length (or of the named limit)
RETRY_SHARE = 0.9


def count_mastodon(text: str, url_weight: int = 23) -> int:
    """Length as Mastodon counts it: grapheme clusters, each URL as ``url_weight``, ``@user@domain`` as ``@user``."""
    text = _MENTION.sub(r"@\1", URL.sub("x" * url_weight, text))
    return len(graphemes(text))


# --- the adapter -------------------------------------------------------------------------------------------------


def _language(value: str) -> str:
    if not re.fullmatch(r"[a-z]{2}", value):
        raise ValueError(f'must be an ISO 639-1 code such as "zh" or "en", got {value!r}')
    return value


def _tuning(name: str, kind: type[int] | type[float], default: int, help: str) -> Option:
    """A positive number with a working default, which the example config shows set to that default."""
    return Option(name=name, type=kind, default=kind(default), positive=True, help=help, example=default)


class MastodonAdapter(ChannelAdapter):
    kind: ClassVar[str] = "mastodon"
    options: ClassVar[tuple[Option, ...]] = (
        Option(name="instance", url=True, help="The instance the account lives on.", example="https://mastodon.social"),
        Option(
            name="token_env",
            help="The environment variable holding the account's access token (scopes write:statuses and "
            "write:media; add read:accounts if you want `check` to name the account). Never the token itself.",
            example="MASTODON_TOKEN",
        ),
        Option(
            name="visibility",
            default="public",
            choices=_VISIBILITIES,
            help="public, unlisted, private (followers only) or direct.",
            example="public",
        ),
        Option(
            name="language",
            default=None,
            check=_language,
            help="ISO 639-1 language of the posts; leave it out to let the instance guess.",
            example="zh",
        ),
        Option(
            name="spoiler_text",
            default="",
            help="A content warning shown before every post; it counts against the character limit. Leave it out "
            "for none.",
            example="学校新闻",
            commented=True,
        ),
        _tuning(
            "max_characters",
            int,
            500,
            "The longest post in characters, used until the daemon reads the instance's real value from "
            "/api/v2/instance at start (Mastodon's default).",
        ),
        _tuning(
            "characters_reserved_per_url",
            int,
            23,
            "The characters a link counts as, used until the daemon reads the instance's real value from "
            "/api/v2/instance at start (Mastodon's default).",
        ),
        timeout(),
        _tuning("media_timeout", float, 60, "Seconds to wait for an uploaded image to finish processing."),
        _tuning("media_poll_interval", float, 1, "Seconds between two checks of an uploaded image."),
    )
    # platform_limits: the instance sets its own length
    capabilities: Capabilities = Capabilities(platform_limits=True, read_back=True)
    limits: Limits = Limits(
        max_length=500, count=count_mastodon, max_images=4, rate_per_minute=_STATUS_RATE, concurrency=2
    )
    idempotency: Idempotency = "native"

    def setup(self, config: dict[str, Any]) -> None:
        self.instance: str = config["instance"]
        self._token: str = config["token_env"]
        self.visibility: str = config["visibility"]
        self.language: str | None = config["language"]
        self.spoiler_text: str = config["spoiler_text"]
        self.timeout: float = config["timeout"]
        self.media_timeout: float = config["media_timeout"]
        self.media_poll_interval: float = config["media_poll_interval"]
        self._set_limits(config["max_characters"], config["characters_reserved_per_url"], self.limits.max_images)

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
        # a link keeps its URL ("查看 https://…"): plain text has nowhere else to show it; it counts as url_weight
        body, link = markdown_to_text(post.body, link_targets=True), post.link or ""
        tags = " ".join(f"#{tag}" for tag in (re.sub(r"\W", "", t) for t in post.tags) if tag)
        if count(tags) > limit // 4:  # hashtags may take a quarter of the post, never crowd the body out
            tags = ""
        parts = {"title": post.title, "body": body, "tails": [_join("", link, tags), link]}
        whole = _join(post.title, body, parts["tails"][0])
        text = whole if count(whole) <= limit else self._cut(parts, limit - cut_margin(limit))
        data: dict[str, Any] = {"status": text, "visibility": self.visibility}
        data["images"] = list(post.images[: self.limits.max_images])
        if self.language:
            data["language"] = self.language
        if self.spoiler_text:
            data["spoiler_text"] = self.spoiler_text
        data["parts"] = parts  # not sent: what a shorter cut is made from if the instance refuses this one
        return Payload(text=text, data=data)

    def _cut(self, parts: Mapping[str, Any], room: int) -> str:
        """The post cut to at most ``room`` characters, the link kept whole."""
        text = compose(parts["title"], parts["body"], parts["tails"], _join, lambda t: self.limits.count(t) <= room)
        if text is None:
            raise Permanent(f"the link alone is over the {room}-character limit of {self.instance}")
        return text

    def _shorter(self, parts: Mapping[str, Any], refused: str, message: str) -> tuple[str, int]:
        """A cut of the post shorter than the refused ``refused``: RETRY_SHARE of its length, or of the limit the
        refusal names (less the content warning) when that is smaller."""
        room = self.limits.count(refused)
        named = re.search(r"\d+", message)
        if named:
            room = min(room, int(named.group()) - self.limits.count(self.spoiler_text))
        room = max(1, int(room * RETRY_SHARE))
        return self._cut(parts, room), room

    async def publish(self, payload: Payload, key: str) -> Receipt:
        media_ids = [await self._upload(source) for source in payload.data.get("images", ())]
        body = {k: v for k, v in payload.data.items() if k not in ("images", "parts")}
        if media_ids:
            body["media_ids"] = media_ids
        # the same key on every retry: Mastodon answers a repeat within the hour with the first status
        headers = {**self._headers(), "Idempotency-Key": hashlib.sha256(key.encode()).hexdigest()}
        response = await self._post_status(body, headers)
        parts = payload.data.get("parts")
        if response.status_code == 422 and parts and _TOO_LONG.search(message := _message(response)):
            # an instance stricter than it says: one shorter cut (a refused status was not created, and its
            # Idempotency-Key was not taken), never a second
            body["status"], room = self._shorter(parts, str(body["status"]), message)
            _LOG.warning(
                "mastodon channel %s: %s refused the status as too long; cut to %d", self.name, self.instance, room
            )
            response = await self._post_status(body, headers)
            if response.status_code != 200:
                raise _error(response, f"posting the status cut to {room} characters after a first refusal ({message})")
        if response.status_code != 200:
            raise _error(response, "posting the status")
        try:
            status = response.json()
            remote_id = str(status["id"])
        except (ValueError, KeyError, TypeError) as exc:
            raise Uncertain("Mastodon answered 200 without a readable status; the post may exist") from exc
        url = status.get("url") or status.get("uri")
        return Receipt(remote_id=remote_id, url=url if isinstance(url, str) else None, details={"media_ids": media_ids})

    async def _post_status(self, body: Mapping[str, Any], headers: Mapping[str, str]) -> httpx.Response:
        try:
            return await self.client.post(
                f"{self.instance}/api/v1/statuses", json=dict(body), headers=dict(headers), timeout=self.timeout
            )
        except httpx.TransportError as exc:
            raise raise_for_transport(exc) from exc

    async def _upload(self, source: str) -> str:
        """Upload one image and wait until it is processed; nothing is posted yet, so every failure can be retried."""
        image = await self.images.load(source)
        name = image.filename
        url = f"{self.instance}/api/v2/media"
        try:
            response = await self.client.post(
                url,
                files={"file": (name, image.data, image.mime)},
                data={"description": image.alt[:1500]} if image.alt else None,  # read aloud by screen readers
                headers=self._headers(),
                timeout=self.timeout,
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

    async def read_back(self, sent: Receipt, key: str) -> ReadBack:
        """Whether the status still exists (404 or 410: deleted, by the account or a moderator), and its
        favourites, boosts and replies."""
        return await read_back_safely(self._read_back(sent))

    async def _read_back(self, sent: Receipt) -> ReadBack:
        status_id = sent.remote_id or ""
        if not status_id.isdigit():
            return ReadBack.unknown(f"no Mastodon status id was kept for this delivery ({status_id!r})")
        try:
            response = await self.client.get(
                f"{self.instance}/api/v1/statuses/{status_id}", headers=self._headers(), timeout=self.timeout
            )
        except httpx.TransportError as exc:
            raise raise_for_transport(exc) from exc
        if response.status_code in (404, 410):
            return ReadBack(
                state="gone", detail=f"status {status_id} no longer exists on {self.instance}: {_message(response)}"
            )
        if response.status_code != 200:
            raise _error(response, "reading the status back")
        status = response.json()
        counters = {"favourites": "favourites_count", "reblogs": "reblogs_count", "replies": "replies_count"}
        metrics = {name: int(status[field]) for name, field in counters.items() if isinstance(status.get(field), int)}
        url = status.get("url") or status.get("uri")
        return ReadBack(
            state="online",
            detail=f"status {status_id} is on {self.instance} ({status.get('visibility', 'public')})",
            metrics=metrics,
            url=url if isinstance(url, str) else sent.url,
        )

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
        # the limits read from the instance, not the configured ones
        return {
            **super().describe(),
            "max_characters": self.max_characters,
            "characters_reserved_per_url": self.url_weight,
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


def _message(response: httpx.Response) -> str:
    """The error Mastodon gives in its body, ``{"error": "..."}``."""
    try:
        return str(response.json()["error"])
    except (ValueError, KeyError, TypeError):
        return response.text[:200] or response.reason_phrase


def _error(response: httpx.Response, doing: str) -> ChannelError:
    """Mastodon's reading of an error status."""
    message = _message(response)
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
