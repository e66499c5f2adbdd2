"""The answer engine: a question -> the best sections of the notes, or a polite decline."""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bot.answers import generality, passage
from bot.answers.generality import topic_weight
from bot.answers.repair import QueryRepair, speller_for
from bot.answers.types import Answer, Result
from bot.errors import QuestionError
from bot.index.bm25 import BM25Params
from bot.index.build import SearchIndex, Weights
from bot.index.grams import hangul_bigrams
from bot.index.store import NoteEntry, SectionList
from bot.notes.install import InstallSnippet, choose_snippets, lookup
from bot.notes.section import Section
from bot.text import clip
from bot.tokens.analyzer import Analyzer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Tuning:
    """Ranking knobs; the defaults are the ones chosen on eval/ (python -m bot eval)."""

    weights: Weights = field(default_factory=Weights)
    bm25: BM25Params = field(default_factory=BM25Params)
    gram_weight: float = 0.2  # weight of the Hangul-bigram score added to the morpheme score
    min_confidence: float = 0.30  # share of the question's IDF mass the best section must cover
    known_topic_weight: float = 2.0  # a dictionary term missing from the notes counts this many times
    generality: bool = True  # an everyday word missing from the notes counts less (answers/generality.py)
    max_question_chars: int = 500
    spelling: bool = True
    diversify: bool = True  # related results never repeat what an earlier result already shows


@dataclass(frozen=True)
class BuildReport:
    files: int
    sections: int
    retokenized: int  # files parsed and tokenized in this build (the rest came from the cache)
    warnings: tuple[str, ...]
    seconds: float


SHOWN_CHARS = 4096  # what one Discord embed shows of an answer
_MENTION = re.compile(r"@(?:everyone|here)\b|<(?:@[!&]?|#)\d+>")


def shows(a: Section, b: Section) -> bool:
    """Section a's first SHOWN_CHARS characters include section b (b is a sub-section near its top)."""
    if a.source != b.source or b.line <= a.line:
        return False
    k = b.line - a.line
    lines = a.text.split("\n", k)
    return len(lines) > k and len(a.text) - len(lines[k]) < SHOWN_CHARS


class Engine:
    def __init__(
        self,
        index: SearchIndex,
        analyzer: Analyzer,
        tuning: Tuning,
        report: BuildReport,
        entries: dict[str, NoteEntry],
    ) -> None:
        self.index = index
        self.analyzer = analyzer
        self._snippets: list[InstallSnippet] | None = None
        self.tuning = tuning
        self.report = report
        self.entries = entries  # per note file: what the next incremental reindex may reuse
        bm = index.bm25
        self._max_idf = float(bm.idf.max()) if len(bm.idf) else 1.0
        self._repair_table: QueryRepair | None = None
        self._examples: list[str] | None = None

    # -- building ----------------------------------------------------------------------------------
    @classmethod
    def build(cls, folder: Path, tuning: Tuning | None = None, analyzer: Analyzer | None = None) -> Engine:
        """A fresh in-memory build with no cache (evaluation, tests). The bot uses IndexStore."""
        from bot.index.store import IndexStore

        store = IndexStore(folder, None)
        if analyzer is None:
            return store.load_or_build(tuning or Tuning())
        return store.rebuild(tuning or Tuning(), None, analyzer=analyzer)

    @classmethod
    def from_index(
        cls,
        index: SearchIndex,
        analyzer: Analyzer,
        tuning: Tuning,
        entries: dict[str, NoteEntry],
        warnings: list[str],
        started: float,
        retokenized: int,
    ) -> Engine:
        report = BuildReport(
            len(entries),
            len(index.sections),
            retokenized,
            tuple(warnings),
            round(time.perf_counter() - started, 3),
        )
        return cls(index, analyzer, tuning, report, entries)

    @property
    def snippets(self) -> list[InstallSnippet]:
        """Install snippets per distro (worked out on first use: a question never needs them)."""
        if self._snippets is None:
            distros = self.analyzer.lexicon.distros
            per_section = [found for e in self.entries.values() for found in e.snippets(distros)]
            self._snippets = choose_snippets(per_section)
        return self._snippets

    # -- questions ---------------------------------------------------------------------------------
    def question_tokens(self, question: str) -> list[str]:
        """The question's search tokens after typo repair (may be empty: "안녕", "은는이가", emoji).

        Raises QuestionError only for a question with nothing in it.
        """
        # Discord mention syntax is never the topic: "@everyone 도커 설치" asks about 도커 설치.
        text = " ".join(_MENTION.sub(" ", question).split())
        if not text:
            raise QuestionError(
                "질문이 비어 있어요. 노트에 대해 물어봐 주세요 (예: 도커 설치 방법). / The question is empty."
            )
        text = clip(text, self.tuning.max_question_chars)
        tokens = self.analyzer.tokenize(text)
        if tokens and self.tuning.spelling:
            tokens = self._repair(tokens)
        return tokens

    def _repair(self, tokens: list[str]) -> list[str]:
        if all(t in self.index.bm25.vocab for t in tokens):
            return tokens
        return self.repair(tokens)

    @property
    def repair(self) -> QueryRepair:
        if self._repair_table is None:  # warm_up() builds it at start-up; lazily otherwise
            bm = self.index.bm25
            vocab, df = bm.vocab, bm.df
            speller = speller_for(bm.terms)  # shared with the engines before and after this one
            is_word = generality.is_word if self.tuning.generality else None
            self._repair_table = QueryRepair(vocab, lambda w: float(df[vocab[w]]), speller, is_word)
        return self._repair_table

    def warm_up(self) -> None:
        """Pay the one-time costs (Kiwi's lazy model load, the typo table) before the first question."""
        self.analyzer.warm_up()
        _ = self.repair, self.snippets
        self.examples()
        if self.tuning.generality:
            generality.load()

    def _confidence(self, tokens: list[str], doc: int) -> float:
        """Share of the question's IDF mass that the section contains.

        A word the notes never use weighs as much as the rarest word when it is a specific word (it is
        probably the topic: "nginx"), less when it is an everyday word ("중요", "앱"); a topic the
        dictionary knows but the notes lack ("리액트") weighs more, and the maintainers' question words
        ("쓰", "점", "방법") weigh nothing: they say nothing about the topic.
        """
        bm = self.index.bm25
        lex = self.analyzer.lexicon
        total = found = 0.0
        for t in dict.fromkeys(tokens):
            i = bm.vocab.get(t)
            if i is None:
                if t in lex.terms:
                    total += self._max_idf * self.tuning.known_topic_weight
                elif t not in lex.question_words:
                    total += self._max_idf * (topic_weight(t) if self.tuning.generality else 1.0)
                continue
            w = max(float(bm.idf[i]), 1e-3)
            total += w
            row = bm.postings(i)
            k = np.searchsorted(row, doc)
            if k < len(row) and row[k] == doc:
                found += w
        return found / total if total else 0.0

    def scores(self, question: str, tokens: list[str]) -> np.ndarray:
        """Morpheme BM25 plus the weighted Hangul-bigram BM25, for every section."""
        scores = self.index.bm25.get_scores(tokens)
        if self.tuning.gram_weight:
            grams = hangul_bigrams(clip(question, self.tuning.max_question_chars))
            scores += self.tuning.gram_weight * self.index.grams.get_scores(grams)
        return scores

    def ask(self, question: str, top: int = 3) -> Answer:
        tokens = self.question_tokens(question)
        if not tokens:
            return Answer(
                question,
                False,
                (),
                "질문에서 찾을 만한 낱말이 없어요. 노트의 주제로 물어봐 주세요. "
                "/ No searchable words in the question.",
                tuple(self.examples(3)),
            )
        scores = self.scores(question, tokens)
        top = max(1, top)
        # Over-fetch, then drop sections an earlier result already shows (a parent shows its children).
        k = min(top * 4 if self.tuning.diversify else top, len(scores))
        best = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        ranked = [i for i in sorted(best.tolist(), key=lambda i: (-scores[i], i)) if scores[i] > 0]
        secs = self.index.sections
        order: list[int] = []
        for i in ranked:
            if len(order) == top:
                break
            if not (self.tuning.diversify and any(shows(secs[j], secs[i]) for j in order)):
                order.append(i)
        if not order or self._confidence(tokens, order[0]) < self.tuning.min_confidence:
            near = [secs[i].title for i in order][:3]
            return Answer(
                question,
                False,
                (),
                "노트에서 이 질문에 맞는 내용을 찾지 못했어요. / The notes do not cover this question.",
                tuple(near or self.examples(3)),
            )
        terms = passage.question_terms(self.index.bm25, self.analyzer.lexicon, tokens)
        results = (Result(secs[i], float(scores[i]), passage.select(secs[i], terms)) for i in order)
        return Answer(question, True, tuple(results))

    # -- the rest of the contract ------------------------------------------------------------------
    def install(self, distro: str) -> InstallSnippet:
        return lookup(self.snippets, distro)

    def examples(self, n: int = 5) -> list[str]:
        """Section titles worth asking about: shallow headings first, one per title."""
        if self._examples is None:  # once per engine, not on every decline
            secs = self.index.sections
            if isinstance(secs, SectionList):  # from the saved levels: no Section objects for every file
                levels = secs.levels()
            else:
                levels = np.asarray([s.level for s in secs], dtype=np.int64)
            deep = np.flatnonzero(levels >= 2)
            seen: dict[str, None] = {}
            for i in deep[np.argsort(levels[deep], kind="stable")].tolist():  # level 2 first, file order
                seen.setdefault(secs[i].title)
                if len(seen) >= 25:
                    break
            self._examples = list(seen)
        return self._examples[:n]
