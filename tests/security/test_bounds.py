"""Issue 10, finding 5 (bad input) and "bounds everywhere": every hostile value is refused with a message, no request
produces a 500 or a traceback, a body over the cap is not read, and a post file cannot make the CLI expand YAML.

The console is driven in-process (httpx's ASGI transport, which raises any exception the app lets out, so a crash
fails the test) and, for what the server itself logs, through uvicorn on a loopback port.
"""

# ruff: noqa: F811  (pytest fixtures imported from tests.web.conftest and tests.test_cli are parameters here)
from __future__ import annotations

import dataclasses
import json
import logging
import resource
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from publisher.errors import ValidationError
from publisher.queue import PostDraft, Queue
from publisher.web.accounts import UserView
from publisher.web.app import create_app
from publisher.web.console import Console
from tests.security.test_signin import served
from tests.test_cli import Cli, cli  # noqa: F401  (the fixture)
from tests.web.conftest import (  # noqa: F401  (fixtures)
    Visitor,
    app,
    console,
    ids,
    people,
    routes,
    visitors,
)

HUGE = "99999999999999999999"  # beyond 64 bits
SURROGATE = "%ED%A0%80"  # "\ud800" as a form or query value
NOT_SERVER_ERROR = "Exception in ASGI application"
MAX_TITLE, MAX_BODY, MAX_IMAGES = 200, 120_000, 20  # the core's limits (publisher/queue.py), as documented
MAX_POST_FILE = 1024 * 1024  # publisher/postfile.py


@pytest.fixture
def token(console: Console, people: dict[str, UserView]) -> str:
    return console.accounts.create_token(people["admin"].id, "fuzz", actor="setup")[1]


@pytest.fixture
async def http(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("198.51.100.7", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


def bearer(token: str, **more: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **more}


# --- the body cap: before sign-in, before parsing ----------------------------------------------------------------


async def test_a_declared_body_over_the_cap_is_refused_at_once_without_a_token(http: httpx.AsyncClient) -> None:
    big = b"x" * (1024 * 1024 + 1)
    refused = await http.post("/api/posts", content=big, headers={"Content-Type": "application/json"})
    assert refused.status_code == 413  # not 401: nothing was read, not even who is asking
    assert "at most 1 MiB" in refused.json()["error"]
    page = await http.post("/login", content=big, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert page.status_code == 413
    assert "1 MiB" in page.text


async def test_a_streamed_body_is_cut_off_at_the_cap(http: httpx.AsyncClient, token: str) -> None:
    pulled = 0
    chunk = b"a" * 65536

    async def hundred_megabytes() -> AsyncIterator[bytes]:  # chunked: no Content-Length to refuse up front
        nonlocal pulled
        for _ in range(1600):
            pulled += 1
            yield chunk

    headers = bearer(token, **{"Content-Type": "application/json", "Accept-Language": "zh-CN"})
    refused = await http.post("/api/posts", content=hundred_megabytes(), headers=headers)
    assert refused.status_code == 413
    assert "请求过大" in refused.json()["error"]
    assert pulled <= 1024 * 1024 // len(chunk) + 1  # stopped at 1 MiB, not 100 MB
    pulled = 0
    anonymous = await http.post("/api/media", content=hundred_megabytes(), headers={"Content-Type": "image/png"})
    assert anonymous.status_code in (401, 413)
    assert pulled <= 21 * 16 + 1  # at most the upload cap (21 MiB) was read
    declared = await http.post("/api/media", content=b"x" * 300, headers={"Content-Length": str(300 * 1024 * 1024)})
    assert declared.status_code == 413


async def test_the_upload_routes_take_more_than_the_form_cap(http: httpx.AsyncClient) -> None:
    two_megabytes = b"x" * (2 * 1024 * 1024)
    answer = await http.post("/api/media", content=two_megabytes, headers={"Content-Type": "image/png"})
    assert answer.status_code != 413  # refused for want of a token (or taken), not for its size
    assert (await http.post("/api/posts", content=two_megabytes)).status_code == 413


def test_the_caps_are_configurable(tmp_path: Path) -> None:
    from publisher.config import load_settings
    from publisher.errors import ConfigError

    path = tmp_path / "publisher.toml"
    path.write_text('[channels.o]\nkind = "outbox"\nfolder = "o"\n[web]\nmax_body_bytes = 4096\n', encoding="utf-8")
    web = load_settings(str(path)).web
    assert web is not None
    assert (web.max_body_bytes, web.max_upload_bytes) == (4096, 21 * 1024 * 1024)
    path.write_text('[channels.o]\nkind = "outbox"\nfolder = "o"\n[web]\nmax_body_bytes = "1M"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[web.max_body_bytes\] must be a whole number of bytes"):
        load_settings(str(path))


# --- ids, dates, nesting, surrogates, wrong types -----------------------------------------------------------------


async def test_ids_beyond_64_bits_or_negative_are_404(
    http: httpx.AsyncClient, visitors: Any, token: str, ids: dict[str, int]
) -> None:
    for path in (f"/api/posts/{HUGE}", "/api/posts/1e30", "/api/posts/-1", f"/api/posts/{2**63}"):
        answer = await http.get(path, headers=bearer(token))
        assert answer.status_code == 404, path
        assert "error" in answer.json()
    cancel = await http.post(f"/api/posts/{HUGE}/cancel", json={}, headers=bearer(token))
    assert cancel.status_code == 404
    admin: Visitor = await visitors("ada")
    for path in (f"/posts/{HUGE}", f"/posts/{HUGE}/edit", "/posts/-1"):
        page = await admin.get(path)
        assert page.status_code == 404, path
        assert "There is nothing here." in page.text
    assert (await admin.post(f"/coverage/{HUGE}/remove", {"reason": "x"})).status_code == 404
    replaced = await admin.post("/posts/new", {"title": "t", "body": "b", "channels": "website", "replaces": HUGE})
    assert replaced.status_code < 500


def test_the_cli_refuses_ids_and_times_out_of_range_in_one_line(cli: Cli) -> None:
    shown = cli("post", "show", HUGE, ok=False)
    assert shown.returncode == 2
    assert "is not in the range 1<=x<=9223372036854775807" in shown.stderr
    for at in ("0001-01-01 08:00", "9999-12-31 23:59"):
        said = cli.refused("post", "add", "--title", "t", "--body", "b", "--channel", "website", "--at", at)
        assert "out of range: give a date from the year 1900 to 2999" in said


async def test_times_outside_the_years_the_app_holds_are_422_with_a_message(
    http: httpx.AsyncClient, visitors: Any, token: str
) -> None:
    for at in ("0001-01-01 00:00", "9999-12-31 23:59", "0001-01-01T00:00+14:00"):
        body = {"title": "t", "body": "b", "channels": ["website"], "at": at}
        answer = await http.post("/api/posts", json=body, headers=bearer(token))
        assert answer.status_code == 422, at
        assert "out of range: give a date from the year 1900 to 2999" in answer.json()["error"]
    listed = await http.get("/api/posts?from=0001-01-01&to=9999-12-31", headers=bearer(token))
    assert listed.status_code == 422
    admin: Visitor = await visitors("ada")
    queue_page = await admin.get("/queue?from=0001-01-01&to=9999-12-31")
    assert queue_page.status_code == 200
    assert "out of range" in queue_page.text
    calendar = await admin.get("/calendar?date=9999-12-31")
    assert calendar.status_code == 422
    assert "the calendar shows the years 1900 to 2999" in calendar.text
    assert (await admin.get("/reports/download?to=9999-12-31")).status_code < 500


async def test_deep_json_is_422(http: httpx.AsyncClient, token: str) -> None:
    deep = b"[" * 10_000 + b"]" * 10_000
    answer = await http.post("/api/posts", content=deep, headers=bearer(token))
    assert answer.status_code == 422
    assert "nested more than 32 levels" in answer.json()["error"]
    title = {"title": json.loads("[" * 40 + "]" * 40), "body": "b", "channels": ["website"], "now": True}
    answer = await http.post("/api/posts", json=title, headers=bearer(token))
    assert answer.status_code == 422
    assert "nested more than 32 levels" in answer.json()["error"]


async def test_lone_surrogates_are_refused_with_a_message(
    http: httpx.AsyncClient, visitors: Any, token: str, console: Console
) -> None:
    for raw in (
        b'{"title": "\\ud800", "body": "b", "channels": ["website"], "now": true}',
        b'{"title": "t", "body": "b", "channels": ["website"], "now": true, "overrides": {"\\udfff": {}}}',
        b'{"title": "t", "body": "b", "channels": ["website"], "now": true, "tags": ["ok \\ud83d"]}',
    ):
        answer = await http.post("/api/posts", content=raw, headers=bearer(token))
        assert answer.status_code == 422, raw
        assert "lone surrogate" in answer.json()["error"]
    admin: Visitor = await visitors("ada")
    form = f"csrf_token={admin.token}&title={SURROGATE}&body={SURROGATE}&channels=website&asap=1".encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    posted = await admin.http.post("/posts/new", content=form, headers=headers)
    assert posted.status_code == 303  # read as U+FFFD, the replacement character, and queued
    queue = console.queue("check")
    assert "\ufffd" in queue.preview(int(posted.headers["location"].rsplit("/", 1)[1]))[0]["text"]


async def test_wrong_types_give_the_clis_one_line_message(http: httpx.AsyncClient, token: str, cli: Cli) -> None:
    expected = {
        "channels": "`channels` must be a list of channel names, got 5",
        "title": "`title` must be text, got []",
    }
    for key, value in (("channels", 5), ("title", [])):
        body: dict[str, Any] = {"title": "t", "body": "b", "channels": ["website"], "now": True, key: value}
        answer = await http.post("/api/posts", json=body, headers=bearer(token))
        assert answer.status_code == 400
        assert answer.json()["error"] == expected[key]
        (cli.folder / "typed.md").write_text(f"---\n{key}: {json.dumps(value)}\n---\nbody\n", encoding="utf-8")
        said = cli.refused("post", "add", "--file", "typed.md", "--now").strip()
        assert said == f"error: typed.md: front matter {expected[key]}"


# --- limits in the core, shared by the CLI, the console and the API ------------------------------------------------


def test_title_body_and_image_limits_are_the_cores(queue: Queue) -> None:
    fine = {"channels": ["website"], "now": True}
    with pytest.raises(ValidationError, match=f"the title is {MAX_TITLE + 1} characters long, over the limit of 200"):
        queue.add_post(PostDraft(title="标" * (MAX_TITLE + 1), body="b", **fine))  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="the body is 120001 characters long, over the limit of 120000"):
        queue.add_post(PostDraft(title="t", body="x" * (MAX_BODY + 1), **fine))  # type: ignore[arg-type]
    images = [f"https://example.org/{n}.png" for n in range(MAX_IMAGES + 1)]
    with pytest.raises(ValidationError, match="21 images, over the limit of 20"):
        queue.add_post(PostDraft(title="t", body="b", images=images, **fine))  # type: ignore[arg-type]
    assert queue.add_post(PostDraft(title="t" * MAX_TITLE, body="x" * MAX_BODY, **fine)) > 0  # type: ignore[arg-type]


async def test_the_api_and_the_cli_meet_the_same_limits(http: httpx.AsyncClient, token: str, cli: Cli) -> None:
    body = {"title": "t" * 201, "body": "b", "channels": ["website"], "now": True}
    answer = await http.post("/api/posts", json=body, headers=bearer(token))
    assert answer.status_code == 422
    assert "over the limit of 200" in answer.json()["error"]
    said = cli.refused("post", "add", "--title", "t" * 201, "--body", "b", "--channel", "website", "--now")
    assert "the title is 201 characters long, over the limit of 200" in said


# --- post files: YAML aliases, nesting, size ---------------------------------------------------------------------

BOMB = "".join(
    f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]\n"
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True)
)
#: the reported file: nine levels of nine aliases (9**9 strings once expanded), used as the title
FULL_BOMB = '---\na: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + BOMB + "title: *i\n---\nbody\n"


def test_a_yaml_alias_is_refused_in_a_post_file(cli: Cli) -> None:
    # five levels (59,049 strings): small enough that the old code, which expanded it, finished quickly
    small = '---\na: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(BOMB.splitlines(True)[:4])
    (cli.folder / "small.md").write_text(small + "title: *e\n---\nbody\n", encoding="utf-8")
    said = cli.refused("post", "add", "--file", "small.md", "--channel", "website", "--now")
    assert "aliases (*name) are not allowed" in said
    assert said.count("\n") == 1  # one line, no traceback
    (cli.folder / "merge.md").write_text("---\nx: &x {title: t}\n<<: *x\n---\nbody\n", encoding="utf-8")
    assert "aliases" in cli.refused("post", "add", "--file", "merge.md", "--channel", "website", "--now")
    (cli.folder / "deep.md").write_text("---\ntitle: " + "[" * 5000 + "]" * 5000 + "\n---\nb\n", encoding="utf-8")
    assert "nested more than 16 levels" in cli.refused("post", "add", "--file", "deep.md", "--now")
    assert cli.json("post", "list") == []


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (1536 * 1024 * 1024, 1536 * 1024 * 1024))


@pytest.mark.slow
def test_the_416_byte_bomb_is_refused_by_the_real_command_in_bounded_memory(cli: Cli) -> None:
    """The reported file, through the installed script, in a process that may not pass 1.5 GB (the old code needed
    8 GB: it ends in a MemoryError traceback there instead of taking the machine)."""
    assert len(FULL_BOMB.encode()) < 450
    (cli.folder / "bomb.md").write_text(FULL_BOMB, encoding="utf-8")
    started = time.monotonic()
    result = subprocess.run(
        [str(Path(sys.executable).with_name("publisher")), "post", "add", "--file", "bomb.md", "--now"],
        cwd=cli.folder,
        env=cli.env,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_limit_memory,
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "aliases (*name) are not allowed" in result.stderr
    assert time.monotonic() - started < 60


def test_a_post_file_over_the_size_cap_is_refused_before_it_is_parsed(cli: Cli) -> None:
    body = "x" * (MAX_POST_FILE - 30)
    (cli.folder / "big.md").write_text("---\ntitle: t\n---\n" + body + "y" * 40, encoding="utf-8")
    said = cli.refused("post", "add", "--file", "big.md", "--channel", "website", "--now")
    assert "over the limit of 1048576 for a post file" in said
    (cli.folder / "fits.md").write_text("---\ntitle: t\n---\n" + "x" * 100_000, encoding="utf-8")
    assert "queued post" in cli("post", "add", "--file", "fits.md", "--channel", "website", "--now").stdout


# --- the error handler and the whole surface -----------------------------------------------------------------------


async def _boom(request: Request) -> Response:
    raise RuntimeError("token=secret-value-that-must-not-be-logged")


async def test_an_unexpected_exception_is_one_clear_answer_and_one_log_line(
    app: Starlette, visitors: Any, token: str, caplog: pytest.LogCaptureFixture
) -> None:
    app.router.routes.append(Route("/api/boom", _boom))
    app.router.routes.append(Route("/boom", _boom))
    caplog.set_level(logging.INFO)
    admin: Visitor = await visitors("ada")
    api = await admin.http.get("/api/boom?key=also-secret", headers=bearer(token))
    assert api.status_code == 500
    assert api.json() == {"error": "Something went wrong on the server; it is logged. Try again, or tell the admin."}
    page = await admin.http.get("/boom", headers={"Accept-Language": "zh"})
    assert page.status_code == 500
    assert "<html" in page.text.lower()
    lines = [r for r in caplog.records if r.getMessage() == "web.error"]
    assert [(r.fields["error"], r.fields["method"], r.fields["path"]) for r in lines] == [  # type: ignore[attr-defined]
        ("RuntimeError", "GET", "/api/boom"),
        ("RuntimeError", "GET", "/boom"),
    ]
    assert "test_bounds.py" in lines[0].fields["at"]  # type: ignore[attr-defined]
    ours = [r for r in caplog.records if r.name.startswith(("publisher", "uvicorn"))]  # (httpx logs the client's URL)
    assert not [r for r in ours if "secret" in r.getMessage() + str(getattr(r, "fields", ""))]
    assert NOT_SERVER_ERROR not in caplog.text


HOSTILE_IDS = (HUGE, "-1", "1e30", str(2**63), "0")
HOSTILE_VALUES = (SURROGATE, "0001-01-01", "9999-12-31", "9999-12-31 23:59", HUGE, "1e30", "-1", "x" * 5000)
FIELDS = [
    "title",
    "body",
    "campaign",
    "channels",
    "at",
    "asap",
    "link",
    "images",
    "tags",
    "replaces",
    "confirm_quiet",
    "action",
    "note",
    "reason",
    "channel",
    "published",
    "outlet",
    "url",
    "name",
    "password",
    "role",
    "active",
    "kind",
    "tier",
    "region",
    "lang",
    "language",
    "next",
    "label",
    "format",
    "from",
    "to",
    "date",
    "view",
    "state",
    "limit",
    "feed",
    "new_password",
    "current_password",
]


def _query(value: str) -> str:
    """Every field the app reads, set to ``value`` (a long one in a few, to stay within a URL's length)."""
    return "&".join(f"{key}={value}" for key in (FIELDS if len(value) < 100 else FIELDS[:4]))


def _hostile_paths(template: str, ids: dict[str, int]) -> Iterator[str]:
    if "{" not in template:
        yield template
        return
    for value in HOSTILE_IDS:
        yield (
            template.replace("{post_id:int}", value)
            .replace("{user_id:int}", value)
            .replace("{token_id:int}", value)
            .replace("{item_id:int}", value)
            .replace("{name}", value)
        )
    yield template.replace("{name}", SURROGATE).replace("{post_id:int}", str(ids["post"]))


def _json_bodies() -> Iterator[bytes]:
    yield b"[" * 10_000 + b"]" * 10_000
    yield b'{"title": "\\ud800", "reason": "\\udfff", "at": "\\ud800", "outlet": "\\ud800", "note": "\\udc00"}'
    for wrong in (5, [], {}, None, True, 1e308, "9999-12-31 23:59", "0001-01-01"):
        yield json.dumps({key: wrong for key in FIELDS}).encode()


async def test_every_route_with_hostile_values_answers_without_a_server_error(
    app: Starlette, visitors: Any, token: str, ids: dict[str, int], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    walked = 0
    for method, template, _ in routes(app):
        if template == "/logout":
            continue
        admin: Visitor = await visitors("ada")  # a fresh session: a route may change the admin's own account
        for path in _hostile_paths(template, ids):
            if template.startswith("/api/"):
                headers = bearer(token, **{"Content-Type": "application/json"})
                bodies = list(_json_bodies()) if method == "POST" else [b""]
                for value in HOSTILE_VALUES:
                    query = _query(value)
                    for body in bodies[:1] if value != SURROGATE else bodies:
                        answer = await admin.http.request(method, f"{path}?{query}", content=body, headers=headers)
                        assert answer.status_code < 500, (method, path, value, answer.text[:200])
                        walked += 1
            else:
                for value in HOSTILE_VALUES:
                    query = _query(value)
                    if method == "GET":
                        answer = await admin.http.get(f"{path}?{query}")
                    else:
                        form = f"csrf_token={admin.token}&{query}".encode()
                        content_type = {"Content-Type": "application/x-www-form-urlencoded"}
                        answer = await admin.http.post(path, content=form, headers=content_type)
                    assert answer.status_code < 500, (method, path, value, answer.text[:200])
                    walked += 1
    assert walked > 500
    assert NOT_SERVER_ERROR not in caplog.text
    assert [r.fields for r in caplog.records if r.getMessage() == "web.error"] == []  # type: ignore[attr-defined]


# --- the same through a real server ------------------------------------------------------------------------------


async def test_a_real_server_logs_no_traceback_for_hostile_requests(
    console: Console, people: dict[str, UserView], token: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    settings = dataclasses.replace(console.settings, web=dataclasses.replace(console.web, max_body_bytes=8192))
    small = Console.build(settings, console.store, console.clock, accounts=console.accounts)
    app = create_app(small, "test-signing-key-" + "x" * 32)

    async with served(app) as base, httpx.AsyncClient(base_url=base, timeout=10) as http:
        headers = bearer(token)
        assert (await http.get(f"/api/posts/{HUGE}", headers=headers)).status_code == 404
        assert (await http.post("/api/posts", content=b"[" * 3000 + b"]" * 3000, headers=headers)).status_code == 422
        surrogate = b'{"title": "\\ud800", "body": "b", "channels": ["website"], "now": true}'
        assert (await http.post("/api/posts", content=surrogate, headers=headers)).status_code == 422
        years = {"title": "t", "body": "b", "channels": ["website"], "at": "9999-12-31 23:59"}
        assert (await http.post("/api/posts", json=years, headers=headers)).status_code == 422
        assert (await http.get(f"/posts/{HUGE}")).status_code == 404
    assert NOT_SERVER_ERROR not in caplog.text
    assert "Traceback" not in caplog.text
