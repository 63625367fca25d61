"""Which campaigns an entry belongs to: keyword rules, and near-duplicate similarity to our own posts.

**Keywords.** Each campaign has any-of, all-of and none-of lists. All keywords of all campaigns go into one
Aho-Corasick automaton (pyahocorasick), so an entry's folded title and summary are scanned once however many
keywords there are. A campaign matches when at least one any-of keyword is found (if it has any), every all-of
keyword is found, and no none-of keyword is. Keywords are folded like the text (``normalize.fold``): 閱讀月 finds
阅读月, ＡＢＣ finds abc. A keyword of Latin letters or digits must stand as a word (``art`` does not match
``party``); Chinese keywords match anywhere, since Chinese has no word spaces.

**Similarity.** A news site's reprint of our report counts even when it drops our keywords. Each of our published
posts (and each channel's own wording of it) is cut into 3-character shingles; an entry whose shingles are found in
a post at or above ``threshold`` (containment: the share of the *entry's* shingles found in the post, so a feed
that carries only the first paragraph still matches) is a reprint of it. Candidates come from a MinHash LSH
Ensemble index (datasketch), built for containment; each candidate is then checked exactly, so the score is the
true containment, not an estimate. A cheap pre-check (a sample of the entry's shingles against the union of all
posts' shingles) skips the rest for the great majority of entries, which share little with any post.

none-of keywords veto keyword matches only: an entry that copies our post is coverage whatever else it says.
Entries published before a campaign's start are not matched to it.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import zlib
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from publisher.tracker.normalize import SHINGLE, compact, fold, shingles

__all__ = [
    "CampaignRules",
    "KeywordIndex",
    "Match",
    "Matcher",
    "OurPost",
    "Prepared",
    "SimilarityIndex",
    "minhash",
    "prepare",
]

MIN_SHINGLES = 20  # entries with less text than this are matched by keywords only
SAMPLE_STEP = 4  # the pre-check looks at every 4th shingle
NUM_PERM = 128
_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_WORDLIKE = re.compile(r"[a-z0-9]")


@dataclasses.dataclass(frozen=True, kw_only=True)
class CampaignRules:
    campaign_id: int
    any_of: Sequence[str] = ()
    all_of: Sequence[str] = ()
    none_of: Sequence[str] = ()
    starts_at: datetime | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class OurPost:
    post_id: int
    campaign_id: int
    texts: Sequence[str]  # the post's title and body, and each channel's own wording


@dataclasses.dataclass(frozen=True, kw_only=True)
class Match:
    campaign_id: int
    matched_by: str  # keywords | similarity | keywords+similarity
    terms: tuple[str, ...] = ()
    post_id: int | None = None
    score: float = 1.0

    def describe(self) -> str:
        parts = []
        if self.terms:
            parts.append("keywords: " + ", ".join(self.terms))
        if self.post_id is not None:
            parts.append(f"reprint of post {self.post_id} ({self.score:.2f})")
        return "; ".join(parts)


class Prepared:
    """An entry's text, folded once, for every campaign."""

    def __init__(self, title: str, summary: str, body: str = "", published_at: datetime | None = None) -> None:
        self.title, self.summary, self.body, self.published_at = title, summary, body, published_at

    @functools.cached_property
    def keyword_text(self) -> str:
        return self._folded_title + " " + self._folded_summary

    @functools.cached_property
    def _folded_title(self) -> str:
        return fold(self.title)

    @functools.cached_property
    def _folded_summary(self) -> str:
        return fold(_URL.sub(" ", self.summary))

    @functools.cached_property
    def compacted_title(self) -> str:
        return compact(self._folded_title)

    @functools.cached_property
    def compacted_text(self) -> str:
        """The summary or body, compacted; "" when it only repeats the headline (as some feed bridges do)."""
        text = compact(self._folded_summary if not self.body else fold(_URL.sub(" ", self.body)))
        return "" if text == self.compacted_title else text

    @functools.cached_property
    def compacted(self) -> str:
        return self.compacted_title + self.compacted_text

    @functools.cached_property
    def shingles(self) -> set[str]:
        return shingles(self.compacted)


def prepare(title: str, summary: str, body: str = "", published_at: datetime | None = None) -> Prepared:
    return Prepared(title, summary, body, published_at)


def post_shingles(text: str) -> set[str]:
    return shingles(compact(fold(_URL.sub(" ", text))))


class KeywordIndex:
    """Every campaign's keywords in one automaton; ``match`` says which campaigns' rules an entry satisfies."""

    ANY, ALL, NONE = 0, 1, 2

    def __init__(self, rules: Iterable[CampaignRules]) -> None:
        import ahocorasick

        self.rules = [r for r in rules if r.any_of or r.all_of]
        self._terms: list[str] = []  # keyword as the user wrote it, by id
        self._ids: dict[str, int] = {}  # folded keyword -> id
        self._roles: list[list[tuple[int, int]]] = []  # id -> [(campaign index, role)]
        self._needs: list[tuple[int, int]] = []  # campaign index -> (how many any-of, how many all-of)
        automaton = ahocorasick.Automaton()
        for index, rule in enumerate(self.rules):
            counts = [0, 0]
            for role, words in ((self.ANY, rule.any_of), (self.ALL, rule.all_of), (self.NONE, rule.none_of)):
                for word in dict.fromkeys(fold(w) for w in words):
                    if not word:
                        continue
                    term = self._ids.get(word)
                    if term is None:
                        term = self._ids[word] = len(self._terms)
                        self._terms.append(word)
                        self._roles.append([])
                        edges = (bool(_WORDLIKE.match(word[0])), bool(_WORDLIKE.match(word[-1])))
                        automaton.add_word(word, (term, len(word), *edges))
                    self._roles[term].append((index, role))
                    if role != self.NONE:
                        counts[role] += 1
            self._needs.append((counts[0], counts[1]))
        self._originals = {fold(w): w for r in self.rules for w in (*r.any_of, *r.all_of, *r.none_of)}
        self._automaton: Any = automaton
        if self._terms:
            automaton.make_automaton()

    def __len__(self) -> int:
        return len(self._terms)

    def found(self, text: str) -> set[int]:
        """Ids of the keywords in ``text`` (already folded)."""
        if not self._terms:
            return set()
        hits: set[int] = set()
        for end, (term, length, word_start, word_end) in self._automaton.iter(text):
            # a keyword that begins (ends) with a letter or digit must not continue a word there
            start = end - length + 1
            if word_start and start > 0 and _WORDLIKE.match(text[start - 1]):
                continue
            if word_end and end + 1 < len(text) and _WORDLIKE.match(text[end + 1]):
                continue
            hits.add(term)
        return hits

    def match(self, entry: Prepared) -> dict[int, tuple[str, ...]]:
        """campaign id -> the keywords (as written in the rules) that made it match."""
        hits = self.found(entry.keyword_text)
        if not hits:
            return {}
        per_campaign: dict[int, list[list[int]]] = {}
        for term in hits:
            for index, role in self._roles[term]:
                per_campaign.setdefault(index, [[], [], []])[role].append(term)
        matched: dict[int, tuple[str, ...]] = {}
        for index, (any_hits, all_hits, none_hits) in per_campaign.items():
            needs_any, needs_all = self._needs[index]
            if none_hits or (needs_any and not any_hits) or len(all_hits) < needs_all:
                continue
            rule = self.rules[index]
            if rule.starts_at and entry.published_at and entry.published_at < rule.starts_at:
                continue
            terms = sorted({self._originals.get(self._terms[t], self._terms[t]) for t in any_hits + all_hits})
            matched[rule.campaign_id] = tuple(terms)
        return matched


class SimilarityIndex:
    """Documents (shingle sets) by key; ``query`` finds those containing at least ``threshold`` of a query's
    shingles. MinHash LSH Ensemble proposes candidates; exact set arithmetic decides."""

    def __init__(self, threshold: float, min_shingles: int = MIN_SHINGLES) -> None:
        self.threshold = threshold
        self.min_shingles = min_shingles
        self._docs: dict[Any, set[str]] = {}
        self._union: set[str] = set()
        self._lsh: Any = None

    def __len__(self) -> int:
        return len(self._docs)

    def add(self, key: Any, doc: set[str]) -> None:
        if len(doc) < self.min_shingles:
            return
        self._docs[key] = doc
        self._union |= doc
        self._lsh = None

    def plausible(self, text: str) -> bool:
        """A cheap look at every ``SAMPLE_STEP``-th shingle of a compacted text: can any document contain enough of
        it? Only texts that pass are cut into all their shingles. A reprint has most of its shingles in our posts, an
        unrelated text a fifth or so; the sample's margin (0.7 of the threshold) keeps reprints in."""
        if not self._docs or len(text) < self.min_shingles + SHINGLE - 1:
            return False
        union, size = self._union, SHINGLE
        positions = range(0, len(text) - size + 1, SAMPLE_STEP)
        found = sum(1 for i in positions if text[i : i + size] in union)
        return found >= 0.7 * self.threshold * len(positions)

    def query(self, doc: set[str]) -> list[tuple[Any, float]]:
        """(key, containment of ``doc`` in that document), best first, at or above the threshold."""
        if len(doc) < self.min_shingles or not self._docs:
            return []
        if len(doc & self._union) < self.threshold * len(doc):
            return []  # no single document can contain enough of it: skip the MinHash
        if self._lsh is None:
            self._lsh = self._build()
        candidates = self._lsh.query(minhash(doc), len(doc))
        found = []
        for key in candidates:
            score = len(doc & self._docs[key]) / len(doc)
            if score >= self.threshold:
                found.append((key, score))
        found.sort(key=lambda pair: (-pair[1], str(pair[0])))
        return found

    def _build(self) -> Any:
        from datasketch import MinHashLSHEnsemble

        # a lower index threshold than the decision: fewer true reprints lost to the estimate's variance
        lsh = MinHashLSHEnsemble(threshold=max(0.05, self.threshold * 0.7), num_perm=NUM_PERM, num_part=8)
        lsh.index([(key, minhash(doc), len(doc)) for key, doc in self._docs.items()])
        return lsh


@functools.cache
def _permutations() -> tuple[Any, str]:
    from datasketch import MinHash

    template = MinHash(num_perm=NUM_PERM, seed=1)
    return template.permutations, template.scheme


def minhash(doc: set[str]) -> Any:
    """A datasketch MinHash of a shingle set (CRC-32 per shingle, permutations made once per process)."""
    from datasketch import MinHash

    permutations, scheme = _permutations()
    sketch = MinHash(num_perm=NUM_PERM, hashfunc=zlib.crc32, permutations=permutations, scheme=scheme)
    sketch.update_batch([s.encode("utf-8") for s in doc])
    return sketch


class Matcher:
    """Keyword rules and our posts for every campaign, matched against entries."""

    def __init__(self, rules: Iterable[CampaignRules], posts: Iterable[OurPost], similarity: float = 0.6) -> None:
        rules = list(rules)
        self.keywords = KeywordIndex(rules)
        self.starts = {r.campaign_id: r.starts_at for r in rules}
        self.similar = SimilarityIndex(similarity)
        self._campaign_of: dict[int, int] = {}
        for post in posts:
            self._campaign_of[post.post_id] = post.campaign_id
            for number, text in enumerate(post.texts):
                self.similar.add((post.post_id, number), post_shingles(text))

    @property
    def empty(self) -> bool:
        return not len(self.keywords) and not len(self.similar)

    def match(self, entry: Prepared) -> list[Match]:
        by_keywords = self.keywords.match(entry)
        by_post: dict[int, tuple[int, float]] = {}  # campaign -> (post, score)
        if self.similar.plausible(entry.compacted):
            for (post_id, _), score in self.similar.query(entry.shingles):
                campaign = self._campaign_of[post_id]
                start = self.starts.get(campaign)
                if start and entry.published_at and entry.published_at < start:
                    continue
                if campaign not in by_post or score > by_post[campaign][1]:
                    by_post[campaign] = (post_id, score)
        matches = []
        for campaign in sorted(set(by_keywords) | set(by_post)):
            terms = by_keywords.get(campaign, ())
            post = by_post.get(campaign)
            if post is None:
                matches.append(Match(campaign_id=campaign, matched_by="keywords", terms=terms))
            else:
                how = "keywords+similarity" if campaign in by_keywords else "similarity"
                matches.append(Match(campaign_id=campaign, matched_by=how, terms=terms, post_id=post[0], score=post[1]))
        return matches


def overlap(first: set[str], second: set[str]) -> float:
    """Shared shingles over the smaller set's size: 1.0 when one text is wholly inside the other."""
    if not first or not second:
        return 0.0
    return len(first & second) / min(len(first), len(second))
