"""The one object front ends talk to: answers from the current engine, swapped atomically on reindex.

- ``ask(question, top=None) -> Answer``: sync and fast; QuestionError for an empty question.
- ``install(distro)`` / ``distros()`` / ``examples(n)``.
- ``await reindex(full=False) -> ReindexReport``: builds in a worker thread and swaps the engine in one
  assignment when done; questions meanwhile are answered by the old engine; concurrent calls share one
  rebuild; a failed rebuild keeps the old engine serving and says why.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
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
        self._pending: asyncio.Task[ReindexReport] | None = None

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
        with self._build_lock:
            old = self.engine
            try:
                engine = self.store.rebuild(tuning_from(self.config), old, full=full, progress=progress)
            except BotError as err:
                log.warning("reindex failed, old index keeps serving: %s", err)
                r = old.report
                return ReindexReport(r.files, r.sections, 0, [], 0.0, ok=False, error=str(err))
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
        """Rebuild in a worker thread; callers that arrive while one runs share its result."""
        if self._pending is None or self._pending.done():
            self._pending = asyncio.ensure_future(asyncio.to_thread(self.reindex_sync, full))
        return await asyncio.shield(self._pending)
