"""The persisted, incremental, atomic index of one knowledge folder.

One file, <cache>/<folder-name>-<hash of its path>/index.npz, holds everything: per note file its content
hash, sections and tokens; the BM25 matrix; and what it was built from (format, tokenizer and dictionary
version, ranking settings, the folder). It is read with allow_pickle=False and checked field by field:
a corrupt, truncated or foreign file is rebuilt, never trusted. It is written beside the old one and
swapped in with one os.replace, so a crash mid-way leaves the old index in place.

Rebuilds are incremental: a note whose hash is unchanged keeps its sections and tokens; only changed or
new files are parsed and tokenized; deleted files drop out; a renamed file is found by its hash.
Changing the dictionary files (user words, aliases) changes the tokenizer version: everything is redone.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import sparse

from bot.errors import KnowledgeError
from bot.index.bm25 import BM25Params, SparseBM25
from bot.index.build import SearchIndex, SectionTokens
from bot.notes.files import discover, read_note
from bot.notes.markdown import parse_sections
from bot.notes.section import Section
from bot.tokens.lexicon import load_lexicon
from bot.tokens.sections import tokenize_sections

if TYPE_CHECKING:
    from bot.answers.engine import Engine, Tuning
    from bot.tokens.analyzer import Analyzer

log = logging.getLogger(__name__)
FORMAT = 1
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class NoteEntry:
    """What one note file contributes to the index."""

    source: str
    digest: str
    sections: tuple[Section, ...]
    tokens: tuple[SectionTokens, ...]


def tuning_key(tuning: Tuning) -> str:
    return json.dumps({"weights": asdict(tuning.weights), "bm25": asdict(tuning.bm25)}, sort_keys=True)


class IndexStore:
    def __init__(self, knowledge_dir: Path, cache_root: Path | None) -> None:
        self.folder = knowledge_dir.resolve()
        self.path: Path | None = None
        if cache_root is not None:
            slug = re.sub(r"[^\w.-]+", "_", self.folder.name)[:40] or "knowledge"
            key = hashlib.sha256(str(self.folder).encode()).hexdigest()[:12]
            self.path = cache_root / f"{slug}-{key}" / "index.npz"

    # -- public ------------------------------------------------------------------------------------
    def load_or_build(self, tuning: Tuning, progress: Progress | None = None) -> Engine:
        """Start-up: the persisted index where it is still right, else (partly) rebuilt and saved."""
        from bot.tokens.analyzer import Analyzer

        started = time.perf_counter()
        if not self.folder.is_dir():
            raise KnowledgeError(f"knowledge folder not found: {self.folder}")
        analyzer = Analyzer(load_lexicon(self.folder))
        entries, index = self.read(analyzer.version, tuning)
        return self._assemble(analyzer, tuning, entries, index, started, progress)

    def rebuild(
        self,
        tuning: Tuning,
        old: Engine | None,
        full: bool = False,
        progress: Progress | None = None,
        analyzer: Analyzer | None = None,
    ) -> Engine:
        """Reindex: reuse what the running engine has for unchanged files (all of it unless full)."""
        from bot.tokens.analyzer import Analyzer

        started = time.perf_counter()
        if not self.folder.is_dir():
            raise KnowledgeError(f"knowledge folder not found: {self.folder}")
        lexicon = load_lexicon(self.folder)
        if old is not None and analyzer is None and old.analyzer.lexicon.fingerprint == lexicon.fingerprint:
            analyzer = old.analyzer
        if analyzer is None or analyzer.lexicon.fingerprint != lexicon.fingerprint:
            analyzer = Analyzer(lexicon)  # new dictionary words: a new Kiwi, everything re-tokenized
        reuse = old is not None and not full and old.analyzer.lexicon.fingerprint == lexicon.fingerprint
        entries = old.entries if reuse and old is not None else {}
        return self._assemble(analyzer, tuning, entries, None, started, progress)

    # -- building ----------------------------------------------------------------------------------
    def _assemble(
        self,
        analyzer: Analyzer,
        tuning: Tuning,
        cached: dict[str, NoteEntry],
        saved: SearchIndex | None,
        started: float,
        progress: Progress | None,
    ) -> Engine:
        from bot.answers.engine import Engine

        warnings = list(analyzer.lexicon.warnings)
        by_digest = {e.digest: e for e in cached.values()}
        entries: dict[str, NoteEntry] = {}
        todo: list[tuple[str, str, list[Section]]] = []
        for source in discover(self.folder):
            note, warning = read_note(self.folder, source)
            if note is None:
                warnings.append(warning or f"{source}: skipped")
                continue
            hit = cached.get(source)
            if hit is None or hit.digest != note.digest:
                hit = by_digest.get(note.digest)  # a renamed file: same bytes, new name
            if hit is not None and hit.digest == note.digest and hit.source == source:
                entries[source] = hit
                continue
            try:
                secs = parse_sections(note.text, source)
            except Exception as err:  # one odd file must not take the others down
                warnings.append(f"{source}: skipped, could not parse ({err.__class__.__name__})")
                continue
            if hit is not None and hit.digest == note.digest and _same_sections(hit.sections, secs):
                entries[source] = _moved(hit, secs, analyzer)  # renamed: no re-tokenizing
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
            detail = f" ({len(warnings)} warnings; first: {warnings[0]})" if warnings else ""
            raise KnowledgeError(f"no notes to index in {self.folder}: no readable *.md file{detail}")
        tokens = [t for e in entries.values() for t in e.tokens]
        reuse = saved is not None and not todo and list(entries) == list(cached)
        if reuse and saved is not None:
            index = saved  # nothing changed since it was saved: no counting, no writing
        else:
            index = SearchIndex.build(sections, tokens, tuning.weights, tuning.bm25)
        engine = Engine.from_index(index, analyzer, tuning, entries, warnings, started, retokenized=len(todo))
        if not reuse:
            self.write(engine)
        return engine

    # -- persistence -------------------------------------------------------------------------------
    def write(self, engine: Engine) -> None:
        if self.path is None:
            return
        idx = engine.index
        meta = {
            "format": FORMAT,
            "folder": str(self.folder),
            "tokenizer": engine.analyzer.version,
            "tuning": tuning_key(engine.tuning),
            "bm25": {"avgdl": idx.bm25.avgdl, "vocab": list(idx.bm25.vocab)},
            "grams": {"avgdl": idx.grams.avgdl, "vocab": list(idx.grams.vocab)},
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
        blob = np.frombuffer(json.dumps(meta, ensure_ascii=False).encode(), dtype=np.uint8)
        arrays = {**_pack("bm25", idx.bm25), **_pack("grams", idx.grams)}
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(tmp, "wb") as fh:
                np.savez(fh, meta=blob, **arrays)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)  # the atomic swap
        except OSError as err:
            tmp.unlink(missing_ok=True)
            log.warning("could not save the index to %s (%s); it will be rebuilt next start", self.path, err)

    def read(self, tokenizer: str, tuning: Tuning) -> tuple[dict[str, NoteEntry], SearchIndex | None]:
        """(entries, index) from the persisted file; ({}, None) when it is missing, corrupt or foreign."""
        if self.path is None or not self.path.is_file():
            return {}, None
        try:
            return self._read(tokenizer, tuning)
        except Exception as err:  # corrupt zip, bad JSON, wrong shapes: never trusted
            log.warning("index cache %s unusable (%s: %s); rebuilding", self.path, type(err).__name__, err)
            return {}, None

    def _read(self, tokenizer: str, tuning: Tuning) -> tuple[dict[str, NoteEntry], SearchIndex | None]:
        assert self.path is not None
        with np.load(self.path, allow_pickle=False) as z:
            meta: dict[str, Any] = json.loads(z["meta"].tobytes().decode())
            arrays = {k: z[k] for k in z.files if k != "meta"}
        if meta.get("format") != FORMAT or meta.get("folder") != str(self.folder):
            log.info("index cache %s is for another format or folder; rebuilding", self.path)
            return {}, None
        if meta.get("tokenizer") != tokenizer:
            log.info("tokenizer or dictionary changed; re-tokenizing everything")
            return {}, None
        entries: dict[str, NoteEntry] = {}
        for f in meta["files"]:
            src = str(f["source"])
            secs = tuple(
                Section(src, int(line), tuple(map(str, path)), int(level), str(text), str(body))
                for line, level, path, text, body in f["sections"]
            )
            if any(len(t) != 4 for t in f["tokens"]) or len(secs) != len(f["tokens"]):
                raise ValueError(f"sections and tokens disagree for {src}")
            toks = tuple(SectionTokens(*(tuple(map(str, part)) for part in t)) for t in f["tokens"])
            entries[src] = NoteEntry(src, str(f["digest"]), secs, toks)
        if meta.get("tuning") != tuning_key(tuning):
            return entries, None  # tokens still good; the ranking settings differ
        n_docs = sum(len(e.sections) for e in entries.values())
        sections = [s for e in entries.values() for s in e.sections]
        tokens = [t for e in entries.values() for t in e.tokens]
        index = SearchIndex(
            sections,
            tokens,
            _unpack("bm25", meta, arrays, tuning.bm25, n_docs),
            _unpack("grams", meta, arrays, tuning.bm25, n_docs),
            tuning.weights,
        )
        return entries, index


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
    shape = (len(vocab), n_docs)
    matrix = sparse.csr_matrix(
        (arrays[f"{prefix}_data"], arrays[f"{prefix}_indices"], arrays[f"{prefix}_indptr"]), shape=shape
    )
    matrix.check_format(full_check=True)
    df, idf = arrays[f"{prefix}_df"], arrays[f"{prefix}_idf"]
    if len(df) != len(vocab) or len(idf) != len(vocab) or not np.isfinite(idf).all():
        raise ValueError(f"{prefix}: vocabulary and IDF lengths disagree")
    return SparseBM25.from_arrays(params, vocab, df, idf, matrix, float(meta[prefix]["avgdl"]))


def _same_sections(old: tuple[Section, ...], new: list[Section]) -> bool:
    return [(s.heading_path, s.body) for s in old] == [(s.heading_path, s.body) for s in new]


def _moved(entry: NoteEntry, sections: list[Section], analyzer: Analyzer) -> NoteEntry:
    """Same bytes under a new name: the sections move, only the path-derived tokens change."""
    from bot.tokens.sections import source_words

    source = sections[0].source if sections else entry.source
    words = tuple(analyzer.tokenize(source_words(source)))
    toks = tuple(SectionTokens(t.title, t.path, t.body, words) for t in entry.tokens)
    return NoteEntry(source, entry.digest, tuple(sections), toks)
