"""Section titles for typing-time lookups (/ask autocomplete) and "did you mean" after a decline.

Titles are normalised once per index (lowercase, no spaces, punctuation or Markdown emphasis), so a
keystroke costs one pass of substring tests over a few thousand short strings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from difflib import SequenceMatcher

_NON_WORD = re.compile(r"[\W_]+")
_EMPHASIS = re.compile(r"\*\*|__|`")
CLOSE = 0.75  # SequenceMatcher ratio of normalised strings for "did you mean <title>"


def norm(text: str) -> str:
    return _NON_WORD.sub("", text.lower())


def display(title: str) -> str:
    return " ".join(_EMPHASIS.sub("", title).split())


class TitleList:
    """Distinct titles in note order, each with its normalised form."""

    def __init__(self, titles: Iterable[str]) -> None:
        seen: dict[str, str] = {}
        for t in titles:
            shown = display(t)
            key = norm(shown)
            if key and key not in seen:
                seen[key] = shown
        self.keys = list(seen)
        self.shown = list(seen.values())

    def __len__(self) -> int:
        return len(self.keys)

    def match(self, typed: str, limit: int = 25) -> list[str]:
        """Titles containing what was typed (spaces and punctuation ignored), prefix matches first."""
        want = norm(typed)
        if not want:
            return self.shown[:limit]
        prefix: list[str] = []
        inner: list[str] = []
        for key, shown in zip(self.keys, self.shown, strict=True):
            if want in key:
                (prefix if key.startswith(want) else inner).append(shown)
                if len(prefix) >= limit:
                    break
        return (prefix + inner)[:limit]


def close_title(question: str, titles: Sequence[str]) -> str | None:
    """The first of ``titles`` spelled nearly like the question (a decline's "did you mean"), or None."""
    q = norm(question)
    if len(q) < 2:
        return None
    for t in titles:
        k = norm(display(t))
        if k and k != q and SequenceMatcher(None, q, k).ratio() >= CLOSE:
            return display(t)
    return None
