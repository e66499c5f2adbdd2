"""Typo repair for question words the notes never use: 쿠버내티스 -> 쿠버네티스, 우부투 -> 우분투.

Hangul is compared letter by letter (jamo), so one wrong vowel is one edit, not one whole syllable.
A symmetric-delete table finds every vocabulary word within one edit without scanning the vocabulary.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Container, Sequence

_S0, _L, _V, _T = 0xAC00, 19, 21, 28
# Words a typo table holds at most (~1.5 KB each, ~20 µs to add). Seed + the shared corpora have
# ~8,000 eligible words: the budget only bites on dumps (a 4 MB note of random words has ~1 M).
MAX_WORDS = 30_000


def jamo(word: str) -> str:
    out = []
    for ch in word:
        code = ord(ch) - _S0
        if 0 <= code < _L * _V * _T:
            out.append(chr(0x1100 + code // (_V * _T)))
            out.append(chr(0x1161 + (code % (_V * _T)) // _T))
            if code % _T:
                out.append(chr(0x11A7 + code % _T))
        else:
            out.append(ch)
    return "".join(out)


def _deletes(s: str) -> set[str]:
    return {s[:i] + s[i + 1 :] for i in range(len(s))}


def _within_one(a: str, b: str) -> bool:
    """Levenshtein distance <= 1, or one swap of neighbours."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        diff = [i for i in range(la) if a[i] != b[i]]
        return len(diff) == 1 or (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    if la > lb:
        a, b = b, a
    return any(b[:i] + b[i + 1 :] == a for i in range(len(b)))


_TWO_HANGUL = re.compile(r"[가-힣].*[가-힣]")
_NO_HANGUL = re.compile(r"[^가-힣]*")


def _eligible(word: str) -> bool:
    # Short words have too many neighbours one edit away to guess safely. (Regexes: a term table of a
    # data dump holds hundreds of thousands of words.)
    if _TWO_HANGUL.search(word):
        return True
    return len(word) >= 5 and word.isalpha() and _NO_HANGUL.fullmatch(word) is not None


class Speller:
    """A symmetric-delete table over an append-only word list (an index's term table).

    It only grows: extend() indexes the words added since the last call, so a reindex that adds a few
    terms costs a few terms, not the whole vocabulary again. Words a table holds but the current index
    no longer uses are filtered out by correct()'s `known`.
    """

    def __init__(self, budget: int = MAX_WORDS) -> None:
        self._table: dict[str, list[str]] = {}
        self._done = 0  # words[:_done] have been considered
        self._held = 0  # words in the table
        self.budget = budget
        self._lock = threading.Lock()  # one writer; readers need none (dict/list reads are atomic)

    def extend(self, words: Sequence[str], rank: Callable[[str], float] | None = None) -> Speller:
        """Index words[self._done:] (words only ever grows at the end).

        Past the budget, only the new words that rank highest (the index's document frequency) get in:
        a pasted log or data dump of a million one-off words would otherwise cost seconds and gigabytes
        before the first typo fix, and its words are not what anyone misspells in a question.
        """
        with self._lock:
            table = self._table
            new = [w for w in words[self._done :] if _eligible(w)]
            room = max(0, self.budget - self._held)
            if len(new) > room:
                new = sorted(new, key=rank, reverse=True)[:room] if rank is not None else new[:room]
            for word in new:
                j = jamo(word)
                for key in (j, *_deletes(j)):
                    table.setdefault(key, []).append(word)
            self._held += len(new)
            self._done = max(self._done, len(words))
        return self

    def correct(self, word: str, known: Container[str], weight: Callable[[str], float]) -> str | None:
        """The most frequent known word one edit away, or None."""
        if not _eligible(word):
            return None
        j = jamo(word)
        seen: set[str] = set()
        for key in (j, *_deletes(j)):
            seen.update(self._table.get(key, ()))
        hits = [w for w in seen if w != word and w in known and _within_one(jamo(w), j)]
        if not hits:
            return None
        return max(hits, key=lambda w: (weight(w), w))
