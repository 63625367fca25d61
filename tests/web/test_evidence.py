"""The page the tracker kept for a coverage item, on the console: linked from the item, shown with its address,
fetch time (in the campaign's zone), SHA-256 and text, and downloadable as fetched, never rendered by the console."""

from __future__ import annotations

import hashlib
from typing import Any

from publisher.web.console import Console
from tests.web.conftest import PAGE, Visitor, keep_page


async def test_an_item_with_a_kept_page_links_to_it(
    visitors: Any, console: Console, reading_month: dict[str, int]
) -> None:
    keep_page(console, reading_month["evening"])
    viewer: Visitor = await visitors("eve")

    listing = (await viewer.get("/coverage")).text
    shown = await viewer.get(f"/coverage/{reading_month['evening']}/evidence")

    assert listing.count('class="evidence"') == 1
    assert f'href="/coverage/{reading_month["evening"]}/evidence"' in listing
    assert shown.status_code == 200
    assert hashlib.sha256(PAGE).hexdigest() in shown.text
    assert "2026-12-01 01:30 CST" in shown.text  # fetched, in the campaign's zone
    assert "<p>阳光幼儿园的孩子们和家长一起走进社区图书室。</p>" in shown.text
    assert "document.title" not in shown.text


async def test_the_page_downloads_as_fetched_and_never_renders_here(
    visitors: Any, console: Console, reading_month: dict[str, int]
) -> None:
    keep_page(console, reading_month["evening"])
    viewer: Visitor = await visitors("eve")

    got = await viewer.get(f"/coverage/{reading_month['evening']}/evidence/page")

    assert got.status_code == 200
    assert got.content == PAGE
    assert hashlib.sha256(got.content).hexdigest() == hashlib.sha256(PAGE).hexdigest()
    assert got.headers["content-disposition"].startswith("attachment;")
    assert got.headers["content-type"] == "application/octet-stream"
    assert "sandbox" in got.headers["content-security-policy"]


async def test_an_item_without_a_kept_page_says_why(visitors: Any, reading_month: dict[str, int]) -> None:
    viewer: Visitor = await visitors("eve")
    item = reading_month["paper"]

    got = await viewer.get(f"/coverage/{item}/evidence")
    missing = await viewer.get("/coverage/99999/evidence/page")

    assert got.status_code == 404
    assert missing.status_code == 404
    assert f"coverage item {item} has no kept page" in got.text


async def test_anonymous_visitors_get_no_page(visitors: Any, reading_month: dict[str, int], console: Console) -> None:
    keep_page(console, reading_month["evening"])
    anonymous: Visitor = await visitors(None)

    got = await anonymous.get(f"/coverage/{reading_month['evening']}/evidence/page")

    assert got.status_code in (302, 303, 401)
    assert PAGE not in got.content


async def test_the_picture_of_the_kept_page_shows_when_there_is_one(
    visitors: Any, console: Console, reading_month: dict[str, int]
) -> None:
    import io

    from PIL import Image

    from publisher.store.articles import keep_screenshot

    item = reading_month["evening"]
    keep_page(console, item)
    viewer: Visitor = await visitors("eve")
    before = await viewer.get(f"/coverage/{item}/evidence")
    none_yet = await viewer.get(f"/coverage/{item}/evidence/picture.png")
    drawn = io.BytesIO()
    Image.new("RGB", (64, 32), "white").save(drawn, "PNG")
    with console.store.session() as session:
        keep_screenshot(session, "l2", drawn.getvalue(), console.clock.now())

    after = await viewer.get(f"/coverage/{item}/evidence")
    picture = await viewer.get(f"/coverage/{item}/evidence/picture.png")

    assert 'id="evidence-picture"' not in before.text
    assert none_yet.status_code == 404
    assert f'src="/coverage/{item}/evidence/picture.png"' in after.text
    assert picture.status_code == 200
    assert picture.headers["content-type"] == "image/png"
    assert picture.content == drawn.getvalue()
