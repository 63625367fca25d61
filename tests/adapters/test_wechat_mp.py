"""The wechat_mp adapter against FakeWeChatMp over loopback HTTP: the three modes, the token, the images, 48001,
40164, the quotas, late statuses, and lost answers looked up instead of repeated. The adapter and the stand-in
share a hand-set clock; the adapter's poll waits move that clock instead of sleeping."""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from PIL import Image
from sqlalchemy import select

from adapters import create
from adapters.base import Capabilities, PostContent
from adapters.errors import CredentialsRejected, ManualStep, Permanent, Retryable, Uncertain
from adapters.fake import FakeAdapter
from adapters.wechat_mp import MemoryCache, WeChatMpAdapter, client_msg_id
from publisher.clock import ManualClock
from publisher.dispatcher import Dispatcher
from publisher.errors import ValidationError
from publisher.models import Delivery, DeliveryState
from publisher.queue import PostDraft, Queue
from publisher.store import Store
from tests.fakes import Clock, serve
from tests.fakes.images import MemoryImages, png
from tests.fakes.wechat_mp import DEFAULT_COVER, SECRET, FakeWeChatMp

POST = PostContent(
    title="阳光小学开学典礼",
    body="九月一日上午，全校师生在操场举行**开学典礼**。\n\n校长致辞后，新生代表发言。",
    link="https://www.example.edu.cn/news/42",
)


class Setup:
    """A stand-in, an adapter on it, and the clock they share."""

    def __init__(self, fake: FakeWeChatMp, adapter: WeChatMpAdapter, clock: Clock, images: MemoryImages) -> None:
        self.fake, self.adapter, self.clock, self.images = fake, adapter, clock, images


@contextlib.asynccontextmanager
async def running(
    images: MemoryImages | None = None, cache: MemoryCache | None = None, **fake_options: Any
) -> AsyncIterator[Setup]:
    clock = Clock()
    options = {k: fake_options.pop(k) for k in list(fake_options) if k in _ADAPTER_OPTIONS}
    fake = FakeWeChatMp(clock=clock, **fake_options)
    images = images or MemoryImages()

    async def sleep(seconds: float) -> None:
        clock.now += seconds

    async with serve(fake.app()) as base, httpx.AsyncClient() as client:
        defaults, env = fake.channel_options(base)
        table = {**defaults, "timeout": 2.0, "poll_interval": 3.0, **options}
        adapter = WeChatMpAdapter(
            "wechat",
            {key: value for key, value in table.items() if value is not None},  # None: leave the option out
            client=client,
            env=env,
            images=images,
            cache=cache or MemoryCache(),
            clock=clock,
            sleep=sleep,
        )
        yield Setup(fake, adapter, clock, images)


_ADAPTER_OPTIONS = {"cover_media_id", "author", "publish_wait", "open_comment", "api_base"}


def noise_png(side: int) -> bytes:
    """A PNG that does not compress (random pixels): ``side`` 600 is about 1 MB."""
    buffer = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(buffer, format="PNG")
    return buffer.getvalue()


# --- the three modes ----------------------------------------------------------------------------------------------


async def test_draft_mode_leaves_a_draft_with_the_default_cover_and_the_link() -> None:
    async with running(mode="draft", author="校办公室") as s:
        receipt = await s.adapter.publish(s.adapter.render(POST), "pub-1-wechat-a")
    assert receipt.details["mode"] == "draft"
    (draft,) = s.fake.drafts.values()
    article = draft["articles"][0]
    assert receipt.remote_id in s.fake.drafts
    assert article["title"] == POST.title
    assert article["author"] == "校办公室"
    assert article["thumb_media_id"] == DEFAULT_COVER
    assert article["content_source_url"] == POST.link
    assert "<strong>开学典礼</strong>" in article["content"]
    assert article["digest"].startswith("九月一日上午")
    assert len(article["digest"]) <= 128
    assert not s.fake.jobs
    assert not s.fake.sends
    # the Chinese went as UTF-8, not \\u escapes that would count six characters each
    assert len(s.fake.accepted) == 1


async def test_publish_mode_uploads_the_images_and_waits_for_the_article_url() -> None:
    images = MemoryImages()
    first, second = images.add(png(40, 30), "cover.png"), images.add(noise_png(700), "big.png")
    post = PostContent(title=POST.title, body=POST.body + "\n\n![合影](" + second + ")", images=(first, second))
    async with running(images=images, mode="publish", publish_delay=10) as s:
        receipt = await s.adapter.publish(s.adapter.render(post), "pub-2-wechat-b")
        assert s.fake.status(receipt.details["publish_id"]) == 0
    assert receipt.url is not None
    assert receipt.url.startswith("https://mp.weixin.qq.com/s/")
    assert receipt.details["publish_status"] == 0
    # polled every poll_interval (3 s) until the 10 s job was done: 1, 1, 1, 1, then 0
    assert s.fake.requests.count("freepublish/get") == 5
    article = next(iter(s.fake.drafts.values()))["articles"][0]
    srcs = re.findall(r'src="([^"]+)"', article["content"])
    assert len(srcs) == 3  # the second image is in the Markdown and among the post's images
    assert all(src.startswith("https://mmbiz.qpic.cn/") for src in srcs)
    assert not s.fake.stripped  # no address of ours reached WeChat, which would strip it
    assert len(s.fake.body_images) == 2  # the big one was scaled under 1 MB; one upload per image, not per use
    assert article["thumb_media_id"] != DEFAULT_COVER  # the post's first image is the cover
    assert s.fake.materials[article["thumb_media_id"]]["kind"] == "png"


async def test_images_wechat_would_refuse_are_converted_and_scaled_to_its_limits() -> None:
    images = MemoryImages()
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (0, 128, 0)).save(buffer, format="WEBP")
    cover, webp = images.add(noise_png(1000), "huge.png"), images.add(buffer.getvalue(), "photo.webp")
    assert len(images.files[cover][1]) > 2 * 1024 * 1024
    async with running(images=images, mode="draft") as s:
        await s.adapter.publish(s.adapter.render(PostContent(title="图", body="正文", images=(cover, webp))), "k-img")
    article = next(iter(s.fake.drafts.values()))["articles"][0]
    material = s.fake.materials[article["thumb_media_id"]]
    assert material["kind"] == "jpg"  # re-encoded under 2 MB
    assert material["size"] <= 2 * 1024 * 1024
    assert len(s.fake.body_images) == 2  # uploadimg takes jpg and png only: the WebP went as a JPEG
    assert all("mmbiz_jpg" in url for url in s.fake.body_images)


async def test_a_refused_publish_fails_with_its_reason_and_keeps_the_draft() -> None:
    async with running(mode="publish", publish_delay=5, publish_outcome=4) as s:
        with pytest.raises(Permanent) as caught:
            await s.adapter.publish(s.adapter.render(POST), "pub-3-wechat-c")
    assert "rejected by the platform's review" in caught.value.reason
    assert "平台审核不通过" in caught.value.reason
    assert len(s.fake.drafts) == 1


@pytest.mark.parametrize("edited", [False, True])
async def test_a_persons_retry_after_a_refusal_submits_again(edited: bool) -> None:
    async with running(mode="publish", publish_outcome=3) as s:
        with pytest.raises(Permanent):
            await s.adapter.publish(s.adapter.render(POST), "pub-20-wechat")
        s.fake.publish_outcome = 0
        post = PostContent(title=POST.title + "（更正）", body=POST.body) if edited else POST
        # the dispatcher asks first when a person retries: nothing is published
        assert await s.adapter.lookup("pub-20-wechat") is None
        receipt = await s.adapter.publish(s.adapter.render(post), "pub-20-wechat")
    assert receipt.url
    assert len(s.fake.jobs) == 2
    # the same draft again; an edited post gets a draft of its own (the refused one stays in the draft box)
    assert len(s.fake.drafts) == (2 if edited else 1)
    assert s.fake.accepted[-1]["title"] == post.title


async def test_a_job_still_publishing_is_checked_again_by_its_id_never_submitted_twice() -> None:
    async with running(mode="publish", publish_delay=600, publish_wait=30) as s:
        payload = s.adapter.render(POST)
        with pytest.raises(Retryable) as caught:
            await s.adapter.publish(payload, "pub-4-wechat-d")
        assert "still publishing" in caught.value.reason
        assert caught.value.after
        s.clock.now += 600
        # the dispatcher asks first on a retry: the job is done
        found = await s.adapter.lookup("pub-4-wechat-d")
        assert found is not None
        assert found.url
        assert found.details["publish_status"] == 0
        # and a direct resend polls the same job too
        again = await s.adapter.publish(payload, "pub-4-wechat-d")
    assert again.url == found.url
    assert len(s.fake.jobs) == 1
    assert s.fake.requests.count("freepublish/submit") == 1


async def test_mass_send_uses_the_key_as_clientmsgid_and_a_repeat_gets_the_first_send() -> None:
    async with running(mode="mass_send") as s:
        payload = s.adapter.render(POST)
        first = await s.adapter.publish(payload, "pub-5-wechat-e")
        # a daemon that lost its memory of the attempt sends again: WeChat's own key holds
        s.adapter.cache = MemoryCache()
        second = await s.adapter.publish(payload, "pub-5-wechat-e")
    assert first.remote_id == second.remote_id
    assert len(s.fake.accepted) == 1
    assert list(s.fake.sends) == ["pub-5-wechat-e"]
    assert first.details["mode"] == "mass_send"


def test_a_long_key_becomes_a_clientmsgid_within_64_bytes() -> None:
    key = "pub-12-" + "学校公众号" * 10 + "-0123456789ab"
    assert len(client_msg_id(key).encode()) <= 64
    assert client_msg_id(key) == client_msg_id(key)
    assert client_msg_id("pub-1-x") == "pub-1-x"


# --- 48001, 40164, quotas -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["publish", "mass_send"])
async def test_48001_keeps_the_draft_and_hands_it_to_a_person(mode: str) -> None:
    async with running(mode=mode, may_publish=False) as s:
        payload = s.adapter.render(POST)
        with pytest.raises(ManualStep) as caught:
            await s.adapter.publish(payload, "pub-6-wechat-f")
        # the dispatcher stops there; a person who resends later tries the kept draft again, not a new draft
        assert await s.adapter.lookup("pub-6-wechat-f") is None
        with pytest.raises(ManualStep):
            await s.adapter.publish(payload, "pub-6-wechat-f")
        s.fake.may_publish = True  # the account was verified meanwhile
        receipt = await s.adapter.publish(payload, "pub-6-wechat-f")
    reason = caught.value.reason
    assert isinstance(caught.value, Uncertain)  # the core keeps it uncertain until a person resolves it
    assert "48001" in reason
    assert "草稿箱" in reason
    assert receipt.details["media_id"] in reason
    assert len(s.fake.drafts) == 1
    assert len(s.fake.accepted) == 1
    assert s.fake.requests.count("draft/add") == 1


async def test_40164_names_the_address_to_whitelist() -> None:
    async with running(wrong_ip=True) as s:
        with pytest.raises(CredentialsRejected) as checked:
            await s.adapter.check()
        with pytest.raises(CredentialsRejected) as sent:
            await s.adapter.publish(s.adapter.render(POST), "pub-7-wechat-g")
    for error in (checked.value, sent.value):
        assert "203.0.113.7 is not on the account's IP whitelist" in error.reason
        assert "IP白名单" in error.reason
        assert "40164" in error.reason
        assert SECRET not in error.reason
        assert "TOKEN-" not in error.reason


async def test_45009_waits_until_midnight_beijing_time() -> None:
    async with running(mode="draft", quota=0) as s:
        with pytest.raises(Retryable) as caught:
            await s.adapter.publish(s.adapter.render(POST), "pub-8-wechat-h")
    assert "45009" in caught.value.reason
    assert caught.value.after is not None
    assert 60 <= caught.value.after <= 24 * 3600
    assert not s.fake.drafts


async def test_mass_send_quota_45028_waits_for_tomorrow() -> None:
    async with running(mode="mass_send", mass_quota=1) as s:
        await s.adapter.publish(s.adapter.render(POST), "pub-9-wechat-i")
        with pytest.raises(Retryable) as caught:
            await s.adapter.publish(s.adapter.render(POST), "pub-9-wechat-j")
    assert "45028" in caught.value.reason
    assert caught.value.after


# --- late statuses ------------------------------------------------------------------------------------------------


async def test_a_late_status_6_is_what_the_adapter_reads_back_later() -> None:
    async with running(mode="publish") as s:
        receipt = await s.adapter.publish(s.adapter.render(POST), "pub-10-wechat-k")
        publish_id = receipt.details["publish_id"]
        assert (await s.adapter.publish_status(publish_id)).live
        s.fake.later(publish_id, 6, after=3 * 86400)
        s.clock.now += 86400
        assert (await s.adapter.publish_status(publish_id)).live
        s.clock.now += 3 * 86400
        status = await s.adapter.publish_status(publish_id)
        looked = await s.adapter.lookup("pub-10-wechat-k")
    assert status.status == 6
    assert not status.live
    assert status.final
    assert "banned by the platform" in status.describe()
    assert status.url is None  # WeChat gives no link to a banned article
    assert looked is not None
    assert looked.details["publish_status"] == 6


# --- lost answers -------------------------------------------------------------------------------------------------


async def test_a_lost_submit_is_looked_up_not_repeated() -> None:
    async with running(mode="publish", publish_delay=100) as s:
        payload = s.adapter.render(POST)
        s.fake.inject("drop")  # the submit lands; its answer is lost
        with pytest.raises(Uncertain):
            await s.adapter.publish(payload, "pub-11-wechat-l")
        # still publishing: not among the published yet, so still in doubt (never "absent")
        with pytest.raises(Uncertain):
            await s.adapter.lookup("pub-11-wechat-l")
        with pytest.raises(Uncertain):
            await s.adapter.publish(payload, "pub-11-wechat-l")
        s.clock.now += 100
        found = await s.adapter.lookup("pub-11-wechat-l")
    assert found is not None
    assert found.url
    assert found.url.startswith("https://mp.weixin.qq.com/s/")
    assert len(s.fake.jobs) == 1
    assert len(s.fake.drafts) == 1
    assert s.fake.requests.count("freepublish/batchget") == 3


async def test_a_lost_draft_is_found_in_the_draft_box_and_published_from_there() -> None:
    async with running(mode="publish") as s:
        payload = s.adapter.render(POST)
        s.fake.inject("malformed")  # stand-in faults hit the mode's last request: aim at draft/add instead
        s.fake.mode = "draft"
        with pytest.raises(Uncertain):
            await s.adapter.publish(payload, "pub-12-wechat-m")
        s.fake.mode = "publish"
        assert await s.adapter.lookup("pub-12-wechat-m") is None  # the draft exists; nothing is published yet
        receipt = await s.adapter.publish(payload, "pub-12-wechat-m")
    assert len(s.fake.drafts) == 1
    assert len(s.fake.jobs) == 1
    assert receipt.details["media_id"] == next(iter(s.fake.drafts))


async def test_a_lost_draft_in_draft_mode_is_the_receipt() -> None:
    async with running(mode="draft") as s:
        s.fake.inject("drop")
        with pytest.raises(Uncertain):
            await s.adapter.publish(s.adapter.render(POST), "pub-13-wechat-n")
        found = await s.adapter.lookup("pub-13-wechat-n")
        assert await s.adapter.lookup("pub-13-wechat-never") is None
    assert found is not None
    assert found.remote_id == next(iter(s.fake.drafts))


# --- the token ----------------------------------------------------------------------------------------------------


async def test_a_refused_token_is_renewed_once_and_the_call_made_again() -> None:
    async with running(mode="draft") as s:
        await s.adapter.publish(s.adapter.render(POST), "pub-14-wechat-o")
        s.fake.revoke_tokens()  # 40001 on the next call
        s.clock.now += 31
        await s.adapter.publish(s.adapter.render(POST), "pub-14-wechat-p")
        s.fake.expire_tokens()  # 42001 on the next call
        s.clock.now += 31
        await s.adapter.publish(s.adapter.render(POST), "pub-14-wechat-q")
    assert [r["force_refresh"] for r in s.fake.token_requests] == [False, True, True]
    assert len(s.fake.drafts) == 3


async def test_a_token_refused_again_pauses_the_channel_instead_of_looping() -> None:
    async with running(mode="draft", token_lifetime=0) as s:  # every token is expired when it is used
        with pytest.raises(CredentialsRejected) as caught:
            await s.adapter.publish(s.adapter.render(POST), "pub-15-wechat-r")
    assert len(s.fake.token_requests) == 2
    assert "freshly renewed access token" in caught.value.reason


async def test_channels_of_one_account_share_one_token() -> None:
    cache = MemoryCache()
    async with running(mode="draft", cache=cache) as s:
        other = WeChatMpAdapter(
            "wechat-news",
            {**s.fake.channel_options(s.adapter.api)[0], "mode": "draft"},
            client=s.adapter.client,
            env={"WECHAT_MP_APP_SECRET": SECRET},
            cache=cache,
            clock=s.clock,
        )
        await s.adapter.publish(s.adapter.render(POST), "pub-16-wechat-s")
        await other.publish(other.render(POST), "pub-16-wechat-t")
        await s.adapter.check()
    assert len(s.fake.token_requests) == 1


# --- limits and configuration -------------------------------------------------------------------------------------


async def test_concurrent_sends_renew_the_token_once() -> None:
    cache = MemoryCache()
    async with running(mode="draft", cache=cache) as s:
        other = WeChatMpAdapter(
            "wechat-news",
            {**s.fake.channel_options(s.adapter.api)[0], "mode": "draft"},
            client=s.adapter.client,
            env={"WECHAT_MP_APP_SECRET": SECRET},
            cache=cache,
            clock=s.clock,
        )
        await asyncio.gather(
            s.adapter.publish(s.adapter.render(POST), "pub-19-a"), other.publish(other.render(POST), "pub-19-b")
        )
    assert len(s.fake.token_requests) == 1
    assert len(s.fake.drafts) == 2


def test_limits_are_checked_when_the_post_is_queued() -> None:
    adapter = FakeWeChatMp().offline(WeChatMpAdapter)
    with pytest.raises(Permanent, match="at most 32"):
        adapter.render(PostContent(title="很" * 33, body="正文"))
    no_cover = FakeWeChatMp().offline(WeChatMpAdapter, cover_media_id=None)
    with pytest.raises(Permanent, match="cover"):
        no_cover.render(POST)
    no_cover.render(PostContent(title="有图", body="正文", images=("https://www.example.edu.cn/a.png",)))
    with pytest.raises(Permanent, match="neither"):
        adapter.render(PostContent(title="路径", body="正文", images=("/etc/passwd",)))
    long = adapter.render(PostContent(title="长文", body="字" * 20_001))
    limits = adapter.limits
    assert limits.max_length == 20_000
    assert limits.count(long.text) > limits.max_length
    # an image's address is counted as the room WeChat's own will take
    with_image = adapter.render(PostContent(title="图", body="正文", images=("https://e.cn/a.png",)))
    assert limits.count(with_image.text) >= len(with_image.text) + 150
    digest = adapter.render(PostContent(title="摘要", body="长" * 500)).data["digest"]
    assert len(digest) <= 128


def test_an_author_over_16_characters_is_a_configuration_error() -> None:
    from adapters.errors import AdapterConfigError

    with pytest.raises(AdapterConfigError, match="author"):
        FakeWeChatMp().offline(WeChatMpAdapter, author="很" * 17)


async def test_check_lists_the_images_that_can_be_the_cover() -> None:
    async with running(cover_media_id=None) as s:
        said = await s.adapter.check()
    assert "credentials accepted" in said
    assert DEFAULT_COVER in said
    assert "draft box holds 0" in said


async def test_an_unknown_cover_is_refused_with_wechats_code() -> None:
    async with running(mode="draft", cover_media_id="no-such-material") as s:
        with pytest.raises(Permanent, match="40007"):
            await s.adapter.publish(s.adapter.render(POST), "pub-17-wechat-u")


async def test_created_through_the_registry_with_the_shared_cache() -> None:
    fake = FakeWeChatMp(mode="draft")
    async with serve(fake.app()) as base, httpx.AsyncClient() as client:
        options, env = fake.channel_options(base)
        adapter = create("wechat_mp", "wechat", options, client=client, env=env)
        receipt = await adapter.publish(adapter.render(POST), "pub-18-wechat-v")
    assert receipt.details["mode"] == "draft"
    assert "WECHAT_MP_APP_SECRET (hidden)" in str(adapter.describe())


# --- through the core: the queue refuses at queue time, the dispatcher hands 48001 to a person -----------------------


async def test_through_the_queue_and_the_dispatcher(store: Store, clock: ManualClock) -> None:
    website = FakeAdapter("website", idempotency="lookup")
    website.capabilities = Capabilities(articles=True)
    async with running(mode="publish", may_publish=False) as s:
        adapters: dict[str, Any] = {"website": website, "wechat": s.adapter}
        store.sync_channels({"website": "fake", "wechat": "wechat_mp"}, clock.now())
        queue = Queue(store, adapters, clock, actor="tester")
        with pytest.raises(ValidationError, match="32"):
            queue.add_post(PostDraft(title="很" * 33, body="正文", channels=["wechat"], now=True))
        post_id = queue.add_post(PostDraft(title=POST.title, body=POST.body, channels=["website", "wechat"], now=True))
        dispatcher = Dispatcher(store, adapters, clock, owner="worker-a")
        await dispatcher.run_once()
        with store.sessions() as session:
            rows = {d.channel.name: d for d in session.scalars(select(Delivery).where(Delivery.post_id == post_id))}
            wechat = rows["wechat"]
            assert rows["website"].state == DeliveryState.SENT
            assert wechat.state == DeliveryState.UNCERTAIN
            assert "48001" in (wechat.last_error or "")
            assert f"post resolve {post_id} --sent" in (wechat.last_error or "")
            article_link = rows["website"].remote_url
        # the "阅读原文" link is the website article's, which the WeChat delivery waited for
        (draft,) = s.fake.drafts.values()
        assert draft["articles"][0]["content_source_url"] == article_link
        clock.advance(86400)
        assert await dispatcher.run_once() == 0  # not resent by itself
        queue.resolve(post_id, "sent", channel="wechat", note="published in the back office")
