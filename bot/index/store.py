"""The persisted, incremental, atomic index of one knowledge folder.

One file, <cache>/<folder-name>-<hash of its path>/index.npz, holds everything: per note file its content
hash, sections and tokens; the BM25 matrices; and what it was built from (format, folder, kiwipiepy and
model versions, the token-relevant dictionary (user words, aliases), a hash of the indexing code, ranking
settings), with a sha256 over all of it. It is read with allow_pickle=False and checked field by field:
a corrupt, truncated, foreign or stale file is rebuilt, never trusted. It is written beside the old one
(a unique temporary name in the same folder, fsynced) and swapped in with one os.replace, so a crash or
kill mid-way leaves the old index in place.

Rebuilds are incremental: a note whose hash is unchanged keeps its sections and tokens; only changed or
new files are parsed and tokenized; deleted files drop out; a renamed file is found by its hash and moves
without re-tokenizing its text. Changing the user words or aliases changes the tokenizer version:
everything is redone (question words and distro names do not change tokens).

Everything up to "is the saved index still right?" (reading the notes, hashing them, loading the
dictionary, reading the cache) needs no Kiwi: `refresh()` (the reindex verb) builds an Analyzer only when
something has to be tokenized.

The pipeline, one module per step: scan.py (the notes on disk, hashed), notefiles.py (what one file
contributes), build.py and channels.py (each channel's rows and view), splice.py (changed files counted
and put into the index in hand), fileformat.py (the file), keys.py (what makes a saved index stale);
this module runs them in order, under the locks, and hands back a BuiltIndex (types.py), never an
engine: answers/store.py makes engines of it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.errors import KnowledgeError
from bot.index.analyzers import analyzer_for, remember_analyzer
from bot.index.atomic import sweep, write_atomically
from bot.index.build import SearchIndex, Tables
from bot.index.fileformat import ARRAY_NAMES, FORMAT, checksum, decode, encode, read_npz, write_npz
from bot.index.keys import built_from, token_key
from bot.index.locks import FileLock, read_stamp, write_stamp
from bot.index.notefiles import NoteEntry, SectionList
from bot.index.scan import Found, Scan, scan_notes
from bot.index.splice import file_counts, moved_entry, new_entry, same_sections, splice_index
from bot.index.types import BuildReport, BuiltIndex, IndexData, IndexTuning, Saved
from bot.notes.files import missing_folder_message
from bot.notes.markdown import normalize_note, parse_sections
from bot.notes.section import Section
from bot.tokens.lexicon import Lexicon, load_lexicon
from bot.tokens.sections import tokenize_notes

if TYPE_CHECKING:
    from bot.tokens.analyzer import Analyzer

log = logging.getLogger(__name__)
Progress = Callable[[int, int], None]
_said: set[str] = set()  # save failures already logged by this process


class IndexStore:
    def __init__(
        self, knowledge_dir: Path, cache_root: Path | None, dictionary_dir: Path | None = None
    ) -> None:
        self.folder = Path(knowledge_dir).resolve()
        self.dictionary_dir = dictionary_dir  # None: the knowledge folder's own _dictionary/
        self.path: Path | None = None
        # Saves run one at a time; a save that finds a newer one already written skips itself.
        self._save_lock = threading.Lock()  # held while writing
        self._count_lock = threading.Lock()  # held to number a save (never waits for a write)
        self._scheduled = 0  # saves asked for
        self._written = 0  # the newest save done
        self._saver: threading.Thread | None = None
        self.save_error: str | None = None  # why the last save failed (None: it did not)
        if cache_root is not None:
            slug = re.sub(r"[^\w.-]+", "_", self.folder.name)[:40] or "knowledge"
            key = hashlib.sha256(str(self.folder).encode()).hexdigest()[:12]
            self.path = Path(cache_root) / f"{slug}-{key}" / "index.npz"
        cache = self.path.parent if self.path else Path(os.devnull)
        self._build_lock = FileLock(cache / "build.lock")  # builds take turns (other processes too)
        self._write_lock = FileLock(cache / "write.lock")  # ... and so do writes of the file
        self._stamp_path = cache / "index.stamp"  # when the build on disk started (ns)
        self.vectors_path = cache / "vectors.npz" if self.path else None  # the semantic channel's

    @contextlib.contextmanager
    def _building(self) -> Iterator[int]:
        """One build of this folder at a time; yields the build's stamp (ns, taken once it may start)."""
        if self.path is None:
            yield time.time_ns()
            return
        with self._build_lock.held():
            yield time.time_ns()

    # -- public ------------------------------------------------------------------------------------
    def load_index(
        self, tuning: IndexTuning, progress: Progress | None = None, analyzer: Analyzer | None = None
    ) -> BuiltIndex:
        """Start-up: the persisted index where it is still right, else (partly) rebuilt and saved."""
        started = time.perf_counter()
        with self._building() as stamp:
            lexicon = self._lexicon()
            saved = self.read(lexicon, tuning)
            scan = self._scan(saved.entries, lexicon)
            analyzer = self._analyzer(lexicon, analyzer)
            return self._assemble(analyzer, tuning, saved, scan, started, stamp, progress)

    def rebuild_index(
        self,
        tuning: IndexTuning,
        old: IndexData | None,
        full: bool = False,
        progress: Progress | None = None,
        analyzer: Analyzer | None = None,
        save_in_background: bool = False,
    ) -> BuiltIndex:
        """Reindex: reuse what the index in hand (the running engine's) has for unchanged files (all of it
        unless full).

        Always saves the result (a reindex also repairs a deleted or damaged cache file); with
        save_in_background the index is returned first and the file follows (wait_saved()): the bot
        answers from the new index while it is written, as the saved file only serves the next start.
        """
        started = time.perf_counter()
        with self._building() as stamp:
            lexicon = self._lexicon()
            if (
                analyzer is None
                and old is not None
                and old.analyzer.lexicon.fingerprint == lexicon.fingerprint
            ):
                analyzer = old.analyzer
            analyzer = self._analyzer(lexicon, analyzer)  # dictionary files edited: a new Kiwi
            same_tokens = old is not None and token_key(old.analyzer.lexicon) == token_key(lexicon)
            saved = Saved({}, None, None)
            if same_tokens and not full and old is not None:
                index = old.index if old.tuning == tuning else None
                saved = Saved(old.entries, old.index.tables, index, old.index)
            scan = self._scan(saved.entries, lexicon)
            return self._assemble(
                analyzer, tuning, saved, scan, started, stamp, progress,
                always_write=True, background=save_in_background,
            )  # fmt: skip

    def refresh(
        self, tuning: IndexTuning, full: bool = False, progress: Progress | None = None
    ) -> BuildReport:
        """The reindex verb: bring the saved index up to date; no Kiwi at all when it already is."""
        return self.refresh_sections(tuning, full, progress)[0]

    def refresh_sections(
        self, tuning: IndexTuning, full: bool = False, progress: Progress | None = None
    ) -> tuple[BuildReport, Sequence[Section]]:
        """refresh(), and the sections of the index now saved (what the semantic channel embeds)."""
        started = time.perf_counter()
        with self._building() as stamp:
            lexicon = self._lexicon()
            saved = Saved({}, None, None) if full else self.read(lexicon, tuning)
            scan = self._scan(saved.entries, lexicon)
            if not full and saved.index is not None and saved.index.sections:
                current = {e.source: e.digest for e in saved.entries.values()}
                if current == scan.digests():
                    warnings = (*lexicon.warnings, *scan.warnings)
                    seconds = round(time.perf_counter() - started, 3)
                    sections = saved.index.sections
                    return BuildReport(len(saved.entries), len(sections), 0, warnings, seconds), sections
            analyzer = analyzer_for(lexicon)
            built = self._assemble(analyzer, tuning, saved, scan, started, stamp, progress, always_write=full)
            return built.report, built.index.sections

    # -- building ----------------------------------------------------------------------------------
    def _lexicon(self) -> Lexicon:
        if not self.folder.is_dir():
            raise KnowledgeError(missing_folder_message(self.folder))
        return load_lexicon(self.folder, self.dictionary_dir)

    def _scan(self, known: dict[str, NoteEntry], lexicon: Lexicon) -> Scan:
        """The notes as they are now; KnowledgeError (before any Kiwi) if there is none."""
        scan = scan_notes(self.folder, known)
        if not scan.notes:
            self._nothing_to_index([*lexicon.warnings, *scan.warnings])
        return scan

    def _nothing_to_index(self, warnings: list[str], read: bool = False) -> None:
        detail = f" ({len(warnings)} warnings; first: {warnings[0]})" if warnings else ""
        # read: the files were read, and none holds a section (empty, or a bare "# 제목")
        why = "the *.md files hold no text to answer from" if read else "no readable *.md file"
        raise KnowledgeError(f"no notes to index in {self.folder}: {why}{detail}")

    @staticmethod
    def _analyzer(lexicon: Lexicon, given: Analyzer | None) -> Analyzer:
        if given is not None and given.lexicon.fingerprint == lexicon.fingerprint:
            remember_analyzer(given)
            return given
        return analyzer_for(lexicon)

    def _assemble(
        self,
        analyzer: Analyzer,
        tuning: IndexTuning,
        saved: Saved,
        scan: Scan,
        started: float,
        stamp: int,
        progress: Progress | None,
        always_write: bool = False,
        background: bool = False,
    ) -> BuiltIndex:
        warnings = [*analyzer.lexicon.warnings, *scan.warnings]
        cached = saved.entries
        tables = saved.tables or Tables.new()
        weights = tuning.weights
        by_digest = {e.digest: e for e in cached.values()}
        entries: dict[str, NoteEntry] = {}
        changed: list[Found] = []
        for found in scan.notes:
            hit = cached.get(found.source)
            if hit is not None and hit.digest == found.digest:
                entries[found.source] = hit if hit.stamp == found.stamp else hit.with_stamp(found.stamp)
            else:
                changed.append(found)
        done = 0

        def tick() -> None:
            nonlocal done
            done += 1
            if progress:
                progress(done, len(changed))

        def parsed() -> Iterator[tuple[tuple[Found, str, tuple[Section, ...]], list[Section]]]:
            # Pulled by the tokenizer as Kiwi needs more text: parsing runs while Kiwi works.
            for found in changed:
                assert found.text is not None  # only a file already indexed under this name is not read
                try:
                    secs = parse_sections(found.text, found.source, warnings.append)
                except (KeyboardInterrupt, SystemExit):
                    raise
                except BaseException as err:  # one odd file must not take the others down (a Rust panic too)
                    warnings.append(f"{found.source}: skipped, could not parse ({err.__class__.__name__})")
                    tick()
                    continue
                hit = by_digest.get(found.digest)  # a renamed (or copied) file: same bytes, new name
                if hit is not None and same_sections(hit.sections, secs):
                    # no Kiwi
                    entries[found.source] = moved_entry(hit, found, secs, analyzer, tables, weights)
                    tick()
                    continue
                yield (found, normalize_note(found.text), tuple(secs)), secs

        retokenized = 0
        for (found, note, secs), toks in tokenize_notes(parsed(), analyzer):
            entries[found.source] = new_entry(found, note, secs, toks, tables, weights)
            retokenized += 1
            tick()
        entries = dict(sorted(entries.items()))
        sections = SectionList(list(entries.values()))
        if not sections:
            self._nothing_to_index(warnings, read=bool(entries))
        unchanged = saved.index is not None and not retokenized and list(entries) == list(cached)
        if unchanged and saved.index is not None:
            index = saved.index  # nothing changed since it was built: no counting
        else:
            try:
                index = splice_index(entries, saved, tables, weights, tuning.bm25, sections)
            except Exception:  # a shortcut: never the reason a start-up or reindex fails
                log.warning("could not splice the index in hand; building it from every file", exc_info=True)
                index = None
            if index is None:  # no index in hand to start from (or other weights): from every file's rows
                counts = [file_counts(e, tables, weights) for e in entries.values()]
                index = SearchIndex.assemble(sections, counts, tables, weights, tuning.bm25)
            for e in entries.values():
                e.bags = None  # the index holds them now (at 100k sections, ~100 MB not kept twice)
        seconds = round(time.perf_counter() - started, 3)
        report = BuildReport(len(entries), len(index.sections), retokenized, tuple(warnings), seconds)
        built = BuiltIndex(index, analyzer, tuning, entries, report)
        if (always_write or not unchanged) and not self._save(built, background, stamp):
            # Said in the report, so `reindex --strict` fails: every start would pay a full rebuild.
            built.report = replace(report, warnings=(*report.warnings, str(self.save_error)))
        return built

    # -- persistence -------------------------------------------------------------------------------
    def _number(self) -> int:
        """The next save's number (saves run in that order or not at all)."""
        with self._count_lock:
            self._scheduled += 1
            return self._scheduled

    def _save(self, data: IndexData, background: bool, stamp: int) -> bool:
        """Save now (False if it failed), or start saving in the background (True; failures logged)."""
        generation = self._number()
        if not background:
            return self._write(data, generation, stamp) or self.path is None
        saver = threading.Thread(
            target=self._write, args=(data, generation, stamp), name="index-save", daemon=True
        )  # daemon: a bot stopped mid-save keeps the old file, and the next start catches up
        self._saver = saver
        saver.start()
        return True

    def wait_saved(self, timeout: float | None = None) -> bool:
        """Until the last background save is on disk (or has failed and been logged); False if it still
        runs after ``timeout`` seconds."""
        saver = self._saver
        if saver is not None:
            saver.join(timeout)
        return saver is None or not saver.is_alive()

    def write(self, data: IndexData) -> bool:
        """Save beside the old file, then swap with one rename. False (and a log line) if it cannot."""
        return self._write(data, self._number(), time.time_ns())

    def _write(self, data: IndexData, generation: int, stamp: int) -> bool:
        with self._save_lock:  # held while writing: saves never interleave
            if generation < self._written:
                return True  # a newer index is already on disk
            with self._write_lock.held() as locked:
                if locked and read_stamp(self._stamp_path) > stamp:
                    log.info("a newer build of %s was saved meanwhile; not overwriting it", self.folder)
                    return True
                done = self._write_now(data)
                if done and locked:
                    write_stamp(self._stamp_path, stamp)
            self._written = max(self._written, generation)
            return done

    def _write_now(self, data: IndexData) -> bool:
        if self.path is None:
            return False
        payload, arrays = encode(data, self.folder)
        try:
            write_atomically(self.path, lambda fh: write_npz(fh, payload, arrays))
            return True
        except OSError as err:
            self.save_error = (
                f"could not save the index to {self.path} ({err.strerror or type(err).__name__}); "
                "until it can be saved, every start re-reads and re-indexes all notes"
            )
            if self.save_error not in _said:  # once per process, not once per reindex
                _said.add(self.save_error)
                log.warning("%s", self.save_error)
            return False

    def read(self, lexicon: Lexicon, tuning: IndexTuning) -> Saved:
        """What the persisted file holds; nothing when it is missing, corrupt or foreign.

        Entries come back when the tokens are still good; the index only when the ranking settings match
        too (else it is recounted from the entries without tokenizing).
        """
        if self.path is None:
            return Saved({}, None, None)
        try:
            sweep(self.path)  # a writer killed mid-save left its temporary file: the next start removes it
            if not self.path.is_file():
                log.debug("no saved index at %s: indexing every note", self.path)
                return Saved({}, None, None)
        except OSError as err:  # a cache folder that cannot be listed: index in memory, as when unwritable
            log.warning("index cache %s unreadable (%s); indexing every note", self.path, err.strerror or err)
            return Saved({}, None, None)
        try:
            return self._read(lexicon, tuning)
        except Exception as err:  # corrupt zip, bad JSON, wrong shapes, bad checksum: never trusted
            log.warning("index cache %s unusable (%s: %s); rebuilding", self.path, type(err).__name__, err)
            return Saved({}, None, None)

    def _read(self, lexicon: Lexicon, tuning: IndexTuning) -> Saved:
        assert self.path is not None
        arrays, crcs = read_npz(self.path)
        payload = arrays.pop("meta").tobytes()
        meta: dict[str, Any] = json.loads(payload.decode())
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            log.info("index cache %s is in another format; rebuilding", self.path)
            return Saved({}, None, None)
        if meta.get("folder") != str(self.folder):
            log.info("index cache %s is for another folder; rebuilding", self.path)
            return Saved({}, None, None)
        names = {"meta", *arrays}
        if names != ARRAY_NAMES:
            raise ValueError(f"unexpected arrays {sorted(names ^ ARRAY_NAMES)}")
        check = arrays.pop("check").tobytes().decode("ascii")
        if check != checksum(payload, crcs):
            raise ValueError("checksum mismatch")
        want = built_from(lexicon)
        have = meta.get("built_from")
        if have != want:
            changed = sorted(k for k in want if not isinstance(have, dict) or have.get(k) != want[k])
            log.info("index cache built with another %s; re-tokenizing everything", ", ".join(changed))
            return Saved({}, None, None)
        return decode(meta, arrays, tuning)
