"""``publisher webhook``: other systems told of events (post created, approved, sent, failed...), signed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from publisher.cli.base import App, json_option, pass_app, print_rows, reports_errors
from publisher.cli.lang import t

__all__ = ["webhook"]


#: publisher.services.webhooks.EVENT_TYPES, named here so that `--help` imports no database library (a test checks)
EVENT_TYPES = (
    "post.created",
    "post.approved",
    "post.rejected",
    "delivery.sent",
    "delivery.failed",
    "delivery.uncertain",
    "post.taken_down",
    "coverage.found",
)


def _types_option(required: bool) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return click.option(
        "--event",
        "types",
        multiple=True,
        required=required,
        type=click.Choice(EVENT_TYPES),
        help="An event type to send; repeat.",
    )


@click.group()
def webhook() -> None:
    """Other systems told of events: signed JSON to their addresses."""


@webhook.command("add")
@click.argument("name")
@click.option("--url", required=True, metavar="URL", help="Where the events are POSTed, http(s).")
@_types_option(True)
@pass_app
@reports_errors
def webhook_add(app: App, name: str, url: str, types: tuple[str, ...]) -> None:
    """Send events of the chosen types to an address; prints its signing secret once."""
    secret = app.webhooks.add(name, url, types, app.actor)
    click.echo(t("webhook {name} added: {types}", name=name, types=", ".join(types)))
    click.echo(t("its signing secret (shown this once; give it to the receiver): {secret}", secret=secret))


@webhook.command("list")
@json_option
@pass_app
@reports_errors
def webhook_list(app: App, as_json: bool) -> None:
    """Webhooks: address, events, state, what was delivered."""
    from publisher.times import local

    rows = [
        {
            "name": row.name,
            "url": row.url,
            "events": ", ".join(row.types) if not as_json else row.types,
            "state": "paused" if row.paused_at else "active" if row.active else "off",
            "queued": row.queued,
            "delivered": row.delivered,
            "failed": row.failed,
            "paused_at": local(row.paused_at, app.settings.timezone)
            if not as_json
            else (row.paused_at.isoformat() if row.paused_at else None),
            "reason": row.paused_reason or ("" if not as_json else None),
        }
        for row in app.webhooks.subscribers()
    ]
    columns = ["name", "url", "events", "state", "queued", "delivered", "failed", "paused_at", "reason"]
    print_rows(rows, columns, as_json)


@webhook.command("edit")
@click.argument("name")
@click.option("--url", metavar="URL", help="A new address.")
@_types_option(False)
@click.option("--on/--off", "active", default=None, help="Send events to it, or stop (its log stays).")
@click.option("--new-secret", is_flag=True, help="Make a new signing secret (printed once); the old one stops working.")
@pass_app
@reports_errors
def webhook_edit(
    app: App, name: str, url: str | None, types: tuple[str, ...], active: bool | None, new_secret: bool
) -> None:
    """Change a webhook's address, events or state, or give it a new secret."""
    secret = app.webhooks.edit(name, url=url, types=types or None, active=active, rotate=new_secret, actor=app.actor)
    click.echo(t("webhook {name} changed", name=name))
    if secret is not None:
        click.echo(t("its signing secret (shown this once; give it to the receiver): {secret}", secret=secret))


@webhook.command("remove")
@click.argument("name")
@pass_app
@reports_errors
def webhook_remove(app: App, name: str) -> None:
    """Remove a webhook and its log."""
    app.webhooks.remove(name, app.actor)
    click.echo(t("webhook {name} removed", name=name))


@webhook.command("resume")
@click.argument("name")
@pass_app
@reports_errors
def webhook_resume(app: App, name: str) -> None:
    """Send to a paused webhook again: the events that waited go out."""
    app.webhooks.resume(name, app.actor)
    click.echo(t("webhook {name} resumed", name=name))


@webhook.command("log")
@click.argument("name", required=False)
@click.option("--state", type=click.Choice(["queued", "delivered", "failed"]), help="Only these.")
@click.option("--limit", default=50, show_default=True, help="How many, newest first.")
@json_option
@pass_app
@reports_errors
def webhook_log(app: App, name: str | None, state: str | None, limit: int, as_json: bool) -> None:
    """What was sent to the webhooks, newest first: event, state, attempts, last answer."""
    from publisher.services.webhooks import event_type
    from publisher.times import local

    def when(value: object) -> object:
        from datetime import datetime

        if not isinstance(value, datetime):
            return "" if not as_json else None
        return value.isoformat() if as_json else local(value, app.settings.timezone)

    rows = [
        {
            "id": line.id,
            "webhook": line.subscriber,
            "event": event_type(line.action),
            "event_id": line.event_id,
            "at": when(line.event_at),
            "state": line.state,
            "attempts": line.attempts,
            "answer": line.last_status if line.last_status is not None else ("" if not as_json else None),
            "error": line.last_error or ("" if not as_json else None),
            "next": when(line.next_at) if line.state == "queued" else when(None),
        }
        for line in app.webhooks.log(name, state, limit)
    ]
    columns = ["id", "webhook", "event", "event_id", "at", "state", "attempts", "answer", "error", "next"]
    print_rows(rows, columns, as_json)


@webhook.command("resend")
@click.argument("delivery_id", type=int)
@pass_app
@reports_errors
def webhook_resend(app: App, delivery_id: int) -> None:
    """Send one event again now, with the same id and body (see `webhook log` for the number)."""
    app.webhooks.resend(delivery_id, app.actor)
    click.echo(t("webhook delivery {id} queued again", id=delivery_id))
