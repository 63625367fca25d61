"""Reading an image to upload: from a local path, a ``file://`` URL or an ``http(s)://`` URL, with its type sniffed.

Shared by the channels that upload image bytes themselves (Mastodon, Weibo).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from adapters.base import Permanent, Retryable, Uncertain, status_error

__all__ = ["load_image"]

_MAGIC = {b"\x89PNG": "image/png", b"\xff\xd8\xff": "image/jpeg", b"GIF8": "image/gif"}


def _sniff(data: bytes) -> str | None:
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return next((mime for magic, mime in _MAGIC.items() if data.startswith(magic)), None)


async def load_image(client: httpx.AsyncClient, source: str, timeout: float) -> tuple[str, bytes, str]:
    """``(file name, bytes, MIME type)`` of an image given as a local path, ``file://`` or ``http(s)://`` URL.

    Nothing has been posted yet when this fails, so a fetch problem is ``Retryable`` and a missing file ``Permanent``.
    """
    name = source.rstrip("/").rsplit("/", 1)[-1] or "image"
    if source.startswith(("http://", "https://")):
        try:
            response = await client.get(source, timeout=timeout, follow_redirects=True)
        except httpx.TransportError as exc:
            raise Retryable(f"could not fetch the image {source}: {type(exc).__name__}") from exc
        if response.status_code >= 400:
            error = status_error(response, f"fetching the image {source}")
            raise Retryable(error.reason) if isinstance(error, Uncertain) else error
        data = response.content
    else:
        path = Path(source.removeprefix("file://"))
        try:
            data = await asyncio.to_thread(path.read_bytes)
        except OSError as exc:
            raise Permanent(f"cannot read the image {source}: {exc.strerror or exc}") from exc
    mime = _sniff(data)
    if mime is None:
        raise Permanent(f"{source} is not a PNG, JPEG, GIF or WebP image")
    return name, data, mime
