"""What the question log says about the notes: `python -m bot report` and `/stats` read this.

``build_report(path, days)`` returns one JSON-ready dict (the `--json` contract: ``questions``,
``answered``, ``declined`` ints, ``unanswered`` [{"question", "count"}] most frequent first, ``votes``
{"up", "down"}, ``downvoted`` [{"location", "count"}], and more: ``answer_rate``, ``top_sections``,
``never_hit``, ``per_day``, ``sources``, ``latency_ms``).

Near-duplicate declined questions are grouped by their words with a plain normalisation, not Kiwi:
Kiwi's model load (~3 s) would cost more than the whole report may (≤ 1 s for 10,000 questions). Text is
NFKC-normalised and case-folded, cut into words at spaces, punctuation and Hangul/Latin boundaries
("도커랑ec2차이" → 도커랑 ec2 차이), common particles are taken off Hangul words (도커랑 → 도커) and filler
words dropped; questions whose word sets overlap by a Jaccard similarity of at least 0.5 are one group
(greedy, most frequent first; the candidates for a question are found through its rarest words, and
only the 32 most asked groups per word are compared, so it stays linear: 10,000 distinct questions that
all share common words group in ~0.2 s).
"""

from __future__ import annotations

import math
import re
import sqlite3
import time
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

SIMILAR = 0.5  # Jaccard similarity of word sets for two questions to be one group
CANDIDATES = 32  # groups compared per probe word: the most asked ones (groups are made most asked first)
_WORD = re.compile(r"[가-힣ㄱ-ㅎㅏ-ㅣ]+|[^\W_가-힣ㄱ-ㅎㅏ-ㅣ]+")


def _listed(*lines: str) -> list[str]:
    return [w for line in lines for w in line.split()]


# Longest first; taken off a Hangul word only when at least two syllables remain.
_PARTICLES = sorted(
    _listed(
        "에서는 에서 에게 으로 이랑 하고 까지 부터 처럼 보다 이나 이란 이야 인가",
        "은 는 이 가 을 를 에 의 도 만 로 와 과 랑 요 란 나",
    ),
    key=len,
    reverse=True,
)
_PARTICLE_SET = frozenset(_PARTICLES)
_PARTICLE_END = re.compile(f"(?<=[가-힣]{{2}})(?:{'|'.join(_PARTICLES)})$")
_FILLER = frozenset(
    _listed(
        "뭐 뭐야 뭐지 뭐예요 뭔가요 무엇 무엇인가요 알려줘 알려주세요 좀 어떻게 해 해요 하나요 있어 있나요",
        "what is are the a an how do does to of please",
    )
)


def words(text: str) -> frozenset[str]:
    """The words a question is grouped by (see the module docstring)."""
    out = set()
    for w in _WORD.findall(unicodedata.normalize("NFKC", text).casefold()):
        if "가" <= w[0] <= "힣" and len(w) > 2:
            w = _PARTICLE_END.sub("", w, count=1)
        if w not in _FILLER and w not in _PARTICLE_SET:  # "EC2의" leaves a lone 의
            out.add(w)
    return frozenset(out)


def group_questions(texts: Iterable[str], limit: int | None = None) -> list[dict[str, Any]]:
    """[{"question", "count", "variants"}] most frequent first; "question" is the group's most asked text."""
    exact = Counter(" ".join(t.split()) for t in texts if t and t.strip())
    by_key: dict[frozenset[str], Counter[str]] = defaultdict(Counter)
    for text, n in exact.items():
        by_key[words(text) or frozenset([text.casefold()])][text] += n
    keys = sorted(by_key, key=lambda k: (-sum(by_key[k].values()), sorted(k)))
    df = Counter(w for k in keys for w in k)  # rare words first: a shorter candidate list

    def prefix(k: frozenset[str]) -> list[str]:
        ordered = sorted(k, key=lambda w: (df[w], w))
        return ordered[: len(ordered) - math.ceil(SIMILAR * len(ordered)) + 1]

    groups: list[tuple[frozenset[str], Counter[str]]] = []
    index: dict[str, list[int]] = defaultdict(list)  # prefix word -> groups
    for k in keys:
        best, best_sim, size, seen = -1, SIMILAR, len(k), set()
        probe = prefix(k)
        for w in probe:
            for g in index.get(w, ())[:CANDIDATES]:
                if g in seen:
                    continue
                seen.add(g)
                rep = groups[g][0]
                common = len(k & rep)
                sim = common / (size + len(rep) - common)
                if sim > best_sim or (sim == best_sim and (best < 0 or g < best)):
                    best, best_sim = g, sim
        if best >= 0:
            groups[best][1].update(by_key[k])
            continue
        groups.append((k, Counter(by_key[k])))
        for w in probe:
            index[w].append(len(groups) - 1)
    out = []
    for _, texts_in in groups:
        ranked = sorted(texts_in.items(), key=lambda kv: (-kv[1], len(kv[0]), kv[0]))
        out.append(
            {
                "question": ranked[0][0],
                "count": sum(texts_in.values()),
                "variants": [t for t, _ in ranked[1:6]],
            }
        )
    out.sort(key=lambda g: (-g["count"], g["question"]))
    return out[:limit] if limit else out


def _connect_ro(path: Path) -> sqlite3.Connection | None:
    try:
        if not path.is_file():
            return None
    except OSError as err:  # its folder cannot be listed: as unreadable as a broken file
        raise sqlite3.OperationalError(err.strerror or str(err)) from err
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        conn.execute("SELECT 1 FROM questions LIMIT 1")
        conn.execute("SELECT 1 FROM votes LIMIT 1")
    except sqlite3.Error:
        conn.close()
        raise
    return conn


def _file_of(location: str) -> str:
    return location.rsplit(":", 1)[0]


def build_report(
    path: str | Path,
    days: int = 7,
    *,
    notes: Iterable[str] | None = None,
    now: float | None = None,
    limit: int = 20,
) -> dict[str, Any]:
    """The report over the last `days` days. `notes`: the note files (for "never hit"). A missing log
    is an empty report; a file that is no question log raises sqlite3.Error."""
    now = time.time() if now is None else now
    since = now - days * 86400
    first_day = datetime.fromtimestamp(since, UTC).date()
    last_day = datetime.fromtimestamp(now, UTC).date()
    day_list = [(first_day + timedelta(d)).isoformat() for d in range((last_day - first_day).days + 1)]
    per_day = {
        d: {"day": d, "questions": 0, "answered": 0, "declined": 0, "up": 0, "down": 0, "answer_rate": None}
        for d in day_list
    }
    report: dict[str, Any] = {
        "days": days,
        "since": datetime.fromtimestamp(since, UTC).isoformat(timespec="seconds"),
        "until": datetime.fromtimestamp(now, UTC).isoformat(timespec="seconds"),
        "questions": 0,
        "answered": 0,
        "declined": 0,
        "answer_rate": None,
        "unanswered": [],
        "declined_without_text": 0,
        "votes": {"up": 0, "down": 0},
        "downvoted": [],
        "top_sections": [],
        "never_hit": sorted(notes or []),
        "per_day": list(per_day.values()),
        "sources": {},
        "latency_ms": {"p50": None, "p95": None},
    }
    conn = _connect_ro(Path(path))
    if conn is None:
        return report
    try:
        window = (since, now)
        q = "FROM questions WHERE ts >= ? AND ts <= ?"
        total, answered = conn.execute(f"SELECT count(*), coalesce(sum(answered), 0) {q}", window).fetchone()
        report["questions"], report["answered"], report["declined"] = total, answered, total - answered
        report["answer_rate"] = round(answered / total, 4) if total else None
        texts = [t for (t,) in conn.execute(f"SELECT question {q} AND answered = 0", window)]
        report["declined_without_text"] = sum(1 for t in texts if t is None)
        report["unanswered"] = group_questions((t for t in texts if t is not None), limit)
        report["sources"] = dict(
            conn.execute(f"SELECT source, count(*) {q} GROUP BY source ORDER BY 2 DESC", window)
        )
        titles = dict(
            conn.execute(
                f"SELECT location, max(title) {q} AND location IS NOT NULL GROUP BY location", window
            )
        )
        hits = conn.execute(
            f"SELECT location, count(*) {q} AND answered = 1 AND location IS NOT NULL "
            "GROUP BY location ORDER BY 2 DESC, 1",
            window,
        ).fetchall()
        report["top_sections"] = [
            {"location": loc, "title": titles.get(loc), "count": n} for loc, n in hits[:limit]
        ]
        hit_files = {_file_of(loc) for loc, _ in hits}
        report["never_hit"] = [n for n in report["never_hit"] if n not in hit_files]
        v = "FROM votes WHERE ts >= ? AND ts <= ?"
        for vote, n in conn.execute(f"SELECT vote, count(*) {v} GROUP BY vote", window):
            report["votes"][vote] = n
        down = conn.execute(
            f"SELECT location, count(*) {v} AND vote = 'down' GROUP BY location ORDER BY 2 DESC, 1", window
        ).fetchall()
        report["downvoted"] = [
            {"location": loc or "?", "title": titles.get(loc), "count": n} for loc, n in down[:limit]
        ]
        day = "date(ts, 'unixepoch')"
        for d, n, a in conn.execute(f"SELECT {day}, count(*), sum(answered) {q} GROUP BY 1", window):
            if d in per_day:
                per_day[d].update(questions=n, answered=a, declined=n - a)
        for d, vote, n in conn.execute(f"SELECT {day}, vote, count(*) {v} GROUP BY 1, 2", window):
            if d in per_day:
                per_day[d][vote] = n
        for row in per_day.values():
            row["answer_rate"] = round(row["answered"] / row["questions"], 4) if row["questions"] else None
        report["per_day"] = list(per_day.values())
        lat = [
            x for (x,) in conn.execute(f"SELECT latency_ms {q} AND latency_ms IS NOT NULL ORDER BY 1", window)
        ]
        if lat:
            report["latency_ms"] = {
                "p50": lat[len(lat) // 2],
                "p95": lat[min(len(lat) - 1, int(len(lat) * 0.95))],
            }
    finally:
        conn.close()
    return report


# -- what the terminal, the HTML page and /stats show of a report ------------------------------------
def percent(rate: float | None, digits: int = 1) -> str:
    """An answer rate as shown: "83.3%", or "–" for a day with no questions."""
    return "–" if rate is None else f"{100 * rate:.{digits}f}%"


def section_rows(items: list[dict[str, Any]]) -> list[list[Any]]:
    """[count, location, title] for the 👎 and most-asked sections."""
    return [[d["count"], d["location"], d.get("title") or ""] for d in items]


def per_day_rows(report: dict[str, Any], digits: int = 1) -> list[list[Any]]:
    """[day, questions, answered, declined, answer rate, 👍, 👎] per day."""
    return [
        [
            d["day"],
            d["questions"],
            d["answered"],
            d["declined"],
            percent(d["answer_rate"], digits),
            d["up"],
            d["down"],
        ]
        for d in report["per_day"]
    ]
