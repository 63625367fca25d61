"""Where report files go, and writing them so that a half-written file never looks like a finished one."""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

__all__ = ["EXTENSIONS", "atomic", "base_name", "default_path"]

#: the file each format makes by default (CSV: a zip of one file per table)
EXTENSIONS = {"csv": "-csv.zip", "xlsx": ".xlsx", "json": ".json", "md": ".md", "html": ".html"}
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\s]+')


def base_name(campaign: str, when: datetime, lang: str) -> str:
    """``report-<campaign>-<YYYYMMDD-HHMM>-<lang>``: the campaign's name kept (Chinese is fine), path characters
    dropped; the language in the name, so the Chinese and the English report of the same minute are two files."""
    name = _UNSAFE.sub("-", campaign).strip("-.") or "campaign"
    return f"report-{name}-{when:%Y%m%d-%H%M}-{_UNSAFE.sub('-', lang) or 'zh'}"


def default_path(folder: Path, base: str, fmt: str) -> Path:
    return folder / f"{base}{EXTENSIONS[fmt]}"


@contextlib.contextmanager
def atomic(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path``, renamed onto it when the block succeeds and removed when it fails."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        yield temporary
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
