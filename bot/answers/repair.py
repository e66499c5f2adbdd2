"""Question words the notes never use, mended before scoring (an unknown word scores nothing).

In order: a particle Kiwi left attached (우부투에 -> 우부투), a derivational suffix on a word the notes
use bare (멱등성 -> 멱등: Kiwi keeps "X성" whole where its dictionary has it), a typo one edit from a known
word (우부투 -> 우분투, tokens/spelling.py; only for strings that are not everyday words themselves),
words written together (투포인터알고리즘 -> 투 포인터 알고리즘). And over the question's tokens
(`rejoin`): two pieces Kiwi cut from one written word that the notes hold whole (블랙스완이 -> 블랙 +
스완, the notes' 블랙스완).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Mapping

from bot.index.bags import Terms
from bot.tokens.spelling import Speller

PARTICLES = sorted(
    ["에서", "으로", "에게", "한테", "이랑", "처럼", "까지", "부터", "끼리", "이란", "란", "에", "이", "가",
     "은", "는", "을", "를", "랑", "과", "와", "의", "도", "로", "만"],
    key=len,
    reverse=True,
)  # fmt: skip
# Noun-forming suffixes Kiwi may keep attached to a word the notes use without them (Korean grammar).
SUFFIXES = ("성", "화", "적", "형", "식", "법", "론")
_MAX_SPLIT = 24  # longer runs are not worth a quadratic split


# One typo table per term table: an incremental reindex keeps its index's Terms (append-only), so the
# new engine's table is the old one plus the new terms. A full rebuild starts a new Terms and table.
_spellers: weakref.WeakKeyDictionary[Terms, Speller] = weakref.WeakKeyDictionary()
_spellers_lock = threading.Lock()


def speller_for(terms: Terms, rank: Callable[[str], float] | None = None) -> Speller:
    """The typo table over every term `terms` holds now (built once, then only extended; past its
    budget, the terms that rank highest)."""
    with _spellers_lock:
        speller = _spellers.get(terms)
        if speller is None:
            speller = _spellers[terms] = Speller()
    return speller.extend(terms.words, rank)


def _hangul(word: str) -> bool:
    return bool(word) and all("가" <= c <= "힣" for c in word)


class QueryRepair:
    def __init__(
        self,
        vocab: Mapping[str, int],
        weight: Callable[[str], float],
        speller: Speller,
        is_word: Callable[[str], bool] | None = None,
    ) -> None:
        """vocab: the index's words; weight: a word's document frequency (typo fixes prefer common
        words); speller: a typo table covering at least vocab (shared: see Engine.repair)."""
        self.vocab = vocab
        self.weight = weight
        self.speller = speller
        self.is_word = is_word or (lambda _w: False)  # known everyday words are never "corrected"

    def __call__(self, tokens: list[str]) -> list[str]:
        out: list[str] = []
        for t in tokens:
            out.extend((t,) if t in self.vocab else self.mend(t))
        return out

    def mend(self, word: str) -> tuple[str, ...]:
        stems = [word] + [word[: -len(p)] for p in PARTICLES if word.endswith(p) and len(word) > len(p) + 1]
        for stem in stems[1:]:
            if stem in self.vocab:
                return (stem,)
        for stem in stems:
            for suffix in SUFFIXES:
                bare = stem[: -len(suffix)]
                if stem.endswith(suffix) and len(bare) >= 2 and bare in self.vocab:
                    return (bare,)
        for stem in stems:
            # A real word ("프리", "페어") is not a typo of a note's word ("트리", "제어"), however close.
            fixed = None if self.is_word(stem) else self.speller.correct(stem, self.vocab, self.weight)
            if fixed:
                return (fixed,)
        for stem in stems:
            parts = self.split(stem)
            if parts:
                return parts
        return (word,)

    def rejoin(self, tokens: list[str], text: str) -> list[str]:
        """Neighbouring tokens, one of them unknown, that the notes know as one word written so in the
        question ("블랙" + "스완" where the question says 블랙스완 and the notes index 블랙스완)."""
        out: list[str] = []
        i = 0
        while i < len(tokens):
            if i + 1 < len(tokens):
                a, b = tokens[i], tokens[i + 1]
                whole = a + b
                if (a not in self.vocab or b not in self.vocab) and whole in self.vocab and whole in text:
                    out.append(whole)
                    i += 2
                    continue
            out.append(tokens[i])
            i += 1
        return out

    def split(self, word: str) -> tuple[str, ...] | None:
        """Fewest known words that spell word exactly (at least two), or None."""
        n = len(word)
        if not _hangul(word) or n < 3 or n > _MAX_SPLIT:
            return None
        best: list[tuple[str, ...] | None] = [None] * (n + 1)
        best[0] = ()
        for end in range(1, n + 1):
            for start in range(end):
                prev = best[start]
                piece = word[start:end]
                if prev is None or piece not in self.vocab:
                    continue
                cand = (*prev, piece)
                if best[end] is None or len(cand) < len(best[end]):  # type: ignore[arg-type]
                    best[end] = cand
        found = best[n]
        return found if found and len(found) > 1 else None
