"""Photos lose what they carry about where they were taken (issue 15, media library): EXIF (a GPS position), XMP,
comments and PNG text are removed when an image enters the media store and when one is fetched from a web address,
and a phone's rotated photo is stored upright. A picture carrying none of it is kept byte for byte."""

from __future__ import annotations

import io

from PIL import Image, PngImagePlugin

from adapters.media import without_metadata
from publisher.clock import ManualClock
from publisher.media import MediaLoader, MediaStore
from publisher.store import Store

GPS = 0x8825  # the EXIF tag of the GPS block
ORIENTATION = 0x0112


def jpeg_from_a_phone(width: int = 40, height: int = 20) -> bytes:
    """A JPEG as a phone writes one: a GPS position, the camera, and "turn me 90 degrees" (orientation 6)."""
    image = Image.new("RGB", (width, height), "red")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[ORIENTATION] = 6
    exif.get_ifd(GPS).update({1: "N", 2: (30.0, 15.0, 0.0), 3: "E", 4: (120.0, 10.0, 0.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), comment=b"class 2, Li Ming")
    return out.getvalue()


def png_with_text() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Location", "Sunshine Kindergarten, class 2")
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(out, "PNG", pnginfo=info)
    return out.getvalue()


def plain_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "green").save(out, "PNG")
    return out.getvalue()


def test_a_phone_photo_loses_its_position_and_stands_upright() -> None:
    original = jpeg_from_a_phone()
    assert b"PhoneMaker" in original  # what the test removes is there

    cleaned = without_metadata(original)

    with Image.open(io.BytesIO(cleaned)) as image:
        assert image.size == (20, 40)  # turned as orientation 6 says: upright without the tag
        assert not image.getexif()
        assert "comment" not in image.info
    assert b"PhoneMaker" not in cleaned
    assert b"Li Ming" not in cleaned


def test_png_text_goes_and_a_clean_picture_is_kept_as_it_is() -> None:
    cleaned = without_metadata(png_with_text())
    assert b"Sunshine Kindergarten" not in cleaned
    with Image.open(io.BytesIO(cleaned)) as image:
        assert image.size == (8, 8)
    plain = plain_png()
    assert without_metadata(plain) == plain  # nothing to remove: the same bytes, the same hash


async def test_the_media_store_keeps_no_position_and_loads_none(store: Store, clock: ManualClock) -> None:
    media = MediaStore(store, clock=clock)
    ref = media.put(jpeg_from_a_phone(), "IMG_0001.jpg", "eve")

    row = media.get(ref)
    loaded = await MediaLoader(store, None).load(ref)

    assert row is not None
    assert b"PhoneMaker" not in bytes(row.data)
    assert (row.width, row.height) == (20, 40)
    assert b"PhoneMaker" not in loaded.data


async def test_what_a_picture_shows_is_kept_and_loaded_with_it(store: Store, clock: ManualClock) -> None:
    media = MediaStore(store, clock=clock)
    ref = media.put(plain_png(), "flag.png", "eve", alt="  升旗仪式\n上的孩子们 ")
    loader = MediaLoader(store, None)

    first = await loader.load(ref)
    media.set_alt(ref, "国旗下的孩子们")
    second = await loader.load(ref)

    assert first.alt == "升旗仪式 上的孩子们"  # one line
    assert second.alt == "国旗下的孩子们"
    import pytest

    from publisher.errors import ValidationError

    with pytest.raises(ValidationError, match="is not in the media store"):
        media.set_alt("media:" + "0" * 64, "x")
