"""The database: the only package that writes SQL (besides the models and the migrations).

One module per concern; ``Store`` gathers the methods of each over one engine, and the module-level functions take
the store, or a session when they run inside the caller's transaction:

- ``engine``: engine set-up, sessions, migrations, the store's exceptions (``Conflict``, ``OUTAGE_ERRORS``)
- ``deliveries``: the predicates on delivery states (defined once), the dispatcher's claims and outcomes, post lists
- ``posts``: campaigns, posts and recurring schedules, for the queue's rules
- ``channels``: channel rows, pauses and the breaker's circuits
- ``events``: the append-only event log
- ``daemons``: heartbeats and what ``publisher status`` reads
- ``feeds`` and ``coverage``: the tracker's outlets, sources, entries, coverage items and keyword rules
- ``accounts``: the console's people, tokens, sign-in attempts and sessions
- ``reports`` and ``report_runs``: the reports' snapshot queries, and scheduled runs
- ``media``: the media store's rows
- ``listing``: what the CLI lists (``delivery_lines``: `post list` in one query), and ``open_ready``: a database
  that exists at this version's schema, never created nor migrated (imported by the CLI as ``publisher.store.listing``)

Faces with queries of their own (the CLI's listings, say) get a module of their own here rather than growing this one.
"""

from __future__ import annotations

from sqlalchemy import Engine

from publisher.store.accounts import (
    add_web_session,
    end_user_web_sessions,
    end_web_session,
    prune_web_sessions,
    touch_web_session,
    user_web_sessions,
    web_session,
)
from publisher.store.channels import ChannelsMixin
from publisher.store.daemons import DaemonsMixin
from publisher.store.deliveries import (
    Claim,
    DeliveriesMixin,
    Outcome,
    PostFilter,
    list_deliveries,
    list_rows,
    post_history,
    queue_depth,
)
from publisher.store.engine import (
    DUE_CHANNEL,
    MIGRATIONS,
    OUTAGE_ERRORS,
    URL,
    Conflict,
    Session,
    open_engine,
    parse_url,
)
from publisher.store.media import MediaMixin
from publisher.store.shared import SharedValuesMixin

__all__ = [
    "DUE_CHANNEL",
    "MIGRATIONS",
    "OUTAGE_ERRORS",
    "URL",
    "Claim",
    "Conflict",
    "Outcome",
    "PostFilter",
    "Session",
    "Store",
    "add_web_session",
    "end_user_web_sessions",
    "end_web_session",
    "list_deliveries",
    "list_rows",
    "open_store",
    "parse_url",
    "post_history",
    "prune_web_sessions",
    "queue_depth",
    "touch_web_session",
    "user_web_sessions",
    "web_session",
]


class Store(DeliveriesMixin, ChannelsMixin, DaemonsMixin, MediaMixin, SharedValuesMixin):
    """Sessions and queries over one database."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)


def open_store(url: str, *, source: str = "config", echo: bool = False) -> Store:
    """A store over ``url`` (any SQLAlchemy URL; SQLite files get their folder created and are tuned)."""
    return Store(open_engine(url, source=source, echo=echo))
