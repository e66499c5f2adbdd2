"""Hangul character bigrams: the second, spelling-tolerant view of every section.

Morphemes miss when a question spells a word differently from the note (세그멘테이션/세그먼테이션,
핸드쉐잌), glues words together (투포인터알고리즘) or Kiwi splits an unknown word oddly. Bigrams inside
each Hangul word still overlap then. Their BM25 score is added to the morpheme score with a small weight
(Tuning.gram_weight, chosen on eval/). A section's document is its title's bigrams (repeated like the
morphemes' title), its breadcrumb's, its own body's and its sub-sections' bodies'.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from operator import add

from bot.index.channels import BM25Channel, FileSections, Query
from bot.notes.section import Section

_HANGUL_WORD = re.compile(r"[가-힣]+")


def hangul_bigrams(text: str) -> list[str]:
    out: list[str] = []
    for w in _HANGUL_WORD.findall(text):
        if len(w) == 1:
            out.append(w)
        else:
            out += map(add, w, w[1:])  # each character + the next: the word's bigrams, in C
    return out


def gram_documents(sections: Sequence[Section], kids: Sequence[Sequence[int]], title: int) -> list[list[str]]:
    per_body = [hangul_bigrams(s.body) for s in sections]
    docs = []
    for i, s in enumerate(sections):
        doc = hangul_bigrams(s.title) * title + hangul_bigrams(" ".join(s.heading_path[:-1])) + per_body[i]
        for j in kids[i]:
            doc += per_body[j]
        docs.append(doc)
    return docs


class BigramChannel(BM25Channel):
    name = "grams"

    def documents(self, file: FileSections) -> list[list[str]]:
        return gram_documents(file.sections, file.kids, file.weights.title)

    def query_terms(self, query: Query) -> Sequence[str]:
        return hangul_bigrams(query.text)


BIGRAMS = BigramChannel()
