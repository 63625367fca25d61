"""The ``feishu`` channel: a Feishu / Lark custom bot (自定义机器人), ``POST /open-apis/bot/v2/hook/TOKEN``.

Posts go as rich text (``msg_type`` "post"): a title and lines of ``text`` and ``a`` (link) elements. With signing
on, ``timestamp`` (seconds, as a string) and ``sign`` go in the JSON body; unlike DingTalk, the string
``timestamp + "\\n" + secret`` is the HMAC-SHA256 *key* and the message is empty. Answers are JSON with ``code`` 0
on success. Limits: 100 requests a minute and 5 a second per bot, and a request body of at most 20 KB. There is no
message id and no idempotency key: a lost answer waits for a person.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, ClassVar

from markdown_it import MarkdownIt
from markdown_it.token import Token

from adapters.base import Limits, Payload, PostContent, Receipt
from adapters.errors import ChannelError, CredentialsRejected, Permanent, Retryable
from adapters.media import link_images
from adapters.options import Option
from adapters.robot import RobotAdapter, hmac_sha256_base64, robot_options, signing_secret
from adapters.text import count_utf8_bytes

__all__ = ["FeishuAdapter", "post_lines", "sign"]

_DEFAULT_BASE = "https://open.feishu.cn"
_MAX_BODY = 20 * 1000  # "at most 20 KB": read as 20 000 bytes to be safe
_SIGN_ROOM = 120  # what the timestamp and sign fields add to the body

Element = dict[str, str]


def sign(secret: str, timestamp: str) -> str:
    """Feishu's signature: the key is ``timestamp + "\\n" + secret``, the message is empty."""
    return hmac_sha256_base64(f"{timestamp}\n{secret}", "")


class FeishuAdapter(RobotAdapter):
    kind: ClassVar[str] = "feishu"
    # Text budget below the 20 KB body, which also carries the JSON structure; render checks the real body size.
    limits: Limits = Limits(
        max_length=18000,
        count=count_utf8_bytes,
        unit="bytes (UTF-8)",
        max_images=20,
        rate_per_minute=100,
        concurrency=1,
    )
    type_field: ClassVar[str] = "msg_type"
    # "StatusCode" and "StatusMessage" are the legacy twins of "code" and "msg"; older answers carry only those
    code_fields: ClassVar[tuple[str, ...]] = ("code", "StatusCode")
    message_fields: ClassVar[tuple[str, ...]] = ("msg", "StatusMessage")
    robot: ClassVar[str] = "bot"
    credential: ClassVar[str] = "bot token"
    default_base: ClassVar[str] = _DEFAULT_BASE
    options: ClassVar[tuple[Option, ...]] = robot_options(
        "Feishu",
        "https://open.feishu.cn/open-apis/bot/v2/hook/...; for Lark, https://open.larksuite.com/...",
        "the token at its end",
        (
            signing_secret(
                "The environment variable holding the bot's signing secret (签名校验). Leave it out if the bot does "
                "not sign.",
                "FEISHU_SECRET",
            ),
        ),
        _DEFAULT_BASE,
        "The text of the link to the post.",
        base_note=" (so Lark addresses work as they are)",
    )

    def render(self, post: PostContent) -> Payload:
        lines = post_lines(post.body)
        links = link_images(post.images, self.kind)
        lines += [[{"tag": "a", "text": f"图片 {n}", "href": url}] for n, url in enumerate(links, 1)]
        if post.link:
            lines.append([{"tag": "a", "text": self.link_text, "href": post.link}])
        content = {"post": {"zh_cn": {"title": post.title, "content": lines}}}
        data = {"msg_type": "post", "content": content}
        size = len(json.dumps(data, ensure_ascii=False).encode()) + _SIGN_ROOM
        if size > _MAX_BODY:
            raise Permanent(f"the message would be about {size} bytes; a Feishu bot takes at most 20 KB")
        shown = ["".join(element["text"] for element in line) for line in lines]
        return Payload(text="\n".join([post.title, *shown]), data=data)

    async def lookup(self, key: str) -> Receipt | None:
        raise NotImplementedError("a Feishu custom bot cannot list what it sent")

    def _target(self, body: dict[str, Any]) -> tuple[str, Mapping[str, str] | None, dict[str, Any]]:
        if self._secret:
            timestamp = str(int(time.time()))
            body = {"timestamp": timestamp, "sign": sign(self._secret, timestamp), **body}
        return f"{self.api_base}/open-apis/bot/v2/hook/{self._token}", None, body

    def _error(self, code: int, msg: str) -> ChannelError:
        reason = f"code {code}: {self._scrub(msg)[:300]}"
        if code == 11232:
            # Which limit (100/min, 5/s, or load at the top of the hour) is not said; a minute clears them all.
            return Retryable(f"rate limited ({reason})", after=60)
        if code == 19001:
            return CredentialsRejected(f"the bot's webhook token was refused ({reason}); check ${self.webhook_var}")
        if code == 19021:
            return CredentialsRejected(f"signature refused ({reason}); check secret_env and this machine's clock")
        if code == 19022:
            return CredentialsRejected(f"this machine's IP address is not on the bot's allowlist ({reason})")
        if code == 19024:
            return Permanent(f"the message has none of the bot's keywords ({reason})")
        return Permanent(reason)


# --- Markdown to post lines ------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    return MarkdownIt("js-default")


def _is_url(href: str) -> bool:
    return href.startswith(("http://", "https://"))


def _inline(token: Token) -> list[Element]:
    """The text and link elements of one inline token; breaks inside it become "\\n" for the caller to split."""
    elements: list[Element] = []
    href, label = "", ""
    for child in token.children or []:
        text = {"text": child.content, "code_inline": child.content, "softbreak": "\n", "hardbreak": "\n"}.get(
            child.type
        )
        if child.type == "link_open":
            href, label = str(child.attrs.get("href", "")), ""
        elif child.type == "link_close":
            elements.append({"tag": "a", "text": label or href, "href": href} if _is_url(href) else _text(label))
            href = ""
        elif child.type == "image":
            src = str(child.attrs.get("src", ""))
            alt = child.content or "图片"
            elements.append({"tag": "a", "text": alt, "href": src} if _is_url(src) else _text(alt))
        elif text is not None and href:
            label += text
        elif text is not None:
            elements.append(_text(text))
    return elements


def _text(text: str) -> Element:
    return {"tag": "text", "text": text}


def _split_lines(elements: list[Element], prefix: str = "", rest: str = "") -> list[list[Element]]:
    """Split at "\\n" inside text elements (later lines start with ``rest``); merge neighbouring text elements."""
    lines: list[list[Element]] = [[_text(prefix)] if prefix else []]
    for element in elements:
        pieces = element["text"].split("\n") if element["tag"] == "text" else [None]
        for index, piece in enumerate(pieces):
            if index:
                lines.append([_text(rest)] if rest else [])
            current = lines[-1]
            new = element if piece is None else _text(piece)
            if new["tag"] == "text" and current and current[-1]["tag"] == "text":
                current[-1] = _text(current[-1]["text"] + new["text"])
            elif new["text"] or new["tag"] != "text":
                current.append(new)
    return [line for line in lines if line]


def post_lines(markdown: str) -> list[list[Element]]:
    """A Markdown body as Feishu ``post`` lines: headings, paragraphs, list items, table rows and code lines."""
    lines: list[list[Element]] = []
    lists: list[list[int]] = []  # per open list: [next number] when ordered, [] for bullets
    prefix, quote = "", 0
    row: list[Element] | None = None  # the table row being collected
    for token in _markdown().parse(markdown):
        if token.type in ("bullet_list_open", "ordered_list_open"):
            lists.append([int(token.attrs.get("start", 1))] if token.type == "ordered_list_open" else [])
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif token.type == "list_item_open" and lists:
            counter = lists[-1]
            prefix = "  " * (len(lists) - 1) + (f"{counter[0]}. " if counter else "• ")
            if counter:
                counter[0] += 1
        elif token.type in ("blockquote_open", "blockquote_close"):
            quote += 1 if token.type == "blockquote_open" else -1
        elif token.type in ("fence", "code_block"):
            lines += [[_text(line)] for line in token.content.rstrip("\n").split("\n")]
        elif token.type == "hr":
            lines.append([_text("———")])
        elif token.type == "tr_open":
            row = []
        elif token.type == "tr_close" and row is not None:
            lines += _split_lines(row)
            row = None
        elif token.type == "inline" and row is not None:
            row += ([_text(" | ")] if row else []) + _inline(token)
        elif token.type == "inline":
            indent = "  " * len(lists) if lists else ""
            lines += _split_lines(_inline(token), "> " * quote + prefix, "> " * quote + indent)
            prefix = ""
    return lines
