"""Issue 10, finding 1: a post's images must never make the service read a server file or an internal address.

Every registered adapter is run against its stand-in with the real ``MediaLoader`` over a real store, with hostile
image sources: server files (``/proc/self/environ``, the database, ``file:///etc/passwd``), a loopback server
holding a secret, a non-image named .png, a decompression bomb and an oversize file. Each is refused when queued or
``Permanent`` when sent, and no stand-in ever receives the bytes. The good path: an uploaded image (``media:``)
reaches every adapter that takes images, byte for byte.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web
from PIL import Image

from adapters import REGISTRY, create
from adapters.base import PostContent
from adapters.errors import ChannelError, Permanent, Retryable
from adapters.media import check_image
from publisher.clock import ManualClock
from publisher.errors import ValidationError
from publisher.guard import OutboundPolicy, guarded_client
from publisher.media import MediaLoader, MediaSettings, MediaStore
from publisher.models import Media
from publisher.queue import PostDraft, Queue
from publisher.store import Store, open_store
from tests.contract.test_adapters import FAKES
from tests.fakes import serve
from tests.fakes.images import png
from tests.test_cli import Cli
from tests.test_cli import cli as cli  # the fixture: the same folder and config as tests/test_cli.py

SECRET = "S3CRET-DO-NOT-LEAK-7f3a"
ENVIRON = Path("/proc/self/environ").read_bytes()[:64]  # what /proc/self/environ would give away
KINDS = sorted(REGISTRY)
#: adapters that upload the image's bytes themselves (the others show images as links, or take none)
#: adapters that pass an https:// image on as a link (the platform or receiver follows it; we fetch nothing)
LINKERS = {"dingtalk", "feishu", "wecom", "webhook", "cms_webhook", "outbox"}
UPLOADERS = {"mastodon", "matrix", "onebot", "telegram", "weibo", "wordpress", "webhook", "cms_webhook", "outbox"}


def bomb() -> bytes:
    """A 1-bit 30000x30000 PNG: a few kilobytes on disk, 900 megapixels decoded."""
    buffer = io.BytesIO()
    Image.new("1", (30000, 30000)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def the_bomb() -> bytes:
    return bomb()


@pytest.fixture
def media_store(tmp_path: Path) -> Store:
    store = open_store(f"sqlite:///{tmp_path / 'publisher.db'}")
    store.upgrade()
    return store


class Recorder:
    """Every request body the adapter's client sends to its platform (an httpx event hook: the bytes on the wire)."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    async def hook(self, request: httpx.Request) -> None:
        self.bodies.append(await request.aread() + str(request.url).encode())

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(event_hooks={"request": [self.hook]})

    def saw(self, data: bytes) -> bool:
        forms = (data, base64.b64encode(data), json.dumps(base64.b64encode(data).decode()).encode())
        return any(form in body for body in self.bodies for form in forms)


async def secret_server() -> tuple[web.Application, list[str]]:
    """A loopback 'internal' server: what it would hand out is the secret; the test checks nobody asked."""
    asked: list[str] = []

    async def secret(request: web.Request) -> web.Response:
        asked.append(request.path)
        return web.Response(body=png(2, 2, (1, 2, 3)) + SECRET.encode(), content_type="image/png")

    app = web.Application()
    app.router.add_get("/secret", secret)
    app.router.add_get("/secret.png", secret)
    return app, asked


def _options(kind: str, base: str, tmp_path: Path) -> tuple[dict[str, Any], dict[str, str]]:
    if kind == "outbox":
        return {"folder": str(tmp_path / "outbox")}, {}
    options, env = FAKES[kind]().channel_options(base)
    return options, env


async def _stand_in(kind: str) -> tuple[Any, web.Application]:
    if kind == "outbox":
        return None, web.Application()
    fake = FAKES[kind]()
    return fake, fake.app()


@pytest.fixture
async def loader(media_store: Store) -> AsyncIterator[MediaLoader]:
    # the real loader: https through the outbound guard, with no network allowed beyond public addresses
    loader = MediaLoader(media_store, guarded_client(OutboundPolicy(), timeout=2.0), MediaSettings())
    yield loader
    await loader.aclose()


def _post(kind: str, images: tuple[str, ...]) -> PostContent:
    link = "https://www.example.org/news/1"
    return PostContent(title="升旗仪式", body="孩子们回到校园。", link=link, images=images, campaign="阅读月")


@pytest.mark.parametrize("kind", KINDS)
async def test_every_adapter_refuses_hostile_image_sources_and_sends_no_bytes(
    kind: str, tmp_path: Path, media_store: Store, loader: MediaLoader
) -> None:
    db_path = tmp_path / "publisher.db"
    secret_file = tmp_path / "secret.png"
    secret_file.write_bytes(png() + SECRET.encode())
    internal, asked = await secret_server()
    async with serve(internal) as internal_base:
        _fake, app = await _stand_in(kind)
        recorder = Recorder()
        async with serve(app) as base, recorder.client() as client:
            options, env = _options(kind, base, tmp_path)
            adapter = create(kind, kind, options, client=client, env=env, images=loader)
            hostile = [
                "/proc/self/environ",
                str(db_path),
                f"file://{db_path}",
                "file:///etc/passwd",
                str(secret_file),
                f"{internal_base}/secret",
                f"{internal_base.replace('http://', 'https://')}/secret.png",  # https, but to a loopback address
                "https://127.0.0.1:1/secret.png",
                "https://[::ffff:127.0.0.1]/x.png",
                "media:" + "0" * 64,  # a reference to nothing
            ]
            for source in hostile:
                try:
                    payload = adapter.render(_post(kind, (source,)))
                except Permanent:
                    continue  # refused when queued (render is what the queue calls)
                if adapter.limits.max_images == 0:
                    continue  # the queue refuses any image on a channel that takes none (SMS)
                try:
                    await adapter.publish(payload, f"pub-9-{kind}-hostile")
                except ChannelError as exc:
                    assert isinstance(exc, Permanent), f"{kind} {source}: {exc!r}"
                    assert "refused" in exc.reason, f"{kind} {source}: {exc.reason}"
                else:  # an https address may go out as a link (never fetched by us); a robot leaves media: out
                    assert kind in LINKERS, f"{kind} sent a post with the image {source}"
                    assert source.startswith(("https://", "media:")), f"{kind} sent the image {source}"
    assert asked == []  # the internal server was never asked
    for leaked in (SECRET.encode(), db_path.read_bytes()[:100], b"root:x:0:0", ENVIRON):
        assert not recorder.saw(leaked), f"{kind}: the stand-in received server bytes"


@pytest.mark.parametrize("kind", sorted(k for k in KINDS if k in UPLOADERS))
async def test_an_uploaded_image_reaches_every_adapter_that_takes_images(
    kind: str, tmp_path: Path, media_store: Store, loader: MediaLoader, clock: ManualClock
) -> None:
    picture = png(7, 5, (10, 200, 30))
    ref = MediaStore(media_store, clock=clock).put(picture, "升旗.png", "editor")
    _fake, app = await _stand_in(kind)
    recorder = Recorder()
    async with serve(app) as base, recorder.client() as client:
        options, env = _options(kind, base, tmp_path)
        adapter = create(kind, kind, options, client=client, env=env, images=loader)
        await adapter.publish(adapter.render(_post(kind, (ref,))), f"pub-8-{kind}-good")
    if kind == "outbox":
        [written] = (tmp_path / "outbox").glob("*.image1.png")
        assert written.read_bytes() == picture
    else:
        assert recorder.saw(picture), f"{kind}: the image's bytes did not arrive"


@pytest.mark.parametrize("kind", ["dingtalk", "feishu", "wecom"])
def test_link_only_robots_show_https_images_and_leave_uploads_out(kind: str, tmp_path: Path) -> None:
    options, env = FAKES[kind]().channel_options("http://127.0.0.1:9")
    adapter = create(kind, kind, options, client=httpx.AsyncClient(), env=env)
    payload = adapter.render(_post(kind, ("media:" + "a" * 64, "https://img.example.org/1.png")))
    shown = json.dumps(dict(payload.data), ensure_ascii=False)
    assert "https://img.example.org/1.png" in shown
    assert "media:" not in shown
    with pytest.raises(Permanent, match="neither an uploaded image"):
        adapter.render(_post(kind, ("/proc/self/environ",)))


# --- the media store and the loader -------------------------------------------------------------------------------


def test_the_store_keeps_checked_images_by_content(media_store: Store, clock: ManualClock) -> None:
    media = MediaStore(media_store, clock=clock)
    picture = png(3, 2)
    ref = media.put(picture, "../../etc/合照.png\x00", "王老师")
    assert ref == "media:" + hashlib.sha256(picture).hexdigest()
    assert media.put(picture, "again.png", "someone") == ref  # same bytes, same row
    row = media.get(ref)
    assert row is not None
    assert (row.mime, row.width, row.height, row.size, row.name, row.created_by) == (
        "image/png",
        3,
        2,
        len(picture),
        "合照.png",
        "王老师",
    )
    assert row.created_at == clock.now()


def test_the_store_refuses_what_is_not_a_small_image(media_store: Store, the_bomb: bytes) -> None:
    media = MediaStore(media_store, MediaSettings(max_bytes=200_000))
    cases = [
        (b"PATH=/usr/bin\x00HOME=/root\x00" + SECRET.encode(), "environ.png", "not a PNG, JPEG, GIF or WebP"),
        (b"SQLite format 3\x00" + bytes(200), "publisher.png", "not a PNG, JPEG, GIF or WebP"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "logo.png", "not a PNG, JPEG, GIF or WebP"),
        (png()[:40], "truncated.png", "not a PNG, JPEG, GIF or WebP"),
        (the_bomb, "bomb.png", "pixels"),
        (png(600, 600, (1, 2, 3)) + bytes(200_000), "big.png", "over the limit of 200000"),
    ]
    assert len(the_bomb) < 200_000  # small on disk: the pixel count is what refuses it
    for data, name, reason in cases:
        with pytest.raises(ValidationError, match=reason):
            media.put(data, name, "editor")
    assert media_store.existing_media([hashlib.sha256(d).hexdigest() for d, _, _ in cases]) == set()


async def test_a_stored_row_that_no_longer_passes_is_refused_when_sent(
    media_store: Store, loader: MediaLoader, the_bomb: bytes, clock: ManualClock
) -> None:
    """Rows put in under other caps (or by hand) are checked again at send time."""
    for data in (the_bomb, b"not an image at all"):
        digest = hashlib.sha256(data).hexdigest()
        media_store.put_media(
            Media(
                sha256=digest,
                mime="image/png",
                size=len(data),
                width=1,
                height=1,
                name="x.png",
                data=data,
                created_at=clock.now(),
                created_by="test",
            )
        )
        with pytest.raises(Permanent, match="refused"):
            await loader.load("media:" + digest)


async def test_the_loader_fetches_https_through_the_guard_with_its_caps(media_store: Store) -> None:
    """https images go through the guard (private addresses refused unless the admin allows them) with the size cap
    applied while streaming; a missing image is Permanent, a busy host Retryable. The stand-in speaks plain http, so
    the fetch itself (``_fetch``, which ``load`` calls for https only) is driven directly, loopback allowed as an
    admin would."""
    picture = png(5, 5)
    app = web.Application()
    answers = {
        "/photo.png": lambda: web.Response(body=picture, content_type="image/png"),
        "/gone.png": lambda: web.Response(status=404),
        "/busy.png": lambda: web.Response(status=503, headers={"Retry-After": "5"}),
        "/huge.png": lambda: web.Response(body=picture + bytes(5000)),
    }

    async def answer(request: web.Request) -> web.Response:
        return answers[request.path]()

    for path in answers:
        app.router.add_get(path, answer)
    async with serve(app) as base:
        allowed = MediaLoader(
            media_store, guarded_client(OutboundPolicy(("127.0.0.0/8",)), timeout=2.0), MediaSettings(max_bytes=2000)
        )
        try:
            assert await allowed._fetch(f"{base}/photo.png") == picture
            with pytest.raises(Permanent, match="HTTP 404"):
                await allowed._fetch(f"{base}/gone.png")
            with pytest.raises(Retryable) as busy:
                await allowed._fetch(f"{base}/busy.png")
            assert busy.value.after == 5.0
            with pytest.raises(Permanent, match="over the limit of 2000"):
                await allowed._fetch(f"{base}/huge.png")
        finally:
            await allowed.aclose()
        refused = MediaLoader(media_store, guarded_client(OutboundPolicy(), timeout=2.0))
        try:
            with pytest.raises(Permanent, match="refused: private address"):
                await refused.load(base.replace("http://", "https://") + "/photo.png")
            for source in (f"{base}/photo.png", "ftp://example.org/x.png", "data:image/png;base64,AAAA", "x.png"):
                with pytest.raises(Permanent, match="refused"):
                    await refused.load(source)  # plain http and anything else: refused before any request
        finally:
            await refused.aclose()


# --- queue time ---------------------------------------------------------------------------------------------------


def test_the_queue_refuses_images_that_are_not_uploads_or_https(queue: Queue, store: Store, clock: ManualClock) -> None:
    def draft(*images: str) -> PostDraft:
        return PostDraft(
            title="t", body="b", channels=["website"], at=clock.now() + timedelta(hours=1), images=list(images)
        )

    for image in (
        "/proc/self/environ",
        "publisher.db",
        "file:///etc/passwd",
        "http://127.0.0.1:8000/secret",
        "http://example.org/a.png",
        "ftp://example.org/a.png",
        "mxc://example.org/abc",
        "media:abc",
        "https://",
    ):
        with pytest.raises(ValidationError, match="must be uploaded into the media store"):
            queue.add_post(draft(image))
    with pytest.raises(ValidationError, match="no such image in the media store"):
        queue.add_post(draft("media:" + "0" * 64))
    ref = MediaStore(store, clock=clock).put(png(), "a.png", "tester")
    post_id = queue.add_post(draft(ref, "https://img.example.org/1.png"))
    assert post_id > 0


def test_check_image_reads_the_type_from_the_content() -> None:
    jpeg = io.BytesIO()
    Image.new("RGB", (4, 4)).save(jpeg, format="JPEG")
    loaded = check_image(jpeg.getvalue(), name="photo.png")
    assert (loaded.mime, loaded.filename, loaded.width, loaded.height) == ("image/jpeg", "photo.jpg", 4, 4)
    gif = io.BytesIO()
    Image.new("P", (2, 2)).save(gif, format="GIF")
    webp = io.BytesIO()
    Image.new("RGB", (2, 2)).save(webp, format="WEBP")
    assert check_image(gif.getvalue()).mime == "image/gif"
    assert check_image(webp.getvalue()).mime == "image/webp"
    bmp = io.BytesIO()
    Image.new("RGB", (2, 2)).save(bmp, format="BMP")
    with pytest.raises(Permanent, match="not a PNG"):
        check_image(bmp.getvalue(), name="x.png")


# --- the command line copies files in ------------------------------------------------------------------------------


def test_post_add_image_copies_the_file_into_the_store_and_dispatch_sends_it(cli: Cli, tmp_path: Path) -> None:
    picture = png(6, 4)
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "flag.png").write_bytes(picture)
    cli("init")
    queued = cli.json("post", "add", "--title", "升旗", "--body", "b", "--channel", "website", "--now",
                      "--image", "photos/flag.png", "--image", "https://img.example.org/1.png")  # fmt: skip
    ref = "media:" + hashlib.sha256(picture).hexdigest()
    (tmp_path / "photos" / "flag.png").unlink()  # the post no longer depends on the file
    cli("dispatch", "--once")
    [sent] = (tmp_path / "out" / "website").glob("*.json")
    document = json.loads(sent.read_text(encoding="utf-8"))
    assert document["images"] == [ref, "https://img.example.org/1.png"]
    assert (sent.parent / document["image_files"][0]["file"]).read_bytes() == picture
    assert queued["id"] == 1
    # a post file's images are relative to the file
    (tmp_path / "posts").mkdir()
    (tmp_path / "posts" / "cover.png").write_bytes(png(2, 2))
    (tmp_path / "posts" / "a.md").write_text(
        "---\ntitle: t\nchannels: [website]\nimages: [cover.png]\n---\nbody\n", encoding="utf-8"
    )
    cli("post", "add", "--file", "posts/a.md", "--now")
    for hostile, reason in [
        ("/proc/self/environ", "not a PNG, JPEG, GIF or WebP"),  # read by the operator, refused as no image
        ("publisher.db", "not a PNG, JPEG, GIF or WebP"),
        ("no/such.png", "cannot read the image"),
        ("http://127.0.0.1:8000/x.png", "must be uploaded into the media store"),
        ("media:" + "1" * 64, "no such image in the media store"),
    ]:
        said = cli.refused("post", "add", "--title", "t", "--body", "b", "--channel", "website", "--now",
                           "--image", hostile)  # fmt: skip
        assert reason in said, said
