"""A stand-in Mastodon instance: statuses with Idempotency-Key, async media processing, limits, rate limits.

It follows Mastodon's documented contract (docs.joinmastodon.org and the server code it cites), not the adapter:
``Authorization: Bearer`` or 401 ``{"error": ...}``; ``POST /api/v1/statuses`` (JSON or form) counted as Mastodon's
``StatusLengthValidator`` does (spoiler + text in graphemes, URLs as ``characters_reserved_per_url``, mentions
without their domain), 422 over the limit; a repeated ``Idempotency-Key`` within the hour returns the first status;
``POST /api/v2/media`` answers 202 with ``url: null`` and ``GET /api/v1/media/:id`` answers 206 until processed;
unprocessed media in a status is a 422; the statuses family is rate limited with 429 and ``X-RateLimit-*``.
``stricter_by`` makes it an instance that refuses statuses that many characters under the limit it advertises and
names (one that counts something heavier than documented).
Injected faults apply to ``POST /api/v1/statuses`` only.
"""

from __future__ import annotations

import itertools
import re
import time
import unicodedata
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from aiohttp import web

from tests.fakes.server import StandIn

__all__ = ["FakeMastodon"]

_URL = re.compile(r"https?://[!-~]*[A-Za-z0-9/=#&%~+_-]")
_MENTION = re.compile(r"(?<![\w@])@(\w+)@[\w.-]+\w")


def _grapheme_length(text: str) -> int:
    """Grapheme clusters, approximately: marks, ZWJ sequences, skin tones and flag pairs join their base."""
    count, previous, flag_half = 0, "", False
    for ch in text:
        cp = ord(ch)
        is_flag = 0x1F1E6 <= cp <= 0x1F1FF
        extends = (
            unicodedata.category(ch).startswith("M")
            or ch == "\u200d"
            or 0x1F3FB <= cp <= 0x1F3FF
            or 0xE0020 <= cp <= 0xE007F
            or (previous == "\u200d" and cp >= 0x1F000)
            or (is_flag and flag_half)
        )
        flag_half = is_flag and not flag_half and not extends
        if not extends:
            count += 1
        previous = ch
    return count


class FakeMastodon(StandIn):
    kind = "mastodon"
    fault_after: ClassVar[dict[str, float]] = {"rate_limit": 2.0}

    def __init__(
        self,
        *,
        token: str = "mastodon-token-7f3a",
        acct: str = "news",
        max_characters: int = 500,
        characters_reserved_per_url: int = 23,
        max_media_attachments: int = 4,
        processing_polls: int = 1,
        statuses_per_window: int = 300,
        window_seconds: int = 3 * 3600,
        scopes: tuple[str, ...] = ("read", "write"),
        stricter_by: int = 0,
    ) -> None:
        super().__init__()
        self.token, self.acct = token, acct
        self.reads_down = False  # GET /api/v1/statuses/{id} answers 503 (the instance is down for maintenance)
        self.max_characters = max_characters
        self.url_weight = characters_reserved_per_url
        self.max_media = max_media_attachments
        self.processing_polls = processing_polls  # GET /api/v1/media/:id answers 206 this many times
        self.statuses_per_window, self.window_seconds = statuses_per_window, window_seconds
        self.scopes = scopes  # without "write", posting answers 403 as a read-only token does
        self.stricter_by = stricter_by
        self.media: dict[str, dict[str, Any]] = {}
        self.statuses: dict[str, dict[str, Any]] = {}  # id -> status, while not deleted
        self._idempotency: dict[str, tuple[float, dict[str, Any]]] = {}  # per account: key -> (time, status)
        self._ids = itertools.count(110_000_000_000_000_001)
        self._posted_at: list[float] = []

    def routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/api/v2/instance", self._instance)
        router.add_get("/api/v1/accounts/verify_credentials", self._verify)
        router.add_post("/api/v2/media", self._upload)
        router.add_get("/api/v1/media/{id}", self._get_media)
        router.add_post("/api/v1/statuses", self._post_status)
        router.add_get("/api/v1/statuses/{id}", self._get_status)

    def channel_options(self, base_url: str) -> tuple[dict[str, Any], dict[str, str]]:
        options = {"instance": base_url, "token_env": "MASTODON_TOKEN", "timeout": 0.3, "media_poll_interval": 0.01}
        return options, {"MASTODON_TOKEN": self.token}

    def delete(self, status_id: str) -> None:
        """The account (or a moderator) deletes the status: GET then answers 404."""
        del self.statuses[status_id]

    def engage(self, status_id: str, *, favourites: int = 0, reblogs: int = 0, replies: int = 0) -> None:
        """Other accounts favourite, boost and reply to the status."""
        status = self.statuses[status_id]
        status["favourites_count"] += favourites
        status["reblogs_count"] += reblogs
        status["replies_count"] += replies

    # --- helpers ---------------------------------------------------------------------------------------------------

    def _authorised(self, request: web.Request) -> bool:
        self.requests.append((request.method, request.path, dict(request.headers)))
        return request.headers.get("Authorization") == f"Bearer {self.token}"

    @staticmethod
    def _error(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
        return web.json_response({"error": message}, status=status, headers=headers)

    def _rate_headers(self, reset_in: float) -> dict[str, str]:
        reset = datetime.now(UTC) + timedelta(seconds=reset_in)
        return {
            "X-RateLimit-Limit": str(self.statuses_per_window),
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": reset.isoformat(timespec="microseconds"),
        }

    def length(self, text: str, spoiler: str = "") -> int:
        text = _URL.sub("x" * self.url_weight, text)
        text = _MENTION.sub(lambda m: "@" + m.group(1), text)
        return _grapheme_length(spoiler + text)

    # --- endpoints ---------------------------------------------------------------------------------------------------

    async def _instance(self, request: web.Request) -> web.Response:
        statuses = {
            "max_characters": self.max_characters,
            "max_media_attachments": self.max_media,
            "characters_reserved_per_url": self.url_weight,
        }
        return web.json_response({"domain": request.host, "configuration": {"statuses": statuses}})

    async def _verify(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return self._error(401, "The access token is invalid")
        return web.json_response({"id": "1", "username": self.acct, "acct": self.acct})

    async def _upload(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return self._error(401, "The access token is invalid")
        form = await request.post()
        upload = form.get("file")
        if not isinstance(upload, web.FileField) or not upload.content_type.startswith("image/"):
            return self._error(422, "Validation failed: File content type is invalid, File is invalid")
        description = form.get("description")
        if isinstance(description, str) and len(description) > 1500:
            return self._error(422, "Validation failed: Description is too long (maximum is 1500 characters)")
        media_id = str(next(self._ids))
        data = upload.file.read()
        self.media[media_id] = {
            "id": media_id,
            "type": "image",
            "size": len(data),
            "polls": self.processing_polls,
            "description": description if isinstance(description, str) else None,
        }
        processing = self.processing_polls > 0
        return web.json_response(self._media_json(media_id, request), status=202 if processing else 200)

    def _media_json(self, media_id: str, request: web.Request) -> dict[str, Any]:
        ready = self.media[media_id]["polls"] <= 0
        url = f"http://{request.host}/system/media/{media_id}.png" if ready else None
        return {"id": media_id, "type": "image", "url": url, "preview_url": f"http://{request.host}/p/{media_id}"}

    async def _get_media(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return self._error(401, "The access token is invalid")
        media = self.media.get(request.match_info["id"])
        if media is None:
            return self._error(404, "Record not found")
        if media["polls"] > 0:
            media["polls"] -= 1
            return web.Response(status=206)
        return web.json_response(self._media_json(media["id"], request))

    async def _post_status(self, request: web.Request) -> web.StreamResponse:
        fault = self.next_fault()
        if fault == "rate_limit":
            return self._error(429, "Too many requests", self._rate_headers(2))
        if fault == "unavailable":
            return web.Response(status=503, text="<html>503 Service Unavailable</html>")
        if fault == "server_error":
            return self._error(500, "We're sorry, but something went wrong on our end.")
        if fault == "auth" or not self._authorised(request):
            return self._error(401, "The access token is invalid")
        if "write" not in self.scopes:
            return self._error(403, "This action is outside the authorized scopes")
        if request.content_type == "application/json":
            params = await request.json()
        else:
            form = await request.post()
            params = {k: v for k, v in form.items() if not k.startswith("media_ids")}
            params["media_ids"] = form.getall("media_ids[]", [])
        key = request.headers.get("Idempotency-Key")
        now = time.monotonic()
        if key and key in self._idempotency and now - self._idempotency[key][0] < 3600:
            return web.json_response(self._idempotency[key][1])  # the first status, as PostStatusService does
        self._posted_at = [t for t in self._posted_at if now - t < self.window_seconds]
        if len(self._posted_at) >= self.statuses_per_window:
            reset_in = self.window_seconds - (now - self._posted_at[0])
            return self._error(429, "Too many requests", self._rate_headers(reset_in))
        refusal = self._validate(params)
        if refusal:
            return self._error(422, f"Validation failed: {refusal}")
        self._posted_at.append(now)
        status = self._create(params, request.host)
        if key:
            self._idempotency[key] = (now, status)
        return await self.misbehave(fault, request, web.json_response(status), '{"id": "')

    async def _get_status(self, request: web.Request) -> web.Response:
        # a public status is readable without a token; a deleted one is 404, as for one never made
        self.requests.append((request.method, request.path, dict(request.headers)))
        if self.reads_down:
            return self._error(503, "Service Unavailable")
        status = self.statuses.get(request.match_info["id"])
        if status is None:
            return self._error(404, "Record not found")
        return web.json_response(status)

    def _validate(self, params: dict[str, Any]) -> str | None:
        text, media_ids = str(params.get("status") or ""), list(params.get("media_ids") or [])
        if not text.strip() and not media_ids:
            return "Text can't be blank"
        if self.length(text, str(params.get("spoiler_text") or "")) > self.max_characters - self.stricter_by:
            return f"Text character limit of {self.max_characters} exceeded"
        if params.get("visibility", "public") not in ("public", "unlisted", "private", "direct"):
            return "Visibility is not included in the list"
        if len(media_ids) > self.max_media:
            return f"Cannot attach more than {self.max_media} files"
        for media_id in media_ids:
            media = self.media.get(str(media_id))
            if media is None or media.get("status_id"):
                return "Media attachments are invalid"
            if media["polls"] > 0:
                return "Cannot attach files that have not finished processing. Try again in a moment!"
        return None

    def _create(self, params: dict[str, Any], host: str) -> dict[str, Any]:
        status_id = str(next(self._ids))
        media_ids = [str(m) for m in params.get("media_ids") or []]
        for media_id in media_ids:
            self.media[media_id]["status_id"] = status_id
        status = {
            "id": status_id,
            "created_at": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "url": f"http://{host}/@{self.acct}/{status_id}",
            "uri": f"http://{host}/users/{self.acct}/statuses/{status_id}",
            "visibility": params.get("visibility", "public"),
            "language": params.get("language"),
            "spoiler_text": params.get("spoiler_text") or "",
            "text": params.get("status") or "",
            "media_attachments": [{"id": m, "type": "image"} for m in media_ids],
            "favourites_count": 0,
            "reblogs_count": 0,
            "replies_count": 0,
        }
        self.statuses[status_id] = status
        self.accepted.append(status)
        return status
