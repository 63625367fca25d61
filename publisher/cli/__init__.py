"""The ``publisher`` command. Thin: it reads arguments, calls the core, and prints. It holds no rules of its own.

Every command is registered here, in ``COMMANDS``, by the module and name that define it; a command's module is
imported only when that command runs (or its help is asked for), and imports what the command needs inside its
body. So `publisher --version` and `--help` import no database, HTTP or web library. The modules import
``publisher.cli.base`` and never this package's ``cli``: there is no import cycle.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterable, Mapping, MutableMapping
from typing import Any

import click

from publisher import __version__
from publisher.cli.base import App
from publisher.cli.lang import Context, localise, t

__all__ = ["COMMANDS", "LazyGroup", "cli", "main"]

#: command name -> "module:attribute" of the click command or group (the whole command tree, in one place)
COMMANDS: Mapping[str, str] = {
    "backup": "publisher.cli.backup:backup_command",
    "campaign": "publisher.cli.campaigns:campaign",
    "channel": "publisher.cli.channels:channel",
    "coverage": "publisher.cli.tracker:coverage",
    "demo": "publisher.cli.demo:demo",
    "dispatch": "publisher.cli.daemon:dispatch",
    "init": "publisher.cli.init:init",
    "media": "publisher.cli.media:media",
    "outlet": "publisher.cli.tracker:outlet",
    "post": "publisher.cli.posts:post",
    "report": "publisher.cli.reports:report",
    "restore": "publisher.cli.backup:restore_command",
    "run": "publisher.cli.daemon:run",
    "schedule": "publisher.cli.schedules:schedule",
    "source": "publisher.cli.sources:source",
    "status": "publisher.cli.status:status_command",
    "track": "publisher.cli.tracker:track",
    "user": "publisher.cli.web:user",
    "webhook": "publisher.cli.webhooks:webhook",
    "web": "publisher.cli.web:web",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use ("lazily loading subcommands" in click's docs).

    ``commands`` still gives the whole tree (every module imported), for the docs generator and the tests that walk
    it; running one command imports only that command's module.
    """

    context_class = Context  # help in Chinese when the locale is Chinese

    def __init__(self, *args: Any, lazy: Mapping[str, str], **kwargs: Any) -> None:
        self.lazy = dict(lazy)
        super().__init__(*args, **kwargs)

    @property
    def commands(self) -> MutableMapping[str, click.Command]:
        for name in list(self.lazy):
            self._load(name)
        return self._commands

    @commands.setter
    def commands(self, value: MutableMapping[str, click.Command]) -> None:
        self._commands = value

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self._commands, *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy:
            self._load(cmd_name)
        return self._commands.get(cmd_name)

    def _load(self, name: str) -> None:
        module_name, attribute = self.lazy.pop(name).split(":")
        command = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{module_name}:{attribute} is not a click command")
        self._commands[name] = localise(command)


@click.group(cls=LazyGroup, lazy=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config", metavar="PATH", help="Config file (default: $PUBLISHER_CONFIG, ./publisher.toml).")
@click.option("--as", "actor", metavar="NAME", help="Who is acting, for the event log (default: $USER).")
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=lambda ctx, _param, value: _version(ctx, value),
    help="Show the version and exit.",
)
@click.pass_context
def cli(ctx: click.Context, config: str | None, actor: str | None) -> None:
    """Publicity scheduler: queue activity reports and send them to every channel on time."""
    ctx.obj = App(config, actor or os.environ.get("USER") or "cli")
    ctx.call_on_close(ctx.obj.close)


def _version(ctx: click.Context, value: bool) -> None:
    """``--version``, as click's own option prints it, in the user's language."""
    if value and not ctx.resilient_parsing:
        click.echo(t("{prog}, version {version}", prog="publisher", version=__version__))
        ctx.exit()


def main(argv: Iterable[str] | None = None) -> None:
    cli.main(args=list(argv) if argv is not None else None, prog_name="publisher")
