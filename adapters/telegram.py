"""The ``telegram`` channel: a bot posts each report to one chat through the Bot API.

The post's Markdown becomes Telegram's small HTML subset. Telegram counts a message's length on the visible text
left after the tags are parsed (at most 4096, a photo caption at most 1024; we count UTF-16 units, the safe
reading), so a long report is split at paragraph boundaries into several messages sent in order; the receipt is the
first one. The Bot API has no idempotency key and no way to list what a bot sent: an answer lost on the way back
leaves the delivery uncertain, for a person to settle.
"""

from __future__ import annotations

import asyncio
import dataclasses
import html
import logging
import re
import unicodedata
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any, ClassVar

import httpx
from markdown_it import MarkdownIt
from markdown_it.token import Token

from adapters.base import ChannelAdapter, Limits, Payload, PostContent, Receipt
from adapters.errors import ChannelError, CredentialsRejected, Permanent, Retryable, Uncertain
from adapters.http import parse_retry_after, raise_for_transport
from adapters.media import LoadedImage, fit_image
from adapters.options import Option, api_base, max_length, timeout
from adapters.text import count_utf16_units

__all__ = ["CAPTION_LIMIT", "MESSAGE_LIMIT", "RETRY_SHARE", "SPLIT_LIMIT", "TelegramAdapter", "render_messages"]

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
PHOTO_BYTES = 10_000_000  # an uploaded photo (PTB's PHOTOSIZE_UPLOAD); a larger one is scaled down to fit
PHOTO_TYPES = ("image/jpeg", "image/png", "image/webp")
#: each part of a post split in several is at most this long: a server refused parts cut to 1-5 units of 4096
SPLIT_LIMIT = MESSAGE_LIMIT - 96
#: after a part is refused as too long, what is left of the post is split again once, to this share of its length
RETRY_SHARE = 0.9
#: a flood wait asked for between the parts of one post is sat out when it is this short (seconds)
_INLINE_WAIT_MAX = 5.0
_LOG = logging.getLogger(__name__)

Run = tuple[str, tuple[str, ...]]  # visible text, and the tags around it, outermost first: ("b", 'a href="…"')
Block = list[Run]


# --- Markdown to Telegram HTML, as blocks of runs that can be cut anywhere and re-wrapped ------------------------


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    return MarkdownIt("js-default")  # CommonMark + tables + strikethrough, raw HTML off (as adapters.text)


_INLINE_TAGS = {"strong_open": "b", "em_open": "i", "s_open": "s"}
_INLINE_CLOSE = {"strong_close": "b", "em_close": "i", "s_close": "s"}
_LINKABLE = re.compile(r"(https?|tg)://", re.IGNORECASE)


def _link_tag(href: str) -> str | None:
    # Telegram refuses relative or odd links; their text stays, unlinked
    return f'a href="{html.escape(href, quote=True)}"' if _LINKABLE.match(href) else None


def _inline(children: Sequence[Token], base: tuple[str, ...]) -> Block:
    runs: Block = []
    stack = list(base)
    for child in children:
        kind = child.type
        if kind in ("text", "html_inline"):
            runs.append((child.content, tuple(stack)))
        elif kind in ("softbreak", "hardbreak"):
            runs.append(("\n", tuple(stack)))
        elif kind == "code_inline":
            # code may hold no other entity and sit in none but a quote; inside a link it is plain link text
            in_link = any(tag.startswith("a ") for tag in stack)
            quote = tuple(tag for tag in base if tag == "blockquote")
            runs.append((child.content, tuple(stack) if in_link else (*quote, "code")))
        elif kind in _INLINE_TAGS:
            stack.append(_INLINE_TAGS[kind])
        elif kind in _INLINE_CLOSE and _INLINE_CLOSE[kind] in stack:
            del stack[len(stack) - 1 - stack[::-1].index(_INLINE_CLOSE[kind])]
        elif kind == "link_open":
            stack.append(_link_tag(str(child.attrGet("href") or "")) or "")
        elif kind == "link_close" and stack:
            stack.pop()
        elif kind == "image":  # a picture inside the text becomes a link to it
            src = str(child.attrGet("src") or "")
            tag = None if any(t.startswith("a ") for t in stack) else _link_tag(src)
            runs.append((child.content or src, tuple(stack) + ((tag,) if tag else ())))
    return [(text, tuple(tag for tag in tags if tag)) for text, tags in runs]


def _blocks(markdown: str) -> list[Block]:
    """Paragraphs, headings, code blocks, and whole lists and tables, each one block."""
    blocks: list[Block] = []
    gathered: Block | None = None  # the list or table being built, one line per item or row
    lists: list[str] = []
    heading = line_open = False
    quotes = cells = 0
    for token in _markdown().parse(markdown):
        kind, base = token.type, (("blockquote",) if quotes else ())
        if kind in ("bullet_list_open", "ordered_list_open"):
            gathered = [] if gathered is None else gathered
            lists.append(kind)
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
            if not lists and gathered is not None:
                blocks.append(gathered)
                gathered = None
        elif kind == "list_item_open" and gathered is not None:
            marker = f"{token.info}{token.markup}" if lists[-1] == "ordered_list_open" else "•"
            _new_line(gathered, "  " * (len(lists) - 1) + marker + " ", base)
            line_open = True
        elif kind in ("blockquote_open", "blockquote_close"):
            quotes += 1 if kind == "blockquote_open" else -1  # Telegram quotes cannot nest: one level shows
        elif kind in ("heading_open", "heading_close"):
            heading = kind == "heading_open"
        elif kind == "table_open":
            gathered = []
        elif kind == "table_close" and gathered is not None:
            blocks.append(gathered)
            gathered, cells = None, 0
        elif kind == "tr_open" and gathered is not None:
            _new_line(gathered, "", base)
            cells, line_open = 0, True
        elif kind in ("th_open", "td_open") and gathered is not None:
            if cells:
                gathered.append((" | ", base))
            cells += 1
            heading = kind == "th_open"
        elif kind in ("th_close", "td_close"):
            heading = False
        elif kind == "inline":
            runs = _inline(token.children or [], (*base, "b") if heading else base)
            if gathered is None:
                blocks.append(runs)
            else:
                if not line_open:  # a second paragraph in a list item: its own, indented line
                    _new_line(gathered, "  " * len(lists), base)
                gathered.extend(runs)
                line_open = bool(cells)
        elif kind in ("fence", "code_block"):
            language = token.info.split()[0] if token.info.strip() else ""
            tags = ("pre", f'code class="language-{html.escape(language)}"') if language else ("pre",)
            runs = [(token.content.rstrip("\n"), tags)]  # a pre block stands alone, outside any quote
            if gathered is None:
                blocks.append(runs)
            else:
                _new_line(gathered, "", ())
                gathered.extend(runs)
        elif kind == "hr":
            blocks.append([("———", base)])
    return [block for block in blocks if _visible(block).strip()]


def _new_line(block: Block, prefix: str, tags: tuple[str, ...]) -> None:
    if block:
        block.append(("\n", tags))
    if prefix:
        block.append((prefix, tags))


def _visible(block: Block) -> str:
    return "".join(text for text, _ in block)


def _html(block: Block) -> str:
    """The block as Telegram HTML: only &, < and > escaped; tags shared by neighbouring runs opened once."""
    out: list[str] = []
    opened: tuple[str, ...] = ()
    for text, tags in block:
        if not text:
            continue
        same = 0
        while same < min(len(opened), len(tags)) and opened[same] == tags[same]:
            same += 1
        out.extend(f"</{tag.split(' ', 1)[0]}>" for tag in reversed(opened[same:]))
        out.extend(f"<{tag}>" for tag in tags[same:])
        out.append(html.escape(text, quote=False))
        opened = tags
    out.extend(f"</{tag.split(' ', 1)[0]}>" for tag in reversed(opened))
    return "".join(out)


# --- splitting: whole blocks per message; a block too long alone is cut at a line, sentence or word --------------

_OPENING_TAG = re.compile(r"<[a-z]")
_MAX_ENTITIES = 100
_SENTENCE_END = re.compile(r"[。！？；!?;]|\.(?=\s)")


def _fits(text: str, limit: int) -> int:
    """How many characters of ``text`` fit in ``limit`` UTF-16 units."""
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return index
    return len(text)


def _grapheme_boundary(text: str, index: int) -> bool:
    if index <= 0 or index >= len(text):
        return True
    before, after = text[index - 1], text[index]
    if unicodedata.combining(after) or after in "\u200d\ufe0e\ufe0f" or before == "\u200d":
        return False
    if 0x1F3FB <= ord(after) <= 0x1F3FF or 0xE0020 <= ord(after) <= 0xE007F:  # skin tones, flag tags
        return False
    regional = 0  # regional indicators pair into flags: never cut inside a pair
    while index - regional > 0 and 0x1F1E6 <= ord(text[index - regional - 1]) <= 0x1F1FF:
        regional += 1
    return not (regional % 2 and 0x1F1E6 <= ord(after) <= 0x1F1FF)


def _cut(text: str, limit: int) -> int:
    """Where to end the first piece of ``text``: at a line, a sentence or a word in its second half if possible."""
    end = _fits(text, limit)
    window = text[:end]
    for pattern in (re.compile(r"\n"), _SENTENCE_END, re.compile(r"\s")):
        ends = [match.end() for match in pattern.finditer(window)]
        if ends and ends[-1] >= end // 2:
            return ends[-1]
    while end > 1 and not _grapheme_boundary(text, end):
        end -= 1
    return end


def _slice(block: Block, start: int, end: int) -> Block:
    out: Block = []
    position = 0
    for text, tags in block:
        low, high = max(start, position), min(end, position + len(text))
        if low < high:
            out.append((text[low - position : high - position], tags))
        position += len(text)
    return out


def _split(block: Block, room: int) -> tuple[Block, Block]:
    """The first piece of ``block`` that fits in ``room`` units, and the rest (the break itself is dropped)."""
    text = _visible(block)
    end = rest = _cut(text, room)
    while rest < len(text) and text[rest] in " \n":
        rest += 1
    return _slice(block, 0, end), _slice(block, rest, len(text))


def _pack(blocks: Sequence[Block], limit: int) -> list[list[Block]]:
    """Fill messages with whole blocks, a blank line apart, each at most ``limit`` units of visible text.

    A block that fits no message whole is cut, its first piece filling what room is left. A message also takes at
    most 100 formatted spans: Telegram silently drops the formatting of any beyond.
    """
    parts: list[list[Block]] = []
    current: list[Block] = []
    used = spans = 0
    for block in blocks:
        while block:
            size, room = count_utf16_units(_visible(block)), limit - used - (2 if current else 0)
            marks = len(_OPENING_TAG.findall(_html(block)))
            if (size <= room and spans + marks <= _MAX_ENTITIES) or (not current and size <= limit):
                current.append(block)
                used, spans = used + size + (2 if len(current) > 1 else 0), spans + marks
                break
            if current and (size <= limit or room < limit // 4 or spans + marks > _MAX_ENTITIES):
                parts.append(current)  # start a new message rather than cut a paragraph that fits one
                current, used, spans = [], 0, 0
                continue
            piece, block = _split(block, room)
            parts.append([*current, piece])
            current, used, spans = [], 0, 0
    return [*parts, current] if current else parts


def render_messages(post: PostContent) -> tuple[str, list[dict[str, Any]]]:
    """The post's visible text and the Bot API calls that send it: text messages, then photos.

    When the whole post fits in a caption (1024), the first photo carries it and the post is one message.
    """
    blocks: list[Block] = [[(post.title.strip(), ("b",))], *_blocks(post.body)]
    if post.link:
        blocks.append([(post.link, ())])
    blocks = [block for block in blocks if _visible(block).strip()]
    packed = _pack(blocks, MESSAGE_LIMIT)
    if len(packed) > 1:  # a post that fits one message goes whole; one that must be split leaves a margin
        packed = _pack(blocks, SPLIT_LIMIT)
    parts = [("\n\n".join(map(_html, part)), "\n\n".join(map(_visible, part))) for part in packed]
    visible = "\n\n".join(text for _, text in parts)
    images = list(post.images)
    if images and len(parts) == 1 and count_utf16_units(visible) <= CAPTION_LIMIT:
        first = {"method": "sendPhoto", "photo": images.pop(0), "caption": parts[0][0]}
        return visible, [first, *({"method": "sendPhoto", "photo": image} for image in images)]
    texts = [{"method": "sendMessage", "text": part_html} for part_html, _ in parts]
    return visible, texts + [{"method": "sendPhoto", "photo": image} for image in images]


_PIECE = re.compile(r"<(/?)([a-z-]+)([^>]*)>|([^<]+)")


def _parse(text: str) -> Block:
    """The runs of Telegram HTML that ``_html`` wrote (its inverse, up to how runs are grouped)."""
    block: Block = []
    stack: list[str] = []
    for match in _PIECE.finditer(text):
        if match.group(4) is not None:
            block.append((html.unescape(match.group(4)), tuple(stack)))
        elif match.group(1):
            stack.pop()
        else:
            stack.append(match.group(2) + match.group(3))
    return block


def _split_again(messages: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """``messages``, the first of which Telegram refused as too long, made shorter once.

    A refused caption becomes a text message before the photos. Otherwise the refused part, and each later one
    longer than ``RETRY_SHARE`` of it, is cut again into parts that short.
    """
    first, rest = dict(messages[0]), [dict(m) for m in messages[1:]]
    if first["method"] == "sendPhoto":
        caption = str(first.pop("caption", ""))
        return [{"method": "sendMessage", "text": caption}, first, *rest] if caption else [first, *rest]
    limit = max(2, int(count_utf16_units(_visible(_parse(first["text"]))) * RETRY_SHARE))  # 2: room for an emoji
    again: list[dict[str, Any]] = []
    for message in [first, *rest]:
        block = _parse(message["text"]) if message["method"] == "sendMessage" else []
        if count_utf16_units(_visible(block)) <= limit:
            again.append(message)
        else:  # cut on its own: two parts joined into one message would read as two paragraphs
            again.extend({"method": "sendMessage", "text": "".join(map(_html, part))} for part in _pack([block], limit))
    return again


# --- the adapter -------------------------------------------------------------------------------------------------


class _TokenFilter(logging.Filter):
    """httpx logs each request's URL at INFO, and a Bot API URL carries the token: blank it out."""

    def __init__(self) -> None:
        super().__init__()
        self.tokens: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(token in message for token in self.tokens):
            for token in self.tokens:
                message = message.replace(token, "<token>")
            record.msg, record.args = message, None
        return True


_TOKEN_FILTER = _TokenFilter()


class _TooLong(Permanent):
    """Telegram refused a message or a caption as too long."""


class _ChatMigrated(Exception):
    def __init__(self, new_chat_id: int) -> None:
        super().__init__(new_chat_id)
        self.new_chat_id = new_chat_id


def _chat_id(value: Any) -> int | str:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"@[A-Za-z]\w{3,}", value.strip()):
        return value.strip()
    raise ValueError(f'must be a numeric chat id or a public "@channelname", got {value!r}')


class TelegramAdapter(ChannelAdapter):
    kind: ClassVar[str] = "telegram"
    options: ClassVar[tuple[Option, ...]] = (
        Option(
            name="chat_id",
            type=object,
            check=_chat_id,
            help='The chat to post to: its numeric id (supergroups and channels start with -100), or "@name" for a '
            "public channel. If the group is upgraded to a supergroup, Telegram names the new id: the adapter follows "
            "it until the daemon restarts and logs a warning; put the new id here.",
            example=-1001234567890,
        ),
        Option(
            name="token_env",
            help='The environment variable holding the bot token from @BotFather ("123456789:AA..."). Never the token '
            "itself.",
            example="TELEGRAM_BOT_TOKEN",
        ),
        timeout(
            "Seconds to wait for an answer. A message whose answer does not come in time may have gone out: it waits "
            'as "uncertain" for a person to say "resend" or "it went out".'
        ),
        api_base(
            "https://api.telegram.org",
            help="The Bot API's address. Change it only for a local Bot API server or a test stand-in.",
        ),
        max_length(
            "The longest post accepted when it is queued, in UTF-16 units of visible text (default 40960: ten "
            "messages).",
            default=10 * MESSAGE_LIMIT,
        ),
    )
    # max_length bounds a whole post (ten full messages): each message is kept under 4096 by splitting, and a
    # longer report is better as a link than as a wall of messages; the queue refuses it when it is queued.
    limits: Limits = Limits(
        max_length=10 * MESSAGE_LIMIT,
        count=count_utf16_units,
        unit="UTF-16 code units of visible text",
        max_images=10,
        rate_per_minute=20,  # Bot FAQ: at most 20 messages a minute in one group
        concurrency=1,  # one chat: parts of two posts must not interleave
    )

    def setup(self, config: dict[str, Any]) -> None:
        self.chat_id: int | str = config["chat_id"]
        self.configured_chat_id = self.chat_id
        token: str = config["token_env"]
        self.token_env = str(self._given["token_env"])
        self.api_base: str = config["api_base"]
        self.timeout: float = config["timeout"]
        self.limits = dataclasses.replace(self.limits, max_length=config["max_length"])
        self._token = token
        self._base = f"{self.api_base}/bot{token}"
        _TOKEN_FILTER.tokens.add(token)
        if _TOKEN_FILTER not in logging.getLogger("httpx").filters:
            logging.getLogger("httpx").addFilter(_TOKEN_FILTER)
        # key -> a post that went out only in part: the message ids sent, its messages, whether split again
        self._progress: dict[str, tuple[list[int], list[dict[str, Any]], bool]] = {}
        self._chat: dict[str, Any] = {}

    def render(self, post: PostContent) -> Payload:
        visible, messages = render_messages(post)
        if not messages:
            raise Permanent("the post has no text and no image to send")
        return Payload(text=visible, data={"messages": messages})

    async def publish(self, payload: Payload, key: str) -> Receipt:
        # a resend continues where a partial send stopped
        sent, messages, split_again = self._progress.get(key, ([], list(payload.data["messages"]), False))
        sent, messages = list(sent), list(messages)
        # every picture is read and checked before the first part goes out: a refused one stops the whole post
        photos = {
            m["photo"]: fit_image(await self.images.load(m["photo"]), PHOTO_BYTES, PHOTO_TYPES)  # 10 MB a photo
            for m in messages[len(sent) :]
            if "photo" in m
        }
        while len(sent) < len(messages):
            index = len(sent)
            try:
                result = await self._send(messages[index], photos, later_part=bool(sent))
            except _TooLong as exc:
                if split_again:  # once only: a server that refuses the shorter cut too is not guessed at again
                    raise self._stopped(key, sent, messages, split_again, exc) from None
                # the server is stricter than its documented limit: what is left goes again, cut shorter
                split_again, messages[index:] = True, _split_again(messages[index:])
                _LOG.warning("telegram channel %s: part %d refused as too long, split again", self.name, index + 1)
                continue
            except ChannelError as exc:
                raise self._stopped(key, sent, messages, split_again, exc) from None
            sent.append(result["message_id"])
            self._chat = result.get("chat") or self._chat
        self._progress.pop(key, None)
        details: dict[str, Any] = {"chat_id": self.chat_id, "message_ids": sent}
        if self.chat_id != self.configured_chat_id:
            details["migrated_from"] = self.configured_chat_id
        return Receipt(remote_id=str(sent[0]), url=_message_link(self._chat, sent[0]), details=details)

    def _stopped(
        self, key: str, sent: list[int], messages: list[dict[str, Any]], split_again: bool, exc: ChannelError
    ) -> ChannelError:
        """The error to raise when a part fails: its own if nothing went out, else "uncertain", the rest kept."""
        if not sent:
            return exc
        index = len(sent)
        self._progress[key] = (sent, messages, split_again)
        return Uncertain(
            f"parts 1-{len(sent)} of {len(messages)} went out (message ids {sent}), part {index + 1} "
            f"failed: {exc.reason}. A resend from this running daemon continues at part {index + 1}; "
            "after a restart it would repeat the parts already sent"
        )

    async def lookup(self, key: str) -> Receipt | None:
        raise NotImplementedError("the Bot API cannot list the messages a bot sent")

    async def check(self) -> str:
        me = await self._call("getMe", {})
        try:
            chat = await self._call("getChat", {"chat_id": self.chat_id})
        except _ChatMigrated as moved:
            raise Permanent(
                f"chat {self.chat_id} became supergroup {moved.new_chat_id}: set chat_id = {moved.new_chat_id}"
            ) from None
        title = chat.get("title") or chat.get("username") or chat.get("id")
        return f"bot @{me.get('username')} can reach {chat.get('type', 'chat')} {title!r} ({self.chat_id})"

    def describe(self) -> dict[str, Any]:
        described = super().describe()
        if self.chat_id != self.configured_chat_id:
            described.update(chat_id=self.chat_id, migrated_from=self.configured_chat_id)
        return described

    async def _send(
        self, message: Mapping[str, Any], photos: Mapping[str, LoadedImage], *, later_part: bool
    ) -> dict[str, Any]:
        """One Bot API call for one part, following a group's move to a supergroup and a short flood wait."""
        waited = False
        for _ in range(3):  # at most one move and one wait
            try:
                result = await self._send_once(message, photos)
                if not isinstance(result.get("message_id"), int):  # "ok" without a message: it may be out
                    raise Uncertain(f"{message['method']}: Telegram answered ok without a message_id")
                return result
            except _ChatMigrated as moved:
                if moved.new_chat_id == self.chat_id:
                    break
                _LOG.warning("telegram channel %s: chat %s is now %s", self.name, self.chat_id, moved.new_chat_id)
                self.chat_id = moved.new_chat_id  # kept for this adapter's lifetime; the config needs updating
            except Retryable as exc:
                # between parts a short wait beats leaving a post half sent
                if not later_part or waited or exc.after is None or exc.after > _INLINE_WAIT_MAX:
                    raise
                waited = True
                await asyncio.sleep(exc.after)
        raise Permanent(f"chat {self.chat_id} keeps answering that it moved; check chat_id")

    async def _send_once(self, message: Mapping[str, Any], photos: Mapping[str, LoadedImage]) -> dict[str, Any]:
        method = str(message["method"])
        fields: dict[str, Any] = {"chat_id": self.chat_id, "parse_mode": "HTML"}
        if method == "sendMessage":
            return await self._call(method, {**fields, "text": message["text"]})
        if "caption" in message:
            fields["caption"] = message["caption"]
        # always the bytes (multipart), never a URL for Telegram to fetch: one checked path for every picture
        image = photos[message["photo"]]
        return await self._call(method, fields, photo=(image.filename, image.data, image.mime))

    async def _call(
        self, method: str, fields: Mapping[str, Any], photo: tuple[str, bytes, str] | None = None
    ) -> dict[str, Any]:
        url = f"{self._base}/{method}"
        try:
            if photo is None:
                response = await self.client.post(url, json=dict(fields), timeout=self.timeout)
            else:
                form = {key: str(value) for key, value in fields.items()}
                response = await self.client.post(url, data=form, files={"photo": photo}, timeout=self.timeout)
        except httpx.TransportError as exc:
            raise self._scrubbed(raise_for_transport(exc)) from None  # the exception holds the URL, token and all
        except httpx.HTTPError as exc:
            raise Uncertain(f"{method}: {type(exc).__name__}") from None
        return self._result(method, response)

    def _result(self, method: str, response: httpx.Response) -> dict[str, Any]:
        try:
            document = response.json()
        except ValueError:
            document = None
        status = response.status_code
        if not isinstance(document, dict) or not isinstance(document.get("ok"), bool):
            if status in (429, 503):
                raise Retryable(
                    f"{method}: HTTP {status}", after=parse_retry_after(response.headers.get("Retry-After"))
                )
            if status in (200, 500, 502, 504):  # the message may have gone out
                raise Uncertain(f"{method}: HTTP {status} with no readable Bot API answer")
            raise Permanent(f"{method}: HTTP {status} with no Bot API answer: is api_base right?")
        if document["ok"] and isinstance(document.get("result"), dict):
            return document["result"]  # type: ignore[no-any-return]
        code = document.get("error_code", status)
        description = self._scrub(str(document.get("description", "")))[:300]
        parameters: dict[str, Any] = document.get("parameters") or {}
        if isinstance(parameters.get("migrate_to_chat_id"), int):
            raise _ChatMigrated(parameters["migrate_to_chat_id"])
        if code == 429:
            after = parameters.get("retry_after")
            wait = (
                float(after)
                if isinstance(after, int | float)
                else parse_retry_after(response.headers.get("Retry-After"))
            )
            raise Retryable(f"{method}: flood control: {description}", after=wait)
        if code == 401:
            raise CredentialsRejected(f"Telegram refused the bot token ({description}): get a new one from @BotFather")
        if code == 503:
            raise Retryable(f"{method}: {code} {description}")
        if code in (500, 502, 504) or document["ok"]:
            raise Uncertain(f"{method}: {code} {description}")
        if code == 400 and re.search(r"too long|TOO_LONG", description):
            raise _TooLong(f"{method}: {code} {description}")
        raise Permanent(f"{method}: {code} {description}")

    def _scrub(self, text: str) -> str:
        return text.replace(self._token, "<token>")

    def _scrubbed(self, error: ChannelError) -> ChannelError:
        error.reason = self._scrub(error.reason)
        error.args = (error.reason,)
        return error


def _message_link(chat: Mapping[str, Any], message_id: int) -> str | None:
    """Public chats have t.me/<username>/<id>; private supergroups and channels t.me/c/<id>/<id> for members."""
    if chat.get("username"):
        return f"https://t.me/{chat['username']}/{message_id}"
    chat_id = str(chat.get("id", ""))
    if chat_id.startswith("-100"):
        return f"https://t.me/c/{chat_id[4:]}/{message_id}"
    return None  # basic groups and private chats have no message links
