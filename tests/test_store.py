"""IndexStore: the persisted index is reused when right, rebuilt when anything it was built from changed,
never trusted when damaged or foreign; incremental (changed files only), renames move, deletes vanish;
broken notes are named and skipped; writes are atomic."""

from __future__ import annotations

import json
import os
import shutil
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from test_store_support import FIVE_TOPICS, shared, write_notes  # noqa: F401 (fixture)

from bot.answers.engine import Engine, Tuning
from bot.answers.store import EngineStore as IndexStore
from bot.answers.store import build_engine
from bot.errors import KnowledgeError
from bot.index import fileformat, keys
from bot.index import scan as scan_mod
from bot.index import store as store_mod
from bot.index.bm25 import BM25Params
from bot.index.notefiles import RACY_NS
from bot.tokens.lexicon import load_lexicon

pytestmark = pytest.mark.slow  # one shared Kiwi (tests/test_store_support.py)

TOPICS = FIVE_TOPICS


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    d = tmp_path / "notes"
    write_notes(d, TOPICS)
    return d


@pytest.fixture
def built(folder: Path, tmp_path: Path, analyzer) -> tuple[IndexStore, Engine]:
    store = IndexStore(folder, tmp_path / "cache")
    engine = store.rebuild(Tuning(), None, analyzer=analyzer)
    assert store.path is not None and store.path.is_file()
    return store, engine


def no_kiwi(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_a, **_k):
        raise AssertionError("an Analyzer (Kiwi) was requested")

    monkeypatch.setattr(store_mod, "analyzer_for", refuse)


def top_source(engine: Engine, question: str) -> str:
    ans = engine.ask(question)
    assert ans.answered, question
    return ans.results[0].section.source


# -- reuse -----------------------------------------------------------------------------------------
def test_restart_loads_the_saved_index_without_tokenizing(built, monkeypatch):
    store, engine = built
    again = IndexStore(store.folder, store.path.parent.parent).load_or_build(Tuning())
    assert again.report.retokenized == 0
    assert again.report.files == 5 and again.report.sections == engine.report.sections
    assert top_source(again, "바나나 특징") == "n001.md"
    np.testing.assert_array_equal(again.index.bm25.idf, engine.index.bm25.idf)
    for name in ("indptr", "docs", "tf", "lengths"):
        np.testing.assert_array_equal(getattr(again.index.bm25, name), getattr(engine.index.bm25, name))
    # The reindex verb's check needs no Kiwi at all when nothing changed.
    no_kiwi(monkeypatch)
    mtime = store.path.stat().st_mtime_ns
    report = store.refresh(Tuning())
    assert (report.files, report.retokenized) == (5, 0)
    assert store.path.stat().st_mtime_ns == mtime  # not rewritten


def test_index_records_what_it_was_built_from(built):
    store, engine = built
    with np.load(store.path, allow_pickle=False) as z:
        meta = json.loads(z["meta"].tobytes().decode())
    assert meta["folder"] == str(store.folder)
    assert set(meta["built_from"]) == {"kiwipiepy", "dictionary", "code"}
    assert meta["built_from"]["dictionary"] == keys.token_key(engine.analyzer.lexicon)
    assert json.loads(meta["tuning"])["bm25"]["k1"] == 1.5
    assert {source: digest for source, digest, *_ in meta["files"]} == {
        e.source: e.digest for e in engine.entries.values()
    }


# -- never trusted ---------------------------------------------------------------------------------
def _truncate(path: Path, _other: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _random(path: Path, _other: Path) -> None:
    path.write_bytes(os.urandom(path.stat().st_size))


def _empty(path: Path, _other: Path) -> None:
    path.write_bytes(b"")


def _flip_byte(path: Path, _other: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 3] ^= 0x55
    path.write_bytes(bytes(data))


def _foreign(path: Path, other: Path) -> None:
    shutil.copyfile(other, path)


def _edited_meta(path: Path, _other: Path) -> None:
    """A well-formed npz whose metadata was changed without its checksum (a hand edit, a bad merge)."""
    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    meta = json.loads(arrays["meta"].tobytes().decode())
    meta["files"][0][1] = "0" * 64  # another digest
    arrays["meta"] = np.frombuffer(json.dumps(meta, ensure_ascii=False).encode(), dtype=np.uint8)
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)


def _pickled(path: Path, _other: Path) -> None:
    """An npz holding an object array (np.load must refuse to unpickle it)."""
    with open(path, "wb") as fh:
        np.savez(fh, meta=np.array([{"evil": 1}], dtype=object))


def _compressed(path: Path, _other: Path) -> None:
    """The same arrays, deflated: not what the store writes (it reads members in place), so refused."""
    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    with open(path, "wb") as fh:
        np.savez_compressed(fh, **arrays)


def _zip_of_garbage(path: Path, _other: Path) -> None:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("meta.npy", b"not an array")


@pytest.mark.parametrize(
    "damage",
    [_truncate, _random, _empty, _flip_byte, _foreign, _edited_meta, _pickled, _compressed, _zip_of_garbage],
)
def test_damaged_or_foreign_cache_is_rebuilt_never_trusted(damage, built, tmp_path, analyzer, caplog):
    store, engine = built
    other_folder = tmp_path / "other"
    write_notes(other_folder, ["수박", "귤"])
    other = IndexStore(other_folder, tmp_path / "cache")
    other.rebuild(Tuning(), None, analyzer=analyzer)
    assert other.path != store.path  # one cache per knowledge folder
    damage(store.path, other.path)

    assert store.read(load_lexicon(store.folder), Tuning()).empty
    report = store.refresh(Tuning())
    assert (report.files, report.retokenized, report.sections) == (5, 5, engine.report.sections)
    saved = store.read(load_lexicon(store.folder), Tuning())  # the rewritten file is good
    entries, index = saved.entries, saved.index
    assert index is not None and set(entries) == set(engine.entries)
    assert all("가짜" not in s.body for s in index.sections)


def test_changed_dictionary_kiwi_or_code_invalidates_tokens(built, monkeypatch):
    store, _ = built
    lexicon = load_lexicon(store.folder)
    saved = store.read(lexicon, Tuning())
    entries, index = saved.entries, saved.index
    assert entries and index is not None

    dictionary = store.folder / "_dictionary"
    originals = {p.name: p.read_bytes() for p in dictionary.iterdir()}

    def append(name: str, line: str) -> None:
        with open(dictionary / name, "a", encoding="utf-8") as fh:
            fh.write(f"\n{line}\n")

    def restore() -> None:
        for name, data in originals.items():
            (dictionary / name).write_bytes(data)

    append("user_words.txt", "바나나우유")
    assert store.read(load_lexicon(store.folder), Tuning()).empty
    restore()
    append("aliases.txt", "사과 = 애플")
    assert store.read(load_lexicon(store.folder), Tuning()).empty
    restore()
    assert store.read(load_lexicon(store.folder), Tuning()).index is not None  # back to what it was
    # Comments, question words and distro names do not change tokens: no re-tokenizing for them.
    append("user_words.txt", "# 아직 없음")
    append("question_words.txt", "바나나")
    append("distros.txt", "arch = 아치")
    assert load_lexicon(store.folder).fingerprint != lexicon.fingerprint
    assert store.read(load_lexicon(store.folder), Tuning()).index is not None

    monkeypatch.setattr(keys, "kiwi_version", lambda: "0.0.1")
    assert store.read(lexicon, Tuning()).empty
    monkeypatch.undo()
    monkeypatch.setattr(keys, "code_version", lambda: "another-tokenizer")
    assert store.read(lexicon, Tuning()).empty


def test_changed_ranking_settings_rebuild_the_index_from_saved_tokens(built, monkeypatch):
    store, engine = built
    other = Tuning(bm25=BM25Params(k1=1.2))
    saved = store.read(load_lexicon(store.folder), other)
    entries, index = saved.entries, saved.index
    assert index is None and set(entries) == set(engine.entries)  # tokens reused, index recounted
    from bot.tokens.analyzer import Analyzer

    def no_new_kiwi(*_a, **_k):
        raise AssertionError("a new Kiwi was started")

    monkeypatch.setattr(Analyzer, "__init__", no_new_kiwi)  # the live analyzer is shared
    report = store.refresh(other)
    assert report.retokenized == 0
    assert store.read(load_lexicon(store.folder), other).index is not None


# -- incremental -----------------------------------------------------------------------------------
def test_incremental_change_add_delete_rename(built, analyzer):
    store, engine = built
    folder = store.folder
    (folder / "n000.md").write_text("# 사과 노트\n\n사과 대신 체리 이야기.\n", encoding="utf-8")  # changed
    (folder / "new.md").write_text("# 우주선\n\n우주선 발사 준비.\n", encoding="utf-8")  # added
    (folder / "n002.md").unlink()  # deleted (포도)
    (folder / "sub").mkdir()
    (folder / "n003.md").rename(folder / "sub" / "기차 이야기.md")  # renamed (기차)

    new = store.rebuild(Tuning(), engine)
    assert new.analyzer is engine.analyzer  # same dictionary: the same Kiwi
    assert new.report.retokenized == 2  # n000 and new.md only
    assert new.report.files == 5
    assert set(new.entries) == {"n000.md", "n001.md", "n004.md", "new.md", "sub/기차 이야기.md"}
    assert top_source(new, "체리") == "n000.md"
    assert top_source(new, "우주선 발사") == "new.md"
    assert top_source(new, "기차 특징") == "sub/기차 이야기.md"  # answers name the new path
    assert not new.ask("포도").answered or all(r.section.source != "n002.md" for r in new.ask("포도").results)
    moved = new.entries["sub/기차 이야기.md"]
    old = engine.entries["n003.md"]
    terms = new.index.bm25.terms
    assert moved.tokens(terms)[0].body == old.tokens(terms)[0].body and moved.digest == old.digest
    assert all(s.source == "sub/기차 이야기.md" for s in moved.sections)

    # The same, from disk (the reindex verb): a fresh store over the saved file.
    again = IndexStore(folder, store.path.parent.parent).load_or_build(Tuning())
    assert again.report.retokenized == 0 and set(again.entries) == set(new.entries)


def test_unchanged_rebuild_reuses_the_running_index_and_still_saves(built):
    store, engine = built
    store.path.unlink()
    new = store.rebuild(Tuning(), engine)
    assert new.report.retokenized == 0 and new.index is engine.index
    assert store.path.is_file()  # a reindex repairs a deleted cache file


def test_full_rebuild_retokenizes_everything(built):
    store, engine = built
    calls: list[tuple[int, int]] = []
    new = store.rebuild(Tuning(), engine, full=True, progress=lambda done, total: calls.append((done, total)))
    assert new.report.retokenized == 5
    assert calls == [(n, 5) for n in range(1, 6)]  # progress in files, each once


# -- broken notes ----------------------------------------------------------------------------------
def test_a_link_to_a_file_outside_the_notes_is_not_served(folder, tmp_path, analyzer):
    """A note that links outside (ln -s /etc/passwd, or a symlink pulled from the notes' remote) would
    put that file's text in answers: skipped with a warning. A link to a note inside is a note."""
    secret = tmp_path / "secret.md"
    secret.write_text("# 비밀\n\nAPI_KEY=sk-outside 토큰\n", encoding="utf-8")
    (folder / "outside.md").symlink_to(secret)
    (folder / "passwd.md").symlink_to("/etc/passwd")
    (folder / "sub").mkdir()
    (folder / "sub" / "alias.md").symlink_to(folder / "n000.md")
    engine = IndexStore(folder, tmp_path / "cache").rebuild(Tuning(), None, analyzer=analyzer)
    sources = {s.source for s in engine.index.sections}
    assert "outside.md" not in sources and "passwd.md" not in sources and "sub/alias.md" in sources
    warned = [w for w in engine.report.warnings if "outside the notes folder" in w]
    assert sorted(w.split(":")[0] for w in warned) == ["outside.md", "passwd.md"]
    assert not any("sk-outside" in s.text or "root:" in s.text for s in engine.index.sections)


def test_broken_notes_are_named_and_skipped(folder, tmp_path, analyzer, monkeypatch):
    (folder / "bad-utf8.md").write_bytes("# 제목\n\n".encode() + b"\xff\xfe\xfa broken")
    (folder / "nul.md").write_bytes(b"# title\n\nhello\x00world\n")
    (folder / "binary.md").write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(2000))
    (folder / "long-line.md").write_text("# 긴 줄\n\n" + "가" * 1_000_000 + "\n", encoding="utf-8")
    (folder / "huge.md").write_bytes(b"#" * (5 * 1024 * 1024))
    (folder / "dangling.md").symlink_to(folder / "does-not-exist.md")
    os.mkfifo(folder / "pipe.md")  # reading it would block forever
    (folder / "locked.md").write_text("# 잠김\n\n비밀\n", encoding="utf-8")
    (folder / "dir.md").mkdir()  # a folder named like a note is a folder: its notes are indexed
    (folder / "dir.md" / "inside.md").write_text("# 안쪽\n\n고양이 이야기\n", encoding="utf-8")

    real = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self.name == "locked.md":
            raise PermissionError(13, "Permission denied")
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    engine = IndexStore(folder, tmp_path / "cache").rebuild(Tuning(), None, analyzer=analyzer)
    warnings = engine.report.warnings
    expected = {
        "bad-utf8.md": "UTF-8",
        "nul.md": "NUL",
        "binary.md": "",
        "long-line.md": "line",
        "huge.md": "MB",
        "dangling.md": "cannot read",
        "pipe.md": "not a regular file",
        "locked.md": "Permission denied",
    }
    for name, why in expected.items():
        hits = [w for w in warnings if w.startswith(f"{name}:")]
        assert len(hits) == 1 and why in hits[0], (name, warnings)
    assert len(warnings) == len(expected)
    assert set(engine.entries) == {f"n00{i}.md" for i in range(5)} | {"dir.md/inside.md"}
    assert top_source(engine, "고양이") == "dir.md/inside.md"


def test_missing_empty_or_all_broken_folder_is_an_error(tmp_path, analyzer):
    with pytest.raises(KnowledgeError, match="not found"):
        IndexStore(tmp_path / "missing", tmp_path / "cache").refresh(Tuning())
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(KnowledgeError, match="no notes"):
        IndexStore(empty, tmp_path / "cache").rebuild(Tuning(), None, analyzer=analyzer)
    (empty / "bad.md").write_bytes(b"\xff\xfe")
    with pytest.raises(KnowledgeError, match=r"bad\.md"):
        IndexStore(empty, tmp_path / "cache").rebuild(Tuning(), None, analyzer=analyzer)
    (empty / "bad.md").unlink()
    (empty / "title-only.md").write_text("# 도커\n", encoding="utf-8")  # read fine, nothing to answer from
    with pytest.raises(KnowledgeError, match="hold no text to answer from"):
        IndexStore(empty, tmp_path / "cache").rebuild(Tuning(), None, analyzer=analyzer)


# -- atomic writes ---------------------------------------------------------------------------------
def test_failed_write_leaves_the_old_index_and_no_temporary_file(built, monkeypatch):
    store, engine = built
    before = store.path.read_bytes()
    (store.folder / "n000.md").write_text("# 바뀜\n\n체리\n", encoding="utf-8")

    def disk_full(fh, payload, arrays):
        fh.write(b"PK\x03\x04partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store_mod, "write_npz", disk_full)
    new = store.rebuild(Tuning(), engine)  # the build itself succeeds; saving does not
    assert top_source(new, "체리") == "n000.md"
    assert store.path.read_bytes() == before
    assert not [p.name for p in store.path.parent.iterdir() if p.name.endswith(".tmp")]
    # A failed save is a warning of the build (reindex --strict fails on it), not a silent log line.
    assert [w for w in new.report.warnings if "could not save the index" in w]


def test_leftovers_of_killed_writers_are_swept(built):
    store, engine = built
    dead = store.path.parent / f".index.npz.{2**22 + 12345}.abcdef.tmp"  # above any real pid_max
    mine = store.path.parent / f".index.npz.{os.getpid()}.123456.tmp"
    dead.write_bytes(b"half an index")
    mine.write_bytes(b"another thread's write in progress")
    store.write(engine)
    assert not dead.exists() and mine.exists()
    mine.unlink()


def test_unwritable_cache_is_a_warning_not_an_error(folder, tmp_path, analyzer, caplog):
    blocker = tmp_path / "file-not-folder"
    blocker.write_text("x")
    store = IndexStore(folder, blocker)  # mkdir fails, even for root
    engine = store.rebuild(Tuning(), None, analyzer=analyzer)
    assert engine.report.files == 5
    assert "could not save the index" in caplog.text


def test_no_cache_dir_means_memory_only(folder, analyzer):
    engine = build_engine(folder, analyzer=analyzer)
    assert engine.report.files == 5 and IndexStore(folder, None).path is None


# -- incremental equals full -----------------------------------------------------------------------
def _same_index(a: Engine, b: Engine) -> None:
    assert [s for s in a.index.sections] == [s for s in b.index.sections]
    for view in ("bm25", "grams"):
        x, y = getattr(a.index, view), getattr(b.index, view)
        assert x.avgdl == y.avgdl and set(x.vocab) == set(y.vocab)
        # Term ids differ (tables grow in another order); per term, postings and IDF are identical.
        for w, i in x.vocab.items():
            j = y.vocab[w]
            assert x.idf[i] == y.idf[j], w  # bit for bit, the IDF floor's running sum included
            np.testing.assert_array_equal(x.postings(i), y.postings(j))
            np.testing.assert_array_equal(
                x.tf[x.indptr[i] : x.indptr[i + 1]], y.tf[y.indptr[j] : y.indptr[j + 1]]
            )
    for q in ("사과 특징", "체리", "우주선 발사", "기차"):
        np.testing.assert_array_equal(a.scores(q, a.question_tokens(q)), b.scores(q, b.question_tokens(q)))


@pytest.mark.parametrize("restart", [False, True])
def test_one_file_reindex_equals_a_full_build(built, analyzer, restart):
    """The index in hand with the changed files' documents replaced (in memory, or as loaded after a
    restart) is exactly the index a full build gives."""
    store, engine = built
    if restart:
        engine = IndexStore(store.folder, store.path.parent.parent).load_or_build(Tuning(), analyzer=analyzer)
        assert all(e.bags is None for e in engine.entries.values())  # nothing counted at start-up
    (store.folder / "n001.md").write_text(
        "# 바나나 노트\n\n바나나 대신 체리. 새 단어 우주선.\n", encoding="utf-8"
    )
    (store.folder / "n004.md").unlink()
    (store.folder / "new.md").write_text("# 우주선\n\n## 발사\n\n우주선 발사 준비.\n", encoding="utf-8")
    step = store.rebuild(Tuning(), engine)
    assert step.report.retokenized == 2
    assert all(e.bags is None for e in step.entries.values())  # counted rows are not kept twice
    full = IndexStore(store.folder, None).rebuild(Tuning(), None, full=True, analyzer=analyzer)
    _same_index(step, full)
    again = IndexStore(store.folder, store.path.parent.parent).load_or_build(Tuning(), analyzer=analyzer)
    assert again.report.retokenized == 0
    _same_index(again, full)


def test_renamed_files_that_move_in_the_order_are_put_in_anew(built, analyzer, monkeypatch):
    """After a restart, files renamed so that they change places (a -> the end, the last -> the front):
    their postings cannot keep their order, so they are counted again from their tokens (no Kiwi) and
    spliced in like changed files; the result is still exactly a full build."""
    store, _ = built
    engine = IndexStore(store.folder, store.path.parent.parent).load_or_build(Tuning(), analyzer=analyzer)
    (store.folder / "n000.md").rename(store.folder / "zz.md")
    (store.folder / "n004.md").rename(store.folder / "a.md")
    (store.folder / "n002.md").write_text("# 포도 노트\n\n포도 대신 체리.\n", encoding="utf-8")

    def not_from_scratch(*_a, **_k):
        raise AssertionError("the index was assembled from every file's rows")

    monkeypatch.setattr(store_mod.SearchIndex, "assemble", not_from_scratch)
    step = store.rebuild(Tuning(), engine)
    assert step.report.retokenized == 1  # n002 only: renamed files keep their tokens
    monkeypatch.undo()
    full = IndexStore(store.folder, None).rebuild(Tuning(), None, full=True, analyzer=analyzer)
    _same_index(step, full)
    assert top_source(step, "체리") == "n002.md" and top_source(step, "사과") == "zz.md"


def test_a_failing_splice_falls_back_to_a_full_assembly(built, analyzer, monkeypatch, caplog):
    """Splicing is a shortcut: if it fails, the index is assembled from every file (same result), said in
    the log, and neither the reindex nor a start-up fails."""
    store, engine = built
    (store.folder / "n001.md").write_text("# 바나나 노트\n\n바나나 대신 체리.\n", encoding="utf-8")

    def broken(*_a, **_k):
        raise ValueError("spliced wrong")

    monkeypatch.setattr(store_mod.SearchIndex, "splice", broken)
    with caplog.at_level("WARNING", logger="bot.index.store"):
        step = store.rebuild(Tuning(), engine)
    assert "could not splice" in caplog.text
    full = IndexStore(store.folder, None).rebuild(Tuning(), None, full=True, analyzer=analyzer)
    _same_index(step, full)

    caplog.clear()
    (store.folder / "n002.md").write_text("# 포도 노트\n\n포도 대신 우주선.\n", encoding="utf-8")
    with caplog.at_level("WARNING", logger="bot.index.store"):  # a start-up with a changed file
        restarted = IndexStore(store.folder, store.path.parent.parent).load_or_build(
            Tuning(), analyzer=analyzer
        )
    assert "could not splice" in caplog.text and restarted.report.retokenized == 1
    _same_index(
        restarted, IndexStore(store.folder, None).rebuild(Tuning(), None, full=True, analyzer=analyzer)
    )


def test_unchanged_files_are_not_read_again(built, monkeypatch):
    store, engine = built
    old = time.time_ns() - 10 * RACY_NS  # files last written well before they were read
    for e in engine.entries.values():
        os.utime(store.folder / e.source, ns=(old, old))
    engine = store.rebuild(Tuning(), engine)  # re-reads them once: their mtimes changed
    read: list[str] = []
    real = scan_mod.read_note

    def counting(folder, source):
        read.append(source)
        return real(folder, source)

    monkeypatch.setattr(scan_mod, "read_note", counting)
    (store.folder / "n002.md").write_text("# 포도 노트\n\n포도 대신 자두.\n", encoding="utf-8")
    new = store.rebuild(Tuning(), engine)
    assert read == ["n002.md"] and new.report.retokenized == 1
    assert top_source(new, "자두") == "n002.md"


def test_an_edit_in_the_same_second_as_the_read_is_still_seen(built):
    """Same size and mtime as recorded, but the file was modified right around the moment it was read:
    its digest cannot be trusted from stat alone (a same-size edit within the clock's granularity)."""
    store, engine = built
    path = store.folder / "n002.md"
    st = path.stat()
    text = path.read_text(encoding="utf-8")
    swapped = text.replace("포도", "자두")
    assert len(swapped.encode()) == st.st_size
    path.write_text(swapped, encoding="utf-8")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # as if the edit fell in the same clock tick
    new = store.rebuild(Tuning(), engine)
    assert new.report.retokenized == 1 and top_source(new, "자두") == "n002.md"


def test_a_restart_makes_sections_only_when_used(built, analyzer):
    store, engine = built
    again = IndexStore(store.folder, store.path.parent.parent).load_or_build(Tuning(), analyzer=analyzer)
    assert all(e._sections is None for e in again.entries.values())  # nothing built at start-up
    secs, want = again.index.sections, list(engine.index.sections)
    assert len(secs) == len(want)
    assert secs[-1] == want[-1] and secs[1:3] == want[1:3]  # builds only those files
    assert sum(e._sections is not None for e in again.entries.values()) < len(again.entries)
    assert list(secs) == want and [secs[i] for i in range(len(want))] == want
    with pytest.raises(IndexError):
        secs[len(want)]
    assert top_source(again, "바나나 특징") == "n001.md"


def test_background_save_answers_first_and_keeps_the_newest(built, monkeypatch, analyzer):
    """The bot's reindex: the new engine answers while its file is written; two saves in flight never
    leave the older index on disk."""
    import threading

    store, engine = built
    release = threading.Event()
    real = store_mod.write_npz

    def slow(fh, payload, arrays):
        assert release.wait(30)
        real(fh, payload, arrays)

    monkeypatch.setattr(store_mod, "write_npz", slow)
    (store.folder / "n000.md").write_text("# 사과 노트\n\n사과 대신 체리.\n", encoding="utf-8")
    first = store.rebuild(Tuning(), engine, save_in_background=True)
    assert top_source(first, "체리") == "n000.md"  # answering while the save waits
    (store.folder / "n001.md").write_text("# 바나나 노트\n\n바나나 대신 자두.\n", encoding="utf-8")
    second = store.rebuild(Tuning(), first, save_in_background=True)
    assert top_source(second, "자두") == "n001.md"
    release.set()
    store.wait_saved(30)
    first_saver = [t for t in threading.enumerate() if t.name == "index-save"]
    for t in first_saver:
        t.join(30)
    again = IndexStore(store.folder, store.path.parent.parent).load_or_build(Tuning(), analyzer=analyzer)
    assert again.report.retokenized == 0  # the newest index is what was saved
    assert top_source(again, "자두") == "n001.md" and top_source(again, "체리") == "n000.md"
    assert not [p.name for p in store.path.parent.iterdir() if p.name.endswith(".tmp")]


def test_the_reader_refuses_arrays_it_did_not_write(tmp_path):
    """_read_npz views members in place: anything but a plain, uncompressed, sized array is refused."""
    import io as _io

    def npz(header: bytes, body: bytes) -> Path:
        path = tmp_path / "x.npz"
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("a.npy", header + body)
        return path

    def header(shape: str, descr: str = "<i4") -> bytes:
        buf = _io.BytesIO()
        text = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}"
        buf.write(b"\x93NUMPY\x01\x00")
        text = text.ljust(118) + "\n"
        buf.write(len(text).to_bytes(2, "little") + text.encode("latin1"))
        return buf.getvalue()

    ok, crcs = fileformat.read_npz(npz(header("(2,)"), b"\x01\x00\x00\x00\x02\x00\x00\x00"))
    assert ok["a"].tolist() == [1, 2] and set(crcs) == {"a"}
    for bad in (header("(-1,)"), header("(3,)"), header("(1,)", "|O")):
        with pytest.raises(ValueError):
            fileformat.read_npz(npz(bad, b"\x01\x00\x00\x00\x02\x00\x00\x00"))


def test_typo_repair_grows_with_the_index_and_only_offers_its_words(built):
    """The typo table is shared along incremental reindexes (extended, not rebuilt); each engine only
    corrects to words its own index holds."""
    store, engine = built
    assert engine.question_tokens("쿠버내티스 배포")[0] == "쿠버내티스"  # no such word in the notes
    note = "# 쿠버네티스\n\n쿠버네티스로 컨테이너를 배포한다.\n"
    (store.folder / "k8s.md").write_text(note, encoding="utf-8")
    added = store.rebuild(Tuning(), engine)
    assert added.question_tokens("쿠버내티스 배포")[0] == "쿠버네티스"
    assert added.repair.speller is engine.repair.speller  # the same table, extended
    assert engine.question_tokens("쿠버내티스 배포")[0] == "쿠버내티스"  # the old engine: not its word

    (store.folder / "k8s.md").unlink()
    removed = store.rebuild(Tuning(), added)
    assert removed.question_tokens("쿠버내티스 배포")[0] == "쿠버내티스"  # the word left the notes
    assert removed.repair.speller is engine.repair.speller
    full = store.rebuild(Tuning(), removed, full=True)
    assert full.repair.speller is not engine.repair.speller  # a full rebuild starts a new term table
