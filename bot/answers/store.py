"""Engines from the index store: the index layer loads, builds and saves the index; this layer answers.

`EngineStore` is the index store (bot/index/store.py) handing back an `Engine` over what it built: the
bot, the CLI and the evaluation ask it for engines, and give the running engine back to reindex from
(an engine holds what an incremental reindex needs: its index, entries, analyzer and tuning).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from bot.answers.engine import Engine, Tuning
from bot.index.store import IndexStore, Progress

if TYPE_CHECKING:
    from bot.tokens.analyzer import Analyzer


class EngineStore(IndexStore):
    """The persisted index of one knowledge folder, as engines."""

    def load_or_build(
        self, tuning: Tuning, progress: Progress | None = None, analyzer: Analyzer | None = None
    ) -> Engine:
        """Start-up: an engine over the persisted index where it is still right, else (partly) rebuilt."""
        return Engine.of(self.load_index(tuning, progress, analyzer), tuning)

    def rebuild(
        self,
        tuning: Tuning,
        old: Engine | None,
        full: bool = False,
        progress: Progress | None = None,
        analyzer: Analyzer | None = None,
        save_in_background: bool = False,
    ) -> Engine:
        """Reindex: a new engine, reusing what the running one has for unchanged files (see
        IndexStore.rebuild_index)."""
        built = self.rebuild_index(tuning, old, full, progress, analyzer, save_in_background)
        return Engine.of(built, tuning)


def build_engine(folder: Path, tuning: Tuning | None = None, analyzer: Analyzer | None = None) -> Engine:
    """A fresh in-memory build with no cache (evaluation, tests). The bot uses EngineStore."""
    store = EngineStore(folder, None)
    if analyzer is None:
        return store.load_or_build(tuning or Tuning())
    return store.rebuild(tuning or Tuning(), None, analyzer=analyzer)
