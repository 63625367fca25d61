"""``publisher schedule``: recurring posts from a template."""

from __future__ import annotations

from collections.abc import Sequence

import click

from publisher.cli.base import App, json_option, pass_app, print_rows, reports_errors
from publisher.cli.lang import t

__all__ = ["schedule"]


@click.group()
def schedule() -> None:
    """Recurring posts from a template."""


@schedule.command("add")
@click.argument("name")
@click.option("--cron", required=True, help='Five fields: minute hour day month weekday, e.g. "0 16 * * WED".')
@click.option("--tz", "--timezone", "timezone", default=None, help="The zone the cron expression is read in.")
@click.option("--title", required=True)
@click.option("--body", required=True)
@click.option("--channel", "channels", multiple=True, required=True)
@click.option("--campaign")
@pass_app
@reports_errors
def schedule_add(
    app: App,
    name: str,
    cron: str,
    timezone: str | None,
    title: str,
    body: str,
    channels: Sequence[str],
    campaign: str | None,
) -> None:
    """Add a recurring post."""
    from publisher.scheduler import cron_trigger, occurrences
    from publisher.times import local

    zone = timezone or app.queue.campaign_timezone(campaign)
    created = app.queue.add_schedule(
        name, cron=cron, timezone=zone, title=title, body=body, channels=list(channels), campaign=campaign
    )
    upcoming = occurrences(cron_trigger(cron, zone), app.clock.now(), app.clock.now().replace(year=9999), limit=3)
    following = ", ".join(local(when, zone) for when in upcoming) or t("never")
    click.echo(t("schedule {name} added; next: {when}", name=created.name, when=following))


@schedule.command("list")
@json_option
@pass_app
@reports_errors
def schedule_list(app: App, as_json: bool) -> None:
    """List recurring schedules."""
    from publisher.store.listing import schedules

    rows = [
        {
            "name": s.name,
            "state": "active" if s.enabled else "paused",
            "cron": s.cron,
            "timezone": s.timezone,
            "channels": ", ".join(s.channels),
            "title": s.title,
        }
        for s in schedules(app.store)
    ]
    if not as_json:  # the state in the reader's language; --json keeps the value a script matches
        for row in rows:
            row["state"] = t(row["state"])
    print_rows(rows, ["name", "state", "cron", "timezone", "channels", "title"], as_json)


@schedule.command("pause")
@click.argument("name")
@click.option("--reason", help="Why, for the event log.")
@pass_app
@reports_errors
def schedule_pause(app: App, name: str, reason: str | None) -> None:
    """Stop a schedule making posts (the posts it made ahead that have not gone out are cancelled)."""
    _, cancelled = app.queue.pause_schedule(name, reason)
    click.echo(
        t("schedule {name} paused", name=name)
        + (t("; cancelled {count} posts it had made ahead", count=cancelled) if cancelled else "")
    )


@schedule.command("resume")
@click.argument("name")
@pass_app
@reports_errors
def schedule_resume(app: App, name: str) -> None:
    """Start a paused schedule again, from now (what it missed while paused is not made late)."""
    from publisher.times import local

    resumed, following = app.queue.resume_schedule(name)
    shown = local(following, resumed.timezone) if following else t("never")
    click.echo(t("schedule {name} resumed; next: {when}", name=name, when=shown))


@schedule.command("edit")
@click.argument("name")
@click.option("--cron", help='Five fields: minute hour day month weekday, e.g. "0 16 * * WED".')
@click.option("--tz", "--timezone", "timezone", default=None, help="The zone the cron expression is read in.")
@click.option("--title")
@click.option("--body")
@click.option("--channel", "channels", multiple=True, help="The channels (repeatable; replace the old ones).")
@click.option("--campaign", help="The campaign its posts belong to.")
@click.option("--no-campaign", is_flag=True, help="Its posts belong to no campaign.")
@pass_app
@reports_errors
def schedule_edit(
    app: App,
    name: str,
    cron: str | None,
    timezone: str | None,
    title: str | None,
    body: str | None,
    channels: Sequence[str],
    campaign: str | None,
    no_campaign: bool,
) -> None:
    """Change a schedule; the posts it made ahead that have not gone out are made again from the new template."""
    from publisher.queue import KEEP

    if campaign and no_campaign:
        raise click.UsageError("give --campaign NAME or --no-campaign, not both")
    edited, remade = app.queue.edit_schedule(
        name,
        cron=cron,
        timezone=timezone,
        title=title,
        body=body,
        channels=list(channels) or None,
        campaign=None if no_campaign else campaign or KEEP,
    )
    click.echo(
        t("schedule {name} changed", name=edited.name)
        + (t("; made {count} posts again", count=remade) if remade else "")
    )


@schedule.command("delete")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_app
@reports_errors
def schedule_delete(app: App, name: str, yes: bool) -> None:
    """Delete a schedule for good (the posts that went out stay, with their history)."""
    if not yes:
        click.confirm(t("delete schedule {name}?", name=name), abort=True)
    cancelled = app.queue.delete_schedule(name)
    click.echo(
        t("schedule {name} deleted", name=name)
        + (t("; cancelled {count} posts it had made ahead", count=cancelled) if cancelled else "")
    )
