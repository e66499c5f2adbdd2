"""What the engine returns; the CLI and Discord front ends only render these."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.notes.section import Section


@dataclass(frozen=True, slots=True)
class Result:
    section: Section
    score: float
    passage: str = ""  # the part of the section that answers the question (Markdown; answers/passage.py)

    def to_json(self) -> dict[str, Any]:
        s = self.section
        return {
            "title": s.title,
            "heading_path": list(s.heading_path),
            "source": s.source,
            "line": s.line,
            "text": s.text,
            "passage": self.passage or s.text,
            "score": round(float(self.score), 6),
        }


@dataclass(frozen=True, slots=True)
class Answer:
    question: str
    answered: bool
    results: tuple[Result, ...] = ()  # best first; empty when declined
    message: str = ""  # why it was declined, for people
    suggestions: tuple[str, ...] = field(default=())  # section titles to try instead
    confidence: float = 0.0  # share of the question's weight the best section holds (0 when none)
    # "Did you mean": the question with its typos/glued words mended, or the known title a decline was
    # close to; None when nothing was changed. Front ends offer to ask it.
    repaired_question: str | None = None

    @property
    def best(self) -> Result | None:
        return self.results[0] if self.results else None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "question": self.question,
            "answered": self.answered,
            "results": [r.to_json() for r in self.results],
        }
        if not self.answered:
            out["message"] = self.message
            out["suggestions"] = list(self.suggestions)
        return out
