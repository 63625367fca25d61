"""The web console: server-rendered pages, a JSON API and the accounts behind both.

Importing this package is cheap (the migrations import ``publisher.web.models``); the application itself is built by
``publisher.web.app.create_app``. The console calls the core (``publisher.queue``, ``publisher.store``,
``publisher.slots``) and holds no queueing rules of its own.
"""

from __future__ import annotations

__all__: list[str] = []
