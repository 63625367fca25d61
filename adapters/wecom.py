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

from adapters.base import Limits, Payload, PostContent, Receipt
from adapters.errors import ChannelError, CredentialsRejected, Permanent, Retryable
from adapters.media import link_images
from adapters.options import Option
from adapters.robot import RobotAdapter, robot_options
from adapters.text import chat_markdown, count_utf8_bytes, plain_text, truncate_utf8

__all__ = ["WeComAdapter"]

_DEFAULT_BASE = "https://qyapi.weixin.qq.com"
_SEND_PATH = "/cgi-bin/webhook/send"


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
    webhook_param: ClassVar[str] = "key"
    default_base: ClassVar[str] = _DEFAULT_BASE
    options: ClassVar[tuple[Option, ...]] = robot_options(
        "WeCom",
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=...",
        "the key (the robot's only credential: anyone who has it can post to the group)",
        (
            Option(
                name="msgtype",
                default="markdown",
                choices=tuple(_LIMITS),
                help='"markdown" (at most 4096 bytes), "text" (plain text, at most 2048 bytes) or "news" (a card '
                "with title, a summary cut to 512 bytes, the first image and the post's link; needs a link). Bytes "
                "are UTF-8: 汉字 count 3.",
                example="markdown",
            ),
        ),
        _DEFAULT_BASE,
        "The text of the link to the post in markdown messages.",
    )

    def setup(self, config: dict[str, Any]) -> None:
        super().setup(config)
        self._key = self._token
        self.msgtype: str = config["msgtype"]
        self.limits = _LIMITS[self.msgtype]

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

    def _target(self, body: dict[str, Any]) -> tuple[str, Mapping[str, str] | None, dict[str, Any]]:
        return self.api_base + _SEND_PATH, {"key": self._key}, body

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
