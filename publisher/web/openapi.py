"""The API's OpenAPI 3.1 document, generated from the routes rather than written by hand.

Each path, method and path parameter (with its type, from the route's convertor) comes from the Starlette ``Route``
list; an endpoint's summary and description from its docstring (first line, then the rest); its role from the
``required_role`` that ``api()`` records; the rest (request body, answer, the errors it can give, query parameters)
from the small ``@declare(...)`` next to it. The bodies' schemas are declared once, in ``SCHEMAS`` below: a test
calls the endpoints and checks that each answer has exactly the keys its schema lists, so a field added to a body
without being added here fails.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from starlette.convertors import Convertor, FloatConvertor, IntegerConvertor, PathConvertor, UUIDConvertor
from starlette.routing import BaseRoute, Route

__all__ = ["SCHEMAS", "Operation", "build", "declare", "query_param"]

Schema = dict[str, Any]
F = TypeVar("F", bound=Callable[..., Any])


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(properties: Mapping[str, Schema], *required: str) -> Schema:
    schema: Schema = {"type": "object", "properties": dict(properties)}
    if required:
        schema["required"] = list(required)
    return schema


def _text(description: str = "", **more: Any) -> Schema:
    return {"type": "string", **({"description": description} if description else {}), **more}


def _maybe(kind: str, description: str = "", **more: Any) -> Schema:
    """A value of ``kind`` or null."""
    return {"type": [kind, "null"], **({"description": description} if description else {}), **more}


def _list(items: Schema, description: str = "") -> Schema:
    return {"type": "array", "items": items, **({"description": description} if description else {})}


_INT: Schema = {"type": "integer"}
_TIME: Schema = {"type": "string", "format": "date-time"}
_WHEN = "'YYYY-MM-DD HH:MM' in the campaign's zone, or ISO 8601 with an offset"

#: the JSON bodies the API reads and writes, by name; each is what ``publisher/web/api.py`` builds or reads
SCHEMAS: dict[str, Schema] = {
    "Error": _obj({"error": _text("What is wrong and how to fix it.")}, "error"),
    "Me": _obj(
        {"name": _text(), "role": {"enum": ["editor", "approver", "admin"]}, "language": _maybe("string")},
        "name",
        "role",
        "language",
    ),
    "NewPost": _obj(
        {
            "title": _text(),
            "body": _text("Markdown."),
            "channels": _list(_text(), "Configured channel names."),
            "at": _text(f"When: {_WHEN}. Give `at` or `now`."),
            "now": {"type": "boolean", "default": False, "description": "Send as soon as possible."},
            "campaign": _text(),
            "link": _text("An http:// or https:// address; any other kind (javascript:, data:, file:) is refused."),
            "images": _list(
                _text(), "Each a ref from POST /api/media (media:<sha256>) or an https:// address; nothing else."
            ),
            "tags": _list(_text()),
            "author": _text(
                "Who wrote it: the token's user when left out. Only an admin may name someone else (422 otherwise)."
            ),
            "event_at": _text(
                f"When the event itself happens ({_WHEN}); SMS templates' `event_date` and `event_time` show it."
            ),
            "overrides": {
                "type": "object",
                "additionalProperties": _obj({"title": _text(), "body": _text()}),
                "description": "A channel's own wording, by channel name.",
            },
            "allow_quiet_hours": {"type": "boolean", "default": False},
        },
        "title",
        "body",
        "channels",
    ),
    "Delivery": _obj(
        {
            "channel": _text(),
            "state": {"enum": ["queued", "claimed", "retry_wait", "sent", "failed", "uncertain", "cancelled"]},
            "due_at": {**_TIME, "description": "UTC."},
            "due_local": _text("As shown in the post's campaign's zone."),
            "attempts": _INT,
            "sent_at": _maybe("string", format="date-time"),
            "remote_url": _maybe("string", "The live post, where the platform gives a link."),
            "last_error": _maybe("string"),
        }
    ),
    "Post": _obj(
        {
            "id": _INT,
            "title": _text(),
            "body": _text(),
            "campaign": _maybe("string"),
            "timezone": _text("The zone the local times are in."),
            "event_at": _maybe("string", "When the event the post announces happens, UTC.", format="date-time"),
            "event_local": _maybe("string", "The same, in the post's campaign's zone."),
            "state": {"enum": ["active", "cancelled"]},
            "approval": {"enum": ["not_required", "pending", "approved", "rejected"]},
            "approved_by": _maybe("string"),
            "created_by": _maybe("string"),
            "created_at": _TIME,
            "deliveries": _list(_ref("Delivery")),
        }
    ),
    "PostDetail": {"allOf": [_ref("Post"), _obj({"history": _list(_ref("Event"))})]},
    "PostList": _obj({"posts": _list(_ref("Post"))}, "posts"),
    "Event": _obj(
        {
            "at": _TIME,
            "at_local": _text(),
            "actor": _text(),
            "action": _text(),
            "to": _maybe("string"),
            "reason": _maybe("string"),
        }
    ),
    "Created": _obj({"id": _INT}, "id"),
    "Approved": _obj({"id": _INT, "approval": {"const": "approved"}}, "id", "approval"),
    "Rejected": _obj({"id": _INT, "approval": {"const": "rejected"}}, "id", "approval"),
    "Cancelled": _obj({"id": _INT, "cancelled": {**_INT, "description": "How many deliveries were cancelled."}}),
    "Moved": _obj({"id": _INT, "moved": {**_INT, "description": "How many deliveries were moved."}}),
    "Removed": _obj({"id": _INT, "removed": {"const": True}}),
    "Approval": _obj({"note": _text("A comment for the author.")}),
    "Rejection": _obj({"reason": _text("Why; the author sees it.")}, "reason"),
    "Cancellation": _obj({"reason": _text("Why, for the post's history.")}),
    "Reschedule": _obj(
        {
            "at": _text(f"The new time: {_WHEN}."),
            "channel": _text("Only this channel's delivery."),
            "allow_quiet_hours": {"type": "boolean", "default": False},
        },
        "at",
    ),
    "Upload": _obj({"file": {"type": "string", "format": "binary"}}, "file"),
    "Media": _obj(
        {
            "ref": _text(pattern="^media:[0-9a-f]{64}$"),
            "name": _text(),
            "mime": _text(),
            "size": _INT,
            "width": _INT,
            "height": _INT,
        },
        "ref",
        "name",
        "mime",
        "size",
        "width",
        "height",
    ),
    "CoverageItem": _obj(
        {
            "id": _INT,
            "campaign": _text(),
            "outlet": _text(),
            "kind": {"enum": ["news_site", "portal", "official_account", "paper", "other"]},
            "tier": _maybe("string"),
            "title": _text("As the outlet wrote it: untrusted text, escape it before showing it."),
            "url": _maybe("string", "Canonical (tracking parameters removed)."),
            "published": _maybe("string", "UTC.", format="date-time"),
            "published_local": _maybe("string", "In the campaign's zone."),
            "matched_by": {"enum": ["keywords", "similarity", "keywords+similarity", "manual"]},
            "why": _maybe("string", "The keywords found, or the post it reprints."),
            "score": {"type": "number"},
            "post": _maybe("integer", "Our post it reprints."),
            "reprint_group": _maybe("integer", "Items carrying the same story share it."),
            "origin": {"enum": ["feed", "manual"]},
            "note": _maybe("string"),
        }
    ),
    "CoverageList": _obj({"coverage": _list(_ref("CoverageItem"))}, "coverage"),
    "NewCoverage": _obj(
        {
            "campaign": _text("May be left out when there is only one campaign."),
            "outlet": _text("An existing outlet's name."),
            "title": _text(),
            "published": _text(f"When it appeared: {_WHEN} (or a date) (default: now)."),
            "url": _text("Where it can be read, if online (http or https)."),
            "note": _text("e.g. page 3 of the print edition."),
            "force": {"type": "boolean", "default": False, "description": "Accept a date outside the campaign's."},
        },
        "outlet",
        "title",
    ),
    "Removal": _obj({"reason": _text("Why, for the event log.")}),
}

#: the document's opening description: what every endpoint shares (tokens, times, bounds)
INTRODUCTION = (
    "Queue, list, approve, reject, cancel and reschedule posts; list and add coverage; download reports. Every call "
    "but this description needs `Authorization: Bearer pub_…`, a token made with `publisher user token create NAME "
    "--label L` or on the console's account page; it acts as that person, with their role (editor < approver < "
    "admin). No cookie is read, so no CSRF token is needed. Times without an offset are read in the post's "
    "campaign's time zone; times returned are ISO 8601 in UTC (`due_at`) and as shown in the campaign's zone "
    '(`due_local`). Errors are `{"error": "..."}`. Bounds: a body over 1 MiB (`[web] max_body_bytes`; uploads '
    "`max_upload_bytes`) is refused with 413 before the token is read; titles are at most 200 characters, bodies "
    "120,000, images 20 per post; times must fall in the years 1900-2999; JSON nested deeper than 32 levels or "
    "holding a lone surrogate is 422; an id beyond 64 bits is 404."
)

#: what an error status means when the declaration does not say more
ERRORS = {
    400: "The request could not be read: the body is not a JSON object, or a field has the wrong type.",
    401: "No valid API token (missing, unknown, revoked, or its user is disabled).",
    403: "The token's user does not have the role this needs.",
    404: "There is no such item.",
    413: "The request is larger than the cap.",
    422: "Refused: the message says what is wrong and how to fix it.",
}


def query_param(name: str, description: str = "", **schema: Any) -> Schema:
    """A query parameter (a string unless ``schema`` says otherwise)."""
    parameter: Schema = {"name": name, "in": "query", "schema": schema or {"type": "string"}}
    if description:
        parameter["description"] = description
    return parameter


@dataclass(frozen=True)
class Operation:
    """What the route and the docstring cannot tell: the bodies, the errors and the query parameters."""

    response: str | None = None  # a name in SCHEMAS
    status: int = 200
    answer: str = "Done."  # the success response's description
    body: str | None = None  # a name in SCHEMAS
    body_required: bool = False
    body_media: str = "application/json"
    errors: Mapping[int, str] = field(default_factory=dict)  # status -> description ("" for the usual one)
    parameters: Sequence[Schema] = ()
    content: Mapping[str, Schema] | None = None  # the success body's media types, when not a JSON schema


def declare(**fields: Any) -> Callable[[F], F]:
    """Attach an ``Operation`` to an endpoint (above ``@api(...)``) for the OpenAPI document."""
    operation = Operation(**fields)

    def mark(endpoint: F) -> F:
        marked: Any = endpoint
        marked.openapi = operation
        return endpoint

    return mark


def _convertor_schema(convertor: Convertor[Any]) -> Schema:
    if isinstance(convertor, IntegerConvertor):
        return {"type": "integer", "minimum": 0}
    if isinstance(convertor, FloatConvertor):
        return {"type": "number", "minimum": 0}
    if isinstance(convertor, UUIDConvertor):
        return {"type": "string", "format": "uuid"}
    if isinstance(convertor, PathConvertor):
        return {"type": "string", "description": "May hold slashes."}
    return {"type": "string"}


def _markdown(text: str) -> str:
    """Docstrings use reST literals (````x````); OpenAPI descriptions are CommonMark (```x```)."""
    return re.sub(r"``([^`]+)``", r"`\1`", text)


def _json(schema: Schema) -> Schema:
    return {"application/json": {"schema": schema}}


def _operation(route: Route, method: str) -> Schema:
    endpoint = route.endpoint
    declared: Operation = getattr(endpoint, "openapi", Operation())
    doc = inspect.cleandoc(endpoint.__doc__ or endpoint.__name__.replace("_", " "))
    summary, _, rest = doc.partition("\n")
    role = getattr(endpoint, "required_role", None)  # set by api(); none for the public description
    description = " ".join(_markdown(rest).split())
    if role is not None:
        needs = "Any role." if role.value == "editor" else f"Needs the `{role.value}` role."
        description = f"{description} {needs}".strip()
    operation: Schema = {"operationId": endpoint.__name__, "summary": _markdown(summary.strip().rstrip("."))}
    if description:
        operation["description"] = description
    if role is None:
        operation["security"] = []
    else:
        operation["x-required-role"] = role.value
    names = re.findall(r"\{(\w+)(?::\w+)?\}", route.path)
    path_parameters = [
        {"name": name, "in": "path", "required": True, "schema": _convertor_schema(route.param_convertors[name])}
        for name in names
    ]
    if path_parameters or declared.parameters:
        operation["parameters"] = [*path_parameters, *declared.parameters]
    if declared.body:
        operation["requestBody"] = {
            "required": declared.body_required,
            "content": {declared.body_media: {"schema": _ref(declared.body)}},
        }
    if declared.content is not None:
        content: Schema = {media: {"schema": schema} for media, schema in declared.content.items()}
    else:
        content = _json(_ref(declared.response)) if declared.response else {"application/json": {}}
    responses: Schema = {str(declared.status): {"description": declared.answer, "content": content}}
    errors = dict(declared.errors)
    if role is not None:
        errors.setdefault(401, "")
        if role.value != "editor":
            errors.setdefault(403, "")
    for status in sorted(errors):
        responses[str(status)] = {
            "description": errors[status] or ERRORS[status],
            "content": _json(_ref("Error")),
        }
    operation["responses"] = responses
    return operation


def _template(path: str) -> str:
    return re.sub(r"\{(\w+):\w+\}", r"{\1}", path)


def build(routes: Sequence[BaseRoute], *, version: str = "1") -> Schema:
    """The OpenAPI document of ``routes`` (the plain ``Route``s under ``/api/``)."""
    paths: dict[str, Schema] = {}
    for route in routes:
        if not isinstance(route, Route) or not route.path.startswith("/api/"):
            continue
        for method in sorted((route.methods or {"GET"}) - {"HEAD"}):
            paths.setdefault(_template(route.path), {})[method.lower()] = _operation(route, method)
    return {
        "openapi": "3.1.0",
        "info": {"title": "publisher API", "version": version, "description": INTRODUCTION},
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "A token: pub_…"}},
            "schemas": SCHEMAS,
        },
    }
