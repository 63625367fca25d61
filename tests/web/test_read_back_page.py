"""The post page says what reading each sent delivery back found: still online with its counts, or taken down with
the platform's words, when it was checked (in the post's zone), in English and in Chinese."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, update

from publisher.models import Delivery, DeliveryCheck, DeliveryState
from publisher.queue import PostDraft
from publisher.web.accounts import UserView
from publisher.web.console import Console

CHECKED = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)  # 17:30 in Shanghai


def read_back(console: Console, state: str, metrics: dict[str, int], detail: str | None = None) -> int:
    """A post sent on weibo, read back once with this outcome; its id."""
    post = console.queue("eve").add_post(PostDraft(title="校运会", body="正文", channels=["weibo"], now=True))
    with console.store.session() as session:
        delivery = session.scalar(select(Delivery.id).where(Delivery.post_id == post))
        session.execute(update(Delivery).where(Delivery.id == delivery).values(state=DeliveryState.SENT.value))
        session.execute(
            insert(DeliveryCheck).values(
                delivery_id=delivery, round=1, next_at=None, state=state, detail=detail, metrics=metrics,
                checked_at=CHECKED,
            )
        )  # fmt: skip
    return post


async def test_the_post_page_says_still_online_and_the_counts(
    visitors: Any, console: Console, people: dict[str, UserView]
) -> None:
    post = read_back(console, "online", {"favourites": 3, "reblogs": 1})
    english = (await (await visitors("eve")).get(f"/posts/{post}")).text
    console.accounts.set_language(people["admin"].id, "zh")
    chinese = (await (await visitors("ada")).get(f"/posts/{post}")).text

    assert "still online</span> · 3 favourites · 1 reblogs" in english
    assert "checked 2026-12-01 17:30 CST" in english
    assert "仍在线</span> · 收藏 3 · 转发 1" in chinese
    assert "检查于 2026-12-01 17:30 CST" in chinese


async def test_a_post_taken_down_shows_the_platforms_words(
    visitors: Any, console: Console, people: dict[str, UserView]
) -> None:
    post = read_back(console, "gone", {}, detail="HTTP 404: Record not found")
    page = (await (await visitors("eve")).get(f"/posts/{post}")).text
    assert "taken down</span>" in page
    assert "HTTP 404: Record not found" in page
