"""Documents as bags of term ids: what an index is counted from.

A `Terms` table gives every term string a small integer for good; `Bags` holds documents as rows of
(term id, count), doc-major, in the order each term first occurs in its document (rank_bm25's dict order).
index/bm25.py turns Bags into BM25 postings with numpy (a full build), or splices a changed file's Bags
into an existing index (a reindex), with no Python loop over tokens.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

_SEP = "\x00"  # never inside a token: control characters become spaces before tokenizing


class Terms:
    """An append-only table term -> id. Ids never change, so rows counted earlier stay valid."""

    def __init__(self, words: Iterable[str] = ()) -> None:
        self.words: list[str] = list(words)
        self.index: dict[str, int] = {w: i for i, w in enumerate(self.words)}
        if len(self.index) != len(self.words):
            raise ValueError("repeated terms")
        self._lock = threading.Lock()  # a rebuild interns while the serving engine may read

    def __len__(self) -> int:
        return len(self.words)

    def intern(self, docs: Iterable[Collection[str]]) -> list[list[int]]:
        """The ids of every token, adding new terms at the end."""
        with self._lock:
            return [self._ids(doc) for doc in docs]

    def _ids(self, words: Collection[str]) -> list[int]:
        """Ids of these words, new ones added (the caller holds the lock). Read twice: not an iterator."""
        index = self.index
        row = list(map(index.get, words))  # known terms (nearly all after the first files), in C
        if None in row:
            for k, w in enumerate(words):
                if row[k] is None:
                    row[k] = index.get(w)  # the same new word twice in one call: one id
                    if row[k] is None:
                        row[k] = index[w] = len(self.words)
                        self.words.append(w)
        return row  # type: ignore[return-value]

    def decode(self, ids: np.ndarray) -> tuple[str, ...]:
        words = self.words
        return tuple(words[i] for i in ids.tolist())

    def to_array(self, count: int) -> np.ndarray:
        """The first `count` terms (an index covers the table as it was when it was built)."""
        return np.frombuffer(_SEP.join(self.words[:count]).encode(), dtype=np.uint8)

    @classmethod
    def from_array(cls, blob: np.ndarray, count: int) -> Terms:
        words = blob.tobytes().decode().split(_SEP) if count else []
        if len(words) != count:
            raise ValueError(f"term table holds {len(words)} terms, expected {count}")
        return cls(words)


@dataclass(frozen=True)
class Bags:
    """Doc-major counts: row d is ids[indptr[d]:indptr[d + 1]] with tfs alike."""

    indptr: np.ndarray  # int64, n_docs + 1
    ids: np.ndarray  # int32 term ids (a Terms table's)
    tfs: np.ndarray  # int32 counts, all >= 1
    lengths: np.ndarray  # int64 tokens per document (rank_bm25's len(document)), the sum of its row

    @property
    def n_docs(self) -> int:
        return len(self.indptr) - 1

    @classmethod
    def count(cls, docs: Iterable[Sequence[str]], terms: Terms) -> Bags:
        ids: list[int] = []
        tfs: list[int] = []
        sizes: list[int] = []
        lengths: list[int] = []
        with terms._lock:
            for doc in docs:
                freqs = Counter(doc)  # counted in C; first-occurrence order like rank_bm25's dict
                ids.extend(terms._ids(freqs))
                tfs.extend(freqs.values())
                sizes.append(len(freqs))
                lengths.append(len(doc))
        indptr = np.zeros(len(sizes) + 1, dtype=np.int64)
        np.cumsum(sizes, out=indptr[1:])
        return cls(
            indptr,
            np.asarray(ids, dtype=np.int32),
            np.asarray(tfs, dtype=np.int32),
            np.asarray(lengths, dtype=np.int64),
        )

    @classmethod
    def concat(cls, parts: Sequence[Bags]) -> Bags:
        if not parts:
            none = np.zeros(0, dtype=np.int32)
            return cls(np.zeros(1, dtype=np.int64), none, none, np.zeros(0, dtype=np.int64))
        if len(parts) == 1:
            return parts[0]
        starts = np.cumsum([0] + [len(p.ids) for p in parts[:-1]])
        indptr = np.concatenate([[0]] + [p.indptr[1:] + s for p, s in zip(parts, starts, strict=True)])
        return cls(
            indptr.astype(np.int64),
            np.concatenate([p.ids for p in parts]),
            np.concatenate([p.tfs for p in parts]),
            np.concatenate([p.lengths for p in parts]),
        )


def first_seen(ids: np.ndarray) -> np.ndarray:
    """The distinct ids of a sequence in the order they first appear."""
    if not len(ids):
        return np.zeros(0, dtype=np.int32)
    _, first = np.unique(ids, return_index=True)
    return ids[np.sort(first)].astype(np.int32, copy=False)


def merge_first_seen(parts: Sequence[np.ndarray], n_terms: int) -> np.ndarray:
    """first_seen of the parts one after another, without sorting them all (ids below n_terms)."""
    ids = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int32)
    first = np.full(n_terms, len(ids), dtype=np.int64)
    np.minimum.at(first, ids, np.arange(len(ids), dtype=np.int64))
    held = np.flatnonzero(first < len(ids))
    return held[np.argsort(first[held])].astype(np.int32)
