"""Evaluation inputs: the question sets in eval/ and the knowledge folders they are asked against."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bot.answers.engine import SHOWN_CHARS  # what the independent checks read of an answer
from bot.errors import BotError

ROOT = Path(__file__).resolve().parents[2]
EVAL_DIR = ROOT / "eval"
SEED_KNOWLEDGE = ROOT / "knowledge"
DEFAULT_CORPORA = ROOT.parent / "shared" / "corpora"
_NORM = re.compile(r"[\W_]+")


def norm_title(title: str) -> str:
    return _NORM.sub("", title.lower())


@dataclass(frozen=True)
class Expect:
    source: str
    title: str
    line: int | None = None

    def matches(self, source: str, title: str, line: int) -> bool:
        """The answer is this section."""
        return (
            source == self.source
            and norm_title(title) == norm_title(self.title)
            and (self.line is None or self.line == line)
        )

    def shown_in(self, source: str, line: int, text: str, limit: int = SHOWN_CHARS) -> bool:
        """The answer is an ancestor whose first `limit` characters include this section's heading.

        That is how the independent checks judge an answer (title + the first 4,096 characters of its
        text, what one Discord embed shows), so a parent whose text shows the wanted sub-section counts.
        """
        if source != self.source:
            return False
        want = norm_title(self.title)
        offset = 0
        lines = text.split("\n")
        for k, raw in enumerate(lines):
            if offset >= limit:
                return False
            if k > 0 and (self.line is None or line + k == self.line):
                stripped = raw.strip()
                heading = stripped.startswith("#") or (
                    k + 1 < len(lines) and lines[k + 1].strip()[:3] in ("---", "===") and stripped
                )
                if heading and norm_title(stripped.lstrip("#")) == want:
                    return True
            offset += len(raw) + 1
        return False


@dataclass(frozen=True)
class Question:
    q: str
    expect: tuple[Expect, ...]  # empty: off-topic, must be declined
    kind: str
    folder: str = ""  # heldout.jsonl: "seed" or "corpora", the knowledge folder it is asked against
    phrase: str = ""  # passages.jsonl: what the best result's passage must show (issue 16)

    @property
    def offtopic(self) -> bool:
        return not self.expect


def load_questions(name: str) -> list[Question]:
    return load_question_file(EVAL_DIR / f"{name}.jsonl")


def load_question_file(path: Path) -> list[Question]:
    if not path.is_file():
        raise BotError(f"eval set not found: {path}")
    out = []
    for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            exp = tuple(Expect(e["source"], e["title"], e.get("line")) for e in obj["expect"])
            out.append(
                Question(obj["q"], exp, obj.get("kind", ""), obj.get("set", ""), obj.get("phrase", ""))
            )
        except (ValueError, KeyError, TypeError) as err:
            raise BotError(f"{path.name}:{no}: bad eval line ({err})") from None
    return out


def corpora_folder(corpora: Path) -> Path:
    """A temporary knowledge folder: the seed note and its dictionary plus every corpora repo folder."""
    if not corpora.is_dir():
        raise BotError(f"corpora folder not found: {corpora} (pass --corpora DIR)")
    tmp = Path(tempfile.mkdtemp(prefix="notes-eval-"))
    shutil.copytree(SEED_KNOWLEDGE, tmp, dirs_exist_ok=True)
    for repo in sorted(p for p in corpora.iterdir() if p.is_dir()):
        shutil.copytree(repo, tmp / repo.name)
    return tmp
