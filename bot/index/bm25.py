"""rank-bm25's scores, exactly, without its per-query loop over every document.

rank_bm25's get_scores builds a dense term-frequency vector per query term in Python (O(N) per term:
~200 ms at 100k sections). Here the counts are stored term-major (CSR postings: for each term, the
documents holding it and how often), so a query term costs only its own postings; its BM25 values are
computed there with the same float operations in the same order as rank_bm25 (each document's length
factor once per build). The result equals rank_bm25 bit for bit (tests/test_bm25_exact.py checks on random
corpora). Building from Bags (index/bags.py) is a transpose plus one IDF pass; a reindex instead splices
the changed files' Bags into the index in hand (one pass over the postings, no transpose). Neither does
per-token Python work, which is what makes a one-file reindex cheap at 100k sections.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from bot.index.bags import Bags, Terms

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
    """Postings by term id (a Terms table's ids; a term no document holds has none and IDF 0)."""

    params: BM25Params
    terms: Terms
    vocab: dict[str, int]  # terms that some document holds -> id
    indptr: np.ndarray  # int64, len(terms) + 1
    docs: np.ndarray  # int32, the documents of each term's postings, ascending
    tf: np.ndarray  # int32, the term's count in each of them
    lengths: np.ndarray  # int64 tokens per document
    idf: np.ndarray  # float64 per term id
    avgdl: float

    def __init__(self, corpus: Sequence[Sequence[str]], params: BM25Params | None = None) -> None:
        """rank_bm25's constructor: a corpus of token lists (tests, small builds)."""
        terms = Terms()
        self._assemble(Bags.count(corpus, terms), terms, params or BM25Params(), None)

    @classmethod
    def from_bags(
        cls, bags: Bags, terms: Terms, params: BM25Params | None = None, order: np.ndarray | None = None
    ) -> SparseBM25:
        """order: the terms in the corpus's first-occurrence order, when known (the files' own orders,
        merged: checked, and the transpose then moves counts only); None: read from the rows."""
        self = cls.__new__(cls)
        self._assemble(bags, terms, params or BM25Params(), order)
        return self

    @classmethod
    def fit(
        cls, bags: Bags, terms: Terms, params: BM25Params | None = None, order: np.ndarray | None = None
    ) -> SparseBM25:
        """BM25 with the given variant, except where Okapi cannot rank at all.

        BM25Okapi floors negative IDFs at epsilon * mean IDF; in a corpus of one or two sections (or where
        most words are in most sections) that mean is <= 0, every score is <= 0 and nothing can be
        answered. There, and only there, BM25Plus (whose IDF is always positive) is used instead.
        """
        params = params or BM25Params()
        bm = cls.from_bags(bags, terms, params, order)
        if params.variant == "okapi" and bm.n_docs and not (bm.idf > 0).any():
            bm = cls.from_bags(bags, terms, replace(params, variant="plus"), order)
        return bm

    @classmethod
    def splice(
        cls,
        old: SparseBM25,
        remap: np.ndarray,
        added: Bags,
        at: np.ndarray,
        order: np.ndarray,
        params: BM25Params | None = None,
    ) -> SparseBM25:
        """`old` with some documents dropped and others added, equal to fitting the new corpus from rows.

        remap: for each old document its new number, or -1 where it is dropped (kept documents keep
        their relative order); added: the new documents' rows; at: their numbers (ascending); order: the
        new corpus's terms in first-occurrence order. Costs one pass over the postings, no transpose of
        the whole corpus, and needs no rows for the kept documents (none are held after a restart).
        """
        self = cls.__new__(cls)
        self.params, self.terms = params or BM25Params(), old.terms
        v, v_old = len(old.terms), len(old.indptr) - 1
        n_docs = int((remap >= 0).sum()) + len(at)
        # The kept postings renumbered (still ascending within each term: remap keeps their order), the
        # dropped documents' postings (a few files' worth) taken out.
        docs = remap.astype(np.int32)[old.docs]
        tf = old.tf
        counts = np.zeros(v, dtype=np.int64)
        counts[:v_old] = np.diff(old.indptr)
        gone = np.flatnonzero(docs < 0)
        if len(gone):
            held_by = np.searchsorted(old.indptr, gone, side="right") - 1  # each one's term
            counts[:v_old] -= np.bincount(held_by, minlength=v_old)
            docs, tf = np.delete(docs, gone), np.delete(tf, gone)
        tf = tf.astype(np.int32, copy=False)  # a loaded index may hold narrower counts
        if len(added.ids):
            # The added postings, term-major; each goes after its term's kept postings of lower documents
            # (searched per term: a changed file holds a few thousand terms).
            rows = np.repeat(at.astype(np.int32), np.diff(added.indptr))
            o = np.lexsort((rows, added.ids))
            a_term, a_doc, a_tf = added.ids[o], rows[o], added.tfs[o].astype(np.int32)
            starts = np.cumsum(counts) - counts  # each term's first kept posting
            firsts = np.flatnonzero(np.diff(a_term, prepend=-1))
            where = np.empty(len(o), dtype=np.int64)
            for a, b, t in zip(
                firsts.tolist(), [*firsts[1:].tolist(), len(o)], a_term[firsts].tolist(), strict=True
            ):
                lo = int(starts[t])
                where[a:b] = lo + np.searchsorted(docs[lo : lo + counts[t]], a_doc[a:b])
            docs, tf = np.insert(docs, where, a_doc), np.insert(tf, where, a_tf)
            counts += np.bincount(a_term, minlength=v)
        self.indptr = np.zeros(v + 1, dtype=np.int64)
        np.cumsum(counts, out=self.indptr[1:])
        self.docs, self.tf = docs, tf
        held = np.flatnonzero(remap >= 0)
        if not np.array_equal(np.sort(np.concatenate([remap[held], at])), np.arange(n_docs)):
            raise ValueError("remap and at must number the new documents 0..n-1, each once")
        lengths = np.zeros(n_docs, dtype=np.int64)
        lengths[remap[held]] = old.lengths[held]
        lengths[at] = added.lengths
        self.lengths = lengths
        self._fit_idf(order)
        if self.params.variant == "okapi" and self.n_docs and not (self.idf > 0).any():  # as fit() does
            self.params = replace(self.params, variant="plus")
            self._fit_idf(order)
        return self

    @classmethod
    def from_arrays(
        cls,
        params: BM25Params,
        terms: Terms,
        indptr: np.ndarray,
        docs: np.ndarray,
        tf: np.ndarray,
        lengths: np.ndarray,
        idf: np.ndarray,
    ) -> SparseBM25:
        """Rebuild from persisted arrays (index/store.py) without re-counting or re-transposing."""
        self = cls.__new__(cls)
        self.params, self.terms = params, terms
        self.indptr, self.docs, self.tf, self.lengths, self.idf = indptr, docs, tf, lengths, idf
        self._finish()
        return self

    # -- building ----------------------------------------------------------------------------------
    def _assemble(self, bags: Bags, terms: Terms, params: BM25Params, order: np.ndarray | None) -> None:
        self.params, self.terms = params, terms
        n, v, nnz = bags.n_docs, len(terms), len(bags.ids)
        self.lengths = bags.lengths
        if nnz:
            from scipy import sparse  # the transpose, in C (not needed to load a saved index)

            if order is None:
                # Transposing positions, not counts: each posting keeps where it stood in the doc-major
                # rows, which gives the counts and rank_bm25's term order (first occurrence) below.
                pos = np.arange(nnz, dtype=np.int64)
                t = sparse.csr_matrix((pos, bags.ids, bags.indptr), shape=(n, v)).tocsc()
                self.tf = bags.tfs[t.data]
                first = t.data[t.indptr[:-1][np.diff(t.indptr) > 0]]
            else:
                t = sparse.csr_matrix((bags.tfs, bags.ids, bags.indptr), shape=(n, v)).tocsc()
                self.tf = t.data
            self.indptr = t.indptr.astype(np.int64, copy=False)
            self.docs = t.indices.astype(np.int32, copy=False)
        else:
            self.indptr = np.zeros(v + 1, dtype=np.int64)
            self.docs = np.zeros(0, dtype=np.int32)
            self.tf = np.zeros(0, dtype=np.int32)
            first = np.zeros(0, dtype=np.int64)
        if order is None:
            order = np.flatnonzero(np.diff(self.indptr))[np.argsort(first, kind="stable")]
        self._fit_idf(order)

    def _fit_idf(self, order: np.ndarray) -> None:
        """IDF (terms in first-occurrence order) and the per-document factors, postings in place."""
        df = np.diff(self.indptr)
        present = np.flatnonzero(df)
        if len(order) != len(present) or not np.array_equal(np.sort(order), present):
            raise ValueError("term order does not list exactly the terms the documents hold")
        self.idf = self._idf(len(self.lengths), df, order)
        self._finish()

    def _idf(self, n: int, df: np.ndarray, order: np.ndarray) -> np.ndarray:
        """rank_bm25's IDF for the terms in `order` (first-occurrence order); 0 for terms no doc holds."""
        p = self.params
        out = np.zeros(len(df), dtype=np.float64)
        if not len(order):
            return out
        # One math.log per distinct document frequency (there are few); same expressions as rank_bm25.
        uniq, inverse = np.unique(df[order], return_inverse=True)
        if p.variant == "okapi":
            table = [math.log(n - f + 0.5) - math.log(f + 0.5) for f in uniq.tolist()]
        elif p.variant == "plus":
            table = [math.log((n + 1) / f) for f in uniq.tolist()]
        else:
            table = [math.log(n + 1) - math.log(f + 0.5) for f in uniq.tolist()]
        vals = np.asarray(table, dtype=np.float64)[inverse]
        if p.variant == "okapi":
            # rank_bm25 sums the IDFs one by one in its dict order: a running sum is the same additions.
            idf_sum = float(np.cumsum(vals)[-1])
            eps = p.epsilon * (idf_sum / len(vals))
            vals[vals < 0] = eps
        out[order] = vals
        return out

    def _finish(self) -> None:
        p = self.params
        words, df = self.terms.words, np.diff(self.indptr)
        self.vocab = {words[i]: i for i in np.flatnonzero(df).tolist()}
        self.n_docs = len(self.lengths)
        self.avgdl = int(self.lengths.sum()) / self.n_docs if self.n_docs else 0.0
        self.df = df
        # Each document's length factor, as rank_bm25 computes it inside its per-term expression.
        k1, b, avgdl = p.k1, p.b, self.avgdl
        with np.errstate(divide="ignore", invalid="ignore"):  # b = 1 with an empty doc: NaN, as rank_bm25
            if p.variant == "l":
                self._norm = 1 - b + b * self.lengths / avgdl if self.n_docs else self.lengths * 0.0
            else:
                self._norm = k1 * (1 - b + b * self.lengths / avgdl) if self.n_docs else self.lengths * 0.0
        # BM25Plus gives idf * delta to every document without the term: a dense constant per term.
        self.absent = self.idf * p.d if p.variant == "plus" else None

    # -- questions ---------------------------------------------------------------------------------
    def term_ids(self, query: Sequence[str]) -> list[int]:
        return [self.vocab[q] for q in query if q in self.vocab]

    def postings(self, term: int) -> np.ndarray:
        """The documents holding a term, ascending."""
        return self.docs[self.indptr[term] : self.indptr[term + 1]]

    def get_scores(self, query: Sequence[str]) -> np.ndarray:
        """Scores of every document, equal to rank_bm25's get_scores(query)."""
        score = np.zeros(self.n_docs)
        p = self.params
        k1, d = p.k1, p.d
        for q in query:
            t = self.vocab.get(q)
            if t is None or self.idf[t] == 0:
                continue
            lo, hi = self.indptr[t], self.indptr[t + 1]
            docs, tf, idf = self.docs[lo:hi], self.tf[lo:hi], self.idf[t]  # tf: any integer type
            norm = self._norm[docs]
            if p.variant == "okapi":
                score[docs] += idf * (tf * (k1 + 1) / (tf + norm))
            elif p.variant == "plus":
                row = np.full(self.n_docs, self.absent[t])  # type: ignore[index]
                row[docs] = idf * (d + (tf * (k1 + 1)) / (norm + tf))
                score += row
            else:
                ctd = tf / norm
                score[docs] += idf * tf * (k1 + 1) * (ctd + d) / (k1 + ctd + d)
        return score
