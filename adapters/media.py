"""The one way an adapter gets an image's bytes: through an ``ImageSource`` it was given, never by itself.

A post's images are references into the project's media store (``media:<sha256>``) or ``https://`` addresses; the
service (``publisher.media.MediaLoader``) resolves them, fetching remote ones through the outbound guard. Adapters
know nothing of the store: they receive an ``ImageSource`` in their constructor and call ``load``. Whatever the
source, the bytes pass ``check_image`` (type by content, size and pixel count) before anything is uploaded.

An adapter built without a source refuses every image (``NO_IMAGES``): nothing in a post can make it open a path.
"""

from __future__ import annotations

import base64
import dataclasses
import io
from collections.abc import Iterable
from typing import Any, Protocol, runtime_checkable

from PIL import Image, UnidentifiedImageError

from adapters.errors import Permanent

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_PIXELS",
    "MEDIA_PREFIX",
    "NO_IMAGES",
    "ImageSource",
    "LoadedImage",
    "NoImageSource",
    "check_image",
    "checked_sources",
    "fit_image",
    "inline_images",
    "is_media_ref",
    "link_images",
    "without_metadata",
]

MEDIA_PREFIX = "media:"
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
#: 50 megapixels: above any phone camera, far below a bomb (a 30000x30000 1-bit PNG is 900 megapixels)
DEFAULT_MAX_PIXELS = 50_000_000

#: Pillow's format name -> the MIME type sent to platforms; nothing else is accepted
_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp"}


@dataclasses.dataclass(frozen=True)
class LoadedImage:
    """An image checked by ``check_image``: safe to upload as it is."""

    name: str
    data: bytes = dataclasses.field(repr=False)
    mime: str
    width: int
    height: int
    alt: str = ""  # what the picture shows (the media store's alt text), sent where the platform takes it

    @property
    def filename(self) -> str:
        """``name`` with the extension its content calls for (a platform may go by the file name)."""
        stem = self.name.rsplit(".", 1)[0] if "." in self.name else self.name
        return f"{stem or 'image'}.{EXTENSIONS[self.mime]}"


def check_image(
    data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES, max_pixels: int = DEFAULT_MAX_PIXELS, name: str = "image"
) -> LoadedImage:
    """``data`` as a ``LoadedImage`` if it is a PNG, JPEG, GIF or WebP within the caps; else ``Permanent``.

    The type comes from the content (a name ending in .png proves nothing). Only the header is decoded: the pixel
    count is checked before any pixel is, so a small file that would expand to gigabytes is refused cheaply.
    """
    if len(data) > max_bytes:
        raise Permanent(f"refused: the image {name} is {len(data)} bytes, over the limit of {max_bytes}")
    try:
        with Image.open(io.BytesIO(data), formats=list(_FORMATS)) as image:
            width, height, kind = image.width, image.height, image.format
            if width * height > max_pixels:
                raise Permanent(
                    f"refused: the image {name} is {width}x{height} pixels, over the limit of {max_pixels} pixels"
                )
            image.verify()  # structure and checksums, without decoding the pixels
    except Image.DecompressionBombError:  # Pillow's own cap, should ours ever be set above it
        raise Permanent(f"refused: the image {name} has too many pixels (a decompression bomb)") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise Permanent(f"refused: {name} is not a PNG, JPEG, GIF or WebP image") from None
    if kind not in _FORMATS:
        raise Permanent(f"refused: {name} is not a PNG, JPEG, GIF or WebP image")
    return LoadedImage(name=name, data=data, mime=_FORMATS[kind], width=width, height=height)


#: what a picture may carry about where and how it was taken: EXIF (GPS position, camera, time), XMP, comments,
#: PNG text chunks. None of it is needed to show the picture; a child's photo must not tell where the child lives.
_METADATA_KEYS = ("exif", "xmp", "XML:com.adobe.xmp", "comment", "photoshop", "iptc")


def without_metadata(data: bytes) -> bytes:
    """``data`` with its EXIF (and so its GPS position), XMP, comments and text chunks removed and its orientation
    applied to the pixels (a phone's portrait photo stays upright once its EXIF is gone). Bytes that carry none of
    these come back as they are (same hash); an animated GIF too (GIF has no EXIF). ``data`` must have passed
    ``check_image``."""
    from PIL import ImageOps

    with Image.open(io.BytesIO(data)) as image:
        kind = image.format
        if kind not in ("JPEG", "PNG", "WEBP") or getattr(image, "is_animated", False):
            return data
        exif = image.getexif()
        carried = bool(exif) or any(key in image.info for key in _METADATA_KEYS)
        carried = carried or (kind == "PNG" and any(isinstance(v, str) for v in image.info.values()))
        if not carried:
            return data
        upright = ImageOps.exif_transpose(image) or image
        options: dict[str, Any] = {}
        if kind == "JPEG":
            options = {"quality": 95, "subsampling": "keep" if upright is image else 0}
            if upright is image:
                options["quality"] = "keep"  # the same quantisation: no second loss of quality
        elif kind == "WEBP":
            options = {"lossless": image.info.get("lossless", False), "quality": 95}
        if "icc_profile" in image.info:
            options["icc_profile"] = image.info["icc_profile"]  # colour, not metadata: kept
        if kind == "PNG" and "transparency" in image.info:
            options["transparency"] = image.info["transparency"]
        # Pillow writes back what the image's info holds (EXIF, a JPEG comment): nothing of it goes
        upright.info = {}
        out = io.BytesIO()
        upright.save(out, format=kind, **options)
        return out.getvalue()


def fit_image(image: LoadedImage, max_bytes: int, types: Iterable[str]) -> LoadedImage:
    """``image`` as a platform takes it: as it is when its type is one of ``types`` and it is at most ``max_bytes``;
    else re-encoded as JPEG (quality 85) and scaled down by a fifth at a time until it fits (Pillow). A phone's 8 MB
    photo goes to Weibo (5 MB) or WeChat's body (1 MB) this way instead of being refused."""
    if image.mime in types and len(image.data) <= max_bytes:
        return image
    with Image.open(io.BytesIO(image.data)) as opened:
        picture = opened.convert("RGB")
    scale = 1.0
    while True:
        size = (max(1, int(picture.width * scale)), max(1, int(picture.height * scale)))
        buffer = io.BytesIO()
        picture.resize(size).save(buffer, format="JPEG", quality=85)
        if buffer.tell() <= max_bytes or size == (1, 1):
            width, height = size
            data = buffer.getvalue()
            return LoadedImage(name=image.name, data=data, mime="image/jpeg", width=width, height=height, alt=image.alt)
        scale *= 0.8


def is_media_ref(value: str) -> bool:
    """A reference into the media store: ``media:`` and 64 lowercase hex digits."""
    digest = value.removeprefix(MEDIA_PREFIX)
    return value.startswith(MEDIA_PREFIX) and len(digest) == 64 and all(c in "0123456789abcdef" for c in digest)


@runtime_checkable
class ImageSource(Protocol):
    """Resolves a post's image reference to checked bytes; raises ``Permanent`` (refused) or ``Retryable``."""

    async def load(self, ref: str) -> LoadedImage: ...


class NoImageSource:
    """The source of an adapter given none: every image is refused, nothing is opened."""

    async def load(self, ref: str) -> LoadedImage:
        raise Permanent("refused: no media source configured, so no image can be read")


NO_IMAGES: ImageSource = NoImageSource()


def checked_sources(images: Iterable[str], kind: str) -> tuple[str, ...]:
    """``images`` if each is an uploaded image (``media:``) or an ``https://`` address; else ``Permanent`` (so a
    path or an internal address is refused when the post is queued, and never even passed on as text)."""
    for image in images:
        if not (image.startswith("https://") or is_media_ref(image)):
            raise Permanent(
                f"refused: the image {image[:60]!r} on the {kind} channel is neither an uploaded image (media:...) "
                "nor an https:// address"
            )
    return tuple(images)


def link_images(images: Iterable[str], kind: str) -> tuple[str, ...]:
    """The images a channel that shows pictures as links (the chat robots) can show: its ``https://`` addresses.

    Such a channel cannot carry a file, so an uploaded image (``media:``) is left out there (the post's other
    channels upload it); anything else (a path, ``file://``, ``http://``) is refused, so it is never sent as a link.
    """
    return tuple(image for image in checked_sources(images, kind) if image.startswith("https://"))


async def inline_images(source: ImageSource, refs: Iterable[str]) -> list[dict[str, Any]]:
    """The uploaded images (``media:``) among ``refs`` read through ``source``, for a receiver that takes the files
    in its JSON (webhook, CMS webhook): ``{"ref", "name", "mime", "width", "height", "size", "base64"}``. A
    ``media:`` reference means nothing outside this service; an https:// address stays a link the receiver follows."""
    files = []
    for ref in refs:
        if not is_media_ref(ref):
            continue
        image = await source.load(ref)
        files.append(
            {
                "ref": ref,
                "name": image.filename,
                "mime": image.mime,
                "width": image.width,
                "height": image.height,
                "size": len(image.data),
                "base64": base64.b64encode(image.data).decode("ascii"),
            }
        )
    return files
