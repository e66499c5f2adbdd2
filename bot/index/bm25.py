"""rank-bm25's scores, exactly, without its per-query loop over every document.

rank_bm25's get_scores builds a dense term-frequency vector per query term in Python (O(N) per term:
~200 ms at 100k sections). Here every (term, document) contribution is computed once at build time with
the same float operations in the same order, and stored term-major in a CSR matrix; a query adds the rows
of its terms. The result equals rank_bm25 bit for bit (tests/test_bm25_exact.py checks on random corpora).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
from scipy import sparse

Variant = Literal["okapi", "plus", "l"]


@dataclass(frozen=True)
class BM25Params:
    variant: Variant = "okapi"
    k1: float = 1.5
    b: float = 0.75
    epsilon: float = 0.25  # okapi: IDF floor = epsilon * mean IDF for terms in more than half the docs
    delta: float | None = None  # plus: 1.0, l: 0.5 (rank_bm25's defaults)

    @property
    def d(self) -> float:
        if self.delta is not None:
            return self.delta
        return 1.0 if self.variant == "plus" else 0.5


class SparseBM25:
    def __init__(self, corpus: Sequence[Sequence[str]], params: BM25Params | None = None) -> None:
        self.params = p = params or BM25Params()
        self.n_docs = len(corpus)
        vocab: dict[str, int] = {}  # first-seen order, as rank_bm25's nd dict (the IDF mean depends on it)
        rows: list[int] = []
        cols: list[int] = []
        tfs: list[int] = []
        doc_len = np.zeros(self.n_docs, dtype=np.int64)
        num_tokens = 0
        add = vocab.setdefault
        for d, doc in enumerate(corpus):
            doc_len[d] = len(doc)
            num_tokens += len(doc)
            freqs = Counter(doc)  # counted in C; keeps first-occurrence order like rank_bm25's dict
            rows.extend([add(w, len(vocab)) for w in freqs])
            cols.extend([d] * len(freqs))
            tfs.extend(freqs.values())
        self.vocab = vocab
        self.avgdl = num_tokens / self.n_docs if self.n_docs else 0.0
        r = np.asarray(rows, dtype=np.int64)
        c = np.asarray(cols, dtype=np.int64)
        tf = np.asarray(tfs, dtype=np.int64)
        df = np.bincount(r, minlength=len(vocab)) if len(vocab) else np.zeros(0, dtype=np.int64)
        self.df = df
        self.idf = self._idf(df)
        idf_r = self.idf[r]
        dl = doc_len[c]
        k1, b, avgdl = p.k1, p.b, self.avgdl
        # Same expressions, same operation order as rank_bm25.get_scores, on the nonzero entries only.
        if p.variant == "okapi":
            vals = idf_r * (tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl / avgdl)))
        elif p.variant == "plus":
            vals = idf_r * (p.d + (tf * (k1 + 1)) / (k1 * (1 - b + b * dl / avgdl) + tf))
        else:
            ctd = tf / (1 - b + b * dl / avgdl)
            vals = idf_r * tf * (k1 + 1) * (ctd + p.d) / (k1 + ctd + p.d)
        self.matrix = sparse.csr_matrix((vals, (r, c)), shape=(len(vocab), self.n_docs))
        self.matrix.sort_indices()
        # BM25Plus gives idf * delta to every document without the term: a dense constant per term.
        self.absent = self.idf * p.d if p.variant == "plus" else None

    @classmethod
    def fit(cls, corpus: Sequence[Sequence[str]], params: BM25Params | None = None) -> SparseBM25:
        """BM25 with the given variant, except where Okapi cannot rank at all.

        BM25Okapi floors negative IDFs at epsilon * mean IDF; in a corpus of one or two sections (or where
        most words are in most sections) that mean is <= 0, every score is <= 0 and nothing can be
        answered. There, and only there, BM25Plus (whose IDF is always positive) is used instead.
        """
        params = params or BM25Params()
        bm = cls(corpus, params)
        if params.variant == "okapi" and bm.n_docs and not (bm.idf > 0).any():
            bm = cls(corpus, replace(params, variant="plus"))
        return bm

    @classmethod
    def from_arrays(
        cls,
        params: BM25Params,
        vocab: list[str],
        df: np.ndarray,
        idf: np.ndarray,
        matrix: sparse.csr_matrix,
        avgdl: float,
    ) -> SparseBM25:
        """Rebuild from persisted arrays (index/store.py) without re-counting the corpus."""
        self = cls.__new__(cls)
        self.params, self.n_docs, self.avgdl = params, matrix.shape[1], avgdl
        self.vocab = {w: i for i, w in enumerate(vocab)}
        self.df, self.idf, self.matrix = df, idf, matrix
        self.absent = idf * params.d if params.variant == "plus" else None
        return self

    def _idf(self, df: np.ndarray) -> np.ndarray:
        p, n = self.params, self.n_docs
        out = np.empty(len(df), dtype=np.float64)
        if p.variant == "okapi":
            negative = []
            idf_sum = 0.0
            for i, f in enumerate(df.tolist()):
                v = math.log(n - f + 0.5) - math.log(f + 0.5)
                out[i] = v
                idf_sum += v
                if v < 0:
                    negative.append(i)
            eps = p.epsilon * (idf_sum / len(df)) if len(df) else 0.0
            out[negative] = eps
        elif p.variant == "plus":
            for i, f in enumerate(df.tolist()):
                out[i] = math.log((n + 1) / f)
        else:
            for i, f in enumerate(df.tolist()):
                out[i] = math.log(n + 1) - math.log(f + 0.5)
        return out

    def term_ids(self, query: Sequence[str]) -> list[int]:
        return [self.vocab[q] for q in query if q in self.vocab]

    def get_scores(self, query: Sequence[str]) -> np.ndarray:
        """Scores of every document, equal to rank_bm25's get_scores(query)."""
        score = np.zeros(self.n_docs)
        m = self.matrix
        for q in query:
            t = self.vocab.get(q)
            if t is None or self.idf[t] == 0:
                continue
            lo, hi = m.indptr[t], m.indptr[t + 1]
            if self.absent is None:
                score[m.indices[lo:hi]] += m.data[lo:hi]
            else:
                row = np.full(self.n_docs, self.absent[t])
                row[m.indices[lo:hi]] = m.data[lo:hi]
                score += row
        return score
