"""Small types the index layer hands around, and the shapes it asks of its callers.

The index layer never imports the answers layer: it takes any tuning with the two settings an index is
counted with (`IndexTuning`: the answers layer's Tuning is one), hands back what it built
(`BuiltIndex`: the index, its note entries, the analyzer and a `BuildReport`), and takes back any index
in hand with those attributes (`IndexData`: a BuiltIndex, or an engine built from one) to reindex
incrementally or to save.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from bot.index.bm25 import BM25Params
from bot.index.build import SearchIndex, Tables
from bot.index.channels import Weights
from bot.index.notefiles import NoteEntry

if TYPE_CHECKING:
    from bot.tokens.analyzer import Analyzer


class IndexTuning(Protocol):
    """The ranking settings an index is counted with (the rest of a tuning acts at question time)."""

    @property
    def weights(self) -> Weights: ...

    @property
    def bm25(self) -> BM25Params: ...


@dataclass(frozen=True)
class BuildReport:
    files: int
    sections: int
    retokenized: int  # files parsed and tokenized in this build (the rest came from the cache)
    warnings: tuple[str, ...]
    seconds: float


class IndexData(Protocol):
    """An index in hand: what a build handed back, or what an engine built from it holds."""

    @property
    def index(self) -> SearchIndex: ...

    @property
    def analyzer(self) -> Analyzer: ...

    @property
    def tuning(self) -> IndexTuning: ...

    @property
    def entries(self) -> dict[str, NoteEntry]: ...


@dataclass
class BuiltIndex:
    """What a load or a build hands back: everything an engine is made of."""

    index: SearchIndex
    analyzer: Analyzer
    tuning: IndexTuning  # the tuning it was built for, as given
    entries: dict[str, NoteEntry]  # per note file: what the next incremental reindex may reuse
    report: BuildReport


@dataclass
class Saved:
    """What a saved index file holds, checked: its entries (tokens still good), their term tables, and
    the index itself when the ranking settings match too."""

    entries: dict[str, NoteEntry]
    tables: Tables | None
    index: SearchIndex | None  # usable as it is (same ranking settings)
    postings: SearchIndex | None = None  # the entries' counts, whatever the settings (None: recount)

    @property
    def empty(self) -> bool:
        return not self.entries and self.index is None
