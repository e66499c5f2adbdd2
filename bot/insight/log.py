"""The question log: every answered or declined question and every 👍/👎, in one SQLite file (WAL).

- The answer path only puts an item on a queue (``record_answer``: a few microseconds); one writer thread
  turns items into rows and writes them in batches. Nothing here ever raises into an answer.
- A failing database never fails an answer and is logged once per kind of failure: a locked or busy file
  keeps the rows and retries (bounded by ``max_pending``); a corrupt file is moved aside
  (``<name>.corrupt-<time>``) and a new one created; a full disk or any other error drops the batch
  (counted in ``dropped``).
- User ids are never stored: a keyed BLAKE2b hash with a random salt generated once and kept in the
  database's ``meta`` table (a new database, e.g. after a corrupt one, gets a new salt).
- ``store_question_text = false`` keeps no question text at all (counts, sections, scores only).
- Rows older than ``retention_days`` are purged when the file is opened and every hour after.
- The schema is versioned with ``PRAGMA user_version`` and upgraded by ``MIGRATIONS`` in order; a file
  from a newer version is left untouched (the log is then off).

Where a question came from (slash command, mention, button, forum post; guild and channel) is set by the
front end around its call to ``AnswerService.ask``, with ``asked_from(Origin(...))``: the service calls
``record_answer(answer, latency_ms)`` once per answer and the origin is read from a context variable, so
a front end that sets none still gets its questions logged (source "other").
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import logging
import os
import queue
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.answers.types import Answer
    from bot.config import Config

log = logging.getLogger(__name__)

MIGRATIONS: list[str] = [
    # 0 -> 1
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE questions (
        id INTEGER PRIMARY KEY,
        ts REAL NOT NULL,              -- unix time (UTC)
        source TEXT NOT NULL,          -- slash | mention | button | forum | cli | other
        guild_id INTEGER,
        channel_id INTEGER,
        user_hash TEXT,                -- keyed hash of the user id; never the id
        question TEXT,                 -- NULL with store_question_text = false
        answered INTEGER NOT NULL,     -- 1 answered, 0 declined
        location TEXT,                 -- best result: "file.md:line"
        title TEXT,                    -- best result: its breadcrumb
        score REAL,
        latency_ms REAL
    );
    CREATE INDEX questions_ts ON questions (ts);
    CREATE TABLE votes (
        id INTEGER PRIMARY KEY,
        ts REAL NOT NULL,
        vote TEXT NOT NULL CHECK (vote IN ('up', 'down')),
        guild_id INTEGER,
        channel_id INTEGER,
        user_hash TEXT,
        question TEXT,                 -- the question of the answer judged (NULL without text)
        location TEXT,                 -- the answer judged: "file.md:line"
        message_id INTEGER
    );
    CREATE INDEX votes_ts ON votes (ts);
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)

_Q = "INSERT INTO questions (ts, source, guild_id, channel_id, user_hash, question, answered, location, "
_Q += "title, score, latency_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
_V = "INSERT INTO votes (ts, vote, guild_id, channel_id, user_hash, question, location, message_id) "
_V += "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a question or a vote came from."""

    source: str = "other"  # slash | mention | button | forum | cli | vote | other
    guild_id: int | None = None
    channel_id: int | None = None
    user_id: int | None = None  # hashed by the writer thread; never written


_ORIGIN: contextvars.ContextVar[Origin | None] = contextvars.ContextVar("question_origin", default=None)


@contextlib.contextmanager
def asked_from(origin: Origin) -> Iterator[None]:
    """Questions answered inside this block are logged with this origin."""
    token = _ORIGIN.set(origin)
    try:
        yield
    finally:
        _ORIGIN.reset(token)


class LogUnavailable(Exception):
    """The file cannot be used at all (written by a newer version)."""


def connect(path: Path, timeout: float = 1.0) -> sqlite3.Connection:
    """A connection with the log's pragmas and schema (migrations applied)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():  # questions are the group's words: readable by this user only (-wal/-shm follow)
        with contextlib.suppress(OSError):
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    conn = sqlite3.connect(path, timeout=timeout, check_same_thread=False)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise LogUnavailable(f"{path} has schema version {version}, newer than {SCHEMA_VERSION}")
        if version == 0 and conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchone():
            # tables but no schema version: another program's database (every migration would fail
            # and every row be dropped); set aside like a corrupt file, never written into
            raise sqlite3.DatabaseError("not a question log (tables without a schema version)")
        for n in range(version, SCHEMA_VERSION):
            with conn:
                conn.executescript(f"BEGIN; {MIGRATIONS[n]}; PRAGMA user_version = {n + 1}; COMMIT;")
    except BaseException:
        conn.close()
        raise
    return conn


def _is_corrupt(err: sqlite3.Error) -> bool:
    text = str(err).lower()
    return any(m in text for m in ("malformed", "not a database", "file is encrypted", "not a question log"))


def _is_busy(err: sqlite3.Error) -> bool:
    text = str(err).lower()
    return "locked" in text or "busy" in text


class QuestionLog:
    def __init__(
        self,
        path: str | Path,
        *,
        retention_days: int = 90,
        store_text: bool = True,
        max_pending: int = 100_000,
        purge_every: float = 3600.0,
        busy_timeout: float = 1.0,
        batch_seconds: float = 0.25,
    ) -> None:
        self.path = Path(path)
        self.retention_days = retention_days
        self.store_text = store_text
        self.max_pending = max_pending
        self.purge_every = purge_every
        self.busy_timeout = busy_timeout
        # The writer gathers rows this long before writing: it wakes a few times a second at most, so its
        # own Python work (rows, hashes, sqlite3) seldom competes with an answer for the GIL.
        self.batch_seconds = batch_seconds
        self._urgent = threading.Event()  # a flush or stop is waiting: write now
        self._queue: queue.Queue[tuple[Any, ...]] = queue.Queue(maxsize=max_pending)
        self._thread: threading.Thread | None = None
        self._conn: sqlite3.Connection | None = None
        self._key = b""
        self._last_purge = 0.0
        self._retry: list[tuple[str, tuple[Any, ...]]] = []  # rows kept while the file is locked
        self._complained: set[str] = set()  # failure kinds already logged (once each, until a success)
        self._off = False  # the file cannot be used at all
        self.written = 0
        self.dropped = 0

    @classmethod
    def from_config(cls, config: Config) -> QuestionLog:
        i = config.insight
        return cls(config.insight_path, retention_days=i.retention_days, store_text=i.store_question_text)

    # -- the answer path: never blocks, never raises ---------------------------------------------------
    def record_answer(self, answer: Answer, latency_ms: float) -> None:
        self._put(("q", time.time(), answer, latency_ms, _ORIGIN.get()))

    def record_vote(
        self,
        vote: str,
        *,
        question: str,
        location: str,
        origin: Origin | None = None,
        message_id: int | None = None,
    ) -> None:
        self._put(("v", time.time(), vote, question, location, origin, message_id))

    def _put(self, item: tuple[Any, ...]) -> None:
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            self.dropped += 1
            self._complain("full", "question log: %d rows waiting; dropping new ones", self.max_pending)

    # -- lifecycle ---------------------------------------------------------------------------------
    def start(self) -> QuestionLog:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="question-log", daemon=True)
            self._thread.start()
            self._put(("open",))  # open (create, migrate, purge) now: problems show at start-up
        return self

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything recorded before this call was written (or given up on)."""
        if self._thread is None or not self._thread.is_alive():
            return False
        done = threading.Event()
        try:
            self._queue.put(("flush", done), timeout=timeout)
        except queue.Full:
            return False
        self._urgent.set()
        return done.wait(timeout)

    def close(self, timeout: float = 10.0) -> None:
        thread, self._thread = self._thread, None
        if thread is not None and thread.is_alive():
            with contextlib.suppress(queue.Full):
                self._queue.put(("stop",), timeout=timeout)
            self._urgent.set()
            thread.join(timeout)

    # -- the writer thread -------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            items: list[tuple[Any, ...]] = []
            with contextlib.suppress(queue.Empty):
                items.append(self._queue.get(timeout=1.0 if self._retry else None))  # retry a locked file
                if items[0][0] in ("q", "v"):
                    self._urgent.wait(self.batch_seconds)
                self._urgent.clear()
                while len(items) < 5000:
                    items.append(self._queue.get_nowait())
            rows = [row for item in items if (row := self._row(item)) is not None]
            self._write(rows)
            for item in items:
                if item[0] == "flush":
                    item[1].set()
            if any(item[0] == "stop" for item in items):
                self._disconnect()
                return

    def _row(self, item: tuple[Any, ...]) -> tuple[str, tuple[Any, ...]] | None:
        try:
            if item[0] == "q":
                _, ts, answer, latency, origin = item
                o = origin or Origin()
                best = answer.best
                s = best.section if best is not None else None
                return "q", (
                    ts, o.source, o.guild_id, o.channel_id, o.user_id,
                    answer.question if self.store_text else None,
                    int(bool(answer.answered)),
                    f"{s.source}:{s.line}" if s is not None else None,
                    " › ".join(s.heading_path) if s is not None else None,
                    round(float(best.score), 4) if best is not None else None,
                    round(float(latency), 3),
                )  # fmt: skip
            if item[0] == "v":
                _, ts, vote, question, location, origin, message_id = item
                o = origin or Origin("vote")
                text = (question or None) if self.store_text else None
                return "v", (
                    ts,
                    vote,
                    o.guild_id,
                    o.channel_id,
                    o.user_id,
                    text,
                    location or None,
                    message_id,
                )
        except Exception:  # a malformed item must not take the writer down
            log.debug("question log: unusable item %r", item[:1], exc_info=True)
        return None

    def _hash(self, user_id: int | None) -> str | None:
        if user_id is None:
            return None
        return hashlib.blake2b(str(user_id).encode(), key=self._key, digest_size=12).hexdigest()

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = connect(self.path, self.busy_timeout)
            try:
                with conn:
                    conn.execute(
                        "INSERT OR IGNORE INTO meta (key, value) VALUES ('salt', ?)", (secrets.token_hex(32),)
                    )
                salt = conn.execute("SELECT value FROM meta WHERE key = 'salt'").fetchone()[0]
            except BaseException:
                conn.close()
                raise
            self._key = bytes.fromhex(salt)[:64]
            self._conn = conn
            self._last_purge = 0.0
        return self._conn

    def _disconnect(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(sqlite3.Error):
                conn.close()

    def _write(self, rows: list[tuple[str, tuple[Any, ...]]]) -> None:
        if self._off:
            self.dropped += len(rows)
            return
        pending = self._retry + rows
        self._retry = []
        if not pending and time.time() - self._last_purge < self.purge_every:
            return
        for attempt in range(2):
            try:
                self._insert(pending)
            except LogUnavailable as err:
                self._off = True
                self.dropped += len(pending)
                log.warning("question log off: %s", err)
                return
            except sqlite3.Error as err:
                if _is_corrupt(err) and attempt == 0:
                    self._move_aside(err)
                    continue  # once more, into the new file
                if _is_busy(err):
                    self._retry = pending[-self.max_pending :]
                    self.dropped += len(pending) - len(self._retry)
                    self._complain("busy", "question log %s is locked (%s); will retry", self.path, err)
                    time.sleep(min(self.busy_timeout, 0.5))  # no busy loop while another holds the lock
                else:
                    self.dropped += len(pending)
                    self._disconnect()
                    self._complain(type(err).__name__, "question log %s: %s; rows dropped", self.path, err)
                return
            except OSError as err:  # the folder cannot be created, ...
                self.dropped += len(pending)
                self._complain("os", "question log %s: %s; rows dropped", self.path, err)
                return
            if self._complained:
                log.info("question log %s: writing again (%d rows dropped so far)", self.path, self.dropped)
                self._complained.clear()
            return

    def _insert(self, rows: list[tuple[str, tuple[Any, ...]]]) -> None:
        conn = self._connection()
        hashed = [(kind, (*r[:4], self._hash(r[4]), *r[5:])) for kind, r in rows]
        now = time.time()
        with conn:
            conn.executemany(_Q, [r for kind, r in hashed if kind == "q"])
            conn.executemany(_V, [r for kind, r in hashed if kind == "v"])
            if now - self._last_purge >= self.purge_every:
                cutoff = now - self.retention_days * 86400
                conn.execute("DELETE FROM questions WHERE ts < ?", (cutoff,))
                conn.execute("DELETE FROM votes WHERE ts < ?", (cutoff,))
        if now - self._last_purge >= self.purge_every:
            self._last_purge = now
        self.written += len(rows)

    def _move_aside(self, err: sqlite3.Error) -> None:
        self._disconnect()
        aside = self.path.with_name(f"{self.path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
        try:
            self.path.replace(aside)
            for suffix in ("-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    Path(f"{self.path}{suffix}").unlink()
        except OSError as move_err:
            log.warning("question log %s is corrupt (%s) and cannot be moved: %s", self.path, err, move_err)
            return
        log.warning(
            "question log %s was corrupt (%s): moved to %s, starting a new one", self.path, err, aside
        )

    def _complain(self, kind: str, message: str, *args: Any) -> None:
        if kind not in self._complained:
            self._complained.add(kind)
            log.warning(message, *args)
