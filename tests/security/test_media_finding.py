"""Issue 10, finding 1 as reported, end to end: a server file queued as a post's image never reaches the platform.

Only interfaces that existed before the fix are used, so this file runs (and fails) on the old code too: there the
queue accepted the paths and each adapter uploaded the files. tests/security/test_media.py covers the rest.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from aiohttp import web

from publisher.clock import ManualClock
from publisher.errors import ValidationError
from publisher.queue import PostDraft, Queue
from publisher.store import open_store
from tests.contract.test_adapters import FAKES
from tests.fakes import serve

SECRET = "S3CRET-DO-NOT-LEAK-7f3a"


@pytest.mark.parametrize("kind", ["matrix", "telegram", "mastodon", "weibo", "wordpress"])
async def test_a_server_file_queued_as_an_image_never_reaches_the_platform(
    kind: str, tmp_path: Path, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An editor queues a server file and an internal address as a post's images; the daemon's pass sends nothing of
    them and asks the internal server nothing. (Before the fix the queue took them and the adapters uploaded them;
    the file starts like a PNG, as the type sniffing then checked only the first bytes.)"""
    from publisher.daemon import build_dispatcher
    from tests.conftest import make_settings

    secret_file = tmp_path / "photo.png"
    secret_file.write_bytes(b"\x89PNG\r\n\x1a\n" + b"WEB_SECRET=" + SECRET.encode())
    asked: list[str] = []

    async def internal(request: web.Request) -> web.Response:
        asked.append(request.path)
        return web.Response(body=b"\x89PNG\r\n\x1a\n" + SECRET.encode(), content_type="image/png")

    inside = web.Application()
    inside.router.add_get("/secret.png", internal)
    fake = FAKES[kind]()
    async with serve(inside) as inside_base, serve(fake.app()) as base, httpx.AsyncClient() as client:
        options, env = fake.channel_options(base)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        settings = make_settings(tmp_path, {"room": {"kind": kind, **options}})
        store = open_store(settings.database_url)
        store.upgrade()
        store.sync_channels({"room": kind}, clock.now())
        queue = Queue(store, settings.build_adapters(client), clock, timezone="Asia/Shanghai", actor="eve")
        images = [f"{inside_base}/secret.png"] if kind == "weibo" else [str(secret_file), f"{inside_base}/secret.png"]
        draft = PostDraft(
            title="升旗仪式",
            body="孩子们回到校园。",
            channels=["room"],
            now=True,
            link="https://www.example.org/news/1",
            images=images,
        )
        try:
            queue.add_post(draft)
        except ValidationError as exc:
            assert "media store" in str(exc)  # refused when queued: the fix
        clock.advance(1)
        await build_dispatcher(settings, store, client, clock).run_once()
        seen = json.dumps(getattr(fake, "accepted", []), default=repr) + repr(vars(fake))
        store.engine.dispose()
    assert SECRET not in seen
    assert asked == []
