"""The ``matrix`` channel: post each report into one room through the client-server API.

The delivery's idempotency key is the transaction id of the text event (``PUT .../send/m.room.message/{txnId}``):
the homeserver answers a repeated transaction id with the first event instead of posting again, so a send whose
answer was lost is simply sent again (``idempotency = "native"``). That holds while the access token's device is
the same and, on Synapse, for a day. Images are uploaded to the content repository and follow as ``m.image`` events
whose transaction ids are derived from the key.

``Payload.text`` is the message's Markdown (the title in bold, the body, the link), which is also its plain
``body``; ``formatted_body`` is rendered from it. An event may be at most 65536 bytes of canonical JSON, so the
length counted is the content's size in UTF-8 bytes (``event_bytes``), with room kept for the envelope.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import quote

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
from adapters.errors import ChannelError, CredentialsRejected, Permanent, Retryable, Uncertain
from adapters.http import parse_retry_after, raise_for_transport, status_error
from adapters.media import LoadedImage
from adapters.options import Option, timeout
from adapters.text import markdown_to_html

__all__ = ["EVENT_LIMIT", "MatrixAdapter", "canonical_json", "event_bytes", "message_content"]

EVENT_LIMIT = 65536
#: what the homeserver adds around the content (ids, hashes, signatures, up to 20 prev_events) stays well under this
ENVELOPE_RESERVE = 4096
_IMG = re.compile(r'<img src="([^"]*)" alt="([^"]*)"[^>]*>')  # markdown-it's rendering of ![alt](src)


def canonical_json(value: Any) -> str:
    """Matrix canonical JSON: sorted keys, no spaces, UTF-8 kept as is."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def message_content(text: str, msgtype: str = "m.text") -> dict[str, Any]:
    """The ``m.room.message`` content for Markdown ``text``: the source as the plain body, as Element sends it."""
    return {
        "msgtype": msgtype,
        "body": text,
        "format": "org.matrix.custom.html",
        "formatted_body": _images_as_links(markdown_to_html(text)).strip(),
        "m.mentions": {},  # an intentional-mentions event: "@room" or a member's name in the text pings nobody
    }


def event_bytes(text: str, msgtype: str = "m.text") -> int:
    """The size of the event content sent for ``text``, as the homeserver measures it."""
    return len(canonical_json(message_content(text, msgtype)).encode("utf-8"))


def _room_id(value: str) -> str:
    if not value.startswith("!"):
        raise ValueError(f"must be a room ID starting with '!' (Element: Room settings > Advanced), got {value!r}")
    return value


class MatrixAdapter(ChannelAdapter):
    kind: ClassVar[str] = "matrix"
    options: ClassVar[tuple[Option, ...]] = (
        Option(
            name="homeserver",
            url=True,
            help="The homeserver's base URL (the client-server API), as shown in the account's settings.",
            example="https://matrix.example.org",
        ),
        Option(
            name="room_id",
            check=_room_id,
            help='The room\'s ID (Element: Room settings > Advanced > "Internal room ID"), not an alias like '
            "#parents:example.org. The account must have joined the room.",
            example="!kHqYdPkxlsHUtGXzAz:example.org",
        ),
        Option(
            name="access_token_env",
            help="The environment variable holding the account's access token. Never the token itself. Keep using "
            "the same token (the same device): the homeserver recognises a resent message by its transaction id only "
            "for that device.",
            example="MATRIX_ACCESS_TOKEN",
        ),
        Option(
            name="msgtype",
            default="m.text",
            choices=("m.text", "m.notice"),
            help='"m.text" (an ordinary message) or "m.notice" (a bot\'s message; some clients show it dimmed and '
            "never notify).",
            example="m.text",
        ),
        timeout(
            "Seconds to wait for an answer. A send whose answer is lost is sent again safely (same transaction id)."
        ),
    )
    limits: Limits = Limits(
        max_length=EVENT_LIMIT - ENVELOPE_RESERVE,
        count=event_bytes,
        unit="bytes of event content (canonical JSON)",
        max_images=10,
        rate_per_minute=12,  # Synapse's default rc_message: 0.2 a second, bursts of 10
        concurrency=1,  # one room: keep a post's text and images together and in order
    )
    idempotency: Idempotency = "native"
    capabilities: Capabilities = Capabilities(read_back=True)

    def setup(self, config: dict[str, Any]) -> None:
        self.homeserver: str = config["homeserver"]
        self.room_id: str = config["room_id"]
        self._token: str = config["access_token_env"]
        self.msgtype: str = config["msgtype"]
        self.timeout: float = config["timeout"]
        self.limits = dataclasses.replace(self.limits, count=functools.partial(event_bytes, msgtype=self.msgtype))
        self._uploaded: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {}  # (key, source) -> mxc URI, info

    def render(self, post: PostContent) -> Payload:
        title = " ".join(post.title.split())
        parts = [f"**{title}**" if title else "", post.body.strip(), f"<{post.link}>" if post.link else ""]
        text = "\n\n".join(part for part in parts if part)
        if not text:
            raise Permanent("the post has no title, text or link: a Matrix message needs some text")
        content = message_content(text, self.msgtype)
        return Payload(text=text, data={"content": content, "images": list(post.images)})

    async def publish(self, payload: Payload, key: str) -> Receipt:
        # every picture is read and checked before the text goes out: a refused one stops the whole post
        sources = [str(source) for source in payload.data.get("images", [])]
        loaded = {s: await self.images.load(s) for s in sources if (key, s) not in self._uploaded}
        event_id = await self._send(payload.data["content"], key)
        events, media = [event_id], []
        for number, source in enumerate(sources, start=1):
            uri, info = await self._upload(key, source, loaded)
            content = {"msgtype": "m.image", "body": info.pop("name"), "url": uri, "info": info, "m.mentions": {}}
            events.append(await self._send(content, f"{key}.image{number}"))
            media.append(uri)
        for source in payload.data.get("images", []):
            self._uploaded.pop((key, str(source)), None)  # kept only for resends of a send that failed
        link = f"https://matrix.to/#/{quote(self.room_id, safe='')}/{quote(event_id, safe='')}"
        return Receipt(
            remote_id=event_id, url=link, details={"room_id": self.room_id, "event_ids": events, "media": media}
        )

    async def lookup(self, key: str) -> Receipt | None:
        raise NotImplementedError("not needed: the homeserver drops a repeated transaction id")

    async def read_back(self, sent: Receipt, key: str) -> ReadBack:
        """Whether the text event is still in the room unredacted (a redaction, or an event no longer found: gone)."""
        return await read_back_safely(self._read_back(sent))

    async def _read_back(self, sent: Receipt) -> ReadBack:
        event_id = sent.remote_id or ""
        if not event_id.startswith("$"):
            return ReadBack.unknown(f"no Matrix event id was kept for this delivery ({event_id!r})")
        room = str(sent.details.get("room_id") or self.room_id)
        path = f"/_matrix/client/v3/rooms/{quote(room, safe='')}/event/{quote(event_id, safe='')}"
        try:
            event = await self._request("GET", path)
        except Permanent as exc:
            if "M_NOT_FOUND" not in exc.reason:
                raise
            # purged, or the account is no longer in the room: readers there cannot see it either way
            return ReadBack(state="gone", detail=f"event {event_id} is no longer found in {room}: {exc.reason}")
        because = _dict(_dict(event.get("unsigned")).get("redacted_because"))
        if because:
            reason = _dict(because.get("content")).get("reason")
            why = f" ({reason})" if reason else ""
            return ReadBack(state="gone", detail=f"event {event_id} was redacted by {because.get('sender', '?')}{why}")
        return ReadBack(state="online", detail=f"event {event_id} is in {room}", url=sent.url)

    async def check(self) -> str:
        whoami = await self._request("GET", "/_matrix/client/v3/account/whoami")
        rooms = await self._request("GET", "/_matrix/client/v3/joined_rooms")
        user = whoami.get("user_id", "?")
        if self.room_id not in rooms.get("joined_rooms", []):
            raise Permanent(f"{user} has not joined {self.room_id}: invite it to the room and accept the invitation")
        return f"logged in as {user} (device {whoami.get('device_id', '?')}), joined to {self.room_id}"

    async def _send(self, content: Mapping[str, Any], txn_id: str) -> str:
        room, txn = quote(self.room_id, safe=""), quote(txn_id, safe="")
        answer = await self._request("PUT", f"/_matrix/client/v3/rooms/{room}/send/m.room.message/{txn}", json=content)
        if not isinstance(answer.get("event_id"), str):
            raise Uncertain(f"the homeserver accepted the event but gave no event_id: {str(answer)[:200]}")
        return answer["event_id"]  # type: ignore[no-any-return]

    async def _upload(self, key: str, source: str, loaded: Mapping[str, LoadedImage]) -> tuple[str, dict[str, Any]]:
        """The mxc:// URI of an image (uploaded once per delivery while the daemon runs) and its ``info``."""
        if (key, source) in self._uploaded:
            known, info = self._uploaded[key, source]
            return known, dict(info)
        image = loaded[source]
        name = image.filename
        answer = await self._request(
            "POST",
            "/_matrix/media/v3/upload",
            params={"filename": name},
            content=image.data,
            headers={"Content-Type": image.mime},
        )
        content_uri = answer.get("content_uri")
        if not isinstance(content_uri, str) or not content_uri.startswith("mxc://"):
            raise Retryable(f"the upload of {name} gave no content_uri")  # an unused upload harms nobody
        info = {"name": name, "mimetype": image.mime, "size": len(image.data), "w": image.width, "h": image.height}
        self._uploaded[key, source] = (content_uri, info)
        return content_uri, dict(info)

    async def _request(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        headers = {**kwargs.pop("headers", {}), "Authorization": f"Bearer {self._token}"}
        try:
            response = await self.client.request(
                method, self.homeserver + path, headers=headers, timeout=self.timeout, **kwargs
            )
        except httpx.TransportError as exc:
            raise raise_for_transport(exc) from None
        except httpx.HTTPError as exc:
            raise Uncertain(f"{type(exc).__name__} from the homeserver") from None
        try:
            document = response.json()
        except ValueError:
            document = None
        if response.status_code == 200 and isinstance(document, dict):
            return document
        if response.status_code == 200:
            raise Uncertain("the homeserver answered 200 with no readable JSON")
        raise self._error(response, document if isinstance(document, dict) else {})

    def _error(self, response: httpx.Response, document: Mapping[str, Any]) -> ChannelError:
        status, errcode = response.status_code, str(document.get("errcode", ""))
        reason = f"{errcode or 'HTTP ' + str(status)}: {str(document.get('error', ''))[:200]}"
        if status == 429 or errcode == "M_LIMIT_EXCEEDED":
            after = parse_retry_after(response.headers.get("Retry-After"))  # preferred since v1.10
            if after is None and isinstance(document.get("retry_after_ms"), int | float):
                after = document["retry_after_ms"] / 1000
            return Retryable(f"rate limited: {reason}", after=after)
        if status == 401 or errcode in ("M_UNKNOWN_TOKEN", "M_MISSING_TOKEN"):
            hint = " (soft logout: log in again on the same device)" if document.get("soft_logout") else ""
            return CredentialsRejected(f"the homeserver refused the access token: {reason}{hint}")
        if status == 403:
            return Permanent(f"{reason}: has the account joined {self.room_id} and may it post there?")
        if status == 413 or errcode == "M_TOO_LARGE":
            return Permanent(f"too large for the homeserver: {reason}")
        return status_error(response, reason)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _images_as_links(rendered: str) -> str:
    # Matrix clients show only mxc:// images inline; a picture on the web becomes a link to it
    return _IMG.sub(lambda m: f'<a href="{m.group(1)}">{m.group(2) or m.group(1)}</a>', rendered)
