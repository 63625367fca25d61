"""What every command shares: the ``App`` (settings, store and queue, built on first use), options, error reporting
and printing.

Cheap to import on purpose: only click and the standard library at module level, so `publisher --help` and
`--version` stay instant; a command imports what it needs inside its own body.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import click

from publisher.cli.lang import column, t, t_error
from publisher.clock import Clock, SystemClock
from publisher.errors import PublisherError

if TYPE_CHECKING:
    from publisher.config import Settings
    from publisher.queue import Queue
    from publisher.services.webhooks import Webhooks
    from publisher.store import Store

__all__ = [
    "ROW_ID",
    "App",
    "json_option",
    "pass_app",
    "print_json",
    "print_table",
    "reports_errors",
    "short",
    "when",
]

F = TypeVar("F", bound=Callable[..., Any])
#: the largest row id the stores hold (64-bit, as ``publisher.queue.MAX_ID``): a larger one is refused with a clear
#: message, not an overflow
MAX_ID = 2**63 - 1
ROW_ID = click.IntRange(1, MAX_ID)


class App:
    """What every command needs, built on first use so `--help` stays instant.

    ``store`` opens a database that exists and is at this version's schema, and never creates or migrates one: a
    mistyped path is an error naming it and `publisher init`, not a new empty database. Only `init`, `demo` and
    `run` (the daemon, which a container starts on a new volume) create or upgrade it.
    """

    def __init__(self, config: str | None, actor: str, clock: Clock | None = None) -> None:
        self.config_path = config
        self.actor = actor
        self.clock = clock or SystemClock()
        self._settings: Settings | None = None
        self._store: Store | None = None
        self._queue: Queue | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            from publisher.config import load_settings

            self._settings = load_settings(self.config_path)
        return self._settings

    @property
    def store(self) -> Store:
        if self._store is None:
            from publisher.store.listing import open_ready

            store = open_ready(self.settings.database_url, source=self.settings.source)
            try:
                # a channel added to the config since `publisher init` gets its row (a no-op otherwise)
                store.sync_channels({n: c.kind for n, c in self.settings.channels.items()}, self.clock.now())
            except BaseException:
                store.engine.dispose()
                raise
            self._store = store
        return self._store

    def close(self) -> None:
        """Close the database connections (a command run in-process, as in the tests, leaves none open)."""
        if self._store is not None:
            self._store.engine.dispose()

    @property
    def queue(self) -> Queue:
        if self._queue is None:
            import httpx

            from publisher.config import AnySecret
            from publisher.queue import Queue
            from publisher.services.windows import PostingHours

            # adapters are only asked to render here; nothing is sent, so no secret is needed
            adapters = self.settings.build_adapters(httpx.AsyncClient(), AnySecret(os.environ))
            self._queue = Queue(
                self.store,
                adapters,
                self.clock,
                timezone=self.settings.timezone,
                actor=self.actor,
                hours=PostingHours.from_settings(self.settings),
            )
        return self._queue

    @property
    def webhooks(self) -> Webhooks:
        """Webhook subscribers and their log: the same service the console's page calls."""
        from publisher.services.webhooks import Webhooks

        return Webhooks(self.settings, self.store, self.clock)


pass_app = click.make_pass_decorator(App)


def json_option(func: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")(func)


def reports_errors(func: F) -> F:
    """Print a PublisherError, or a database that cannot be used, as one clear message (exit status 1)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except PublisherError as exc:
            click.echo(t("error: {message}", message=t_error(exc)), err=True)
            sys.exit(1)
        except Exception as exc:
            # only a command that opened the database can meet an outage, and it has imported the store by then
            if "publisher.store" not in sys.modules:
                raise
            from publisher.store.listing import outage_message

            app = next((a for a in args if isinstance(a, App)), None)
            message = outage_message(exc, app.settings.database_url if app is not None else "sqlite://")
            if message is None:
                raise
            click.echo(t("error: {message}", message=t_error(message)), err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


def print_table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> None:
    if not rows:
        click.echo(t("(none)"))
        return
    headings = {c: column(c) for c in columns}
    widths = {c: max(_width(headings[c]), *(_width(str(r.get(c, "") or "")) for r in rows)) for c in columns}
    lines = ["  ".join(_pad(headings[c], widths[c]) for c in columns).rstrip()]
    lines.extend("  ".join(_pad(str(row.get(c, "") or ""), widths[c]) for c in columns).rstrip() for row in rows)
    click.echo("\n".join(lines))  # one write: thousands of rows print in one go


def _width(text: str) -> int:
    if text.isascii():
        return len(text)
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def print_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def print_rows(rows: Sequence[dict[str, Any]], columns: Sequence[str], as_json: bool) -> None:
    """A listing: the rows as JSON with ``--json``, else as a table of ``columns``."""
    if as_json:
        print_json(rows)
    else:
        print_table(rows, columns)


def short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def when(app: App, text: str | None, campaign: str | None) -> datetime | None:
    """A time given on the command line, read in the campaign's zone (or the configured one)."""
    if text is None:
        return None
    from publisher.times import parse_time

    return parse_time(text, app.queue.campaign_timezone(campaign))
