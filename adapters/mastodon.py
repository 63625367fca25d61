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
import re
import time
from collections.abc import Mapping
from datetime import datetime
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
from adapters.media import NO_IMAGES, ImageSource
from adapters.text import URL, compose, fit_text, graphemes, markdown_to_text

# compose, fit_text, graphemes (adapters.text) lived here; still importable from here
__all__ = ["MastodonAdapter", "compose", "count_mastodon", "fit_text", "graphemes"]

_MENTION = re.compile(r"(?<![\w@])@(\w+)@[\w.-]+\w")
_VISIBILITIES = ("public", "unlisted", "private", "direct")
_STATUS_RATE = 300 / 180  # statuses: 300 per account per 3 hours (app/lib/rate_limiter.rb)


def count_mastodon(text: str, url_weight: int = 23) -> int:
    """Length as Mastodon counts it: grapheme clusters, each URL as ``url_weight``, ``@user@domain`` as ``@user``."""
    text = _MENTION.sub(r"@\1", URL.sub("x" * url_weight, text))
    return len(graphemes(text))


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
        self,
        name: str,
        options: Mapping[str, Any],
        *,
        client: httpx.AsyncClient,
        env: Mapping[str, str],
        images: ImageSource | None = None,
    ) -> None:
        self.name = name
        self.client = client
        self.images = images or NO_IMAGES
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
        image = await self.images.load(source)
        name = image.filename
        url = f"{self.instance}/api/v2/media"
        try:
            response = await self.client.post(
                url, files={"file": (name, image.data, image.mime)}, headers=self._headers(), timeout=self.timeout
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
