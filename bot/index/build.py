"""Sections -> the searchable index: each section's token bag, weighted by where the words stand.

A section's document is its title (repeated: a cheap stand-in for BM25F field weights), its breadcrumb,
its own body, and its sub-sections' bodies ("small-to-big": "도커 장점" must find a heading whose points
sit under sub-headings). Measured on eval/: see the README's quality table.

Counting is per note file (a section's document never reaches outside its file), so a reindex counts only
the files that changed and splices them into the index in hand (`SearchIndex.splice`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bot.index.bags import Bags, Terms, first_seen, merge_first_seen
from bot.index.bm25 import BM25Params, SparseBM25
from bot.index.grams import gram_documents
from bot.notes.section import Section


@dataclass(frozen=True)
class Weights:
    # Term repetitions per field (a cheap BM25F); chosen on eval/ with `python -m bot eval`.
    title: int = 10  # the section's own title
    path: int = 2  # ancestors' titles
    body: int = 2  # own body
    children: int = 1  # sub-sections' bodies, at half a body's weight (0 = leaf-only sections)
    source: int = 1  # file path words (folder and file names)


@dataclass(frozen=True)
class SectionTokens:
    """Per-section analysis, reusable across weightings and incremental rebuilds."""

    title: tuple[str, ...]
    path: tuple[str, ...]
    body: tuple[str, ...]
    source: tuple[str, ...]


@dataclass(frozen=True)
class Tables:
    """The term tables of both views; every count and token id of an index refers to these."""

    morph: Terms
    grams: Terms

    @classmethod
    def new(cls) -> Tables:
        return cls(Terms(), Terms())


@dataclass(frozen=True)
class Counts:
    """One file's sections counted for both views, and the order in which its terms first appear."""

    morph: Bags
    grams: Bags
    morph_seen: np.ndarray
    grams_seen: np.ndarray


def descendants(sections: Sequence[Section]) -> list[list[int]]:
    """For each section, the indices of its sub-sections (sections are in file order)."""
    out: list[list[int]] = [[] for _ in sections]
    for i, s in enumerate(sections):
        if s.level == 0:
            continue
        for j in range(i + 1, len(sections)):
            t = sections[j]
            if t.source != s.source or t.level <= s.level:
                break
            out[i].append(j)
    return out


def documents(
    sections: Sequence[Section], toks: Sequence[SectionTokens], w: Weights, kids: Sequence[Sequence[int]]
) -> list[list[str]]:
    docs = []
    for i, t in enumerate(toks):
        doc = list(t.title) * w.title + list(t.path) * w.path + list(t.body) * w.body
        doc += list(t.source) * w.source
        if w.children:
            for j in kids[i]:
                doc += list(toks[j].body) * w.children
        docs.append(doc)
    return docs


def count_file(
    sections: Sequence[Section], tokens: Sequence[SectionTokens], weights: Weights, tables: Tables
) -> Counts:
    """Both views of one file's sections (sections of one file, in file order)."""
    kids = descendants(sections)
    morph = Bags.count(documents(sections, tokens, weights, kids), tables.morph)
    grams = Bags.count(gram_documents(sections, kids, weights.title), tables.grams)
    return Counts(morph, grams, first_seen(morph.ids), first_seen(grams.ids))


@dataclass
class SearchIndex:
    sections: Sequence[Section]  # in file order (index/store.py: a SectionList, made per file on use)
    bm25: SparseBM25  # over morpheme tokens
    grams: SparseBM25  # over Hangul bigrams (index/grams.py)
    weights: Weights

    @property
    def tables(self) -> Tables:
        return Tables(self.bm25.terms, self.grams.terms)

    @classmethod
    def assemble(
        cls,
        sections: Sequence[Section],
        counts: Sequence[Counts],
        tables: Tables,
        weights: Weights,
        params: BM25Params | None = None,
    ) -> SearchIndex:
        """The index over files' counts, in file order (each file's rows, then the next file's)."""

        def view(bags: list[Bags], seen: list[np.ndarray], terms: Terms) -> SparseBM25:
            # The corpus's first-occurrence order of terms (rank_bm25 sums IDFs in it) from the files'.
            return SparseBM25.fit(Bags.concat(bags), terms, params, merge_first_seen(seen, len(terms)))

        return cls(
            sections,
            view([c.morph for c in counts], [c.morph_seen for c in counts], tables.morph),
            view([c.grams for c in counts], [c.grams_seen for c in counts], tables.grams),
            weights,
        )

    @classmethod
    def splice(
        cls,
        old: SearchIndex,
        sections: Sequence[Section],
        remap: np.ndarray,
        added: Sequence[Counts],
        at: np.ndarray,
        seen: Sequence[tuple[np.ndarray, np.ndarray]],
        params: BM25Params | None = None,
    ) -> SearchIndex:
        """`old` with the documents remap drops and the added files' rows (numbered `at`) put in: the
        same index as assemble() over all files' counts (seen: every file's first-occurrence terms, in
        file order), without the whole corpus's rows."""
        tables = old.tables

        def view(bm: SparseBM25, part: int, terms: Terms) -> SparseBM25:
            rows = Bags.concat([(c.morph, c.grams)[part] for c in added])
            order = merge_first_seen([s[part] for s in seen], len(terms))
            return SparseBM25.splice(bm, remap, rows, at, order, params)

        return cls(sections, view(old.bm25, 0, tables.morph), view(old.grams, 1, tables.grams), old.weights)
