"""Images for tests: real PNG bytes made with Pillow, and an in-memory ``ImageSource`` holding them by reference.

The adapters read images only through an ``ImageSource``; this one stands in for ``publisher.media.MediaLoader``
in adapter tests (the loader itself is tested against a real store in tests/security/test_media.py).
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
from typing import TYPE_CHECKING

from PIL import Image

from adapters.errors import Permanent

if TYPE_CHECKING:
    from adapters.media import LoadedImage

__all__ = ["MemoryImages", "png"]


def png(width: int = 4, height: int = 3, color: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, format="PNG")
    return buffer.getvalue()


def jpeg(width: int = 4, height: int = 3) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (10, 120, 200)).save(buffer, format="JPEG")
    return buffer.getvalue()


class MemoryImages:
    """``media:<sha256>`` -> bytes, checked by ``check_image`` on every load as the real loader does."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[str, bytes]] = {}
        self.alts: dict[str, str] = {}  # ref -> what the picture shows (the media store's alt text)
        self.loaded: list[str] = []

    def add(self, data: bytes, name: str = "photo.png", alt: str = "") -> str:
        ref = "media:" + hashlib.sha256(data).hexdigest()
        self.files[ref] = (name, data)
        if alt:
            self.alts[ref] = alt
        return ref

    async def load(self, ref: str) -> LoadedImage:
        from adapters.media import check_image  # here: tests.fakes is also imported where it is not needed

        self.loaded.append(ref)
        if ref not in self.files:
            raise Permanent(f"refused: {ref[:80]!r} is not in the media store")
        name, data = self.files[ref]
        return dataclasses.replace(check_image(data, name=name), alt=self.alts.get(ref, ""))
