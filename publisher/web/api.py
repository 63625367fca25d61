"""The JSON API under ``/api``: the queue's actions, coverage and reports for other tools, with per-user bearer
tokens.

``Authorization: Bearer pub_…`` (made with ``publisher user token create`` or on the account page). The token's user
and role decide what it may do, exactly as for that person in the console; a revoked token, or one whose user is
disabled, is refused. No cookie is read here, so there is nothing for a cross-site request to ride on and no CSRF
token is needed. ``/api/openapi.json`` describes every route (``publisher/web/openapi.json``, written by hand).

Errors are ``{"error": "..."}`` with 400 (unreadable request, or a field of the wrong type), 401 (no valid token),
403 (role), 404 (also for an id beyond 64 bits), 413 (a body over ``[web] max_body_bytes``, refused before the token
is read), or 422 (the queue refused, a time outside 1900-2999, JSON nested over ``MAX_JSON_DEPTH`` or holding a lone
surrogate: the message says what is wrong and how to fix it).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable, Sequence
from importlib import resources
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from publisher.errors import NotFoundError, PublisherError, ValidationError, wrong_type
from publisher.models import Delivery, Event, Post
from publisher.queue import PostDraft
from publisher.store import PostFilter, list_deliveries, post_history
from publisher.times import local, parse_time
from publisher.tracker.coverage import CoverageFilter, CoverageRow, add_manual, list_coverage, remove_coverage
from publisher.web.accounts import UserView
from publisher.web.auth import console_of
from publisher.web.console import Console
from publisher.web.drafts import describe_conflicts, quiet_conflicts
from publisher.web.limits import json_depth_error, too_deep
from publisher.web.models import Role
from publisher.web.pages.posts import reschedule_time
from publisher.web.pages.queue import group_by_post
from publisher.web.reporting import download, generate, order

__all__ = ["routes"]

ApiEndpoint = Callable[[Request, UserView], Awaitable[Any]]  # returns JSON-ready data, or a Response
Handler = Callable[[Request], Awaitable[Response]]


class BadRequest(Exception):
    """The request could not be read (not JSON, a field of the wrong type)."""


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
            if user is None:
                return _error("a valid API token is required: Authorization: Bearer pub_…", 401, **_CHALLENGE)
            if not user.may(role):
                return _error(f"this needs the {role.value} role; the token's user is {user.role.value}", 403)
            try:
                result = await endpoint(request, user)
            except BadRequest as exc:
                return _error(str(exc), 400)
            except NotFoundError as exc:
                return _error(str(exc), 404)
            except PublisherError as exc:
                return _error(console_of(request).redact(str(exc)), 422)
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
        raise BadRequest("the body must be a JSON object") from None
    except RecursionError:  # nested beyond Python's own limit (about 1,000): refused like any deep document
        raise ValidationError(too_deep(MAX_JSON_DEPTH)) from None
    if not isinstance(data, dict):
        raise BadRequest("the body must be a JSON object")
    problem = json_depth_error(data, MAX_JSON_DEPTH)
    if problem:
        raise ValidationError(problem)
    return data


def _text(data: dict[str, Any], key: str, *, required: bool = False) -> str | None:
    value = data.get(key)
    if value is None:
        if required:
            raise BadRequest(f"`{key}` is required")
        return None
    if not isinstance(value, str):
        raise BadRequest(wrong_type(key, "text", value))
    return value


def _texts(data: dict[str, Any], key: str, what: str = "text") -> list[str]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadRequest(wrong_type(key, f"a list of {what}", value))
    return value


def _flag(data: dict[str, Any], key: str) -> bool:
    value = data.get(key, False)
    if not isinstance(value, bool):
        raise BadRequest(wrong_type(key, "true or false", value))
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
        raise BadRequest("`limit` must be a whole number") from None
    return max(1, min(value, most))


def _post_id(request: Request) -> int:
    value: int = request.path_params["post_id"]
    return value


# --- routes ----------------------------------------------------------------------------------------------------


async def openapi(request: Request) -> Response:
    """The API's description (public: it holds no data)."""
    text = resources.files("publisher.web").joinpath("openapi.json").read_text(encoding="utf-8")
    return Response(text, media_type="application/json")


@api()
async def me(request: Request, user: UserView) -> dict[str, Any]:
    return {"name": user.name, "role": user.role.value, "language": user.language}


@api()
async def list_posts(request: Request, user: UserView) -> dict[str, Any]:
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


@api()
async def show_post(request: Request, user: UserView) -> dict[str, Any]:
    console, post_id = console_of(request), _post_id(request)
    post, events = await run_in_threadpool(post_history, console.store, post_id)
    if post is None:
        raise NotFoundError(f"there is no post {post_id}")
    zone = post.campaign.timezone if post.campaign else console.timezone
    document = _post(console, post, post.deliveries, zone)
    document["history"] = [_event(console, e, zone) for e in events]
    return document


@api(status=201)
async def queue_post(request: Request, user: UserView) -> dict[str, Any]:
    console, data = console_of(request), await _body(request)
    campaign = _text(data, "campaign")
    zone = console.zone_of(campaign)
    at = _text(data, "at")
    overrides = data.get("overrides", {})
    if not isinstance(overrides, dict) or not all(
        isinstance(o, dict) and all(isinstance(v, str) for v in o.values()) for o in overrides.values()
    ):
        raise BadRequest('`overrides` must map a channel to {"title": "...", "body": "..."}')
    draft = PostDraft(
        title=_text(data, "title", required=True) or "",
        body=_text(data, "body", required=True) or "",
        channels=_texts(data, "channels", "channel names"),
        at=parse_time(at, zone) if at else None,
        now=_flag(data, "now"),
        campaign=campaign,
        link=_text(data, "link"),
        images=_texts(data, "images", "images"),
        tags=_texts(data, "tags", "tags"),
        author=_text(data, "author"),
        overrides=overrides,
        ignore_quiet_hours=_flag(data, "allow_quiet_hours"),  # recorded in the post's history
    )
    known = [c for c in draft.channels if c in console.adapters]
    conflicts = quiet_conflicts(console, known, draft.at or console.clock.now(), zone)
    if conflicts and not _flag(data, "allow_quiet_hours"):
        raise ValidationError(f"{describe_conflicts(conflicts)}; choose another time or set allow_quiet_hours")
    queue = console.queue(user.name, may_name_author=user.role is Role.ADMIN)  # an editor is the author
    post_id = await run_in_threadpool(queue.add_post, draft)
    return {"id": post_id}


@api(status=201)
async def upload_media(request: Request, user: UserView) -> dict[str, Any]:
    """One image (multipart field ``file``) into the media store; a post then names it by the ``ref`` returned."""
    console = console_of(request)
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise BadRequest("send the image as multipart/form-data with the file in the field `file`")
    async with request.form(max_files=1, max_fields=5) as form:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise BadRequest("send the image as multipart/form-data with the file in the field `file`")
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


@api(Role.APPROVER)
async def approve(request: Request, user: UserView) -> dict[str, Any]:
    data, post_id = await _body(request), _post_id(request)
    await run_in_threadpool(console_of(request).queue(user.name).approve, post_id, _text(data, "note"))
    return {"id": post_id, "approval": "approved"}


@api(Role.APPROVER)
async def reject(request: Request, user: UserView) -> dict[str, Any]:
    data, post_id = await _body(request), _post_id(request)
    reason = _text(data, "reason", required=True) or ""
    await run_in_threadpool(console_of(request).queue(user.name).reject, post_id, reason)
    return {"id": post_id, "approval": "rejected"}


@api()
async def cancel(request: Request, user: UserView) -> dict[str, Any]:
    data, post_id = await _body(request), _post_id(request)
    count = await run_in_threadpool(console_of(request).queue(user.name).cancel, post_id, _text(data, "reason"))
    return {"id": post_id, "cancelled": count}


@api()
async def reschedule(request: Request, user: UserView) -> dict[str, Any]:
    console, data, post_id = console_of(request), await _body(request), _post_id(request)
    at, channel = _text(data, "at", required=True) or "", _text(data, "channel")

    def act() -> int:
        allow = _flag(data, "allow_quiet_hours")
        when, _ = reschedule_time(console, post_id, at, channel, allow)
        return console.queue(user.name).reschedule(post_id, when, channel, ignore_quiet_hours=allow)

    return {"id": post_id, "moved": await run_in_threadpool(act)}


@api()
async def coverage_list(request: Request, user: UserView) -> dict[str, Any]:
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


@api(status=201)
async def coverage_add(request: Request, user: UserView) -> dict[str, Any]:
    """Coverage found by hand, through the tracker's ``add_manual`` (the event log names the token's user)."""
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


@api(Role.APPROVER)
async def coverage_remove(request: Request, user: UserView) -> dict[str, Any]:
    console, data, item_id = console_of(request), await _body(request), request.path_params["item_id"]
    reason = _text(data, "reason")
    await run_in_threadpool(remove_coverage, console.store, item_id, console.clock.now(), user.name, reason)
    return {"id": item_id, "removed": True}


@api()
async def report(request: Request, user: UserView) -> Response:
    """A campaign's report as a file (``format``: csv (a zip), xlsx, json, md or html), streamed."""
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
    Route("/api/posts/{post_id:int}/approve", approve, methods=["POST"]),
    Route("/api/posts/{post_id:int}/reject", reject, methods=["POST"]),
    Route("/api/posts/{post_id:int}/cancel", cancel, methods=["POST"]),
    Route("/api/posts/{post_id:int}/reschedule", reschedule, methods=["POST"]),
    Route("/api/media", upload_media, methods=["POST"]),
    Route("/api/coverage", coverage_list, methods=["GET"]),
    Route("/api/coverage", coverage_add, methods=["POST"]),
    Route("/api/coverage/{item_id:int}/remove", coverage_remove, methods=["POST"]),
    Route("/api/reports", report, methods=["GET"]),
]
