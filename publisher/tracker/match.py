"""Which campaigns an entry belongs to: keyword rules, and near-duplicate similarity to our own posts.

**Keywords.** Each campaign has any-of, all-of and none-of lists. All keywords of all campaigns go into one
Aho-Corasick automaton (pyahocorasick), so an entry's folded title and summary are scanned once however many
keywords there are. A campaign matches when at least one any-of keyword is found (if it has any), every all-of
keyword is found, and no none-of keyword is. Keywords are folded like the text (``normalize.fold``): 閱讀月 finds
阅读月, ＡＢＣ finds abc. A keyword of Latin letters or digits must stand as a word (``art`` does not match
``party``); Chinese keywords match anywhere, since Chinese has no word spaces.

**Similarity.** A news site's reprint of our report counts even when it drops our keywords, and even when the feed
carries only a reworded headline (WeChat bridges do). Each text is folded, a leading outlet tag such as 【区教育局】
is dropped, and it is cut into character unigrams and bigrams (``grams``). A gram weighs by how rare it is in the
corpus the matcher knows, our posts plus any entries it was given (``corpus=``, ``observe``; counts kept in memory
per matcher; a pass gives none, so that every parse worker scores an entry alike):
``weight = max(0, ln((N + 1) / (df + 1)) - 2)``, with ``N`` at least ``MIN_DOCUMENTS`` (a handful of posts says
little about which characters are common) and ``df`` at least ``RARE_SHARE`` of ``N`` (one novel word must not
outweigh a shared name). A gram in more than about one document in seven weighs nothing, so dates, the district's
name and phrases like 开展主题教育活动 count for little and the people, schools and events that make a story count
most. An entry reprints a post when the weight of its grams found in the post is at least ``threshold`` of the
weight of all its grams (weighted containment: a shorter title or a first paragraph still counts). There is no
cut-off for short entries. The headline and the first ``TEXT_CHARS`` characters of the summary or body are compared.
A text over ``SAMPLE_FROM`` characters is first looked at through every third bigram (``plausible``); then only
posts sharing a rare gram with the entry (one found in at most ``CANDIDATE_SHARE`` of the documents) are scored,
through an inverted index gram -> posts. The threshold (``SIMILARITY``) was calibrated on the labelled set in
``tests/data/reprints`` (docs/tracker.md).

none-of keywords veto keyword matches only: an entry that copies our post is coverage whatever else it says.
Entries published before a campaign's start are not matched to it.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import operator
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar, overload

from publisher.tracker.normalize import compact, fold

__all__ = [
    "CampaignRules",
    "KeywordIndex",
    "Match",
    "Matcher",
    "OurPost",
    "Prepared",
    "SimilarityIndex",
    "Vocabulary",
    "grams",
    "prepare",
    "similarity",
]

SIMILARITY = 0.58  # weighted containment for a reprint, calibrated on tests/data/reprints (docs/tracker.md)
STORY_SIMILARITY = 0.55  # weighted cosine for two items to be one story (record.Groups), calibrated there too
MIN_DOCUMENTS = 50  # the corpus is taken to hold at least this many documents
RARE_SHARE = 0.02  # a gram in fewer documents than this share is as rare as a gram seen once
COMMON = 2.0  # subtracted from ln(N / df): a gram in more than e^-2 (about a seventh) of the documents weighs nothing
CANDIDATE_SHARE = 0.05  # a post is scored only when it shares with the entry a gram in at most this share
TEXT_CHARS = 200  # characters of summary or body compared after the headline: a reprint shows in its opening
SAMPLE_FROM = 64  # characters: a longer text is first looked at through a sample of its bigrams (``plausible``)
SAMPLE_STEP = 3  # every third bigram
_TAG_OPENERS = frozenset("【[［〖")
_SOURCE_TAG = re.compile(r"^\s*[【\[［〖][^】\]］〗]{1,20}[】\]］〗]")
# https?:// or www., either case; it starts with a plain class, so the engine skips ahead in C (4 µs -> 0.7 µs on a
# 250-character summary, which case-blind alternatives cost at every position)
_URL = re.compile(r"[hHwW](?:(?<=[hH])(?i:ttps?://)|(?<=[wW])(?i:ww\.))\S+")
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


_T = TypeVar("_T")


class _once(Generic[_T]):
    """``functools.cached_property`` without the lock Python 3.11 takes on each first read (gone in 3.12): a
    prepared entry is read by one thread, and the lock cost a sixth of folding and matching."""

    def __init__(self, compute: Callable[[Any], _T]) -> None:
        self.compute, self.name = compute, compute.__name__

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> _once[_T]: ...
    @overload
    def __get__(self, instance: object, owner: type | None = None) -> _T: ...
    def __get__(self, instance: object | None, owner: type | None = None) -> _T | _once[_T]:
        if instance is None:
            return self
        value = instance.__dict__[self.name] = self.compute(instance)  # later reads find it there, not here
        return value


class Prepared:
    """An entry's text, folded once, for every campaign."""

    def __init__(self, title: str, summary: str, body: str = "", published_at: datetime | None = None) -> None:
        self.title, self.summary, self.body, self.published_at = title, summary, body, published_at

    def __getstate__(self) -> dict[str, Any]:
        # sent back from a parse worker: the text, not its folded forms (the writer needs them for the few entries
        # that matched, and unpickling them all cost the tracker's busiest thread a second per thousand feeds)
        return {"title": self.title, "summary": self.summary, "body": self.body, "published_at": self.published_at}

    @_once
    def keyword_text(self) -> str:
        return self._folded_title + " " + self._folded_summary

    @_once
    def _folded_title(self) -> str:
        return fold(self.title)

    @_once
    def _folded_summary(self) -> str:
        return fold(_URL.sub(" ", self.summary))

    @_once
    def compacted_title(self) -> str:
        return compact(self._folded_title)

    @_once
    def compacted_text(self) -> str:
        """The summary or body, compacted; "" when it only repeats the headline (as some feed bridges do)."""
        text = compact(self._folded_summary if not self.body else fold(_URL.sub(" ", self.body)))
        return "" if text == self.compacted_title else text

    @_once
    def compacted(self) -> str:
        return self.compacted_title + self.compacted_text

    @_once
    def gram_text(self) -> str:
        """What similarity compares, compacted: the headline without its outlet tag, and the opening of the summary
        or body."""
        title = self.compacted_title
        if self.title[:2].lstrip()[:1] in _TAG_OPENERS and (tag := _SOURCE_TAG.match(self.title)):
            title = compact(fold(self.title[tag.end() :]))
        return title + self.compacted_text[:TEXT_CHARS]

    @_once
    def grams(self) -> frozenset[str]:
        return grams(self.gram_text)


def prepare(title: str, summary: str, body: str = "", published_at: datetime | None = None) -> Prepared:
    return Prepared(title, summary, body, published_at)


def grams(compacted: str) -> frozenset[str]:
    """Every character and every two adjacent characters of an already compacted text."""
    return frozenset((*compacted, *map(operator.add, compacted, compacted[1:])))


def post_grams(text: str) -> frozenset[str]:
    return grams(compact(fold(_URL.sub(" ", text))))


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


class Vocabulary:
    """How many documents of the corpus (our posts, and the entries given) hold each gram, and so what a gram weighs
    (see the module docstring). The weights are worked out once per change of the counts."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.documents = 0
        self._weights: dict[str, float] | None = None
        self._unseen = 0.0  # the weight of a gram no document holds

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_weights": None}  # sent to parse workers: the counts, not what follows from them

    def add(self, documents: Iterable[frozenset[str]]) -> None:
        for doc in documents:
            self.counts.update(doc)
            self.documents += 1
        self._weights = None

    @property
    def size(self) -> float:
        return float(max(self.documents, MIN_DOCUMENTS))

    @property
    def weights(self) -> dict[str, float]:
        if self._weights is None:
            size = self.size
            by_count: dict[int, float] = {}  # most grams share a handful of counts
            for count in {0, *self.counts.values()}:
                rarity = math.log((size + 1) / (max(count, RARE_SHARE * size) + 1)) - COMMON
                by_count[count] = max(rarity, 0.0)
            self._unseen = by_count[0]
            self._weights = {gram: by_count[count] for gram, count in self.counts.items()}
        return self._weights

    @property
    def unseen(self) -> float:
        """The weight of a gram no document holds."""
        _ = self.weights
        return self._unseen

    def weight(self, gram: str) -> float:
        return self.weights.get(gram, self.unseen)

    def total(self, doc: Iterable[str]) -> float:
        return sum(map(self.weights.get, doc, itertools.repeat(self.unseen)))

    def rare(self, gram: str) -> bool:
        return self.counts.get(gram, 0) <= CANDIDATE_SHARE * self.size


def similarity(
    first: frozenset[str], second: frozenset[str], vocabulary: Vocabulary, totals: tuple[float, float] | None = None
) -> float:
    """Two items' weighted cosine (Ochiai): the weight they share over the geometric mean of their weights, 1.0 for
    the same text. For stories (``record.Groups``): symmetric, so a short headline that shares a school's name with a
    long story does not join it, as it would by its share of its own text. ``totals``: the two weights, if known."""
    first_total, second_total = totals or (vocabulary.total(first), vocabulary.total(second))
    product = first_total * second_total
    return vocabulary.total(first & second) / math.sqrt(product) if product > 0 else 0.0


class SimilarityIndex:
    """Documents (gram sets) by key; ``query`` finds those holding at least ``threshold`` of a query's weight.
    Only documents sharing a rare gram with the query are scored (an inverted index of the rare grams)."""

    def __init__(self, threshold: float, vocabulary: Vocabulary | None = None) -> None:
        self.threshold = threshold
        self.vocabulary = vocabulary or Vocabulary()
        self._docs: dict[Any, frozenset[str]] = {}
        self._postings: dict[str, list[Any]] = {}
        self._union: set[str] = set()  # every document's grams
        self._rare: dict[str, list[Any]] | None = None  # the postings of rare grams, rebuilt when counts change
        self._rare_grams: set[str] = set()
        self._rare_at = -1  # the vocabulary's size when it was built

    def __len__(self) -> int:
        return len(self._docs)

    def add(self, key: Any, doc: frozenset[str]) -> None:
        """Index ``doc``; kept up to date as documents come (a pass adds its stories' items one by one)."""
        self._docs[key] = doc
        self._union |= doc
        for gram in doc:
            keys = self._postings.setdefault(gram, [])
            keys.append(key)
            # a rare gram's entry is its postings list itself, so only a gram new to the index needs adding
            if len(keys) == 1 and self._rare is not None and self.vocabulary.rare(gram):
                self._rare[gram] = keys
                self._rare_grams.add(gram)

    def candidates(self, doc: frozenset[str]) -> set[Any]:
        """Keys of the documents sharing a rare gram with ``doc``."""
        vocabulary = self.vocabulary
        if self._rare is None or self._rare_at != vocabulary.documents:
            self._rare = {g: keys for g, keys in self._postings.items() if vocabulary.rare(g)}
            self._rare_grams = set(self._rare)
            self._rare_at = vocabulary.documents
        rare = self._rare
        found: set[Any] = set()
        for gram in doc & self._rare_grams:
            found.update(rare[gram])
        return found

    def plausible(self, compacted: str) -> bool:
        """A cheap look at a long text before it is cut into all its grams: could any document hold enough of it?
        Every ``SAMPLE_STEP``-th bigram is looked up; a reprint has most of its weight in our posts, an unrelated
        text little, and the margin (half the threshold, over bigrams only) keeps reprints in."""
        if len(compacted) < SAMPLE_FROM or not self._docs:
            return bool(self._docs)
        union, weights, unseen = self._union, self.vocabulary.weights, self.vocabulary.unseen
        sample = list(map(operator.add, compacted[::SAMPLE_STEP], compacted[1::SAMPLE_STEP]))  # bigrams 0, 3, 6...
        total = sum(map(weights.get, sample, itertools.repeat(unseen)))
        inside = sum(map(weights.get, union.intersection(sample), itertools.repeat(unseen)))
        return total > 0 and inside >= 0.5 * self.threshold * total

    def query(self, doc: frozenset[str]) -> list[tuple[Any, float]]:
        """(key, weighted containment of ``doc`` in that document), best first, at or above the threshold."""
        if not self._docs or not doc:
            return []
        total = self.vocabulary.total(doc)
        # no document can hold more of ``doc`` than all of them together: most entries stop here
        if total <= 0 or self.vocabulary.total(doc & self._union) < self.threshold * total:
            return []
        found = []
        for key in self.candidates(doc):
            score = self.vocabulary.total(doc & self._docs[key]) / total
            if score >= self.threshold:
                found.append((key, score))
        found.sort(key=lambda pair: (-pair[1], str(pair[0])))
        return found


class Matcher:
    """Keyword rules and our posts for every campaign, matched against entries. Gram counts come from the posts and
    from ``corpus`` (texts the tracker has seen; more can be added with ``observe``)."""

    def __init__(
        self,
        rules: Iterable[CampaignRules],
        posts: Iterable[OurPost],
        similarity: float = SIMILARITY,
        corpus: Iterable[str] = (),
    ) -> None:
        rules = list(rules)
        self.keywords = KeywordIndex(rules)
        self.starts = {r.campaign_id: r.starts_at for r in rules}
        self.vocabulary = Vocabulary()
        self.similar = SimilarityIndex(similarity, self.vocabulary)
        self._campaign_of: dict[int, int] = {}
        for post in posts:
            self._campaign_of[post.post_id] = post.campaign_id
            texts = [post_grams(text) for text in post.texts]
            for number, doc in enumerate(texts):
                self.similar.add((post.post_id, number), doc)
            self.vocabulary.add([frozenset().union(*texts)])  # one document per post, whatever its wordings
        self.vocabulary.add(post_grams(text) for text in corpus)

    def observe(self, entries: Iterable[Prepared]) -> None:
        """Count these entries' grams in the corpus (before matching them, so their own words count as seen)."""
        self.vocabulary.add(entry.grams for entry in entries)

    @property
    def empty(self) -> bool:
        return not len(self.keywords) and not len(self.similar)

    def match(self, entry: Prepared) -> list[Match]:
        by_keywords = self.keywords.match(entry)
        by_post: dict[int, tuple[int, float]] = {}  # campaign -> (post, score)
        if self.similar.plausible(entry.gram_text):
            for (post_id, _), score in self.similar.query(entry.grams):
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
