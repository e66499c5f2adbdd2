"""The question log (bot/insight/log.py): rows for answers, declines and votes; 200 concurrent askers;
retention; no text when told so; hashed users; a corrupt file moved aside; a locked file never fails an
answer; the hook in AnswerService."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from bot.answers.types import Answer, Result
from bot.insight.log import SCHEMA_VERSION, Origin, QuestionLog, asked_from, connect
from bot.notes.section import Section


def section(source: str = "docker.md", line: int = 9, *path: str) -> Section:
    return Section(source, line, path or ("Docker", "설치 방법"), 2, "## 설치 방법\n", "설치")


def answered(question: str, source: str = "docker.md", line: int = 9, score: float = 6.5) -> Answer:
    return Answer(question, True, (Result(section(source, line), score),))


def declined(question: str) -> Answer:
    return Answer(question, False, (), "not in the notes")


def rows(path: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchall()


@pytest.fixture
def qlog(tmp_path: Path):
    q = QuestionLog(tmp_path / "cache" / "questions.sqlite3").start()
    yield q
    q.close()


def test_answers_declines_and_votes_are_rows(qlog: QuestionLog) -> None:
    with asked_from(Origin("slash", 11, 22, 12345)):
        qlog.record_answer(answered("도커 설치"), 1.25)
    qlog.record_answer(declined("점심 뭐 먹지"), 0.5)  # no origin: still logged
    qlog.record_vote(
        "down", question="도커 설치", location="docker.md:9", origin=Origin("vote", 11, 22, 12345)
    )
    assert qlog.flush()
    got = rows(qlog.path, "SELECT source, guild_id, channel_id, user_hash, question, answered, location, "
               "title, score, latency_ms FROM questions ORDER BY id")  # fmt: skip
    assert got[0][:3] == ("slash", 11, 22) and got[0][4:] == (
        "도커 설치", 1, "docker.md:9", "Docker › 설치 방법", 6.5, 1.25)  # fmt: skip
    assert got[1] == ("other", None, None, None, "점심 뭐 먹지", 0, None, None, None, 0.5)
    user_hash = got[0][3]
    assert user_hash and "12345" not in user_hash and len(user_hash) == 24
    (vote,) = rows(qlog.path, "SELECT vote, user_hash, question, location FROM votes")
    assert vote == ("down", user_hash, "도커 설치", "docker.md:9")  # same user, same hash
    assert rows(qlog.path, "PRAGMA journal_mode") == [("wal",)]
    assert qlog.path.stat().st_mode & 0o077 == 0  # readable by the bot's user only
    assert rows(qlog.path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]


def test_the_salt_is_kept_and_no_raw_id_is_stored(tmp_path: Path) -> None:
    path = tmp_path / "q.sqlite3"
    hashes = []
    for _ in range(2):  # a restart keeps the salt: the same user hashes the same
        q = QuestionLog(path).start()
        with asked_from(Origin("slash", 1, 2, 987654321)):
            q.record_answer(answered("x"), 1.0)
        q.flush()
        q.close()
    hashes = {h for (h,) in rows(path, "SELECT user_hash FROM questions")}
    assert len(hashes) == 1
    raw = path.read_bytes() + (Path(f"{path}-wal").read_bytes() if Path(f"{path}-wal").exists() else b"")
    assert b"987654321" not in raw
    other = QuestionLog(tmp_path / "other.sqlite3").start()
    with asked_from(Origin("slash", 1, 2, 987654321)):
        other.record_answer(answered("x"), 1.0)
    other.flush()
    other.close()
    assert rows(tmp_path / "other.sqlite3", "SELECT user_hash FROM questions") != [(h,) for h in hashes]


def test_store_question_text_false_keeps_no_text(tmp_path: Path) -> None:
    q = QuestionLog(tmp_path / "q.sqlite3", store_text=False).start()
    q.record_answer(answered("비밀 질문 도커"), 1.0)
    q.record_answer(declined("비밀 질문 점심"), 1.0)
    q.record_vote("up", question="비밀 질문 도커", location="docker.md:9")
    q.flush()
    q.close()
    assert rows(q.path, "SELECT question, answered, location FROM questions") == [
        (None, 1, "docker.md:9"), (None, 0, None)]  # fmt: skip
    assert rows(q.path, "SELECT question, location FROM votes") == [(None, "docker.md:9")]
    data = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert "비밀".encode() not in data


def test_retention_purges_old_rows(tmp_path: Path) -> None:
    path = tmp_path / "q.sqlite3"
    conn = connect(path)
    old, recent = time.time() - 100 * 86400, time.time() - 10 * 86400
    with conn:
        for ts in (old, recent):
            conn.execute("INSERT INTO questions (ts, source, answered) VALUES (?, 'slash', 1)", (ts,))
            conn.execute("INSERT INTO votes (ts, vote) VALUES (?, 'up')", (ts,))
    conn.close()
    q = QuestionLog(path, retention_days=30).start()
    q.flush()
    q.close()
    assert rows(path, "SELECT ts FROM questions") == [(recent,)]
    assert rows(path, "SELECT ts FROM votes") == [(recent,)]


def test_200_concurrent_askers_with_votes_lose_nothing(qlog: QuestionLog) -> None:
    start = threading.Barrier(200)

    def user(n: int) -> None:
        start.wait()
        with asked_from(Origin("slash", 1, 2, n)):
            for k in range(5):
                qlog.record_answer(answered(f"질문 {n} {k}") if k % 2 else declined(f"질문 {n} {k}"), 1.0)
        qlog.record_vote("up" if n % 3 else "down", question=f"질문 {n}", location="docker.md:9")

    threads = [threading.Thread(target=user, args=(n,)) for n in range(200)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert qlog.flush()
    assert rows(qlog.path, "SELECT count(*), sum(answered) FROM questions") == [(1000, 400)]
    assert rows(qlog.path, "SELECT count(*) FROM votes") == [(200,)]
    assert rows(qlog.path, "SELECT count(DISTINCT user_hash) FROM questions") == [(200,)]
    assert qlog.dropped == 0


def test_a_corrupt_file_is_moved_aside_and_recreated(tmp_path: Path, caplog) -> None:
    path = tmp_path / "q.sqlite3"
    path.write_bytes(b"this is not a database, just garbage " * 200)
    with caplog.at_level(logging.WARNING, logger="bot.insight.log"):
        q = QuestionLog(path).start()
        q.record_answer(answered("도커"), 1.0)
        q.flush()
        q.close()
    assert rows(path, "SELECT question FROM questions") == [("도커",)]
    aside = list(tmp_path.glob("q.sqlite3.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_bytes().startswith(b"this is not")
    assert sum("corrupt" in r.message for r in caplog.records) == 1


def test_another_programs_database_is_set_aside_not_written_into(tmp_path: Path) -> None:
    """Tables but no schema version (a blind stress test: every row was dropped, the report failed)."""
    path = tmp_path / "q.sqlite3"
    other = sqlite3.connect(path)
    other.execute("CREATE TABLE questions (id INTEGER PRIMARY KEY, body TEXT)")
    other.execute("INSERT INTO questions (body) VALUES ('theirs')")
    other.commit()
    other.close()
    q = QuestionLog(path).start()
    q.record_answer(answered("도커"), 1.0)
    q.flush()
    q.close()
    assert rows(path, "SELECT question FROM questions") == [("도커",)] and q.dropped == 0
    (aside,) = tmp_path.glob("q.sqlite3.corrupt-*")
    assert rows(aside, "SELECT body FROM questions") == [("theirs",)]


def test_a_locked_file_never_fails_or_slows_an_answer(tmp_path: Path, caplog) -> None:
    path = tmp_path / "q.sqlite3"
    q = QuestionLog(path, busy_timeout=0.05).start()
    assert q.flush()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process holds the write lock
    with caplog.at_level(logging.WARNING, logger="bot.insight.log"):
        started = time.perf_counter()
        for n in range(50):
            q.record_answer(answered(f"도커 {n}"), 1.0)
        assert time.perf_counter() - started < 0.05  # the answer path never waits for the file
        q.flush(timeout=2)
        q.record_answer(answered("도커 50"), 1.0)
        q.flush(timeout=2)
    assert sum("locked" in r.message for r in caplog.records) == 1  # logged once
    holder.execute("ROLLBACK")
    holder.close()
    assert q.flush()
    assert rows(path, "SELECT count(*) FROM questions") == [(51,)]  # kept and written once free
    q.close()


def test_a_newer_schema_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "q.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    q = QuestionLog(path).start()
    q.record_answer(answered("도커"), 1.0)
    q.flush()
    q.close()
    assert q.dropped == 1 and rows(path, "SELECT name FROM sqlite_master") == []


def test_an_unwritable_place_never_fails_an_answer(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    q = QuestionLog(tmp_path / "file" / "q.sqlite3").start()  # its folder is a file
    q.record_answer(answered("도커"), 1.0)
    q.flush()
    q.close()
    assert q.dropped >= 1


def test_the_service_hook(seed_engine, tmp_path: Path) -> None:
    from bot.answers.service import AnswerService
    from bot.answers.store import EngineStore as IndexStore
    from bot.config import parse_config

    config = parse_config({"knowledge": {"dir": str(tmp_path), "cache_dir": str(tmp_path / "c")}}, tmp_path)
    service = AnswerService(seed_engine, config, IndexStore(tmp_path, None))
    q = QuestionLog(tmp_path / "q.sqlite3").start()
    service.on_answer = q.record_answer
    with asked_from(Origin("mention", 5, 6, 7)):
        assert service.ask("도커 설치 방법").answered
    assert not service.ask("오늘 점심 뭐 먹지").answered

    def broken(answer, ms):
        raise RuntimeError("log exploded")

    service.on_answer = broken
    assert service.ask("도커 장점").answered  # a broken hook never fails the answer
    q.flush()
    q.close()
    got = rows(q.path, "SELECT source, answered, location IS NOT NULL, latency_ms > 0 FROM questions")
    assert got == [("mention", 1, 1, 1), ("other", 0, 0, 1)]


def test_every_service_path_reaches_the_hook(seed_engine, tmp_path: Path) -> None:
    """A thread follow-up and a forum post's title are questions too: logged like /ask's."""
    from bot.answers.service import AnswerService
    from bot.answers.store import EngineStore as IndexStore
    from bot.config import parse_config

    config = parse_config({"knowledge": {"dir": str(tmp_path), "cache_dir": str(tmp_path / "c")}}, tmp_path)
    service = AnswerService(seed_engine, config, IndexStore(tmp_path, None))
    seen: list[tuple[str, bool]] = []
    service.on_answer = lambda answer, ms: seen.append((answer.question, answer.answered))
    followup = service.ask_followup("그럼 단점은?", "도커 설치 방법")
    forum = service.ask_unprompted("도커 설치 방법", 1.5, 1.5)  # above any confidence: declined
    assert not forum.answered
    assert [answered for _, answered in seen] == [followup.answered, False]
    assert seen[1][0] == "도커 설치 방법"
