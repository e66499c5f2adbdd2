"""Two-turn exchanges (eval/followups.jsonl): a first question, then one asked in its conversation.

``kind`` is "followup" (the second question only makes sense with the first: "Redis 특징" -> "그럼
단점은?") or "self" (a new, self-contained question in the same thread). Scored as hit@1 of the second
turn for answers/followup.py, for the question alone, and for the question always joined to the topic.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.answers.followup import ask_followup, combine
from bot.evaluation.data import EVAL_DIR, Expect


@dataclass(frozen=True)
class Exchange:
    first: str
    q: str
    expect: tuple[Expect, ...]
    kind: str
    folder: str  # "seed" or "corpora": the knowledge it is asked against


def load_exchanges(name: str = "followups") -> list[Exchange]:
    out = []
    for line in (EVAL_DIR / f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            o = json.loads(line)
            exp = tuple(Expect(e["source"], e["title"], e.get("line")) for e in o["expect"])
            out.append(Exchange(o["first"], o["q"], exp, o["kind"], o["set"]))
    return out


def _hit(ex: Exchange, answer: Any) -> bool:
    best = answer.best
    if best is None:
        return False
    s = best.section
    return any(
        e.matches(s.source, s.title, s.line) or e.shown_in(s.source, s.line, s.text) for e in ex.expect
    )


def score(exchanges: list[Exchange], engine_for: Callable[[str], Any]) -> dict[str, dict[str, float]]:
    """{kind or "all": {"n", "ours", "alone", "joined"}} (hit@1 shares of the second turn)."""
    out: dict[str, dict[str, float]] = {}
    for ex in exchanges:
        engine = engine_for(ex.folder)
        hits = {
            "ours": _hit(ex, ask_followup(engine, ex.q, ex.first)),
            "alone": _hit(ex, engine.ask(ex.q)),
            "joined": _hit(ex, engine.ask(combine(ex.q, ex.first))),
        }
        for key in (ex.kind, "all"):
            row = out.setdefault(key, {"n": 0, "ours": 0, "alone": 0, "joined": 0})
            row["n"] += 1
            for k, v in hits.items():
                row[k] += v
    for row in out.values():
        for k in ("ours", "alone", "joined"):
            row[k] = round(row[k] / row["n"], 3)
    return out
