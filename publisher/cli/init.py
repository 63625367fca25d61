"""``publisher init``: create the database, or upgrade it to this version (the one command that does both)."""

from __future__ import annotations

import click

from publisher.cli.base import App, pass_app, reports_errors
from publisher.cli.lang import t

__all__ = ["init"]


@click.command()
@pass_app
@reports_errors
def init(app: App) -> None:
    """Create the database, or upgrade it to this version."""
    from publisher.store import open_store

    store = open_store(app.settings.database_url, source=app.settings.source)
    try:
        revision = store.upgrade()
        store.sync_channels({n: c.kind for n, c in app.settings.channels.items()}, app.clock.now())
    finally:
        store.engine.dispose()
    where = store.engine.url.render_as_string()
    click.echo(t("database ready: {database} (schema {revision})", database=where, revision=revision))
    channels = ", ".join(app.settings.channels)
    click.echo(t("config: {source}; channels: {channels}", source=app.settings.source, channels=channels))
