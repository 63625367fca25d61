"""The JSON API under ``/api``: the queue's actions, coverage and reports for other tools, with per-user bearer
tokens.

``Authorization: Bearer pub_…`` (made with ``publisher user token create`` or on the account page). The token's user
and role decide what it may do, exactly as for that person in the console; a revoked token, or one whose user is
disabled, is refused. No cookie is read here, so there is nothing for a cross-site request to ride on and no CSRF
token is needed. ``/api/openapi.json`` describes every route, generated from them (``publisher/web/openapi.py``).

Errors are ``{"error": "..."}`` with 400 (unreadable request, or a field of the wrong type), 401 (no valid token),
403 (role), 404 (also for an id beyond 64 bits), 413 (a body over ``[web] max_body_bytes``, refused before the token
is read), or 422 (the queue refused, a time outside 1900-2999, JSON nested over ``MAX_JSON_DEPTH`` or holding a lone
surrogate: the message says what is wrong and how to fix it). The message is in the token's user's language, else
the one ``Accept-Language`` asks for, else ``[web] language``; the shape and the status are the same in every language.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from publisher.errors import NotFoundError, PublisherError, ValidationError, shown
from publisher.models import Delivery, Event, Post
from publisher.queue import PostDraft
from publisher.store import PostFilter, list_deliveries, post_history
from publisher.times import local, parse_time
from publisher.tracker.coverage import CoverageFilter, CoverageRow, add_manual, list_coverage, remove_coverage
from publisher.web.accounts import UserView
from publisher.web.auth import console_of
from publisher.web.console import Console
from publisher.web.drafts import describe_conflicts, quiet_conflicts
from publisher.web.i18n import choose_language, say, translator
from publisher.web.limits import json_depth_error, too_deep
from publisher.web.models import Role
from publisher.web.openapi import build, declare, query_param
from publisher.web.pages.common import action_routes
from publisher.web.pages.posts import reschedule_time
from publisher.web.pages.queue import group_by_post
from publisher.web.reporting import download, generate, order

__all__ = ["routes"]

ApiEndpoint = Callable[[Request, UserView], Awaitable[Any]]  # returns JSON-ready data, or a Response
Handler = Callable[[Request], Awaitable[Response]]


class BadRequest(PublisherError):
    """The request could not be read (not JSON, a field of the wrong type): a 400, said as the core's refusals."""


def _error(message: str, status: int, **headers: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers or None)


def api(
    role: Role = Role.EDITOR, status: int = 200
) -> Callable[[ApiEndpoint], Callable[[Request], Awaitable[Response]]]:
    """A bearer token of a user with at least ``role``; the endpoint's return value is sent as JSON."""

    def wrap(endpoint: ApiEndpoint) -> Handler:
        @functools.wraps(endpoint)
        async def guarded(request: Request) -> Response:
            scheme, _, token = request.headers.get("authorization", "").partition(" ")
            user = None
            if scheme.lower() == "bearer" and token.strip():
                user = await run_in_threadpool(console_of(request).accounts.user_for_token, token.strip())
            console = console_of(request)
            # the token's user's language, else the client's Accept-Language, as the console chooses
            chosen = user.language if user is not None else None
            t = translator(choose_language(chosen, request.headers.get("accept-language"), console.web.language))
            request.state.t = t  # for an endpoint that words part of a refusal itself (the channels' quiet hours)
            if user is None:
                return _error(t("a valid API token is required: Authorization: Bearer pub_…"), 401, **_CHALLENGE)
            if not user.may(role):
                return _error(
                    t("this needs the {role} role; the token's user is {has}", role=role.value, has=user.role.value),
                    403,
                )
            try:
                result = await endpoint(request, user)
            except BadRequest as exc:
                return _error(say(t, exc), 400)
            except NotFoundError as exc:
                return _error(console.redact(say(t, exc)), 404)
            except PublisherError as exc:
                return _error(console.redact(say(t, exc)), 422)
            if isinstance(result, Response):  # a file (a report), sent as it is
                return result
            return JSONResponse(result, status_code=status)

        marked: Any = guarded
        marked.required_role = role
        return guarded

    return wrap


_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="publisher"'}


#: nesting a request body may have: the API's documents are two levels deep; deeper is refused, not parsed further
MAX_JSON_DEPTH = 32


async def _body(request: Request) -> dict[str, Any]:
    """The JSON object sent (the size was capped by ``BodyLimit`` before sign-in); refused with a message if it is
    nested deeper than ``MAX_JSON_DEPTH`` or holds a lone surrogate (``"\\ud800"``, which no database can store)."""
    try:
        data = json.loads(await request.body() or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise BadRequest.of("the body must be a JSON object") from None
    except RecursionError:  # nested beyond Python's own limit (about 1,000): refused like any deep document
        raise too_deep(MAX_JSON_DEPTH) from None
    if not isinstance(data, dict):
        raise BadRequest.of("the body must be a JSON object")
    problem = json_depth_error(data, MAX_JSON_DEPTH)
    if problem is not None:
        raise problem
    return data


def _text(data: dict[str, Any], key: str, *, required: bool = False) -> str | None:
    value = data.get(key)
    if value is None:
        if required:
            raise BadRequest.of("`{key}` is required", key=key)
        return None
    if not isinstance(value, str):
        raise BadRequest.of("`{key}` must be text, got {shown}", key=key, shown=shown(value))
    return value


def _texts(data: dict[str, Any], key: str) -> list[str]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        if key == "channels":
            raise BadRequest.of("`{key}` must be a list of channel names, got {shown}", key=key, shown=shown(value))
        raise BadRequest.of("`{key}` must be a list of {key}, got {shown}", key=key, shown=shown(value))
    return value


def _flag(data: dict[str, Any], key: str) -> bool:
    value = data.get(key, False)
    if not isinstance(value, bool):
        raise BadRequest.of("`{key}` must be true or false, got {shown}", key=key, shown=shown(value))
    return value


def _delivery(console: Console, delivery: Delivery, zone: str) -> dict[str, Any]:
    return {
        "channel": delivery.channel.name,
        "state": delivery.state,
        "due_at": delivery.due_at.isoformat(),
        "due_local": local(delivery.due_at, zone),
        "attempts": delivery.attempts,
        "sent_at": delivery.sent_at.isoformat() if delivery.sent_at else None,
        "remote_url": delivery.remote_url,
        "last_error": console.redact(delivery.last_error) or None,
    }


def _post(console: Console, post: Post, deliveries: Sequence[Delivery], zone: str) -> dict[str, Any]:
    return {
        "id": post.id,
        "title": post.title,
        "body": post.body,
        "campaign": post.campaign.name if post.campaign else None,
        "timezone": zone,
        "event_at": post.event_at.isoformat() if post.event_at else None,
        "event_local": local(post.event_at, zone) if post.event_at else None,
        "state": post.state,
        "approval": post.approval,
        "approved_by": post.approved_by,
        "created_by": post.created_by,
        "created_at": post.created_at.isoformat(),
        "deliveries": [_delivery(console, d, zone) for d in deliveries],
    }


def _event(console: Console, event: Event, zone: str) -> dict[str, Any]:
    return {
        "at": event.at.isoformat(),
        "at_local": local(event.at, zone),
        "actor": event.actor,
        "action": event.action,
        "to": event.to_state,
        "reason": console.redact(event.reason) or None,
    }


def _coverage(row: CoverageRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "campaign": row.campaign,
        "outlet": row.outlet,
        "kind": row.kind,
        "tier": row.tier,
        "title": row.title,
        "url": row.url,
        "published": row.published_at.isoformat() if row.published_at else None,
        "published_local": local(row.published_at, row.timezone) if row.published_at else None,
        "matched_by": row.matched_by,
        "why": row.matched_terms,
        "score": row.score,
        "post": row.post_id,
        "reprint_group": row.reprint_group,
        "origin": row.origin,
        "note": row.note,
    }


def _limit(text: str | None, default: int, most: int) -> int:
    try:
        value = int(text) if text else default
    except ValueError:
        raise BadRequest.of("`limit` must be a whole number") from None
    return max(1, min(value, most))


def _post_id(request: Request) -> int:
    value: int = request.path_params["post_id"]
    return value


# --- routes ----------------------------------------------------------------------------------------------------

#: what the OpenAPI document says 422 means for the queue's actions on a post
NOT_WAITING = "The queue refused (for example: not waiting for approval, nothing left to move, a time in the past)."
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: a report's media types, by format
REPORT_FILES: dict[str, dict[str, Any]] = {
    "application/zip": {"type": "string", "contentMediaType": "application/zip"},
    XLSX: {"type": "string", "contentMediaType": XLSX},
    "application/json": {"type": "object"},
    "text/markdown": {"type": "string"},
    "text/html": {"type": "string"},
}


@functools.cache
def _description() -> bytes:
    """Built once, from ``routes`` below, the first time it is asked for."""
    return json.dumps(build(routes), ensure_ascii=False, indent=1).encode()


@declare(answer="The OpenAPI document.")
async def openapi(request: Request) -> Response:
    """This description

    Public: it holds no data.
    """
    return Response(_description(), media_type="application/json")


@declare(response="Me", answer="The token's user.")
@api()
async def me(request: Request, user: UserView) -> dict[str, Any]:
    """Who the token acts as"""
    return {"name": user.name, "role": user.role.value, "language": user.language}


@declare(
    response="PostList",
    answer="The posts.",
    errors={400: "A parameter could not be read.", 422: "A time could not be read."},
    parameters=[
        query_param(
            "state",
            "A delivery state (queued, retry_wait, claimed, sent, failed, uncertain, cancelled) or an "
            "approval state (pending, rejected).",
        ),
        query_param("channel"),
        query_param("campaign", "Only this campaign; its time zone reads `from` and `to`."),
        query_param("from", "Due at or after this time."),
        query_param("to", "Due before this time."),
        query_param("limit", "At most this many deliveries.", type="integer", default=200, maximum=5000),
    ],
)
@api()
async def list_posts(request: Request, user: UserView) -> dict[str, Any]:
    """List posts with their deliveries

    Posts whose deliveries match the filters, by due time.
    """
    console, query = console_of(request), request.query_params
    zone = console.zone_of(query.get("campaign"))
    where = PostFilter(
        state=query.get("state") or None,
        channel=query.get("channel") or None,
        campaign=query.get("campaign") or None,
        due_from=parse_time(query["from"], zone) if query.get("from") else None,
        due_to=parse_time(query["to"], zone) if query.get("to") else None,
        limit=_limit(query.get("limit"), 200, 5000),
    )
    pairs = await run_in_threadpool(list_deliveries, console.store, where)
    rows = group_by_post(pairs, console.timezone)
    return {"posts": [_post(console, row.post, row.deliveries, row.zone) for row in rows]}


@declare(response="PostDetail", answer="The post.", errors={404: "There is no such post."})
@api()
async def show_post(request: Request, user: UserView) -> dict[str, Any]:
    """One post, its deliveries and its history"""
    console, post_id = console_of(request), _post_id(request)
    post, events = await run_in_threadpool(post_history, console.store, post_id)
    if post is None:
        raise NotFoundError.of("there is no post {id}", id=post_id)
    zone = post.campaign.timezone if post.campaign else console.timezone
    document = _post(console, post, post.deliveries, zone)
    document["history"] = [_event(console, e, zone) for e in events]
    return document


@declare(
    body="NewPost",
    body_required=True,
    response="Created",
    status=201,
    answer="Queued.",
    errors={
        400: "",
        404: "The campaign does not exist.",
        422: "The queue refused the post: the message says what is wrong and how to fix it.",
    },
)
@api(status=201)
async def queue_post(request: Request, user: UserView) -> dict[str, Any]:
    """Queue a post

    Queue a post on one or more channels. Everything is checked first (channels, length on each channel, time,
    campaign); a refused post writes nothing. In a campaign that needs approval the post waits for an approver. A
    time outside a channel's posting windows or in its quiet hours is refused unless ``allow_quiet_hours`` is true.
    """
    console, data = console_of(request), await _body(request)
    campaign = _text(data, "campaign")
    zone = console.zone_of(campaign)
    at = _text(data, "at")
    event_at = _text(data, "event_at")
    overrides = data.get("overrides", {})
    if not isinstance(overrides, dict) or not all(
        isinstance(o, dict) and all(isinstance(v, str) for v in o.values()) for o in overrides.values()
    ):
        raise BadRequest.of("`overrides` must map a channel to {shape}", shape='{"title": "...", "body": "..."}')
    draft = PostDraft(
        title=_text(data, "title", required=True) or "",
        body=_text(data, "body", required=True) or "",
        channels=_texts(data, "channels"),
        at=parse_time(at, zone) if at else None,
        now=_flag(data, "now"),
        campaign=campaign,
        link=_text(data, "link"),
        images=_texts(data, "images"),
        tags=_texts(data, "tags"),
        author=_text(data, "author"),
        event_at=parse_time(event_at, zone) if event_at else None,
        overrides=overrides,
        ignore_quiet_hours=_flag(data, "allow_quiet_hours"),  # recorded in the post's history
    )
    known = [c for c in draft.channels if c in console.adapters]
    conflicts = quiet_conflicts(console, known, draft.at or console.clock.now(), zone)
    if conflicts and not _flag(data, "allow_quiet_hours"):
        raise ValidationError.of(
            "{conflicts}; choose another time or set allow_quiet_hours",
            conflicts=describe_conflicts(conflicts, request.state.t),
        )
    queue = console.queue(user.name, may_name_author=user.role is Role.ADMIN)  # an editor is the author
    post_id = await run_in_threadpool(queue.add_post, draft)
    return {"id": post_id}


@declare(
    body="Upload",
    body_required=True,
    body_media="multipart/form-data",
    response="Media",
    status=201,
    answer="Stored.",
    errors={
        400: "Not multipart/form-data, or no `file` field.",
        413: "The request is larger than the upload cap.",
        422: "Refused: not a PNG, JPEG, GIF or WebP image, too large, or too many pixels.",
    },
)
@api(status=201)
async def upload_media(request: Request, user: UserView) -> dict[str, Any]:
    """Upload an image into the media store

    One PNG, JPEG, GIF or WebP image as multipart/form-data in the field ``file``. Its type is read from its
    content; files over ``[media] max_bytes`` (20 MiB by default) or ``[media] max_pixels`` (50 megapixels) are
    refused. The answer's ``ref`` (``media:<sha256>``) goes in a post's ``images``; the same bytes uploaded twice give
    the same ref. A post's images are such refs or https:// addresses, nothing else.
    """
    console = console_of(request)
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise BadRequest.of("send the image as multipart/form-data with the file in the field `file`")
    async with request.form(max_files=1, max_fields=5) as form:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise BadRequest.of("send the image as multipart/form-data with the file in the field `file`")
        data = await upload.read(console.settings.media.max_bytes + 1)  # one byte over is enough to refuse it
        name = upload.filename or "image"
    ref = await run_in_threadpool(console.media.put, data, name, user.name)
    stored = await run_in_threadpool(console.media.get, ref)
    assert stored is not None  # just put
    return {
        "ref": ref,
        "name": stored.name,
        "mime": stored.mime,
        "size": stored.size,
        "width": stored.width,
        "height": stored.height,
    }


@declare(body="Approval", response="Approved", errors={404: "There is no such post.", 422: NOT_WAITING})
@api(Role.APPROVER)
async def approve(request: Request, user: UserView) -> dict[str, Any]:
    """Approve a post waiting for approval

    It then goes out when due.
    """
    data, post_id = await _body(request), _post_id(request)
    await run_in_threadpool(console_of(request).queue(user.name).approve, post_id, _text(data, "note"))
    return {"id": post_id, "approval": "approved"}


@declare(body="Rejection", response="Rejected", errors={400: "", 404: "There is no such post.", 422: NOT_WAITING})
@api(Role.APPROVER)
async def reject(request: Request, user: UserView) -> dict[str, Any]:
    """Reject a post waiting for approval

    Nothing of it goes out.
    """
    data, post_id = await _body(request), _post_id(request)
    reason = _text(data, "reason", required=True) or ""
    await run_in_threadpool(console_of(request).queue(user.name).reject, post_id, reason)
    return {"id": post_id, "approval": "rejected"}


@declare(body="Cancellation", response="Cancelled", errors={404: "There is no such post.", 422: NOT_WAITING})
@api()
async def cancel(request: Request, user: UserView) -> dict[str, Any]:
    """Cancel a post

    Cancels every delivery that has not gone out.
    """
    data, post_id = await _body(request), _post_id(request)
    count = await run_in_threadpool(console_of(request).queue(user.name).cancel, post_id, _text(data, "reason"))
    return {"id": post_id, "cancelled": count}


@declare(body="Reschedule", response="Moved", errors={400: "", 404: "There is no such post.", 422: NOT_WAITING})
@api()
async def reschedule(request: Request, user: UserView) -> dict[str, Any]:
    """Move a post's waiting deliveries

    Moves the deliveries still waiting (queued or retrying).
    """
    console, data, post_id = console_of(request), await _body(request), _post_id(request)
    at, channel = _text(data, "at", required=True) or "", _text(data, "channel")

    def act() -> int:
        allow = _flag(data, "allow_quiet_hours")
        when, _ = reschedule_time(console, post_id, at, channel, allow, request.state.t)
        return console.queue(user.name).reschedule(post_id, when, channel, ignore_quiet_hours=allow)

    return {"id": post_id, "moved": await run_in_threadpool(act)}


@declare(
    response="CoverageList",
    answer="The items.",
    errors={400: "A parameter could not be read.", 404: "There is no such campaign.", 422: "A time could not be read."},
    parameters=[
        query_param("campaign", "Only this campaign; its time zone reads `from` and `to`."),
        query_param("outlet", "Only this outlet."),
        query_param("from", "Published at or after this time."),
        query_param("to", "Published before this time."),
        query_param("limit", "At most this many items.", type="integer", default=1000, maximum=10000),
    ],
)
@api()
async def coverage_list(request: Request, user: UserView) -> dict[str, Any]:
    """List coverage items

    What outlets carried about campaigns (found by the tracker or added by hand), oldest first; removed items are
    left out.
    """
    console, query = console_of(request), request.query_params
    zone = console.zone_of(query.get("campaign"))
    where = CoverageFilter(
        campaign=query.get("campaign") or None,
        outlet=query.get("outlet") or None,
        published_from=parse_time(query["from"], zone) if query.get("from") else None,
        published_to=parse_time(query["to"], zone) if query.get("to") else None,
        limit=_limit(query.get("limit"), 1000, 10000),
    )
    rows = await run_in_threadpool(list_coverage, console.store, where)
    return {"coverage": [_coverage(row) for row in rows]}


@declare(
    body="NewCoverage",
    body_required=True,
    response="Created",
    status=201,
    answer="Added.",
    errors={
        400: "The body is not a JSON object, or a field is missing or has the wrong type.",
        404: "There is no such campaign or outlet.",
        422: "Refused: no campaign named while there are several, an empty title, a link that is not http(s), a "
        "date outside the campaign's (unless `force`), or a time that cannot be read.",
    },
)
@api(status=201)
async def coverage_add(request: Request, user: UserView) -> dict[str, Any]:
    """Add coverage found by hand

    Coverage that no feed carries (print, a notice board, a broadcast), recorded through the tracker's
    ``add_manual`` as ``publisher coverage add`` records it, in the event log under the token's user. The outlet must
    exist (add it with ``publisher outlet add`` or on the Outlets page).
    """
    console, data = console_of(request), await _body(request)
    campaign, published = _text(data, "campaign"), _text(data, "published")
    outlet, title = _text(data, "outlet", required=True) or "", _text(data, "title", required=True) or ""
    url, note = _text(data, "url"), _text(data, "note")
    force = data.get("force") is True  # dated outside the campaign's dates, and the caller confirms it

    def act() -> int:
        when = parse_time(published, console.zone_of(campaign)) if published else console.clock.now()
        return add_manual(
            console.store,
            campaign=campaign,
            outlet=outlet,
            title=title,
            published_at=when,
            url=url,
            note=note,
            now=console.clock.now(),
            actor=user.name,
            force=force,
        )

    return {"id": await run_in_threadpool(act)}


@declare(
    body="Removal",
    response="Removed",
    answer="Removed.",
    errors={404: "There is no such coverage item (or it was removed already)."},
)
@api(Role.APPROVER)
async def coverage_remove(request: Request, user: UserView) -> dict[str, Any]:
    """Remove a coverage item

    For a false match. The item is kept out of every list and report, and later tracker passes do not add it back.
    """
    console, data, item_id = console_of(request), await _body(request), request.path_params["item_id"]
    reason = _text(data, "reason")
    await run_in_threadpool(remove_coverage, console.store, item_id, console.clock.now(), user.name, reason)
    return {"id": item_id, "removed": True}


@declare(
    answer="The report, with `Content-Disposition: attachment` and its file name.",
    content=REPORT_FILES,
    errors={
        404: "There is no such campaign.",
        422: "An unknown format or language, no campaign named while there are several, a time that cannot be "
        "read, or an empty period.",
    },
    parameters=[
        query_param("campaign", "The campaign (may be left out when there is only one)."),
        query_param(
            "format",
            "csv (a zip of one CSV file per table), xlsx, json, md or html.",
            type="string",
            enum=["csv", "xlsx", "json", "md", "html"],
            default="json",
        ),
        query_param(
            "lang",
            "The report's language (default: `[reports] language`).",
            type="string",
            enum=["zh", "zh-Hant", "en"],
        ),
        query_param("from", "From this day or time, in the campaign's zone (default: its start)."),
        query_param("to", "Up to this time; a date alone includes that whole day (default: now)."),
    ],
)
@api()
async def report(request: Request, user: UserView) -> Response:
    """Download a campaign's report

    The report ``publisher report`` writes (figures and summary paragraph, coverage per outlet and over time, every
    item, our posts), written now and streamed as an attachment; ``format``: csv (a zip), xlsx, json, md or html.
    """
    console, query = console_of(request), request.query_params
    wanted = await run_in_threadpool(
        order,
        console,
        campaign=query.get("campaign"),
        fmt=query.get("format") or "json",
        language=query.get("lang"),
        date_from=query.get("from"),
        date_to=query.get("to"),
    )
    path = await run_in_threadpool(generate, console, wanted)
    return download(path, wanted.format)


routes = [
    Route("/api/openapi.json", openapi),
    Route("/api/me", me),
    Route("/api/posts", list_posts, methods=["GET"]),
    Route("/api/posts", queue_post, methods=["POST"]),
    Route("/api/posts/{post_id:int}", show_post),
    *action_routes("/api/posts/{post_id:int}", approve, reject, cancel, reschedule),
    Route("/api/media", upload_media, methods=["POST"]),
    Route("/api/coverage", coverage_list, methods=["GET"]),
    Route("/api/coverage", coverage_add, methods=["POST"]),
    Route("/api/coverage/{item_id:int}/remove", coverage_remove, methods=["POST"]),
    Route("/api/reports", report, methods=["GET"]),
]
