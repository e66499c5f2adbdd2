"""Pull the notes from Git, then reindex; and a timer that does it every `[reload] pull_minutes`.

A failed pull (bot/notes/git.py: not a fast-forward, local edits, unreachable remote) changes nothing in
the knowledge folder and does not rebuild: the old index keeps serving, and the report says why
(ok=False, error = the pull's one line). The timer follows the watcher's lifecycle (answers/watch.py):

    puller = Puller(service, config).start()   # a no-op unless git_remote and pull_minutes are set
    ...
    await puller.stop()
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.notes.git import GitError, PullResult, pull

if TYPE_CHECKING:
    from bot.answers.service import AnswerService, ReindexReport
    from bot.config import Config

log = logging.getLogger(__name__)


def pull_notes(config: Config) -> PullResult:
    """The configured remote into the configured knowledge folder (blocking); GitError when refused."""
    k = config.knowledge
    return pull(config.knowledge_dir, config.git_remote, k.git_branch, k.git_timeout_seconds)


def failed_report(service: AnswerService, error: str) -> ReindexReport:
    from bot.answers.service import ReindexReport

    r = service.engine.report
    return ReindexReport(r.files, r.sections, 0, [], 0.0, ok=False, error=error)


async def pull_and_reindex(
    service: AnswerService,
    full: bool = False,
    *,
    only_if_changed: bool = False,
    config: Config | None = None,
) -> ReindexReport | None:
    """Pull (in a worker thread), then service.reindex(). None when only_if_changed and nothing came.
    config: where to pull from and into (default the service's own)."""
    config = config or service.config
    try:
        result = await asyncio.to_thread(pull_notes, config)
    except GitError as err:
        log.warning("%s; the old index keeps serving", err)
        return failed_report(service, str(err))
    where = result.describe(config.git_remote, config.knowledge.git_branch)
    log.log(logging.INFO if result.changed else logging.DEBUG, "pulled %s in %.2fs", where, result.seconds)
    if only_if_changed and not result.changed:
        return None
    return await service.reindex(full=full)


class Puller:
    """pull_and_reindex every `[reload] pull_minutes`; start() / await stop() like watch.Watcher."""

    def __init__(
        self,
        service: AnswerService,
        config: Config,
        *,
        on_report: Callable[[ReindexReport], object] | None = None,
    ) -> None:
        self.service = service
        self.config = config
        self.on_report = on_report
        self.stop_event = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    @property
    def enabled(self) -> bool:
        return bool(self.config.git_remote) and self.config.reload.pull_minutes > 0

    def start(self) -> Puller:
        if self.task is None and self.enabled:
            self.task = asyncio.create_task(self._run(), name="knowledge-puller")
        return self

    async def _run(self) -> None:
        period = self.config.reload.pull_minutes * 60
        log.info("pulling the notes every %.1f min", self.config.reload.pull_minutes)
        while not self.stop_event.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop_event.wait(), period)
            if self.stop_event.is_set():
                return
            try:
                report = await pull_and_reindex(self.service, only_if_changed=True, config=self.config)
            except asyncio.CancelledError:
                raise
            except Exception:  # the timer outlives any one bad pull
                log.exception("timed pull: unexpected error; still pulling")
                continue
            if report is not None and self.on_report is not None:
                self.on_report(report)

    async def stop(self) -> None:
        self.stop_event.set()
        if self.task is not None:
            await asyncio.wait({self.task}, timeout=5)  # a pull under way finishes in its thread
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
            self.task = None
