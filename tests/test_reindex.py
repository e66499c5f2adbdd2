"""`python -m bot reindex`: incremental (only changed files tokenized; no Kiwi when nothing changed),
deletes vanish, renames move, --full, dictionary changes re-tokenize all, --json, warnings and exit
codes, --strict, progress bar on a terminal; and a real process killed with SIGKILL mid-reindex leaves
the old index loading and answering."""

from __future__ import annotations

import io
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from test_store_support import (  # noqa: F401 (shared: an autouse fixture)
    FIVE_TOPICS,
    ROOT,
    make_config,
    shared,
    write_config,
    write_many,
    write_notes,
)

from bot.answers.engine import Engine
from bot.answers.service import tuning_from
from bot.answers.store import EngineStore as IndexStore
from bot.cli import main as cli_main
from bot.index import store as store_mod
from bot.tokens.lexicon import load_lexicon

pytestmark = pytest.mark.slow  # one shared Kiwi (tests/test_store_support.py)

TOPICS = FIVE_TOPICS


@pytest.fixture(autouse=True)
def quiet_logging(monkeypatch):
    monkeypatch.setattr(cli_main, "setup_logging", lambda *a, **k: None)  # keep pytest's handlers


@pytest.fixture
def notes(tmp_path: Path) -> tuple[Path, Path]:
    folder = tmp_path / "notes"
    write_notes(folder, TOPICS)
    return folder, write_config(tmp_path / "config.toml", folder, tmp_path / "cache")


def run(capsys, config: Path, *args: str) -> tuple[int, str, str]:
    code = cli_main.main(["--config", str(config), *args])
    out, err = capsys.readouterr()
    return code, out, err


def reindex_json(capsys, config: Path, *flags: str) -> dict:
    code, out, err = run(capsys, config, "reindex", "--json", *flags)
    assert code == 0, err
    summary = json.loads(out)
    assert set(summary) == {"files", "sections", "retokenized", "embedded", "warnings", "seconds"}
    return summary


def test_incremental_delete_rename_full(notes, capsys, monkeypatch):
    folder, config = notes
    first = reindex_json(capsys, config)
    assert (first["files"], first["retokenized"], first["warnings"]) == (5, 5, [])
    assert first["sections"] == 15

    def no_kiwi(*_a, **_k):
        raise AssertionError("Kiwi started although nothing changed")

    with monkeypatch.context() as m:
        m.setattr(store_mod, "analyzer_for", no_kiwi)
        assert reindex_json(capsys, config)["retokenized"] == 0

    (folder / "n001.md").write_text("# 바나나 노트\n\n바나나 대신 체리.\n", encoding="utf-8")
    changed = reindex_json(capsys, config)
    assert (changed["files"], changed["retokenized"], changed["sections"]) == (5, 1, 13)

    (folder / "n002.md").unlink()
    deleted = reindex_json(capsys, config)
    assert (deleted["files"], deleted["retokenized"], deleted["sections"]) == (4, 0, 10)
    code, out, _ = run(capsys, config, "ask", "--json", "포도 특징")
    assert all(r["source"] != "n002.md" for r in json.loads(out)["results"])

    (folder / "trains").mkdir()
    (folder / "n003.md").rename(folder / "trains" / "기차.md")
    renamed = reindex_json(capsys, config)
    assert (renamed["files"], renamed["retokenized"]) == (4, 0)
    code, out, _ = run(capsys, config, "ask", "--json", "기차 특징")
    assert code == 0 and json.loads(out)["results"][0]["source"] == "trains/기차.md"

    full = reindex_json(capsys, config, "--full")
    assert (full["files"], full["retokenized"]) == (4, 4)


def test_dictionary_change_retokenizes_everything(notes, capsys):
    folder, config = notes
    assert reindex_json(capsys, config)["retokenized"] == 5
    dictionary = folder / "_dictionary"
    with open(dictionary / "user_words.txt", "a", encoding="utf-8") as fh:
        fh.write("\n바나나우유\n")
    assert reindex_json(capsys, config)["retokenized"] == 5  # a new Kiwi with the word
    assert reindex_json(capsys, config)["retokenized"] == 0
    with open(dictionary / "aliases.txt", "a", encoding="utf-8") as fh:
        fh.write("\n바나나 = banana\n")
    assert reindex_json(capsys, config)["retokenized"] == 5
    # Saved with the new dictionary: the next start loads it as it is (no third Kiwi needed to check).
    lexicon = load_lexicon(folder)
    assert "banana" in lexicon.aliases
    store = IndexStore(folder, folder.parent / "cache")
    saved = store.read(lexicon, tuning_from(make_config(folder, folder.parent / "cache")))
    entries, index = saved.entries, saved.index
    assert index is not None and len(entries) == 5


def test_broken_notes_warn_exit_zero_strict_fails(notes, capsys):
    folder, config = notes
    (folder / "bad.md").write_bytes(b"# x\n\n\xff\xfe\xfd")
    (folder / "nul.md").write_bytes(b"# x\x00\n")
    summary = reindex_json(capsys, config)
    assert summary["files"] == 5
    assert [w.split(":")[0] for w in summary["warnings"]] == ["bad.md", "nul.md"]

    code, out, err = run(capsys, config, "reindex")
    assert code == 0
    assert out.startswith("indexed 5 files, 15 sections; re-tokenized 0 files; 2 warnings;")
    assert "warning: bad.md: skipped, not valid UTF-8" in err and "warning: nul.md:" in err

    code, out, err = run(capsys, config, "reindex", "--strict")
    assert code == 1 and "--strict" in err
    code, _, _ = run(capsys, config, "reindex", "--strict", "--json")
    assert code == 1

    (folder / "bad.md").unlink()
    (folder / "nul.md").unlink()
    assert run(capsys, config, "reindex", "--strict")[0] == 0


def test_missing_or_unusable_folder_fails(tmp_path, capsys):
    config = write_config(tmp_path / "config.toml", tmp_path / "missing", tmp_path / "cache")
    code, out, err = run(capsys, config, "reindex", "--json")
    assert code == 1 and out == "" and "knowledge folder not found" in err

    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "only.md").write_bytes(b"\x00\x01\x02")
    config = write_config(tmp_path / "config2.toml", broken, tmp_path / "cache")
    code, out, err = run(capsys, config, "reindex")
    assert code == 1 and "no notes to index" in err and "only.md" in err


def test_progress_bar_on_a_terminal_summary_on_stdout(notes, capsys, monkeypatch):
    _folder, config = notes

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    fake = Tty()
    monkeypatch.setattr(sys, "stderr", fake)
    code = cli_main.main(["--config", str(config), "reindex", "--full"])
    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith("indexed 5 files, 15 sections; re-tokenized 5 files")
    assert "tokenizing" in fake.getvalue() and "\x1b[" in fake.getvalue()  # rich drew (and cleared) a bar


# -- kill -9 in the middle ---------------------------------------------------------------------------
CHILD = r"""
import io, os, sys, time
sys.path.insert(0, sys.argv[3])
import bot.index.store as store

mode = sys.argv[2]
if mode == "tokenizing":
    real_tokenize = store.tokenize_notes

    def tokenize(notes, analyzer):
        notes = list(notes)
        for done, item in enumerate(real_tokenize(notes, analyzer), 1):
            print("PROGRESS", done, len(notes), flush=True)
            time.sleep(0.2)
            yield item

    store.tokenize_notes = tokenize
else:  # writing: half of the new file is on disk when the kill comes
    real_write = store.write_npz

    def write(fh, payload, arrays):
        buf = io.BytesIO()
        real_write(buf, payload, arrays)
        data = buf.getvalue()
        fh.write(data[: len(data) // 2])
        fh.flush()
        os.fsync(fh.fileno())
        print("WRITING", flush=True)
        time.sleep(120)

    store.write_npz = write

from bot.cli.main import main
sys.exit(main(["--config", sys.argv[1], "reindex", "--full", "--json"]))
"""


class Lines:
    """The child's stdout, line by line, read in a thread (so waiting can time out)."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.proc = proc
        self.queue: queue.Queue[str] = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.queue.put(line)

    def wait_for(self, word: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.queue.get(timeout=0.2)
            except queue.Empty:
                if self.proc.poll() is not None:
                    break
                continue
            if line.startswith(word):
                return line
        self.proc.kill()
        self.proc.wait(10)
        err = self.proc.stderr.read()[-2000:]
        raise AssertionError(f"child never printed {word} (rc={self.proc.returncode}): {err}")

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)
        self.reader.join(10)  # EOF after the kill
        self.proc.stdout.close()
        self.proc.stderr.close()


@pytest.mark.parametrize("moment", ["tokenizing", "writing"])
def test_sigkill_mid_reindex_leaves_the_old_index_serving(moment, tmp_path, analyzer):
    folder, cache = tmp_path / "notes", tmp_path / "cache"
    write_many(folder, 80, "사자")  # version A: 320 sections, every one about lions
    config_path = write_config(tmp_path / "config.toml", folder, cache)
    tuning = tuning_from(make_config(folder, cache))
    store = IndexStore(folder, cache)
    old = store.rebuild(tuning, None, analyzer=analyzer)
    saved = store.path.read_bytes()
    write_many(folder, 80, "호랑이")  # version B: tigers instead

    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(config_path), moment, str(ROOT)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    lines = Lines(proc)
    try:
        line = lines.wait_for("PROGRESS" if moment == "tokenizing" else "WRITING", 60)
        if moment == "tokenizing":
            done, total = map(int, line.split()[1:])
            assert done < total  # really in the middle
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(10) == -signal.SIGKILL
    finally:
        lines.close()

    assert store.path.read_bytes() == saved  # the old file, untouched
    leftovers = [p.name for p in store.path.parent.glob(".index.npz.*.tmp")]
    assert len(leftovers) == (1 if moment == "writing" else 0)

    saved = store.read(load_lexicon(folder), tuning)  # still loads, whole
    entries, index = saved.entries, saved.index
    assert index is not None
    assert {e.source: e.digest for e in entries.values()} == {
        e.source: e.digest for e in old.entries.values()
    }
    engine = Engine.from_index(index, analyzer, tuning, entries, [], time.perf_counter(), 0)
    answer = engine.ask("사자 이야기")
    assert answer.answered and "사자" in answer.results[0].section.text
    assert not engine.ask("호랑이").answered  # B never got in

    # The next reindex finishes the job and sweeps the dead writer's half file.
    report = store.refresh(tuning)
    assert (report.files, report.retokenized) == (80, 80)
    assert not list(store.path.parent.glob(".index.npz.*.tmp"))
    saved = store.read(load_lexicon(folder), tuning)
    entries, index = saved.entries, saved.index
    new = Engine.from_index(index, analyzer, tuning, entries, [], time.perf_counter(), 0)
    assert new.ask("호랑이 이야기").answered
