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

import contextlib
import errno
import hashlib
import importlib.metadata
import importlib.util
import json
import logging
import math
import os
import re
import secrets
import stat
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import sparse

from bot.errors import KnowledgeError
from bot.index.bm25 import BM25Params, SparseBM25
from bot.index.build import SearchIndex, SectionTokens
from bot.notes.files import MAX_FILE_BYTES, NoteFile, discover, missing_folder_message, read_note
from bot.notes.markdown import parse_sections
from bot.notes.section import Section
from bot.tokens.lexicon import Lexicon, load_lexicon
from bot.tokens.sections import tokenize_sections

if TYPE_CHECKING:
    from bot.answers.engine import BuildReport, Engine, Tuning
    from bot.tokens.analyzer import Analyzer

log = logging.getLogger(__name__)
FORMAT = 3
Progress = Callable[[int, int], None]
# The code that decides what lands in the index: a change to any of it makes a saved index stale.
PIPELINE_MODULES = (
    "bot.notes.files",
    "bot.notes.markdown",
    "bot.notes.section",
    "bot.tokens.analyzer",
    "bot.tokens.lexicon",
    "bot.tokens.sections",
    "bot.index.build",
    "bot.index.bm25",
    "bot.index.grams",
    "bot.index.store",
)


@dataclass(frozen=True)
class NoteEntry:
    """What one note file contributes to the index."""

    source: str
    digest: str
    sections: tuple[Section, ...]
    tokens: tuple[SectionTokens, ...]


@dataclass(frozen=True)
class Scan:
    """The notes as they are on disk now: readable files (sorted) and one warning per skipped file."""

    notes: tuple[NoteFile, ...]
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
def scan_notes(folder: Path) -> Scan:
    """Read and hash every note. Broken files (see notes/files.py) and non-files are warnings, skipped."""
    notes: list[NoteFile] = []
    warnings: list[str] = []
    for source in discover(folder):
        path = folder / source
        try:
            st = path.stat()
        except OSError as err:  # a dangling symlink, a file deleted since the listing
            warnings.append(f"{source}: skipped, cannot read ({err.strerror or type(err).__name__})")
            continue
        if not stat.S_ISREG(st.st_mode):  # a FIFO would block the read forever
            warnings.append(f"{source}: skipped, not a regular file")
            continue
        if st.st_size > MAX_FILE_BYTES:  # say so without reading it
            warnings.append(f"{source}: skipped, larger than {MAX_FILE_BYTES // 1024 // 1024} MB")
            continue
        note, warning = read_note(folder, source)
        if note is None:
            warnings.append(warning or f"{source}: skipped")
        else:
            notes.append(note)
    return Scan(tuple(notes), tuple(warnings))


class IndexStore:
    def __init__(
        self, knowledge_dir: Path, cache_root: Path | None, dictionary_dir: Path | None = None
    ) -> None:
        self.folder = Path(knowledge_dir).resolve()
        self.dictionary_dir = dictionary_dir  # None: the knowledge folder's own _dictionary/
        self.path: Path | None = None
        if cache_root is not None:
            slug = re.sub(r"[^\w.-]+", "_", self.folder.name)[:40] or "knowledge"
            key = hashlib.sha256(str(self.folder).encode()).hexdigest()[:12]
            self.path = Path(cache_root) / f"{slug}-{key}" / "index.npz"

    # -- public ------------------------------------------------------------------------------------
    def load_or_build(
        self, tuning: Tuning, progress: Progress | None = None, analyzer: Analyzer | None = None
    ) -> Engine:
        """Start-up: the persisted index where it is still right, else (partly) rebuilt and saved."""
        started = time.perf_counter()
        lexicon, scan = self._survey()
        entries, index = self.read(lexicon, tuning)
        analyzer = self._analyzer(lexicon, analyzer)
        return self._assemble(analyzer, tuning, entries, index, scan, started, progress)

    def rebuild(
        self,
        tuning: Tuning,
        old: Engine | None,
        full: bool = False,
        progress: Progress | None = None,
        analyzer: Analyzer | None = None,
    ) -> Engine:
        """Reindex: reuse what the running engine has for unchanged files (all of it unless full).

        Always saves the result (a reindex also repairs a deleted or damaged cache file).
        """
        started = time.perf_counter()
        lexicon, scan = self._survey()
        if analyzer is None and old is not None and old.analyzer.lexicon.fingerprint == lexicon.fingerprint:
            analyzer = old.analyzer
        analyzer = self._analyzer(lexicon, analyzer)  # dictionary files edited: a new Kiwi
        same_tokens = old is not None and token_key(old.analyzer.lexicon) == token_key(lexicon)
        reuse = same_tokens and not full and old is not None
        entries = old.entries if reuse and old is not None else {}
        saved = old.index if reuse and old is not None and old.tuning == tuning else None
        return self._assemble(analyzer, tuning, entries, saved, scan, started, progress, always_write=True)

    def refresh(self, tuning: Tuning, full: bool = False, progress: Progress | None = None) -> BuildReport:
        """The reindex verb: bring the saved index up to date; no Kiwi at all when it already is."""
        from bot.answers.engine import BuildReport

        started = time.perf_counter()
        lexicon, scan = self._survey()
        entries: dict[str, NoteEntry] = {}
        index: SearchIndex | None = None
        if not full:
            entries, index = self.read(lexicon, tuning)
            current = {e.source: e.digest for e in entries.values()}
            if index is not None and index.sections and current == scan.digests():
                warnings = (*lexicon.warnings, *scan.warnings)
                seconds = round(time.perf_counter() - started, 3)
                return BuildReport(len(entries), len(index.sections), 0, warnings, seconds)
        analyzer = analyzer_for(lexicon)
        engine = self._assemble(analyzer, tuning, entries, index, scan, started, progress, always_write=full)
        return engine.report

    # -- building ----------------------------------------------------------------------------------
    def _survey(self) -> tuple[Lexicon, Scan]:
        """The dictionary and the notes as they are now; KnowledgeError (before any Kiwi) if no note."""
        if not self.folder.is_dir():
            raise KnowledgeError(missing_folder_message(self.folder))
        lexicon, scan = load_lexicon(self.folder, self.dictionary_dir), scan_notes(self.folder)
        if not scan.notes:
            self._nothing_to_index([*lexicon.warnings, *scan.warnings])
        return lexicon, scan

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
        cached: dict[str, NoteEntry],
        saved: SearchIndex | None,
        scan: Scan,
        started: float,
        progress: Progress | None,
        always_write: bool = False,
    ) -> Engine:
        from bot.answers.engine import Engine

        warnings = [*analyzer.lexicon.warnings, *scan.warnings]
        by_digest = {e.digest: e for e in cached.values()}
        entries: dict[str, NoteEntry] = {}
        todo: list[tuple[str, str, list[Section]]] = []
        for note in scan.notes:
            source = note.source
            hit = cached.get(source)
            if hit is not None and hit.digest == note.digest:
                entries[source] = hit
                continue
            hit = by_digest.get(note.digest)  # a renamed (or copied) file: same bytes, new name
            try:
                secs = parse_sections(note.text, source)
            except Exception as err:  # one odd file must not take the others down
                warnings.append(f"{source}: skipped, could not parse ({err.__class__.__name__})")
                continue
            if hit is not None and _same_sections(hit.sections, secs):
                entries[source] = _moved(hit, source, secs, analyzer)  # renamed: no re-tokenizing
            else:
                todo.append((source, note.digest, secs))
        new_sections = [s for _, _, secs in todo for s in secs]
        new_tokens = tokenize_sections(new_sections, analyzer, progress) if new_sections else []
        pos = 0
        for source, digest, secs in todo:
            toks = tuple(new_tokens[pos : pos + len(secs)])
            pos += len(secs)
            entries[source] = NoteEntry(source, digest, tuple(secs), toks)
        entries = dict(sorted(entries.items()))
        sections = [s for e in entries.values() for s in e.sections]
        if not sections:
            self._nothing_to_index(warnings)
        tokens = [t for e in entries.values() for t in e.tokens]
        unchanged = saved is not None and not todo and list(entries) == list(cached)
        if unchanged and saved is not None:
            index = saved  # nothing changed since it was built: no counting
        else:
            index = SearchIndex.build(sections, tokens, tuning.weights, tuning.bm25)
        engine = Engine.from_index(index, analyzer, tuning, entries, warnings, started, retokenized=len(todo))
        if always_write or not unchanged:
            self.write(engine)
        return engine

    # -- persistence -------------------------------------------------------------------------------
    def write(self, engine: Engine) -> bool:
        """Save beside the old file, then swap with one rename. False (and a log line) if it cannot."""
        if self.path is None:
            return False
        idx = engine.index
        meta = {
            "format": FORMAT,
            "folder": str(self.folder),
            "built_from": built_from(engine.analyzer.lexicon),
            "tuning": tuning_key(engine.tuning),
            "sections": len(idx.sections),
            "bm25": _meta(idx.bm25),
            "grams": _meta(idx.grams),
            "files": [
                {
                    "source": e.source,
                    "digest": e.digest,
                    "sections": [[s.line, s.level, list(s.heading_path), s.text, s.body] for s in e.sections],
                    "tokens": [[list(t.title), list(t.path), list(t.body), list(t.source)] for t in e.tokens],
                }
                for e in engine.entries.values()
            ],
        }
        payload = json.dumps(meta, ensure_ascii=False).encode()
        arrays = {**_pack("bm25", idx.bm25), **_pack("grams", idx.grams)}
        folder = self.path.parent
        tmp: Path | None = None
        try:
            folder.mkdir(parents=True, exist_ok=True)
            self._sweep()
            # A name no other writer (process or thread) uses; the usual permissions (0666 less umask).
            tmp = folder / f".{self.path.name}.{os.getpid()}.{secrets.token_hex(6)}.tmp"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            with os.fdopen(fd, "wb") as fh:
                check = np.frombuffer(_checksum(payload, arrays).encode("ascii"), dtype=np.uint8)
                np.savez(fh, meta=np.frombuffer(payload, dtype=np.uint8), check=check, **arrays)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)  # the atomic swap: readers see the old file or the new, never a mix
            tmp = None
            _fsync_dir(folder)
            return True
        except OSError as err:
            log.warning("could not save the index to %s (%s); it will be rebuilt next start", self.path, err)
            return False
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    tmp.unlink()

    def _sweep(self) -> None:
        """Remove temporary files left by writers that were killed (their process is gone)."""
        assert self.path is not None
        for leftover in self.path.parent.glob(f".{self.path.name}.*.tmp"):
            parts = leftover.name.split(".")
            pid = int(parts[3]) if len(parts) > 3 and parts[3].isdigit() else 0
            if pid and _alive(pid):
                continue
            with contextlib.suppress(OSError):
                leftover.unlink()

    def read(self, lexicon: Lexicon, tuning: Tuning) -> tuple[dict[str, NoteEntry], SearchIndex | None]:
        """(entries, index) from the persisted file; ({}, None) when it is missing, corrupt or foreign.

        Entries come back when the tokens are still good; the index only when the ranking settings match
        too (else it is rebuilt from the entries without tokenizing).
        """
        if self.path is None or not self.path.is_file():
            return {}, None
        try:
            return self._read(lexicon, tuning)
        except Exception as err:  # corrupt zip, bad JSON, wrong shapes, bad checksum: never trusted
            log.warning("index cache %s unusable (%s: %s); rebuilding", self.path, type(err).__name__, err)
            return {}, None

    def _read(self, lexicon: Lexicon, tuning: Tuning) -> tuple[dict[str, NoteEntry], SearchIndex | None]:
        assert self.path is not None
        with np.load(self.path, allow_pickle=False) as z:
            names = set(z.files)
            expected = {"meta", "check", *(f"{p}_{k}" for p in ("bm25", "grams") for k in _ARRAYS)}
            if names != expected:
                raise ValueError(f"unexpected arrays {sorted(names ^ expected)}")
            payload = z["meta"].tobytes()
            check = z["check"].tobytes().decode("ascii")
            arrays = {k: z[k] for k in names - {"meta", "check"}}
        if check != _checksum(payload, arrays):
            raise ValueError("checksum mismatch")
        meta: dict[str, Any] = json.loads(payload.decode())
        if meta.get("format") != FORMAT or meta.get("folder") != str(self.folder):
            log.info("index cache %s is for another format or folder; rebuilding", self.path)
            return {}, None
        want = built_from(lexicon)
        have = meta.get("built_from")
        if have != want:
            changed = sorted(k for k in want if not isinstance(have, dict) or have.get(k) != want[k])
            log.info("index cache built with another %s; re-tokenizing everything", ", ".join(changed))
            return {}, None
        entries: dict[str, NoteEntry] = {}
        intern: dict[str, str] = {}
        for f in meta["files"]:
            src = str(f["source"])
            if src in entries:
                raise ValueError(f"{src} listed twice")
            secs = tuple(
                Section(src, int(line), tuple(map(str, path)), int(level), str(text), str(body))
                for line, level, path, text, body in f["sections"]
            )
            if any(len(t) != 4 for t in f["tokens"]) or len(secs) != len(f["tokens"]):
                raise ValueError(f"sections and tokens disagree for {src}")
            # One string object per distinct token (json.loads makes one per occurrence: ~10x the memory).
            toks = tuple(
                SectionTokens(*(tuple(intern.setdefault(w, w) for w in map(str, part)) for part in t))
                for t in f["tokens"]
            )
            entries[src] = NoteEntry(src, str(f["digest"]), secs, toks)
        sections = [s for e in entries.values() for s in e.sections]
        if len(sections) != int(meta["sections"]):
            raise ValueError("section count disagrees")
        if meta.get("tuning") != tuning_key(tuning):
            return entries, None  # tokens still good; the ranking settings differ
        tokens = [t for e in entries.values() for t in e.tokens]
        index = SearchIndex(
            sections,
            tokens,
            _unpack("bm25", meta, arrays, tuning.bm25, len(sections)),
            _unpack("grams", meta, arrays, tuning.bm25, len(sections)),
            tuning.weights,
        )
        return entries, index


_ARRAYS = ("data", "indices", "indptr", "df", "idf")


def _checksum(payload: bytes, arrays: dict[str, np.ndarray]) -> str:
    """sha256 over the metadata and every array (name, dtype, shape, bytes)."""
    h = hashlib.sha256(payload)
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(f"{name}:{a.dtype.str}:{a.shape}".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def _meta(bm: SparseBM25) -> dict[str, Any]:
    # The variant can differ from the configured one (SparseBM25.fit's Okapi -> Plus fallback).
    return {"avgdl": bm.avgdl, "vocab": list(bm.vocab), "variant": bm.params.variant}


def _pack(prefix: str, bm: SparseBM25) -> dict[str, np.ndarray]:
    m = bm.matrix
    return {
        f"{prefix}_data": m.data,
        f"{prefix}_indices": m.indices,
        f"{prefix}_indptr": m.indptr,
        f"{prefix}_df": bm.df,
        f"{prefix}_idf": bm.idf,
    }


def _unpack(
    prefix: str, meta: dict[str, Any], arrays: dict[str, np.ndarray], params: BM25Params, n_docs: int
) -> SparseBM25:
    vocab = [str(w) for w in meta[prefix]["vocab"]]
    if len(set(vocab)) != len(vocab):
        raise ValueError(f"{prefix}: repeated vocabulary entries")
    data, indices, indptr = (arrays[f"{prefix}_{k}"] for k in ("data", "indices", "indptr"))
    if data.dtype.kind != "f" or indices.dtype.kind not in "iu" or indptr.dtype.kind not in "iu":
        raise ValueError(f"{prefix}: wrong array types")
    if len(indptr) != len(vocab) + 1:
        raise ValueError(f"{prefix}: matrix rows and vocabulary disagree")
    matrix = sparse.csr_matrix((data, indices, indptr), shape=(len(vocab), n_docs))
    matrix.check_format(full_check=True)
    df, idf = arrays[f"{prefix}_df"], arrays[f"{prefix}_idf"]
    avgdl = float(meta[prefix]["avgdl"])
    if len(df) != len(vocab) or len(idf) != len(vocab):
        raise ValueError(f"{prefix}: vocabulary and IDF lengths disagree")
    if not (np.isfinite(idf).all() and np.isfinite(data).all() and math.isfinite(avgdl)):
        raise ValueError(f"{prefix}: non-finite numbers")
    variant = meta[prefix].get("variant")
    if variant not in ("okapi", "plus", "l"):
        raise ValueError(f"{prefix}: unknown BM25 variant {variant!r}")
    return SparseBM25.from_arrays(replace(params, variant=variant), vocab, df, idf, matrix, avgdl)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except OSError as err:
        return err.errno == errno.EPERM  # exists, owned by someone else
    return True


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (POSIX); harmless where directories cannot be opened."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _same_sections(old: tuple[Section, ...], new: list[Section]) -> bool:
    return [(s.heading_path, s.body) for s in old] == [(s.heading_path, s.body) for s in new]


def _moved(entry: NoteEntry, source: str, sections: list[Section], analyzer: Analyzer) -> NoteEntry:
    """Same bytes under a new name: the sections move, only the path-derived tokens change."""
    from bot.tokens.sections import source_words

    words = tuple(analyzer.tokenize(source_words(source)))
    toks = tuple(SectionTokens(t.title, t.path, t.body, words) for t in entry.tokens)
    return NoteEntry(source, entry.digest, tuple(sections), toks)
