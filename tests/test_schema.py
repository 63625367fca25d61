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
        assert context.get_current_heads() == ("0020",)  # one head: 0005 merged the early branches
        assert compare_metadata(context, Base.metadata) == []
