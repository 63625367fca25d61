"""Campaign plans: upload a CSV or XLSX plan, see every row's check (the rows, each refusal by row and column),
then confirm to queue it; and download a template to fill. The rules are ``publisher.services.plans``' (as
``publisher post import`` runs them); this page only carries the file.

The uploaded file is kept between the check and the confirmation in a private folder, under a random name that
only this session knows, and is removed once queued. A plan's cells never make the server open a file: a body must
be in the body column (not a body_file) and images must be media-store references or https:// addresses.
"""

from __future__ import annotations

import io
import os
import re
import secrets
import tempfile
import time
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from publisher.errors import PublisherError, ValidationError
from publisher.planfile import COLUMNS, join_list, plan_format, read_plan, write_plan
from publisher.services.plans import PlanCheck, import_plan
from publisher.web.auth import console_of, page, user_of
from publisher.web.console import Console
from publisher.web.i18n import say
from publisher.web.models import Role
from publisher.web.views import flash, language_of, redirect, render, tr

__all__ = ["routes", "template_rows"]

_SESSION_KEY = "plan_upload"
_TOKEN = re.compile(r"^[0-9a-f]{32}\.(csv|xlsx)$")
_KEEP = 3600  # seconds an unconfirmed upload is kept
#: the problems a page lists at most (the count says how many there are)
_SHOWN = 200


def _folder() -> Path:
    folder = Path(tempfile.gettempdir()) / f"publisher-plans-{os.getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def _sweep(folder: Path) -> None:
    """Remove uploads nobody confirmed within the hour."""
    cutoff = time.time() - _KEEP
    for old in folder.iterdir():
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)


def _check(console: Console, actor: str, admin: bool, path: Path, *, dry_run: bool, skip_bad: bool) -> PlanCheck:
    queue = console.queue(actor, may_name_author=admin)
    with path.open("rb") as source:
        # no body reader and no image resolver: a path in a cell is refused, never opened
        return import_plan(queue, read_plan(source, plan_format(path.name)), dry_run=dry_run, skip_bad=skip_bad)


@page()
async def plans_page(request: Request) -> Response:
    return render(request, "plans.html", {"check": None, "problems": [], "token": None, "name": ""})


@page()
async def check_plan(request: Request) -> Response:
    console, user, t = console_of(request), user_of(request), tr(request)
    async with request.form(max_files=1, max_fields=5) as form:
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            flash(request, t("Choose a plan file (CSV or XLSX) to check."), "error")
            return redirect("/plans")
        name = upload.filename
        try:
            kind = plan_format(name)
        except ValidationError as exc:
            flash(request, say(t, exc), "error")
            return redirect("/plans")
        folder = await run_in_threadpool(_folder)
        await run_in_threadpool(_sweep, folder)
        token = f"{secrets.token_hex(16)}.{kind}"
        data = await upload.read()
    path = folder / token
    await run_in_threadpool(path.write_bytes, data)
    try:
        check = await run_in_threadpool(
            _check, console, user.name, user.may(Role.ADMIN), path, dry_run=True, skip_bad=False
        )
    except PublisherError as exc:  # the file as a whole (not a plan, an unknown column)
        path.unlink(missing_ok=True)
        flash(request, console.redact(say(t, exc)), "error")
        return redirect("/plans")
    request.session[_SESSION_KEY] = token
    problems = [console.redact(say(t, p.as_error())) for p in check.problems[:_SHOWN]]
    context = {"check": check, "problems": problems, "token": token if check.good else None, "name": name[-80:]}
    return render(request, "plans.html", context)


@page()
async def import_checked(request: Request) -> Response:
    console, user, t = console_of(request), user_of(request), tr(request)
    form = await request.form()
    token = form.get("token")
    if not isinstance(token, str) or not _TOKEN.match(token) or request.session.get(_SESSION_KEY) != token:
        raise HTTPException(400, "plan")
    path = _folder() / token
    if not path.exists():
        flash(request, t("That plan is no longer here: upload it again."), "error")
        return redirect("/plans")
    skip_bad = form.get("skip_bad") == "1"
    try:
        check = await run_in_threadpool(
            _check, console, user.name, user.may(Role.ADMIN), path, dry_run=False, skip_bad=skip_bad
        )
    except PublisherError as exc:
        flash(request, console.redact(say(t, exc)), "error")
        return redirect("/plans")
    if not check.written:  # something changed since the check (a time now past, a campaign ended)
        first = check.problems[0].as_error() if check.problems else None
        flash(request, console.redact(say(t, first)) if first else t("Nothing was queued."), "error")
        return redirect("/plans")
    path.unlink(missing_ok=True)
    request.session.pop(_SESSION_KEY, None)
    message = t("Queued {count} posts from the plan.", count=len(check.queued))
    if check.skipped:
        message += " " + t("Left out rows {rows}.", rows=", ".join(str(row) for row in check.skipped))
    flash(request, message)
    return redirect("/queue")


def template_rows(language: str, year: int, channels: list[str]) -> tuple[list[str], list[dict[str, str]]]:
    """The template's header (in the reader's language) and one example row on ``channels``, its time in ``year``."""
    english = [name for name in COLUMNS if name != "body_file"]
    header = [COLUMNS[name] for name in english] if language == "zh" else english
    example = {
        "title": "开学典礼",
        "body": "新学期开始了。**欢迎**同学们回校！",
        "channels": join_list(channels),
        "time": f"{year}-09-01 09:00",
        "campaign": "",
        "images": "",
        "tags": "开学; 校园",
        "link": "",
        "author": "",
    }
    return header, [{heading: example[name] for heading, name in zip(header, english, strict=True)}]


async def _template(request: Request, kind: str) -> Response:
    console = console_of(request)
    # the example's time a year ahead, so that it can be checked as it is
    header, rows = template_rows(language_of(request), console.clock.now().year + 1, list(console.adapters)[:2])
    out = io.BytesIO()
    await run_in_threadpool(write_plan, out, kind, header, rows)
    media = (
        "text/csv; charset=utf-8"
        if kind == "csv"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return Response(
        out.getvalue(),
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="plan-template.{kind}"'},
    )


@page()
async def csv_template(request: Request) -> Response:
    return await _template(request, "csv")


@page()
async def xlsx_template(request: Request) -> Response:
    return await _template(request, "xlsx")


routes = [
    Route("/plans", plans_page),
    Route("/plans/check", check_plan, methods=["POST"]),
    Route("/plans/import", import_checked, methods=["POST"]),
    Route("/plans/template.csv", csv_template),
    Route("/plans/template.xlsx", xlsx_template),
]
