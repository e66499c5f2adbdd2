"""How general a word is in everyday Korean or English (wordfreq's frequency lists).

A question word the notes never use is evidence that the question is about something else, but only if
it is a specific word: "리액트", "nginx", "김치찌개" say "not these notes", while "중요", "앱", "장애",
"permission" are everyday words a paraphrase may bring. The decline check (engine._confidence) weighs an
unknown word by how rare it is in general language. The lists load once (~0.2 s), at warm-up.
"""

from __future__ import annotations

import math
from functools import lru_cache

RARE_ZIPF = 3.5  # at or below: a specific word, full weight
COMMON_ZIPF = 5.0  # at or above: an everyday word, FLOOR weight
FLOOR = 0.15


@lru_cache(maxsize=1)
def _tables() -> tuple[dict[str, float], dict[str, float]]:
    from wordfreq import get_frequency_dict

    return get_frequency_dict("ko", wordlist="best"), get_frequency_dict("en", wordlist="small")


# Passive and causative suffixes: wordfreq's Korean list holds verb stems as its tokenizer cut them,
# and misses some derived ones that Kiwi gives ("쓰이" of 쓰여, "줄이"): those are as everyday as their base.
_DERIVED = ("이", "히", "리", "기")


def zipf(word: str) -> float:
    """Zipf frequency (log10 per billion words); 0.0 when the list does not have the word."""
    ko, en = _tables()
    if word.isascii():
        freq = en.get(word.lower(), 0.0)
    else:
        freq = ko.get(word, 0.0)
        if not freq and len(word) >= 2 and word.endswith(_DERIVED):
            freq = ko.get(word[:-1], 0.0)
    return math.log10(freq) + 9 if freq > 0 else 0.0


def topic_weight(word: str) -> float:
    """1.0 for a rare or unknown word (probably the topic), down to FLOOR for an everyday word."""
    z = zipf(word)
    if z <= RARE_ZIPF:
        return 1.0
    return max(FLOOR, 1.0 - (1.0 - FLOOR) * (z - RARE_ZIPF) / (COMMON_ZIPF - RARE_ZIPF))


def is_word(word: str) -> bool:
    """An everyday word of Korean or English (in wordfreq's lists at a Zipf frequency of 2 or more)."""
    return zipf(word) >= 2.0


def load() -> None:
    _tables()
