"""The labelled reprint set (tests/data/reprints, described in its README.md): loading it, matching it, scoring it.

Shared by tests/tracker/test_reprints.py (which asserts the figures on the fixed test part) and bench/tracker.py
(which prints them, and the calibration).
"""

from __future__ import annotations

import dataclasses
import functools
import json
from pathlib import Path

from publisher.tracker.match import Matcher, OurPost, Prepared, prepare

LABELLED = Path(__file__).resolve().parent.parent / "data" / "reprints" / "labelled.jsonl"
CAMPAIGN = 1
PARTS = ("calibration", "test")


@dataclasses.dataclass(frozen=True)
class Post:
    post: int
    part: str
    title: str
    body: str


@dataclasses.dataclass(frozen=True)
class Entry:
    id: str
    label: str  # reprint | near_miss | unrelated
    post: int | None  # the post it reprints, or nearly matches; None for unrelated entries
    part: str
    title: str
    summary: str


@dataclasses.dataclass(frozen=True)
class Figures:
    threshold: float
    part: str
    true_positives: int
    false_positives: int
    false_negatives: int
    wrong: tuple[tuple[str, str, float, int | None], ...]  # (entry id, title, best score, best post)

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        wanted = self.true_positives + self.false_negatives
        return self.true_positives / wanted if wanted else 1.0

    def line(self) -> str:
        return (
            f"{self.part}: threshold {self.threshold:.2f}  precision {self.precision:.3f}  recall {self.recall:.3f}  "
            f"(tp {self.true_positives}, fp {self.false_positives}, fn {self.false_negatives})"
        )


@functools.cache
def load() -> tuple[tuple[Post, ...], tuple[Entry, ...]]:
    posts, entries = [], []
    for line in LABELLED.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row.pop("type") == "post":
            posts.append(Post(**row))
        else:
            entries.append(Entry(**row))
    return tuple(posts), tuple(entries)


def build(*, corpus: bool = True) -> tuple[Matcher, list[tuple[Entry, Prepared]]]:
    """A matcher over the set's posts (one campaign, scoring every entry against every post) and the entries
    prepared; with ``corpus`` the matcher has seen every entry first, as a tracker that polled them."""
    posts, entries = load()
    matcher = Matcher(
        [], [OurPost(post_id=p.post, campaign_id=CAMPAIGN, texts=[p.title + "\n" + p.body]) for p in posts], 0.0
    )
    prepared = [(e, prepare(e.title, e.summary)) for e in entries]
    if corpus:
        matcher.observe(p for _, p in prepared)
    return matcher, prepared


def best_scores(*, corpus: bool = True) -> list[tuple[Entry, float, int | None]]:
    """Each entry with its best score against any post and that post (threshold 0: every candidate scored)."""
    matcher, prepared = build(corpus=corpus)
    scored = []
    for entry, text in prepared:
        found = [m for m in matcher.match(text) if m.post_id is not None]
        scored.append((entry, found[0].score, found[0].post_id) if found else (entry, 0.0, None))
    return scored


def figures(scored: list[tuple[Entry, float, int | None]], threshold: float, part: str) -> Figures:
    """Precision and recall on reworded reprints: a reprint found is one matched to its own post; anything else
    matched (a near miss, an unrelated entry, a reprint given to the wrong post) is a false positive."""
    tp = fp = fn = 0
    wrong = []
    for entry, score, post in scored:
        if entry.part != part:
            continue
        got = post if score >= threshold else None
        if entry.label == "reprint" and got == entry.post:
            tp += 1
            continue
        if entry.label == "reprint":
            fn += 1
        if got is not None:
            fp += 1
        if entry.label == "reprint" or got is not None:
            wrong.append((entry.id, entry.title, round(score, 3), post))
    return Figures(threshold, part, tp, fp, fn, tuple(wrong))


def calibrate(scored: list[tuple[Entry, float, int | None]]) -> Figures:
    """The threshold (in steps of 0.01) with the best F1 on the calibration part; the lowest such."""
    best: Figures | None = None
    for step in range(5, 100):
        found = figures(scored, step / 100, "calibration")
        if best is None or _f1(found) > _f1(best) + 1e-9:
            best = found
    assert best is not None
    return best


def _f1(found: Figures) -> float:
    p, r = found.precision, found.recall
    return 2 * p * r / (p + r) if p + r else 0.0
