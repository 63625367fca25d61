"""The wordpress adapter against a real WordPress, started by tests/integration/wordpress.sh.

bash tests/integration/wordpress.sh start && . /tmp/publisher-wordpress.env
.venv/bin/python -m pytest tests/integration/test_wordpress.py
bash tests/integration/wordpress.sh stop
"""

from __future__ import annotations

import os
import tomllib
import uuid
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from adapters.base import PostContent
from adapters.errors import CredentialsRejected, Permanent, Uncertain
from adapters.wordpress import WordPressAdapter, slug_for
from tests.fakes.images import MemoryImages

pytestmark = pytest.mark.external_service

NAMES = ("PUBLISHER_TEST_WORDPRESS_URL", "PUBLISHER_TEST_WORDPRESS_USER", "PUBLISHER_TEST_WORDPRESS_PASSWORD")


@pytest.fixture
def site() -> dict[str, str]:
    missing = [name for name in NAMES if not os.environ.get(name)]
    if missing:
        reason = f"no WordPress to test against: {', '.join(missing)} unset (run tests/integration/wordpress.sh start)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)  # CI starts the site: its absence there is a failure, not a skip
        pytest.skip(reason)
    url, user, password = (os.environ[name] for name in NAMES)
    return {"url": url, "username": user, "password": password}


def png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")

    header = (2).to_bytes(4, "big") * 2 + bytes([8, 2, 0, 0, 0])
    pixels = zlib.compress(b"\0\xff\0\0\0\xff\0" * 2)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


class LoseAnswers(httpx.AsyncBaseTransport):
    """Forwards each request; for those ``lose`` picks, reads the answer and raises ReadTimeout instead."""

    def __init__(self, lose: Callable[[httpx.Request], bool]) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.lose = lose
        self.lost: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if not self.lose(request):
            return response
        await response.aread()  # the site has answered: the post exists, only we do not know it
        await response.aclose()
        self.lost.append(request)
        raise httpx.ReadTimeout("the answer was lost on the way back", request=request)

    async def aclose(self) -> None:
        await self.inner.aclose()


class HoldRequests(httpx.AsyncBaseTransport):
    """Forwards each request, but those ``hold`` picks only when ``land()`` is called: to the adapter they time out
    at once, and they reach the site later (a request stuck on the way, as seen on a real site)."""

    def __init__(self, hold: Callable[[httpx.Request], bool]) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.hold = hold
        self.held: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not self.hold(request):
            return await self.inner.handle_async_request(request)
        await request.aread()  # kept whole, to be sent later
        self.held.append(request)
        raise httpx.ReadTimeout("no answer yet", request=request)

    async def land(self) -> list[Any]:
        """Send the held requests now; returns their answers' JSON."""
        held, self.held = self.held, []
        answers = []
        for request in held:
            response = await self.inner.handle_async_request(request)
            await response.aread()
            answers.append(response.json())
        return answers

    async def aclose(self) -> None:
        await self.inner.aclose()


def creates_post(request: httpx.Request) -> bool:
    return request.method == "POST" and request.url.path.endswith("/wp/v2/posts")


async def rest(site: dict[str, str], path: str, **params: Any) -> Any:
    """Read the site through its REST API, as the test's own witness (not through the adapter)."""
    auth = (site["username"], site["password"])
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{site['url']}/wp-json/wp/v2{path}", params=params, auth=auth, timeout=30)
    response.raise_for_status()
    return response.json()


def options(site: dict[str, str], **more: Any) -> dict[str, Any]:
    return {"url": site["url"], "username": site["username"], "app_password_env": "WP_PW", "timeout": 30, **more}


async def test_publish_lose_the_answer_look_up_and_never_post_twice(site: dict[str, str]) -> None:
    run = uuid.uuid4().hex[:8]
    key, category = f"it-{run}", f"Campus {run} & news"
    images = MemoryImages()  # the adapter reads images only through an image source
    transport = LoseAnswers(lose=creates_post)
    async with httpx.AsyncClient(transport=transport) as client:
        adapter = WordPressAdapter(
            "site",
            options(site, categories=["Uncategorized", category], create_terms=True),
            client=client,
            env={"WP_PW": site["password"]},
            images=images,
        )
        assert "publish_posts" in await adapter.check()
        post = PostContent(
            title=f"開學第一課 {run}",
            body="孩子们**回到**校园。🎒\n\n| 年级 | 人数 |\n|---|---|\n| 一 | 30 |",
            tags=("活动",),
            images=(images.add(png(), "photo.png"),),
        )
        payload = adapter.render(post)
        with pytest.raises(Uncertain, match="ReadTimeout"):
            await adapter.publish(payload, key)
        assert len(transport.lost) == 1
        # what the dispatcher does after an uncertain outcome: look up, publish only if absent
        receipt = await adapter.lookup(key) or await adapter.publish(payload, key)
        assert len(transport.lost) == 1  # no second POST was made

    found = await rest(site, "/posts", slug=slug_for(key), status="any", context="edit")
    assert len(found) == 1
    [created] = found
    assert receipt.remote_id == str(created["id"])
    assert receipt.url == created["link"]
    assert created["status"] == "publish"
    assert created["title"]["raw"] == post.title
    assert "<strong>回到</strong>" in created["content"]["raw"]
    assert created["excerpt"]["raw"] == "孩子们回到校园。🎒"
    names = {term["id"]: term["name"] for term in await rest(site, "/categories", per_page=100)}
    assert sorted(names[i] for i in created["categories"]) == sorted(["Uncategorized", category.replace("&", "&amp;")])
    assert created["tags"]
    assert created["featured_media"] > 0
    media = await rest(site, f"/media/{created['featured_media']}")
    assert media["mime_type"] == "image/png"
    async with httpx.AsyncClient() as client:  # the upload is served back (by the router script under php -S)
        image = await client.get(media["source_url"], timeout=30)
    assert image.content == png()


async def test_a_blind_resend_is_trashed_on_a_real_site(site: dict[str, str]) -> None:
    key = f"it-{uuid.uuid4().hex[:8]}"
    async with httpx.AsyncClient() as client:
        adapter = WordPressAdapter("site", options(site), client=client, env={"WP_PW": site["password"]})
        payload = adapter.render(PostContent(title="Twice", body="Sent twice, shown once."))
        first = await adapter.publish(payload, key)
        again = await adapter.publish(payload, key)  # WordPress makes the slug "-2"; the adapter trashes it
    assert again.remote_id == first.remote_id
    trashed = again.details["trashed"]
    live = await rest(site, "/posts", slug=slug_for(key), status="any", context="edit")
    assert [p["id"] for p in live] == [int(first.remote_id or 0)]
    [gone] = await rest(site, "/posts", include=trashed, status="trash", context="edit")
    assert gone["status"] == "trash"


async def test_a_late_first_request_leaves_a_twin_that_the_next_lookup_trashes(site: dict[str, str]) -> None:
    """The first create request reaches the site after the resend: WordPress gives it the slug "-2". The next look
    at the key keeps the first post made and moves the late one to the trash."""
    key = f"it-{uuid.uuid4().hex[:8]}"
    first_post = iter([True])
    transport = HoldRequests(hold=lambda request: creates_post(request) and next(first_post, False))
    async with httpx.AsyncClient(transport=transport) as client:
        adapter = WordPressAdapter("site", options(site), client=client, env={"WP_PW": site["password"]})
        payload = adapter.render(PostContent(title="Late", body="The first request arrived last."))
        with pytest.raises(Uncertain, match="ReadTimeout"):
            await adapter.publish(payload, key)
        assert await adapter.lookup(key) is None  # not arrived yet
        sent = await adapter.publish(payload, key)
        [late] = await transport.land()
        assert late["slug"] == slug_for(key) + "-2"
        assert len(await rest(site, "/posts", slug=f"{slug_for(key)},{late['slug']}", status="any")) == 2
        found = await adapter.lookup(key)
        assert found is not None
        assert found.remote_id == sent.remote_id
        assert found.details["trashed"] == [str(late["id"])]
        assert await adapter.reconcile(key) == []  # nothing left to trash
    live = await rest(site, "/posts", slug=f"{slug_for(key)},{late['slug']}", status="any", context="edit")
    assert [str(p["id"]) for p in live] == [sent.remote_id]
    [gone] = await rest(site, "/posts", include=late["id"], status="trash", context="edit")
    assert gone["status"] == "trash"


async def test_a_wrong_password_is_rejected(site: dict[str, str]) -> None:
    async with httpx.AsyncClient() as client:
        adapter = WordPressAdapter("site", options(site), client=client, env={"WP_PW": "AAAA BBBB CCCC DDDD EEEE FFFF"})
        refused = f"WordPress refused the application password for user '{site['username']}'"
        with pytest.raises(CredentialsRejected, match=f"^{refused}: check username and app_password_env.*401"):
            await adapter.check()
        with pytest.raises(CredentialsRejected, match=f"^{refused}.*401 rest_cannot_create"):
            await adapter.publish(adapter.render(PostContent(title="t", body="b")), "it-wrong")


async def test_channel_test_names_a_category_the_site_lacks(site: dict[str, str]) -> None:
    missing = f"Absent {uuid.uuid4().hex[:8]}"
    env = {"WP_PW": site["password"]}
    async with httpx.AsyncClient() as client:
        adapter = WordPressAdapter("site", options(site, categories=[missing]), client=client, env=env)
        with pytest.raises(Permanent, match=f"the categories '{missing}' do not exist on .*create_terms = true"):
            await adapter.check()
        creating = WordPressAdapter(
            "site", options(site, categories=[missing], create_terms=True), client=client, env=env
        )
        assert "missing categories will be created" in await creating.check()


def example_table() -> dict[str, Any]:
    path = Path(__file__).resolve().parents[2] / "config/channels/wordpress.toml"
    table: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))["channels"]["website"]
    return table


async def test_the_example_config_works_on_this_site(site: dict[str, str]) -> None:
    """config/channels/wordpress.toml as written (its own address and user swapped for the test site's)."""
    table = example_table()
    given = {k: v for k, v in table.items() if k not in ("kind", "concurrency", "rate_per_minute")}
    given.update(url=site["url"], username=site["username"])
    env = {table["app_password_env"]: site["password"]}
    async with httpx.AsyncClient() as client:
        adapter = WordPressAdapter("website", given, client=client, env=env)
        await adapter.check()
        tag = f"example-{uuid.uuid4().hex[:8]}"
        receipt = await adapter.publish(
            adapter.render(PostContent(title="开学典礼", body="九月一日。", tags=(tag,))), tag
        )
    created = await rest(site, f"/posts/{receipt.remote_id}", context="edit")
    assert created["status"] == table["status"]
    categories = {term["id"]: term["name"] for term in await rest(site, "/categories", per_page=100)}
    assert sorted(categories[i] for i in created["categories"]) == sorted(table["categories"])
    assert len(created["tags"]) == 1
