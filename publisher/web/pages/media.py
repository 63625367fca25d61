"""The media library: the photos in the media store, with their thumbnails and alt text; uploading several at once
(chosen or dropped on the form), each stored without its EXIF (GPS position), upright (``publisher.media``)."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from publisher.errors import ValidationError
from publisher.web.auth import console_of, page, user_of
from publisher.web.i18n import say
from publisher.web.views import flash, redirect, render, tr

__all__ = ["LIBRARY_SHOWN", "routes"]

LIBRARY_SHOWN = 120  # pictures the page lists, newest first
MAX_UPLOADS = 20  # files one upload may carry


@page()
async def library(request: Request) -> Response:
    console = console_of(request)
    if request.method == "GET":
        items = await run_in_threadpool(console.media.recent, LIBRARY_SHOWN)
        return render(request, "media.html", {"items": items})
    t, actor = tr(request), user_of(request).name
    stored = 0
    async with request.form(max_files=MAX_UPLOADS) as form:
        alt = str(form.get("alt") or "")
        try:
            for upload in form.getlist("files"):
                if not isinstance(upload, UploadFile) or not upload.filename:
                    continue  # the file input left empty
                data = await upload.read(console.settings.media.max_bytes + 1)  # one byte over: refused
                await run_in_threadpool(console.media.put, data, upload.filename, actor, alt or None)
                stored += 1
        except ValidationError as exc:
            flash(request, say(t, exc), "error")
            return redirect("/media")
    flash(request, t("{count} photos added to the media library.", count=stored) if stored else t("No file chosen."))
    return redirect("/media")


@page()
async def thumbnail(request: Request) -> Response:
    console = console_of(request)
    sha256 = str(request.path_params["sha256"])
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise HTTPException(404, "media")
    picture: Any = await run_in_threadpool(console.media.thumbnail, sha256)
    if picture is None:
        raise HTTPException(404, "media")
    # the same bytes always: named by their hash
    headers = {"Cache-Control": "private, max-age=86400", "X-Content-Type-Options": "nosniff"}
    return Response(picture, media_type="image/png", headers=headers)


routes = [
    Route("/media", library, methods=["GET", "POST"]),
    Route("/media/{sha256}/thumb.png", thumbnail),
]
