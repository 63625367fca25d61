"""Write publisher/tracker/opencc_changes.txt: the characters that make OpenCC's hk2s and tw2s change a text.

    .venv/bin/python scripts/opencc_changes.py [--check]

``fold`` skips OpenCC for a text holding none of them. A dictionary entry can change a text only where the text
holds the entry's key, and the key holds a character the entry changes (for an entry whose value has another length
than its key, every character of the key counts): those characters are the list. Then the list is narrowed:
a character that one step changes and a later step changes back (HKVariantsRev makes 台 臺, TSCharacters makes it
台 again), alone and in every key and value of every dictionary (and those with such a character put back in),
is dropped; 台, 温 and 才 are everyday mainland characters. The dictionaries are read from the installed OpenCC with
its own ``opencc_dict`` tool; run this after upgrading OpenCC (the test suite runs it with ``--check``, and checks
``fold`` against the always-converting reference on every key and value).
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import opencc

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "publisher" / "tracker" / "opencc_changes.txt"
CONFIGS = ("hk2s.json", "tw2s.json")


def _dictionary_files(node: object) -> set[str]:
    """Every ``file`` named anywhere in a config (normalisation, segmentation and each conversion step)."""
    if isinstance(node, dict):
        found = {node["file"]} if isinstance(node.get("file"), str) else set()
        return found.union(*(_dictionary_files(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(_dictionary_files(value) for value in node))
    return set()


def dictionary_entries() -> list[tuple[str, list[str]]]:
    """(key, values) of every dictionary hk2s and tw2s use."""
    clib = Path(opencc.__file__).parent / "clib"
    share = clib / "share" / "opencc"
    files = set().union(*(_dictionary_files(json.loads((share / c).read_text(encoding="utf-8"))) for c in CONFIGS))
    environment = {**os.environ, "LD_LIBRARY_PATH": str(clib / "lib64")}
    tool = str(clib / "bin" / "opencc_dict")
    entries = []
    with tempfile.TemporaryDirectory() as folder:
        for name in sorted(files):
            text = Path(folder) / (name + ".txt")
            subprocess.run(
                [
                    tool,
                    "-i",
                    str(share / name),
                    "-o",
                    str(text),
                    "-f",
                    "ocd2",
                    "-t",
                    "text",
                ],
                check=True,
                env=environment,
                capture_output=True,
            )
            for line in text.read_text(encoding="utf-8").splitlines():
                key, _, values = line.partition("\t")
                entries.append((key, values.split(" ")))
    return entries


def test_texts(entries: list[tuple[str, list[str]]], restored: set[str]) -> set[str]:
    """Every key and value, and each with the characters some step turned a restored character into put back."""
    images: dict[str, set[str]] = {}
    for key, values in entries:
        if key in restored:
            for value in values:
                if len(value) == 1:
                    images.setdefault(value, set()).add(key)
    texts: set[str] = set()
    for key, values in entries:
        for text in (key, *values):
            choices = [[c, *sorted(images.get(c, ()))] for c in text]
            if sum(len(choice) > 1 for choice in choices) <= 3:
                texts.update(map("".join, itertools.product(*choices)))
            else:
                texts.add(text)
    return texts


def candidate_characters(entries: list[tuple[str, list[str]]]) -> set[str]:
    """The characters some entry changes (for an entry of another length, its whole key)."""
    changed: set[str] = set()
    for key, values in entries:
        for value in values:
            if len(value) == len(key):
                changed.update(k for k, v in zip(key, value, strict=True) if k != v)
            else:
                changed.update(key)
    return changed


def changed_characters(entries: list[tuple[str, list[str]]]) -> str:
    from publisher.tracker.normalize import to_simplified

    changed = candidate_characters(entries)
    restored = {c for c in changed if to_simplified(c) == c}
    needed: set[str] = set()
    for text in test_texts(entries, restored):
        out = to_simplified(text)
        if len(out) != len(text):
            needed.update(c for c in text if c in restored)
        else:
            needed.update(a for a, b in zip(text, out, strict=True) if a != b and a in restored)
    return "".join(sorted(changed - restored | needed))


def main() -> int:
    found = changed_characters(dictionary_entries())
    if "--check" in sys.argv[1:]:
        kept = OUT.read_text(encoding="utf-8").strip()
        if kept != found:
            print(f"{OUT} is out of date: run scripts/opencc_changes.py", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(found + "\n", encoding="utf-8")
    print(f"{len(found)} characters written to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
