"""Shared fixtures for the engine and CLI tests.

Kiwi costs 2-5 s per construction, so one Analyzer is built per session and every Engine built here
re-uses it: ``build_engine(folder)`` works for any folder whose _dictionary/ equals knowledge/'s (the
``make_knowledge`` fixture copies it), because an Analyzer is tied to its dictionary files.

Test modules do not ``from conftest import``: tests/discord/ has a conftest.py too, and whichever is
imported first owns the module name. Shared things are fixtures; paths are computed in each module.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # the repo is not pip-installed in the venv; `pytest` alone must work
    sys.path.insert(0, str(ROOT))

KNOWLEDGE = ROOT / "knowledge"
SEED_NOTE = KNOWLEDGE / "docker.md"
DICTIONARY = KNOWLEDGE / "_dictionary"
# CI clones the project beside ../shared; here that is /work/shared/corpora.
CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"

needs_corpora = pytest.mark.skipif(not CORPORA.is_dir(), reason=f"shared corpora not found at {CORPORA}")


def knowledge_copy(folder: Path, notes: dict[str, str | bytes] | None = None, seed: bool = False) -> Path:
    """A knowledge folder at `folder`: the project's dictionary files, optionally the seed note, plus notes.

    `notes` maps a relative path to its text (written as UTF-8) or raw bytes.
    """
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copytree(DICTIONARY, folder / "_dictionary", dirs_exist_ok=True)
    if seed:
        shutil.copy2(SEED_NOTE, folder / SEED_NOTE.name)
    for rel, content in (notes or {}).items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def make_knowledge() -> Callable[..., Path]:
    """make_knowledge(folder, notes=None, seed=False) -> folder: see knowledge_copy."""
    return knowledge_copy


@pytest.fixture(scope="session")
def analyzer():
    """One Kiwi-backed Analyzer with knowledge/_dictionary, warmed up, for the whole session."""
    from bot.tokens.analyzer import Analyzer
    from bot.tokens.lexicon import load_lexicon

    an = Analyzer(load_lexicon(KNOWLEDGE))
    an.warm_up()
    return an


@pytest.fixture(scope="session")
def build_engine(analyzer) -> Callable[..., object]:
    """build_engine(folder, tuning=None) -> Engine, in memory (no cache), re-using the shared analyzer."""
    from bot.answers.store import build_engine as build_in_memory

    def build(folder: Path, tuning=None):
        # A folder whose dictionary differs (or was edited since the session began) gets its own Kiwi:
        # correct, only slower.
        return build_in_memory(Path(folder), tuning, analyzer=analyzer)

    return build


@pytest.fixture(scope="session")
def seed_engine(build_engine):
    """The engine over the project's knowledge/ (the seed note)."""
    return build_engine(KNOWLEDGE)


@pytest.fixture(scope="session")
def corpora_knowledge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The seed knowledge plus every repository of the shared corpora, as one folder (what eval uses)."""
    if not CORPORA.is_dir():
        pytest.skip(f"shared corpora not found at {CORPORA}")
    folder = tmp_path_factory.mktemp("corpora") / "knowledge"
    shutil.copytree(KNOWLEDGE, folder)
    for repo in sorted(p for p in CORPORA.iterdir() if p.is_dir()):
        shutil.copytree(repo, folder / repo.name)
    yield folder


@pytest.fixture(scope="session")
def corpora_engine(build_engine, corpora_knowledge: Path):
    """The engine over seed + corpora (~10-15 s): built once, shared by test_corpora and test_eval_floor."""
    return build_engine(corpora_knowledge)
