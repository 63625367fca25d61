"""Alembic environment: migrations run on the connection the store hands in (see ``Store.upgrade``)."""

from __future__ import annotations

from alembic import context

import publisher.tracker.models  # noqa: F401  (the tracker's tables, on the same Base)
from publisher.models import Base
from publisher.reports import models as _report_models  # noqa: F401  (scheduled report runs, migration 0004r)
from publisher.web import models as _web_models  # noqa: F401  (the console's tables, migration 0003w)

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `publisher init`, which supplies the database connection")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
