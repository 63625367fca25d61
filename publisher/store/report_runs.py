"""Scheduled reports' runs: one row per (report, occurrence), taken under a lease (``publisher.reports.schedule``
holds the rules: when a report is due, how long a lease lasts)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update

from publisher.models import Campaign
from publisher.reports.models import ReportRun, RunState
from publisher.store.engine import StoreBase

__all__ = ["campaign_timezone", "finish_run", "last_occurrence", "latest_run", "start_run", "take_over_run"]


def campaign_timezone(store: StoreBase, name: str) -> str | None:
    with store.sessions() as session:
        return session.scalar(select(Campaign.timezone).where(Campaign.name == name))


def last_occurrence(store: StoreBase, name: str, state: str | None = None) -> datetime | None:
    """The latest occurrence of report ``name`` that has a run (in ``state``, when given)."""
    query = select(func.max(ReportRun.occurrence_at)).where(ReportRun.name == name)
    if state is not None:
        query = query.where(ReportRun.state == state)
    with store.sessions() as session:
        return session.scalar(query)


def latest_run(store: StoreBase, name: str) -> Any:
    """The latest run of report ``name`` (occurrence_at, state, lease_until), or None."""
    with store.sessions() as session:
        return session.execute(
            select(ReportRun.occurrence_at, ReportRun.state, ReportRun.lease_until)
            .where(ReportRun.name == name)
            .order_by(ReportRun.occurrence_at.desc())
            .limit(1)
        ).first()


def start_run(
    store: StoreBase, name: str, occurrence: datetime, owner: str, lease_until: datetime, now: datetime
) -> int:
    """Insert the run for (``name``, ``occurrence``) as ``owner``'s; ``Conflict`` if it has a run already."""
    with store.unique_write() as session:
        run = ReportRun(
            name=name,
            occurrence_at=occurrence,
            state=RunState.RUNNING.value,
            owner=owner,
            lease_until=lease_until,
            started_at=now,
            files=[],
        )
        session.add(run)
        session.flush()
        return run.id


def take_over_run(
    store: StoreBase, name: str, occurrence: datetime, owner: str, lease_until: datetime, now: datetime
) -> int | None:
    """Take the run for (``name``, ``occurrence``) if it is still running past its lease (its process died);
    its id, or None if it finished or someone else holds it."""
    with store.session() as session:
        run_id = session.scalar(
            select(ReportRun.id).where(ReportRun.name == name, ReportRun.occurrence_at == occurrence)
        )
        taken = session.execute(
            update(ReportRun)
            .where(ReportRun.id == run_id, ReportRun.state == RunState.RUNNING.value, ReportRun.lease_until < now)
            .values(owner=owner, lease_until=lease_until, started_at=now)
        )
        return run_id if getattr(taken, "rowcount", 0) == 1 else None


def finish_run(store: StoreBase, run_id: int, owner: str, state: RunState, now: datetime, **values: object) -> None:
    """Close the run (if ``owner`` still holds it) in ``state``, with the other columns in ``values``."""
    with store.session() as session:
        session.execute(
            update(ReportRun)
            .where(ReportRun.id == run_id, ReportRun.owner == owner)
            .values(state=state.value, finished_at=now, **values)
        )
