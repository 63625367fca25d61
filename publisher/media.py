"""The media store: the only place a post's images come from.

A post's images are ``media:<sha256>`` references into the ``media`` table (bytes copied in by ``post add --image``,
the console's compose page or ``POST /api/media``, checked by ``adapters.media.check_image`` first) or ``https://``
addresses. Nothing in a post makes the daemon open a path: ``MediaLoader`` (the adapters' ``ImageSource``) reads
references from the store, fetches https addresses through the outbound guard (public addresses only, the size cap
applied while streaming) and refuses anything else without opening it.

The store is in the database, not a folder, so that every daemon on one PostgreSQL reads the same files.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import io
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from PIL import Image

from adapters.errors import Permanent, Retryable
from adapters.http import parse_retry_after
from adapters.media import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_PIXELS,
    MEDIA_PREFIX,
    LoadedImage,
    check_image,
    is_media_ref,
    without_metadata,
)
from publisher.clock import Clock, SystemClock
from publisher.errors import ValidationError
from publisher.models import Media
from publisher.store import Store

if TYPE_CHECKING:
    from publisher.config import Settings

__all__ = [
    "IMAGES_RULE",
    "MediaLoader",
    "MediaSettings",
    "MediaStore",
    "check_post_images",
    "copy_in",
    "media_loader",
]

THUMB_SIDE = 320  # pixels: a thumbnail's longer side (the console's media library and compose page)
#: what a post's images may be, said whenever something else is given
IMAGES_RULE = (
    "images must be uploaded into the media store (post add --image PATH copies a file in) or be https:// addresses"
)


@dataclasses.dataclass(frozen=True, kw_only=True)
class MediaSettings:
    """``[media]``: the caps every image passes, on upload and again when it is sent."""

    max_bytes: int = DEFAULT_MAX_BYTES  # 20 MiB: the largest file accepted (uploads and https images)
    max_pixels: int = DEFAULT_MAX_PIXELS  # width x height: refuses decompression bombs


def _clean_name(name: str) -> str:
    """A file name fit to keep and show: its last path part, no control characters, at most 200 characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip()
    return base[:200] or "image"


class MediaStore:
    """Puts checked images into the store and says which references exist."""

    def __init__(self, store: Store, settings: MediaSettings | None = None, *, clock: Clock | None = None) -> None:
        self.store = store
        self.settings = settings or MediaSettings()
        self.clock = clock or SystemClock()

    def put(self, data: bytes, name: str, actor: str, alt: str | None = None) -> str:
        """Check ``data`` and store it (with ``alt``, what it shows, when given); returns its reference
        ``media:<sha256>``. ``ValidationError`` if refused."""
        name = _clean_name(name)
        alt = _clean_alt(alt)
        try:
            check_image(data, max_bytes=self.settings.max_bytes, max_pixels=self.settings.max_pixels, name=name)
            # stored without its EXIF (GPS position), XMP or comments, upright: nothing kept can leave with them
            data = without_metadata(data)
            image = check_image(data, max_bytes=self.settings.max_bytes, max_pixels=self.settings.max_pixels, name=name)
        except Permanent as exc:
            raise ValidationError(exc.reason) from None
        digest = hashlib.sha256(data).hexdigest()
        self.store.put_media(
            Media(
                sha256=digest,
                mime=image.mime,
                size=len(data),
                width=image.width,
                height=image.height,
                name=name,
                data=data,
                created_at=self.clock.now(),
                created_by=actor[:200],
                alt=alt,
            )
        )
        if alt:  # the same picture stored before without it (or with other words): these words now
            self.store.set_media_alt(digest, alt)
        return MEDIA_PREFIX + digest

    def set_alt(self, ref: str, alt: str) -> None:
        """Say what a stored picture shows (``ValidationError`` for a reference to nothing)."""
        if not is_media_ref(ref) or not self.store.set_media_alt(ref.removeprefix(MEDIA_PREFIX), _clean_alt(alt)):
            raise ValidationError.of("{ref} is not in the media store", ref=ref[:80])

    def get(self, ref: str) -> Media | None:
        return self.store.get_media(ref.removeprefix(MEDIA_PREFIX)) if is_media_ref(ref) else None

    def recent(self, limit: int) -> list[Any]:
        """The newest ``limit`` pictures, without their bytes (sha256, mime, size, width, height, name, created_at,
        created_by, alt): the media library's page and the compose page's picker."""
        return self.store.list_media(limit)

    def thumbnail(self, sha256: str, side: int = THUMB_SIDE) -> bytes | None:
        """A PNG of the stored picture at most ``side`` pixels wide and high, for the console's lists; None for a
        picture that is not there."""
        row = self.store.get_media(sha256)
        if row is None:
            return None
        with Image.open(io.BytesIO(bytes(row.data))) as opened:
            opened.seek(0)  # an animated GIF: its first frame
            picture = opened.convert("RGBA")
        picture.thumbnail((side, side))
        out = io.BytesIO()
        picture.save(out, "PNG")
        return out.getvalue()


ALT_CHARS = 1500  # Mastodon's limit for a description, the strictest of the platforms that take one


def _clean_alt(alt: str | None) -> str | None:
    """Alt text on one line, at most ``ALT_CHARS``; None for nothing."""
    text = " ".join((alt or "").split())
    return text[:ALT_CHARS] or None


def check_post_images(store: Store, images: Sequence[str]) -> None:
    """Refuse (``ValidationError``) a post image that is neither a known ``media:`` reference nor ``https://``."""
    bad = [image for image in images if not (is_media_ref(image) or _is_https(image))]
    if bad:
        shown = ", ".join(repr(image[:80]) for image in bad[:3])
        # IMAGES_RULE written out, so that the console finds the sentence in its catalogue
        raise ValidationError.of(
            "{images}: images must be uploaded into the media store (post add --image PATH copies a file in) or be "
            "https:// addresses",
            images=shown,
        )
    refs = [image.removeprefix(MEDIA_PREFIX) for image in images if is_media_ref(image)]
    missing = sorted(set(refs) - store.existing_media(refs))
    if missing:
        shown = ", ".join(MEDIA_PREFIX + digest for digest in missing[:3])
        raise ValidationError.of("{images}: no such image in the media store; upload the file again", images=shown)


def _is_https(value: str) -> bool:
    try:
        url = httpx.URL(value)
    except (httpx.InvalidURL, ValueError):
        return False
    return url.scheme == "https" and bool(url.host) and not any(ch.isspace() for ch in value)


class MediaLoader:
    """The adapters' ``ImageSource``: ``media:`` from the store, ``https://`` through the guard, nothing else.

    ``fetch_client`` must be the outbound guard's client (``publisher.guard.guarded_client``); ``media_loader``
    builds one. Store reads run in a thread, so the event loop never waits on the database.
    """

    def __init__(
        self, store: Store, fetch_client: httpx.AsyncClient | None, settings: MediaSettings | None = None
    ) -> None:
        self.store = store
        self.fetch_client = fetch_client
        self.settings = settings or MediaSettings()

    def _check(self, data: bytes, name: str) -> LoadedImage:
        return check_image(data, max_bytes=self.settings.max_bytes, max_pixels=self.settings.max_pixels, name=name)

    async def load(self, ref: str) -> LoadedImage:
        if is_media_ref(ref):
            row = await asyncio.to_thread(self.store.get_media, ref.removeprefix(MEDIA_PREFIX))
            if row is None:
                raise Permanent(f"refused: {ref} is not in the media store; upload the image again")
            stored = self._check(bytes(row.data), row.name)  # checked again: caps may have changed since
            # stripped at upload since issue 15; an image stored before that is stripped here
            loaded = self._check(await asyncio.to_thread(without_metadata, stored.data), stored.name)
            return dataclasses.replace(loaded, alt=row.alt or "")
        if _is_https(ref):
            fetched = self._check(await self._fetch(ref), _url_name(ref))  # checked before Pillow decodes more
            # an image taken from a web address goes out without its EXIF too (a GPS position in a site's photo)
            return self._check(await asyncio.to_thread(without_metadata, fetched.data), fetched.name)
        raise Permanent(f"refused: {ref[:80]!r} is not an image this service reads: {IMAGES_RULE}")

    async def _fetch(self, url: str) -> bytes:
        """The body at ``url``, stopped as soon as it passes the cap. Nothing is posted yet, so a network problem
        is ``Retryable``; a refusal by the guard (a private address) or a missing image is ``Permanent``."""
        from publisher.guard import Refused

        if self.fetch_client is None:
            raise Permanent(f"refused: {url}: images by address are not fetched here (no outbound client)")
        cap = self.settings.max_bytes
        try:
            async with self.fetch_client.stream("GET", url) as response:
                if response.status_code == 429 or response.status_code >= 500:
                    after = parse_retry_after(response.headers.get("Retry-After"))
                    raise Retryable(f"the image {url} answered HTTP {response.status_code}", after=after)
                if response.status_code != 200:
                    raise Permanent(f"the image {url} answered HTTP {response.status_code}")
                declared = response.headers.get("Content-Length", "")
                if declared.isdigit() and int(declared) > cap:
                    raise Permanent(f"refused: the image {url} is {declared} bytes, over the limit of {cap}")
                chunks, size = [], 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > cap:
                        raise Permanent(f"refused: the image {url} is over the limit of {cap} bytes")
                    chunks.append(chunk)
        except Refused as exc:
            raise Permanent(f"{exc.reason}: {url}") from None
        except httpx.TooManyRedirects:
            raise Permanent(f"the image {url} redirects too many times") from None
        except httpx.TransportError as exc:
            raise Retryable(f"could not fetch the image {url}: {type(exc).__name__}") from None
        return b"".join(chunks)

    async def aclose(self) -> None:
        if self.fetch_client is not None:
            await self.fetch_client.aclose()


def _url_name(url: str) -> str:
    return _clean_name(httpx.URL(url).path.rstrip("/").rsplit("/", 1)[-1])


def media_loader(store: Store, settings: Settings) -> MediaLoader:
    """The loader for ``settings``: https images through the outbound guard its ``[outbound]`` configures."""
    from publisher.guard import guarded_client

    client = guarded_client(settings.outbound, timeout=20.0, max_connections=8)
    return MediaLoader(store, client, settings.media)


def copy_in(media: MediaStore, images: Iterable[str], base: Path, actor: str) -> list[str]:
    """``images`` with every local path (relative to ``base``, or ``file://``) replaced by the reference of its
    copy in the store: for ``post add --image PATH`` and post files, where the person running the command may read
    the file. References and addresses pass as they are (the queue then checks them)."""
    resolved = []
    for image in images:
        if is_media_ref(image) or "://" in image.removeprefix("file://"):
            resolved.append(image)
            continue
        path = base / Path(image.removeprefix("file://")).expanduser()
        try:
            with path.open("rb") as file:
                data = file.read(media.settings.max_bytes + 1)  # one byte over is enough to refuse it
        except OSError as exc:
            raise ValidationError.of(
                "cannot read the image {image}: {reason}", image=image, reason=exc.strerror or exc
            ) from None
        resolved.append(media.put(data, path.name, actor))
    return resolved
