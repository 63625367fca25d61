"""Recurring schedules and campaigns as people change them: the posts a schedule made, and letting go of a deleted
schedule (``publisher.queue`` holds the rules)."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from publisher.models import Post, PostState, Schedule

__all__ = ["active_posts_of_campaign", "active_posts_of_schedule", "all_schedules", "detach_schedule_posts"]


def all_schedules(session: Session) -> list[Schedule]:
    return list(session.scalars(select(Schedule).order_by(Schedule.name)))


def active_posts_of_schedule(session: Session, schedule_id: int) -> list[Post]:
    """The schedule's posts that are not cancelled, oldest occurrence first."""
    query = (
        select(Post)
        .where(Post.schedule_id == schedule_id, Post.state == PostState.ACTIVE.value)
        .order_by(Post.occurrence_at, Post.id)
    )
    return list(session.scalars(query))


def detach_schedule_posts(session: Session, schedule_id: int) -> None:
    """The posts a deleted schedule made stay (with their history), no longer pointing at it."""
    session.execute(update(Post).where(Post.schedule_id == schedule_id).values(schedule_id=None))


def active_posts_of_campaign(session: Session, campaign_id: int) -> list[Post]:
    """The campaign's posts that are not cancelled."""
    return list(session.scalars(select(Post).where(Post.campaign_id == campaign_id, Post.state == PostState.ACTIVE)))
