"""Shared helpers for test_store*, test_reindex*, test_service* (no tests here).

One Kiwi for all of them: every generated folder gets a copy of knowledge/_dictionary, so it has the
same dictionary as conftest's session `analyzer`; `share(analyzer)` offers that analyzer to IndexStore
(bot.index.analyzers.analyzer_for), which then uses it instead of starting a new Kiwi (2-5 s each).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # the repo is not pip-installed in the venv; `pytest` alone must work
    sys.path.insert(0, str(ROOT))

from bot.config import Config, parse_config  # noqa: E402

DICTIONARY = ROOT / "knowledge" / "_dictionary"

# Distinct, plainly Korean topics: each note's first section is about its topic word.
TOPICS = [
    "사과",
    "바나나",
    "포도",
    "딸기",
    "수박",
    "참외",
    "자두",
    "복숭아",
    "귤",
    "망고",
    "기차",
    "버스",
    "자전거",
    "비행기",
    "배",
    "지하철",
    "택시",
    "트럭",
    "오토바이",
    "로켓",
]


# The five notes test_store and test_service build on: three fruits, two vehicles.
FIVE_TOPICS = ["사과", "바나나", "포도", "기차", "버스"]


@pytest.fixture(autouse=True)
def shared(analyzer: Any) -> Any:
    """Autouse wherever imported: conftest's session analyzer serves every IndexStore of the module."""
    return share(analyzer)


def share(analyzer: Any) -> Any:
    """Let every IndexStore in this process use the session's analyzer for this dictionary."""
    from bot.index.analyzers import remember_analyzer

    remember_analyzer(analyzer)
    return analyzer


def with_dictionary(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copytree(DICTIONARY, folder / "_dictionary", dirs_exist_ok=True)
    return folder


def note(topic: str, extra: str = "", sections: int = 3) -> str:
    parts = [f"# {topic} 노트\n\n{topic}에 대한 설명입니다. {topic}는 맛있고 유용합니다. {extra}\n"]
    for k in range(1, sections):
        parts.append(f"## {topic} 특징 {k}\n\n{topic}의 {k}번째 특징은 색깔과 크기입니다.\n")
    return "\n".join(parts)


def write_notes(folder: Path, topics: list[str], extra: str = "") -> list[str]:
    with_dictionary(folder)
    names = []
    for i, topic in enumerate(topics):
        name = f"n{i:03d}.md"
        (folder / name).write_text(note(topic, extra), encoding="utf-8")
        names.append(name)
    return names


def write_many(folder: Path, n: int, marker: str) -> None:
    """n notes of 4 sections each, every one mentioning marker (a word unique to this version)."""
    with_dictionary(folder)
    for i in range(n):
        topic = TOPICS[i % len(TOPICS)]
        body = [f"# {topic} 모음 {i}\n\n{marker} 이야기: {topic}와 {TOPICS[(i + 3) % len(TOPICS)]}의 비교.\n"]
        for k in range(3):
            body.append(
                f"## 항목 {k}\n\n{topic}의 성질 {k}: 무게, 가격, 계절, 산지, 보관 방법을 정리한 문단입니다."
                f" {marker}와 함께 보면 좋습니다.\n"
            )
        (folder / f"m{i:04d}.md").write_text("\n".join(body), encoding="utf-8")


def make_config(folder: Path, cache: Path, **reload: Any) -> Config:
    data: dict[str, Any] = {"knowledge": {"dir": str(folder), "cache_dir": str(cache)}}
    if reload:
        data["reload"] = reload
    return parse_config(data, folder.parent)


def write_config(path: Path, folder: Path, cache: Path) -> Path:
    path.write_text(f'[knowledge]\ndir = "{folder}"\ncache_dir = "{cache}"\n', encoding="utf-8")
    return path
