"""Issue 10, finding 1, in the console and the API: images are uploaded into the media store (checked by content),
and a post names them by reference; a path or an internal address in a post's images is refused."""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any

import pytest

from publisher.media import MediaSettings
from publisher.store import PostFilter, list_deliveries
from publisher.web.accounts import UserView
from publisher.web.console import Console
from tests.fakes.images import png
from tests.web.test_api import auth
from tests.web.test_api import http as http  # the fixtures
from tests.web.test_api import tokens as tokens

HOSTILE = ["/proc/self/environ", "publisher.db", "file:///etc/passwd", "http://127.0.0.1:8000/secret"]


async def test_the_api_uploads_into_the_store_and_a_post_names_the_ref(
    http: Any,
    tokens: dict[str, str],
    console: Console,
) -> None:
    picture = png(8, 6)
    sent = await http.post(
        "/api/media", files={"file": ("升旗.png", picture, "image/png")}, headers=auth(tokens["editor"])
    )
    assert sent.status_code == 201, sent.text
    answer = sent.json()
    assert answer == {
        "ref": "media:" + hashlib.sha256(picture).hexdigest(),
        "name": "升旗.png",
        "mime": "image/png",
        "size": len(picture),
        "width": 8,
        "height": 6,
    }
    body = {"title": "t", "body": "b", "channels": ["website"], "now": True, "images": [answer["ref"]]}
    queued = await http.post("/api/posts", json=body, headers=auth(tokens["editor"]))
    assert queued.status_code == 201, queued.text
    for hostile in [*HOSTILE, "media:" + "0" * 64]:
        refused = await http.post("/api/posts", json={**body, "images": [hostile]}, headers=auth(tokens["editor"]))
        assert refused.status_code == 422
        assert "media store" in refused.json()["error"]


@pytest.mark.parametrize(
    ("data", "name", "status", "said"),
    [
        (b"PATH=/usr/bin\x00SECRET=x", "environ.png", 422, "not a PNG, JPEG, GIF or WebP"),
        (b"SQLite format 3\x00", "publisher.db", 422, "not a PNG, JPEG, GIF or WebP"),
        (png(3000, 3000), "huge.png", 422, "pixels"),
    ],
)
async def test_the_api_refuses_what_is_not_an_image(
    http: Any,
    tokens: dict[str, str],
    console: Console,
    data: bytes,
    name: str,
    status: int,
    said: str,
) -> None:
    console.settings = dataclasses.replace(console.settings, media=MediaSettings(max_pixels=1_000_000))
    refused = await http.post("/api/media", files={"file": (name, data, "image/png")}, headers=auth(tokens["editor"]))
    assert refused.status_code == status, refused.text
    assert said in refused.json()["error"]
    assert (await http.post("/api/media", files={"file": ("a.png", png(), "image/png")})).status_code == 401
    assert (await http.post("/api/media", json={}, headers=auth(tokens["editor"]))).status_code == 400


async def test_the_compose_page_uploads_chosen_files(
    visitors: Any, console: Console, people: dict[str, UserView]
) -> None:
    editor = await visitors("eve")
    page = await editor.get("/posts/new")
    assert 'enctype="multipart/form-data"' in page.text
    assert 'type="file" name="image_files"' in page.text
    picture = png(5, 5)
    form = {
        "csrf_token": editor.token,
        "title": "升旗",
        "body": "b",
        "channels": ["website"],
        "asap": "1",
        "action": "submit",
        "images": "https://img.example.org/1.png",
    }
    sent = await editor.http.post("/posts/new", data=form, files={"image_files": ("flag.png", picture, "image/png")})
    assert sent.status_code == 303, sent.text
    [(post, _)] = list_deliveries(console.store, PostFilter())
    assert post.images == ["https://img.example.org/1.png", "media:" + hashlib.sha256(picture).hexdigest()]
    refused = await editor.http.post(
        "/posts/new", data=form, files={"image_files": ("notes.png", b"not a picture", "image/png")}
    )
    assert refused.status_code == 422
    assert "not a PNG, JPEG, GIF or WebP" in refused.text
    for hostile in HOSTILE:
        refused = await editor.post("/posts/new", {**form, "images": hostile})
        assert refused.status_code == 422
        assert "media store" in refused.text
