"""Small types the index layer hands around: the index in hand that a build starts from."""

from __future__ import annotations

from dataclasses import dataclass

from bot.index.build import SearchIndex, Tables
from bot.index.notefiles import NoteEntry


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
