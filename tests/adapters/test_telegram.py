"""The Telegram adapter against a stand-in Bot API over loopback HTTP."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from adapters.base import Payload, PostContent
from adapters.errors import AdapterConfigError, ChannelError, CredentialsRejected, Permanent, Retryable, Uncertain
from adapters.telegram import CAPTION_LIMIT, MESSAGE_LIMIT, RETRY_SHARE, SPLIT_LIMIT, TelegramAdapter
from adapters.text import count_utf16_units
from tests.fakes import Stand, serve, stand
from tests.fakes.images import MemoryImages, jpeg, png
from tests.fakes.telegram import GROUP, TOKEN, FakeTelegram, parse_html

POST = PostContent(
    title="開學第一課 & <家長日>",
    body="孩子們**回到**校園，老師說：「歡迎 <回家>」😀\n\n- 升旗\n- 讲话（简体）",
    link="https://example.org/a/1",
)


IMAGES = MemoryImages()


Harness = Stand


@pytest.fixture
def fake() -> FakeTelegram:
    return FakeTelegram()


def _harness(fake: FakeTelegram, **overrides: Any) -> AsyncIterator[Harness]:
    return stand(fake, TelegramAdapter, name="tg", images=IMAGES, **overrides)


@pytest.fixture
async def tg(fake: FakeTelegram) -> AsyncIterator[Harness]:
    async for harness in _harness(fake, timeout=0.3):
        yield harness


def _paragraphs(count: int, size: int) -> str:
    return "\n\n".join(f"第{n}段。" + "活動內容記錄" * (size // 6) for n in range(count))


# --- success and rendering ---------------------------------------------------------------------------------------


async def test_publish_sends_html_and_returns_the_message_as_receipt(tg: Harness) -> None:
    receipt = await tg.adapter.publish(tg.adapter.render(POST), "post-1-tg")
    assert receipt.remote_id == "101"
    assert receipt.url == "https://t.me/parents_club/101"
    assert receipt.details == {"chat_id": GROUP, "message_ids": [101]}
    [message] = tg.fake.accepted
    assert message["html"].startswith("<b>開學第一課 &amp; &lt;家長日&gt;</b>\n\n孩子們<b>回到</b>校園")
    assert "「歡迎 &lt;回家&gt;」😀" in message["html"]
    assert message["text"] == tg.adapter.render(POST).text
    assert message["text"].endswith("• 升旗\n• 讲话（简体）\n\nhttps://example.org/a/1")
    assert tg.fake.requests[0][1]["parse_mode"] == "HTML"


async def test_tricky_markdown_renders_to_html_the_bot_api_accepts(tg: Harness) -> None:
    long_url = "https://example.org/" + "路徑/" * 40 + "?q=a&b=<c>"
    body = (
        "## 活动纪要 活動紀要\n\n"
        f"> 引用 **粗體 [連結]({long_url})** `x < y && z`\n\n"
        "| 項目 | 数量 |\n|---|---|\n| 書 & 筆 | 3 |\n\n"
        "```python\nif a < b:\n    print('&')\n```\n\n"
        "1. 第一\n2. 第二\n   - 子項 👨‍👩‍👧\n\n"
        "![照片](https://example.org/p.png) ~~刪除~~ *斜體* [相對連結](notes.html) `[code](x)`"
    )
    payload = tg.adapter.render(PostContent(title="標題 🇹🇼", body=body))
    [message] = payload.data["messages"]
    html = message["text"]
    assert parse_html(html) == payload.text  # only supported tags, balanced, escaped
    href = "https://example.org/" + "%E8%B7%AF%E5%BE%91/" * 40 + "?q=a&amp;b=%3Cc%3E"  # percent-encoded, & escaped
    assert f'<a href="{href}">連結</a>' in html
    assert "<blockquote>引用 <b>粗體 " in html
    assert "<code>x &lt; y &amp;&amp; z</code>" in html
    assert "<pre><code class=\"language-python\">if a &lt; b:\n    print('&amp;')</code></pre>" in html
    assert "<b>項目</b> | <b>数量</b>\n書 &amp; 筆 | 3" in html
    assert "1. 第一\n2. 第二\n  • 子項 👨‍👩‍👧" in payload.text
    assert '<a href="https://example.org/p.png">照片</a> <s>刪除</s> <i>斜體</i> 相對連結' in html
    await tg.adapter.publish(payload, "k")
    assert tg.fake.accepted[0]["text"] == payload.text.strip()


async def test_exactly_at_the_limit_is_one_message_and_one_past_is_two(tg: Harness) -> None:
    # title "T" (1) + blank line (2) + body: 2046 emoji are 4092 UTF-16 units
    at_limit = PostContent(title="T", body="😀" * 2046 + "a")
    payload = tg.adapter.render(at_limit)
    assert count_utf16_units(payload.text) == MESSAGE_LIMIT
    assert len(payload.data["messages"]) == 1
    over = tg.adapter.render(PostContent(title="T", body="😀" * 2046 + "aa"))
    # one past must be split, and a split leaves the margin: the first part fills 4000 units at most
    assert [parse_html(m["text"]) for m in over.data["messages"]] == ["T\n\n" + "😀" * 1998, "😀" * 48 + "aa"]
    await tg.adapter.publish(payload, "at")
    await tg.adapter.publish(over, "over")
    assert [count_utf16_units(m["text"]) for m in tg.fake.accepted] == [4096, 3999, 98]


async def test_the_stand_in_refuses_a_message_over_4096_units_and_the_adapter_splits_it_again(tg: Harness) -> None:
    payload = Payload(text="", data={"messages": [{"method": "sendMessage", "text": "😀" * 2048 + "a"}]})
    await tg.adapter.publish(payload, "k")
    assert [len(fields["text"]) for method, fields in tg.fake.requests] == [2049, 1843, 206]
    assert "".join(m["text"] for m in tg.fake.accepted) == "😀" * 2048 + "a"  # 3686 units at most each
    caption = {"method": "sendPhoto", "photo": IMAGES.add(png()), "caption": "字" * 1025}
    await tg.adapter.publish(Payload(text="", data={"messages": [caption]}), "k2")
    assert [method for method, _ in tg.fake.requests[3:]] == ["sendPhoto", "sendMessage", "sendPhoto"]
    assert [m.get("text", m.get("caption")) for m in tg.fake.accepted[2:]] == ["字" * 1025, ""]


async def test_a_long_report_is_split_at_paragraph_boundaries(tg: Harness) -> None:
    body = _paragraphs(7, 1500)
    payload = tg.adapter.render(PostContent(title="長報告", body=body, link="https://example.org/a/2"))
    parts = [parse_html(m["text"]) for m in payload.data["messages"]]
    assert len(parts) == 4
    assert all(count_utf16_units(part) <= MESSAGE_LIMIT for part in parts)
    paragraphs = body.split("\n\n")
    assert parts[0] == "長報告\n\n" + "\n\n".join(paragraphs[:2])  # whole paragraphs only
    assert "\n\n".join(parts) == payload.text
    receipt = await tg.adapter.publish(payload, "long")
    assert receipt.remote_id == "101"
    assert receipt.details["message_ids"] == [101, 102, 103, 104]
    assert [m["text"] for m in tg.fake.accepted] == parts


def test_a_message_carries_at_most_100_formatted_spans() -> None:
    paragraphs = [f"**第{n}項**：完成" for n in range(150)]
    _, messages = _render(PostContent(title="清單", body="\n\n".join(paragraphs)))
    spans = [m["text"].count("<b>") for m in messages]
    assert spans == [100, 51]  # the title's and 99 items', then the other 51
    assert "\n\n".join(parse_html(m["text"]) for m in messages) == "清單\n\n" + "\n\n".join(
        p.replace("**", "") for p in paragraphs
    )


async def test_one_paragraph_longer_than_a_message_is_cut_at_a_sentence_never_inside_an_emoji() -> None:
    sentences = "".join(f"第{n}句話說完了。" for n in range(900))
    families = "👨‍👩‍👧" * 700  # one grapheme of 8 UTF-16 units, no break opportunity at all
    for body in (sentences, families):
        _, messages = _render(PostContent(title="T", body=body))
        texts = [parse_html(m["text"]) for m in messages]
        assert all(count_utf16_units(text) <= MESSAGE_LIMIT for text in texts)
        assert "".join(texts) == "T\n\n" + body  # nothing lost, nothing added at the cuts
    _, messages = _render(PostContent(title="T", body=sentences))
    assert all(parse_html(m["text"]).endswith("。") for m in messages[:-1])
    _, messages = _render(PostContent(title="T", body=families))
    assert all(parse_html(m["text"]).replace("T\n\n", "").replace("👨‍👩‍👧", "") == "" for m in messages)


def _render(post: PostContent) -> tuple[str, list[dict[str, Any]]]:
    from adapters.telegram import render_messages

    return render_messages(post)


async def test_a_short_post_with_images_is_one_captioned_photo_and_a_long_one_is_text_then_photos(
    tg: Harness,
) -> None:
    flag, view = png(3, 3), jpeg(4, 4)
    refs = (IMAGES.add(flag, "升旗.png"), IMAGES.add(view, "2.jpg"))
    body = "字" * (CAPTION_LIMIT - 3)  # "T" + blank line + body = 1024
    short = tg.adapter.render(PostContent(title="T", body=body, images=refs))
    assert [m["method"] for m in short.data["messages"]] == ["sendPhoto", "sendPhoto"]
    long = tg.adapter.render(PostContent(title="T", body=body + "字", images=refs[:1]))
    assert [m["method"] for m in long.data["messages"]] == ["sendMessage", "sendPhoto"]
    await tg.adapter.publish(short, "short")
    first, second = tg.fake.accepted
    assert first["photo_bytes"] == flag
    assert first["caption"] == "T\n\n" + body
    assert second["photo_bytes"] == view  # uploaded too: Telegram is never handed an address to fetch
    assert second["caption"] == ""
    for refused in ("/no/such.png", "https://example.org/2.jpg"):  # not in the image source: refused
        with pytest.raises(Permanent, match="refused"):
            await tg.adapter.publish(tg.adapter.render(PostContent(title="T", body="", images=(refused,))), "x")
    assert len(tg.fake.accepted) == 2


# --- errors ------------------------------------------------------------------------------------------------------


async def test_an_unknown_chat_is_permanent_and_a_wrong_token_is_rejected_credentials(fake: FakeTelegram) -> None:
    async for tg in _harness(fake, chat_id=-1009999):
        with pytest.raises(Permanent, match="chat not found"):
            await tg.adapter.publish(tg.adapter.render(POST), "k")
    async with serve(fake.app()) as base, httpx.AsyncClient() as client:
        options, _ = fake.channel_options(base)
        adapter = TelegramAdapter("tg", options, client=client, env={"TELEGRAM_BOT_TOKEN": "1:revoked"})
        with pytest.raises(CredentialsRejected, match="@BotFather"):
            await adapter.publish(adapter.render(POST), "k")


async def test_the_chat_rate_limit_is_answered_with_its_wait() -> None:
    async for tg in _harness(FakeTelegram(per_chat_per_minute=2)):
        await tg.adapter.publish(tg.adapter.render(POST), "a")
        await tg.adapter.publish(tg.adapter.render(POST), "b")
        with pytest.raises(Retryable) as caught:
            await tg.adapter.publish(tg.adapter.render(POST), "c")
        assert caught.value.after is not None
        assert 55 <= caught.value.after <= 61
        assert len(tg.fake.accepted) == 2


async def test_a_group_that_became_a_supergroup_is_followed_and_remembered() -> None:
    fake = FakeTelegram(migrated={-4001: GROUP})
    async for tg in _harness(fake, chat_id=-4001):
        first = await tg.adapter.publish(tg.adapter.render(POST), "a")
        await tg.adapter.publish(tg.adapter.render(POST), "b")
        assert first.details == {"chat_id": GROUP, "message_ids": [101], "migrated_from": -4001}
        assert [fields["chat_id"] for _, fields in fake.requests] == [-4001, GROUP, GROUP]
        assert tg.adapter.describe()["chat_id"] == GROUP
        assert [m["chat_id"] for m in fake.accepted] == [GROUP, GROUP]
    async for tg in _harness(FakeTelegram(migrated={-4001: GROUP}), chat_id=-4001):
        with pytest.raises(Permanent, match=f"set chat_id = {GROUP}"):
            await tg.adapter.check()


async def test_a_part_failing_after_the_first_went_out_is_uncertain_and_a_resend_continues(tg: Harness) -> None:
    payload = tg.adapter.render(PostContent(title="長報告", body=_paragraphs(5, 1500)))
    assert len(payload.data["messages"]) == 3
    tg.fake.inject("server_error", after=1)
    with pytest.raises(Uncertain, match=r"parts 1-1 of 3 went out \(message ids \[101\]\), part 2 failed"):
        await tg.adapter.publish(payload, "long")
    receipt = await tg.adapter.publish(payload, "long")  # a person said "resend"
    assert receipt.remote_id == "101"
    assert receipt.details["message_ids"] == [101, 102, 103]
    assert [m["message_id"] for m in tg.fake.accepted] == [101, 102, 103]  # part 1 was not sent twice


async def test_a_short_flood_wait_between_parts_is_sat_out() -> None:
    async for tg in _harness(FakeTelegram(retry_after=0)):
        payload = tg.adapter.render(PostContent(title="長報告", body=_paragraphs(5, 1500)))
        tg.fake.inject("rate_limit", after=1)
        receipt = await tg.adapter.publish(payload, "long")
        assert receipt.details["message_ids"] == [101, 102, 103]
        tg.fake.inject("rate_limit")  # but on the first part it is the dispatcher's to wait
        with pytest.raises(Retryable):
            await tg.adapter.publish(payload, "again")


# --- configuration, check, secrets -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "env", "key"),
    [
        ({"token_env": "T", "chat_id": "family group"}, {"T": TOKEN}, "chat_id"),
        ({"chat_id": GROUP, "token_env": "T", "timeout": 0}, {"T": TOKEN}, "timeout"),
    ],
)
def test_bad_options_name_the_key(options: dict[str, Any], env: dict[str, str], key: str) -> None:
    with pytest.raises(AdapterConfigError) as caught:
        TelegramAdapter("tg", options, client=httpx.AsyncClient(), env=env)
    assert caught.value.key == key


def test_chat_id_forms_and_the_limits() -> None:
    env = {"T": TOKEN}
    make = TelegramAdapter
    assert make("a", {"chat_id": "-100123", "token_env": "T"}, client=httpx.AsyncClient(), env=env).chat_id == -100123
    assert make("a", {"chat_id": "@club_news", "token_env": "T"}, client=httpx.AsyncClient(), env=env).chat_id == (
        "@club_news"
    )
    narrowed = make("a", {"chat_id": 1, "token_env": "T", "max_length": 4096}, client=httpx.AsyncClient(), env=env)
    assert narrowed.limits.max_length == 4096
    assert TelegramAdapter.limits.max_length == 40960
    assert narrowed.limits.count("😀") == 2
    assert narrowed.limits.concurrency == 1


async def test_check_names_the_bot_and_the_chat(tg: Harness) -> None:
    assert await tg.adapter.check() == "bot @publisher_bot can reach supergroup '家長群' (-1001234567890)"
    tg.fake.inject("auth")
    with pytest.raises(CredentialsRejected):
        await tg.adapter.check()


async def test_the_token_never_shows(tg: Harness, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="httpx")  # whatever level an earlier test's CLI run left on httpx's logger
    await tg.adapter.publish(tg.adapter.render(POST), "k")
    for fault in ("timeout", "drop", "server_error"):
        tg.fake.inject(fault)
        with pytest.raises(ChannelError) as caught:
            await tg.adapter.publish(tg.adapter.render(POST), "k")
        assert TOKEN not in str(caught.value)
        assert TOKEN not in repr(caught.value)
        assert caught.value.__cause__ is None  # the httpx exception, URL and all, is not chained
        assert caught.value.__context__ is None or caught.value.__suppress_context__
    async with httpx.AsyncClient() as client:
        options = {"chat_id": GROUP, "token_env": "T", "api_base": "http://127.0.0.1:9"}
        closed = TelegramAdapter("tg", options, client=client, env={"T": TOKEN})
        with pytest.raises(Retryable) as refused:
            await closed.publish(closed.render(POST), "k")
        assert TOKEN not in str(refused.value)
    assert "/bot<token>/sendMessage" in caplog.text  # httpx logged the request, without the token
    assert TOKEN not in caplog.text
    assert TOKEN not in repr(tg.adapter)
    assert TOKEN not in str(tg.adapter.describe())
    assert tg.adapter.describe()["token_env"] == "$TELEGRAM_BOT_TOKEN (hidden)"


# --- rendering fixes found on real servers -----------------------------------------------------------------------

SENTENCES = "".join(f"第{n}句話說完了。" for n in range(900))


def test_a_post_that_must_be_split_leaves_a_margin_under_4096() -> None:
    assert SPLIT_LIMIT == 4000
    _, messages = _render(PostContent(title="T", body=SENTENCES))
    sizes = [count_utf16_units(parse_html(m["text"])) for m in messages]
    assert all(size <= SPLIT_LIMIT for size in sizes)
    assert max(sizes) > SPLIT_LIMIT - 20  # filled to the margin, not far below it
    assert "".join(parse_html(m["text"]) for m in messages) == "T\n\n" + SENTENCES


async def test_a_stricter_server_refusing_a_part_as_too_long_gets_the_rest_split_again_once() -> None:
    async for tg in _harness(FakeTelegram(message_limit=3900)):
        payload = tg.adapter.render(PostContent(title="T", body=SENTENCES, link="https://example.org/a/3"))
        first = count_utf16_units(parse_html(payload.data["messages"][0]["text"]))
        assert 3900 < first <= SPLIT_LIMIT
        receipt = await tg.adapter.publish(payload, "k")
        texts = [m["text"] for m in tg.fake.accepted]
        assert len(tg.fake.requests) == len(texts) + 1  # one refusal, then every part accepted
        assert receipt.details["message_ids"] == [m["message_id"] for m in tg.fake.accepted]
        assert all(count_utf16_units(text) <= first * RETRY_SHARE for text in texts)
        assert "".join(texts) == "T\n\n" + SENTENCES + "\n\nhttps://example.org/a/3"  # nothing lost or added


async def test_the_shorter_split_is_tried_once_and_a_resend_keeps_it() -> None:
    async for tg in _harness(FakeTelegram(message_limit=1000)):
        with pytest.raises(Permanent, match="message is too long"):
            await tg.adapter.publish(tg.adapter.render(PostContent(title="T", body=SENTENCES)), "k")
        assert [method for method, _ in tg.fake.requests] == ["sendMessage", "sendMessage"]
        assert tg.fake.accepted == []
    async for tg in _harness(FakeTelegram(message_limit=3900)):
        payload = tg.adapter.render(PostContent(title="T", body=SENTENCES))
        tg.fake.inject("server_error", after=2)  # the refusal, the first shorter part, then a failure
        with pytest.raises(Uncertain, match=r"parts 1-1 of \d+ went out"):
            await tg.adapter.publish(payload, "k")
        await tg.adapter.publish(payload, "k")  # "resend": continues with the parts split again, no new refusal
        assert len(tg.fake.requests) == 1 + len(tg.fake.accepted) + 1
        assert "".join(m["text"] for m in tg.fake.accepted) == "T\n\n" + SENTENCES


async def test_a_caption_refused_as_too_long_goes_as_a_message_before_the_photo() -> None:
    async for tg in _harness(FakeTelegram(caption_limit=1000)):
        post = PostContent(title="T", body="字" * (CAPTION_LIMIT - 3), images=(IMAGES.add(png(), "a.png"),))
        payload = tg.adapter.render(post)
        assert [m["method"] for m in payload.data["messages"]] == ["sendPhoto"]
        await tg.adapter.publish(payload, "k")
        assert [method for method, _ in tg.fake.requests] == ["sendPhoto", "sendMessage", "sendPhoto"]
        assert [m["method"] for m in tg.fake.accepted] == ["sendMessage", "sendPhoto"]
        assert tg.fake.accepted[0]["text"] == payload.text


async def test_formatting_survives_a_second_split() -> None:
    line = "第{n}項 **粗體** [連結](https://example.org/x?a=1&b=<{n}>) `a < b & c` " + "內容" * 50
    body = "\n\n".join(line.format(n=n) for n in range(60))
    async for tg in _harness(FakeTelegram(message_limit=3900)):
        payload = tg.adapter.render(PostContent(title="T", body=body))
        assert count_utf16_units(parse_html(payload.data["messages"][0]["text"])) > 3900
        await tg.adapter.publish(payload, "k")
        assert len(tg.fake.requests) == len(tg.fake.accepted) + 1
        assert "".join(m["text"] for m in tg.fake.accepted).replace("\n", "") == payload.text.replace("\n", "")
        htmls = "".join(m["html"] for m in tg.fake.accepted)
        assert htmls.count("<b>粗體</b>") == htmls.count("<code>a &lt; b &amp; c</code>") == 60
        assert '<a href="https://example.org/x?a=1&amp;b=%3C7%3E">連結</a>' in htmls
