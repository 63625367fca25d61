"""Reading a post file (``publisher post add --file``): Markdown with a YAML header between ``---`` lines.

The file comes from whoever hands it over, so it is read defensively: its size is checked before anything is
parsed (``MAX_POST_FILE``); the YAML is read with a safe loader that refuses aliases (``*name``, and so ``<<:
*name`` merges), because a few hundred bytes of nested aliases expand to gigabytes (a "billion laughs") and a post
never needs them; nesting deeper than ``MAX_DEPTH`` is refused before Python's recursion limit is reached. Every
field is checked for its type, with the same one-line message the API gives (``publisher.errors.wrong_type``).
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

import yaml
from frontmatter.default_handlers import YAMLHandler
from yaml.nodes import Node

from publisher.errors import ValidationError, wrong_type

__all__ = ["MAX_DEPTH", "MAX_POST_FILE", "load_front_matter", "read_post_file"]

MAX_POST_FILE = 1024 * 1024  # bytes: far above any real report, far below what could hurt
MAX_DEPTH = 16  # a post's header is flat lists and one level of overrides


class _Refused(yaml.YAMLError):  # type: ignore[misc]  # PyYAML has no type hints
    pass


class _BoundedLoader(yaml.SafeLoader):  # type: ignore[misc]
    """SafeLoader without aliases and with a nesting limit (the pure-Python one: the C loader cannot be bounded)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise _Refused(f"aliases (*name) are not allowed (line {mark.line + 1}); write the value out")
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise _Refused(f"it is nested more than {MAX_DEPTH} levels deep")
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def load_front_matter(text: str, source: str) -> tuple[dict[str, Any], str]:
    """(the header's fields, the Markdown body) of a post file's ``text``; a file without a header is all body."""
    handler = YAMLHandler()
    stripped = text.strip()
    if not handler.detect(stripped):
        return {}, stripped
    try:
        header, body = handler.split(stripped)
    except ValueError:
        return {}, stripped
    loader = _BoundedLoader(header)
    try:
        data = loader.get_single_data()
    except _Refused as exc:
        raise ValidationError.of(
            "{source}: the front matter (between the --- lines) is refused: {reason}", source=source, reason=exc
        ) from None
    except yaml.YAMLError as exc:
        problem = " ".join(str(exc).split())  # one line
        raise ValidationError.of(
            "{source}: the front matter (between the --- lines) is not valid YAML: {problem}",
            source=source,
            problem=problem,
        ) from None
    finally:
        loader.dispose()
    if data is None:
        return {}, body.strip()
    if not isinstance(data, dict):
        raise ValidationError.of(
            "{source}: the front matter must be `key: value` lines, e.g. `title: ...`", source=source
        )
    return data, body.strip()


def read_post_file(path: str) -> dict[str, Any]:
    """The fields of the post file at ``path`` (``title``, ``body``, ``channels``, ...), their types checked."""
    try:
        size = os.stat(path).st_size
        if size > MAX_POST_FILE:
            raise ValidationError.of(
                "{path} is {size} bytes, over the limit of {most} for a post file; "
                "put large material on the website and link to it",
                path=path,
                size=size,
                most=MAX_POST_FILE,
            )
        with open(path, "rb") as handle:  # read no more than the limit, even if the file grew meanwhile
            raw = handle.read(MAX_POST_FILE + 1)
        if len(raw) > MAX_POST_FILE:
            raise ValidationError.of(
                "{path} is over the limit of {most} bytes for a post file", path=path, most=MAX_POST_FILE
            )
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError.of(
            "cannot read {path}: {reason}; give a UTF-8 Markdown file", path=path, reason=exc
        ) from None
    meta, body = load_front_matter(text, path)
    fields: dict[str, Any] = {"body": body}
    try:
        for key in ("title", "campaign", "link", "author"):
            if meta.get(key) is not None:
                fields[key] = _text(key, meta[key])
        for key in ("at", "event_at"):
            if meta.get(key) is not None:
                fields[key] = _time(meta[key], key)
        for key, what in (("channels", "channel names"), ("images", "images"), ("tags", "tags")):
            if meta.get(key) is not None:
                fields[key] = _texts(key, meta[key], what)
        if meta.get("overrides") is not None:
            fields["overrides"] = _overrides(meta["overrides"])
    except ValidationError as exc:
        raise ValidationError(f"{path}: front matter {exc}") from None
    return fields


def _text(key: str, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValidationError(wrong_type(key, "text", value))
    return str(value)


def _time(value: Any, key: str = "at") -> str:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if not isinstance(value, str):
        raise ValidationError(wrong_type(key, "a time, e.g. 2026-12-01 16:00", value))
    return value


def _texts(key: str, value: Any, what: str) -> list[str]:
    """One name, or a list of them (numbers are read as text: ``tags: [2026]``)."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(v, str | int) and not isinstance(v, bool) for v in items):
        raise ValidationError(wrong_type(key, f"a list of {what}", value))
    return [str(v) for v in items]


def _overrides(value: Any) -> dict[str, dict[str, str]]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(o, dict) and all(isinstance(v, str) for v in o.values())
        for k, o in value.items()
    ):
        raise ValidationError(wrong_type("overrides", "channel: {title: ..., body: ...}", value))
    return {k: {str(f): v for f, v in o.items()} for k, o in value.items()}
