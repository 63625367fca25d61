"""The console's media library: several photos uploaded at once (stored without their EXIF), listed with thumbnails
and alt text; the compose page offers the newest to pick, and a picked one goes into the post."""

from __future__ import annotations

import hashlib
import io
from typing import Any

from PIL import Image

from publisher.store import PostFilter, list_deliveries
from publisher.web.console import Console
from tests.fakes.images import png
from tests.test_media_metadata import jpeg_from_a_phone


async def test_several_photos_go_in_at_once_and_show_with_their_thumbnails(
    visitors: Any, console: Console, people: dict[str, Any]
) -> None:
    editor = await visitors("eve")
    phone, flag = jpeg_from_a_phone(), png(600, 300)
    files = [("files", ("run.jpg", phone, "image/jpeg")), ("files", ("flag.png", flag, "image/png"))]

    sent = await editor.http.post("/media", data={"csrf_token": editor.token, "alt": "运动会"}, files=files)
    listing = await editor.get("/media")
    flag_ref = hashlib.sha256(flag).hexdigest()
    thumb = await editor.get(f"/media/{flag_ref}/thumb.png")
    missing = await editor.get("/media/" + "0" * 64 + "/thumb.png")
    forged = await editor.http.post("/media", data={"alt": "x"}, files=files[:1])

    assert sent.status_code == 303
    assert listing.text.count('class="ref"') == 2
    assert f'src="/media/{flag_ref}/thumb.png" alt="运动会"' in listing.text
    assert "2 photos added to the media library." in listing.text
    with Image.open(io.BytesIO(thumb.content)) as picture:
        assert (thumb.headers["content-type"], picture.size) == ("image/png", (320, 160))
    assert missing.status_code == 404
    assert forged.status_code == 403  # no CSRF token
    stored = [row for row in console.media.recent(10) if row.name == "run.jpg"]
    assert [(row.width, row.height) for row in stored] == [(20, 40)]  # upright, its EXIF gone


async def test_the_compose_page_offers_the_library_and_a_pick_goes_into_the_post(
    visitors: Any, console: Console, people: dict[str, Any]
) -> None:
    editor = await visitors("eve")
    ref = console.media.put(png(8, 8), "flag.png", "eve", alt="国旗")

    page = await editor.get("/posts/new")
    form = {
        "csrf_token": editor.token,
        "title": "升旗",
        "body": "b",
        "channels": ["website"],
        "asap": "1",
        "action": "submit",
        "library": [ref],
    }
    sent = await editor.http.post("/posts/new", data=form)

    assert f'name="library" value="{ref}"' in page.text
    assert sent.status_code == 303, sent.text
    [(post, _)] = list_deliveries(console.store, PostFilter())
    assert post.images == [ref]
