"""The wordpress adapter against FakeWordPress over loopback HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import tomllib
import zlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web
from sqlalchemy import select

from adapters.article import excerpt, slug_for
from adapters.base import PostContent
from adapters.errors import CredentialsRejected, Permanent, Retryable, Uncertain
from adapters.wordpress import WordPressAdapter, copy_slugs
from publisher.clock import ManualClock
from publisher.dispatcher import Dispatcher, copies_note
from publisher.models import Delivery, DeliveryState, Event
from publisher.queue import PostDraft, Queue
from publisher.retry import RetryPolicy
from publisher.store import Store
from tests.fakes import serve
from tests.fakes.images import MemoryImages, jpeg
from tests.fakes.wordpress import FakeWordPress

IMAGES = MemoryImages()


def png() -> bytes:
    """A valid 1x1 PNG, made here rather than shipped."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")

    header = (1).to_bytes(4, "big") * 2 + bytes([8, 2, 0, 0, 0])
    pixels = zlib.compress(b"\0\xff\0\0")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


ROOT = Path(__file__).resolve().parents[2]
POST = PostContent(title="開學第一課：孩子們回到校園", body="孩子们**回到**校园。🎒\n\n- 升旗\n- 讲话")


@contextlib.asynccontextmanager
async def running(fake: FakeWordPress, **options: Any) -> AsyncIterator[tuple[WordPressAdapter, str]]:
    """The adapter pointed at ``fake`` served on loopback, and the fake's base URL."""
    async with serve(fake.app()) as base, httpx.AsyncClient() as client:
        defaults, env = fake.channel_options(base)
        adapter = WordPressAdapter(
            "site", {**defaults, "timeout": 0.3, **options}, client=client, env=env, images=IMAGES
        )
        yield adapter, base


def answer(response: web.Response) -> Any:
    async def handler(request: web.Request) -> web.Response:
        return response

    return handler


@pytest.fixture
def fake() -> FakeWordPress:
    return FakeWordPress()


@pytest.fixture
async def site(fake: FakeWordPress) -> AsyncIterator[WordPressAdapter]:
    async with running(fake) as (adapter, _):
        yield adapter


async def test_publish_with_terms_and_images_from_the_image_source() -> None:
    fake = FakeWordPress(tags=("R&D",))
    options = {"categories": ["News", "活動"], "create_terms": True}
    async with running(fake, **options) as (adapter, base):
        post = PostContent(
            title=POST.title,
            body=POST.body,
            tags=("r&d", "开学"),
            images=(IMAGES.add(png(), "cover.png"), IMAGES.add(jpeg(), "photo.jpg")),
        )
        receipt = await adapter.publish(adapter.render(post), "post-1-site")
    [created] = fake.accepted
    assert created["slug"] == slug_for("post-1-site") == receipt.details["slug"]
    assert receipt.remote_id == str(created["id"])
    assert receipt.url == f"{base}/{created['slug']}/"
    assert created["status"] == "publish"
    assert created["title"]["raw"] == POST.title
    assert "<strong>回到</strong>" in created["content"]["raw"]
    assert created["excerpt"]["raw"] == "孩子们回到校园。🎒"
    names = {taxonomy: {i: n for i, n in terms.items()} for taxonomy, terms in fake.terms.items()}
    assert [names["categories"][i] for i in created["categories"]] == ["News", "活動"]
    assert [names["tags"][i] for i in created["tags"]] == ["R&amp;D", "开学"]  # R&D existed; 开学 was created
    cover, photo = fake.media.values()
    assert created["featured_media"] == cover["id"]
    assert cover["bytes"] == png()
    assert cover["source_url"].endswith(f"/{created['slug']}-1.png")
    assert f'<img src="{photo["source_url"]}"' in created["content"]["raw"]
    assert photo["source_url"].endswith(f"/{created['slug']}-2.jpg")  # the type read from the bytes


async def test_a_missing_category_is_permanent_unless_terms_may_be_created(fake: FakeWordPress) -> None:
    async with running(fake, categories=["Campus life"]) as (adapter, _):
        with pytest.raises(Permanent, match=r"category 'Campus life' does not exist.*create_terms = true"):
            await adapter.publish(adapter.render(POST), "k")
    assert fake.accepted == []
    assert "Campus life" not in fake.terms["categories"].values()


@pytest.mark.parametrize("fault", ["timeout", "drop", "malformed"])
async def test_a_lost_answer_is_uncertain_and_lookup_finds_the_post(
    fake: FakeWordPress, site: WordPressAdapter, fault: str
) -> None:
    payload = site.render(POST)
    fake.inject(fault)
    with pytest.raises(Uncertain):
        await site.publish(payload, "post-7-site")
    assert len(fake.accepted) == 1  # it landed
    found = await site.lookup("post-7-site")
    assert found is not None
    assert found.remote_id == str(fake.accepted[0]["id"])
    assert found.url == fake.accepted[0]["link"]
    assert found.details["slug"] == slug_for("post-7-site")
    assert await site.lookup("post-8-site") is None
    assert len(fake.accepted) == 1


async def test_a_blind_resend_is_caught_by_the_suffixed_slug_and_trashed(
    fake: FakeWordPress, site: WordPressAdapter
) -> None:
    payload = site.render(POST)
    fake.inject("timeout")
    with pytest.raises(Uncertain):
        await site.publish(payload, "post-9-site")
    again = await site.publish(payload, "post-9-site")  # as if lookup had run before the first one landed
    first, second = fake.accepted
    assert second["slug"] == slug_for("post-9-site") + "-2__trashed"
    assert again.remote_id == str(first["id"])
    assert again.details["trashed"] == [str(second["id"])]
    assert [p["id"] for p in fake.live()] == [first["id"]]


async def test_a_late_first_request_leaves_a_twin_that_the_next_lookup_trashes(
    fake: FakeWordPress, site: WordPressAdapter
) -> None:
    """Seen on a real site: the first create request reached WordPress two minutes late. The daemon had timed out,
    looked the slug up (not there yet) and posted again; the late request then made a second published post."""
    payload, key = site.render(POST), "post-11-site"
    fake.inject("late")
    with pytest.raises(Uncertain):
        await site.publish(payload, key)
    assert await site.lookup(key) is None  # not arrived yet
    sent = await site.publish(payload, key)
    assert await fake.land() == 1
    kept, late = fake.accepted
    assert late["slug"] == slug_for(key) + "-2"
    assert len(fake.live()) == 2  # the duplicate, as it happened
    # a later look at the sent delivery (a lookup, the daemon's read-back) keeps the first copy and trashes the rest
    found = await site.lookup(key)
    assert found is not None
    assert found.remote_id == sent.remote_id == str(kept["id"])
    assert found.details["trashed"] == [str(late["id"])]
    assert [p["id"] for p in fake.live()] == [kept["id"]]
    assert late["status"] == "trash"
    assert await site.reconcile(key) == []  # nothing left to trash
    assert [m for m, path in fake.requests if m == "DELETE"] == ["DELETE"]


async def test_reconcile_trashes_every_extra_copy_and_says_which_it_could_not(
    fake: FakeWordPress, site: WordPressAdapter
) -> None:
    payload, key = site.render(POST), "post-12-site"
    fake.inject("late", 3)
    for _ in range(3):
        with pytest.raises(Uncertain):
            await site.publish(payload, key)
    await fake.land()
    first, *extras = sorted(fake.accepted, key=lambda p: p["id"])
    assert {p["slug"] for p in extras} == {slug_for(key) + "-2", slug_for(key) + "-3"}
    other = await site.publish(payload, "post-13-site")  # another delivery's post is never touched
    fake.inject("server_error", after=2)  # the second DELETE fails: that copy stays, and the receipt says so
    found = await site.lookup(key)
    assert found is not None
    assert found.remote_id == str(first["id"])
    assert found.details["trashed"] == [str(extras[0]["id"])]
    assert found.details["duplicates_left"] == [str(extras[1]["id"])]
    assert "critical error" in found.details["duplicate_error"]
    assert copies_note(found) == (  # what the dispatcher writes in the delivery's history
        f"extra copies moved to the trash: {extras[0]['id']}; extra copies left online, remove them by hand: "
        f"{extras[1]['id']} ({found.details['duplicate_error']})"
    )
    assert await site.reconcile(key) == [str(extras[1]["id"])]  # the next look finishes the job
    assert sorted(p["id"] for p in fake.live()) == sorted([first["id"], int(other.remote_id or 0)])
    assert await site.reconcile("post-14-site") == []  # nothing sent with that key


async def test_a_twin_beyond_the_suffixes_looked_for_is_still_trashed_by_its_own_send(
    fake: FakeWordPress, site: WordPressAdapter
) -> None:
    payload, key = site.render(POST), "post-15-site"
    await site.publish(payload, key)
    fake.inject("late", len(copy_slugs(key)) - 1)
    lost = await asyncio.gather(*(site.publish(payload, key) for _ in copy_slugs(key)[1:]), return_exceptions=True)
    assert all(isinstance(error, Uncertain) for error in lost)
    await fake.land()  # every suffix looked for is taken now: WordPress gives the next post "-11"
    assert sorted(p["slug"] for p in fake.live()) == sorted(copy_slugs(key))
    again = await site.publish(payload, key)
    first, *twins, own = fake.accepted
    assert own["slug"] == f"{slug_for(key)}-11__trashed"
    assert again.remote_id == str(first["id"])
    assert sorted(again.details["trashed"]) == sorted(str(p["id"]) for p in [*twins, own])
    assert [p["id"] for p in fake.live()] == [first["id"]]


async def test_a_late_request_between_two_lost_answers_ends_with_one_post(
    store: Store, clock: ManualClock, fake: FakeWordPress, site: WordPressAdapter
) -> None:
    """The dispatcher's lookup before a third attempt finds both copies: it keeps the first, trashes the late one,
    and the delivery's history says so."""
    store.sync_channels({"site": "wordpress"}, clock.now())
    Queue(store, {"site": site}, clock, actor="tester").add_post(
        PostDraft(title=POST.title, body=POST.body, channels=["site"], now=True)
    )
    policy = RetryPolicy(initial=30, maximum=3600, max_attempts=5)
    dispatcher = Dispatcher(store, {"site": site}, clock, policy=policy, owner="worker-a")
    fake.inject("late")  # attempt 1 reaches the site only later
    fake.inject("timeout", after=1)  # attempt 2: the lookup finds nothing, the post is made but its answer is lost
    for _ in range(2):
        await dispatcher.run_once()
        assert _delivery(store).state == DeliveryState.RETRY_WAIT
        clock.advance(3600)
    await fake.land()
    kept, late = fake.accepted
    await dispatcher.run_once()  # attempt 3: the lookup finds both
    row = _delivery(store)
    assert row.state == DeliveryState.SENT
    assert row.remote_id == str(kept["id"])
    assert [p["id"] for p in fake.live()] == [kept["id"]]
    assert late["status"] == "trash"
    with store.sessions() as session:
        reason = session.scalars(select(Event.reason).where(Event.action == "delivery.sent")).one()
    assert reason == (
        f"found by lookup after an earlier unanswered attempt; extra copies moved to the trash: {late['id']}"
    )


def _delivery(store: Store) -> Delivery:
    with store.sessions() as session:
        row = session.scalars(select(Delivery)).one()
        session.expunge(row)
        return row


async def test_a_draft_is_found_and_its_twin_trashed_too(fake: FakeWordPress) -> None:
    async with running(fake, status="draft") as (adapter, _):
        payload = adapter.render(POST)
        receipt = await adapter.publish(payload, "d-1")
        assert await adapter.lookup("d-1") == receipt
        again = await adapter.publish(payload, "d-1")
    assert again.remote_id == receipt.remote_id
    assert [p["status"] for p in fake.accepted] == ["draft", "trash"]
    assert receipt.url == fake.accepted[0]["link"]


async def test_failures_before_the_post_are_retryable(fake: FakeWordPress) -> None:
    post = PostContent(title="t", body="b", images=(IMAGES.add(png(), "a.png"),))
    async with running(fake) as (adapter, _):  # no terms: the upload is the first request
        for fault in ("timeout", "drop", "server_error"):
            fake.inject(fault)
            with pytest.raises(Retryable):
                await adapter.publish(adapter.render(post), "k")
    async with running(fake, categories=["News"]) as (adapter, _):
        fake.inject("server_error")  # the category lookup
        with pytest.raises(Retryable, match="critical error"):
            await adapter.publish(adapter.render(post), "k")
    assert fake.accepted == []
    assert [path for method, path in fake.requests if method == "POST"] == ["/wp-json/wp/v2/media"] * 3


async def test_credentials_rejected(fake: FakeWordPress) -> None:
    async with running(fake) as (adapter, _):
        fake.inject("auth")
        with pytest.raises(CredentialsRejected, match="rest_cannot_create"):
            await adapter.publish(adapter.render(POST), "k")
    async with serve(fake.app()) as base, httpx.AsyncClient() as client:
        options, _ = fake.channel_options(base)
        wrong = WordPressAdapter("site", options, client=client, env={"WP_APP_PASSWORD": "wrong wrong wrong"})
        with pytest.raises(CredentialsRejected, match="401 rest_not_logged_in") as caught:
            await wrong.check()
        assert "wrong" not in str(caught.value)
    assert fake.accepted == []


async def test_a_valid_password_is_ignored_over_http_unless_the_site_is_local() -> None:
    fake = FakeWordPress(environment_type="production")
    async with running(fake) as (adapter, _):
        with pytest.raises(CredentialsRejected, match="rest_cannot_create"):
            await adapter.publish(adapter.render(POST), "k")


async def test_a_contributor_cannot_publish_and_check_says_why() -> None:
    fake = FakeWordPress(role="contributor")
    async with running(fake) as (adapter, _):
        with pytest.raises(CredentialsRejected, match="403 rest_cannot_publish"):
            await adapter.publish(adapter.render(POST), "k")
        with pytest.raises(Permanent, match="lacks publish_posts, upload_files"):
            await adapter.check()


async def test_check_names_the_user_and_rights(site: WordPressAdapter) -> None:
    verdict = await site.check()
    assert "as 'publisher' (editor)" in verdict
    assert "publish_posts, upload_files" in verdict


async def test_the_hosts_rate_limit_gives_its_wait() -> None:
    fake = FakeWordPress(rate_per_minute=2)
    async with running(fake) as (adapter, _):
        payload = adapter.render(POST)
        await adapter.publish(payload, "a")
        await adapter.publish(payload, "b")
        with pytest.raises(Retryable) as caught:
            await adapter.publish(payload, "c")
    assert caught.value.after is not None
    assert 55 <= caught.value.after <= 61
    assert len(fake.accepted) == 2


async def test_refused_content_and_bad_images_are_permanent(
    fake: FakeWordPress, site: WordPressAdapter, tmp_path: Path
) -> None:
    with pytest.raises(Permanent, match="400 empty_content"):
        await site.publish(site.render(PostContent(title="", body="")), "k")
    notes = IMAGES.add(b"not a picture", "notes.png")
    for image, reason in [(notes, "is not a PNG"), (str(tmp_path / "gone.png"), "refused"), ("/etc/passwd", "refused")]:
        with pytest.raises(Permanent, match=reason):
            await site.publish(site.render(PostContent(title="t", body="b", images=(image,))), "k")
    assert fake.accepted == []
    assert fake.media == {}


async def test_a_closed_port_is_retryable() -> None:
    async with httpx.AsyncClient() as client:
        options = {"url": "http://127.0.0.1:9", "username": "u", "app_password_env": "P"}
        adapter = WordPressAdapter("site", options, client=client, env={"P": "x"})
        with pytest.raises(Retryable, match="ConnectError"):
            await adapter.publish(adapter.render(POST), "k")


async def test_invalid_params_and_a_racing_term() -> None:
    """Answers the stand-in never gives: a refused parameter, and a tag created between lookup and creation."""
    sent: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, json=[])
        if request.url.path.endswith("/tags"):
            error = {"code": "term_exists", "message": "exists", "data": {"status": 400, "term_id": 9}}
            return httpx.Response(400, json=error)
        sent.append(json.loads(request.content))
        data = {"status": 400, "params": {"excerpt": "excerpt is not of type object."}}
        error = {"code": "rest_invalid_param", "message": "Invalid parameter(s): excerpt", "data": data}
        return httpx.Response(400, json=error)

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        options = {"url": "https://example.org", "username": "u", "app_password_env": "P", "create_terms": True}
        adapter = WordPressAdapter("site", options, client=client, env={"P": "x"})
        with pytest.raises(Permanent, match=r"rest_invalid_param.*excerpt is not of type object"):
            await adapter.publish(adapter.render(PostContent(title="t", body="b", tags=("新",))), "k")
    assert sent[0]["tags"] == [9]


GOOD = {"url": "https://example.org", "username": "u", "app_password_env": "P"}


async def test_a_redirect_means_the_api_is_elsewhere() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(301, headers={"Location": f"{request.url}/"})

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        adapter = WordPressAdapter("site", GOOD, client=client, env={"P": "x"})
        with pytest.raises(Permanent, match="Permalinks is not 'Plain'"):
            await adapter.publish(adapter.render(POST), "k")
        with pytest.raises(Permanent, match=re.escape("redirected to https://example.org/wp-json/wp/v2/users/me")):
            await adapter.check()


def test_the_password_is_never_shown() -> None:
    secret = "abcd EFGH ijkl MNOP qrst UVWX"
    options = {"url": "https://example.org/", "username": "u", "app_password_env": "WP_PW"}
    adapter = WordPressAdapter("site", options, client=httpx.AsyncClient(), env={"WP_PW": secret})
    shown = json.dumps(adapter.describe()) + repr(adapter) + repr(adapter.__dict__)
    assert secret not in shown
    assert "abcd" not in shown
    assert adapter.describe()["app_password_env"] == "$WP_PW (hidden)"
    assert adapter.describe()["url"] == "https://example.org"


def test_render_keeps_tricky_text_whole(site: WordPressAdapter) -> None:
    url = "https://example.org/" + "a" * 300 + "?q=開學&x=1"
    body = (
        "繁體：學校舉辦開學典禮。简体：学校举办开学典礼。👩‍👩‍👧‍👦🇨🇳\n\n"
        f"Link: {url}\n\n| 年級 | 人數 |\n|---|---|\n| 一 | 30 |\n\n```python\nprint('<b>')\n```"
    )
    payload = site.render(PostContent(title="標題 & 标题", body=body, tags=("開學",)))
    assert payload.text == f"標題 & 标题\n\n{body}"
    assert site.limits.max_length is None  # WordPress has no practical length limit
    data = payload.data
    assert data["title"] == "標題 & 标题"
    assert "<table>" in data["html"]
    assert "<td>一</td>" in data["html"]
    assert "print('&lt;b&gt;')" in data["html"]
    assert url.replace("&", "&amp;") in data["html"]
    assert data["excerpt"] == "繁體：學校舉辦開學典禮。简体：学校举办开学典礼。👩‍👩‍👧‍👦🇨🇳"
    assert data["tags"] == ["開學"]


def test_excerpt_limits_and_graphemes() -> None:
    exact = "字" * 160
    assert excerpt(exact) == exact
    assert excerpt("字" * 161) == "字" * 160 + "…"
    sentence = "A" * 100 + "."
    assert excerpt(f"{sentence} {'x' * 100}") == sentence  # a whole sentence, no ellipsis
    assert excerpt("word " * 40) == ("word " * 32).rstrip() + "…"
    family = "👩‍👩‍👧‍👦"  # seven code points joined by ZWJ
    for start in range(150, 160):
        cut = excerpt("a" * start + family * 3)
        assert cut.endswith(("a…", family + "…")), (start, cut)
    flags = "🇨🇳🇭🇰🇹🇼"
    for start in range(154, 160):
        cut = excerpt("b" * start + flags * 2).removesuffix("…")
        assert (len(cut) - len(cut.rstrip(flags))) % 2 == 0, (start, cut)
    assert excerpt("one\ntwo\n\nthree") == "one two"
    assert excerpt("x" * 150 + " See https://example.org/a.b?c=1 now") == "x" * 150 + " See…"
    assert excerpt("见" * 150 + "https://example.org/" + "a" * 50) == "见" * 150 + "…"
    assert excerpt("A" * 100 + " v1.2 is out. " + "b" * 100) == "A" * 100 + " v1.2 is out."


# --- the example works on a fresh site; a wrong password and a missing category say so (issue 12) ---------------------


async def test_a_wrong_application_password_says_so() -> None:
    fake = FakeWordPress()
    async with serve(fake.app()) as base, httpx.AsyncClient() as client:
        options, _ = fake.channel_options(base)
        wrong = WordPressAdapter("site", options, client=client, env={"WP_APP_PASSWORD": "wrong wrong wrong"})
        refused = "WordPress refused the application password for user 'publisher': check username and app_password_env"
        for attempt in (wrong.check, lambda: wrong.publish(wrong.render(POST), "k")):
            with pytest.raises(CredentialsRejected) as caught:
                await attempt()
            assert str(caught.value).startswith(refused)
            assert "WP_ENVIRONMENT_TYPE" in str(caught.value)  # the site is on http://: the other cause
            assert "wrong wrong" not in str(caught.value)


@pytest.mark.parametrize(("create_terms", "passes"), [(False, False), (True, True)])
async def test_check_finds_the_categories_a_site_lacks(create_terms: bool, passes: bool) -> None:
    fake = FakeWordPress(categories=("Uncategorized", "News"))
    async with running(fake, categories=["News", "校园新闻", "Events"], create_terms=create_terms) as (adapter, _):
        if passes:
            assert "missing categories will be created" in await adapter.check()
        else:
            with pytest.raises(Permanent) as caught:
                await adapter.check()
            reason = str(caught.value)
            assert "the categories '校园新闻', 'Events' do not exist on" in reason
            assert "create_terms = true" in reason
            assert "'News'" not in reason
    async with running(fake, categories=["news"]) as (adapter, _):
        assert "the categories 'news' exist" in await adapter.check()


async def test_the_example_config_works_on_a_fresh_site() -> None:
    """A fresh WordPress has one category, "Uncategorized" (or "未分类"), and no tags."""
    table = tomllib.loads((ROOT / "config/channels/wordpress.toml").read_text(encoding="utf-8"))["channels"]["website"]
    options = {k: v for k, v in table.items() if k not in ("kind", "concurrency", "rate_per_minute", "url")}
    fake = FakeWordPress(username=table["username"], categories=("未分类",), tags=())
    async with serve(fake.app()) as base, httpx.AsyncClient() as client:
        env = {table["app_password_env"]: fake.app_password}
        adapter = WordPressAdapter("website", {**options, "url": base}, client=client, env=env, images=IMAGES)
        await adapter.check()
        post = PostContent(title="开学典礼", body="九月一日。", tags=("开学",))
        receipt = await adapter.publish(adapter.render(post), "k")
    assert receipt.remote_id is not None
    assert sorted(fake.terms["categories"].values()) == sorted(["未分类", *table["categories"]])


async def test_a_picture_goes_with_what_it_shows(fake: FakeWordPress, site: WordPressAdapter) -> None:
    """The media store's alt text becomes the library image's alt_text (the article's <img alt>)."""
    cover = IMAGES.add(png(), "alt-cover.png", alt="运动会上，孩子们在跑道上奔跑")

    await site.publish(site.render(PostContent(title="运动会", body="正文", images=(cover,))), "post-alt-site")

    [media] = fake.media.values()  # uploaded under the post's slug
    assert media["alt_text"] == "运动会上，孩子们在跑道上奔跑"
