"""``publisher run`` (the daemon) and ``publisher dispatch --once`` (one pass, for cron).

`run` creates or upgrades the database as `init` does: it is what a container starts on a new volume. `dispatch`
needs a database made by `publisher init`.
"""

from __future__ import annotations

import asyncio

import click

from publisher.cli.base import App, pass_app, reports_errors
from publisher.cli.lang import t

__all__ = ["dispatch", "run"]


@click.command()
@pass_app
@reports_errors
def run(app: App) -> None:
    """Run the daemon: send what is due, when it is due. Stops cleanly on SIGTERM or Ctrl-C."""
    from publisher.config import load_settings
    from publisher.daemon import Daemon
    from publisher.logs import configure
    from publisher.scrub import for_settings
    from publisher.store import open_store

    settings = load_settings(app.config_path, check_secrets=True)
    configure(settings.log_level, settings.log_format, for_settings(settings))
    store = open_store(settings.database_url, source=settings.source)
    store.upgrade()
    asyncio.run(Daemon(settings, store, app.clock).run())


@click.command()
@click.option("--once", is_flag=True, required=True, help="Do one pass and exit (for system cron).")
@pass_app
@reports_errors
def dispatch(app: App, once: bool) -> None:
    """Send everything due now, then exit."""
    from publisher.config import load_settings
    from publisher.daemon import build_dispatcher
    from publisher.http import make_client
    from publisher.logs import configure
    from publisher.media import media_loader
    from publisher.queue import Queue
    from publisher.scrub import for_settings
    from publisher.services.windows import PostingHours

    settings = load_settings(app.config_path, check_secrets=True)
    configure(settings.log_level, settings.log_format, for_settings(settings))
    store = app.store

    async def one_pass() -> int:
        images = media_loader(store, settings)  # the media store, and https images through the outbound guard
        try:
            async with make_client(settings.daemon.http_transport) as client:
                dispatcher = build_dispatcher(settings, store, client, app.clock, images)
                Queue(
                    store,
                    dispatcher.adapters,
                    app.clock,
                    timezone=settings.timezone,
                    actor="dispatch",
                    hours=PostingHours.from_settings(settings),
                ).materialize_schedules()
                return await dispatcher.run_once()
        finally:
            await images.aclose()

    count = asyncio.run(one_pass())
    click.echo(t("{count} deliveries tried", count=count))
