"""The incremental build: a changed file's entry, a renamed file moved, and the index in hand spliced.

A newly tokenized file becomes a `NoteEntry` (its tokens as ids, counted: `new_entry`); a file renamed
with the same bytes keeps its sections and tokens, only its file-name tokens change (`moved_entry`, no
Kiwi for the text). `splice_index` puts the changed files' rows into the index in hand instead of
counting the whole corpus again; where it cannot, the caller assembles from every file's `file_counts`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from bot.index.bm25 import BM25Params
from bot.index.build import Counts, SearchIndex, Tables, count_file
from bot.index.channels import SectionTokens, Weights
from bot.index.notefiles import NoteEntry, NoteRecord, bounds
from bot.index.scan import Found
from bot.index.types import Saved
from bot.notes.markdown import normalize_note
from bot.notes.section import Section
from bot.tokens.sections import source_words

if TYPE_CHECKING:
    from bot.tokens.analyzer import Analyzer


def new_entry(
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
    edges = bounds([len(part) for part in ids])
    c = count_file(sections, tokens, weights, tables)
    record = NoteRecord.of(note, sections)
    seen, bags = c.seen, c.rows
    return NoteEntry(
        found.source, found.digest, found.stamp, record, flat, edges, weights, seen, bags, sections
    )


def file_counts(e: NoteEntry, tables: Tables, weights: Weights) -> Counts:
    """A file's counted rows for these weights: those in hand, else counted from its tokens (no Kiwi)."""
    if e.bags is None or e.weights != weights:
        c = count_file(e.sections, e.tokens(tables.morph), weights, tables)
        e.weights, e.seen, e.bags = weights, c.seen, c.rows
    return e.counts()


def splice_index(
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
            added.append(file_counts(e, tables, weights))
            at.append(np.arange(new, new + n, dtype=np.int64))
        new += n
    seen = [e.seen for e in entries.values()]
    numbers = np.concatenate(at) if at else np.zeros(0, dtype=np.int64)
    return SearchIndex.splice(post, sections, remap, added, numbers, seen, params)


def same_sections(old: tuple[Section, ...], new: list[Section]) -> bool:
    return [(s.heading_path, s.body) for s in old] == [(s.heading_path, s.body) for s in new]


def moved_entry(
    entry: NoteEntry,
    found: Found,
    sections: list[Section],
    analyzer: Analyzer,
    tables: Tables,
    weights: Weights,
) -> NoteEntry:
    """Same bytes under a new name: the sections move, only the file-name tokens change (recounted)."""
    words = tuple(analyzer.tokenize(source_words(found.source)))
    toks = [SectionTokens(t.title, t.path, t.body, words) for t in entry.tokens(tables.morph)]
    secs = tuple(sections)
    return new_entry(found, normalize_note(found.text or ""), secs, toks, tables, weights)
