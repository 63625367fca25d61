"""A stand-in Matrix homeserver: room sends with transaction ids, media upload, whoami and joined_rooms.

Like the spec (and Synapse) it answers a repeated transaction id on the same endpoint, for the same access token,
with the first answer instead of posting again; refuses tokens with 401 ``M_UNKNOWN_TOKEN`` / ``M_MISSING_TOKEN``,
senders not in the room with 403 ``M_FORBIDDEN``, events over 65536 bytes of canonical JSON (envelope included)
with 413 ``M_TOO_LARGE``, and too many sends with 429 ``M_LIMIT_EXCEEDED`` plus ``Retry-After`` and
``retry_after_ms`` (a token bucket like Synapse's ``rc_message``: bursts of 10, then 0.2 a second).
It is stricter than Synapse in one way: an ``m.image`` must point at media uploaded here.
"""

from __future__ import annotations

import json
import math
import secrets
import time
from typing import Any, ClassVar

from aiohttp import web

from tests.fakes.server import StandIn

#: a good answer cut short, for the "malformed" fault
_GARBLED = '{"event_id": "$'
__all__ = ["ROOM", "TOKEN", "USER", "FakeMatrix"]

TOKEN = "syt_cHVibGlzaGVy_FakeAccessTokenForTests_0a1b2c"
USER = "@publisher:example.org"
ROOM = "!kHqYdPkxlsHUtGXzAz:example.org"
SERVER = "example.org"
EVENT_LIMIT = 65536


def canonical(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def _error(status: int, errcode: str, error: str, **extra: Any) -> web.Response:
    return web.json_response({"errcode": errcode, "error": error, **extra}, status=status)


class FakeMatrix(StandIn):
    kind = "matrix"
    fault_after: ClassVar[dict[str, float]] = {"rate_limit": 3.0}

    def __init__(
        self,
        *,
        tokens: dict[str, str] | None = None,
        rooms: dict[str, set[str]] | None = None,
        burst: int = 10,
        per_second: float = 0.2,
        retry_after_ms: int = 2500,
        retry_after_header: bool = True,
        max_upload: int = 50 * 1024 * 1024,
        files: dict[str, tuple[bytes, str]] | None = None,
    ) -> None:
        super().__init__()
        self.tokens = tokens if tokens is not None else {TOKEN: USER}
        self.rooms = rooms if rooms is not None else {ROOM: {USER}}
        self.burst, self.per_second = burst, per_second
        self.retry_after_ms, self.retry_after_header = retry_after_ms, retry_after_header
        self.max_upload = max_upload
        self.files = files or {}  # served at /files/<name>: pictures on an ordinary web server
        self.uploads: dict[str, tuple[bytes, str]] = {}
        self.events: dict[str, dict[str, Any]] = {}  # event_id -> the event as clients get it
        self._transactions: dict[tuple[str, str], dict[str, Any]] = {}  # (token, path) -> first answer
        self._buckets: dict[str, tuple[float, float]] = {}  # user -> (tokens, at)

    def new_app(self) -> web.Application:
        return web.Application(client_max_size=self.max_upload + 1024)

    def routes(self, router: web.UrlDispatcher) -> None:
        router.add_put("/_matrix/client/v3/rooms/{room_id}/send/{event_type}/{txn_id}", self._send)
        router.add_post("/_matrix/media/v3/upload", self._upload)
        router.add_get("/_matrix/client/v3/account/whoami", self._whoami)
        router.add_get("/_matrix/client/v3/joined_rooms", self._joined_rooms)
        router.add_get("/_matrix/client/v3/rooms/{room_id}/event/{event_id}", self._event)
        router.add_get("/files/{name}", self._file)

    def channel_options(self, base_url: str) -> tuple[dict[str, Any], dict[str, str]]:
        options = {"homeserver": base_url, "room_id": ROOM, "access_token_env": "MATRIX_ACCESS_TOKEN", "timeout": 0.5}
        return options, {"MATRIX_ACCESS_TOKEN": next(iter(self.tokens), TOKEN)}

    def redact(self, event_id: str, reason: str = "", by: str = "@admin:school.example") -> None:
        """A moderator redacts the event: its content is stripped and ``unsigned.redacted_because`` says by whom."""
        event = self.events[event_id]
        because = {"type": "m.room.redaction", "sender": by, "redacts": event_id, "content": {"reason": reason}}
        event.update(content={}, unsigned={"redacted_because": because})

    def purge(self, event_id: str) -> None:
        """The room's history is purged (retention policy): the event is no longer found."""
        del self.events[event_id]

    # --- endpoints -------------------------------------------------------------------------------------------

    async def _event(self, request: web.Request) -> web.StreamResponse:
        token, refused = self._authenticate(request)
        if refused is not None:
            return refused
        user, room_id = self.tokens[token], request.match_info["room_id"]
        if user not in self.rooms.get(room_id, set()):
            return _error(404, "M_NOT_FOUND", "Event not found.")  # as Synapse: not a member, no such event
        event = self.events.get(request.match_info["event_id"])
        if event is None or event["room_id"] != room_id:
            return _error(404, "M_NOT_FOUND", "Event not found.")
        return web.json_response(event)

    async def _send(self, request: web.Request) -> web.StreamResponse:
        token, fault, stop = self._admit(request)
        if stop is not None:
            return stop
        first = self._transactions.get((token, request.path))
        if first is not None:  # a retransmission: the same answer, nothing posted
            return await self.misbehave(fault, request, web.json_response(first), _GARBLED)
        user, room_id = self.tokens[token], request.match_info["room_id"]
        if user not in self.rooms.get(room_id, set()):
            return _error(403, "M_FORBIDDEN", f"User {user} not in room {room_id}")
        limited = self._rate_limit(user)
        if limited is not None:
            return limited
        try:
            content = json.loads(await request.read())
        except ValueError:
            return _error(400, "M_NOT_JSON", "Content not JSON.")
        problem = self._invalid(request.match_info["event_type"], content)
        if problem:
            return _error(400, "M_BAD_JSON", problem)
        event = {
            "type": request.match_info["event_type"],
            "room_id": room_id,
            "sender": user,
            "content": content,
            "origin_server_ts": int(time.time() * 1000),
        }
        if len(canonical(_pdu(event))) > EVENT_LIMIT:
            return _error(413, "M_TOO_LARGE", "event too large")
        event["event_id"] = "$" + secrets.token_urlsafe(32)[:43]
        self.accepted.append({**event, "txn_id": request.match_info["txn_id"]})
        self.events[event["event_id"]] = dict(event)
        self._transactions[token, request.path] = {"event_id": event["event_id"]}
        return await self.misbehave(fault, request, web.json_response({"event_id": event["event_id"]}), _GARBLED)

    async def _upload(self, request: web.Request) -> web.StreamResponse:
        _, fault, stop = self._admit(request)
        if stop is not None:
            return stop
        content = await request.read()
        if len(content) > self.max_upload:
            return _error(413, "M_TOO_LARGE", "Upload request body is too large")
        uri = f"mxc://{SERVER}/{secrets.token_urlsafe(18)}"
        self.uploads[uri] = (content, request.headers.get("Content-Type", "application/octet-stream"))
        return await self.misbehave(fault, request, web.json_response({"content_uri": uri}), _GARBLED)

    async def _whoami(self, request: web.Request) -> web.StreamResponse:
        token, fault, stop = self._admit(request)
        if stop is not None:
            return stop
        found = {"user_id": self.tokens[token], "device_id": "PUBLISHER1", "is_guest": False}
        return await self.misbehave(fault, request, web.json_response(found), _GARBLED)

    async def _joined_rooms(self, request: web.Request) -> web.StreamResponse:
        token, fault, stop = self._admit(request)
        if stop is not None:
            return stop
        joined = [room for room, members in self.rooms.items() if self.tokens[token] in members]
        return await self.misbehave(fault, request, web.json_response({"joined_rooms": joined}), _GARBLED)

    async def _file(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(("GET", request.path))
        if "Authorization" in request.headers:
            return web.Response(status=400, text="a picture host has no business with your Matrix token")
        found = self.files.get(request.match_info["name"])
        if found is None:
            return web.Response(status=404, text="not found")
        return web.Response(body=found[0], content_type=found[1])

    # --- rules -----------------------------------------------------------------------------------------------

    def _admit(self, request: web.Request) -> tuple[str, str | None, web.Response | None]:
        """The caller's token and the fault to act on, or the answer that ends the request here (its token refused,
        or a fault answered before the request takes effect)."""
        token, refused = self._authenticate(request)
        if refused is not None:
            return token, None, refused
        fault, answer = self._fault()
        return token, fault, answer

    def _authenticate(self, request: web.Request) -> tuple[str, web.Response | None]:
        self.requests.append((request.method, request.path))
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):  # a query-string token is no longer accepted (spec v1.20)
            return "", _error(401, "M_MISSING_TOKEN", "Missing access token.")
        token = header.removeprefix("Bearer ")
        if token not in self.tokens:
            return "", _error(401, "M_UNKNOWN_TOKEN", "Invalid access token passed.", soft_logout=False)
        return token, None

    def _fault(self) -> tuple[str | None, web.Response | None]:
        fault = self.next_fault()
        if fault == "rate_limit":
            return fault, self._too_many(self.retry_after_ms)
        if fault == "server_error":
            return fault, _error(500, "M_UNKNOWN", "Internal server error")
        if fault == "unavailable":
            return fault, web.Response(status=503, text="<html><body>503 Service Unavailable</body></html>")
        if fault == "auth":
            return fault, _error(401, "M_UNKNOWN_TOKEN", "Access token has expired", soft_logout=True)
        return fault, None

    def _too_many(self, wait_ms: int) -> web.Response:
        headers = {"Retry-After": str(math.ceil(wait_ms / 1000))} if self.retry_after_header else {}
        response = _error(429, "M_LIMIT_EXCEEDED", "Too Many Requests", retry_after_ms=wait_ms)
        response.headers.update(headers)
        return response

    def _rate_limit(self, user: str) -> web.Response | None:
        now = time.monotonic()
        tokens, at = self._buckets.get(user, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - at) * self.per_second)
        if tokens < 1:
            self._buckets[user] = (tokens, now)
            return self._too_many(math.ceil((1 - tokens) / self.per_second * 1000))
        self._buckets[user] = (tokens - 1, now)
        return None

    def _invalid(self, event_type: str, content: Any) -> str | None:
        if not isinstance(content, dict):
            return "Content must be a JSON object."
        if event_type != "m.room.message":
            return None
        if not isinstance(content.get("msgtype"), str) or not isinstance(content.get("body"), str):
            return "m.room.message needs a string msgtype and body"
        if "format" in content and not isinstance(content.get("formatted_body"), str):
            return "format given without formatted_body"
        if content["msgtype"] == "m.image" and content.get("url") not in self.uploads:
            return f"m.image url {content.get('url')!r} is not media on this server"
        return None


def _pdu(event: dict[str, Any]) -> dict[str, Any]:
    """The event as federation would carry it: what the 65536-byte limit is measured on."""
    some_id = "$" + "A" * 43
    return {
        **event,
        "auth_events": [some_id] * 4,
        "prev_events": [some_id] * 2,
        "depth": 12345,
        "hashes": {"sha256": "B" * 43},
        "signatures": {SERVER: {"ed25519:a_AbCd": "C" * 86}},
        "unsigned": {"age_ts": event["origin_server_ts"]},
    }
