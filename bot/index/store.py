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
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import importlib.metadata
import importlib.util
import io
import json
import logging
import math
import os
import re
import stat
import struct
import threading
import time
import weakref
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

import numpy as np

from bot.errors import KnowledgeError
from bot.index.atomic import sweep, write_atomically
from bot.index.bags import Bags, Terms
from bot.index.bm25 import BM25Params, SparseBM25
from bot.index.build import Counts, SearchIndex, SectionTokens, Tables, Weights, count_file
from bot.index.locks import FileLock, read_stamp, write_stamp
from bot.notes.files import MAX_FILE_BYTES, missing_folder_message, read_note, shown_name, walk_notes
from bot.notes.install import InstallSnippet, section_snippets
from bot.notes.markdown import normalize_note, parse_sections
from bot.notes.section import Section
from bot.tokens.lexicon import Lexicon, load_lexicon
from bot.tokens.sections import tokenize_notes

if TYPE_CHECKING:
    from bot.answers.engine import BuildReport, Engine, Tuning
    from bot.tokens.analyzer import Analyzer

log = logging.getLogger(__name__)
FORMAT = 6
Progress = Callable[[int, int], None]
# The code that decides what lands in the index: a change to any of it makes a saved index stale.
PIPELINE_MODULES = (
    "bot.notes.files",
    "bot.notes.markdown",
    "bot.notes.section",
    "bot.tokens.analyzer",
    "bot.tokens.lexicon",
    "bot.tokens.sections",
    "bot.index.bags",
    "bot.index.build",
    "bot.index.bm25",
    "bot.index.grams",
    "bot.index.store",
)


_said: set[str] = set()  # save failures already logged by this process
RACY_NS = 2_000_000_000  # a file changed within 2 s of being read may change again unseen: re-hash it


class NoteEntry:
    """What one note file contributes to the index, kept so that an unchanged file costs nothing.

    Its sections are stored as one `_Record` (UTF-8 and int arrays, what the saved file holds) and become
    Section objects on first use: a cold start answers without building 100k of them. Tokens are ids in
    the index's morpheme table (decoded only when a file must be recounted); `bags`, a newly read file's
    counted rows, are held only until the index is built from them (a reindex splices the index itself).
    """

    def __init__(
        self,
        source: str,
        digest: str,
        stamp: tuple[int, int, int],  # size, mtime_ns, and when it was read (time_ns)
        record: _Record,
        token_ids: np.ndarray,  # int32, every section's title, path, body and file-name tokens in a row
        token_bounds: np.ndarray,  # int64, 4 * sections + 1 offsets into token_ids
        weights: Weights,  # what seen and bags were counted with
        seen: tuple[np.ndarray, np.ndarray],  # both views' terms in first-occurrence order
        bags: tuple[Bags, Bags] | None = None,
        sections: tuple[Section, ...] | None = None,
    ) -> None:
        self.source, self.digest, self.stamp = source, digest, stamp
        self.record, self.token_ids, self.token_bounds = record, token_ids, token_bounds
        self.weights, self.seen, self.bags = weights, seen, bags
        self.n_sections = len(record.lines)
        self._sections = sections
        self._snippets: tuple[Any, list[list[InstallSnippet]]] | None = None

    @property
    def sections(self) -> tuple[Section, ...]:
        if self._sections is None:
            self._sections = self.record.sections(self.source)
        return self._sections

    def with_stamp(self, stamp: tuple[int, int, int]) -> NoteEntry:
        """The same file touched (mtime changed, same bytes)."""
        return NoteEntry(
            self.source,
            self.digest,
            stamp,
            self.record,
            self.token_ids,
            self.token_bounds,
            self.weights,
            self.seen,
            self.bags,
            self._sections,
        )

    def snippets(self, distros: tuple[tuple[str, tuple[str, ...]], ...]) -> list[list[InstallSnippet]]:
        """Install snippets per section of this file (see notes/install.py), for this distro list."""
        if self._snippets is None or self._snippets[0] != distros:
            self._snippets = (distros, [section_snippets(s, distros) for s in self.sections])
        return self._snippets[1]

    def tokens(self, terms: Terms) -> list[SectionTokens]:
        ids, b = self.token_ids, self.token_bounds.tolist()
        return [
            SectionTokens(*(terms.decode(ids[b[4 * i + k] : b[4 * i + k + 1]]) for k in range(4)))
            for i in range(self.n_sections)
        ]

    def counts(self) -> Counts:
        assert self.bags is not None
        return Counts(self.bags[0], self.bags[1], self.seen[0], self.seen[1])

    def trusted(self, size: int, mtime_ns: int) -> bool:
        """Same size and mtime as when hashed, and not modified around that moment (git's "racy" rule)."""
        s, m, read = self.stamp
        return (s, m) == (size, mtime_ns) and m + RACY_NS < read


@dataclass(frozen=True)
class _Record:
    """One file's sections as the saved file stores them: three UTF-8 texts and int arrays."""

    note: bytes  # the note; every section's text is a span of it
    bodies: bytes  # the sections' bodies, one after another
    titles: bytes  # every section's heading path items, one after another
    lines: np.ndarray  # int64 per section
    levels: np.ndarray  # int64 per section
    spans: np.ndarray  # int64 (sections, 2): the text's span in the note, in characters
    body_sizes: np.ndarray  # int64 characters per body
    path_lens: np.ndarray  # int64 heading path items per section
    title_sizes: np.ndarray  # int64 characters per heading path item

    @classmethod
    def of(cls, note: str, sections: Sequence[Section]) -> _Record:
        items = [t for s in sections for t in s.heading_path]
        return cls(
            note.encode(),
            "".join(s.body for s in sections).encode(),
            "".join(items).encode(),
            np.asarray([s.line for s in sections], dtype=np.int64),
            np.asarray([s.level for s in sections], dtype=np.int64),
            np.asarray([_span(note, s.text) for s in sections], dtype=np.int64).reshape(-1, 2),
            np.asarray([len(s.body) for s in sections], dtype=np.int64),
            np.asarray([len(s.heading_path) for s in sections], dtype=np.int64),
            np.asarray([len(t) for t in items], dtype=np.int64),
        )

    def sections(self, source: str) -> tuple[Section, ...]:
        note, bodies, titles = self.note.decode(), self.bodies.decode(), self.titles.decode()
        tb, bb = _bounds(self.title_sizes).tolist(), _bounds(self.body_sizes).tolist()
        pb = _bounds(self.path_lens).tolist()
        out = []
        for i, (line, level, (a, b)) in enumerate(
            zip(self.lines.tolist(), self.levels.tolist(), self.spans.tolist(), strict=True)
        ):
            path = tuple(titles[tb[k] : tb[k + 1]] for k in range(pb[i], pb[i + 1]))
            out.append(Section(source, line, path, level, note[a:b], bodies[bb[i] : bb[i + 1]]))
        return tuple(out)


class SectionList(Sequence[Section]):
    """Every section of the index in file order, each file's made on first use."""

    def __init__(self, entries: Sequence[NoteEntry]) -> None:
        self._entries = list(entries)
        self._starts = _bounds([e.n_sections for e in self._entries]).tolist()

    def __len__(self) -> int:
        return self._starts[-1]

    @overload
    def __getitem__(self, i: int) -> Section: ...
    @overload
    def __getitem__(self, i: slice) -> list[Section]: ...
    def __getitem__(self, i: int | slice) -> Section | list[Section]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError("section index out of range")
        f = bisect.bisect_right(self._starts, i) - 1
        return self._entries[f].sections[i - self._starts[f]]

    def __iter__(self) -> Iterator[Section]:
        for e in self._entries:
            yield from e.sections

    def levels(self) -> np.ndarray:
        """Every section's heading level, without making the sections."""
        if not self._entries:
            return np.zeros(0, dtype=np.int64)
        return np.concatenate([e.record.levels for e in self._entries])


@dataclass(frozen=True)
class Found:
    """A note on disk now: text None when its size and mtime vouch for the digest already indexed."""

    source: str
    digest: str
    stamp: tuple[int, int, int]
    text: str | None


@dataclass(frozen=True)
class Scan:
    """The notes as they are on disk now: readable files (sorted) and one warning per skipped file."""

    notes: tuple[Found, ...]
    warnings: tuple[str, ...]

    def digests(self) -> dict[str, str]:
        return {n.source: n.digest for n in self.notes}


def tuning_key(tuning: Tuning) -> str:
    return json.dumps({"weights": asdict(tuning.weights), "bm25": asdict(tuning.bm25)}, sort_keys=True)


@lru_cache(maxsize=1)
def code_version() -> str:
    """A hash of the indexing code's source (see PIPELINE_MODULES); importing none of it."""
    h = hashlib.sha256()
    for name in PIPELINE_MODULES:
        h.update(name.encode())
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.origin and os.path.isfile(spec.origin):
            with open(spec.origin, "rb") as fh:
                h.update(fh.read())
    return h.hexdigest()[:16]


@lru_cache(maxsize=1)
def kiwi_version() -> str:
    """kiwipiepy and its model package (the model decides the morphemes as much as the code)."""
    found = []
    for dist in ("kiwipiepy", "kiwipiepy_model"):
        try:
            found.append(f"{dist}-{importlib.metadata.version(dist)}")
        except importlib.metadata.PackageNotFoundError:
            found.append(f"{dist}-unknown")
    return "/".join(found)


def token_key(lexicon: Lexicon) -> str:
    """The part of the dictionary that changes tokens: user words, aliases, phrase rewrites (parsed, so
    comments and blank lines do not count). Question words and distro names act at question time and
    on install snippets only: editing them needs no re-tokenizing."""
    parts = [
        sorted(lexicon.user_words),
        sorted((k, list(v)) for k, v in lexicon.aliases.items()),
        [[p.pattern, p.flags, r] for p, r in lexicon.phrases],
    ]
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()[:16]


def built_from(lexicon: Lexicon) -> dict[str, str]:
    """Everything the tokens depend on, known without starting Kiwi."""
    return {"kiwipiepy": kiwi_version(), "dictionary": token_key(lexicon), "code": code_version()}


# -- analyzers: one Kiwi per dictionary, shared while anyone holds it ----------------------------------
_analyzers: weakref.WeakValueDictionary[str, Analyzer] = weakref.WeakValueDictionary()
_analyzers_lock = threading.Lock()


def analyzer_for(lexicon: Lexicon) -> Analyzer:
    """An Analyzer for this dictionary: a live one (the serving engine's) when there is one, else new.

    Kiwi costs seconds and half a gigabyte; the cache holds analyzers weakly, so nothing is kept alive
    that no engine uses.
    """
    from bot.tokens.analyzer import Analyzer

    with _analyzers_lock:
        found = _analyzers.get(lexicon.fingerprint)
        if found is None:
            found = Analyzer(lexicon)
            _analyzers[lexicon.fingerprint] = found
        return found


def remember_analyzer(analyzer: Analyzer) -> None:
    """Offer a live analyzer to analyzer_for() (held weakly; tests share one Kiwi this way)."""
    with _analyzers_lock:
        _analyzers.setdefault(analyzer.lexicon.fingerprint, analyzer)


# -- reading the notes -----------------------------------------------------------------------------
def scan_notes(folder: Path, known: dict[str, NoteEntry] | None = None) -> Scan:
    """Every note with its digest. A file whose size and mtime match the indexed one is not read again
    (known: the entries of the index in hand); the others are read and hashed. Broken files (see
    notes/files.py) and non-files are warnings, skipped."""
    known = known or {}
    notes: list[Found] = []
    base = str(folder)
    sources, warnings = walk_notes(folder)
    for source in sources:
        shown = shown_name(source)  # a name that is not UTF-8 must not reach a warning, JSON or a log
        try:
            st = os.stat(os.path.join(base, source))  # plain strings: thousands of files per reindex
        except OSError as err:  # a dangling symlink, a file deleted since the listing
            warnings.append(f"{shown}: skipped, cannot read ({err.strerror or type(err).__name__})")
            continue
        if not stat.S_ISREG(st.st_mode):  # a FIFO would block the read forever
            warnings.append(f"{shown}: skipped, not a regular file")
            continue
        if st.st_size > MAX_FILE_BYTES:  # say so without reading it
            warnings.append(f"{shown}: skipped, larger than {MAX_FILE_BYTES // 1024 // 1024} MB")
            continue
        entry = known.get(source)
        if entry is not None and entry.trusted(st.st_size, st.st_mtime_ns):
            notes.append(Found(source, entry.digest, entry.stamp, None))
            continue
        read_at = time.time_ns()
        note, warning = read_note(folder, source)
        if note is None:
            warnings.append(warning or f"{source}: skipped")
        else:
            notes.append(Found(source, note.digest, (st.st_size, st.st_mtime_ns, read_at), note.text))
    return Scan(tuple(notes), tuple(warnings))


@dataclass
class Saved:
    """What a saved index file holds, checked: its entries (tokens still good), their term tables, and
    the index itself when the ranking settings match too."""

    entries: dict[str, NoteEntry]
    tables: Tables | None
    index: SearchIndex | None  # usable as it is (same ranking settings)
    postings: SearchIndex | None = None  # the entries' counts, whatever the settings (None: recount)

    @property
    def empty(self) -> bool:
        return not self.entries and self.index is None


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
    def load_or_build(
        self, tuning: Tuning, progress: Progress | None = None, analyzer: Analyzer | None = None
    ) -> Engine:
        """Start-up: the persisted index where it is still right, else (partly) rebuilt and saved."""
        started = time.perf_counter()
        with self._building() as stamp:
            lexicon = self._lexicon()
            saved = self.read(lexicon, tuning)
            scan = self._scan(saved.entries, lexicon)
            analyzer = self._analyzer(lexicon, analyzer)
            return self._assemble(analyzer, tuning, saved, scan, started, stamp, progress)

    def rebuild(
        self,
        tuning: Tuning,
        old: Engine | None,
        full: bool = False,
        progress: Progress | None = None,
        analyzer: Analyzer | None = None,
        save_in_background: bool = False,
    ) -> Engine:
        """Reindex: reuse what the running engine has for unchanged files (all of it unless full).

        Always saves the result (a reindex also repairs a deleted or damaged cache file); with
        save_in_background the engine is returned first and the file follows (wait_saved()): the bot
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

    def refresh(self, tuning: Tuning, full: bool = False, progress: Progress | None = None) -> BuildReport:
        """The reindex verb: bring the saved index up to date; no Kiwi at all when it already is."""
        return self.refresh_sections(tuning, full, progress)[0]

    def refresh_sections(
        self, tuning: Tuning, full: bool = False, progress: Progress | None = None
    ) -> tuple[BuildReport, Sequence[Section]]:
        """refresh(), and the sections of the index now saved (what the semantic channel embeds)."""
        from bot.answers.engine import BuildReport

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
            engine = self._assemble(
                analyzer, tuning, saved, scan, started, stamp, progress, always_write=full
            )
            return engine.report, engine.index.sections

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

    def _nothing_to_index(self, warnings: list[str]) -> None:
        detail = f" ({len(warnings)} warnings; first: {warnings[0]})" if warnings else ""
        raise KnowledgeError(f"no notes to index in {self.folder}: no readable *.md file{detail}")

    @staticmethod
    def _analyzer(lexicon: Lexicon, given: Analyzer | None) -> Analyzer:
        if given is not None and given.lexicon.fingerprint == lexicon.fingerprint:
            remember_analyzer(given)
            return given
        return analyzer_for(lexicon)

    def _assemble(
        self,
        analyzer: Analyzer,
        tuning: Tuning,
        saved: Saved,
        scan: Scan,
        started: float,
        stamp: int,
        progress: Progress | None,
        always_write: bool = False,
        background: bool = False,
    ) -> Engine:
        from bot.answers.engine import Engine

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
                if hit is not None and _same_sections(hit.sections, secs):
                    entries[found.source] = _moved(hit, found, secs, analyzer, tables, weights)  # no Kiwi
                    tick()
                    continue
                yield (found, normalize_note(found.text), tuple(secs)), secs

        retokenized = 0
        for (found, note, secs), toks in tokenize_notes(parsed(), analyzer):
            entries[found.source] = _entry(found, note, secs, toks, tables, weights)
            retokenized += 1
            tick()
        entries = dict(sorted(entries.items()))
        sections = SectionList(list(entries.values()))
        if not sections:
            self._nothing_to_index(warnings)
        unchanged = saved.index is not None and not retokenized and list(entries) == list(cached)
        if unchanged and saved.index is not None:
            index = saved.index  # nothing changed since it was built: no counting
        else:
            try:
                index = _splice(entries, saved, tables, weights, tuning.bm25, sections)
            except Exception:  # a shortcut: never the reason a start-up or reindex fails
                log.warning("could not splice the index in hand; building it from every file", exc_info=True)
                index = None
            if index is None:  # no index in hand to start from (or other weights): from every file's rows
                counts = [_counts(e, tables, weights) for e in entries.values()]
                index = SearchIndex.assemble(sections, counts, tables, weights, tuning.bm25)
            for e in entries.values():
                e.bags = None  # the index holds them now (at 100k sections, ~100 MB not kept twice)
        engine = Engine.from_index(
            index, analyzer, tuning, entries, warnings, started, retokenized=retokenized
        )
        if (always_write or not unchanged) and not self._save(engine, background, stamp):
            # Said in the report, so `reindex --strict` fails: every start would pay a full rebuild.
            engine.report = replace(engine.report, warnings=(*engine.report.warnings, str(self.save_error)))
        return engine

    # -- persistence -------------------------------------------------------------------------------
    def _number(self) -> int:
        """The next save's number (saves run in that order or not at all)."""
        with self._count_lock:
            self._scheduled += 1
            return self._scheduled

    def _save(self, engine: Engine, background: bool, stamp: int) -> bool:
        """Save now (False if it failed), or start saving in the background (True; failures logged)."""
        generation = self._number()
        if not background:
            return self._write(engine, generation, stamp) or self.path is None
        saver = threading.Thread(
            target=self._write, args=(engine, generation, stamp), name="index-save", daemon=True
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

    def write(self, engine: Engine) -> bool:
        """Save beside the old file, then swap with one rename. False (and a log line) if it cannot."""
        return self._write(engine, self._number(), time.time_ns())

    def _write(self, engine: Engine, generation: int, stamp: int) -> bool:
        with self._save_lock:  # held while writing: saves never interleave
            if generation < self._written:
                return True  # a newer index is already on disk
            with self._write_lock.held() as locked:
                if locked and read_stamp(self._stamp_path) > stamp:
                    log.info("a newer build of %s was saved meanwhile; not overwriting it", self.folder)
                    return True
                done = self._write_now(engine)
                if done and locked:
                    write_stamp(self._stamp_path, stamp)
            self._written = max(self._written, generation)
            return done

    def _write_now(self, engine: Engine) -> bool:
        if self.path is None:
            return False
        payload, arrays = _encode(engine, self.folder)
        try:
            write_atomically(self.path, lambda fh: _write_npz(fh, payload, arrays))
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

    def read(self, lexicon: Lexicon, tuning: Tuning) -> Saved:
        """What the persisted file holds; nothing when it is missing, corrupt or foreign.

        Entries come back when the tokens are still good; the index only when the ranking settings match
        too (else it is recounted from the entries without tokenizing).
        """
        if self.path is None:
            return Saved({}, None, None)
        sweep(self.path)  # a writer killed mid-save left its temporary file: the next start removes it
        if not self.path.is_file():
            log.debug("no saved index at %s: indexing every note", self.path)
            return Saved({}, None, None)
        try:
            return self._read(lexicon, tuning)
        except Exception as err:  # corrupt zip, bad JSON, wrong shapes, bad checksum: never trusted
            log.warning("index cache %s unusable (%s: %s); rebuilding", self.path, type(err).__name__, err)
            return Saved({}, None, None)

    def _read(self, lexicon: Lexicon, tuning: Tuning) -> Saved:
        assert self.path is not None
        arrays, crcs = _read_npz(self.path)
        payload = arrays.pop("meta").tobytes()
        meta: dict[str, Any] = json.loads(payload.decode())
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            log.info("index cache %s is in another format; rebuilding", self.path)
            return Saved({}, None, None)
        if meta.get("folder") != str(self.folder):
            log.info("index cache %s is for another folder; rebuilding", self.path)
            return Saved({}, None, None)
        names = {"meta", *arrays}
        if names != _ARRAY_NAMES:
            raise ValueError(f"unexpected arrays {sorted(names ^ _ARRAY_NAMES)}")
        check = arrays.pop("check").tobytes().decode("ascii")
        if check != _checksum(payload, crcs):
            raise ValueError("checksum mismatch")
        want = built_from(lexicon)
        have = meta.get("built_from")
        if have != want:
            changed = sorted(k for k in want if not isinstance(have, dict) or have.get(k) != want[k])
            log.info("index cache built with another %s; re-tokenizing everything", ", ".join(changed))
            return Saved({}, None, None)
        return _decode(meta, arrays, tuning)


# -- the file format ---------------------------------------------------------------------------------
# Everything but the metadata is a flat numpy array: no pickle, no per-token JSON, read back with
# a few slices. Texts are stored once per note (a section's text is a span of its note's).
_VIEW_ARRAYS = ("terms", "indptr", "docs", "tf", "lengths", "idf", "seen", "seen_bounds")
_TEXTS = ("note", "bodies", "titles")  # UTF-8, one stretch per file (`<name>_bounds`: byte offsets)
_PER_SECTION = ("lines", "levels", "spans", "body_sizes", "path_lens")  # _Record's order
_ARRAY_NAMES = {
    "meta",
    "check",
    *_TEXTS,
    *(f"{k}_bounds" for k in _TEXTS),
    *_PER_SECTION,
    "title_sizes",
    "tok_ids",
    "tok_bounds",
    *(f"{v}_{k}" for v in ("morph", "grams") for k in _VIEW_ARRAYS),
}


def _write_npz(fh: Any, payload: bytes, arrays: dict[str, np.ndarray | list[np.ndarray]]) -> None:
    """An uncompressed .npz (np.load reads it): 'meta', every array (given whole or as pieces, one per
    note file), then 'check', a sha256 over the metadata and each member's CRC-32, which zip computes
    while writing (the bytes are read once)."""
    crcs: dict[str, int] = {}
    with zipfile.ZipFile(fh, "w", zipfile.ZIP_STORED, allowZip64=True) as z:
        for name, value in [("meta", np.frombuffer(payload, dtype=np.uint8)), *arrays.items()]:
            pieces = value if isinstance(value, list) else [value]
            dtype = pieces[0].dtype
            head = np.lib.format.header_data_from_array_1_0(pieces[0])
            head["shape"] = (sum(len(p) for p in pieces), *pieces[0].shape[1:])
            with z.open(f"{name}.npy", "w", force_zip64=True) as out:
                np.lib.format.write_array_header_1_0(out, head)
                # Thousands of small pieces: one C-level join per array beats a write call per piece.
                whole = np.concatenate(pieces).astype(dtype, copy=False) if len(pieces) > 1 else pieces[0]
                out.write(memoryview(np.ascontiguousarray(whole)).cast("B"))
            crcs[name] = z.getinfo(f"{name}.npy").CRC
        check = np.frombuffer(_checksum(payload, crcs).encode("ascii"), dtype=np.uint8)
        with z.open("check.npy", "w") as out:
            np.lib.format.write_array(out, check)


def _read_npz(path: Path) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    """(arrays, CRC-32 per member) of an uncompressed .npz such as _write_npz makes, the arrays as
    read-only views of the file's bytes, read in one go (np.load copies each member). Every member's CRC is
    checked. No pickles: an object dtype is refused like np.load's allow_pickle=False. Anything
    unexpected raises."""
    data = path.read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        infos = z.infolist()
    out: dict[str, np.ndarray] = {}
    crcs: dict[str, int] = {}
    for info in infos:
        name = info.filename.removesuffix(".npy")
        if info.compress_type != zipfile.ZIP_STORED or name == info.filename or name in out:
            raise ValueError(f"unexpected member {info.filename!r}")
        at = info.header_offset
        if data[at : at + 4] != b"PK\x03\x04":
            raise ValueError(f"{name}: bad local header")
        name_len, extra_len = struct.unpack_from("<HH", data, at + 26)
        start = at + 30 + name_len + extra_len
        if zlib.crc32(memoryview(data)[start : start + info.file_size]) != info.CRC:
            raise ValueError(f"{name}: CRC mismatch")
        crcs[name] = info.CRC
        fp = io.BytesIO(data[start : start + min(info.file_size, 1 << 16)])
        version = np.lib.format.read_magic(fp)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(fp)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(fp)
        else:
            raise ValueError(f"{name}: .npy version {version}")
        if dtype.hasobject or fortran or any(d < 0 for d in shape):
            raise ValueError(f"{name}: object, Fortran-ordered or negative-shaped array")
        count = math.prod(shape)
        offset = start + fp.tell()
        if offset + count * dtype.itemsize > start + info.file_size:
            raise ValueError(f"{name}: array larger than its member")
        out[name] = np.frombuffer(data, dtype=dtype, count=count, offset=offset).reshape(shape)
    return out, crcs


def _checksum(payload: bytes, crcs: dict[str, int]) -> str:
    """sha256 over the metadata and every member's name and CRC-32 (a member's CRC covers its .npy
    header, so dtype and shape too). It catches damage and hand edits, not an attacker."""
    h = hashlib.sha256(payload)
    for name in sorted(set(crcs) - {"check"}):
        h.update(f"{name}:{crcs[name]:08x};".encode())
    return h.hexdigest()


def _bounds(sizes: list[int] | np.ndarray) -> np.ndarray:
    out = np.zeros(len(sizes) + 1, dtype=np.int64)
    np.cumsum(sizes, out=out[1:])
    return out


def _encode(engine: Engine, folder: Path) -> tuple[bytes, dict[str, np.ndarray | list[np.ndarray]]]:
    idx, entries = engine.index, list(engine.entries.values())
    records = [e.record for e in entries]
    meta = {
        "format": FORMAT,
        "folder": str(folder),
        "built_from": built_from(engine.analyzer.lexicon),
        "tuning": tuning_key(engine.tuning),
        "weights": asdict(idx.weights),
        "sections": len(idx.sections),
        "views": {
            name: {"terms": len(bm.indptr) - 1, "variant": bm.params.variant}
            for name, bm in (("morph", idx.bm25), ("grams", idx.grams))
        },
        "files": [[e.source, e.digest, list(e.stamp), e.n_sections] for e in entries],
    }
    tok_offsets = np.cumsum([0, *(e.token_bounds[-1] for e in entries)])
    # Lists: one piece per note file, joined by _write_npz.
    arrays: dict[str, np.ndarray | list[np.ndarray]] = {
        **{f"{k}_bounds": _bounds([len(getattr(r, k)) for r in records]) for k in _TEXTS},
        **{k: [np.frombuffer(getattr(r, k), dtype=np.uint8) for r in records] for k in _TEXTS},
        **{k: [getattr(r, k) for r in records] for k in _PER_SECTION},
        "title_sizes": [r.title_sizes for r in records],
        "tok_ids": [e.token_ids for e in entries],
        "tok_bounds": np.concatenate(
            [e.token_bounds[:-1] + off for e, off in zip(entries, tok_offsets, strict=False)]
            + [tok_offsets[-1:]]
        ).astype(np.int64),
    }
    for v, (name, bm) in enumerate((("morph", idx.bm25), ("grams", idx.grams))):
        seen = [e.seen[v] for e in entries]
        arrays |= {
            f"{name}_terms": bm.terms.to_array(len(bm.indptr) - 1),
            f"{name}_indptr": bm.indptr,
            f"{name}_docs": bm.docs,
            f"{name}_tf": _narrow(bm.tf),
            f"{name}_lengths": bm.lengths,
            f"{name}_idf": bm.idf,
            f"{name}_seen": seen,
            f"{name}_seen_bounds": _bounds([len(x) for x in seen]),
        }
    return json.dumps(meta, ensure_ascii=False).encode(), arrays


def _narrow(counts: np.ndarray) -> np.ndarray:
    """Counts in the smallest unsigned type that holds them (most are below 256): less to write and read."""
    top = int(counts.max()) if len(counts) else 0
    for dtype in (np.uint8, np.uint16, np.uint32):
        if top <= np.iinfo(dtype).max:
            return counts.astype(dtype, copy=False)
    return counts


def _span(note: str, text: str) -> tuple[int, int]:
    # Any occurrence of an equal text is as good as the real one. (Sections always are spans of their
    # note; were one not, the loader would show "" for it, so check.)
    at = note.find(text)
    if at < 0:
        raise ValueError("a section's text is not part of its note")
    return at, at + len(text)


def _ints(arrays: dict[str, np.ndarray], name: str, n: int | None = None) -> np.ndarray:
    a = arrays[name]
    if a.ndim != 1 or a.dtype.kind not in "iu" or (n is not None and len(a) != n):
        raise ValueError(f"{name}: wrong type or length")
    return a


def _offsets(arrays: dict[str, np.ndarray], name: str, n: int, total: int) -> np.ndarray:
    """Monotonic offsets, n + 1 of them, from 0 to total."""
    a = _ints(arrays, name, n + 1)
    if len(a) and (a[0] != 0 or a[-1] != total or (np.diff(a) < 0).any()):
        raise ValueError(f"{name}: offsets out of order or range")
    return a


def _decode(meta: dict[str, Any], arrays: dict[str, np.ndarray], tuning: Tuning) -> Saved:
    files = [(str(src), str(dg), tuple(int(x) for x in st), int(k)) for src, dg, st, k in meta["files"]]
    n = int(meta["sections"])
    starts = _bounds([k for *_, k in files]).tolist()  # each file's first section
    if starts[-1] != n or any(k < 0 for *_, k in files):
        raise ValueError("section count disagrees")
    texts = {
        k: (arrays[k], _offsets(arrays, f"{k}_bounds", len(files), len(arrays[k])).tolist()) for k in _TEXTS
    }
    per_section = {k: arrays[k] for k in _PER_SECTION}
    for k, a in per_section.items():
        if a.dtype.kind not in "iu" or len(a) != n or (k == "spans") != (a.ndim == 2):
            raise ValueError(f"{k}: wrong type or length")
    path_lens, title_sizes = per_section["path_lens"], _ints(arrays, "title_sizes")
    item_starts = _bounds(path_lens).tolist()
    if item_starts[-1] != len(title_sizes) or (path_lens < 0).any() or (title_sizes < 0).any():
        raise ValueError("heading paths disagree")
    tok_ids = _ints(arrays, "tok_ids")
    tb = _offsets(arrays, "tok_bounds", 4 * n, len(tok_ids))
    weights = Weights(**meta["weights"])
    tables = Tables(*(Terms.from_array(arrays[f"{v}_terms"], int(meta["views"][v]["terms"])) for v in VIEWS))
    if len(tok_ids) and (tok_ids.min() < 0 or tok_ids.max() >= len(tables.morph)):
        raise ValueError("token ids out of range")
    seen = []
    for v, terms in zip(VIEWS, (tables.morph, tables.grams), strict=True):
        ids = _ints(arrays, f"{v}_seen")
        if len(ids) and (ids.min() < 0 or ids.max() >= len(terms)):
            raise ValueError(f"{v}: term ids out of range")
        sb = _offsets(arrays, f"{v}_seen_bounds", len(files), len(ids)).tolist()
        seen.append([ids[sb[i] : sb[i + 1]] for i in range(len(files))])

    entries: dict[str, NoteEntry] = {}
    for f, (src, digest, stamp, _) in enumerate(files):
        if src in entries:
            raise ValueError(f"{src} listed twice")
        lo, hi = starts[f], starts[f + 1]
        blobs = [blob[b[f] : b[f + 1]].tobytes() for blob, b in texts.values()]
        record = _Record(
            *blobs,
            *(per_section[k][lo:hi] for k in _PER_SECTION),
            title_sizes[item_starts[lo] : item_starts[hi]],
        )
        bounds = tb[4 * lo : 4 * hi + 1]
        entries[src] = NoteEntry(
            src,
            digest,
            (stamp[0], stamp[1], stamp[2]),
            record,
            tok_ids[bounds[0] : bounds[-1]],
            bounds - bounds[0],
            weights,
            (seen[0][f], seen[1][f]),
        )
    sections = SectionList(list(entries.values()))
    views = [
        _view(v, arrays, replace(tuning.bm25, variant=meta["views"][v]["variant"]), terms, n)
        for v, terms in zip(VIEWS, (tables.morph, tables.grams), strict=True)
    ]
    index = SearchIndex(sections, views[0], views[1], weights)
    if meta.get("tuning") != tuning_key(tuning):
        return Saved(entries, tables, None, index)  # tokens and counts still good; the ranking differs
    return Saved(entries, tables, index, index)


VIEWS = ("morph", "grams")


def _view(v: str, arrays: dict[str, np.ndarray], params: BM25Params, terms: Terms, n_docs: int) -> SparseBM25:
    if params.variant not in ("okapi", "plus", "l"):
        raise ValueError(f"{v}: unknown BM25 variant {params.variant!r}")
    docs, tf = _ints(arrays, f"{v}_docs"), _ints(arrays, f"{v}_tf")
    indptr = _offsets(arrays, f"{v}_indptr", len(terms), len(docs))
    lengths, idf = _ints(arrays, f"{v}_lengths", n_docs), arrays[f"{v}_idf"]
    if len(tf) != len(docs) or idf.dtype.kind != "f" or idf.shape != (len(terms),):
        raise ValueError(f"{v}: postings and terms disagree")
    if len(docs) and (docs.min() < 0 or docs.max() >= n_docs or tf.min() < 1):
        raise ValueError(f"{v}: postings out of range")
    if not np.isfinite(idf).all():
        raise ValueError(f"{v}: non-finite IDF")
    return SparseBM25.from_arrays(params, terms, indptr.astype(np.int64, copy=False), docs, tf, lengths, idf)


# -- counting ----------------------------------------------------------------------------------------
def _entry(
    found: Found,
    note: str,
    sections: tuple[Section, ...],
    tokens: list[SectionTokens],
    tables: Tables,
    weights: Weights,
) -> NoteEntry:
    """A newly tokenized file: its tokens as ids, counted."""
    fields = [part for t in tokens for part in (t.title, t.path, t.body, t.source)]
    ids = tables.morph.intern(fields)
    flat = np.asarray([i for part in ids for i in part], dtype=np.int32)
    bounds = _bounds([len(part) for part in ids])
    c = count_file(sections, tokens, weights, tables)
    record = _Record.of(note, sections)
    seen, bags = (c.morph_seen, c.grams_seen), (c.morph, c.grams)
    return NoteEntry(
        found.source, found.digest, found.stamp, record, flat, bounds, weights, seen, bags, sections
    )


def _counts(e: NoteEntry, tables: Tables, weights: Weights) -> Counts:
    """A file's counted rows for these weights: those in hand, else counted from its tokens (no Kiwi)."""
    if e.bags is None or e.weights != weights:
        c = count_file(e.sections, e.tokens(tables.morph), weights, tables)
        e.weights, e.seen, e.bags = weights, (c.morph_seen, c.grams_seen), (c.morph, c.grams)
    return e.counts()


def _splice(
    entries: dict[str, NoteEntry],
    saved: Saved,
    tables: Tables,
    weights: Weights,
    params: BM25Params,
    sections: Sequence[Section],
) -> SearchIndex | None:
    """The index in hand with only the changed files' documents replaced, or None where it cannot be.

    A file with the same name, bytes and weights as in the index in hand keeps its postings (renumbered);
    any other is counted (from its tokens, no Kiwi) and put in. The first reindex after a restart thus
    needs no per-file rows, and no reindex transposes the whole corpus.
    """
    post = saved.postings
    if post is None or post.weights != weights or post.tables != tables:  # Terms compare by identity
        return None
    old: dict[str, tuple[int, NoteEntry]] = {}
    pos = 0
    for e in saved.entries.values():  # the postings' documents are these entries' sections, in order
        old[e.source] = (pos, e)
        pos += e.n_sections
    if pos != post.bm25.n_docs:
        return None
    remap = np.full(pos, -1, dtype=np.int64)
    added: list[Counts] = []
    at: list[np.ndarray] = []
    new = 0
    last = -1  # kept files must stay in their order (a renamed file may move: it is put in anew)
    for e in entries.values():
        n = e.n_sections
        was = old.get(e.source)
        if was is not None and was[0] > last and was[1].digest == e.digest and e.weights == weights:
            remap[was[0] : was[0] + n] = np.arange(new, new + n)
            last = was[0]
        else:
            added.append(_counts(e, tables, weights))
            at.append(np.arange(new, new + n, dtype=np.int64))
        new += n
    seen = [e.seen for e in entries.values()]
    numbers = np.concatenate(at) if at else np.zeros(0, dtype=np.int64)
    return SearchIndex.splice(post, sections, remap, added, numbers, seen, params)


def _same_sections(old: tuple[Section, ...], new: list[Section]) -> bool:
    return [(s.heading_path, s.body) for s in old] == [(s.heading_path, s.body) for s in new]


def _moved(
    entry: NoteEntry,
    found: Found,
    sections: list[Section],
    analyzer: Analyzer,
    tables: Tables,
    weights: Weights,
) -> NoteEntry:
    """Same bytes under a new name: the sections move, only the file-name tokens change (recounted)."""
    from bot.tokens.sections import source_words

    words = tuple(analyzer.tokenize(source_words(found.source)))
    toks = [SectionTokens(t.title, t.path, t.body, words) for t in entry.tokens(tables.morph)]
    secs = tuple(sections)
    return _entry(found, normalize_note(found.text or ""), secs, toks, tables, weights)
