"""Compose and edit: the form, its live preview (each channel's rendering and count), and submitting it.

Submitting calls ``Queue.add_post``, which refuses a text too long for a channel whatever the browser showed. A
time outside a channel's posting windows (or in its quiet hours) is asked about here: unconfirmed, the post is not
queued; confirmed, it is queued with the override, which the post's history records. (The rule itself is the
core's, ``publisher.services.windows``: any other path queues such a post to wait for the window's end.)

Editing a post queues a corrected copy and then cancels the original (the core has no "change a queued post"
operation): the original's history says which post replaced it. Only a post with nothing sent yet, or a rejected
one, can be edited.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from publisher.errors import PublisherError, ValidationError
from publisher.models import WAITING_STATES, Action, ApprovalState, Post, PostState
from publisher.store import post_history
from publisher.web.accounts import record_event
from publisher.web.auth import console_of, page, user_of
from publisher.web.console import Console
from publisher.web.drafts import Draft, preview, quiet_conflicts
from publisher.web.i18n import say
from publisher.web.views import flash, redirect, render, tr

__all__ = ["is_editable", "routes"]

#: files one compose form may carry (the queue then holds a post to its own image limit)
MAX_UPLOADS = 20
LIBRARY_PICKS = 24  # the newest pictures of the media library offered on the form


def is_editable(post: Post) -> bool:
    """Nothing of it has gone out or is going out: it can still be corrected (a rejected post always can)."""
    if post.state != PostState.ACTIVE:
        return False
    return post.approval == ApprovalState.REJECTED or all(d.state in WAITING_STATES for d in post.deliveries)


def _context(console: Console, draft: Draft, **extra: Any) -> dict[str, Any]:
    return {
        "draft": draft,
        "channels": [(name, console.adapters[name]) for name in console.settings.channels if name in console.adapters],
        "campaigns": console.campaigns(),
        "zone": console.zone_of(draft.campaign or None),
        "preview": preview(console, draft),
        "error": None,
        "conflicts": {},
        "library": console.media.recent(LIBRARY_PICKS),
        **extra,
    }


@page()
async def new_post(request: Request) -> Response:
    console = console_of(request)
    if request.method == "GET":
        draft = Draft(campaign=request.query_params.get("campaign", ""))
        return render(request, "compose.html", _context(console, draft))
    async with request.form(max_files=MAX_UPLOADS) as form:  # closed after: uploads may be spooled to disk
        draft = Draft.from_form(form, list(console.adapters))
        action = form.get("action")
        # pictures picked from the media library, then chosen files (stored now; the post names them by reference)
        draft.images += [str(ref) for ref in form.getlist("library") if str(ref) not in draft.images]
        try:
            draft.images += await _store_uploads(console, user_of(request).name, form.getlist("image_files"))
        except ValidationError as exc:
            return render(request, "compose.html", _context(console, draft, error=say(tr(request), exc)), status=422)
    if action == "preview":
        return render(request, "compose.html", _context(console, draft))
    return await _submit(request, console, draft)


@page()
async def edit_post(request: Request) -> Response:
    console = console_of(request)
    post, _ = post_history(console.store, request.path_params["post_id"])
    if post is None:
        raise HTTPException(404, "post")
    if not is_editable(post):
        t = tr(request)
        flash(request, t("This post can no longer be edited: some of it has gone out."), "error")
        return redirect(f"/posts/{post.id}")
    draft = Draft.from_post(post, post.campaign.timezone if post.campaign else console.timezone)
    return render(request, "compose.html", _context(console, draft))


@page()
async def preview_fragment(request: Request) -> Response:
    """The preview panel alone, for the compose page's script to swap in as the person types."""
    console = console_of(request)
    draft = Draft.from_form(await request.form(), list(console.adapters))
    return render(request, "_preview.html", {"preview": preview(console, draft), "draft": draft})


async def _store_uploads(console: Console, actor: str, files: list[Any]) -> list[str]:
    refs = []
    for upload in files:
        if not isinstance(upload, UploadFile) or not upload.filename:
            continue  # the file input left empty
        data = await upload.read(console.settings.media.max_bytes + 1)  # one byte over is enough to refuse it
        refs.append(await run_in_threadpool(console.media.put, data, upload.filename, actor))
    return refs


async def _submit(request: Request, console: Console, draft: Draft) -> Response:
    user = user_of(request)
    t = tr(request)
    zone = console.zone_of(draft.campaign or None)
    try:
        post_draft = draft.to_post_draft(zone)
        when = post_draft.at or console.clock.now()
        conflicts = quiet_conflicts(console, draft.channels, when, zone)
        if conflicts and not draft.confirm_quiet:
            context = _context(console, draft, conflicts=conflicts)
            context["error"] = t("The time is outside some channels' posting hours. Choose another time or confirm.")
            return render(request, "compose.html", context, status=422)
        post_id = await run_in_threadpool(console.queue(user.name).add_post, post_draft)
    except ValidationError as exc:
        return render(request, "compose.html", _context(console, draft, error=say(tr(request), exc)), status=422)
    if draft.replaces is not None:
        problem = await run_in_threadpool(_replace, console, user.name, draft.replaces, post_id)
        if problem is not None:
            flash(request, say(t, problem), "error")
            return redirect(f"/posts/{draft.replaces}")
        flash(request, t("Queued post {id}, replacing post {old}.", id=post_id, old=draft.replaces))
    else:
        flash(request, t("Queued post {id}.", id=post_id))
    return redirect(f"/posts/{post_id}")


def _replace(console: Console, actor: str, old_id: int, new_id: int) -> PublisherError | None:
    """Withdraw ``old_id`` now that ``new_id`` carries its corrected text; on failure withdraw the copy instead."""
    queue = console.queue(actor)
    old, _ = post_history(console.store, old_id)
    try:
        if old is None or not is_editable(old):
            raise ValidationError.of("post {id} can no longer be edited: some of it has gone out", id=old_id)
        if old.approval != ApprovalState.REJECTED:
            queue.cancel(old_id, f"replaced by post {new_id}")
    except PublisherError as exc:
        queue.cancel(new_id, f"its original, post {old_id}, could not be withdrawn: {exc}")
        return exc  # said in the person's language by the caller
    record_event(console.store, console.clock, actor, Action.POST_REPLACE, new_id, f"replaces post {old_id}")
    record_event(console.store, console.clock, actor, Action.POST_REPLACED, old_id, f"replaced by post {new_id}")
    return None


routes = [
    Route("/posts/new", new_post, methods=["GET", "POST"]),
    Route("/posts/preview", preview_fragment, methods=["POST"]),
    Route("/posts/{post_id:int}/edit", edit_post, methods=["GET"]),
]
