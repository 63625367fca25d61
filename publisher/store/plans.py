"""Campaign plans in bulk (``publisher.services.plans`` holds the rules): a whole plan's posts and deliveries
written in the caller's one transaction with batched inserts, and the posts a plan export reads back."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from publisher.models import Campaign, Delivery, Post, PostState

__all__ = ["add_plan_deliveries", "add_plan_posts", "all_campaigns", "plan_posts"]

#: rows per INSERT batch: the ORM sends each flush as multi-row statements (insertmanyvalues) with RETURNING ids
BATCH = 1000


def all_campaigns(session: Session) -> dict[str, Campaign]:
    """Every campaign by name (a plan names a few of them, many times over)."""
    return {c.name: c for c in session.scalars(select(Campaign))}


def add_plan_posts(session: Session, posts: Sequence[Post]) -> None:
    """Insert ``posts`` (their ids set) in batches, in the caller's transaction."""
    for start in range(0, len(posts), BATCH):
        session.add_all(posts[start : start + BATCH])
        session.flush()


def add_plan_deliveries(session: Session, deliveries: Sequence[Delivery]) -> None:
    for start in range(0, len(deliveries), BATCH):
        session.add_all(deliveries[start : start + BATCH])
        session.flush()


def plan_posts(
    session: Session, *, campaign_id: int | None, due_from: datetime | None, due_to: datetime | None
) -> list[Post]:
    """Active posts (of the campaign, if given) whose first delivery is due in ``[due_from, due_to)``, by that time,
    with their deliveries and channels loaded."""
    first = select(Delivery.post_id, func.min(Delivery.due_at).label("due")).group_by(Delivery.post_id).subquery()
    query = (
        select(Post)
        .join(first, first.c.post_id == Post.id)
        .where(Post.state == PostState.ACTIVE.value)
        .options(selectinload(Post.deliveries))
        .order_by(first.c.due, Post.id)
    )
    if campaign_id is not None:
        query = query.where(Post.campaign_id == campaign_id)
    if due_from is not None:
        query = query.where(first.c.due >= due_from)
    if due_to is not None:
        query = query.where(first.c.due < due_to)
    return list(session.scalars(query).unique())
