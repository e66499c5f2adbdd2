"""The index's channels: each one way of scoring every section for a question, one module each.

A channel persisted with the index is a `Channel`: it counts one note file's sections into rows of its
own term table (`count`), makes its view of the corpus from every file's rows or splices a changed
file's rows into the view in hand (`fit`, `splice`), lays the view out in the index file under its
name and reads it back checked (`save`, `load`), and scores a question with it (`score`). build.py's
`CHANNELS` lists them, in the order the file stores them: morph.py (Kiwi morphemes, the first: the
engine's confidence, typo repair and passages read its view) and grams.py (Hangul bigrams). Both are
`BM25Channel`s, which do everything but say what a section's document is and what a question's terms
are: a fourth such channel is one module with those two methods, listed in CHANNELS (a weight other
than 1 is a knob in the engine's Tuning, see Tuning.channel_weight).

The semantic channel (vectors.py) does not fit the persisted part: its vectors live in a file of their
own, keyed by chunk content rather than counted per note file, and are embedded in the background
after a build (answers/semantic.py); no build or reindex waits for them. Only its scoring has the same
shape (`Scorer`): every section's score for a `Query`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, ClassVar, Protocol, TypeVar

import numpy as np

from bot.index.arrays import ints, narrow, offsets
from bot.index.bags import Bags, Terms
from bot.index.bm25 import BM25Params, SparseBM25
from bot.notes.section import Section


@dataclass(frozen=True)
class Weights:
    # Term repetitions per field (a cheap BM25F); chosen on eval/ with `python -m bot eval`.
    title: int = 10  # the section's own title
    path: int = 2  # ancestors' titles
    body: int = 2  # own body
    children: int = 1  # sub-sections' bodies, at half a body's weight (0 = leaf-only sections)
    source: int = 1  # file path words (folder and file names)


@dataclass(frozen=True)
class SectionTokens:
    """Per-section analysis, reusable across weightings and incremental rebuilds."""

    title: tuple[str, ...]
    path: tuple[str, ...]
    body: tuple[str, ...]
    source: tuple[str, ...]


@dataclass(frozen=True)
class FileSections:
    """One note file as every channel counts it: its sections in file order, their tokens, each
    section's sub-sections (indices into sections) and the field weights."""

    sections: Sequence[Section]
    tokens: Sequence[SectionTokens]
    kids: Sequence[Sequence[int]]
    weights: Weights


@dataclass(frozen=True)
class Query:
    """A question as the channels score it."""

    text: str  # the question, cut to the engine's max_question_chars
    tokens: Sequence[str]  # its morpheme search tokens, after typo repair


class View(Protocol):
    """A channel's view of the corpus: what it scores with; its term table is the index's."""

    @property
    def terms(self) -> Terms: ...


V = TypeVar("V", bound=View)


class Channel(Protocol[V]):
    """One persisted channel of the index (see the module docstring)."""

    name: str  # its key in the index file: its arrays are `<name>_<array>`, its metadata views[<name>]
    array_names: tuple[str, ...]  # the arrays save() writes, without the prefix

    def count(self, file: FileSections, terms: Terms) -> Bags:
        """The file's sections as rows of (term id, count), one per section; new terms added to terms."""
        ...

    def fit(self, rows: Bags, terms: Terms, order: np.ndarray, params: BM25Params | None) -> V:
        """The view over every file's rows, in file order (order: the corpus's terms in the order they
        first occur)."""
        ...

    def splice(
        self,
        old: V,
        remap: np.ndarray,
        rows: Bags,
        at: np.ndarray,
        order: np.ndarray,
        params: BM25Params | None,
    ) -> V:
        """`old` with the documents remap drops (-1) and the changed files' rows put in at `at`: the
        same view as fit() over every file's rows."""
        ...

    def save(self, view: V) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """(its metadata, its arrays by their names in the file) for the index file."""
        ...

    def load(self, meta: dict[str, Any], arrays: dict[str, np.ndarray], n_docs: int, params: BM25Params) -> V:
        """The view from what save() wrote (arrays: the whole file's), every array checked: ValueError
        when anything is off."""
        ...

    def score(self, view: V, query: Query) -> np.ndarray:
        """Every section's score for the question (float64, in section order)."""
        ...


class Scorer(Protocol):
    """A channel's scoring on its own (the semantic channel's shape, vectors.SemanticIndex)."""

    def score(self, query: Query) -> np.ndarray: ...


class BM25Channel:
    """A channel scored with BM25 (rank-bm25's scores, index/bm25.py) over documents of terms: a
    subclass says what a section's document is (`documents`) and what a question's terms are
    (`query_terms`)."""

    name: ClassVar[str]
    array_names: ClassVar[tuple[str, ...]] = ("terms", "indptr", "docs", "tf", "lengths", "idf")

    def documents(self, file: FileSections) -> list[list[str]]:
        """Each section's document: its terms, repeated by how much they count."""
        raise NotImplementedError

    def query_terms(self, query: Query) -> Sequence[str]:
        raise NotImplementedError

    def count(self, file: FileSections, terms: Terms) -> Bags:
        return Bags.count(self.documents(file), terms)

    def fit(self, rows: Bags, terms: Terms, order: np.ndarray, params: BM25Params | None) -> SparseBM25:
        return SparseBM25.fit(rows, terms, params, order)

    def splice(
        self,
        old: SparseBM25,
        remap: np.ndarray,
        rows: Bags,
        at: np.ndarray,
        order: np.ndarray,
        params: BM25Params | None,
    ) -> SparseBM25:
        return SparseBM25.splice(old, remap, rows, at, order, params)

    def save(self, view: SparseBM25) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        n, v = len(view.indptr) - 1, self.name  # an index covers the term table as it was when built
        meta = {"terms": n, "variant": view.params.variant}
        arrays = {
            f"{v}_terms": view.terms.to_array(n),
            f"{v}_indptr": view.indptr,
            f"{v}_docs": view.docs,
            f"{v}_tf": narrow(view.tf),
            f"{v}_lengths": view.lengths,
            f"{v}_idf": view.idf,
        }
        return meta, arrays

    def load(
        self, meta: dict[str, Any], arrays: dict[str, np.ndarray], n_docs: int, params: BM25Params
    ) -> SparseBM25:
        v = self.name
        terms = Terms.from_array(arrays[f"{v}_terms"], int(meta["terms"]))
        params = replace(params, variant=meta["variant"])
        if params.variant not in ("okapi", "plus", "l"):
            raise ValueError(f"{v}: unknown BM25 variant {params.variant!r}")
        docs, tf = ints(arrays, f"{v}_docs"), ints(arrays, f"{v}_tf")
        indptr = offsets(arrays, f"{v}_indptr", len(terms), len(docs))
        lengths, idf = ints(arrays, f"{v}_lengths", n_docs), arrays[f"{v}_idf"]
        if len(tf) != len(docs) or idf.dtype.kind != "f" or idf.shape != (len(terms),):
            raise ValueError(f"{v}: postings and terms disagree")
        if len(docs) and (docs.min() < 0 or docs.max() >= n_docs or tf.min() < 1):
            raise ValueError(f"{v}: postings out of range")
        if not np.isfinite(idf).all():
            raise ValueError(f"{v}: non-finite IDF")
        indptr = indptr.astype(np.int64, copy=False)
        return SparseBM25.from_arrays(params, terms, indptr, docs, tf, lengths, idf)

    def score(self, view: SparseBM25, query: Query) -> np.ndarray:
        return view.get_scores(self.query_terms(query))
