"""Issue 12: the OpenAPI document is generated from the API's routes, their docstrings and declarations, and it
says what the endpoints really answer."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette

from publisher.queue import PostDraft
from publisher.web import api
from publisher.web.console import Console
from tests.fakes.images import png
from tests.web.conftest import routes
from tests.web.test_api import auth
from tests.web.test_api import http as http  # the fixtures
from tests.web.test_api import tokens as tokens

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def spec(http: Any) -> dict[str, Any]:
    served = await http.get("/api/openapi.json")
    assert served.status_code == 200
    assert served.headers["content-type"].startswith("application/json")
    document: dict[str, Any] = served.json()
    return document


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _pointer(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def test_the_document_is_built_once_from_the_routes() -> None:
    assert not (ROOT / "publisher" / "web" / "openapi.json").exists()  # nothing written by hand is left
    assert "openapi.json" not in (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert api._description() is api._description()  # cached


async def test_the_served_document_has_the_openapi_3_shape(spec: dict[str, Any]) -> None:
    assert spec["openapi"].startswith("3.")
    assert spec["info"]["title"]
    assert spec["info"]["version"]
    assert "Bearer pub_" in spec["info"]["description"]
    assert spec["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "A token: pub_…",
    }
    operation_ids = []
    for path, item in spec["paths"].items():
        assert path.startswith("/api/")
        for method, operation in item.items():
            assert method in {"get", "post", "put", "patch", "delete"}, (path, method)
            assert operation["summary"], (path, method)
            assert not operation["summary"].endswith("."), (path, method)
            assert any(status.startswith("2") for status in operation["responses"]), (path, method)
            for status, response in operation["responses"].items():
                assert re.fullmatch(r"[1-5]\d\d", status), (path, method, status)
                assert response["description"], (path, method, status)
            operation_ids.append(operation["operationId"])
    assert len(operation_ids) == len(set(operation_ids))


async def test_every_api_route_and_method_is_in_it_with_its_path_parameters(
    app: Starlette, spec: dict[str, Any]
) -> None:
    served = {}
    for method, path, _ in routes(app):
        if path.startswith("/api/"):
            served[(re.sub(r"\{(\w+):\w+\}", r"{\1}", path), method.lower())] = path
    documented = {(path, method) for path, item in spec["paths"].items() for method in item}
    assert set(served) == documented
    for (path, method), template in served.items():
        operation = spec["paths"][path][method]
        in_path = {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "path"}
        assert list(in_path) == re.findall(r"\{(\w+)\}", path)
        for name, parameter in in_path.items():
            assert parameter["required"] is True
            expected = "integer" if f"{{{name}:int}}" in template else "string"
            assert parameter["schema"]["type"] == expected, (path, name)
        public = path == "/api/openapi.json"
        assert (operation.get("security") == []) is public
        assert ("401" in operation["responses"]) is not public


async def test_every_ref_resolves_and_every_schema_is_used(spec: dict[str, Any]) -> None:
    refs = set(_refs(spec))
    assert refs
    for ref in refs:
        assert isinstance(_pointer(spec, ref), dict), ref
    named = {f"#/components/schemas/{name}" for name in spec["components"]["schemas"]}
    assert named == refs  # nothing declared that no endpoint uses


async def test_roles_and_prose_come_from_the_code(spec: dict[str, Any]) -> None:
    approve = spec["paths"]["/api/posts/{post_id}/approve"]["post"]
    assert approve["summary"] == "Approve a post waiting for approval"
    assert approve["description"] == "It then goes out when due. Needs the `approver` role."
    assert approve["x-required-role"] == "approver"
    assert "403" in approve["responses"]
    media = spec["paths"]["/api/media"]["post"]
    assert "`[media] max_bytes`" in media["description"]
    assert "``" not in media["description"]
    assert list(media["requestBody"]["content"]) == ["multipart/form-data"]
    listing = spec["paths"]["/api/posts"]["get"]
    limit = next(p for p in listing["parameters"] if p["name"] == "limit")
    assert limit["schema"] == {"type": "integer", "default": 200, "maximum": 5000}


def _schema(spec: dict[str, Any], method: str, path: str, status: int) -> dict[str, Any]:
    responses = spec["paths"][path][method]["responses"]
    assert str(status) in responses, f"{method} {path} answered {status}, which the document does not list"
    schema: dict[str, Any] = responses[str(status)]["content"]["application/json"]["schema"]
    return schema


def _properties(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any] | None:
    while "$ref" in schema:
        schema = _pointer(spec, schema["$ref"])
    if "allOf" in schema:
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            merged.update(_properties(spec, part) or {})
        return merged
    properties: dict[str, Any] | None = schema.get("properties")
    return properties


def _matches(spec: dict[str, Any], schema: dict[str, Any], value: Any, where: str) -> None:
    """``value`` has exactly the keys ``schema`` lists, all the way down."""
    properties = _properties(spec, schema)
    if properties is not None:
        assert isinstance(value, dict), where
        assert set(value) == set(properties), f"{where}: answered {sorted(value)}, documented {sorted(properties)}"
        for key, item in value.items():
            _matches(spec, properties[key], item, f"{where}.{key}")
    elif schema.get("type") == "array":
        assert isinstance(value, list), where
        for index, item in enumerate(value):
            _matches(spec, schema["items"], item, f"{where}[{index}]")


async def test_each_answer_has_the_keys_its_schema_lists(
    http: Any, spec: dict[str, Any], console: Console, tokens: dict[str, str], ids: dict[str, int]
) -> None:
    editor, approver = auth(tokens["editor"]), auth(tokens["approver"])
    post, item = ids["post"], ids["item"]
    waiting = console.queue("setup").add_post(
        PostDraft(title="待审", body="b", channels=["weibo"], now=True, campaign="阅读月")
    )
    calls: list[tuple[str, str, str, dict[str, Any]]] = [
        ("get", "/api/me", "/api/me", {"headers": editor}),
        ("get", "/api/posts", "/api/posts", {"headers": editor}),
        ("get", "/api/posts/{post_id}", f"/api/posts/{post}", {"headers": editor}),
        ("get", "/api/posts/{post_id}", "/api/posts/999", {"headers": editor}),
        ("get", "/api/coverage", "/api/coverage", {"headers": editor}),
        ("get", "/api/coverage", "/api/coverage?limit=x", {"headers": editor}),
        ("post", "/api/posts/{post_id}/approve", f"/api/posts/{post}/approve", {"headers": editor, "json": {}}),
        ("post", "/api/posts/{post_id}/approve", f"/api/posts/{post}/approve", {"headers": approver, "json": {}}),
        ("post", "/api/posts/{post_id}/approve", f"/api/posts/{post}/approve", {"headers": approver, "json": {}}),
        ("post", "/api/posts/{post_id}/reschedule", f"/api/posts/{post}/reschedule", {"headers": editor, "json": {}}),
        (
            "post",
            "/api/posts/{post_id}/reschedule",
            f"/api/posts/{post}/reschedule",
            {"headers": editor, "json": {"at": "2026-12-24 09:00"}},
        ),
        ("post", "/api/posts/{post_id}/cancel", f"/api/posts/{post}/cancel", {"headers": editor, "json": {}}),
        (
            "post",
            "/api/posts",
            "/api/posts",
            {"headers": editor, "json": {"title": "t", "body": "b", "channels": ["weibo"], "now": True}},
        ),
        ("post", "/api/posts", "/api/posts", {"headers": editor, "json": {"title": "t"}}),
        (
            "post",
            "/api/posts/{post_id}/reject",
            f"/api/posts/{waiting}/reject",
            {"headers": approver, "json": {"reason": "x"}},
        ),
        (
            "post",
            "/api/media",
            "/api/media",
            {"headers": editor, "files": {"file": ("升旗.png", png(8, 6), "image/png")}},
        ),
        (
            "post",
            "/api/coverage",
            "/api/coverage",
            {"headers": editor, "json": {"campaign": "阅读月", "outlet": "晚报", "title": "读书节特刊"}},
        ),
        ("post", "/api/coverage", "/api/coverage", {"headers": editor, "json": {"outlet": "无", "title": "x"}}),
        ("post", "/api/coverage/{item_id}/remove", f"/api/coverage/{item}/remove", {"headers": approver, "json": {}}),
        ("post", "/api/coverage/{item_id}/remove", f"/api/coverage/{item}/remove", {"headers": approver, "json": {}}),
        ("get", "/api/posts", "/api/posts", {}),
    ]
    seen = set()
    for method, template, url, options in calls:
        answer = await getattr(http, method)(url, **options)
        seen.add((template, method, answer.status_code))
        _matches(spec, _schema(spec, method, template, answer.status_code), answer.json(), f"{method} {url}")
    # the calls above met every success and the usual refusals, so the comparison covered what it should
    assert {status for _, _, status in seen} == {200, 201, 400, 401, 403, 404, 422}
    assert {(t, m) for t, m, s in seen if s in (200, 201)} == {
        (path, method)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if path not in ("/api/openapi.json", "/api/reports")  # the description itself; a report is a file
    }


async def test_a_report_is_documented_as_the_files_it_can_be(spec: dict[str, Any]) -> None:
    content = spec["paths"]["/api/reports"]["get"]["responses"]["200"]["content"]
    formats = next(p for p in spec["paths"]["/api/reports"]["get"]["parameters"] if p["name"] == "format")
    assert len(content) == len(formats["schema"]["enum"]) == 5


def test_the_manual_points_to_the_generated_document() -> None:
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    assert "/api/openapi.json" in text
    assert "publisher/web/openapi.py" in text
    assert "publisher/web/openapi.json" not in text
