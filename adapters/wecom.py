"""The ``wecom`` channel: a WeCom (企业微信) group robot, ``POST /cgi-bin/webhook/send?key=KEY``.

The key in the robot's webhook address is its only credential (no signing), so it is read from the environment
variable ``webhook_env`` names, as the whole address or the key alone. The robot answers HTTP 200 with
``{"errcode": 0, "errmsg": "ok"}``; any other errcode is a failure. It returns no message id and has no idempotency
key, so a lost answer waits for a person. Limits count UTF-8 bytes: text 2048, markdown 4096, news description 512.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, ClassVar

import httpx

from adapters.base import (
    AdapterConfigError,
    ChannelError,
    CredentialsRejected,
    Limits,
    Payload,
    Permanent,
    PostContent,
    Receipt,
    Retryable,
    base_option,
    json_object,
    secret_from_env,
    split_webhook,
    text_option,
    timeout_option,
)
from adapters.media import NO_IMAGES, ImageSource, link_images
from adapters.robot import RobotAdapter
from adapters.text import chat_markdown, count_utf8_bytes, plain_text, truncate_utf8

# the chat-robot helpers lived here and are still importable from here: the options now in adapters.base,
# the text in adapters.text
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


class WeComAdapter(RobotAdapter):
    kind: ClassVar[str] = "wecom"
    limits: Limits = _LIMITS["markdown"]
    credential: ClassVar[str] = "webhook key"
    refusal: ClassVar[str] = "the empty test message was refused: "

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
        post = dataclasses.replace(post, images=link_images(post.images, self.kind))
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

    async def lookup(self, key: str) -> Receipt | None:
        raise NotImplementedError("a WeCom robot cannot list what it sent")

    def describe(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "api_base": self.api_base,
            "webhook": f"${self.webhook_var} (hidden)",
            "msgtype": self.msgtype,
            "timeout": self.timeout,
        }

    def _target(self, body: dict[str, Any]) -> tuple[str, Mapping[str, str] | None, dict[str, Any]]:
        return self.api_base + _SEND_PATH, {"key": self._key}, body

    def _scrub(self, text: str) -> str:
        return text.replace(self._key, "***")

    def _error(self, code: int, errmsg: str) -> ChannelError:
        reason = f"errcode {code}: {self._scrub(errmsg)[:300]}"
        if code == 93000:  # "invalid webhook url": wrong key, or the robot was removed from the group
            return CredentialsRejected(
                f"the webhook key was refused ({reason}); put the robot's key in ${self.webhook_var}"
            )
        if code == 45009:  # 20 messages a minute per robot
            return Retryable(f"rate limited ({reason})", after=60)
        if code == -1:  # "system busy": nothing was done
            return Retryable(f"WeCom is busy ({reason})")
        return Permanent(reason)
