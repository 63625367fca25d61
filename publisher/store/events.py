"""The event log: appended to, never changed (``engine._events_are_append_only`` refuses an update or delete)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from publisher.models import Action, Event

__all__ = ["add_event", "add_events"]

_EVENTS = Event.metadata.tables[Event.__tablename__]


def add_event(
    session: Session,
    *,
    at: datetime,
    actor: str,
    action: Action,
    reason: str | None = None,
    post_id: int | None = None,
    delivery_id: int | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    coverage_id: int | None = None,
) -> None:
    """Append one event in the caller's transaction."""
    session.add(
        Event(
            at=at,
            actor=actor,
            action=Action(action),  # refuses a free-text action
            post_id=post_id,
            delivery_id=delivery_id,
            from_state=from_state,
            to_state=to_state,
            reason=reason,
            coverage_id=coverage_id,
        )
    )


def add_events(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Append many events in one statement (Core: no per-row ORM work); each row as ``add_event``'s arguments."""
    if not rows:
        return
    defaults = {"post_id": None, "delivery_id": None, "from_state": None, "to_state": None, "reason": None}
    defaults["coverage_id"] = None
    session.connection().execute(
        insert(_EVENTS), [defaults | row | {"action": Action(row["action"]).value} for row in rows]
    )
