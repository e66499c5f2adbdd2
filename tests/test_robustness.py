"""Issue 14: notes a group could really commit, and a cache that cannot be written, never take the bot
down: each is named in a warning, `--strict` fails on it, JSON stays valid UTF-8, the good notes answer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from test_store_support import ROOT, shared, with_dictionary, write_config, write_notes  # noqa: F401

from bot.answers.engine import Tuning
from bot.answers.store import EngineStore as IndexStore
from bot.index import store as store_mod
from bot.index.scan import scan_notes
from bot.notes.files import walk_notes
from bot.tokens.spelling import Speller

pytestmark = pytest.mark.slow  # one shared Kiwi (tests/test_store_support.py)
BAD_NAME = b"\xfe\xffnote.md"


def _deep(folder: Path, depth: int) -> str:
    here = os.getcwd()
    try:
        os.chdir(folder)
        for _ in range(depth):  # os.makedirs itself recurses
            os.mkdir("d")
            os.chdir("d")
        Path("deep.md").write_text("# 깊은 노트\n\n아주 깊은 곳의 노트.\n", encoding="utf-8")
    finally:
        os.chdir(here)
    return "d/" * depth + "deep.md"


def _remove_deep(folder: Path, depth: int) -> None:
    """Bottom up, without recursion: pytest's own clean-up of tmp_path recurses and would fail."""
    deepest = "/".join(["d"] * depth)
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.unlink(f"{deepest}/deep.md", dir_fd=fd)
        for k in range(depth, 0, -1):
            os.rmdir("/".join(["d"] * k), dir_fd=fd)
    finally:
        os.close(fd)


def test_a_note_a_thousand_folders_deep_is_found(tmp_path: Path) -> None:
    name = _deep(tmp_path, 1000)
    try:
        assert walk_notes(tmp_path) == ([name], [])
    finally:
        _remove_deep(tmp_path, 1000)


def test_a_folder_that_cannot_be_listed_is_a_warning(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "ok.md").write_text("# a\n\nb\n", encoding="utf-8")
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "hidden.md").write_text("# c\n\nd\n", encoding="utf-8")
    real = os.scandir

    def scandir(path):
        if str(path).rstrip("/").endswith("locked"):
            raise PermissionError(13, "Permission denied")
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    assert walk_notes(tmp_path) == (["ok.md"], ["locked/: skipped, cannot list (Permission denied)"])


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a chmod 000 folder")
def test_a_chmod_000_folder_is_a_warning(tmp_path: Path) -> None:
    (tmp_path / "ok.md").write_text("# a\n\nb\n", encoding="utf-8")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0)
    try:
        assert walk_notes(tmp_path)[1] == ["locked/: skipped, cannot list (Permission denied)"]
    finally:
        locked.chmod(0o755)


def test_names_that_are_not_utf8_reach_warnings_as_valid_text(tmp_path: Path) -> None:
    base = os.fsencode(tmp_path)
    os.mkfifo(os.path.join(base, b"\xfe\xfffifo.md"))
    os.symlink(b"/nonexistent", os.path.join(base, b"\xfedangling.md"))
    with open(os.path.join(base, b"\xfebig.md"), "wb") as fh:
        fh.truncate(5 * 1024 * 1024)
    with open(os.path.join(base, BAD_NAME), "wb") as fh:
        fh.write("# 이름\n\n본문\n".encode())
    (tmp_path / "ok.md").write_text("# a\n\nb\n", encoding="utf-8")
    scan = scan_notes(tmp_path)
    assert [n.source for n in scan.notes] == ["ok.md"]
    assert len(scan.warnings) == 4
    text = json.dumps(list(scan.warnings), ensure_ascii=False)
    text.encode("utf-8")  # raises on a lone surrogate
    assert "\ufffd\ufffdfifo.md: skipped, not a regular file" in scan.warnings


# -- the save --------------------------------------------------------------------------------------
def test_a_cache_that_cannot_be_written_is_a_warning_said_once(tmp_path: Path, analyzer, caplog) -> None:
    folder = tmp_path / "notes"
    write_notes(folder, ["사과", "바나나", "기차"])
    (tmp_path / "file").write_text("a regular file, not a folder", encoding="utf-8")
    store = IndexStore(folder, tmp_path / "file" / "cache")  # a cache path under a regular file
    first = store.rebuild(Tuning(), None, analyzer=analyzer)
    second = store.rebuild(Tuning(), first, analyzer=analyzer)
    for engine in (first, second):
        assert [w for w in engine.report.warnings if "could not save the index" in w]
        assert engine.ask("사과").results[0].section.source == "n000.md"
    logged = [r for r in caplog.records if "could not save the index" in r.getMessage()]
    assert len(logged) <= 1  # once per process (an earlier test may have said it already)


def test_reindex_strict_fails_when_the_save_fails(tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    write_notes(folder, ["사과"])
    (tmp_path / "file").write_text("x", encoding="utf-8")
    config = write_config(tmp_path / "config.toml", folder, tmp_path / "file" / "cache")
    cmd = [sys.executable, "-m", "bot", "--config", str(config), "reindex", "--strict", "--json"]
    r = subprocess.run(cmd, capture_output=True, cwd=ROOT, timeout=300, env={**os.environ, "CI": "1"})
    assert r.returncode != 0
    report = json.loads(r.stdout.decode("utf-8"))
    assert any("could not save the index" in w for w in report["warnings"])


def test_a_dead_writers_temporary_file_is_removed_at_the_next_start(built_store, analyzer) -> None:
    store = built_store
    dead = store.path.parent / f".{store.path.name}.99999999.0123456789ab.tmp"  # no such pid
    dead.write_bytes(b"PK\x03\x04partial")
    reused = store.path.parent / f".{store.path.name}.{os.getpid()}.fedcba987654.tmp"
    reused.write_bytes(b"PK\x03\x04partial")
    old = time.time() - 3600
    os.utime(reused, (old, old))  # our pid, but older than any save: a reused pid
    IndexStore(store.folder, store.path.parent.parent).load_or_build(Tuning(), analyzer=analyzer)
    assert not dead.exists() and not reused.exists()


@pytest.fixture
def built_store(tmp_path: Path, analyzer) -> IndexStore:
    folder = tmp_path / "notes"
    write_notes(folder, ["사과", "바나나", "기차"])
    store = IndexStore(folder, tmp_path / "cache")
    store.rebuild(Tuning(), None, analyzer=analyzer)
    return store


def test_an_older_build_never_overwrites_a_newer_ones_file(built_store, analyzer) -> None:
    """Two reindexes at once (two processes: two stores): the one whose build started later wins."""
    store = built_store
    other = IndexStore(store.folder, store.path.parent.parent)
    old_engine = store.rebuild(Tuning(), None, analyzer=analyzer)
    (store.folder / "n000.md").write_text("# 사과 노트\n\n사과 대신 체리.\n", encoding="utf-8")
    new_engine = other.rebuild(Tuning(), None, analyzer=analyzer)  # started later, saved first
    newer = store.path.read_bytes()
    assert store._write(old_engine, 10**6, stamp=1)  # a build that started long ago saves last
    assert store.path.read_bytes() == newer
    again = IndexStore(store.folder, store.path.parent.parent).load_or_build(Tuning(), analyzer=analyzer)
    assert again.report.retokenized == 0 and again.ask("체리").answered
    assert new_engine.ask("체리").answered


def test_builds_of_one_folder_take_turns(built_store, analyzer, monkeypatch) -> None:
    store = built_store
    other = IndexStore(store.folder, store.path.parent.parent)
    inside = threading.Event()
    release = threading.Event()
    order: list[str] = []
    real = store_mod.scan_notes

    def slow_scan(folder, known=None):
        if threading.current_thread().name == "first":
            inside.set()
            assert release.wait(30)
        order.append(threading.current_thread().name)
        return real(folder, known)

    monkeypatch.setattr(store_mod, "scan_notes", slow_scan)
    t1 = threading.Thread(
        target=store.rebuild, args=(Tuning(), None), kwargs={"analyzer": analyzer}, name="first"
    )
    t2 = threading.Thread(
        target=other.rebuild, args=(Tuning(), None), kwargs={"analyzer": analyzer}, name="second"
    )
    t1.start()
    assert inside.wait(30)
    t2.start()
    time.sleep(0.3)
    assert order == []  # the second build waits for the first one's lock
    release.set()
    t1.join(60)
    t2.join(60)
    assert order == ["first", "second"]


# -- a note that costs too much --------------------------------------------------------------------
def test_the_typo_table_keeps_to_its_budget_and_keeps_the_common_words() -> None:
    words = ["우분투", "쿠버네티스", "데비안", "도커엔진", "가나다라"]
    df = {"우분투": 9.0, "쿠버네티스": 5.0, "데비안": 1.0, "도커엔진": 1.0, "가나다라": 1.0}
    sp = Speller(budget=2).extend(words, df.__getitem__)
    assert sp.correct("우부투", set(words), df.__getitem__) == "우분투"
    assert sp.correct("쿠버내티스", set(words), df.__getitem__) == "쿠버네티스"
    assert sp.correct("데비얀", set(words), df.__getitem__) is None  # past the budget
    sp.extend([*words, "새단어들"], df.get)  # full: later words are not added either
    assert sp.correct("새단어둘", {"새단어들"}, lambda _w: 1.0) is None
