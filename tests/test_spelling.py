"""The typo table (bot/tokens/spelling.py): extended piece by piece it answers as if built at once."""

from __future__ import annotations

import random

from bot.tokens.spelling import Speller, jamo

SYLLABLES = [chr(0xAC00 + i) for i in range(0, 11172, 37)]  # a spread of Hangul syllables


def _edits(word: str, rng: random.Random) -> str:
    """The word's jamo with one random edit (a jamo string: correct() compares jamo anyway)."""
    j = list(jamo(word))
    k = rng.randrange(len(j))
    op = rng.choice("dsr")
    if op == "d":
        del j[k]
    elif op == "s" and k + 1 < len(j):
        j[k], j[k + 1] = j[k + 1], j[k]
    else:
        j[k] = rng.choice(list(jamo("가나다라마바사아자차카타파하각난닫")))
    return "".join(j)


def test_extended_in_pieces_equals_built_at_once():
    rng = random.Random(3)
    words = list(dict.fromkeys("".join(rng.choices(SYLLABLES, k=rng.randint(2, 4))) for _ in range(400)))
    weight = {w: float(rng.randint(1, 50)) for w in words}
    whole = Speller().extend(words)
    grown: list[str] = []
    pieces = Speller()
    for start in range(0, len(words), 37):
        grown.extend(words[start : start + 37])  # the term table grows at its end
        pieces.extend(grown)
    pieces.extend(grown)  # nothing new: a no-op
    probes = [_edits(w, rng) for w in rng.sample(words, 200)] + words[:20]
    known = set(words)
    for p in probes:
        assert pieces.correct(p, known, weight.__getitem__) == whole.correct(p, known, weight.__getitem__)
    assert sum(whole.correct(p, known, weight.__getitem__) is not None for p in probes) > 100


def test_only_known_words_are_offered_the_most_frequent_first():
    speller = Speller().extend(["우분투", "우분트", "데비안"])
    df = {"우분투": 5.0, "우분트": 1.0, "데비안": 3.0}
    assert speller.correct("우부투", df, df.__getitem__) == "우분투"
    assert speller.correct("우부투", {"우분트": 0, "데비안": 0}, df.__getitem__) is None  # 우분트: 2 edits
    assert speller.correct("우분투", {"우분트": 0}, df.__getitem__) == "우분트"  # itself not known
    assert speller.correct("우분투", set(), df.__getitem__) is None
    assert speller.correct("우", df, df.__getitem__) is None  # too short to guess
