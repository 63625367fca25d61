"""``publisher backup FILE`` and ``publisher restore FILE``: the whole database, copied out and back.

``publisher.backup`` does the work. Neither opens the database through ``App.store``, which wants one at this
version's schema: a backup copies whatever is there, a restore makes the database and migrates it.
"""

from __future__ import annotations

from pathlib import Path

import click

from publisher.cli.base import App, pass_app, reports_errors
from publisher.cli.lang import t

__all__ = ["backup_command", "restore_command"]


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
@pass_app
@reports_errors
def backup_command(app: App, file: Path, force: bool) -> None:
    """Copy the whole database into FILE, safely while daemons run.

    SQLite: the online backup API, into one database file. PostgreSQL: pg_dump's custom format (pg_dump must be
    installed; the password is passed in PGPASSWORD).
    """
    from publisher.backup import backup

    done = backup(app.settings.database_url, file, force=force, source=app.settings.source)
    click.echo(done.line(t))


@click.command("restore")
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
    from publisher.backup import restore

    channels = {name: channel.kind for name, channel in app.settings.channels.items()}
    done = restore(
        app.settings.database_url, file, now=app.clock.now(), channels=channels, force=force, source=app.settings.source
    )
    click.echo(done.line(t))
