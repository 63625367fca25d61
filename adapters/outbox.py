"""The ``outbox`` channel: each delivery becomes a JSON file and a readable Markdown file in a folder.

It is the embedded default (nothing to set up) and a dry run for any configuration: point a channel at it to see
exactly what would go out. Files are named by the delivery's idempotency key and written atomically, so a resend
rewrites the same file: the outbox is idempotent by construction.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from pathlib import Path
from typing import Any, ClassVar

from adapters.base import ChannelAdapter, Idempotency, Limits, Payload, PostContent, Receipt
from adapters.errors import Permanent
from adapters.media import EXTENSIONS, checked_sources, is_media_ref
from adapters.options import Option, max_length
from adapters.text import markdown_to_html

__all__ = ["OutboxAdapter"]

_SAFE_KEY = re.compile(r"[^A-Za-z0-9._-]")


class OutboxAdapter(ChannelAdapter):
    kind: ClassVar[str] = "outbox"
    options: ClassVar[tuple[Option, ...]] = (
        Option(name="folder", default="outbox", help="Where the .json and .md files are written.", example="outbox"),
        max_length("Make it refuse what a real channel would refuse: the longest post accepted when it is queued."),
    )
    limits: Limits = Limits(max_length=None, max_images=20, concurrency=8)
    idempotency: Idempotency = "native"

    def setup(self, config: dict[str, Any]) -> None:
        self.folder = Path(config["folder"])
        # an outbox may stand in for a real channel, so it can carry that channel's limit
        self.limits = dataclasses.replace(self.limits, max_length=config["max_length"])

    def render(self, post: PostContent) -> Payload:
        checked_sources(post.images, self.kind)  # a path is refused, not passed on
        text = f"# {post.title}\n\n{post.body}".rstrip() + "\n"
        if post.link:
            text += f"\n{post.link}\n"
        data = {
            "title": post.title,
            "body_markdown": post.body,
            "body_html": markdown_to_html(post.body),
            "link": post.link,
            "images": list(post.images),
            "tags": list(post.tags),
            "author": post.author,
            "campaign": post.campaign,
            "due_at": post.due_at.isoformat() if post.due_at else None,
        }
        return Payload(text=text, data=data)

    def _paths(self, key: str) -> tuple[Path, Path]:
        stem = _SAFE_KEY.sub("_", key)
        return self.folder / f"{stem}.json", self.folder / f"{stem}.md"

    async def publish(self, payload: Payload, key: str) -> Receipt:
        json_path, md_path = self._paths(key)
        # uploaded images (media:) are written beside the post; an https:// address stays a link
        uploaded = [ref for ref in payload.data.get("images", ()) if is_media_ref(ref)]
        loaded = [await self.images.load(ref) for ref in uploaded]
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            _write_atomically(md_path, payload.text)
            document: dict[str, Any] = {"channel": self.name, "key": key, **payload.data}
            if loaded:  # the pictures beside the post, as files a person can open
                document["image_files"] = []
                for number, image in enumerate(loaded, 1):
                    path = json_path.with_name(f"{json_path.stem}.image{number}.{EXTENSIONS[image.mime]}")
                    _write_bytes_atomically(path, image.data)
                    document["image_files"].append({"ref": uploaded[number - 1], "file": path.name})
            _write_atomically(json_path, json.dumps(document, ensure_ascii=False, indent=2) + "\n")
        except OSError as exc:
            raise Permanent(f"cannot write to the outbox folder {self.folder}: {exc.strerror or exc}") from exc
        return Receipt(remote_id=json_path.name, url=json_path.resolve().as_uri())

    async def lookup(self, key: str) -> Receipt | None:
        json_path, _ = self._paths(key)
        if json_path.exists():
            return Receipt(remote_id=json_path.name, url=json_path.resolve().as_uri())
        return None

    async def check(self) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        if not os.access(self.folder, os.W_OK):
            raise Permanent(f"the outbox folder {self.folder} is not writable")
        return f"folder {self.folder.resolve()} is writable"


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _write_bytes_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
