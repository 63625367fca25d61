"""``publisher source``: our own website's feeds, whose new articles are announced on other channels."""

from __future__ import annotations

import click

from publisher.cli.base import App, json_option, pass_app, print_rows, reports_errors
from publisher.cli.lang import t

__all__ = ["source"]


@click.group()
def source() -> None:
    """Our website's feeds: each new article becomes a post on the chosen channels."""


@source.command("add")
@click.argument("name")
@click.option("--feed", required=True, metavar="URL", help="The feed of our website (RSS or Atom), http(s).")
@click.option("--channel", "channels", multiple=True, metavar="NAME", help="A channel the articles go to; repeat.")
@click.option("--campaign", help="The campaign the posts belong to (its approval rule and time zone apply).")
@pass_app
@reports_errors
def source_add(app: App, name: str, feed: str, channels: tuple[str, ...], campaign: str | None) -> None:
    """Announce a feed's new articles; what it holds now is not announced."""
    from publisher.services.announce import add_source

    add_source(app.store, app.settings.channels, name, feed, channels, campaign, app.clock.now(), app.actor)
    click.echo(t("source {name} added: new articles go to {channels}", name=name, channels=", ".join(channels)))
    click.echo(t("the daemon reads it within {minutes} minutes; what the feed holds now is not announced", minutes=10))


@source.command("list")
@json_option
@pass_app
@reports_errors
def source_list(app: App, as_json: bool) -> None:
    """Own sources: feed, channels, campaign, articles announced, last read."""
    from publisher.services.announce import list_sources
    from publisher.times import local

    rows = [
        {
            "name": row.name,
            "feed": row.feed,
            "channels": ", ".join(row.channels) if not as_json else row.channels,
            "campaign": row.campaign or ("" if not as_json else None),
            "announced": row.announced,
            "last_read": local(row.last_polled_at, app.settings.timezone)
            if not as_json
            else (row.last_polled_at.isoformat() if row.last_polled_at else None),
            "last_error": row.last_error or ("" if not as_json else None),
        }
        for row in list_sources(app.store)
    ]
    print_rows(rows, ["name", "feed", "channels", "campaign", "announced", "last_read", "last_error"], as_json)


@source.command("remove")
@click.argument("name")
@pass_app
@reports_errors
def source_remove(app: App, name: str) -> None:
    """Stop announcing a source (the posts it made stay)."""
    from publisher.services.announce import remove_source

    remove_source(app.store, name)
    click.echo(t("source {name} removed", name=name))
