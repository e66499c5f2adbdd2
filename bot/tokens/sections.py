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
    texts: list[str] = []
    for s in sections:
        texts += [s.title, " ".join(s.heading_path[:-1]), s.body, source_words(s.source)]
    toks = analyzer.tokenize_many(texts, progress)
    return [
        SectionTokens(*(tuple(t) for t in toks[i : i + 4]))  # title, path, body, source
        for i in range(0, len(toks), 4)
    ]
