"""Gives engines their semantic channel: embeds what the vector cache lacks, then sets engine.semantic.

BM25 answers at once after a start or a reindex; the channel joins when its vectors are ready. A
reindex that changed a file or two embeds those chunks in its own thread before the swap (a second or
two), so the new engine answers from both channels from its first question; a cold cache (a first
start, a new dictionary of notes) is embedded in a background thread, newest engine first, with its
progress logged and the vectors saved as they come (a restart resumes where it stopped).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bot.answers.talk import talk_ceiling
from bot.index.vectors import Chunks, Embedder, SemanticIndex, VectorCache
from bot.notes.section import Section

if TYPE_CHECKING:
    from bot.answers.engine import Engine

log = logging.getLogger(__name__)
BATCH = 16  # chunks per model call: small enough to notice a newer engine, large enough to be fast
INLINE_CHUNKS = 48  # at most this many missing chunks are embedded inside a reindex, before the swap
SAVE_EVERY_SECONDS = 30.0
Progress = Callable[[int, int], None]


class SemanticWorker:
    """One per knowledge folder: one vector cache, one model, one background thread at most."""

    def __init__(self, cache: VectorCache, embedder: Embedder) -> None:
        self.cache = cache
        self.embedder = embedder
        self._target: tuple[Engine, Chunks] | None = None  # the newest engine still to embed for
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._failed = False  # the model failed on the newest engine: retried with the next one
        self._warned = False  # ... said once per process, however often it is retried
        self._stop = False

    @classmethod
    def create(cls, mode: str, cache_path: Path | None) -> SemanticWorker | None:
        """None when search.semantic is off or the model cannot load (logged once, BM25 alone)."""
        if mode == "off":
            return None
        embedder = Embedder.load()
        if embedder is None:
            return None
        return cls(VectorCache(cache_path), embedder)

    # -- giving an engine its channel ----------------------------------------------------------------
    def attach(
        self,
        engine: Engine,
        inline: int = INLINE_CHUNKS,
        progress: Progress | None = None,
        background: bool = True,
    ) -> bool:
        """Set engine.semantic now if at most `inline` chunks are missing (embedding them here), else
        leave the rest to the background thread (unless not `background`: a one-shot CLI question, whose
        process ends before any embedding would). True when the engine has its channel on return."""
        chunks = Chunks.of(engine.index.sections)
        missing = self.cache.missing(chunks.keys)
        if len(missing) <= inline and not self._failed:
            if missing and not self._embed(chunks, missing, progress):
                return False
            return self._finish(engine, chunks)
        if not background:
            return False
        with self._lock:
            self._target = (engine, chunks)
            self._failed = False  # a new engine (a reindex) retries a model that failed before
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="embed", daemon=True)
                self._thread.start()
        self._wake.set()
        log.info("semantic search joins when %d passages are embedded (BM25 answers meanwhile)", len(missing))
        return False

    def embed_all(self, sections: Sequence[Section], progress: Progress | None = None) -> int | None:
        """Embed (in this thread) and save every chunk these sections lack: the reindex verb. The
        number of chunks embedded, or None when the model failed."""
        chunks = Chunks.of(sections)
        missing = self.cache.missing(chunks.keys)
        if progress:
            progress(0, len(missing))
        if missing and not self._embed(chunks, missing, progress):
            return None
        if self.cache.dirty or len(self.cache) > 2 * len(chunks.keys) + 1000:
            self.cache.save(keep=chunks.keys)
        return len(missing)

    def stop(self) -> None:
        self._stop = True
        self._wake.set()

    # -- the work ----------------------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop:
            self._wake.wait(5.0)
            self._wake.clear()
            with self._lock:
                target, self._target = self._target, None
            if target is None:
                if self.cache.dirty:
                    self.cache.save()
                continue
            engine, chunks = target
            missing = self.cache.missing(chunks.keys)
            started = time.monotonic()

            def progress(done: int, total: int, started: float = started) -> None:
                if done == total or done % (BATCH * 20) == 0:
                    rate = done / max(time.monotonic() - started, 1e-3)
                    log.info("embedding passages %d/%d (%.1f per second)", done, total, rate)

            if self._embed(chunks, missing, progress, interrupt=True):
                self._finish(engine, chunks)
            elif self._target is None and not self._failed:  # stopped
                return

    def _embed(
        self, chunks: Chunks, missing: list[bytes], progress: Progress | None, interrupt: bool = False
    ) -> bool:
        """Embed `missing`; False if the model failed (logged once) or a newer engine arrived."""
        text = dict(zip(chunks.keys, chunks.texts, strict=True))
        last_save = time.monotonic()
        for start in range(0, len(missing), BATCH):
            if self._stop or (interrupt and self._target is not None):
                self.cache.save()
                return False
            keys = missing[start : start + BATCH]
            try:
                vecs = self.embedder.passages([text[k] for k in keys])
            except Exception as err:
                if not self._warned:
                    self._warned = True
                    log.warning("embedding failed (%s: %s); BM25 answers alone until the next reindex",
                                type(err).__name__, err)  # fmt: skip
                self._failed = True
                self.cache.save()
                return False
            self.cache.add(keys, vecs)
            if progress:
                progress(min(start + BATCH, len(missing)), len(missing))
            if time.monotonic() - last_save > SAVE_EVERY_SECONDS:
                self.cache.save()
                last_save = time.monotonic()
        return True

    def _finish(self, engine: Engine, chunks: Chunks) -> bool:
        matrix = self.cache.matrix(chunks.keys)
        if matrix is None:
            return False
        # Saved before the channel joins: whoever sees it joined (a restart, a test) finds the vectors on
        # disk. Pruning is the reindex verb's (embed_all): this cache may serve others.
        if self.cache.dirty:
            self.cache.save()
        semantic = SemanticIndex(chunks, matrix, len(engine.index.sections), self.embedder)
        semantic.talk_ceiling = talk_ceiling(semantic)
        engine.semantic = semantic
        return True
