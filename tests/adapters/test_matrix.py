"""The Matrix adapter against a stand-in homeserver over loopback HTTP."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from adapters.base import PostContent
from adapters.errors import AdapterConfigError, ChannelError, CredentialsRejected, Permanent, Retryable, Uncertain
from adapters.matrix import EVENT_LIMIT, MatrixAdapter, canonical_json
from tests.fakes import Stand, serve, stand
from tests.fakes.images import MemoryImages, jpeg, png
from tests.fakes.matrix import ROOM, TOKEN, USER, FakeMatrix

POST = PostContent(
    title="開學第一課 & <家長日>",
    body="孩子們**回到**校園，老師說：「歡迎」😀\n\n- 升旗\n- 讲话（简体）",
    link="https://example.org/a/1?x=1&y=2",
)
IMAGES = MemoryImages()
PNG = png()


Harness = Stand


def _harness(fake: FakeMatrix, **overrides: Any) -> AsyncIterator[Harness]:
    return stand(fake, MatrixAdapter, name="mx", images=IMAGES, **overrides)


@pytest.fixture
async def mx() -> AsyncIterator[Harness]:
    async for harness in _harness(FakeMatrix(files={"升旗.jpg": (PNG, "image/jpeg")}), timeout=0.3):
        yield harness


# --- success and rendering ---------------------------------------------------------------------------------------


async def test_publish_sends_an_html_event_with_the_key_as_transaction_id(mx: Harness) -> None:
    receipt = await mx.adapter.publish(mx.adapter.render(POST), "post-1-mx")
    [event] = mx.fake.accepted
    assert receipt.remote_id == event["event_id"]
    assert (
        receipt.url
        == f"https://matrix.to/#/%21kHqYdPkxlsHUtGXzAz%3Aexample.org/{event['event_id'].replace('$', '%24')}"
    )
    assert receipt.details == {"room_id": ROOM, "event_ids": [event["event_id"]], "media": []}
    assert event["txn_id"] == "post-1-mx"
    assert event["sender"] == USER
    content = event["content"]
    assert content["msgtype"] == "m.text"
    assert content["format"] == "org.matrix.custom.html"
    assert content["m.mentions"] == {}
    assert content["body"] == f"**{POST.title}**\n\n{POST.body}\n\n<{POST.link}>"  # the Markdown source
    assert content["formatted_body"] == (
        "<p><strong>開學第一課 &amp; &lt;家長日&gt;</strong></p>\n"
        "<p>孩子們<strong>回到</strong>校園，老師說：「歡迎」😀</p>\n<ul>\n<li>升旗</li>\n<li>讲话（简体）</li>\n</ul>\n"
        '<p><a href="https://example.org/a/1?x=1&amp;y=2">https://example.org/a/1?x=1&amp;y=2</a></p>'
    )


async def test_tricky_markdown_becomes_safe_html_and_the_length_is_the_event_json(mx: Harness) -> None:
    long_url = "https://example.org/" + "路徑/" * 40 + "?q=a&b=1"
    body = (
        f"## 活动纪要 活動紀要\n\n> 引用 [連結]({long_url}) `x < y`\n\n| 項目 | 数量 |\n|---|---|\n| 書 | 3 |\n\n"
        "```python\nif a < b:\n    print('&')\n```\n\n![照片](https://example.org/p.png) ~~刪除~~ 👨‍👩‍👧 <b>raw</b>"
    )
    payload = mx.adapter.render(PostContent(title="標題 🇹🇼", body=body))
    html = payload.data["content"]["formatted_body"]
    assert "<table>" in html
    assert "<th>項目</th>" in html
    assert "<pre><code class=\"language-python\">if a &lt; b:\n    print('&amp;')\n</code></pre>" in html
    assert '<a href="https://example.org/p.png">照片</a>' in html  # web pictures become links, not <img>
    assert "<img" not in html
    assert "&lt;b&gt;raw&lt;/b&gt;" in html  # raw HTML in a post is text
    assert "<s>刪除</s> 👨‍👩‍👧" in html
    assert payload.text == payload.data["content"]["body"]  # what a person previews is the message's own text
    assert mx.adapter.limits.count(payload.text) == len(canonical_json(payload.data["content"]).encode("utf-8"))
    await mx.adapter.publish(payload, "tricky")
    assert mx.fake.accepted[0]["content"] == payload.data["content"]


def _sized(adapter: MatrixAdapter, size: int) -> PostContent:
    """A post whose event content is exactly ``size`` bytes ("x" adds 2 bytes, "<" adds 5: any size is reachable)."""
    base = adapter.limits.count(adapter.render(PostContent(title="滿", body="x")).text)
    for lt in range(2):
        rest = size - base - 5 * lt
        if rest >= 0 and rest % 2 == 0:
            return PostContent(title="滿", body="x" * (1 + rest // 2) + "<" * lt)
    raise AssertionError("unreachable size")


async def test_content_exactly_at_the_limit_goes_out_and_one_byte_more_is_over(mx: Harness) -> None:
    limit = mx.adapter.limits.max_length
    assert limit == EVENT_LIMIT - 4096
    at = mx.adapter.render(_sized(mx.adapter, limit))
    assert mx.adapter.limits.count(at.text) == limit
    await mx.adapter.publish(at, "at-limit")  # the stand-in measures the whole event, envelope included
    over = mx.adapter.render(_sized(mx.adapter, limit + 1))
    assert mx.adapter.limits.count(over.text) == limit + 1  # the queue refuses this one when it is queued
    huge = mx.adapter.render(_sized(mx.adapter, EVENT_LIMIT - 100))
    with pytest.raises(Permanent, match="M_TOO_LARGE: event too large"):
        await mx.adapter.publish(huge, "huge")
    assert len(mx.fake.accepted) == 1


async def test_images_are_uploaded_and_follow_as_m_image_events(mx: Harness) -> None:
    photo, flag = png(3, 2), jpeg(5, 4)
    images = (IMAGES.add(photo, "合照.png"), IMAGES.add(flag, "升旗.jpg"))
    receipt = await mx.adapter.publish(mx.adapter.render(PostContent(title="相片", body="", images=images)), "k")
    text, *pictures = mx.fake.accepted
    assert [event["txn_id"] for event in mx.fake.accepted] == ["k", "k.image1", "k.image2"]
    assert receipt.details["event_ids"] == [event["event_id"] for event in mx.fake.accepted]
    assert receipt.remote_id == text["event_id"]
    first, second = (event["content"] for event in pictures)
    assert first["msgtype"] == "m.image"
    assert first["body"] == "合照.png"
    assert first["info"] == {"mimetype": "image/png", "size": len(photo), "w": 3, "h": 2}
    assert mx.fake.uploads[first["url"]] == (photo, "image/png")
    assert second["body"] == "升旗.jpg"
    assert mx.fake.uploads[second["url"]] == (flag, "image/jpeg")  # the type read from the bytes
    for refused in ("/no/such.png", "mxc://example.org/already", f"{mx.adapter.homeserver}/files/升旗.jpg"):
        with pytest.raises(Permanent, match="refused"):  # only what the image source holds
            await mx.adapter.publish(mx.adapter.render(PostContent(title="t", body="", images=(refused,))), "n")
    assert len(mx.fake.accepted) == 3  # nothing more was posted


# --- errors ------------------------------------------------------------------------------------------------------


async def test_retry_after_ms_is_the_fallback_and_the_bucket_limits_sends() -> None:
    async for mx in _harness(FakeMatrix(retry_after_header=False, burst=2, per_second=0.2)):
        await mx.adapter.publish(mx.adapter.render(POST), "a")
        await mx.adapter.publish(mx.adapter.render(POST), "b")
        with pytest.raises(Retryable) as caught:
            await mx.adapter.publish(mx.adapter.render(POST), "c")
        assert caught.value.after is not None
        assert 4.5 <= caught.value.after <= 5.0  # one token at 0.2 a second, from retry_after_ms
        assert len(mx.fake.accepted) == 2


async def test_a_wrong_token_is_rejected_and_a_room_not_joined_is_permanent() -> None:
    fake = FakeMatrix(rooms={ROOM: set()})
    async with serve(fake.app()) as base, httpx.AsyncClient() as client:
        options, env = fake.channel_options(base)
        adapter = MatrixAdapter("mx", options, client=client, env=env)
        with pytest.raises(Permanent, match=r"M_FORBIDDEN: User @publisher:example\.org not in room"):
            await adapter.publish(adapter.render(POST), "k")
        with pytest.raises(Permanent, match="invite it to the room"):
            await adapter.check()
        revoked = MatrixAdapter("mx", options, client=client, env={"MATRIX_ACCESS_TOKEN": "syt_revoked"})
        with pytest.raises(CredentialsRejected, match="M_UNKNOWN_TOKEN"):
            await revoked.publish(revoked.render(POST), "k")
    assert fake.accepted == []


@pytest.mark.parametrize("fault", ["timeout", "drop", "malformed", "server_error"])
async def test_a_resend_after_a_lost_answer_returns_the_first_event_and_posts_nothing_new(
    mx: Harness, fault: str
) -> None:
    assert mx.adapter.idempotency == "native"
    payload = mx.adapter.render(PostContent(title="週報", body="本週要聞", images=(IMAGES.add(PNG, "p.png"),)))
    mx.fake.inject(fault, after=2)  # the text event and the upload go through; the image event's answer is lost
    with pytest.raises(Uncertain):
        await mx.adapter.publish(payload, "post-7-mx")
    receipt = await mx.adapter.publish(payload, "post-7-mx")  # what the dispatcher does for a native channel
    assert [event["txn_id"] for event in mx.fake.accepted] == ["post-7-mx", "post-7-mx.image1"]
    assert receipt.details["event_ids"] == [event["event_id"] for event in mx.fake.accepted]
    assert len(mx.fake.uploads) == 1  # the picture was not uploaded twice either


async def test_transaction_ids_are_scoped_to_the_access_token() -> None:
    fake = FakeMatrix(tokens={TOKEN: USER, "syt_second_device": USER})
    async with serve(fake.app()) as base, httpx.AsyncClient() as client:
        options, env = fake.channel_options(base)
        first = MatrixAdapter("a", options, client=client, env=env)
        again = await first.publish(first.render(POST), "k")
        assert (await first.publish(first.render(POST), "k")).remote_id == again.remote_id
        other = MatrixAdapter("b", options, client=client, env={"MATRIX_ACCESS_TOKEN": "syt_second_device"})
        assert (await other.publish(other.render(POST), "k")).remote_id != again.remote_id
    assert len(fake.accepted) == 2  # a new login (new device) is not deduplicated: keep the same token


# --- configuration, check, secrets -------------------------------------------------------------------------------

GOOD = {"homeserver": "https://matrix.example.org", "room_id": ROOM, "access_token_env": "M"}


@pytest.mark.parametrize(
    ("change", "env", "key"),
    [
        ({"room_id": "#parents:example.org"}, {"M": TOKEN}, "room_id"),
    ],
)
def test_bad_options_name_the_key(change: dict[str, Any], env: dict[str, str], key: str) -> None:
    options = {k: v for k, v in {**GOOD, **change}.items() if v is not None}
    with pytest.raises(AdapterConfigError) as caught:
        MatrixAdapter("mx", options, client=httpx.AsyncClient(), env=env)
    assert caught.value.key == key


async def test_check_says_who_and_where(mx: Harness) -> None:
    assert await mx.adapter.check() == f"logged in as {USER} (device PUBLISHER1), joined to {ROOM}"
    mx.fake.inject("auth")
    with pytest.raises(CredentialsRejected):
        await mx.adapter.check()


async def test_the_access_token_never_shows(mx: Harness, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    await mx.adapter.publish(mx.adapter.render(POST), "k")
    for fault in ("timeout", "auth", "server_error"):
        mx.fake.inject(fault)
        with pytest.raises(ChannelError) as caught:
            await mx.adapter.publish(mx.adapter.render(POST), f"k-{fault}")
        assert TOKEN not in repr(caught.value)
    assert "PUT" in caplog.text
    assert TOKEN not in caplog.text
    assert TOKEN not in repr(mx.adapter)
    assert TOKEN not in json.dumps(mx.adapter.describe())
    assert mx.adapter.describe()["access_token_env"] == "$MATRIX_ACCESS_TOKEN (hidden)"
    assert TOKEN not in repr(mx.adapter.render(POST))


def test_the_count_is_the_event_content_for_the_channels_msgtype() -> None:
    notice = MatrixAdapter("mx", {**GOOD, "msgtype": "m.notice"}, client=httpx.AsyncClient(), env={"M": TOKEN})
    payload = notice.render(POST)
    assert payload.data["content"]["msgtype"] == "m.notice"
    assert notice.limits.count(payload.text) == len(canonical_json(payload.data["content"]).encode("utf-8"))
    assert notice.limits.count(payload.text) == MatrixAdapter.limits.count(payload.text) + 2  # "m.notice" vs "m.text"
