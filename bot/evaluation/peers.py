"""The baselines our numbers are compared with, built the straightforward way on the same sections.

- whitespace: lower-cased whitespace split + rank_bm25.BM25Okapi;
- kiwi-default: Kiwi() with no user words, every morpheme form + BM25Okapi.
Each section's document is its title and its own body, as a first attempt would index it. Peers never
decline (a zero score is their only "no"), so their off-topic column shows what declining is worth.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from rank_bm25 import BM25Okapi

from bot.notes.section import Section


class Peer:
    def __init__(self, name: str, sections: Sequence[Section], tokenize: Callable[[str], list[str]]) -> None:
        self.name = name
        self.sections = list(sections)
        self.tokenize = tokenize
        self.bm25 = BM25Okapi([tokenize(f"{s.title}\n{s.body}") or ["∅"] for s in sections])

    def rank(self, question: str, k: int = 10) -> list[int]:
        scores = self.bm25.get_scores(self.tokenize(question))
        order = np.argsort(-scores, kind="stable")[:k]
        return [int(i) for i in order if scores[i] > 0]


def whitespace_tokenize(text: str) -> list[str]:
    return text.lower().split()


def kiwi_default_tokenizer() -> Callable[[str], list[str]]:
    from kiwipiepy import Kiwi

    kiwi = Kiwi()
    return lambda text: [t.form.lower() for t in kiwi.tokenize(text)]
