"""Channels: health, last error, pause state and pace; pause, resume and test (admins). And the deliveries whose
outcome is uncertain, for an approver to settle."""

from __future__ import annotations

import dataclasses
import os
from datetime import datetime

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from adapters.base import ChannelError, Limits
from publisher.errors import ConfigError, NotFoundError
from publisher.http import make_client
from publisher.models import Channel, DeliveryState
from publisher.store import PostFilter, list_deliveries, list_rows, queue_depth
from publisher.web.auth import console_of, page, user_of
from publisher.web.console import Console
from publisher.web.models import Role
from publisher.web.pages.common import perform
from publisher.web.pages.queue import group_by_post
from publisher.web.views import flash, redirect, render, tr

__all__ = ["routes"]


@dataclasses.dataclass(frozen=True)
class ChannelRow:
    name: str
    kind: str
    paused: bool
    healthy: bool
    last_success_at: datetime | None
    last_error: str
    last_error_at: datetime | None
    limits: Limits
    rate_per_minute: float | None
    concurrency: int | None
    quiet_hours: tuple[str, ...]
    posting_windows: tuple[str, ...]
    counts: dict[str, int]


def _rows(console: Console) -> list[ChannelRow]:
    depth = queue_depth(console.store, console.clock.now())
    stored = {row.name: row for row in list_rows(console.store, Channel, Channel.name)}
    rows = []
    for name, settings in console.settings.channels.items():
        row, adapter = stored.get(name), console.adapters.get(name)
        if row is None or adapter is None:
            continue
        failing = row.last_error_at is not None and (
            row.last_success_at is None or row.last_error_at > row.last_success_at
        )
        rows.append(
            ChannelRow(
                name=name,
                kind=row.kind,
                paused=row.paused,
                healthy=not failing and not row.paused,
                last_success_at=row.last_success_at,
                last_error=console.redact(row.last_error),
                last_error_at=row.last_error_at,
                limits=adapter.limits,
                rate_per_minute=settings.rate_per_minute or adapter.limits.rate_per_minute,
                concurrency=settings.concurrency or adapter.limits.concurrency,
                quiet_hours=settings.quiet_hours,
                posting_windows=settings.posting_windows,
                counts=depth.get(name, {}),
            )
        )
    return rows


@page()
async def channels_page(request: Request) -> Response:
    return render(request, "channels.html", {"rows": _rows(console_of(request))})


def _known(console: Console, name: str) -> None:
    if name not in console.settings.channels:
        raise NotFoundError(f"there is no channel {name}")


@page(Role.ADMIN)
async def pause(request: Request) -> Response:
    name, user, t, console = request.path_params["name"], user_of(request), tr(request), console_of(request)

    def act() -> str:
        _known(console, name)
        console.store.set_paused(name, True, f"paused by {user.name}", console.clock.now(), user.name)
        return t("{name} is paused; its deliveries wait.", name=name)

    return await perform(request, act, "/channels")


@page(Role.ADMIN)
async def resume(request: Request) -> Response:
    name, user, t, console = request.path_params["name"], user_of(request), tr(request), console_of(request)

    def act() -> str:
        _known(console, name)
        console.store.set_paused(name, False, None, console.clock.now(), user.name)
        return t("{name} is sending again.", name=name)

    return await perform(request, act, "/channels")


@page(Role.ADMIN)
async def test(request: Request) -> Response:
    """A harmless authenticated call, with the channel's real secrets (read from the environment, never shown)."""
    name, t, console = request.path_params["name"], tr(request), console_of(request)
    settings = console.settings.channels.get(name)
    if settings is None:
        flash(request, t("There is no channel {name}.", name=name), "error")
        return redirect("/channels")
    try:
        async with make_client(console.settings.daemon.http_transport) as client:
            adapter = console.settings.build_adapter(name, client, os.environ)  # behind the scrubber
            verdict = await adapter.check()
    except ConfigError as exc:
        reason = console.redact(f"[{exc.key}] {exc.problem}")
        flash(request, t("{name}: FAILED: {reason}", name=name, reason=reason), "error")
    except ChannelError as exc:
        flash(request, t("{name}: FAILED: {reason}", name=name, reason=console.redact(exc.reason)), "error")
    else:
        flash(request, t("{name}: OK: {verdict}", name=name, verdict=console.redact(verdict)))
    return redirect("/channels")


@page()
async def uncertain_page(request: Request) -> Response:
    console = console_of(request)
    pairs = list_deliveries(console.store, PostFilter(state=DeliveryState.UNCERTAIN.value, limit=2000))
    rows = group_by_post(pairs, console.timezone)
    return render(request, "uncertain.html", {"rows": rows, "redact": console.redact})


routes = [
    Route("/channels", channels_page),
    Route("/channels/{name}/pause", pause, methods=["POST"]),
    Route("/channels/{name}/resume", resume, methods=["POST"]),
    Route("/channels/{name}/test", test, methods=["POST"]),
    Route("/uncertain", uncertain_page),
]
