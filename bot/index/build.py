"""Sections -> the searchable index: every channel's view, counted per note file.

The channels (index/channels.py) are listed here, in the order the index file stores them: the
morphemes (morph.py) and the Hangul bigrams (grams.py). Each says what a section's document is; the
field weights (channels.Weights) shape both. Measured on eval/: see the README's quality table.

Counting is per note file (a section's document never reaches outside its file), so a reindex counts only
the files that changed and splices them into the index in hand (`SearchIndex.splice`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bot.index.bags import Bags, Terms, first_seen, merge_first_seen
from bot.index.bm25 import BM25Params, SparseBM25
from bot.index.channels import FileSections, SectionTokens, Weights
from bot.index.grams import BIGRAMS
from bot.index.morph import MORPHEMES
from bot.notes.section import Section

# The persisted channels, in the index file's order; the first is the one confidence and repair read.
CHANNELS = (MORPHEMES, BIGRAMS)


@dataclass(frozen=True)
class Tables:
    """The term tables of every channel (in CHANNELS order); every count and token id of an index
    refers to these."""

    terms: tuple[Terms, ...]

    @property
    def morph(self) -> Terms:
        """The morpheme channel's: the stored tokens are ids in it."""
        return self.terms[0]

    @classmethod
    def new(cls) -> Tables:
        return cls(tuple(Terms() for _ in CHANNELS))


@dataclass(frozen=True)
class Counts:
    """One file's sections counted for every channel, and the order in which its terms first appear."""

    rows: tuple[Bags, ...]
    seen: tuple[np.ndarray, ...]


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


def count_file(
    sections: Sequence[Section], tokens: Sequence[SectionTokens], weights: Weights, tables: Tables
) -> Counts:
    """Every channel's rows of one file's sections (sections of one file, in file order)."""
    file = FileSections(sections, tokens, descendants(sections), weights)
    rows = tuple(ch.count(file, terms) for ch, terms in zip(CHANNELS, tables.terms, strict=True))
    return Counts(rows, tuple(first_seen(r.ids) for r in rows))


@dataclass
class SearchIndex:
    sections: Sequence[Section]  # in file order (index/store.py: a SectionList, made per file on use)
    views: tuple[SparseBM25, ...]  # one per channel, in CHANNELS order
    weights: Weights

    @property
    def bm25(self) -> SparseBM25:
        """The morpheme channel's view (confidence, typo repair and passages read it)."""
        return self.views[0]

    @property
    def grams(self) -> SparseBM25:
        """The Hangul-bigram channel's view."""
        return self.view("grams")

    def view(self, channel: str) -> SparseBM25:
        """A channel's view, by the channel's name."""
        return self.views[[ch.name for ch in CHANNELS].index(channel)]

    @property
    def tables(self) -> Tables:
        return Tables(tuple(v.terms for v in self.views))

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

        def view(k: int) -> SparseBM25:
            terms = tables.terms[k]
            # The corpus's first-occurrence order of terms (rank_bm25 sums IDFs in it) from the files'.
            order = merge_first_seen([c.seen[k] for c in counts], len(terms))
            return CHANNELS[k].fit(Bags.concat([c.rows[k] for c in counts]), terms, order, params)

        return cls(sections, tuple(view(k) for k in range(len(CHANNELS))), weights)

    @classmethod
    def splice(
        cls,
        old: SearchIndex,
        sections: Sequence[Section],
        remap: np.ndarray,
        added: Sequence[Counts],
        at: np.ndarray,
        seen: Sequence[tuple[np.ndarray, ...]],
        params: BM25Params | None = None,
    ) -> SearchIndex:
        """`old` with the documents remap drops and the added files' rows (numbered `at`) put in: the
        same index as assemble() over all files' counts (seen: every file's first-occurrence terms per
        channel, in file order), without the whole corpus's rows."""

        def view(k: int) -> SparseBM25:
            rows = Bags.concat([c.rows[k] for c in added])
            order = merge_first_seen([s[k] for s in seen], len(old.views[k].terms))
            return CHANNELS[k].splice(old.views[k], remap, rows, at, order, params)

        return cls(sections, tuple(view(k) for k in range(len(CHANNELS))), old.weights)
