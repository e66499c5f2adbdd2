"""The one object front ends talk to: answers from the current engine, swapped atomically on reindex.

- ``ask(question, top=None) -> Answer``: sync and fast; QuestionError for an empty question.
- ``install(distro)`` / ``distros()`` / ``examples(n)``.
- ``await reindex(full=False) -> ReindexReport``: builds in a worker thread and swaps the engine in one
  assignment when done; questions meanwhile are answered by the old engine; concurrent calls share one
  rebuild, and a call made while a rebuild runs gets exactly one more after it (never lost); a failed
  rebuild keeps the old engine serving and says why (ok=False, error).
- The knowledge-folder watcher (answers/watch.py) calls the same reindex().
- ``wait_idle(timeout)``: for a front end stopping: the running rebuild and the index save finish first.
- ``on_answer(answer, latency_ms)``, when set (the Discord bot sets the question log's, bot/insight/log.py),
  is called once per answer; it must be cheap and never raise (it is guarded anyway).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass, field, replace

from bot.answers.engine import Engine, Tuning
from bot.answers.semantic import SemanticWorker
from bot.answers.store import EngineStore
from bot.answers.types import Answer
from bot.config import Config
from bot.errors import BotError
from bot.index.store import IndexStore
from bot.notes.install import InstallSnippet
from bot.notes.section import Section

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


def settle_memory() -> None:
    """Collect once, then freeze: the index's millions of long-lived objects leave the GC's scans.

    Without it a full collection (150-200 ms at 100k sections) can land inside any question.
    """
    gc.collect()
    gc.freeze()


def tuning_from(config: Config) -> Tuning:
    return Tuning(
        min_confidence=config.search.min_confidence, max_question_chars=config.search.max_question_chars
    )


def semantic_for(config: Config, store: IndexStore) -> SemanticWorker | None:
    """The embedding worker for this folder (vectors beside its index), or None (off, or no model)."""
    worker = SemanticWorker.create(config.search.semantic, store.vectors_path)
    if worker is None and config.search.semantic == "on":
        log.warning("search.semantic is on but the embedding model is not available: BM25 alone")
    return worker


class AnswerService:
    def __init__(
        self, engine: Engine, config: Config, store: EngineStore, semantic: SemanticWorker | None = None
    ) -> None:
        self.engine = engine  # replaced whole by reindex; readers take one reference per question
        self.config = config
        self.store = store
        self.semantic = semantic  # gives each engine its embedding channel (None: BM25 alone)
        self._build_lock = threading.Lock()  # one rebuild at a time, across threads and event loops
        # Coalescing (request_reindex): the rebuild running or about to run, and the one queued after it.
        # Plain threads and concurrent futures: any event loop (or none) may ask.
        self._state_lock = threading.Lock()
        self._current: _Batch | None = None
        self._next: _Batch | None = None
        self.on_answer: Callable[[Answer, float], None] | None = None  # e.g. QuestionLog.record_answer

    @classmethod
    def from_config(cls, config: Config, warm: bool = True) -> AnswerService:
        """warm: pay the one-time costs now (a server); a one-shot CLI call lets its question pay them."""
        store = EngineStore(config.knowledge_dir, config.cache_dir, config.dictionary_dir)
        engine = store.load_or_build(tuning_from(config))
        semantic = semantic_for(config, store)
        if semantic is not None:
            # Ready now from saved vectors; else embedded in the background by a server (warm), while a
            # one-shot question answers from BM25 (`reindex` embeds and saves the vectors).
            semantic.attach(engine, inline=0, background=warm)
        if warm:
            engine.warm_up()  # Kiwi's lazy model load and the typo table: at start-up, not on a question
            settle_memory()
        return cls(engine, config, store, semantic)

    def close(self) -> None:
        """Stop the background embedding (it saves the vectors it has first)."""
        if self.semantic is not None:
            self.semantic.stop()

    # -- answers -----------------------------------------------------------------------------------
    def ask(self, question: str, top: int | None = None) -> Answer:
        return self._answer(lambda engine: engine.ask(question, top or self.config.search.top))

    def _answer(self, make: Callable[[Engine], Answer]) -> Answer:
        """Every path to an answer: timed, logged, and handed to on_answer once."""
        started = time.perf_counter()
        answer = make(self.engine)
        ms = (time.perf_counter() - started) * 1000
        log.debug("answer answered=%s results=%d ms=%.2f", answer.answered, len(answer.results), ms)
        if self.on_answer is not None:
            try:
                self.on_answer(answer, ms)
            except Exception:  # logging a question never fails its answer
                log.debug("on_answer hook failed", exc_info=True)
        return answer

    def ask_followup(self, question: str, topic: str, top: int | None = None) -> Answer:
        """``question`` asked in a conversation about ``topic`` (answers/followup.py decides how)."""
        from bot.answers.followup import ask_followup

        return self._answer(
            lambda engine: ask_followup(engine, question, topic, top or self.config.search.top)
        )

    def ask_unprompted(self, question: str, min_confidence: float, min_specific: float) -> Answer:
        """For text nobody asked the bot (a forum post's title): answered only when the engine is sure
        (its confidence and its specific-word coverage both reach the thresholds), else declined."""

        def unprompted(engine: Engine) -> Answer:
            answer = engine.ask(question, self.config.search.top)
            if not answer.answered:
                return answer
            if answer.confidence >= min_confidence and engine.specific_coverage(question) >= min_specific:
                return answer
            titles = tuple(r.section.title for r in answer.results)
            return replace(answer, answered=False, results=(), suggestions=titles)

        return self._answer(unprompted)

    def titles(self, typed: str, limit: int = 25) -> list[str]:
        """Section titles matching what is being typed (autocomplete)."""
        return self.engine.titles().match(typed, limit)

    def install(self, distro: str) -> InstallSnippet:
        return self.engine.install(distro)

    def distros(self) -> list[InstallSnippet]:
        return list(self.engine.snippets)

    def examples(self, n: int = 5) -> list[str]:
        return self.engine.examples(n)

    def section_at(self, location: str) -> Section | None:
        """The section an answer's footer names ('source:line'); None when the notes no longer have it."""
        source, _, line = location.rpartition(":")
        entry = self.engine.entries.get(source)
        if entry is None or not line.isdigit():
            return None
        return next((s for s in entry.sections if s.line == int(line)), None)

    # -- reindex -----------------------------------------------------------------------------------
    def reindex_sync(self, full: bool = False, progress=None) -> ReindexReport:
        """Rebuild now, in this thread, and swap the engine in; a failure keeps the old one serving."""
        with self._build_lock:
            old = self.engine
            started = time.perf_counter()
            try:
                # Answers switch to the new index at once; the saved file (for the next start) follows.
                engine = self.store.rebuild(
                    tuning_from(self.config), old, full=full, progress=progress, save_in_background=True
                )
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
            try:
                engine.warm_up()  # here in the worker, not on the first question after the swap
            except Exception:  # an optional speed-up: never a reason to keep the old index
                log.debug("warm-up of the new engine failed", exc_info=True)
            if self.semantic is not None:
                try:  # a file or two: embedded here, so the new engine answers from both channels
                    self.semantic.attach(engine)
                except Exception:  # the embeddings are an extra: BM25 answers regardless
                    log.warning("semantic channel not attached", exc_info=True)
            self.engine = engine  # the swap: one reference assignment
            seconds = round(time.perf_counter() - started, 3)  # what a reindex costs until it answers
            settle_memory()
            r = engine.report
            log.info(
                "reindex files=%d sections=%d retokenized=%d warnings=%d seconds=%.2f",
                r.files,
                r.sections,
                r.retokenized,
                len(r.warnings),
                seconds,
            )
            return ReindexReport(r.files, r.sections, r.retokenized, list(r.warnings), seconds)

    async def reindex(self, full: bool = False) -> ReindexReport:
        """Rebuild in a worker thread; the event loop and questions go on meanwhile (old engine).

        Calls made before the rebuild has started (all calls of one event-loop turn, e.g. a gather)
        share it; calls made while one runs share the single rebuild queued after it, so the last edit
        is always picked up. Cancelling a caller does not cancel the rebuild.
        """
        batch, start = self._enqueue(full)
        if start:
            self._spawn()
            # The worker begins on the next loop turn, so the other calls of this turn join it (and
            # after half a second regardless, should this loop never turn again).
            asyncio.get_running_loop().call_soon(batch.go.set)
        return await asyncio.shield(asyncio.wrap_future(batch.future))

    def request_reindex(self, full: bool = False) -> Future[ReindexReport]:
        """reindex() for threads without an event loop: a Future of the report of the rebuild that
        includes every change made before this call."""
        batch, start = self._enqueue(full)
        if start:
            batch.go.set()
            self._spawn()
        return batch.future

    def _enqueue(self, full: bool) -> tuple[_Batch, bool]:
        """(the batch to wait on, whether a worker must be started for it)."""
        with self._state_lock:
            if self._current is None:
                self._current = _Batch(full)
                return self._current, True
            if not self._current.started:
                self._current.full |= full
                return self._current, False
            if self._next is None:
                self._next = _Batch(full)
                self._next.go.set()  # runs as soon as the current one is done
            self._next.full |= full
            return self._next, False

    def _spawn(self) -> None:
        try:
            threading.Thread(target=self._drive, name="reindex", daemon=True).start()
        except RuntimeError as err:  # "can't start new thread": fail this request, do not wedge the next
            with self._state_lock:
                batch, self._current = self._current, None
            if batch is not None:
                r = self.engine.report
                batch.future.set_result(
                    ReindexReport(r.files, r.sections, 0, [], 0.0, ok=False, error=str(err))
                )

    @property
    def reindexing(self) -> bool:
        with self._state_lock:
            return self._current is not None

    def wait_idle(self, timeout: float) -> bool:
        """Block until no rebuild runs or waits and the last index save is on disk, at most ``timeout``
        seconds (a front end stopping). False if one still runs: its daemon thread dies with the process,
        the saved file stays the old one and the next start catches up."""
        deadline = time.monotonic() + timeout
        while True:
            with self._state_lock:
                batch = self._next or self._current
            if batch is None:
                break
            with contextlib.suppress(TimeoutError):
                batch.future.result(max(deadline - time.monotonic(), 0))
            if time.monotonic() >= deadline:
                return not self.reindexing and self.store.wait_saved(0)
        return self.store.wait_saved(max(deadline - time.monotonic(), 0))

    def _drive(self) -> None:
        """The worker: runs the current batch, then the one queued meanwhile, until none is left."""
        while True:
            with self._state_lock:
                batch = self._current
                assert batch is not None
            batch.go.wait(0.5)
            with self._state_lock:
                batch.started = True  # from here on, a new request needs another rebuild
            try:
                report = self.reindex_sync(batch.full)
            except BaseException as err:  # reindex_sync catches Exception; this is KeyboardInterrupt & co
                report = ReindexReport(0, 0, 0, [], 0.0, ok=False, error=f"{type(err).__name__}")
            with self._state_lock:  # before waking the callers: they see a settled state
                self._current, self._next = self._next, None
                more = self._current is not None
            with contextlib.suppress(InvalidStateError):
                batch.future.set_result(report)
            if not more:
                return


@dataclass
class _Batch:
    """One rebuild and everyone waiting for it."""

    full: bool
    started: bool = False
    go: threading.Event = field(default_factory=threading.Event)
    future: Future[ReindexReport] = field(default_factory=Future)
