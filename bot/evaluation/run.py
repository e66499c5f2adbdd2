"""`python -m bot eval`: hit@1, hit@3, MRR and off-topic decline on eval/*.jsonl, ours beside the peers."""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bot.answers.engine import Engine, Tuning
from bot.answers.semantic import SemanticWorker
from bot.answers.service import tuning_from
from bot.answers.store import build_engine
from bot.config import Config
from bot.evaluation.data import (
    DEFAULT_CORPORA,
    EVAL_DIR,
    SEED_KNOWLEDGE,
    Question,
    corpora_folder,
    load_question_file,
    load_questions,
)
from bot.evaluation.peers import Peer, kiwi_default_tokenizer, whitespace_tokenize
from bot.index.vectors import Chunks
from bot.notes.section import Section

Ranker = Callable[[str], tuple[bool, list[Section]]]  # question -> (answered, ranked sections)


@dataclass
class Scores:
    system: str
    questions: int
    hit1: float
    hit3: float
    mrr: float
    offtopic: int
    declined: float  # off-topic questions declined
    false_declines: int  # in-scope questions declined
    misses: list[str]

    def row(self) -> str:
        return (
            f"{self.system:<18} {self.hit1:6.3f} {self.hit3:6.3f} {self.mrr:6.3f} "
            f"{self.declined:8.3f} {self.false_declines:7d}"
        )


def _hit(q: Question, s: Section, strict: bool) -> bool:
    if any(e.matches(s.source, s.title, s.line) for e in q.expect):
        return True
    return not strict and any(e.shown_in(s.source, s.line, s.text) for e in q.expect)


def score(system: str, questions: Sequence[Question], ranker: Ranker, strict: bool = False) -> Scores:
    """strict: only the wanted section itself counts; otherwise also an ancestor that shows it."""
    hit1 = hit3 = rr = 0.0
    in_scope = off = declined = false_declines = 0
    misses = []
    for q in questions:
        answered, ranked = ranker(q.q)
        if q.offtopic:
            off += 1
            declined += not answered
            if answered:
                misses.append(f"[offtopic answered] {q.q} -> {ranked[0].title if ranked else '-'}")
            continue
        in_scope += 1
        if not answered:
            false_declines += 1
            misses.append(f"[declined] {q.q}")
            continue
        rank = next((n for n, s in enumerate(ranked[:10], 1) if _hit(q, s, strict)), None)
        if rank == 1:
            hit1 += 1
        else:
            got = f"{ranked[0].title} @{ranked[0].line}" if ranked else "-"
            misses.append(f"[{q.kind}] {q.q} -> {got} (want {q.expect[0].title}; rank {rank})")
        if rank is not None and rank <= 3:
            hit3 += 1
        if rank is not None:
            rr += 1 / rank
    n = max(in_scope, 1)
    return Scores(
        system, in_scope, hit1 / n, hit3 / n, rr / n, off, declined / max(off, 1), false_declines, misses
    )


def ours(engine: Engine) -> Ranker:
    def rank(q: str) -> tuple[bool, list[Section]]:
        ans = engine.ask(q, top=10)
        return ans.answered, [r.section for r in ans.results]

    return rank


def peer(p: Peer) -> Ranker:
    def rank(q: str) -> tuple[bool, list[Section]]:
        order = p.rank(q)
        return bool(order), [p.sections[i] for i in order]

    return rank


# (label, question file, knowledge folder, "set" field filter): the tuning sets, then the held-out set.
RUNS = (
    ("seed", "seed", "seed", ""),
    ("corpora", "corpora", "corpora", ""),
    ("heldout seed", "heldout", "seed", "seed"),
    ("heldout corpora", "heldout", "corpora", "corpora"),
    ("heldout2 seed", "heldout2", "seed", "seed"),
    ("heldout2 corpora", "heldout2", "corpora", "corpora"),
    # Written blind (a helper who saw neither the engine's answers nor the other sets), used for tuning.
    ("passages_dev seed", "passages_dev", "seed", "seed"),
    ("passages_dev corpora", "passages_dev", "corpora", "corpora"),
    # Written blind for issue 16 (the wanted phrase of each answer): also a third held-out retrieval set.
    ("passages seed", "passages", "seed", "seed"),
    ("passages corpora", "passages", "corpora", "corpora"),
    # Written blind by a fourth helper: a development set (declining and ranking on paraphrases).
    ("dev2 seed", "dev2", "seed", "seed"),
    ("dev2 corpora", "dev2", "corpora", "corpora"),
    # Written blind by a third helper (issue 15's "eval that cannot flatter us"), frozen before tuning.
    ("heldout3 seed", "heldout3", "seed", "seed"),
    ("heldout3 corpora", "heldout3", "corpora", "corpora"),
    # Written blind by a sixth helper on 2026-12-02 (394 corpora questions over 268 files, no off-topic):
    # a development set, its misses read.
    ("dev3 corpora", "dev3", "corpora", "corpora"),
    # Written blind by a fifth helper on 2026-12-02 (89 seed, 428 corpora lines), frozen before tuning.
    ("heldout4 seed", "heldout4", "seed", "seed"),
    ("heldout4 corpora", "heldout4", "corpora", "corpora"),
    # Written blind by a seventh helper at the end of 2026-12-02's second session (declines above all:
    # chit-chat and tools the notes never mention), frozen before its first run on the final engine.
    ("heldout5 seed", "heldout5", "seed", "seed"),
    ("heldout5 corpora", "heldout5", "corpora", "corpora"),
    # Written blind by an eighth helper on 2026-12-02's third session (80 seed, 420 corpora lines over
    # 284 files, 80 of them off-topic), split at random by set and kind before any run: dev4 is a
    # development set (tuned on, misses read), heldout6 is held out.
    ("dev4 seed", "dev4", "seed", "seed"),
    ("dev4 corpora", "dev4", "corpora", "corpora"),
    ("heldout6 seed", "heldout6", "seed", "seed"),
    ("heldout6 corpora", "heldout6", "corpora", "corpora"),
)
EVAL_VECTORS = EVAL_DIR.parent / ".cache" / "eval" / "vectors.npz"  # by content: shared by every run


@contextlib.contextmanager
def tuned(engine: Engine, **changes: Any) -> Iterator[Engine]:
    """The same index under other ranking knobs (BM25 alone, the embeddings alone)."""
    before = engine.tuning
    engine.tuning = replace(before, **changes)
    try:
        yield engine
    finally:
        engine.tuning = before


@contextlib.contextmanager
def without_vectors(engine: Engine) -> Iterator[Engine]:
    """The same index with no semantic channel: ranked and declined by BM25 and the words alone."""
    semantic, engine.semantic = engine.semantic, None
    try:
        yield engine
    finally:
        engine.semantic = semantic


def knowledge_engine(kind: str | Path, corpora: Path, tuning: Tuning, analyzer=None) -> Engine:
    """A run's knowledge as an engine: the seed note ("seed"), or the seed note with the repo folders of
    the corpora ("corpora") or of another collection (its path), copied to a temporary folder that is
    removed once indexed (the engine is built in memory)."""
    if kind == "seed":
        return build_engine(SEED_KNOWLEDGE, tuning, analyzer=analyzer)
    folder = corpora_folder(Path(corpora if kind == "corpora" else kind))
    try:
        return build_engine(folder, tuning, analyzer=analyzer)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def with_semantic(engine: Engine, quiet: bool = False) -> bool:
    """Give an eval engine its semantic channel, embedding (once, cached by content) what is missing."""
    worker = SemanticWorker.create("auto", EVAL_VECTORS)
    if worker is None:
        return False
    missing = len(worker.cache.missing(Chunks.of(engine.index.sections).keys))
    if missing and not quiet:
        print(f"(embedding {missing} passages once; cached in {EVAL_VECTORS})", flush=True)
    return worker.attach(engine, inline=1 << 62)


_SPACE = re.compile(r"\s+")


def phrase_shown(questions: Sequence[Question], engine: Engine) -> tuple[int, int]:
    """(questions whose best result is the wanted section, of those whose passage holds the wanted
    phrase): what issue 16's "the answer shows the part that answers" means, measured. Whitespace is
    compared collapsed (a passage may re-wrap lines)."""
    right = shown = 0
    for q in questions:
        if not q.phrase or q.offtopic:
            continue
        ans = engine.ask(q.q, top=3)
        if not ans.answered or not _hit(q, ans.results[0].section, strict=True):
            continue
        right += 1
        passage = _SPACE.sub(" ", ans.results[0].passage or ans.results[0].section.text)
        shown += _SPACE.sub(" ", q.phrase.strip()) in passage
    return right, shown


def evaluate_set(
    name: str, folder: Path, tuning: Tuning, with_peers: bool, analyzer=None, kiwi_tok=None
) -> list[Scores]:
    questions = load_questions(name)
    engine = build_engine(folder, tuning, analyzer=analyzer)
    return evaluate(questions, engine, with_peers, kiwi_tok)


def evaluate(questions: Sequence[Question], engine: Engine, with_peers: bool, kiwi_tok=None) -> list[Scores]:
    results = [
        score("ours", questions, ours(engine)),
        score("ours (strict)", questions, ours(engine), strict=True),
    ]
    with tuned(engine, rerank=False):  # the fused scores alone, as before answers/rerank.py
        results.append(score("ours: no re-rank", questions, ours(engine)))
        results.append(score("no re-rank strict", questions, ours(engine), strict=True))
    if engine.semantic is not None:
        with without_vectors(engine):  # as the engine answers before (or without) its vectors
            results.append(score("ours: BM25 only", questions, ours(engine)))
        with tuned(engine, semantic_weight=1.0, semantic_adaptive=False, semantic_recall=True, rerank=False):
            results.append(score("ours: vectors", questions, ours(engine)))  # ranked by cosine alone
    if with_peers:
        secs = engine.index.sections
        results.append(score("whitespace+okapi", questions, peer(Peer("ws", secs, whitespace_tokenize))))
        tok = kiwi_tok or kiwi_default_tokenizer()
        results.append(score("kiwi+okapi", questions, peer(Peer("kiwi", secs, tok))))
    return results


def main(args: argparse.Namespace, config: Config) -> int:
    tuning = tuning_from(config)
    corpora = Path(args.corpora) if args.corpora else DEFAULT_CORPORA
    runs: list[tuple[str, str | Path, str | Path, str]] = [
        r for r in RUNS if args.set == "all" or r[1] == args.set
    ]
    # Another study group's notes (e.g. fetched from GitHub, never part of the project): its questions
    # against the seed note + its repo folders, in place of eval/'s sets.
    collections = [Path(c) for c in getattr(args, "collection", [])]
    if collections:
        runs = [(c.name, c / "questions.jsonl", c / "corpora", "") for c in collections]
    report: dict[str, list[dict]] = {}
    engines: dict[str | Path, Engine] = {}
    kiwi_tok = None
    for label, file, kind, subset in runs:
        started = time.perf_counter()
        notes = corpora if kind == "corpora" else kind
        if kind != "seed" and not Path(notes).is_dir():
            print(f"{label}: skipped, {notes} not found")
            continue
        path = file if isinstance(file, Path) else EVAL_DIR / f"{file}.jsonl"
        if not path.is_file():
            print(f"{label}: skipped, {path} not found")
            continue
        questions = [q for q in load_question_file(path) if not subset or q.folder == subset]
        if kind not in engines:
            shared = next(iter(engines.values())).analyzer if engines else None
            engines[kind] = knowledge_engine(kind, corpora, tuning, shared)
            if config.search.semantic != "off":
                with_semantic(engines[kind], quiet=args.json)
        kiwi_tok = kiwi_tok or kiwi_default_tokenizer()
        rows = evaluate(questions, engines[kind], True, kiwi_tok)
        report[label] = [{k: v for k, v in vars(r).items() if k != "misses"} for r in rows]
        right, shown = phrase_shown(questions, engines[kind])
        if right:
            report[label].append({"system": "passage phrase", "right": right, "shown": shown})
        if not args.json:
            n, took = rows[0], time.perf_counter() - started
            print(f"\n== {label}: {n.questions} questions, {n.offtopic} off-topic ({took:.1f}s)")
            print(f"{'system':<18} {'hit@1':>6} {'hit@3':>6} {'MRR':>6} {'declined':>8} {'falseno':>7}")
            for r in rows:
                print(r.row())
            if right:
                print(f"passage shows the wanted phrase: {shown}/{right} = {shown / right:.3f} (best right)")
            if args.misses:
                for m in rows[0].misses:
                    print("  " + m)
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    return 0
