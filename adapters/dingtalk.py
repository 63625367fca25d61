"""The ``dingtalk`` channel: a DingTalk (钉钉) custom group robot, ``POST /robot/send?access_token=TOKEN``.

A robot has one or more security settings. Signing (加签): ``timestamp`` (milliseconds) and ``sign`` =
base64(HMAC-SHA256(key=secret, msg=timestamp + "\\n" + secret)) go in the query string, URL-encoded, and DingTalk
refuses a timestamp more than an hour old. Keywords (自定义关键词): DingTalk refuses a message that contains none
of them, so ``render`` makes sure one is there. Answers are HTTP 200 with ``{"errcode": 0, "errmsg": "ok"}``.
A robot may send 20 messages a minute; past that DingTalk blocks it for 10 minutes (errcode 130101).
There is no message id and no idempotency key: a lost answer waits for a person.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping
from typing import Any, ClassVar

from adapters.base import Limits, Payload, PostContent
from adapters.errors import ChannelError, CredentialsRejected, Permanent, Retryable
from adapters.media import link_images
from adapters.options import Option
from adapters.robot import RobotAdapter, hmac_sha256_base64, robot_options, signing_secret
from adapters.text import chat_markdown, count_utf8_bytes, plain_text

__all__ = ["DingTalkAdapter", "sign"]

_DEFAULT_BASE = "https://oapi.dingtalk.com"
_MSGTYPES = ("markdown", "text", "actionCard")
_BLOCK_SECONDS = 600  # "send too fast": the robot is blocked for 10 minutes


def sign(secret: str, timestamp_ms: str) -> str:
    """DingTalk's signature (before URL-encoding, which the query string does)."""
    return hmac_sha256_base64(secret, f"{timestamp_ms}\n{secret}")


def _signing_secret(value: str) -> str:
    if not value.startswith("SEC"):
        raise ValueError("a DingTalk signing secret starts with SEC; copy it from 加签")
    return value


class DingTalkAdapter(RobotAdapter):
    kind: ClassVar[str] = "dingtalk"
    # "message too long, exceed 20000 bytes" (errcode 460101) is the only length limit DingTalk reports
    limits: Limits = Limits(
        max_length=20000, count=count_utf8_bytes, unit="bytes (UTF-8)", max_images=20, rate_per_minute=20, concurrency=1
    )
    credential: ClassVar[str] = "access token"
    webhook_param: ClassVar[str] = "access_token"
    default_base: ClassVar[str] = _DEFAULT_BASE
    options: ClassVar[tuple[Option, ...]] = robot_options(
        "DingTalk",
        "https://oapi.dingtalk.com/robot/send?access_token=...",
        "the access token",
        (
            signing_secret(
                'The environment variable holding the robot\'s signing secret (加签, starts with "SEC"). Leave it out '
                "if the robot is secured by keywords or an IP allowlist only.",
                "DINGTALK_SECRET",
                check=_signing_secret,
            ),
            Option(
                name="keywords",
                type=list,
                items=str,
                max=10,
                default=(),
                help="The robot's custom keywords (自定义关键词), if it uses that security setting: DingTalk refuses "
                "a message containing none of them. Leave it out otherwise.",
                example=["宣传"],
                commented=True,
            ),
            Option(
                name="append_keyword",
                type=bool,
                default=False,
                help="With keywords: false refuses (when queued) a post that contains none of them; true adds the "
                "first keyword on a line of its own at the end of such a post.",
            ),
            Option(
                name="msgtype",
                default="markdown",
                choices=_MSGTYPES,
                help='"markdown", "text" (plain text) or "actionCard" (markdown with a button to the post\'s link; '
                "needs a link).",
                example="markdown",
            ),
        ),
        _DEFAULT_BASE,
        "The text of the link (markdown) or of the button (actionCard).",
    )

    def setup(self, config: dict[str, Any]) -> None:
        super().setup(config)
        self.msgtype: str = config["msgtype"]
        self.keywords: tuple[str, ...] = tuple(config["keywords"])
        self.append_keyword: bool = config["append_keyword"]

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

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "signed": bool(self._secret)}

    def _target(self, body: dict[str, Any]) -> tuple[str, Mapping[str, str] | None, dict[str, Any]]:
        params = {"access_token": self._token}
        if self._secret:
            params["timestamp"] = str(round(time.time() * 1000))
            params["sign"] = sign(self._secret, params["timestamp"])
        return self.api_base + "/robot/send", params, body

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
