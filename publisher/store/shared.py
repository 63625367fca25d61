"""Shared values' rows (``publisher.services.shared_state`` holds the rules: expiry, who renews, how long to wait)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from publisher.models import SharedValue
from publisher.store.engine import StoreBase

__all__ = ["SharedValuesMixin"]

_TABLE = SharedValue.metadata.tables[SharedValue.__tablename__]


class SharedValuesMixin(StoreBase):
    def shared_value(self, name: str) -> tuple[str, datetime] | None:
        """The value stored under ``name`` and when it expires, or None."""
        with self.sessions() as session:
            row = session.execute(select(SharedValue.value, SharedValue.expires_at).where(SharedValue.name == name))
            found = row.first()
        return (found[0], found[1]) if found is not None else None

    def put_shared_value(self, name: str, value: str, expires_at: datetime, *, prune_before: datetime) -> None:
        """Store ``value`` under ``name`` (its lease, if any, is kept), and drop the values expired before
        ``prune_before``."""
        with self.session() as session:
            session.execute(delete(SharedValue).where(SharedValue.expires_at < prune_before, SharedValue.name != name))
            changed = session.execute(
                update(_TABLE).where(_TABLE.c.name == name).values(value=value, expires_at=expires_at)
            )
            if getattr(changed, "rowcount", 1):
                return
        try:
            with self.session() as session:
                session.execute(insert(_TABLE).values(name=name, value=value, expires_at=expires_at))
        except IntegrityError:  # another daemon stored it between our update and our insert: ours is as new
            with self.session() as session:
                session.execute(update(_TABLE).where(_TABLE.c.name == name).values(value=value, expires_at=expires_at))

    def take_shared_lease(self, name: str, owner: str, now: datetime, until: datetime) -> bool:
        """Become the one renewing ``name`` until ``until``, unless another owner's lease runs; True if taken."""
        free = or_(_TABLE.c.lease_until.is_(None), _TABLE.c.lease_until < now, _TABLE.c.lease_owner == owner)
        with self.session() as session:
            taken = session.execute(
                update(_TABLE).where(_TABLE.c.name == name, free).values(lease_owner=owner, lease_until=until)
            )
            if getattr(taken, "rowcount", 0):
                return True
            if session.execute(select(_TABLE.c.name).where(_TABLE.c.name == name)).first() is not None:
                return False  # someone else renews it now
        try:  # no row yet: an empty, expired one carrying the lease
            with self.session() as session:
                row = {"name": name, "value": "", "expires_at": now, "lease_owner": owner, "lease_until": until}
                session.execute(insert(_TABLE).values(**row))
        except IntegrityError:  # another daemon made it first, with its lease
            return False
        return True

    def release_shared_lease(self, name: str, owner: str) -> None:
        with self.session() as session:
            session.execute(
                update(_TABLE)
                .where(_TABLE.c.name == name, _TABLE.c.lease_owner == owner)
                .values(lease_owner=None, lease_until=None)
            )
