"""``publisher channel``: configured channels, their health, pause, resume and test."""

from __future__ import annotations

import asyncio
import sys
from typing import TYPE_CHECKING

import click

from publisher.cli.base import App, json_option, pass_app, print_rows, reports_errors
from publisher.cli.lang import t

if TYPE_CHECKING:
    from publisher.services.channels import Channels

__all__ = ["channel"]


def _channels(app: App) -> Channels:
    """The channels service the console's pages call too: one meaning of "healthy", one wording of errors."""
    from publisher.services.channels import Channels

    return Channels(app.settings, app.store, app.clock, app.queue.adapters)


@click.group()
def channel() -> None:
    """Configured channels: health, pause, resume, test."""


@channel.command("list")
@json_option
@pass_app
@reports_errors
def channel_list(app: App, as_json: bool) -> None:
    """Configured channels with their health: healthy, failing (its last error is newer than its last success) or
    paused."""
    from publisher.times import local

    # a table in the reader's language; --json keeps the values a script matches
    word = (lambda text: text) if as_json else t
    rows = []
    for view in _channels(app).list():
        limits = view.limits
        rows.append(
            {
                "name": view.name,
                "kind": view.kind,
                "status": word(view.health.value),
                "limit": f"{limits.max_length} {word(limits.unit)}" if limits.max_length else "-",
                "waiting": view.waiting,
                "uncertain": view.uncertain,
                "last_success": local(view.last_success_at, app.settings.timezone),
                "last_error": view.last_error,
            }
        )
    columns = ["name", "kind", "status", "limit", "waiting", "uncertain", "last_success", "last_error"]
    print_rows(rows, columns, as_json)


@channel.command("test")
@click.argument("name")
@pass_app
@reports_errors
def channel_test(app: App, name: str) -> None:
    """Make a harmless authenticated call to a channel and print a verdict."""
    verdict = asyncio.run(_channels(app).test(name))
    if verdict.ok:  # the same words as the console's
        click.echo(t("{name}: OK: {verdict}", name=verdict.channel, verdict=verdict.text))
    else:
        click.echo(t("{name}: FAILED: {reason}", name=verdict.channel, reason=verdict.text))
    if not verdict.ok:
        sys.exit(1)


@channel.command("pause")
@click.argument("name")
@pass_app
@reports_errors
def channel_pause(app: App, name: str) -> None:
    """Stop sending to a channel; its deliveries wait."""
    _channels(app).pause(name, app.actor)
    click.echo(t("{name} paused", name=name))


@channel.command("resume")
@click.argument("name")
@pass_app
@reports_errors
def channel_resume(app: App, name: str) -> None:
    """Send to a paused channel again (after renewing its token, say)."""
    _channels(app).resume(name, app.actor)
    click.echo(t("{name} resumed", name=name))
