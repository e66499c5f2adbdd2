"""The analyzers (Kiwi) the index is built with: one per dictionary, shared while anyone holds it."""

from __future__ import annotations

import threading
import weakref
from typing import TYPE_CHECKING

from bot.tokens.lexicon import Lexicon

if TYPE_CHECKING:
    from bot.tokens.analyzer import Analyzer

_analyzers: weakref.WeakValueDictionary[str, Analyzer] = weakref.WeakValueDictionary()
_analyzers_lock = threading.Lock()


def analyzer_for(lexicon: Lexicon) -> Analyzer:
    """An Analyzer for this dictionary: a live one (the serving engine's) when there is one, else new.

    Kiwi costs seconds and half a gigabyte; the cache holds analyzers weakly, so nothing is kept alive
    that no engine uses.
    """
    from bot.tokens.analyzer import Analyzer

    with _analyzers_lock:
        found = _analyzers.get(lexicon.fingerprint)
        if found is None:
            found = Analyzer(lexicon)
            _analyzers[lexicon.fingerprint] = found
        return found


def remember_analyzer(analyzer: Analyzer) -> None:
    """Offer a live analyzer to analyzer_for() (held weakly; tests share one Kiwi this way)."""
    with _analyzers_lock:
        _analyzers.setdefault(analyzer.lexicon.fingerprint, analyzer)
