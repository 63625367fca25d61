"""The Mastodon adapter against its stand-in over loopback HTTP, and its rendering of tricky posts."""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from adapters.base import Payload, PostContent
from adapters.errors import AdapterConfigError, CredentialsRejected, Permanent, Retryable, Uncertain
from adapters.mastodon import RETRY_SHARE, MastodonAdapter, count_mastodon, cut_margin
from adapters.text import graphemes, markdown_to_text
from tests.fakes import Stand
from tests.fakes import stand as serve_stand
from tests.fakes.images import MemoryImages, png
from tests.fakes.mastodon import FakeMastodon

LINK = "https://example.org/news/2024/09/open-day"
POST = PostContent(
    title="Open day 开放日", body="Families **welcome**.\n\n- tours\n- talks", link=LINK, tags=("开放日",)
)
IMAGES = MemoryImages()
PNG = png()


def make(options: dict[str, Any] | None = None) -> MastodonAdapter:
    base = {"instance": "https://social.example", "token_env": "MASTODON_TOKEN", **(options or {})}
    return MastodonAdapter("masto", base, client=httpx.AsyncClient(), env={"MASTODON_TOKEN": "s3cret-token"})


def stand_for(fake: FakeMastodon, **options: Any) -> AsyncIterator[Stand]:
    return serve_stand(fake, MastodonAdapter, name="masto", images=IMAGES, **options)


@pytest.fixture
async def stand() -> AsyncIterator[Stand]:
    async for value in stand_for(FakeMastodon()):
        yield value


# --- sending ------------------------------------------------------------------------------------------------------


async def test_status_is_posted_with_a_derived_idempotency_key(stand: Stand) -> None:
    payload = stand.adapter.render(POST)
    receipt = await stand.adapter.publish(payload, "post-7-masto")
    [shown] = stand.fake.accepted
    assert receipt.remote_id == shown["id"]
    assert receipt.url == shown["url"]
    assert receipt.url is not None
    assert receipt.url.endswith(f"/@news/{shown['id']}")
    assert shown["text"] == f"Open day 开放日\n\nFamilies welcome.\n\n• tours\n• talks\n\n{LINK}\n\n#开放日"
    assert shown["visibility"] == "public"
    _, path, headers = stand.fake.requests[-1]
    assert path == "/api/v1/statuses"
    assert headers["Idempotency-Key"] == hashlib.sha256(b"post-7-masto").hexdigest()


async def test_options_visibility_language_and_content_warning() -> None:
    async for s in stand_for(FakeMastodon(), visibility="unlisted", language="zh", spoiler_text="校园活动"):
        await s.adapter.publish(s.adapter.render(POST), "k")
        [shown] = s.fake.accepted
        assert (shown["visibility"], shown["language"], shown["spoiler_text"]) == ("unlisted", "zh", "校园活动")
        assert s.adapter.limits.max_length == 500 - 4  # the content warning counts against the limit


async def test_images_are_uploaded_polled_until_processed_and_attached() -> None:
    pictures = [IMAGES.add(png(n + 1, 2), f"p{n}.png") for n in range(5)]
    async for s in stand_for(FakeMastodon(processing_polls=2)):
        payload = s.adapter.render(PostContent(title="Photos", body="", link=LINK, images=tuple(pictures)))
        assert len(payload.data["images"]) == 4  # the instance's max_media_attachments
        receipt = await s.adapter.publish(payload, "k")
        [shown] = s.fake.accepted
        assert [m["id"] for m in shown["media_attachments"]] == receipt.details["media_ids"]
        assert len(receipt.details["media_ids"]) == 4
        polls = [path for method, path, _ in s.fake.requests if method == "GET" and path.startswith("/api/v1/media/")]
        assert len(polls) == 4 * 3  # two 206 answers, then 200, for each image


async def test_media_that_never_finishes_is_retryable_and_posts_nothing() -> None:
    big = IMAGES.add(PNG, "big.png")
    async for s in stand_for(FakeMastodon(processing_polls=10**6), media_timeout=0.05):
        with pytest.raises(Retryable, match="still processing"):
            await s.adapter.publish(s.adapter.render(PostContent(title="t", body="", images=(big,))), "k")
        assert s.fake.accepted == []


async def test_instance_limits_are_read_at_start() -> None:
    async for s in stand_for(
        FakeMastodon(max_characters=1000, characters_reserved_per_url=30, max_media_attachments=2)
    ):
        assert s.adapter.limits.max_length == 500
        await s.adapter.refresh_limits()
        assert s.adapter.limits.max_length == 1000
        assert s.adapter.limits.max_images == 2
        assert s.adapter.limits.count("see https://example.org/a") == 4 + 30
        text = s.adapter.render(PostContent(title="长" * 990, body="", link=LINK)).text
        assert s.adapter.limits.count(text) == 1000 - 20  # cut with the margin for 1000
        await s.adapter.publish(Payload(text=text, data={"status": text}), "k")  # the instance agrees
        assert s.fake.accepted[0]["text"] == text


# --- errors ---------------------------------------------------------------------------------------------------------


async def test_rate_limit_is_retryable_with_the_reset_time(stand: Stand) -> None:
    stand.fake.inject("rate_limit")
    with pytest.raises(Retryable) as caught:
        await stand.adapter.publish(stand.adapter.render(POST), "k")
    assert caught.value.after is not None
    assert 0 < caught.value.after <= 2.0  # the stand-in resets in 2 s
    assert stand.fake.accepted == []


async def test_the_statuses_limit_is_enforced() -> None:
    async for s in stand_for(FakeMastodon(statuses_per_window=2, window_seconds=600)):
        for n in range(2):
            await s.adapter.publish(s.adapter.render(PostContent(title=f"n{n}", body="", link=LINK)), f"k{n}")
        with pytest.raises(Retryable) as caught:
            await s.adapter.publish(s.adapter.render(PostContent(title="n2", body="", link=LINK)), "k2")
        assert caught.value.after is not None
        assert 590 < caught.value.after <= 600
        assert len(s.fake.accepted) == 2


async def test_invalid_token_pauses_the_channel_and_is_never_shown(stand: Stand) -> None:
    stand.fake.inject("auth")
    with pytest.raises(CredentialsRejected, match="HTTP 401") as caught:
        await stand.adapter.publish(stand.adapter.render(POST), "k")
    assert stand.fake.token not in caught.value.reason
    assert stand.fake.token not in json.dumps(stand.adapter.describe()) + repr(stand.adapter)


async def test_read_only_token_is_rejected() -> None:
    async for s in stand_for(FakeMastodon(scopes=("read",))):
        with pytest.raises(CredentialsRejected, match=r"HTTP 403.*write:statuses"):
            await s.adapter.publish(s.adapter.render(POST), "k")


async def test_validation_refusal_is_permanent(stand: Stand) -> None:
    text = "x" * 501
    with pytest.raises(Permanent, match="HTTP 422: Validation failed: Text character limit of 500 exceeded"):
        await stand.adapter.publish(Payload(text=text, data={"status": text}), "k")


@pytest.mark.parametrize("fault", ["timeout", "drop", "malformed"])
async def test_retry_after_a_lost_answer_returns_the_first_status(stand: Stand, fault: str) -> None:
    assert stand.adapter.idempotency == "native"
    payload = stand.adapter.render(POST)
    stand.fake.inject(fault)
    with pytest.raises(Uncertain):
        await stand.adapter.publish(payload, "post-9-masto")
    receipt = await stand.adapter.publish(payload, "post-9-masto")
    assert len(stand.fake.accepted) == 1
    assert receipt.remote_id == stand.fake.accepted[0]["id"]
    other = await stand.adapter.publish(payload, "post-10-masto")  # another delivery is another status
    assert other.remote_id != receipt.remote_id


async def test_refused_connection_is_retryable() -> None:
    async with httpx.AsyncClient() as client:
        adapter = MastodonAdapter(
            "masto", {"instance": "http://127.0.0.1:9", "token_env": "T"}, client=client, env={"T": "x"}
        )
        with pytest.raises(Retryable):
            await adapter.publish(adapter.render(POST), "k")


async def test_check_names_the_account(stand: Stand) -> None:
    verdict = await stand.adapter.check()
    assert verdict.startswith("token accepted for @news on http://127.0.0.1:")
    assert verdict.endswith("posts up to 500 characters")


# --- rendering ----------------------------------------------------------------------------------------------------


def test_count_is_graphemes_with_fixed_url_weight() -> None:
    assert count_mastodon("👨‍👩‍👧‍👦") == 1
    assert count_mastodon("🇨🇳🇯🇵") == 2
    assert count_mastodon("e\u0301") == 1
    assert count_mastodon("👍🏽") == 1
    assert count_mastodon("https://a.b") == 23  # every URL counts 23, even a short one
    assert count_mastodon("read https://example.org/" + "x" * 200 + ".") == 5 + 23 + 1
    assert count_mastodon("hi @alice@example.social") == 3 + 6
    assert count_mastodon("臺灣 台湾") == 5


TRICKY = (
    "臺北市立圖書館舉辦「閱讀節」，歡迎大家參加！北京市图书馆同步举办读书节。🎉📚👨‍👩‍👧‍👦🇹🇼 "
    "See https://example.org/very/long/path/" + "x" * 300 + " and the table:\n\n"
    "| 日期 | 活动 |\n|---|---|\n| 9月1日 | 开幕 |\n\n```python\nprint('你好')\n```\n\n"
    + "More words follow here. "
    * 40
)


@pytest.mark.parametrize("limit", [60, 120, 200, 500])
def test_tricky_text_fits_and_is_cut_cleanly(limit: int) -> None:
    adapter = make({"max_characters": limit})
    text = adapter.render(PostContent(title="讀書節 读书节 🎉", body=TRICKY, link=LINK)).text
    assert count_mastodon(text) <= limit
    assert text.endswith(LINK)
    source = markdown_to_text(TRICKY)
    body = text.removeprefix("讀書節 读书节 🎉\n\n").removesuffix(f"\n\n{LINK}").removesuffix("…")
    assert source.startswith(body)
    assert len(body) in {0, *itertools.accumulate(len(c) for c in graphemes(source))}  # whole emoji only
    assert "https://example.org/very/long/path/" not in text or "x" * 300 in text  # a link is never cut


def test_a_short_body_keeps_hashtags_and_a_long_one_drops_them_first() -> None:
    adapter = make({"max_characters": 120})
    short = adapter.render(PostContent(title="T", body="Short.", link=LINK, tags=("Open Day", "开放日"))).text
    assert short == f"T\n\nShort.\n\n{LINK}\n\n#OpenDay #开放日"
    long = adapter.render(PostContent(title="T", body="word " * 200, link=LINK, tags=("x" * 80,))).text
    assert "#" not in long
    assert long.endswith(f"…\n\n{LINK}")


@pytest.mark.parametrize("extra", [0, 1])
async def test_exactly_at_the_limit_is_accepted_and_one_past_is_refused(stand: Stand, extra: int) -> None:
    title = "字" * (500 - 2 - 23 + extra)  # title, a blank line, the link counted as 23
    text = f"{title}\n\n{LINK}"
    assert count_mastodon(text) == 500 + extra
    rendered = stand.adapter.render(PostContent(title=title, body="", link=LINK)).text
    if extra:
        assert rendered == "字" * (474 - 10) + f"…\n\n{LINK}"  # a cut leaves a margin of 10 under 500
        with pytest.raises(Permanent, match="422"):
            await stand.adapter.publish(Payload(text=text, data={"status": text}), "k")
    else:
        assert rendered == text
        await stand.adapter.publish(stand.adapter.render(PostContent(title=title, body="", link=LINK)), "k")
        assert stand.fake.accepted[0]["text"] == text


# --- configuration --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "key"),
    [
        ({"language": "Chinese"}, "language"),
        ({"max_characters": 0}, "max_characters"),
        ({"spoiler_text": "cw " * 300}, "spoiler_text"),
    ],
)
def test_bad_options_name_the_key(options: dict[str, Any], key: str) -> None:
    merged = {"instance": "https://social.example", "token_env": "MASTODON_TOKEN", **options}
    merged = {k: v for k, v in merged.items() if v is not None}
    with pytest.raises(AdapterConfigError) as caught:
        MastodonAdapter("masto", merged, client=httpx.AsyncClient(), env={"MASTODON_TOKEN": "s3cret-token"})
    assert caught.value.key == key


# --- rendering fixes found on real instances ------------------------------------------------------------------------


async def test_a_markdown_link_in_the_body_keeps_its_url_counted_as_23(stand: Stand) -> None:
    long_url = "https://example.org/events/2024/" + "open-day-" * 30  # 302 characters, counted as 23
    body = f"报名详情[查看]({long_url})了解，或 [see the map](https://example.org/map)now. [相对](notes.html)"
    payload = stand.adapter.render(PostContent(title="开放日", body=body, link=LINK))
    expected = f"报名详情查看 {long_url}了解，或 see the map https://example.org/map now. 相对"
    assert payload.text == f"开放日\n\n{expected}\n\n{LINK}"
    assert count_mastodon(payload.text) == 3 + 2 + (6 + 1 + 23 + 5 + 12 + 23 + 6 + 2) + 2 + 23
    assert markdown_to_text("<https://example.org/a> [x](https://example.org/a)", link_targets=True) == (
        "https://example.org/a x https://example.org/a"  # an address shown as its own text is not repeated
    )
    await stand.adapter.publish(payload, "k")
    assert stand.fake.accepted[0]["text"] == payload.text
    # enough links that their full length is far over 500: counted as 23 each, the post is not cut
    many = PostContent(title="链接", body="\n\n".join(f"第{n}项[查看]({long_url}{n})" for n in range(15)), link=LINK)
    text = stand.adapter.render(many).text
    assert "…" not in text
    assert text.count(long_url) == 15
    assert count_mastodon(text) == stand.fake.length(text) <= 500
    await stand.adapter.publish(stand.adapter.render(many), "k2")
    assert stand.fake.accepted[1]["text"] == text


@pytest.mark.parametrize("limit", [120, 500, 1000])
def test_a_post_that_must_be_cut_is_cut_with_a_margin(limit: int) -> None:
    adapter = make({"max_characters": limit})
    margin = cut_margin(limit)
    assert margin == max(5, limit // 50)
    text = adapter.render(PostContent(title="T", body="字" * 2000, link=LINK)).text
    assert limit - 2 * margin <= count_mastodon(text) <= limit - margin
    whole = "字" * (limit - 3 - 2 - 23)  # a post that fits as it is goes whole, to the last character
    assert count_mastodon(adapter.render(PostContent(title="T", body=whole, link=LINK)).text) == limit


async def test_a_stricter_instance_refusing_as_too_long_gets_one_shorter_cut() -> None:
    async for s in stand_for(FakeMastodon(stricter_by=15)):  # advertises 500, refuses over 485
        post = PostContent(title="T", body="一句话。" * 200, link=LINK)
        payload = s.adapter.render(post)
        assert 485 < count_mastodon(payload.text) <= 490  # cut with the margin, still too long for this instance
        receipt = await s.adapter.publish(payload, "k")
        [shown] = s.fake.accepted
        assert receipt.remote_id == shown["id"]
        assert count_mastodon(shown["text"]) <= int(count_mastodon(payload.text) * RETRY_SHARE)
        assert shown["text"].endswith(f"。…\n\n{LINK}") or shown["text"].endswith(f"。\n\n{LINK}")
        posts = [headers for method, path, headers in s.fake.requests if path == "/api/v1/statuses"]
        assert len(posts) == 2  # the refusal, then the shorter cut, under the same Idempotency-Key
        assert posts[0]["Idempotency-Key"] == posts[1]["Idempotency-Key"]


async def test_the_shorter_cut_is_tried_once_only() -> None:
    async for s in stand_for(FakeMastodon(stricter_by=300)):  # refuses anything over 200
        with pytest.raises(Permanent, match="cut to 441 characters after a first refusal"):
            await s.adapter.publish(s.adapter.render(PostContent(title="T", body="字" * 2000, link=LINK)), "k")
        assert [p for _, p, _ in s.fake.requests].count("/api/v1/statuses") == 2
        assert s.fake.accepted == []


async def test_a_picture_goes_with_what_it_shows(stand: Stand) -> None:
    """The media store's alt text is the media's description: screen readers read it aloud."""
    picture = IMAGES.add(png(3, 3), "flag.png", alt="升旗仪式上，孩子们向国旗敬礼")
    post = PostContent(title="升旗", body="", link=LINK, images=(picture,))

    await stand.adapter.publish(stand.adapter.render(post), "alt")

    [media] = stand.fake.media.values()
    assert media["description"] == "升旗仪式上，孩子们向国旗敬礼"
