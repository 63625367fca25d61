"""A stand-in for the Telegram Bot API: ``/bot<token>/<method>``, HTML parse mode, limits and error shapes.

It parses the HTML subset itself (the tags the Bot API documents, only &lt; &gt; &amp; &quot; and numeric
entities), counts the visible text in UTF-16 units, and answers like Telegram: ``{"ok": false, "error_code": ...,
"description": ..., "parameters": {...}}``, with ``retry_after`` on 429 and ``migrate_to_chat_id`` for a group that
became a supergroup. ``message_limit`` and ``caption_limit`` make it a server stricter than the documented 4096 and
1024.
"""

from __future__ import annotations

import collections
import contextlib
import html
import json
import re
import time
from typing import Any, ClassVar

from aiohttp import web

from tests.fakes.server import StandIn

#: a good answer cut short, for the "malformed" fault
_GARBLED = '{"ok":true,"result":{"message_id":'
__all__ = ["FakeTelegram"]

TOKEN = "123456789:AAH-fake-token_for-tests"
GROUP = -1001234567890

_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a", "code", "pre"}
_TAGS |= {"blockquote", "tg-emoji", "tg-time"}
_TAG = re.compile(r'<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+(?:="[^"<>]*")?)*)\s*>')
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")


class ParseError(ValueError):
    pass


def parse_html(text: str) -> str:
    """The visible text of a Telegram-HTML message; ParseError where Telegram would refuse it."""
    visible: list[str] = []
    stack: list[str] = []
    position = 0
    while position < len(text):
        char = text[position]
        if char == "<":
            match = _TAG.match(text, position)
            if not match:
                raise ParseError(f"Unexpected start tag at byte offset {position}")
            closing, name, attributes = match.group(1), match.group(2).lower(), match.group(3)
            if name not in _TAGS:
                raise ParseError(f'Unsupported start tag "{name}" at byte offset {position}')
            if closing:
                if not stack or stack[-1] != name:
                    raise ParseError(f'Unmatched end tag at byte offset {position}, expected "</{stack[-1:]}>"')
                stack.pop()
            else:
                _check_nesting(name, attributes, stack, position)
                stack.append(name)
            position = match.end()
        elif char == "&":
            match = _ENTITY.match(text, position)
            if not match:
                raise ParseError(f"Unsupported HTML entity or bare & at byte offset {position}")
            visible.append(html.unescape(match.group()))
            position = match.end()
        elif char == ">":
            raise ParseError(f"Unescaped > at byte offset {position}")
        else:
            visible.append(char)
            position += 1
    if stack:
        raise ParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1]}"')
    return "".join(visible)


def _check_nesting(name: str, attributes: str, stack: list[str], position: int) -> None:
    if name == "a" and not re.search(r'href="[^"]+"', attributes):
        raise ParseError(f"Can't find href of a link at byte offset {position}")
    if stack and stack[-1] == "pre" and name == "code":
        if attributes and not re.fullmatch(r'\s+class="language-[^"]*"', attributes):
            raise ParseError("Only a language class is allowed on code inside pre")
        return
    if "code" in stack or "pre" in stack:
        raise ParseError(f'Entity "{name}" cannot be inside code or pre (byte offset {position})')
    if name == "pre" and stack:
        raise ParseError(f"pre cannot be nested in {stack[-1]} (byte offset {position})")
    if name in ("a", "blockquote") and name in stack:
        raise ParseError(f"{name} cannot be nested (byte offset {position})")


def utf16_units(text: str) -> int:
    return sum(2 if ord(char) > 0xFFFF else 1 for char in text)


class FakeTelegram(StandIn):
    kind = "telegram"
    fault_after: ClassVar[dict[str, float]] = {"rate_limit": 7.0}

    def __init__(
        self,
        *,
        token: str = TOKEN,
        chats: dict[int | str, dict[str, Any]] | None = None,
        migrated: dict[int, int] | None = None,
        per_chat_per_minute: int = 20,
        retry_after: int = 7,
        message_limit: int = 4096,
        caption_limit: int = 1024,
    ) -> None:
        super().__init__()
        self.token = token
        self.chats: dict[int | str, dict[str, Any]] = chats or {
            GROUP: {"id": GROUP, "type": "supergroup", "title": "家長群", "username": "parents_club"},
        }
        self.migrated = migrated or {}
        self.per_chat_per_minute = per_chat_per_minute
        self.retry_after = retry_after
        self.message_limit, self.caption_limit = message_limit, caption_limit
        self._sends: dict[int | str, list[float]] = collections.defaultdict(list)
        self._next_id = 100

    def routes(self, router: web.UrlDispatcher) -> None:
        router.add_route("*", "/bot{token}/{method}", self._handle)

    def channel_options(self, base_url: str) -> tuple[dict[str, Any], dict[str, str]]:
        options = {"api_base": base_url, "chat_id": GROUP, "token_env": "TELEGRAM_BOT_TOKEN", "timeout": 0.5}
        return options, {"TELEGRAM_BOT_TOKEN": self.token}

    # --- the API ---------------------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        fields = await _fields(request)
        method = request.match_info["method"]
        self.requests.append((method, {k: v for k, v in fields.items() if k != "photo_bytes"}))
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        fault = self.next_fault()
        if fault == "rate_limit":
            return _error(429, f"Too Many Requests: retry after {self.retry_after}", retry_after=self.retry_after)
        if fault == "server_error":
            return _error(500, "Internal Server Error")
        if fault == "unavailable":
            return web.Response(status=503, text="<html>503 Service Temporarily Unavailable</html>")
        if fault == "auth":
            return _error(401, "Unauthorized")
        handler = {"getMe": self._get_me, "getChat": self._get_chat}.get(method)
        if method in ("sendMessage", "sendPhoto"):
            answer = self._send(method, fields)
        elif handler is not None:
            answer = handler(fields)
        else:
            answer = _error(404, "Not Found")
        return await self.misbehave(fault, request, answer, _GARBLED)

    def _get_me(self, fields: dict[str, Any]) -> web.Response:
        return _ok({"id": 123456789, "is_bot": True, "first_name": "Publisher", "username": "publisher_bot"})

    def _get_chat(self, fields: dict[str, Any]) -> web.Response:
        chat = self._chat(fields)
        return chat if isinstance(chat, web.Response) else _ok(chat)

    def _chat(self, fields: dict[str, Any]) -> dict[str, Any] | web.Response:
        raw = fields.get("chat_id")
        if raw is None or raw == "":
            return _error(400, "Bad Request: chat_id is empty")
        chat_id: int | str = int(raw) if re.fullmatch(r"-?\d+", str(raw)) else str(raw)
        if chat_id in self.migrated:
            return _error(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                migrate_to_chat_id=self.migrated[chat_id],
            )
        for chat in self.chats.values():
            if chat_id in (chat["id"], f"@{chat.get('username')}"):
                return chat
        return _error(400, "Bad Request: chat not found")

    def _send(self, method: str, fields: dict[str, Any]) -> web.Response:
        chat = self._chat(fields)
        if isinstance(chat, web.Response):
            return chat
        now = time.monotonic()
        recent = [t for t in self._sends[chat["id"]] if now - t < 60]
        if len(recent) >= self.per_chat_per_minute:
            wait = max(1, int(60 - (now - recent[0])) + 1)
            return _error(429, f"Too Many Requests: retry after {wait}", retry_after=wait)
        key, limit = ("text", self.message_limit) if method == "sendMessage" else ("caption", self.caption_limit)
        raw = str(fields.get(key) or "")
        if method == "sendPhoto" and not fields.get("photo"):
            return _error(400, "Bad Request: there is no photo in the request")
        try:
            visible = (parse_html(raw) if fields.get("parse_mode") == "HTML" else raw).strip()
        except ParseError as exc:
            return _error(400, f"Bad Request: can't parse entities: {exc}")
        if method == "sendMessage" and not visible:
            return _error(400, "Bad Request: message text is empty")
        if utf16_units(visible) > limit:
            return _error(
                400, "Bad Request: message is too long" if key == "text" else "Bad Request: message caption is too long"
            )
        self._sends[chat["id"]] = [*recent, now]
        self._next_id += 1
        message: dict[str, Any] = {"message_id": self._next_id, "date": int(time.time()), "chat": chat}
        if visible:
            message[key] = visible
        record = {"chat_id": chat["id"], "message_id": self._next_id, "method": method, key: visible, "html": raw}
        if method == "sendPhoto":
            record["photo"] = fields["photo"]
            record["photo_bytes"] = fields.get("photo_bytes")
            message["photo"] = [{"file_id": f"photo-{self._next_id}", "width": 800, "height": 600}]
        self.accepted.append(record)
        return _ok(message)


async def _fields(request: web.Request) -> dict[str, Any]:
    """Parameters from the query string, a JSON body, a form or a multipart form (all accepted by the Bot API)."""
    fields: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        body = await request.read()
        with contextlib.suppress(ValueError):
            fields.update(json.loads(body) if body else {})
    elif request.content_type == "multipart/form-data":
        reader = await request.multipart()
        async for part in reader:
            if part.name == "photo" and part.filename:
                fields["photo"] = f"attach://{part.filename}"
                fields["photo_bytes"] = await part.read()
            elif part.name:
                fields[part.name] = await part.text()
    elif request.can_read_body:
        fields.update(await request.post())
    return fields


def _ok(result: dict[str, Any]) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(code: int, description: str, **parameters: Any) -> web.Response:
    document: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        document["parameters"] = parameters
    return web.json_response(document, status=code)
