"""Which deliveries a person allowed to go out in their channel's quiet hours (``publisher.services.windows``)."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select

from publisher.models import Action, Event
from publisher.store.engine import StoreBase

__all__ = ["quiet_overrides"]


def quiet_overrides(store: StoreBase, posts: Collection[int]) -> set[int]:
    """The deliveries of ``posts`` queued with an explicit override of the posting hours (by post: the events'
    index; asked only for the few deliveries that come due inside their channel's quiet hours)."""
    if not posts:
        return set()
    query = select(Event.delivery_id).where(
        Event.post_id.in_(list(posts)), Event.action == Action.DELIVERY_QUIET_OVERRIDE.value
    )
    with store.sessions() as session:
        return {delivery_id for delivery_id in session.scalars(query) if delivery_id is not None}
