"""Read-back of sent posts (``Capabilities.read_back``): each channel that has it, against its stand-in, after the
platform deleted, unpublished, redacted or banned the post; and never an exception when the platform cannot say."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from adapters.base import PostContent, ReadBack, Receipt, read_back_safely
from adapters.mastodon import MastodonAdapter
from adapters.matrix import MatrixAdapter
from adapters.wechat_mp import MemoryCache, WeChatMpAdapter
from adapters.wordpress import WordPressAdapter
from tests.fakes import Clock, serve
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.matrix import FakeMatrix
from tests.fakes.wechat_mp import FakeWeChatMp
from tests.fakes.wordpress import FakeWordPress

POST = PostContent(title="校运会圆满结束", body="感谢各位老师和同学。")
KEY = "pub-7-readback-0001"
CLOSED = "http://127.0.0.1:9"  # nothing listens there: a connection refused


@contextlib.asynccontextmanager
async def served(fake: Any, cls: type[Any], **options: Any) -> AsyncIterator[Any]:
    async with serve(fake.app()) as base, httpx.AsyncClient() as client:
        yield fake.adapter(cls, base, client, **options)


async def sent(adapter: Any) -> Receipt:
    return await adapter.publish(adapter.render(POST), KEY)  # type: ignore[no-any-return]


def stored(receipt: Receipt) -> Receipt:
    """The receipt as the core keeps it on the delivery: its id and link, not its details."""
    return Receipt(remote_id=receipt.remote_id, url=receipt.url)


# --- WordPress ------------------------------------------------------------------------------------------------------


async def test_wordpress_post_online_with_its_approved_comments() -> None:
    fake = FakeWordPress()
    async with served(fake, WordPressAdapter) as adapter:
        assert adapter.capabilities.read_back
        receipt = await sent(adapter)
        fake.comment(int(receipt.remote_id), 2)
        fake.comment(int(receipt.remote_id), 1, approved=False)  # held for moderation: not shown, not counted
        read = await adapter.read_back(stored(receipt), KEY)
    assert read.state == "online"
    assert read.metrics == {"comments": 2}
    assert read.url == receipt.url


@pytest.mark.parametrize(
    ("change", "state", "said"),
    [
        ("draft", "hidden", "'draft'"),
        ("private", "hidden", "'private'"),
        ("pending", "hidden", "'pending'"),
        ("trash", "gone", "trash"),
        ("deleted", "gone", "deleted for good"),
    ],
)
async def test_wordpress_post_unpublished_or_deleted(change: str, state: str, said: str) -> None:
    fake = FakeWordPress()
    async with served(fake, WordPressAdapter) as adapter:
        receipt = await sent(adapter)
        post_id = int(receipt.remote_id)
        if change == "deleted":
            fake.delete(post_id)
        else:
            fake.set_status(post_id, change)
        read = await adapter.read_back(stored(receipt), KEY)
    assert read.state == state, read
    assert said in read.detail
    assert read.metrics == {}


async def test_wordpress_channel_posting_drafts_says_so() -> None:
    fake = FakeWordPress()
    async with served(fake, WordPressAdapter, status="draft") as adapter:
        read = await adapter.read_back(stored(await sent(adapter)), KEY)
    assert read.state == "hidden"
    assert "this channel posts as 'draft'" in read.detail


async def test_wordpress_comments_failing_still_says_online() -> None:
    fake = FakeWordPress()
    async with served(fake, WordPressAdapter) as adapter:
        receipt = await sent(adapter)
        fake.inject("unavailable", after=1)  # the post is read; the comment count meets maintenance mode
        read = await adapter.read_back(stored(receipt), KEY)
    assert read.state == "online"
    assert read.metrics == {}
    assert "comments not counted: HTTP 503" in read.detail


async def test_wordpress_password_revoked_is_unknown_not_gone() -> None:
    fake = FakeWordPress()
    async with served(fake, WordPressAdapter) as adapter:
        receipt = await sent(adapter)
        fake.app_password = "revoked revoked revoked"
        read = await adapter.read_back(stored(receipt), KEY)
    assert read.state == "unknown"
    assert "refused the application password" in read.detail


# --- Mastodon -------------------------------------------------------------------------------------------------------


async def test_mastodon_status_online_with_its_counters_then_deleted() -> None:
    fake = FakeMastodon()
    async with served(fake, MastodonAdapter) as adapter:
        assert adapter.capabilities.read_back
        receipt = await sent(adapter)
        fake.engage(receipt.remote_id, favourites=5, reblogs=2, replies=1)
        read = await adapter.read_back(stored(receipt), KEY)
        assert read == ReadBack(
            state="online",
            detail=read.detail,
            metrics={"favourites": 5, "reblogs": 2, "replies": 1},
            url=receipt.url,
        )
        fake.delete(receipt.remote_id)
        gone = await adapter.read_back(stored(receipt), KEY)
    assert gone.state == "gone"
    assert "Record not found" in gone.detail


async def test_mastodon_status_read_without_a_working_token() -> None:
    fake = FakeMastodon()
    async with served(fake, MastodonAdapter) as adapter:
        receipt = await sent(adapter)
        fake.token = "rotated"  # a public status is readable by anyone: a revoked token does not hide it
        read = await adapter.read_back(stored(receipt), KEY)
    assert read.state == "online"


# --- Matrix ---------------------------------------------------------------------------------------------------------


async def test_matrix_event_online_then_redacted() -> None:
    fake = FakeMatrix()
    async with served(fake, MatrixAdapter) as adapter:
        assert adapter.capabilities.read_back
        receipt = await sent(adapter)
        read = await adapter.read_back(stored(receipt), KEY)
        assert (read.state, read.url) == ("online", receipt.url)
        fake.redact(receipt.remote_id, reason="spam")
        gone = await adapter.read_back(stored(receipt), KEY)
    assert gone.state == "gone"
    assert "redacted by @admin:school.example (spam)" in gone.detail


async def test_matrix_event_purged_is_gone() -> None:
    fake = FakeMatrix()
    async with served(fake, MatrixAdapter) as adapter:
        receipt = await sent(adapter)
        fake.purge(receipt.remote_id)
        read = await adapter.read_back(stored(receipt), KEY)
    assert read.state == "gone"
    assert "no longer found" in read.detail


async def test_matrix_refused_token_is_unknown_not_gone() -> None:
    fake = FakeMatrix()
    async with served(fake, MatrixAdapter) as adapter:
        receipt = await sent(adapter)
        fake.tokens.clear()  # the token was revoked: that says nothing of the event
        read = await adapter.read_back(stored(receipt), KEY)
    assert read.state == "unknown"
    assert "M_UNKNOWN_TOKEN" in read.detail


# --- WeChat ---------------------------------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def wechat(mode: str, cache: MemoryCache | None = None, **fake_options: Any) -> AsyncIterator[tuple[Any, Any]]:
    clock = Clock()
    fake = FakeWeChatMp(clock=clock, mode=mode, **fake_options)
    async with serve(fake.app()) as base, httpx.AsyncClient() as client:
        options, env = fake.channel_options(base)
        adapter = WeChatMpAdapter("wechat", options, client=client, env=env, cache=cache or MemoryCache(), clock=clock)
        yield fake, adapter


@pytest.mark.parametrize(("status", "said"), [(5, "deleted by the account"), (6, "banned by the platform")])
async def test_wechat_published_article_later_deleted_or_banned(status: int, said: str) -> None:
    async with wechat("publish") as (fake, adapter):
        assert adapter.capabilities.read_back
        receipt = await sent(adapter)
        read = await adapter.read_back(stored(receipt), KEY)
        assert (read.state, read.url) == ("online", receipt.url)
        fake.later(receipt.details["publish_id"], status)
        gone = await adapter.read_back(stored(receipt), KEY)
    assert gone.state == "gone"
    assert said in gone.detail


async def test_wechat_publish_job_forgotten_reads_the_article_by_id() -> None:
    async with wechat("publish") as (fake, adapter):
        receipt = await sent(adapter)
        adapter.cache = MemoryCache()  # the attempt (with the job's id) has expired: only the article id is left
        read = await adapter.read_back(stored(receipt), KEY)
        assert read.state == "online"
        assert read.url == receipt.url
        fake.later(receipt.details["publish_id"], 5)
        gone = await adapter.read_back(stored(receipt), KEY)
    assert gone.state == "gone"
    assert "deleted by the account" in gone.detail


async def test_wechat_mass_send_deleted() -> None:
    async with wechat("mass_send") as (fake, adapter):
        assert adapter.capabilities.read_back
        receipt = await sent(adapter)
        assert (await adapter.read_back(stored(receipt), KEY)).state == "online"
        fake.delete_mass(int(receipt.remote_id))
        gone = await adapter.read_back(stored(receipt), KEY)
    assert gone.state == "gone"
    assert "DELETE" not in gone.detail  # said in words, not WeChat's code
    assert "deleted by the account" in gone.detail


async def test_wechat_draft_mode_has_no_read_back() -> None:
    async with wechat("draft") as (_, adapter):
        assert not adapter.capabilities.read_back
        assert WeChatMpAdapter.capabilities.read_back  # the class keeps it: only this channel's mode turns it off
        read = await adapter.read_back(stored(await sent(adapter)), KEY)
    assert read.state == "unknown"


async def test_wechat_ip_not_whitelisted_is_unknown() -> None:
    async with wechat("publish") as (fake, adapter):
        receipt = await sent(adapter)
        fake.wrong_ip = True
        read = await adapter.read_back(receipt, KEY)
    assert read.state == "unknown"
    assert "40164" in read.detail


# --- never an exception ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fake", "cls", "remote_id"),
    [
        (FakeWordPress(), WordPressAdapter, "12"),
        (FakeMastodon(), MastodonAdapter, "110000000000000001"),
        (FakeMatrix(), MatrixAdapter, "$abc"),
        (FakeWeChatMp(), WeChatMpAdapter, "ART-1"),
    ],
)
async def test_platform_out_of_reach_is_unknown_never_raised(fake: Any, cls: type[Any], remote_id: str) -> None:
    options, env = fake.channel_options(CLOSED)
    async with httpx.AsyncClient() as client:
        adapter = cls("x", options, client=client, env=env)
        details = {"mode": "publish", "publish_id": "7"} if cls is WeChatMpAdapter else {}
        read = await adapter.read_back(Receipt(remote_id=remote_id, details=details), KEY)
    assert read.state == "unknown"
    assert "could not read the post back" in read.detail


@pytest.mark.parametrize("cls", [WordPressAdapter, MastodonAdapter, MatrixAdapter])
async def test_no_remote_id_is_unknown(cls: type[Any]) -> None:
    fake = {WordPressAdapter: FakeWordPress, MastodonAdapter: FakeMastodon, MatrixAdapter: FakeMatrix}[cls]()
    adapter = fake.offline(cls)
    read = await adapter.read_back(Receipt(), KEY)
    assert read.state == "unknown"


def test_read_back_is_frozen_data() -> None:
    read = ReadBack(state="gone", detail="x")
    with pytest.raises(dataclasses.FrozenInstanceError):
        read.state = "online"  # type: ignore[misc]
    assert ReadBack.unknown("why") == ReadBack(state="unknown", detail="why")


async def test_an_unexpected_answer_or_client_error_is_unknown_without_the_url() -> None:
    async def shapeless() -> ReadBack:
        return ReadBack(state="online", metrics={"comments": {}["comment_count"]})

    async def refused() -> ReadBack:
        raise httpx.DecodingError("cannot decode the answer of https://api.example/cgi-bin/x?access_token=SECRET-TOKEN")

    assert (await read_back_safely(shapeless())).detail == "could not read the post back: KeyError: 'comment_count'"
    read = await read_back_safely(refused())
    assert read.state == "unknown"
    assert "SECRET-TOKEN" not in read.detail
