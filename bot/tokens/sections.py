"""Notes' sections -> SectionTokens, streamed: Kiwi works on one batch while the next notes are parsed."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from pathlib import PurePosixPath
from typing import TypeVar

from bot.index.channels import SectionTokens
from bot.notes.section import Section
from bot.tokens.analyzer import Analyzer

_PATH_NOISE = re.compile(r"[_\-.&#]+|\b\d{1,3}\b")
K = TypeVar("K")


def source_words(source: str) -> str:
    """'Computer Science/Network/HTTP & HTTPS.md' -> 'Network HTTP HTTPS' (file name and its folder)."""
    p = PurePosixPath(source)
    parts = [*p.parent.parts[-1:], p.stem]
    return _PATH_NOISE.sub(" ", " ".join(parts))


def tokenize_notes(
    notes: Iterable[tuple[K, Sequence[Section]]], analyzer: Analyzer
) -> Iterator[tuple[K, list[SectionTokens]]]:
    """(key, sections) -> (key, their tokens), note by note in order, pulling `notes` lazily.

    Each distinct heading text and file name is analysed once across the stream: a section's breadcrumb
    tokens are its ancestors' title tokens, not a second pass over the same words.
    """
    plans: deque[tuple[K, Sequence[Section], list[str], str]] = deque()
    seen: set[str] = set()  # texts sent to Kiwi so far (their tokens may still be on the way)

    def groups() -> Iterator[list[str]]:
        for key, sections in notes:
            if not sections:
                plans.append((key, sections, [], ""))
                yield []
                continue
            words = source_words(sections[0].source)  # one file: one source
            short = dict.fromkeys([*(t for s in sections for t in s.heading_path), words])
            new = [t for t in short if t not in seen]
            seen.update(new)
            plans.append((key, sections, new, words))
            yield [*new, *(s.body for s in sections)]

    done: dict[str, tuple[str, ...]] = {}
    for toks in analyzer.tokenize_groups(groups()):
        key, sections, new, words = plans.popleft()  # a group's tokens come after its plan, in order
        done.update(zip(new, map(tuple, toks[: len(new)]), strict=True))
        out = []
        for s, body in zip(sections, toks[len(new) :], strict=True):
            path = tuple(t for title in s.heading_path[:-1] for t in done[title])
            own = done[s.heading_path[-1]] if s.heading_path else ()
            out.append(SectionTokens(own, path, tuple(body), done[words]))
        yield key, out
