"""Sections -> the searchable index: each section's token bag, weighted by where the words stand.

A section's document is its title (repeated: a cheap stand-in for BM25F field weights), its breadcrumb,
its own body, and its sub-sections' bodies ("small-to-big": "도커 장점" must find a heading whose points
sit under sub-headings). Measured on eval/: see the README's quality table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

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


@dataclass
class SearchIndex:
    sections: list[Section]
    tokens: list[SectionTokens]
    bm25: SparseBM25  # over morpheme tokens
    grams: SparseBM25  # over Hangul bigrams (index/grams.py)
    weights: Weights

    @classmethod
    def build(
        cls,
        sections: list[Section],
        tokens: list[SectionTokens],
        weights: Weights | None = None,
        params: BM25Params | None = None,
    ) -> SearchIndex:
        w = weights or Weights()
        kids = descendants(sections)
        return cls(
            sections,
            tokens,
            SparseBM25.fit(documents(sections, tokens, w, kids), params),
            SparseBM25.fit(gram_documents(sections, kids, w.title), params),
            w,
        )
