"""What a saved index was built from: the keys that make it stale when they change.

An index file records the kiwipiepy and model versions, the token-relevant part of the dictionary and a
hash of the indexing code (`built_from`: a change re-tokenizes everything), and the ranking settings it
was counted with (`tuning_key`: a change recounts from the saved tokens, no Kiwi). Computed without
importing or starting Kiwi.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import os
from dataclasses import asdict
from functools import lru_cache
from typing import TYPE_CHECKING

from bot.tokens.lexicon import Lexicon

if TYPE_CHECKING:
    from bot.index.types import IndexTuning

# The code that decides what lands in the index: a change to any of it makes a saved index stale.
PIPELINE_MODULES = (
    "bot.notes.files",
    "bot.notes.markdown",
    "bot.notes.section",
    "bot.tokens.analyzer",
    "bot.tokens.lexicon",
    "bot.tokens.sections",
    "bot.index.arrays",
    "bot.index.bags",
    "bot.index.build",
    "bot.index.bm25",
    "bot.index.channels",
    "bot.index.morph",
    "bot.index.grams",
    "bot.index.keys",
    "bot.index.notefiles",
    "bot.index.scan",
    "bot.index.splice",
    "bot.index.fileformat",
    "bot.index.types",
    "bot.index.store",
)


def tuning_key(tuning: IndexTuning) -> str:
    """The ranking settings an index was counted with (a change recounts it from the saved tokens)."""
    return json.dumps({"weights": asdict(tuning.weights), "bm25": asdict(tuning.bm25)}, sort_keys=True)


@lru_cache(maxsize=1)
def code_version() -> str:
    """A hash of the indexing code's source (see PIPELINE_MODULES); importing none of it."""
    h = hashlib.sha256()
    for name in PIPELINE_MODULES:
        h.update(name.encode())
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.origin and os.path.isfile(spec.origin):
            with open(spec.origin, "rb") as fh:
                h.update(fh.read())
    return h.hexdigest()[:16]


@lru_cache(maxsize=1)
def kiwi_version() -> str:
    """kiwipiepy and its model package (the model decides the morphemes as much as the code)."""
    found = []
    for dist in ("kiwipiepy", "kiwipiepy_model"):
        try:
            found.append(f"{dist}-{importlib.metadata.version(dist)}")
        except importlib.metadata.PackageNotFoundError:
            found.append(f"{dist}-unknown")
    return "/".join(found)


def token_key(lexicon: Lexicon) -> str:
    """The part of the dictionary that changes tokens: user words, aliases, phrase rewrites (parsed, so
    comments and blank lines do not count). Question words and distro names act at question time and
    on install snippets only: editing them needs no re-tokenizing."""
    parts = [
        sorted(lexicon.user_words),
        sorted((k, list(v)) for k, v in lexicon.aliases.items()),
        [[p.pattern, p.flags, r] for p, r in lexicon.phrases],
    ]
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()[:16]


def built_from(lexicon: Lexicon) -> dict[str, str]:
    """Everything the tokens depend on, known without starting Kiwi."""
    return {"kiwipiepy": kiwi_version(), "dictionary": token_key(lexicon), "code": code_version()}
