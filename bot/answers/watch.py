"""Hot reload: watch the knowledge folder and reindex when the notes or the dictionary files change.

On when config `[reload] watch = true`. Polls file metadata (path, size, mtime, ctime, inode) rather than
relying on inotify: no extra dependency, and it also sees edits on bind mounts, network shares and
editors that save by rename. A change starts a quiet period: the rebuild runs once nothing has changed
for `debounce_seconds` (or at the latest 10× that after the first change, for a folder that never stops
changing). The rebuild is the service's own `reindex()` (worker thread, atomic swap, coalescing): a change
made while a rebuild runs is seen by the next poll and rebuilt after it, so the last edit always lands.

Front ends start it next to their event loop:

    stop = asyncio.Event()
    task = asyncio.create_task(watch_and_reindex(service, config, stop))
    ...
    stop.set(); await task

or with `Watcher(service, config).start()` / `await watcher.stop()`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import stat
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from bot.errors import KnowledgeError
from bot.notes.files import MAX_FILE_BYTES, discover
from bot.tokens.lexicon import DICTIONARY_DIR

if TYPE_CHECKING:
    from bot.answers.service import AnswerService, ReindexReport
    from bot.config import Config

log = logging.getLogger(__name__)

Entry = tuple[tuple[int, ...], int | None]  # (size, mtime, ctime, inode, mode), content CRC if recent
Snapshot = dict[str, Entry] | None  # None: the folder is missing
RACY_NS = 3_000_000_000  # files modified less than this long ago are compared by content too


def snapshot(folder: Path) -> Snapshot:
    """What the index depends on, as cheap metadata: every note file (as discover() lists them) and the
    dictionary files. Reads only the content of files modified in the last few seconds."""
    try:
        names = discover(folder)
    except KnowledgeError:
        return None
    dictionary = folder / DICTIONARY_DIR
    with contextlib.suppress(OSError):
        names += [f"{DICTIONARY_DIR}/{p.name}" for p in dictionary.iterdir() if p.name.endswith(".txt")]
    out: dict[str, Entry] = {}
    now = time.time_ns()
    for name in names:
        path = folder / name
        try:
            st = os.stat(path)
        except OSError:
            out[name] = ((-1,), None)  # a dangling symlink or a file that just went away
            continue
        crc = None
        if now - st.st_mtime_ns < RACY_NS and stat.S_ISREG(st.st_mode) and st.st_size <= MAX_FILE_BYTES:
            # Modified just now: on a file system with coarse timestamps a second same-size edit in the
            # same tick would look unchanged, so the content decides (git's "racily clean" problem).
            with contextlib.suppress(OSError):
                crc = zlib.crc32(path.read_bytes())
        out[name] = ((st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_mode), crc)
    return out


def _same_entry(a: Entry | None, b: Entry | None) -> bool:
    if a is None or b is None:
        return a is b
    return a[0] == b[0] and (a[1] is None or b[1] is None or a[1] == b[1])


def changed_names(before: Snapshot, after: Snapshot) -> list[str]:
    if before is None or after is None:
        return [] if before is after else ["(the knowledge folder itself)"]
    return sorted(k for k in before.keys() | after.keys() if not _same_entry(before.get(k), after.get(k)))


def same_snapshot(before: Snapshot, after: Snapshot) -> bool:
    return not changed_names(before, after)


async def _stopped(stop_event: asyncio.Event, timeout: float) -> bool:
    """Sleep up to timeout; True as soon as stop_event is set."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop_event.wait(), timeout)
    return stop_event.is_set()


async def watch_and_reindex(
    service: AnswerService,
    config: Config,
    stop_event: asyncio.Event,
    *,
    poll_seconds: float | None = None,
    on_report: Callable[[ReindexReport], object] | None = None,
) -> None:
    """Run until stop_event is set: reindex (via service.reindex) after the folder settles from a change.

    Returns at once when config.reload.watch is false. Never raises for a bad folder or a failed
    rebuild (those are logged; the old index keeps serving). on_report gets every rebuild's report.
    """
    if not config.reload.watch:
        log.debug("reload.watch is off: not watching %s", config.knowledge_dir)
        return
    folder = config.knowledge_dir
    debounce = config.reload.debounce_seconds
    poll = poll_seconds if poll_seconds is not None else min(max(debounce / 4, 0.1), 1.0)
    loop = asyncio.get_running_loop()
    last = await asyncio.to_thread(snapshot, folder)
    log.info("watching %s for changes (debounce %.1fs, poll every %.2fs)", folder, debounce, poll)
    while not stop_event.is_set():
        try:
            if await _stopped(stop_event, poll):
                return
            now = await asyncio.to_thread(snapshot, folder)
            if same_snapshot(last, now):
                continue
            # Debounce: wait for a quiet period (editors and git checkouts write many files in bursts).
            first = quiet = loop.time()
            while loop.time() - quiet < debounce and loop.time() - first < 10 * debounce:
                if await _stopped(stop_event, poll):
                    return
                again = await asyncio.to_thread(snapshot, folder)
                if not same_snapshot(again, now):
                    now, quiet = again, loop.time()
            names = changed_names(last, now)
            last = now  # anything changed after this snapshot is seen by the next poll
            shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
            log.info("knowledge folder changed (%s); reindexing", shown)
            rebuild = asyncio.ensure_future(service.reindex())
            stopper = asyncio.ensure_future(stop_event.wait())
            await asyncio.wait({rebuild, stopper}, return_when=asyncio.FIRST_COMPLETED)
            stopper.cancel()
            if not rebuild.done():  # stopping: the rebuild finishes on its own in its thread
                rebuild.cancel()
                return
            report = rebuild.result()
            if not report.ok:
                log.warning("reindex after a change failed; the old index keeps serving: %s", report.error)
            if on_report is not None:
                on_report(report)
        except asyncio.CancelledError:
            raise
        except Exception:  # the watcher must outlive any one bad poll
            log.exception("knowledge watcher: unexpected error; still watching")
            if await _stopped(stop_event, max(poll, 1.0)):
                return


class Watcher:
    """watch_and_reindex as a task with start() and stop(); a no-op when reload.watch is off."""

    def __init__(
        self,
        service: AnswerService,
        config: Config,
        *,
        poll_seconds: float | None = None,
        on_report: Callable[[ReindexReport], object] | None = None,
    ) -> None:
        self.service = service
        self.config = config
        self.poll_seconds = poll_seconds
        self.on_report = on_report
        self.stop_event = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    def start(self) -> Watcher:
        """Start watching (call from the running event loop)."""
        if self.task is None and self.config.reload.watch:
            run = watch_and_reindex(
                self.service,
                self.config,
                self.stop_event,
                poll_seconds=self.poll_seconds,
                on_report=self.on_report,
            )
            self.task = asyncio.create_task(run, name="knowledge-watcher")
        return self

    async def stop(self) -> None:
        self.stop_event.set()
        if self.task is not None:
            await self.task
            self.task = None
