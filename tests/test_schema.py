"""The migrations build exactly what the models say, on each store (the merge revision 0005 included)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import publisher.reports.models  # their tables, on the same Base
import publisher.tracker.models
import publisher.web.models  # noqa: F401
from publisher.models import Base
from publisher.store import Store


def test_the_migrations_match_the_models(store: Store) -> None:
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        # issue 10's parallel branches from 0006 until the lead merges them
        # (0007s: web sessions, 0007m: media, 0007c: separate approver)
        assert sorted(context.get_current_heads()) == ["0007c", "0007m", "0007s"]
        assert compare_metadata(context, Base.metadata) == []
