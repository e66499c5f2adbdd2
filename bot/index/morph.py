"""The morpheme channel: BM25 over each section's Kiwi tokens, weighted by where the words stand.

A section's document is its title (repeated: a cheap stand-in for BM25F field weights), its breadcrumb,
its own body, its file-name words, and its sub-sections' bodies ("small-to-big": "도커 장점" must find a
heading whose points sit under sub-headings). The question's terms are its search tokens after typo
repair. This is the index's first channel: the engine's confidence, typo repair and passages read its
view (SearchIndex.bm25).
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.index.channels import BM25Channel, FileSections, Query


class MorphemeChannel(BM25Channel):
    name = "morph"

    def documents(self, file: FileSections) -> list[list[str]]:
        w, toks, kids = file.weights, file.tokens, file.kids
        docs = []
        for i, t in enumerate(toks):
            doc = list(t.title) * w.title + list(t.path) * w.path + list(t.body) * w.body
            doc += list(t.source) * w.source
            if w.children:
                for j in kids[i]:
                    doc += list(toks[j].body) * w.children
            docs.append(doc)
        return docs

    def query_terms(self, query: Query) -> Sequence[str]:
        return query.tokens


MORPHEMES = MorphemeChannel()
