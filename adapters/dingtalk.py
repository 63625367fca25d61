"""The ``dingtalk`` channel: a DingTalk (钉钉) custom group robot, ``POST /robot/send?access_token=TOKEN``.

A robot has one or more security settings. Signing (加签): ``timestamp`` (milliseconds) and ``sign`` =
base64(HMAC-SHA256(key=secret, msg=timestamp + "\\n" + secret)) go in the query string, URL-encoded, and DingTalk
refuses a timestamp more than an hour old. Keywords (自定义关键词): DingTalk refuses a message that contains none
of them, so ``render`` makes sure one is there. Answers are HTTP 200 with ``{"errcode": 0, "errmsg": "ok"}``.
A robot may send 20 messages a minute; past that DingTalk blocks it for 10 minutes (errcode 130101).
There is no message id and no idempotency key: a lost answer waits for a person.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import time
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
    secret_from_env,
    split_webhook,
    text_option,
    timeout_option,
)
from adapters.media import NO_IMAGES, ImageSource, link_images
from adapters.robot import RobotAdapter
from adapters.text import chat_markdown, count_utf8_bytes, plain_text

__all__ = ["DingTalkAdapter", "sign"]

_DEFAULT_BASE = "https://oapi.dingtalk.com"
_OPTIONS = {"webhook_env", "secret_env", "keywords", "append_keyword", "msgtype", "link_text", "api_base", "timeout"}
_MSGTYPES = ("markdown", "text", "actionCard")
_BLOCK_SECONDS = 600  # "send too fast": the robot is blocked for 10 minutes


def sign(secret: str, timestamp_ms: str) -> str:
    """DingTalk's signature (before URL-encoding, which the query string does)."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class DingTalkAdapter(RobotAdapter):
    kind: ClassVar[str] = "dingtalk"
    # "message too long, exceed 20000 bytes" (errcode 460101) is the only length limit DingTalk reports
    limits: Limits = Limits(
        max_length=20000, count=count_utf8_bytes, unit="bytes (UTF-8)", max_images=20, rate_per_minute=20, concurrency=1
    )
    credential: ClassVar[str] = "access token"

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
                raise AdapterConfigError(
                    key, f"unknown option; the dingtalk channel takes {', '.join(sorted(_OPTIONS))}"
                )
        self.msgtype = options.get("msgtype", "markdown")
        if self.msgtype not in _MSGTYPES:
            raise AdapterConfigError("msgtype", f'must be "markdown", "text" or "actionCard", got {self.msgtype!r}')
        self.keywords = _keywords(options.get("keywords", []))
        self.append_keyword = options.get("append_keyword", False)
        if not isinstance(self.append_keyword, bool):
            raise AdapterConfigError("append_keyword", f"must be true or false, got {self.append_keyword!r}")
        self.link_text = text_option(options, "link_text", "阅读全文")
        self.webhook_var = str(options.get("webhook_env"))
        self._token, origin = split_webhook(secret_from_env(options, "webhook_env", env), "access_token", "webhook_env")
        self._secret = secret_from_env(options, "secret_env", env, required=False)
        if self._secret and not self._secret.startswith("SEC"):
            raise AdapterConfigError("secret_env", "a DingTalk signing secret starts with SEC; copy it from 加签")
        self.api_base = base_option(options, origin or _DEFAULT_BASE)
        self.timeout = timeout_option(options)

    def __repr__(self) -> str:
        return f"DingTalkAdapter(name={self.name!r}, msgtype={self.msgtype!r}, signed={bool(self._secret)})"

    def render(self, post: PostContent) -> Payload:
        post = dataclasses.replace(post, images=link_images(post.images, self.kind))
        if self.msgtype == "text":
            text = self._with_keyword(plain_text(post.body, title=post.title, images=post.images, link=post.link))
            return Payload(text=text, data={"msgtype": "text", "text": {"content": text}})
        parts = [f"### {post.title}", chat_markdown(post.body, images=True)]
        parts += [f"![图片 {n}]({url})" for n, url in enumerate(post.images, 1)]
        if self.msgtype == "markdown":
            if post.link:
                parts.append(f"[{self.link_text}]({post.link})")
            text = self._with_keyword("\n\n".join(part for part in parts if part))
            return Payload(text=text, data={"msgtype": "markdown", "markdown": {"title": post.title, "text": text}})
        if not post.link:
            raise Permanent("an actionCard's button opens the post's link, and this post has none")
        text = self._with_keyword("\n\n".join(part for part in parts if part))
        card = {"title": post.title, "text": text, "singleTitle": self.link_text, "singleURL": post.link}
        return Payload(text=text, data={"msgtype": "actionCard", "actionCard": card})

    def _with_keyword(self, text: str) -> str:
        if not self.keywords or any(word in text for word in self.keywords):
            return text
        if not self.append_keyword:
            raise Permanent(
                f"the robot only posts messages containing one of its keywords ({', '.join(self.keywords)}); "
                "add one to the post, or set append_keyword = true"
            )
        return f"{text}\n\n{self.keywords[0]}"

    async def lookup(self, key: str) -> Receipt | None:
        raise NotImplementedError("a DingTalk robot cannot list what it sent")

    def describe(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "api_base": self.api_base,
            "webhook": f"${self.webhook_var} (hidden)",
            "signed": bool(self._secret),
            "keywords": list(self.keywords),
            "msgtype": self.msgtype,
            "timeout": self.timeout,
        }

    def _target(self, body: dict[str, Any]) -> tuple[str, Mapping[str, str] | None, dict[str, Any]]:
        params = {"access_token": self._token}
        if self._secret:
            params["timestamp"] = str(round(time.time() * 1000))
            params["sign"] = sign(self._secret, params["timestamp"])
        return self.api_base + "/robot/send", params, body

    def _scrub(self, text: str) -> str:
        for secret in (self._token, self._secret):
            if secret:
                text = text.replace(secret, "***")
        return text

    def _error(self, code: int, errmsg: str) -> ChannelError:
        reason = f"errcode {code}: {self._scrub(errmsg)[:300]}"
        if code == 130101:
            return Retryable(f"rate limited, the robot is blocked for 10 minutes ({reason})", after=_BLOCK_SECONDS)
        if code == 310000 and ("keyword" in errmsg or "关键词" in errmsg):
            return Permanent(f"the message has none of the robot's keywords ({reason})")
        if code == 310000:  # sign mismatch, stale timestamp or IP not allowed: the same for every message
            return CredentialsRejected(f"the robot refused the request's security check ({reason}); check secret_env")
        if code in (300001, 300005) or (code == 40035 and "access_token" in errmsg):
            return CredentialsRejected(f"the access token was refused ({reason}); check ${self.webhook_var}")
        if code == -1:  # "system busy": nothing was done
            return Retryable(f"DingTalk is busy ({reason})")
        return Permanent(reason)


def _keywords(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(word, str) and word for word in value) or len(value) > 10:
        raise AdapterConfigError("keywords", f"must be a list of up to 10 non-empty strings, got {value!r}")
    return tuple(value)
