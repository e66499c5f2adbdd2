"""Threads the bot has already dealt with, kept across restarts: a forum post is answered once.

A small SQLite file under the cache folder holds thread ids only (no user ids, no text). When the file
cannot be opened or written, the bot logs it once and remembers in memory from then on.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
import time
from pathlib import Path

log = logging.getLogger("bot.discord")


class AnsweredThreads:
    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._memory: set[int] = set()
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(path, check_same_thread=False, timeout=5.0)
                # One small insert per post, on the event loop: WAL without a sync per commit keeps it
                # well under a millisecond (a lost last insert on power loss only risks one repeat).
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
                db.execute("CREATE TABLE IF NOT EXISTS threads (id INTEGER PRIMARY KEY, at REAL NOT NULL)")
                db.commit()
                self._db = db
            except (OSError, sqlite3.Error) as err:
                self._fail(err)

    def claim(self, thread_id: int) -> bool:
        """True the first time a thread is claimed (by any process sharing the file), False after."""
        with self._lock:
            if thread_id in self._memory:
                return False
            self._memory.add(thread_id)
            if self._db is None:
                return True
            try:
                cur = self._db.execute(
                    "INSERT OR IGNORE INTO threads (id, at) VALUES (?, ?)", (thread_id, time.time())
                )
                self._db.commit()
                return cur.rowcount == 1
            except sqlite3.Error as err:
                self._fail(err)
                return True

    def __contains__(self, thread_id: int) -> bool:
        with self._lock:
            if thread_id in self._memory or self._db is None:
                return thread_id in self._memory
            try:
                row = self._db.execute("SELECT 1 FROM threads WHERE id = ?", (thread_id,)).fetchone()
            except sqlite3.Error as err:
                self._fail(err)
                return False
            return row is not None

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def _fail(self, err: BaseException) -> None:
        log.warning("answered-threads file %s unusable (%s): remembering in memory only", self.path, err)
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
        self._db = None
