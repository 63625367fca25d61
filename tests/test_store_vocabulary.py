"""The store's shared vocabulary: event actions and the groups of delivery states, each defined once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from publisher.models import OPEN_STATES, SETTLED_STATES, WAITING_STATES, Action, Delivery, DeliveryState, Event
from publisher.store import Store
from publisher.store.events import add_event

# What databases written before the enum hold in events.action: a value may be added, never changed.
STORED_BEFORE = {
    "claim",
    "delivery.queued",
    "delivery.retry_wait",
    "delivery.sent",
    "delivery.failed",
    "delivery.uncertain",
    "delivery.cancelled",
    "delivery.reschedule",
    "post.add",
    "post.cancel",
    "post.approve",
    "post.reject",
    "post.replace",
    "post.replaced",
    "campaign.add",
    "campaign.rules",
    "schedule.add",
    "schedule.missed",
    "channel.pause",
    "channel.resume",
    "outlet.change",
    "outlet.remove",
    "source.failing",
    "source.recovered",
    "coverage.add",
    "coverage.found",
    "coverage.remove",
    "user.add",
    "user.role",
    "user.activate",
    "user.deactivate",
    "user.password",
    "user.sign_out",
    "token.create",
    "token.revoke",
}


def test_every_action_stored_before_the_enum_is_still_one() -> None:
    assert STORED_BEFORE - {action.value for action in Action} == set()


def test_each_delivery_state_has_its_event() -> None:
    for state in DeliveryState:
        assert Action.delivery(state).value == f"delivery.{state.value}"


def test_the_groups_of_states_agree() -> None:
    assert WAITING_STATES < OPEN_STATES
    assert not OPEN_STATES & SETTLED_STATES
    assert DeliveryState.UNCERTAIN not in OPEN_STATES | SETTLED_STATES  # it waits for a person
    assert all(state.is_open == (state in OPEN_STATES) for state in DeliveryState)


def test_the_claim_index_covers_the_waiting_states() -> None:
    """The partial index the dispatcher's claim reads (migration 0006) is over exactly the waiting states."""
    indexes = Delivery.metadata.tables[Delivery.__tablename__].indexes
    index = next(i for i in indexes if i.name == "ix_deliveries_open_by_channel")
    where = str(index.dialect_options["sqlite"]["where"])
    assert where == "state IN (" + ", ".join(f"'{s.value}'" for s in sorted(WAITING_STATES)) + ")"


def test_an_event_with_a_free_text_action_is_refused(store: Store) -> None:
    now = datetime(2026, 3, 1, tzinfo=UTC)
    with pytest.raises(ValueError, match="not a valid Action"), store.session() as session:
        add_event(session, at=now, actor="test", action="post.edit")  # type: ignore[arg-type]
    with store.session() as session:
        add_event(session, at=now, actor="test", action=Action.POST_ADD, reason="kept as its string")
    with store.sessions() as session:
        assert [e.action for e in session.query(Event).all()] == ["post.add"]
