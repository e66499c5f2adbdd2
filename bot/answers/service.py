"""The one object front ends talk to: answers from the current engine, swapped atomically on reindex.

- ``ask(question, top=None) -> Answer``: sync and fast; QuestionError for an empty question.
- ``install(distro)`` / ``distros()`` / ``examples(n)``.
- ``await reindex(full=False) -> ReindexReport``: builds in a worker thread and swaps the engine in one
  assignment when done; questions meanwhile are answered by the old engine; concurrent calls share one
  rebuild, and a call made while a rebuild runs gets exactly one more after it (never lost); a failed
  rebuild keeps the old engine serving and says why (ok=False, error).
- The knowledge-folder watcher (answers/watch.py) calls the same reindex().
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass, field

from bot.answers.engine import Engine, Tuning
from bot.answers.types import Answer
from bot.config import Config
from bot.errors import BotError
from bot.index.store import IndexStore
from bot.notes.install import InstallSnippet

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReindexReport:
    files: int
    sections: int
    retokenized: int
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    ok: bool = True
    error: str = ""  # why the rebuild failed (the old index keeps serving)

    def to_json(self) -> dict:
        return {
            "ok": self.ok,
            "files": self.files,
            "sections": self.sections,
            "retokenized": self.retokenized,
            "warnings": self.warnings,
            "seconds": self.seconds,
            **({"error": self.error} if self.error else {}),
        }


def tuning_from(config: Config) -> Tuning:
    return Tuning(
        min_confidence=config.search.min_confidence, max_question_chars=config.search.max_question_chars
    )


class AnswerService:
    def __init__(self, engine: Engine, config: Config, store: IndexStore) -> None:
        self.engine = engine  # replaced whole by reindex; readers take one reference per question
        self.config = config
        self.store = store
        self._build_lock = threading.Lock()  # one rebuild at a time, across threads and event loops
        # Coalescing (request_reindex): the rebuild running or about to run, and the one queued after it.
        # Plain threads and concurrent futures: any event loop (or none) may ask.
        self._state_lock = threading.Lock()
        self._current: _Batch | None = None
        self._next: _Batch | None = None

    @classmethod
    def from_config(cls, config: Config) -> AnswerService:
        store = IndexStore(config.knowledge_dir, config.cache_dir)
        engine = store.load_or_build(tuning_from(config))
        return cls(engine, config, store)

    # -- answers -----------------------------------------------------------------------------------
    def ask(self, question: str, top: int | None = None) -> Answer:
        started = time.perf_counter()
        answer = self.engine.ask(question, top or self.config.search.top)
        log.debug(
            "answer answered=%s results=%d ms=%.2f",
            answer.answered,
            len(answer.results),
            (time.perf_counter() - started) * 1000,
        )
        return answer

    def install(self, distro: str) -> InstallSnippet:
        return self.engine.install(distro)

    def distros(self) -> list[InstallSnippet]:
        return list(self.engine.snippets)

    def examples(self, n: int = 5) -> list[str]:
        return self.engine.examples(n)

    # -- reindex -----------------------------------------------------------------------------------
    def reindex_sync(self, full: bool = False, progress=None) -> ReindexReport:
        """Rebuild now, in this thread, and swap the engine in; a failure keeps the old one serving."""
        with self._build_lock:
            old = self.engine
            started = time.perf_counter()
            try:
                engine = self.store.rebuild(tuning_from(self.config), old, full=full, progress=progress)
            except Exception as err:  # a missing or empty folder (BotError), a full disk, a bug: keep serving
                seconds = round(time.perf_counter() - started, 3)
                reason = str(err) if isinstance(err, BotError) else f"unexpected {type(err).__name__}: {err}"
                log.warning(
                    "reindex failed, old index keeps serving: %s",
                    reason,
                    exc_info=not isinstance(err, BotError),
                )
                r = old.report
                return ReindexReport(r.files, r.sections, 0, [], seconds, ok=False, error=reason)
            self.engine = engine  # the swap: one reference assignment
            r = engine.report
            log.info(
                "reindex files=%d sections=%d retokenized=%d warnings=%d seconds=%.2f",
                r.files,
                r.sections,
                r.retokenized,
                len(r.warnings),
                r.seconds,
            )
            return ReindexReport(r.files, r.sections, r.retokenized, list(r.warnings), r.seconds)

    async def reindex(self, full: bool = False) -> ReindexReport:
        """Rebuild in a worker thread; the event loop and questions go on meanwhile (old engine).

        Calls that arrive before the running rebuild has started share it; calls that arrive while one
        runs share the single rebuild queued after it (so the last edit is always picked up). Cancelling
        the caller does not cancel the rebuild.
        """
        return await asyncio.shield(asyncio.wrap_future(self.request_reindex(full)))

    def request_reindex(self, full: bool = False) -> Future[ReindexReport]:
        """Thread-safe, loop-free form of reindex(): a Future of the report of the rebuild that will
        include every change made before this call."""
        with self._state_lock:
            if self._current is None:
                self._current = batch = _Batch(full)
                threading.Thread(target=self._drive, name="reindex", daemon=True).start()
            elif not self._current.started:
                batch = self._current
                batch.full |= full
            else:
                if self._next is None:
                    self._next = _Batch(full)
                batch = self._next
                batch.full |= full
            return batch.future

    @property
    def reindexing(self) -> bool:
        with self._state_lock:
            return self._current is not None

    def _drive(self) -> None:
        """The worker: runs the current batch, then the one queued meanwhile, until none is left."""
        while True:
            with self._state_lock:
                batch = self._current
                assert batch is not None
                batch.started = True  # from here on, a new request needs another rebuild
            try:
                report = self.reindex_sync(batch.full)
            except BaseException as err:  # reindex_sync catches Exception; this is KeyboardInterrupt & co
                report = ReindexReport(0, 0, 0, [], 0.0, ok=False, error=f"{type(err).__name__}")
            with contextlib.suppress(InvalidStateError):
                batch.future.set_result(report)
            with self._state_lock:
                self._current, self._next = self._next, None
                if self._current is None:
                    return


@dataclass
class _Batch:
    """One rebuild and everyone waiting for it."""

    full: bool
    started: bool = False
    future: Future[ReindexReport] = field(default_factory=Future)
