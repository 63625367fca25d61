"""The media store's rows (``publisher.media`` holds its rules)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from publisher.models import Media
from publisher.store.engine import StoreBase

__all__ = ["MediaMixin"]


class MediaMixin(StoreBase):
    def put_media(self, media: Media) -> bool:
        """Add ``media`` unless a row with its hash exists (same hash, same bytes); True if it was added."""
        try:
            with self.session() as session:
                if session.get(Media, media.sha256) is not None:
                    return False
                session.add(media)
        except IntegrityError:  # another process stored the same bytes between our look and our insert
            return False
        return True

    def get_media(self, sha256: str) -> Media | None:
        with self.sessions() as session:
            return session.get(Media, sha256)

    def set_media_alt(self, sha256: str, alt: str | None) -> bool:
        """Set what a stored picture shows; False when there is no such picture."""
        with self.session() as session:
            media = session.get(Media, sha256)
            if media is None:
                return False
            media.alt = alt
        return True

    def list_media(self, limit: int) -> list[Any]:
        """The newest ``limit`` images, without their bytes (sha256, mime, size, width, height, name, when, who)."""
        columns = (Media.sha256, Media.mime, Media.size, Media.width, Media.height, Media.name)
        query = (
            select(*columns, Media.created_at, Media.created_by, Media.alt)
            .order_by(Media.created_at.desc())
            .limit(limit)
        )
        with self.sessions() as session:
            return list(session.execute(query).all())

    def existing_media(self, hashes: Sequence[str]) -> set[str]:
        """Which of ``hashes`` are in the media store (without reading their bytes)."""
        if not hashes:
            return set()
        with self.sessions() as session:
            return set(session.scalars(select(Media.sha256).where(Media.sha256.in_(list(hashes)))))
