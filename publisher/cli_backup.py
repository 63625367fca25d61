"""``publisher backup FILE`` and ``publisher restore FILE``: the whole database, copied out and back.

Attached to the main command group (``publisher.cli`` imports this module at its end); ``publisher.backup`` does the
work. Neither opens the database through ``App.store``, which would create or migrate it first.
"""

from __future__ import annotations

from pathlib import Path

import click

from publisher.backup import backup, restore
from publisher.cli import App, cli, pass_app, reports_errors

__all__: list[str] = []


@cli.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
@pass_app
@reports_errors
def backup_command(app: App, file: Path, force: bool) -> None:
    """Copy the whole database into FILE, safely while daemons run.

    SQLite: the online backup API, into one database file. PostgreSQL: pg_dump's custom format (pg_dump must be
    installed; the password is passed in PGPASSWORD).
    """
    done = backup(app.settings.database_url, file, force=force, source=app.settings.source)
    click.echo(done.line())


@cli.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that holds posts already.")
@pass_app
@reports_errors
def restore_command(app: App, file: Path, force: bool) -> None:
    """Replace the configured database with the backup FILE, then migrate it to this version.

    Refused while a daemon is working on the database (stop them first), and for a backup of a newer schema
    (upgrade publisher first). Deliveries that were being sent when the backup was taken come back as the lease
    rules say: tried again where the channel can tell, otherwise `uncertain` for a person to settle.
    """
    channels = {name: channel.kind for name, channel in app.settings.channels.items()}
    done = restore(
        app.settings.database_url, file, now=app.clock.now(), channels=channels, force=force, source=app.settings.source
    )
    click.echo(done.line())
