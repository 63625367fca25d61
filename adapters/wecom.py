"""The ``wecom`` channel: a WeCom (企业微信) group robot, ``POST /cgi-bin/webhook/send?key=KEY``.

The key in the robot's webhook address is its only credential (no signing), so it is read from the environment
variable ``webhook_env`` names, as the whole address or the key alone. The robot answers HTTP 200 with
``{"errcode": 0, "errmsg": "ok"}``; any other errcode is a failure. It returns no message id and has no idempotency
key, so a lost answer waits for a person. Limits count UTF-8 bytes: text 2048, markdown 4096, news description 512.

This module also holds the text helpers the chat-robot adapters share (``plain_text``, ``chat_markdown``,
``truncate_utf8``); they would belong in ``adapters.text``.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

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
    raise_for_transport,
    secret_from_env,
    status_error,
)
from adapters.text import count_utf8_bytes, markdown_to_text

__all__ = [
    "WeComAdapter",
    "base_option",
    "chat_markdown",
    "json_object",
    "plain_text",
    "split_webhook",
    "text_option",
    "timeout_option",
    "truncate_utf8",
]

_DEFAULT_BASE = "https://qyapi.weixin.qq.com"
_SEND_PATH = "/cgi-bin/webhook/send"
_OPTIONS = {"webhook_env", "msgtype", "link_text", "api_base", "timeout"}


def _limits(max_length: int, max_images: int = 20) -> Limits:
    # 20 messages a minute per robot; one at a time keeps a group's posts in order
    return Limits(
        max_length=max_length,
        count=count_utf8_bytes,
        unit="bytes (UTF-8)",
        max_images=max_images,
        rate_per_minute=20,
        concurrency=1,
    )


#: text and markdown show images as links; a news card carries one picture
_LIMITS = {"markdown": _limits(4096), "text": _limits(2048), "news": _limits(512, max_images=1)}
_NEWS_TITLE_BYTES = 128


class WeComAdapter:
    kind: ClassVar[str] = "wecom"
    limits: Limits = _LIMITS["markdown"]
    idempotency: Idempotency = "none"

    def __init__(
        self, name: str, options: Mapping[str, Any], *, client: httpx.AsyncClient, env: Mapping[str, str]
    ) -> None:
        self.name = name
        self.client = client
        for key in options:
            if key not in _OPTIONS:
                raise AdapterConfigError(key, f"unknown option; the wecom channel takes {', '.join(sorted(_OPTIONS))}")
        self.msgtype = options.get("msgtype", "markdown")
        if self.msgtype not in _LIMITS:
            raise AdapterConfigError("msgtype", f'must be "markdown", "text" or "news", got {self.msgtype!r}')
        self.limits = _LIMITS[self.msgtype]
        self.link_text = text_option(options, "link_text", "阅读全文")
        self.webhook_var = str(options.get("webhook_env"))
        self._key, origin = split_webhook(secret_from_env(options, "webhook_env", env), "key", "webhook_env")
        self.api_base = base_option(options, origin or _DEFAULT_BASE)
        self.timeout = timeout_option(options)

    def __repr__(self) -> str:
        return f"WeComAdapter(name={self.name!r}, msgtype={self.msgtype!r}, api_base={self.api_base!r})"

    def render(self, post: PostContent) -> Payload:
        if self.msgtype == "news":
            return self._render_news(post)
        if self.msgtype == "text":
            text = plain_text(post.body, title=post.title, images=post.images, link=post.link)
            return Payload(text=text, data={"msgtype": "text", "text": {"content": text}})
        parts = [f"# {post.title}", chat_markdown(post.body, images=False)]
        parts += [f"[图片 {n}]({url})" for n, url in enumerate(post.images, 1)]
        if post.link:
            parts.append(f"[{self.link_text}]({post.link})")
        text = "\n\n".join(part for part in parts if part)
        return Payload(text=text, data={"msgtype": "markdown", "markdown": {"content": text}})

    def _render_news(self, post: PostContent) -> Payload:
        if not post.link:
            raise Permanent("a WeCom news card opens a link, and this post has none; use msgtype markdown or text")
        description = truncate_utf8(plain_text(post.body), _LIMITS["news"].max_length or 0)
        article = {"title": truncate_utf8(post.title, _NEWS_TITLE_BYTES), "description": description, "url": post.link}
        if post.images:
            article["picurl"] = post.images[0]
        return Payload(text=description, data={"msgtype": "news", "news": {"articles": [article]}})

    async def publish(self, payload: Payload, key: str) -> Receipt:
        await self._send(dict(payload.data))
        return Receipt(details={"msgtype": payload.data.get("msgtype")})

    async def lookup(self, key: str) -> Receipt | None:
        raise NotImplementedError("a WeCom robot cannot list what it sent")

    async def check(self) -> str:
        # The robot has no read-only call. An empty object cannot become a message, but the key is checked first.
        try:
            await self._send({})
        except Uncertain as exc:
            raise Retryable(f"no usable answer to the check: {exc.reason}") from exc
        except Permanent as exc:
            return f"webhook key accepted (the empty test message was refused: {exc.reason}); nothing was posted"
        return "webhook key accepted; nothing was posted"

    def describe(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "api_base": self.api_base,
            "webhook": f"${self.webhook_var} (hidden)",
            "msgtype": self.msgtype,
            "timeout": self.timeout,
        }

    async def _send(self, body: dict[str, Any]) -> None:
        content = json.dumps(body, ensure_ascii=False).encode()
        try:
            response = await self.client.post(
                self.api_base + _SEND_PATH,
                params={"key": self._key},
                content=content,
                headers={"Content-Type": "application/json; charset=utf-8"},
                timeout=self.timeout,
            )
        except httpx.TransportError as exc:
            raise raise_for_transport(exc) from exc
        document = json_object(response)
        code = document.get("errcode") if document is not None else None
        if isinstance(code, int) and code != 0:
            raise self._error(code, str(document.get("errmsg", "")) if document else "")
        if response.status_code != 200:
            raise status_error(response, response.text[:200].replace(self._key, "***"))
        if code != 0:
            raise Uncertain("HTTP 200 without the robot's JSON answer; the message may have been posted")

    def _error(self, code: int, errmsg: str) -> ChannelError:
        reason = f"errcode {code}: {errmsg.replace(self._key, '***')[:300]}"
        if code == 93000:  # "invalid webhook url": wrong key, or the robot was removed from the group
            return CredentialsRejected(
                f"the webhook key was refused ({reason}); put the robot's key in ${self.webhook_var}"
            )
        if code == 45009:  # 20 messages a minute per robot
            return Retryable(f"rate limited ({reason})", after=60)
        if code == -1:  # "system busy": nothing was done
            return Retryable(f"WeCom is busy ({reason})")
        return Permanent(reason)


# --- options shared by the chat-robot adapters -----------------------------------------------------------------


def split_webhook(value: str, param: str, key: str) -> tuple[str, str | None]:
    """The credential inside a webhook address (``?param=`` or the last path segment) and the address's origin.

    ``value`` may also be the bare credential. Error messages never repeat the value: it is a secret.
    """
    if not value.startswith(("http://", "https://")):
        if not value.strip() or any(ch.isspace() for ch in value):
            raise AdapterConfigError(key, "the environment variable holds no usable key (empty or with spaces)")
        return value, None
    parts = urlsplit(value)
    found = parse_qs(parts.query).get(param, [""])[0] if param else parts.path.rstrip("/").rsplit("/", 1)[-1]
    if not found:
        where = f"{param}= parameter" if param else "token at the end of its path"
        raise AdapterConfigError(key, f"the webhook address in the environment variable has no {where}")
    return found, f"{parts.scheme}://{parts.netloc}"


def base_option(options: Mapping[str, Any], default: str) -> str:
    value = options.get("api_base", default)
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        raise AdapterConfigError("api_base", f"must start with http:// or https://, got {value!r}")
    return value.rstrip("/")


def timeout_option(options: Mapping[str, Any]) -> float:
    value = options.get("timeout", 10)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise AdapterConfigError("timeout", f"must be a positive number of seconds, got {value!r}")
    return float(value)


def text_option(options: Mapping[str, Any], key: str, default: str) -> str:
    value = options.get(key, default)
    if not isinstance(value, str) or not value.strip():
        raise AdapterConfigError(key, f"must be a non-empty string, got {value!r}")
    return value


def json_object(response: httpx.Response) -> dict[str, Any] | None:
    try:
        document = response.json()
    except ValueError:
        return None
    return document if isinstance(document, dict) else None


# --- text helpers shared by the chat-robot adapters ------------------------------------------------------------

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)+\|?\s*$|^\s*\|\s*:?-+:?\s*\|\s*$")
_LINK = re.compile(r"(!?)\[([^\]\n]*)\]\(\s*<?([^\s)>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_URL = re.compile(r"https?://[^\s<>()\[\]]+")


def _flatten(markdown: str, *, code: bool) -> str:
    """Tables become one line per row (cells joined by " | "); with ``code``, fenced code becomes quoted lines."""
    lines, out, fence, in_table = markdown.splitlines(), [], "", False
    for index, line in enumerate(lines):
        marker = _FENCE.match(line)
        if fence:
            if marker and marker.group(1)[0] == fence[0] and len(marker.group(1)) >= len(fence):
                fence = ""
                if code:
                    continue
            out.append(f"> {line}" if code else line)
            continue
        if marker:
            fence = marker.group(1)
            if not code:
                out.append(line)
            continue
        next_line = lines[index + 1] if index + 1 < len(lines) else ""
        if "|" in line and (in_table or _TABLE_RULE.match(next_line)):
            if _TABLE_RULE.match(line):
                continue
            in_table = True
            out.append(" | ".join(cell.strip() for cell in line.strip().strip("|").split("|")))
            out.append("")  # each row its own paragraph
            continue
        in_table = False
        out.append(line)
    return "\n".join(out)


def chat_markdown(markdown: str, *, images: bool) -> str:
    """A Markdown body reduced to what chat robots render: no tables, no code blocks, images kept or made links."""
    text = _flatten(markdown, code=True)
    if not images:
        text = _LINK.sub(lambda m: f"[{m.group(2) or '图片'}]({m.group(3)})" if m.group(1) else m.group(0), text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def plain_text(markdown: str, *, title: str = "", images: tuple[str, ...] = (), link: str | None = None) -> str:
    """A readable plain-text post: link targets stay visible and untouched, tables keep their cells apart."""
    targets: list[str] = []

    def protect(match: re.Match[str]) -> str:
        label, url = match.group(2), match.group(3)
        targets.append(url)
        marker = f"\ue000{len(targets) - 1}\ue001"  # private-use characters pass through Markdown untouched
        return marker if not label or label == url else f"{label} {marker}"

    text = markdown_to_text(_LINK.sub(protect, _flatten(markdown, code=False)))
    text = re.sub("\ue000(\\d+)\ue001", lambda m: targets[int(m.group(1))], text)
    parts = [title.strip(), text, *images, link or ""]
    return "\n\n".join(part for part in parts if part)


def _graphemes(text: str) -> list[str]:
    """User-perceived characters, closely enough for cutting: marks, ZWJ sequences, skin tones and flags stay whole."""
    clusters: list[str] = []
    for ch in text:
        code = ord(ch)
        joins = unicodedata.category(ch) in ("Mn", "Mc", "Me") or ch in "\u200d\ufe0e\ufe0f"
        joins = joins or 0x1F3FB <= code <= 0x1F3FF or 0xE0020 <= code <= 0xE007F
        last = clusters[-1] if clusters else ""
        flag = 0x1F1E6 <= code <= 0x1F1FF and len(last) == 1 and 0x1F1E6 <= ord(last) <= 0x1F1FF
        if last and (joins or flag or last.endswith("\u200d") or (last == "\r" and ch == "\n")):
            clusters[-1] += ch
        else:
            clusters.append(ch)
    return clusters


def truncate_utf8(text: str, limit: int, ellipsis: str = "…") -> str:
    """``text`` cut to ``limit`` UTF-8 bytes at a sentence or word boundary, never inside a character or a link."""
    if count_utf8_bytes(text) <= limit:
        return text
    budget, size, kept = limit - count_utf8_bytes(ellipsis), 0, []
    for cluster in _graphemes(text):
        size += count_utf8_bytes(cluster)
        if size > budget:
            break
        kept.append(cluster)
    cut = "".join(kept)
    for marks in ("。！？!?\n", "，、；;,: "):
        end = max(cut.rfind(mark) for mark in marks)
        if end >= len(cut) * 2 // 3:
            cut = cut[: end + 1]
            break
    for url in _URL.finditer(text):
        if url.start() < len(cut) < url.end():
            cut = cut[: url.start()]
    return cut.rstrip() + ellipsis
