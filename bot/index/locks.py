"""Cross-process order for one cached index: builds take turns, and an older build never overwrites a
newer one's file (two `reindex` runs at once: the newest notes win).

fcntl.flock on small files beside the index; a thread lock in front of it, since flock does not order
the threads of one process sharing it. Where the cache folder cannot hold a lock file (read-only, a
path under a regular file), work goes on unlocked: a lock is there to make saves exact, never to stop
an answer.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from bot.index.atomic import write_atomically

log = logging.getLogger(__name__)
WAIT_SECONDS = 300.0  # a full build of 100k sections takes ~2 minutes: wait for it rather than race it


class FileLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._thread = threading.Lock()

    @contextlib.contextmanager
    def held(self, wait: float = WAIT_SECONDS) -> Iterator[bool]:
        """Hold the lock (True), or go on without it (False) when it cannot be had."""
        with self._thread:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
            except OSError:
                yield False
                return
            try:
                got = _flock(fd, wait)
                if not got:
                    log.warning("%s: still held by another process after %.0f s; going on", self.path, wait)
                yield got
            finally:
                os.close(fd)  # closing releases the flock


def _flock(fd: int, wait: float) -> bool:
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)
        except OSError:  # a file system without locks
            return False


def read_stamp(path: Path) -> int:
    """The build time (ns) of the index file on disk, 0 when unknown."""
    try:
        return int(path.read_text(encoding="ascii").strip() or 0)
    except (OSError, ValueError):
        return 0


def write_stamp(path: Path, stamp: int) -> None:
    with contextlib.suppress(OSError):
        write_atomically(path, lambda fh: fh.write(str(stamp).encode("ascii")))
