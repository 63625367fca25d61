"""The ``wechat_mp`` channel: an article on a WeChat Official Account (微信公众号) through the official API.

Every post becomes a draft (``draft/add``: title, author, digest, HTML content, the "阅读原文" link, a cover); the
channel's ``mode`` says what follows: ``draft`` stops there (a person publishes it in the back office), ``publish``
submits it (``freepublish/submit``, then polls ``freepublish/get`` until WeChat says how it went: free publish
notifies no follower) and ``mass_send`` sends it to every follower (``message/mass/sendall``, with the delivery's
key as ``clientmsgid``, which WeChat itself de-duplicates within 24 hours).

The access token is a stable token (``cgi-bin/stable_token``), kept for its lifetime in a ``StateCache`` shared by
every channel of the account: a process-wide one in memory, or the one the daemon stores in the database for every
daemon (``Capabilities.shared_state``). A token WeChat
refuses (40001, 42001) is refreshed once and the call retried once; never in a loop. The same cache keeps, per
delivery key, what was done (``Attempt``): the draft's media_id, the publish job's id. A retry resumes from there,
and ``lookup`` reads the article back by title (``freepublish/batchget``, ``draft/batchget``) after an answer was
lost, so a lost answer never makes a second article. An account that may not publish through the API (48001) keeps
its draft and the delivery waits for a person (``ManualStep``).
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import functools
import hashlib
import html
import json
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import httpx
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from adapters.article import excerpt
from adapters.base import (
    Capabilities,
    ChannelAdapter,
    Idempotency,
    Limits,
    MemoryCache,
    Payload,
    PostContent,
    ReadBack,
    Receipt,
    StateCache,
    read_back_safely,
)
from adapters.errors import ChannelError, CredentialsRejected, ManualStep, Permanent, Retryable, Uncertain
from adapters.http import json_object, raise_for_transport, status_error, summarise
from adapters.media import LoadedImage, checked_sources, fit_image
from adapters.options import Option, api_base, timeout
from adapters.text import markdown_to_html, markdown_to_text

__all__ = ["MemoryCache", "PublishStatus", "StateCache", "WeChatMpAdapter", "count_content"]

TITLE_LIMIT = 32
DIGEST_LIMIT = 128
AUTHOR_LIMIT = 16
CONTENT_LIMIT = 20_000
#: characters an image's address may take once WeChat's own (mmbiz.qpic.cn) replaces ours in the content
IMAGE_URL_ROOM = 200
#: the cover is a permanent "image" material: 2 MB (older pages; newer ones say 10 MB), bmp/png/jpeg/gif
COVER_BYTES = 2 * 1024 * 1024
COVER_TYPES = ("image/jpeg", "image/png", "image/gif")
#: a body image (``media/uploadimg``): jpg or png, under 1 MB
BODY_BYTES = 1024 * 1024 - 1
BODY_TYPES = ("image/jpeg", "image/png")
#: a token is renewed this long before WeChat's expiry (old and new overlap for 5 minutes)
TOKEN_MARGIN = 300.0
#: how long what was done for a delivery is remembered (a retry or a lookup resumes from it)
ATTEMPT_LIFETIME = 9 * 24 * 3600.0  # what was sent for a key: past the read-back's last check, 7 days after sending
_BEIJING = ZoneInfo("Asia/Shanghai")
_TOKEN_REFUSED = (40001, 42001, 40014)  # invalid, expired, malformed access token: refresh once
_IMG_SRC = re.compile(r'(<img\b[^>]*?\bsrc=")([^"]+)(")', re.IGNORECASE)
_IP = re.compile(r"invalid ip ([0-9a-fA-F.:]+)")

#: ``freepublish/get``'s publish_status: what each one means, in English and Chinese
STATUSES = {
    0: "published (发布成功)",
    1: "publishing (发布中)",
    2: "the originality check failed (原创审核不通过)",
    3: "publishing failed (常规失败)",
    4: "rejected by the platform's review (平台审核不通过)",
    5: "deleted by the account after it was published (成功后用户删除所有文章)",
    6: "banned by the platform after it was published (成功后系统封禁所有文章)",
}

#: ``message/mass/get``'s msg_status
MASS_STATUSES = {
    "SEND_SUCCESS": "sent to the followers (发送成功)",
    "SENDING": "still sending (发送中)",
    "SEND_FAIL": "the send failed (发送失败)",
    "DELETE": "deleted by the account after it was sent (已删除)",
}


# --- the shared state: the token and what was done for each delivery ------------------------------------------------


#: the process's cache: every channel of one account shares its token
SHARED_CACHE = MemoryCache()


@dataclasses.dataclass(kw_only=True)
class Attempt:
    """What was done for one delivery key, kept before each step so a retry resumes rather than repeats."""

    title: str
    digest: str
    thumb: str | None = None  # the cover's permanent media_id
    drafting: bool = False  # draft/add was sent
    draft: str | None = None  # its media_id, once known
    submitting: bool = False  # freepublish/submit was sent
    publish_id: str | None = None
    manual: bool = False  # 48001: the draft waits for a person
    fingerprint: str = ""  # of what was rendered: a post edited before anything went out gets a draft of its own

    @property
    def went_out(self) -> bool:
        """A submit was sent (its job may publish): the article is never made again for this key."""
        return self.submitting or self.publish_id is not None

    def dumps(self) -> str:
        return json.dumps(dataclasses.asdict(self), ensure_ascii=False)

    @classmethod
    def loads(cls, text: str) -> Attempt | None:
        try:
            fields = json.loads(text)
            return cls(**fields) if isinstance(fields, dict) else None
        except (ValueError, TypeError):
            return None


@dataclasses.dataclass(frozen=True)
class PublishStatus:
    """What ``freepublish/get`` says of one publish job."""

    publish_id: str
    status: int
    article_id: str | None = None
    url: str | None = None
    fail_idx: tuple[int, ...] = ()

    @property
    def final(self) -> bool:
        return self.status != 1

    @property
    def live(self) -> bool:
        return self.status == 0

    def describe(self) -> str:
        return STATUSES.get(self.status, f"publish_status {self.status}")


def count_content(text: str) -> int:
    """The content's length as WeChat will see it: each image's address counted as the room its own takes."""
    images = _IMG_SRC.findall(text)
    return len(text) + sum(IMAGE_URL_ROOM - len(src) for _, src, _ in images if len(src) < IMAGE_URL_ROOM)


def _author(value: str) -> str:
    if len(value) > AUTHOR_LIMIT:
        raise ValueError(f"is {len(value)} characters; WeChat shows at most {AUTHOR_LIMIT} (作者最多 16 个字)")
    return value


def _until_beijing_midnight(now: float) -> float:
    """Seconds until WeChat's daily quotas reset (midnight, Beijing time)."""
    here = datetime.fromtimestamp(now, _BEIJING)
    midnight = (here + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(60.0, (midnight - here).total_seconds())


class WeChatMpAdapter(ChannelAdapter):
    kind: ClassVar[str] = "wechat_mp"
    options: ClassVar[tuple[Option, ...]] = (
        Option(
            name="app_id",
            help="The account's AppID (开发者ID), from 设置与开发 → 基本配置 in the WeChat back office.",
            example="wx1234567890abcdef",
        ),
        Option(
            name="app_secret_env",
            help="The environment variable holding the account's AppSecret (开发者密码). Never the secret itself. Add "
            "this machine's public IP address to the IP whitelist (IP白名单) on the same page, or every call is "
            "refused (40164).",
            example="WECHAT_MP_APP_SECRET",
        ),
        Option(
            name="mode",
            default="draft",
            choices=("draft", "publish", "mass_send"),
            help='"draft" (default): leave the article in the draft box for a person to publish; "publish": publish '
            'it (发布: a permanent link, no notice to followers); "mass_send": send it to every follower (群发: '
            "one a day for a subscription account). Since July 2025 an unverified account may not publish through "
            "the API (48001): its drafts then wait for a person.",
            example="publish",
        ),
        Option(
            name="cover_media_id",
            default=None,
            help="The media_id of an image in the account's material library (素材库), the cover of a post that has "
            "no image of its own (a WeChat article cannot go without one). `publisher channel test` lists the "
            "latest images with their media_ids. A post's first image is its cover otherwise.",
            example="MEDIA_ID_OF_A_COVER_IMAGE",
            commented=True,
        ),
        Option(
            name="author",
            default=None,
            check=_author,
            help="The author shown under the title (at most 16 characters), for example the office's name.",
            example="校办公室",
            commented=True,
        ),
        Option(
            name="open_comment",
            type=bool,
            default=False,
            help="true: open comments on the articles (need_open_comment); false (default): closed.",
        ),
        Option(
            name="publish_wait",
            type=float,
            default=60.0,
            positive=True,
            help='Seconds a send in "publish" mode waits for WeChat to say the article is published; if it is still '
            "publishing then, the delivery is checked again later (with the job's id, never submitted twice).",
        ),
        Option(
            name="poll_interval",
            type=float,
            default=3.0,
            positive=True,
            help='Seconds between two checks of a publish job in "publish" mode.',
        ),
        timeout("Seconds to wait for each answer (an image upload included)."),
        api_base("https://api.weixin.qq.com"),
    )
    # read_back: not in "draft" mode (setup), whose drafts nobody but the account sees
    capabilities: Capabilities = Capabilities(lookup=True, shared_state=True, read_back=True)
    # one at a time: the token and the daily quotas are the account's, and each post is several calls
    limits: Limits = Limits(
        max_length=CONTENT_LIMIT, count=count_content, max_images=20, rate_per_minute=None, concurrency=1
    )
    idempotency: Idempotency = "lookup"

    def __init__(
        self,
        name: str,
        options: Mapping[str, Any],
        *,
        client: httpx.AsyncClient | None = None,
        env: Mapping[str, str] | None = None,
        images: Any = None,
        cache: StateCache | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        super().__init__(name, options, client=client, env=env, images=images)
        self.cache: StateCache = cache or SHARED_CACHE
        self.clock = clock
        self.sleep = sleep

    def setup(self, config: dict[str, Any]) -> None:
        self.app_id: str = config["app_id"]
        self._secret: str = config["app_secret_env"]
        self.mode: str = config["mode"]
        self.cover_media_id: str | None = config["cover_media_id"]
        self.author: str | None = config["author"]
        self.open_comment: bool = config["open_comment"]
        self.publish_wait: float = config["publish_wait"]
        self.poll_interval: float = config["poll_interval"]
        self.timeout: float = config["timeout"]
        self.api: str = config["api_base"]
        self._scope = f"{self.api}|{self.app_id}"  # one account on one API: its token and its attempts
        if self.mode == "draft":
            self.capabilities = dataclasses.replace(self.capabilities, read_back=False)

    # --- render ---------------------------------------------------------------------------------------------------

    def render(self, post: PostContent) -> Payload:
        title = post.title.strip()
        if not title:
            raise Permanent("a WeChat article needs a title (标题不能为空)")
        if len(title) > TITLE_LIMIT:
            raise Permanent(
                f"the title is {len(title)} characters; WeChat takes at most {TITLE_LIMIT} (标题最多 32 个字): "
                "shorten it or give this channel a title of its own"
            )
        images = checked_sources(post.images, self.kind)  # a path is refused when the post is queued
        if not images and not self.cover_media_id:
            raise Permanent(
                "a WeChat article needs a cover: the post has no image and the channel has no cover_media_id "
                "(图文消息必须有封面图)"
            )
        figures = "".join(f'<p><img src="{html.escape(image)}"/></p>' for image in images)
        content = markdown_to_html(post.body) + figures
        digest = excerpt(markdown_to_text(post.body), DIGEST_LIMIT - 8)
        data = {
            "title": title,
            "author": self.author or "",
            "digest": digest,
            "content": content,
            "content_source_url": post.link or "",
            "cover": images[0] if images else None,
        }
        return Payload(text=content, data=data)

    # --- publish --------------------------------------------------------------------------------------------------

    async def publish(self, payload: Payload, key: str) -> Receipt:
        data = payload.data
        fingerprint = _fingerprint(data)
        attempt = await self._attempt(key)
        if attempt is None or (attempt.fingerprint != fingerprint and not attempt.went_out):
            # a first send, or a person's retry after editing a post that never went out: a draft of this version
            attempt = Attempt(title=data["title"], digest=data["digest"], fingerprint=fingerprint)
        # after a 48001 the dispatcher stops; a person who resends (the account may be verified now) tries the
        # kept draft again, never a new one
        attempt.manual = False
        if attempt.drafting and attempt.draft is None:  # an earlier draft/add lost its answer: did it land?
            attempt.draft = await self._find_draft(attempt)
        if attempt.draft is None:
            attempt.thumb = attempt.thumb or await self._cover(data["cover"])
            await self._save(key, attempt)
            content = await self._body_images(data["content"])
            article = {
                "article_type": "news",
                "title": data["title"],
                "author": data["author"],
                "digest": data["digest"],
                "content": content,
                "content_source_url": data["content_source_url"],
                "thumb_media_id": attempt.thumb,
                "need_open_comment": int(self.open_comment),
                "only_fans_can_comment": 0,
            }
            attempt.drafting = True
            await self._save(key, attempt)  # before sending: a lost answer is then looked up, not repeated
            try:
                created = await self._call(
                    "draft/add", {"articles": [article]}, creates=True, doing="creating the draft"
                )
            except ChannelError as exc:
                await self._answered(key, attempt, exc)
                raise
            draft = created.get("media_id")
            if not isinstance(draft, str) or not draft:
                raise Uncertain(f"WeChat answered draft/add without a media_id: {summarise(str(created)[:200])}")
            attempt.draft = draft
            await self._save(key, attempt)
        if self.mode == "draft":
            return _draft_receipt(attempt.draft)
        try:
            return await self._send(attempt, key)
        except ManualStep:  # 48001: the draft stays; a person publishes it
            attempt.manual, attempt.submitting = True, False  # refused, not lost: a resend may submit again
            await self._save(key, attempt)
            raise ManualStep(self._manual_reason(attempt)) from None

    async def _send(self, attempt: Attempt, key: str) -> Receipt:
        """Publish or mass-send the draft (the mode's last step)."""
        assert attempt.draft is not None
        if self.mode == "mass_send":
            return await self._mass_send(attempt.draft, key)
        if attempt.submitting and attempt.publish_id is None:  # a submit lost its answer: never submit twice
            found = await self._find_published(attempt)
            if found is not None:
                return found
            raise Uncertain(
                "the draft was submitted for publishing but the answer was lost and the article is not among the "
                "published ones yet; it is looked up again rather than submitted twice"
            )
        if attempt.publish_id is None:
            attempt.submitting = True
            await self._save(key, attempt)
            try:
                submitted = await self._call(
                    "freepublish/submit", {"media_id": attempt.draft}, creates=True, doing="submitting the draft"
                )
            except ManualStep:
                raise  # publish() keeps it for a person
            except ChannelError as exc:
                await self._answered(key, attempt, exc)
                raise
            attempt.publish_id = str(submitted.get("publish_id", "")) or None
            if attempt.publish_id is None:
                raise Uncertain(f"WeChat accepted the draft without a publish_id: {summarise(str(submitted)[:200])}")
            await self._save(key, attempt)
        return await self._await_publish(attempt, key)

    async def _answered(self, key: str, attempt: Attempt, error: ChannelError) -> None:
        """WeChat answered the draft or submit call with an error: nothing was made, so a later send (a retry, a
        person's) makes it afresh; a lost answer (``Uncertain``) keeps the step in doubt, to be looked up."""
        if not isinstance(error, Uncertain):
            if attempt.draft is None:
                attempt.drafting = False
            attempt.submitting = False
            await self._save(key, attempt)

    async def _outcome(self, status: PublishStatus, attempt: Attempt, key: str) -> Receipt:
        """A final publish status as a receipt (0, or a 5/6 that came quickly: it was out), or the refusal it is (2,
        3, 4): then nothing is published, and a person's retry submits again (or a new draft, if the post changed)."""
        try:
            return _published(status, attempt)
        except Permanent:
            attempt.publish_id, attempt.submitting = None, False
            await self._save(key, attempt)
            raise

    async def _await_publish(self, attempt: Attempt, key: str) -> Receipt:
        """Poll the publish job until WeChat says how it went, or ``publish_wait`` is over: then the delivery is
        checked again later through ``lookup`` (its job id is kept), and the dispatcher's slot is free meanwhile."""
        assert attempt.publish_id is not None
        deadline = self.clock() + self.publish_wait
        while True:
            status = await self.publish_status(attempt.publish_id)
            if status.final:
                return await self._outcome(status, attempt, key)
            if self.clock() >= deadline:
                raise Retryable(
                    f"WeChat is still publishing the article (publish_id {attempt.publish_id}) after "
                    f"{self.publish_wait:g} s; it is checked again, not submitted again",
                    after=max(self.poll_interval, 30.0),
                )
            await self.sleep(self.poll_interval)

    async def publish_status(self, publish_id: str) -> PublishStatus:
        """What WeChat says now of a publish job: the later read-back of a published article uses this too (a
        status 5 or 6 can come days after the 0)."""
        answer = await self._call("freepublish/get", {"publish_id": publish_id}, doing="reading the publish job")
        try:
            status = int(answer["publish_status"])
        except (KeyError, TypeError, ValueError):
            raise Retryable(f"WeChat answered freepublish/get without a publish_status: {str(answer)[:200]}") from None
        items = _dict(answer.get("article_detail")).get("item")
        urls = [str(i["article_url"]) for i in items if isinstance(i, dict) and i.get("article_url")] if items else []
        fail = answer.get("fail_idx")
        return PublishStatus(
            publish_id=publish_id,
            status=status,
            article_id=str(answer["article_id"]) if answer.get("article_id") else None,
            url=urls[0] if urls else None,
            fail_idx=tuple(int(i) for i in fail) if isinstance(fail, list) else (),
        )

    async def _mass_send(self, draft: str, key: str) -> Receipt:
        body = {
            "filter": {"is_to_all": True},
            "mpnews": {"media_id": draft},
            "msgtype": "mpnews",
            "send_ignore_reprint": 0,
            "clientmsgid": client_msg_id(key),
        }
        try:
            sent = await self._call("message/mass/sendall", body, creates=True, doing="sending to the followers")
        except _Repeated as repeat:  # 45065: this key was sent within 24 h; WeChat names that send
            sent = repeat.answer
        msg_id = sent.get("msg_id")
        if msg_id is None:
            raise Uncertain(f"WeChat answered the mass send without a msg_id: {summarise(str(sent)[:200])}")
        details = {"mode": "mass_send", "media_id": draft, "msg_id": msg_id, "msg_data_id": sent.get("msg_data_id")}
        return Receipt(remote_id=str(msg_id), details=details)

    # --- lookup: after a lost answer, find the article rather than make another -----------------------------------

    async def lookup(self, key: str) -> Receipt | None:
        attempt = await self._attempt(key)
        if attempt is None or not attempt.drafting:
            return None  # nothing was sent for this key (by this process, or the shared cache's daemons)
        if attempt.manual:
            return None  # nothing went out: publish() tries the kept draft again
        if attempt.publish_id is not None:
            status = await self.publish_status(attempt.publish_id)
            if not status.final:
                raise Retryable(f"WeChat is still publishing the article (publish_id {attempt.publish_id})", after=30)
            return await self._outcome(status, attempt, key)
        if attempt.submitting and self.mode == "publish":  # the submit's answer was lost: published, or publishing?
            return await self._send(attempt, key)  # finds it, or stays uncertain; never submits again
        if attempt.draft is None:  # the draft's answer was lost: look for it in the draft box
            attempt.draft = await self._find_draft(attempt)
            if attempt.draft is None:
                return None  # it never landed: creating it is safe
            await self._save(key, attempt)
        # a draft exists: in "draft" mode that is the post; otherwise publish() goes on from it
        return _draft_receipt(attempt.draft) if self.mode == "draft" else None

    async def _find_published(self, attempt: Attempt) -> Receipt | None:
        answer = await self._call(
            "freepublish/batchget", {"offset": 0, "count": 20, "no_content": 1}, doing="listing published articles"
        )
        for item in _list(answer.get("item")):
            for index, news in enumerate(_list(_dict(item.get("content")).get("news_item"))):
                if _same(news, attempt) and not news.get("is_deleted"):
                    url = news.get("url")
                    details = {"mode": "publish", "article_id": item.get("article_id"), "index": index}
                    return Receipt(
                        remote_id=str(item.get("article_id")),
                        url=url if isinstance(url, str) else None,
                        details=details,
                    )
        return None

    async def _find_draft(self, attempt: Attempt) -> str | None:
        answer = await self._call(
            "draft/batchget", {"offset": 0, "count": 20, "no_content": 1}, doing="listing the drafts"
        )
        for item in _list(answer.get("item")):
            if any(_same(news, attempt) for news in _list(_dict(item.get("content")).get("news_item"))):
                media_id = item.get("media_id")
                return str(media_id) if media_id else None
        return None

    # --- read-back: is the article still out? -----------------------------------------------------------------------

    async def read_back(self, sent: Receipt, key: str) -> ReadBack:
        """Whether the article is still out: in "publish" mode the job's ``freepublish/get`` status (5: deleted by
        the account, 6: banned by the platform, even days after the 0), or ``freepublish/getarticle`` when the job's
        id is no longer known; in "mass_send" mode ``message/mass/get`` (DELETE: deleted). No read counts: WeChat
        gives them only per day, through the analytics API (datacube), not per article on demand."""
        return await read_back_safely(self._read_back(sent, key))

    async def _read_back(self, sent: Receipt, key: str) -> ReadBack:
        mode = str(sent.details.get("mode") or self.mode)
        if mode == "mass_send":
            return await self._read_mass(sent)
        if mode != "publish":
            return ReadBack.unknown("a draft is not read back: it is not public until a person publishes it")
        publish_id = sent.details.get("publish_id")
        if not publish_id:
            attempt = await self._attempt(key)  # kept ATTEMPT_LIFETIME: the receipt's details may not be
            publish_id = attempt.publish_id if attempt is not None else None
        if publish_id:
            status = await self.publish_status(str(publish_id))
            said = f"publish_id {publish_id}: {status.describe()}"
            if status.status == 0:
                return ReadBack(state="online", detail=said, url=status.url or sent.url)
            if status.status == 1:
                return ReadBack.unknown(said)
            return ReadBack(state="gone", detail=said)  # 5, 6; or 2-4 (never out) if the delivery was marked sent
        if not sent.remote_id:
            return ReadBack.unknown("neither the publish job nor the article id was kept for this delivery")
        answer = await self._call(
            "freepublish/getarticle", {"article_id": sent.remote_id}, doing="reading the published article"
        )
        news = _list(answer.get("news_item"))
        if not news:
            return ReadBack.unknown(f"WeChat answered article {sent.remote_id} without its articles")
        if all(item.get("is_deleted") for item in news):
            return ReadBack(state="gone", detail=f"article {sent.remote_id}: {STATUSES[5]}")
        url = news[0].get("url")
        return ReadBack(
            state="online",
            detail=f"article {sent.remote_id} is published",
            url=url if isinstance(url, str) and url else sent.url,
        )

    async def _read_mass(self, sent: Receipt) -> ReadBack:
        msg_id = str(sent.details.get("msg_id") or sent.remote_id or "")
        if not msg_id:
            return ReadBack.unknown("no msg_id was kept for this mass send")
        answer = await self._call("message/mass/get", {"msg_id": msg_id}, doing="reading the mass send")
        status = str(answer.get("msg_status", ""))
        said = f"mass send {msg_id}: {MASS_STATUSES.get(status, status or 'no msg_status')}"
        if status == "SEND_SUCCESS":
            return ReadBack(state="online", detail=said, url=sent.url)
        if status in ("DELETE", "SEND_FAIL"):
            return ReadBack(state="gone", detail=said)
        return ReadBack.unknown(said)

    # --- check ----------------------------------------------------------------------------------------------------

    async def check(self) -> str:
        await self._token(refused=None)
        drafts = await self._call("draft/count", None, doing="counting the drafts", method="GET")
        verdict = (
            f"AppID {self.app_id}: credentials accepted and this machine's IP is on the whitelist; mode {self.mode}; "
            f"the draft box holds {drafts.get('total_count', '?')} drafts"
        )
        if self.cover_media_id:
            return verdict + f"; cover_media_id {self.cover_media_id} is the default cover"
        listed = await self._call(
            "material/batchget_material", {"type": "image", "offset": 0, "count": 5}, doing="listing images"
        )
        images = [
            f"{item.get('name', '?')}: {item.get('media_id')}"
            for item in _list(listed.get("item"))
            if item.get("media_id")
        ]
        latest = "; the latest images (name: media_id): " + ", ".join(images) if images else ""
        return verdict + "; no cover_media_id: a post without an image cannot go" + latest

    # --- the token and the calls ----------------------------------------------------------------------------------

    async def _token(self, refused: str | None) -> str:
        """The account's access token from the cache, or a new one; ``refused``: the token WeChat just refused,
        renewed with force_refresh unless another caller has renewed it already."""
        name = "wechat_mp:token:" + hashlib.sha256(self._scope.encode()).hexdigest()[:40]
        cached = self._unseal(await self.cache.get(name))
        if cached is not None and cached[0] != refused and cached[1] - TOKEN_MARGIN > self.clock():
            return cached[0]
        async with self.cache.lock(name):  # one refresher at a time; the others then read its token
            cached = self._unseal(await self.cache.get(name))
            if cached is not None and cached[0] != refused and cached[1] - TOKEN_MARGIN > self.clock():
                return cached[0]
            body = {
                "grant_type": "client_credential",
                "appid": self.app_id,
                "secret": self._secret,
                "force_refresh": refused is not None,
            }
            try:
                response = await self.client.post(f"{self.api}/cgi-bin/stable_token", json=body, timeout=self.timeout)
            except httpx.TransportError as exc:  # nothing was posted: a token request can always be repeated
                raise Retryable(raise_for_transport(exc).reason) from exc
            answer = self._answer(response, creates=False, doing="getting an access token")
            token, lifetime = answer.get("access_token"), answer.get("expires_in", 7200)
            if not isinstance(token, str) or not token or not isinstance(lifetime, int | float):
                raise Retryable("WeChat answered stable_token without an access_token")
            # the shared cache may be the database: the token goes there sealed with a key only the AppSecret gives
            await self.cache.put(name, self._sealer.encrypt(token.encode()).decode(), self.clock() + float(lifetime))
            return token

    @functools.cached_property
    def _sealer(self) -> Fernet:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"publisher wechat_mp access token")
        return Fernet(base64.urlsafe_b64encode(key.derive(self._secret.encode())))

    def _unseal(self, cached: tuple[str, float] | None) -> tuple[str, float] | None:
        """A cached token opened; None when there is none or it cannot be opened (sealed with another AppSecret)."""
        if cached is None:
            return None
        try:
            return self._sealer.decrypt(cached[0].encode()).decode(), cached[1]
        except InvalidToken:
            return None

    async def _call(
        self, path: str, body: Any, *, doing: str, creates: bool = False, method: str = "POST", **kw: Any
    ) -> dict[str, Any]:
        """One API call with the access token; a refused token is renewed once and the call made once more.

        Only a call that creates the post (``creates``) can leave it behind when its answer is lost: for the others
        (uploads, reads) a failure after sending is Retryable, at worst leaving an unused image in the library.
        """
        refused: str | None = None
        params = kw.pop("params", {})
        for _ in range(2):
            token = await self._token(refused)
            try:
                response = await self.client.request(
                    method,
                    f"{self.api}/cgi-bin/{path}",
                    params={"access_token": token, **params},
                    # WeChat reads UTF-8 JSON; escaped Chinese would count six characters each against the limits
                    content=None if body is None else json.dumps(body, ensure_ascii=False).encode(),
                    headers={"Content-Type": "application/json; charset=utf-8"} if body is not None else None,
                    timeout=self.timeout,
                    **kw,
                )
            except httpx.TransportError as exc:
                error = raise_for_transport(exc)
                raise (error if creates else Retryable(error.reason)) from exc
            try:
                return self._answer(response, creates=creates, doing=doing)
            except _TokenRefused:
                if refused is not None:
                    raise CredentialsRejected(
                        f"WeChat refused a freshly renewed access token while {doing}: check app_id and the AppSecret"
                    ) from None
                refused = token
        raise AssertionError("unreachable")

    def _answer(self, response: httpx.Response, *, creates: bool, doing: str) -> dict[str, Any]:
        """The JSON of a WeChat answer (errors come as HTTP 200 with an errcode), or the ChannelError it means."""
        if response.status_code != 200:
            error = status_error(response, f"{doing}: {response.text[:200]}")
            raise Retryable(error.reason) if isinstance(error, Uncertain) and not creates else error
        answer = json_object(response)
        if answer is None:
            reason = f"{doing}: WeChat's answer is not JSON ({summarise(response.text[:120])})"
            raise Uncertain(reason) if creates else Retryable(reason)
        code = answer.get("errcode", 0)
        if code in (0, None):
            return answer
        message = str(answer.get("errmsg", ""))
        if code in _TOKEN_REFUSED:
            raise _TokenRefused(message)
        if code == 45065 and answer.get("msg_id") is not None:
            raise _Repeated(answer)
        raise self._error(int(code) if isinstance(code, int) else -2, message, doing)

    def _error(self, code: int, message: str, doing: str) -> ChannelError:
        said = f"WeChat errcode {code} while {doing}: {message[:200]}"
        if code == 40164:
            found = _IP.search(message)
            ip = found.group(1) if found else "this machine's public IP"
            return CredentialsRejected(
                f"WeChat refused the call: {ip} is not on the account's IP whitelist. Add it in the WeChat back "
                f"office (设置与开发 → 基本配置 → IP白名单), then resume the channel. 本机公网 IP {ip} 不在公众号的 "
                f"IP 白名单中 (40164)"
            )
        if code in (40013, 40125, 41004, 40243):  # wrong AppID or AppSecret, or the secret was reset
            return CredentialsRejected(f"{said}: check app_id and the AppSecret (开发者ID / 开发者密码)")
        if code == 48001:
            if doing.startswith("creating"):  # not even drafts: every post would fail the same way
                return CredentialsRejected(f"{said}: the account may not create drafts through the API")
            return ManualStep(said)
        if code in (45009, 45028, 45047):  # the daily quota, the mass-send quota: try again tomorrow
            return Retryable(
                f"{said} (quota used up until midnight, Beijing time)", after=_until_beijing_midnight(self.clock())
            )
        if code in (45011, 45066):  # too often within a minute
            return Retryable(said, after=60.0)
        if code == -1:  # "system busy": WeChat says to try again later
            return Retryable(said)
        return Permanent(said)

    def _manual_reason(self, attempt: Attempt) -> str:
        verb, zh = ("send it to the followers", "群发") if self.mode == "mass_send" else ("publish it", "发表")
        return (
            f"the account may not {verb.split(' ')[0]} through the API (48001): the draft {attempt.title!r} (media_id "
            f"{attempt.draft}) is kept; {verb} in the WeChat back office (内容管理 → 草稿箱 → {zh}), then mark "
            f"this delivery sent. 该公众号无接口{zh}权限：草稿已保存，请在公众号后台草稿箱手动{zh}"
        )

    # --- images ---------------------------------------------------------------------------------------------------

    async def _cover(self, cover: str | None) -> str:
        """The cover's permanent media_id: the channel's own, or the post's first image uploaded as a material."""
        if cover is None:
            if self.cover_media_id is None:  # render refuses this already; a changed config may get here
                raise Permanent("a WeChat article needs a cover: set cover_media_id or give the post an image")
            return self.cover_media_id
        image = await self.images.load(cover)
        fitted = fit_image(image, COVER_BYTES, COVER_TYPES)
        data, mime = fitted.data, fitted.mime
        answer = await self._upload("material/add_material", image, data, mime, {"type": "image"}, "the cover")
        media_id = answer.get("media_id")
        if not isinstance(media_id, str) or not media_id:
            raise Retryable("WeChat answered the cover's upload without a media_id")
        return media_id

    async def _body_images(self, content: str) -> str:
        """``content`` with each image uploaded to WeChat (``uploadimg``) and its address replaced: WeChat strips
        any other image address from an article."""
        sources = {html.unescape(src) for _, src, _ in _IMG_SRC.findall(content)}
        urls: dict[str, str] = {}
        for source in sorted(sources):
            if not (source.startswith("https://") or source.startswith("media:")):
                continue
            image = await self.images.load(source)
            fitted = fit_image(image, BODY_BYTES, BODY_TYPES)
            data, mime = fitted.data, fitted.mime
            answer = await self._upload("media/uploadimg", image, data, mime, {}, f"the image {image.filename}")
            url = answer.get("url")
            if not isinstance(url, str) or not url:
                raise Retryable(f"WeChat answered the upload of {image.filename} without a url")
            urls[source] = url

        def swap(match: re.Match[str]) -> str:
            url = urls.get(html.unescape(match.group(2)))
            return match.group(1) + html.escape(url) + match.group(3) if url else match.group(0)

        return _IMG_SRC.sub(swap, content)

    async def _upload(
        self, path: str, image: LoadedImage, data: bytes, mime: str, params: dict[str, str], what: str
    ) -> dict[str, Any]:
        stem = image.filename.rsplit(".", 1)[0]
        name = f"{stem}.{'png' if mime == 'image/png' else 'gif' if mime == 'image/gif' else 'jpg'}"
        return await self._call(
            path, None, doing=f"uploading {what}", files={"media": (name, data, mime)}, params=params
        )

    # --- the attempts ---------------------------------------------------------------------------------------------

    def _attempt_name(self, key: str) -> str:
        # hashed: a name of bounded length whatever the channel's name in the key
        return "wechat_mp:attempt:" + hashlib.sha256(f"{self._scope}|{key}".encode()).hexdigest()[:40]

    async def _attempt(self, key: str) -> Attempt | None:
        found = await self.cache.get(self._attempt_name(key))
        return Attempt.loads(found[0]) if found is not None else None

    async def _save(self, key: str, attempt: Attempt) -> None:
        await self.cache.put(self._attempt_name(key), attempt.dumps(), self.clock() + ATTEMPT_LIFETIME)


class _TokenRefused(Exception):
    """40001/42001: renew the token once and call again."""


class _Repeated(Exception):
    """45065: the clientmsgid was sent within 24 hours; ``answer`` names that send."""

    def __init__(self, answer: dict[str, Any]) -> None:
        super().__init__("repeated clientmsgid")
        self.answer = answer


def client_msg_id(key: str) -> str:
    """The delivery's key as ``clientmsgid`` (at most 64 bytes; a longer key is hashed, the same on every retry)."""
    return key if len(key.encode()) <= 64 else "pub-" + hashlib.sha256(key.encode()).hexdigest()[:40]


def _fingerprint(data: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(dict(data), sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:32]


def _published(status: PublishStatus, attempt: Attempt) -> Receipt:
    """A final publish status as a receipt (0, or 5/6: it was out), or the refusal it is (2, 3, 4)."""
    if status.status in (2, 3, 4) or status.status not in STATUSES:
        failed = f" (articles {', '.join(map(str, status.fail_idx))})" if status.fail_idx else ""
        raise Permanent(
            f"WeChat did not publish the article: {status.describe()}{failed}; the draft {attempt.draft} is kept"
        )
    details = {
        "mode": "publish",
        "publish_id": status.publish_id,
        "article_id": status.article_id,
        "media_id": attempt.draft,
        "publish_status": status.status,
    }
    return Receipt(remote_id=status.article_id or status.publish_id, url=status.url, details=details)


def _draft_receipt(media_id: str) -> Receipt:
    return Receipt(remote_id=media_id, details={"mode": "draft", "media_id": media_id, "state": "draft saved"})


def _same(news: Any, attempt: Attempt) -> bool:
    """Whether a listed article is this delivery's: the same title and digest (what this adapter wrote)."""
    return isinstance(news, dict) and news.get("title") == attempt.title and news.get("digest") == attempt.digest


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []
