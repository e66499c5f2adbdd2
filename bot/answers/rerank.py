"""Re-ranking the best candidates by a linear model over features that mean the same on any notes.

BM25 and the vectors each put their best sections forward (top candidates of each); every candidate is
described by per-question-normalised scores (z-scores, ranks), the share of the question it holds, and
its shape in the notes (the note's top section, a list of links, a title made of the question's
words). A linear model, fitted on the development sets by `python -m bot.evaluation.fit` (a
softmax over each question's candidates, L2-regularised), weighs them; its weights ship beside this
module (rerank.json). Two models: ``fused`` when the question was embedded, ``lexical`` otherwise (BM25
was sure, the vectors are not ready, or they are off).
"""

from __future__ import annotations

import functools
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

WEIGHTS = Path(__file__).with_name("rerank.json")
# Per candidate. Scores: z over all sections (zl, zs), z over the sections sharing a word (zlc),
# -log rank among those, clipped at DEPTH + 1 (rl, rs), zs x BM25's confidence (zs_s: the vectors weigh
# less when BM25's best holds the whole question). Section: share of the question's weight it holds
# (cov), share of the question's weight its title holds (tcov), share of its title's words that are
# the question's when the question asks "what is X" (tin_w), only links (hub), the first section of
# its note (first).
# No length feature: fitted, it favoured long sections on the corpora and cost a third notes collection
# (Seogeurim/CS-study, left out by collection) hit@1 0.735 -> 0.717 strict, 0.779 -> 0.761 loose.
LEXICAL = ("zlc", "rl", "cov", "hub", "first", "tcov", "tin_w")
FUSED = ("zs", "zlc", "rl", "rs", "cov", "zs_s", "hub", "first", "zl", "tcov", "tin_w")
DEPTH = 40  # candidates per channel


@dataclass(frozen=True)
class Linear:
    names: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray

    def score(self, x: np.ndarray) -> np.ndarray:
        return ((x - self.mean) / self.scale) @ self.weights

    def to_json(self) -> dict:
        return {
            "names": list(self.names),
            "mean": [round(float(v), 6) for v in self.mean],
            "scale": [round(float(v), 6) for v in self.scale],
            "weights": [round(float(v), 6) for v in self.weights],
        }

    @classmethod
    def of(cls, data: dict) -> Linear:
        names = tuple(data["names"])
        arrays = [np.asarray(data[k], dtype=np.float64) for k in ("mean", "scale", "weights")]
        if any(a.shape != (len(names),) for a in arrays) or not np.all(arrays[1] > 0):
            raise ValueError("a re-ranking model's arrays do not match its feature names")
        return cls(names, *arrays)


@dataclass(frozen=True)
class Models:
    lexical: Linear
    fused: Linear


@functools.cache
def models(path: Path = WEIGHTS) -> Models | None:
    """The shipped models; None (ranking as before, one warning) when the file is missing or broken."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        found = Models(Linear.of(data["lexical"]), Linear.of(data["fused"]))
    except (OSError, ValueError, KeyError, TypeError):
        log.warning("re-ranking weights unreadable (%s); ranking by fused scores", path, exc_info=True)
        return None
    if found.lexical.names != LEXICAL or found.fused.names != FUSED:
        log.warning("re-ranking weights are for other features (%s); ranking by fused scores", path)
        return None
    return found


def _top(scores: np.ndarray, allowed: np.ndarray, k: int) -> np.ndarray:
    """Ids of the k best allowed sections, best first (ties: lower id first)."""
    ids = np.flatnonzero(allowed)
    if len(ids) > k:
        ids = ids[np.argpartition(-scores[ids], k - 1)[:k]]
    return ids[np.lexsort((ids, -scores[ids]))]


def _stats(total: float, squares: float, n: int) -> tuple[float, float]:
    """(mean, standard deviation) from a sum and a sum of squares; std 1 when there is no spread."""
    if n < 2:
        return 0.0, 1.0
    mean = total / n
    return mean, float(np.sqrt(max(squares / n - mean * mean, 0.0))) or 1.0


@dataclass(frozen=True)
class Candidates:
    """The sections worth re-ranking and their score features (the section features are the engine's)."""

    ids: np.ndarray
    scores: dict[str, np.ndarray]

    @classmethod
    def of(cls, lexical: np.ndarray, sem: np.ndarray | None, sure: float, depth: int = DEPTH) -> Candidates:
        """The candidates among the sections sharing a word with the question (lexical > 0)."""
        allowed = lexical > 0
        by_lex = _top(lexical, allowed, depth)
        by_sem = _top(sem, allowed, depth) if sem is not None else by_lex[:0]
        ids = np.asarray(list(dict.fromkeys([*by_lex.tolist(), *by_sem.tolist()])), dtype=np.int64)
        # One pass for both z-scores: BM25 is 0 outside the sections sharing a word, so the sums over
        # all sections are the sums over those (at 100k sections this is most of re-ranking's cost).
        total, squares = float(lexical.sum()), float(np.dot(lexical, lexical))
        mean, std = _stats(total, squares, len(lexical))
        mean_c, std_c = _stats(total, squares, int(np.count_nonzero(allowed)))
        x = lexical[ids]
        out = {
            "zl": (x - mean) / std,
            "zlc": (x - mean_c) / std_c,
            "rl": -np.log(_ranks(by_lex, ids, depth)),
        }
        if sem is not None:
            zs = (sem[ids] - sem.mean()) / (float(sem.std()) or 1.0) if len(sem) > 1 else np.zeros(len(ids))
            out.update(zs=zs, rs=-np.log(_ranks(by_sem, ids, depth)), zs_s=zs * sure)
        return cls(ids, out)


def _ranks(order: np.ndarray, ids: np.ndarray, depth: int) -> np.ndarray:
    """1-based rank of each of ``ids`` in ``order``; depth + 1 when not in it."""
    at = {int(d): k for k, d in enumerate(order.tolist(), 1)}
    return np.asarray([at.get(int(i), depth + 1) for i in ids], dtype=np.float64)


def matrix(names: tuple[str, ...], features: dict[str, np.ndarray]) -> np.ndarray:
    """The candidates x features matrix a model scores, its columns in the model's order."""
    return np.column_stack([features[n] for n in names])
