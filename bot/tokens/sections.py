"""Sections -> SectionTokens, in one Kiwi batch (Kiwi's list API runs on its worker threads)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import PurePosixPath

from bot.index.build import SectionTokens
from bot.notes.section import Section
from bot.tokens.analyzer import Analyzer

_PATH_NOISE = re.compile(r"[_\-.&#]+|\b\d{1,3}\b")


def source_words(source: str) -> str:
    """'Computer Science/Network/HTTP & HTTPS.md' -> 'Network HTTP HTTPS' (file name and its folder)."""
    p = PurePosixPath(source)
    parts = [*p.parent.parts[-1:], p.stem]
    return _PATH_NOISE.sub(" ", " ".join(parts))


def tokenize_sections(
    sections: Sequence[Section], analyzer: Analyzer, progress: Callable[[int, int], None] | None = None
) -> list[SectionTokens]:
    """One Kiwi batch for the whole build. Each distinct heading text and file name is analysed once:
    a section's breadcrumb tokens are its ancestors' title tokens, not a second pass over the same words.
    """
    short: dict[str, int] = {}  # distinct titles (own and ancestors') and file-name words -> position
    words = {s.source: source_words(s.source) for s in sections}
    for s in sections:
        for text in (*s.heading_path, words[s.source]):
            short.setdefault(text, len(short))
    toks = analyzer.tokenize_many([*short, *(s.body for s in sections)], progress)
    done = [tuple(t) for t in toks[: len(short)]]
    out = []
    for n, s in enumerate(sections):
        path = tuple(t for title in s.heading_path[:-1] for t in done[short[title]])
        own = done[short[s.heading_path[-1]]] if s.heading_path else ()
        out.append(SectionTokens(own, path, tuple(toks[len(short) + n]), done[short[words[s.source]]]))
    return out
