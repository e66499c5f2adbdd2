"""The passage of a section that answers the question: its best lines, list items, table rows or code.

A section is cut into units, each kept whole: a line of prose (a long one into sentences), a list item's
own lines (its sub-items are units of their own), a table row, a fenced code block (with the short line
that introduces it, "2. Ubuntu Linux" before its ```bash). A unit scores the weights of the question's
terms it contains (the engine's IDF; any surface form the dictionary maps to the term: Ubuntu, 우분투),
leaving out terms the section's own breadcrumb already holds: those chose the section, the passage should
show what the question adds to it ("우분투" in "설치 방법"). The best unit and the others scoring at least
half as well are shown, in reading order, with what they need to be read (the list items above a sub-item,
a table's header), within ``LIMIT`` characters; a single code block may be longer. A pick shorter than
``FILL`` is usually a label the question repeats, so the units after it follow, up to a sub-heading.
When nothing scores, the section's first units are its lead ("X란": the definition is the first line).

Substring matching, no Kiwi: Korean stems sit inside their inflected words ("설치" in "설치하는"), and
matching costs microseconds per section.
"""

from __future__ import annotations

import bisect
import re
import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from bot.index.vectors import chunk_line
from bot.notes.display import FENCE
from bot.notes.section import Section
from bot.text import clip

if TYPE_CHECKING:
    from bot.index.bm25 import SparseBM25
    from bot.tokens.lexicon import Lexicon

LIMIT = 700  # characters of passage, unless one code block is longer
SHARE = 0.5  # other units shown when they score at least this share of the best one
# A passage shorter than this takes the units after it (up to a sub-heading): chosen on a blind-written
# dev set (eval/passages_dev.jsonl): the wanted phrase shown 0.754 -> 0.826 (80: 0.812, 200: 0.826),
# median passage 183 -> 205 characters; "우분투에 도커 설치"'s item and block (200) stay alone.
FILL = 120
_QUOTED_FENCE = re.compile(r"^(\s*(?:>[ \t]?)+)(`{3,}|~{3,})([^`]*)$")
_HEADING = re.compile(r"^ {0,3}#{1,6}(?:\s|$)")
_ITEM = re.compile(r"^(\s*)(?:[-*+]|\d{1,9}[.)])(?:[ \t]+|$)")
_TABLE_DELIM = re.compile(r"^ {0,3}\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$")
_SENTENCE_END = re.compile(r"(?<=[.!?。])\s+")
_LONG_LINE = 300  # a prose line longer than this is cut into sentences
_LABEL = 200  # a unit this short right before a code block introduces it
_ASCII = re.compile(r"^[\x00-\x7f]+$")
# A title naming several things: "장점과 단점", "TCP와 UDP", "A & B", "A, B", "A vs B".
_SEVERAL = re.compile(r"[가-힣](?:와|과|및)\s|\s(?:및|and|vs\.?|&)\s|[,/·]", re.I)
# Lines that show nothing: <br>, </div>, a rule. Not units (an <img> line is one).
_FILLER = re.compile(
    r"^\s*(?:(?:<(?!img\b)/?[a-zA-Z][^<>]*>|&nbsp;)\s*)+$|^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$", re.I
)


@dataclass(slots=True)
class Unit:
    start: int  # character offsets into the section's text
    end: int
    kind: str  # "text" | "item" | "row" | "header" (a table's) | "code" | "heading"
    context: tuple[int, ...] = ()  # units shown with it (enclosing items, table header, sub-heading)
    children: list[int] = field(default_factory=list)  # an item's sub-units (shown with it when room)


def units(text: str) -> list[Unit]:
    """``text`` (a section's Markdown) cut into whole units; the section's own heading line is skipped."""
    lines = text.split("\n")
    offsets = [0]
    for ln in lines:
        offsets.append(offsets[-1] + len(ln) + 1)
    out: list[Unit] = []
    items: list[tuple[int, int]] = []  # open list items: (content indent, unit index)
    heading = -1  # the last sub-heading's unit
    i = 1 if lines and _HEADING.match(lines[0]) else 0
    if not i and len(lines) > 1 and re.match(r"^ {0,3}(=+|-+)[ \t]*$", lines[1]) and lines[0].strip():
        i = 2  # a setext heading: its text over === or ---
    last_blank = True

    def add(u: Unit) -> int:
        out.append(u)
        return len(out) - 1

    def enclosing() -> tuple[int, ...]:
        return ((heading,) if heading >= 0 else ()) + tuple(k for _, k in items)

    while i < len(lines):
        line = lines[i]
        indent = len(line) - len(line.lstrip())
        if not line.strip() or _FILLER.match(line):
            last_blank = True
            i += 1
            continue
        quoted = _QUOTED_FENCE.match(line)
        if m := FENCE.match(line) or quoted:
            fence = m[2]
            quote = quoted[1] if quoted else ""  # a block inside a block quote: its lines carry "> "
            j = i + 1
            while j < len(lines):
                inner = lines[j]
                if quote:
                    if not inner.startswith(quote.rstrip()):  # the quote ended, and so did its block
                        j -= 1
                        break
                    inner = inner[len(quote.rstrip()) :].lstrip()
                c = FENCE.match(inner)
                if c and not c[3].strip() and c[2][0] == fence[0] and len(c[2]) >= len(fence):
                    break
                j += 1
            while items and indent < items[-1][0]:
                items.pop()
            start = offsets[i]
            prev = out[-1] if out else None
            context = enclosing()
            # "2. Ubuntu Linux" then ```bash: the label and its code are one unit (it takes the label's
            # place, also among its parent item's children).
            if (
                prev is not None
                and prev.kind in ("text", "item")
                and not prev.children
                and prev.end - prev.start <= _LABEL
                and text.count("\n", prev.end, start) <= 2
            ):
                start, context = prev.start, prev.context
                out.pop()
                items[:] = [(ind, k) for ind, k in items if k < len(out)]
            end = min(j, len(lines) - 1)
            k = add(Unit(start, offsets[end] + len(lines[end]), "code", context))
            if items and start == offsets[i]:  # a block inside an item (a merged label kept its place)
                out[items[-1][1]].children.append(k)
            i = j + 1
            last_blank = False
            continue
        if _HEADING.match(line):
            items.clear()
            heading = add(Unit(offsets[i], offsets[i] + len(line), "heading"))
            i += 1
            last_blank = False
            continue
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if "|" in line and "|" in nxt and _TABLE_DELIM.match(nxt):
            head = add(Unit(offsets[i], offsets[i + 1] + len(nxt), "header", enclosing()))
            i += 2
            while i < len(lines) and lines[i].strip() and "|" in lines[i]:
                add(Unit(offsets[i], offsets[i] + len(lines[i]), "row", (*out[head].context, head)))
                i += 1
            last_blank = False
            continue
        if m := _ITEM.match(line):
            content = len(m[0]) if line[len(m[0]) :].strip() else len(m[1]) + 2
            while items and indent < items[-1][0]:
                items.pop()
            context = enclosing()
            j = i + 1  # the item's own continuation lines (not its sub-items, not code)
            while (
                j < len(lines)
                and lines[j].strip()
                and not _ITEM.match(lines[j])
                and not FENCE.match(lines[j])
                and not _HEADING.match(lines[j])
            ):
                j += 1
            k = add(Unit(offsets[i], offsets[j - 1] + len(lines[j - 1]), "item", context))
            if items:
                out[items[-1][1]].children.append(k)
            items.append((content, k))
            i = j
            last_blank = False
            continue
        # Prose (a paragraph line, a quote, an HTML line): inside an item when indented under it.
        while items and indent < items[-1][0] and last_blank:
            items.pop()
        context = enclosing()
        for s, e in _sentences(line):
            k = add(Unit(offsets[i] + s, offsets[i] + e, "text", context))
            if items:
                out[items[-1][1]].children.append(k)
        i += 1
        last_blank = False
    return out


@lru_cache(maxsize=4096)
def _prepared(text: str) -> tuple[tuple[Unit, ...], str, list[int]]:
    """A section's units, its case-folded text and the units' starts; popular sections are asked often.
    (casefold keeps Korean and code offsets: only a few letters, none in these notes, change length.)"""
    parts = tuple(units(text))
    lowered = text.casefold()
    if len(lowered) != len(text):  # ß -> ss and the like would shift every offset after it
        lowered = text.lower() if len(text.lower()) == len(text) else text
    return parts, lowered, [u.start for u in parts]


def _sentences(line: str) -> list[tuple[int, int]]:
    if len(line) <= _LONG_LINE:
        return [(0, len(line))]
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _SENTENCE_END.finditer(line):
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(line)))
    return [(s, e) for s, e in spans if e > s]


@dataclass(frozen=True, slots=True)
class Terms:
    """The question's terms, each with its weight and the surface forms that count as it in a text."""

    # (forms, weight, term); forms are (literal, pattern) pairs: a literal not in the text skips its regex
    patterns: tuple[tuple[tuple[tuple[str, re.Pattern[str]], ...], float, str], ...]

    @classmethod
    def of(cls, weights: Mapping[str, float], forms: Callable[[str], Sequence[str]] | None = None) -> Terms:
        pats = []
        for term, w in weights.items():
            if w <= 0:
                continue
            names = {term.casefold(), *(f.casefold() for f in (forms(term) if forms else ()))}
            # ASCII forms and one-syllable Hangul ones (힙, 법, 맥: inside too many words) start a word.
            alts = tuple(
                (
                    n,
                    re.compile(
                        rf"(?<![a-z0-9]){re.escape(n)}"
                        if _ASCII.match(n)
                        else rf"(?<![가-힣]){re.escape(n)}"
                        if len(n) == 1
                        else re.escape(n)
                    ),
                )
                for n in sorted(names, key=len, reverse=True)
            )
            pats.append((alts, w, term))
        return cls(tuple(pats))


def select(
    section: Section,
    terms: Terms,
    *,
    limit: int = LIMIT,
    fill: int = FILL,
    bonus: Callable[[str], float] | None = None,
) -> str:
    """The Markdown passage of ``section`` that best answers a question with ``terms``.

    ``bonus`` adds a score per unit text (a later signal, e.g. a semantic similarity per sentence).
    """
    text = section.text
    parts, lowered, starts = _prepared(text)
    if not parts:
        return text.strip()
    crumb = " ".join(section.heading_path).casefold()
    scores = [0.0] * len(parts)
    for forms, w, _term in terms.patterns:
        present = [rx for literal, rx in forms if literal in lowered]  # str search: far faster than re
        if not present or any(literal in crumb and rx.search(crumb) for literal, rx in forms):
            continue
        hit: set[int] = set()
        for rx in present:
            for m in rx.finditer(lowered):
                k = bisect.bisect_right(starts, m.start()) - 1
                if k >= 0 and m.start() < parts[k].end:
                    hit.add(k)
        for k in hit:
            scores[k] += w
    if bonus is not None:
        for k, u in enumerate(parts):
            scores[k] += bonus(text[u.start : u.end])
    for k, u in enumerate(parts):
        if u.kind in ("heading", "header"):
            scores[k] = 0.0  # shown as context, never chosen for itself
    best = max(scores)
    chosen: list[int] = []
    size = 0

    def cost(k: int) -> int:
        need = [c for c in (*parts[k].context, k) if c not in chosen]
        return sum(parts[c].end - parts[c].start + 1 for c in need)

    def take(k: int) -> None:
        nonlocal size
        size += cost(k)
        for c in (*parts[k].context, k):
            if c not in chosen:
                chosen.append(c)

    sub = _sub_heading(section, parts, lowered, terms) if best <= 0 else None
    if sub is not None:  # "도커 단점" answered by "도커의 장점과 단점": its "### 단점" sub-section
        take(sub)
        for k in range(sub + 1, len(parts)):
            if parts[k].kind == "heading" or size + cost(k) > limit:
                break
            take(k)
    elif best <= 0:  # the lead: the first units that fit
        for k, u in enumerate(parts):
            if u.kind == "heading" and chosen:  # the section's own body is its lead, sub-sections follow
                break
            if u.kind in ("heading", "header") and not chosen:
                continue
            if chosen and size + cost(k) > limit:
                break
            take(k)
        title = (section.heading_path[-1] if section.heading_path else "").casefold()
        said = _defining(parts, lowered, terms, title, chosen)
        if said is not None:  # the section's body is all sub-sections: the line saying what X is leads
            chosen.clear()
            take(said)
    else:
        order = sorted(range(len(parts)), key=lambda k: (-scores[k], k))
        take(order[0])
        for k in order[1:]:
            if scores[k] < SHARE * best:
                break
            if k not in chosen and size + cost(k) <= limit:
                take(k)
        for k in list(chosen):  # an item's sub-items come with it while there is room
            for c in parts[k].children:
                if c not in chosen and size + cost(c) <= limit:
                    take(c)
        # A short pick is often the label the question repeats ("1. 기능적 의미의 서버"): what it says
        # follows it. The next units come along, up to a sub-heading, until the passage reads as an answer.
        k = max(chosen) + 1
        while size < fill and k < len(parts) and parts[k].kind != "heading":
            if k not in chosen:
                if size + cost(k) > limit:
                    break
                take(k)
            k += 1
    return _join(text, parts, sorted(chosen), limit)


# "X는 ...", "X란 ...": a sentence whose topic is X (particles after the word or its parenthesis).
_TOPIC_MARK = r"(?:\s*\([^()\n]{0,40}\))?(?:은|는|이란|란|이라는|라는)(?![가-힣])"


def _defining(
    parts: Sequence[Unit], lowered: str, terms: Terms, title: str, lead: Sequence[int]
) -> int | None:
    """When a section has no body before its first sub-heading (a note's top section whose first
    chapter is "설치 방법") and its ``lead`` never makes the subject its topic, the first line that starts
    so ("Docker는 주로 서버에 사용된다" for "도커가 뭐야?"); None otherwise. The subject: the question's
    terms the section's own title holds."""
    if not parts or parts[0].kind != "heading":
        return None
    subject = [
        rx.pattern
        for forms, _w, _t in terms.patterns
        if any(literal in title and rx.search(title) for literal, rx in forms)
        for _lit, rx in forms
    ]
    if not subject:
        return None
    topic = re.compile(rf"(?:{'|'.join(subject)}){_TOPIC_MARK}")
    if any(topic.search(lowered, parts[k].start, parts[k].end) for k in lead):
        return None
    starts = re.compile(rf"[\s>*+\-\d.)]*(?:{'|'.join(subject)}){_TOPIC_MARK}")
    for k, u in enumerate(parts):
        if u.kind in ("text", "item") and starts.match(lowered, u.start, u.end):
            return k
    return None


def _sub_heading(section: Section, parts: Sequence[Unit], lowered: str, terms: Terms) -> int | None:
    """The sub-heading that splits the section along the question: the section's title names several
    things ("도커의 장점과 단점") and the sub-heading names the question's term among them that the
    ancestors' titles lack ("단점" for "도커 단점": 도커 is the chapter's subject). None otherwise."""
    own = section.heading_path[-1].casefold() if section.heading_path else ""
    if not _SEVERAL.search(own):  # "다익스트라 알고리즘" is one subject: its lead defines it
        return None
    above = " ".join(section.heading_path[:-1]).casefold()
    split = [
        (forms, w)
        for forms, w, _ in terms.patterns
        if any(rx.search(own) for _, rx in forms) and not any(rx.search(above) for _, rx in forms)
    ]
    best, where = 0.0, None
    for k, u in enumerate(parts):
        if u.kind != "heading" or not split:
            continue
        line = lowered[u.start : u.end]
        score = sum(w for forms, w in split if any(rx.search(line) for _, rx in forms))
        if score > best:
            best, where = score, k
    return where


def _join(text: str, parts: Sequence[Unit], chosen: list[int], limit: int) -> str:
    out: list[str] = []
    prev_end = -1
    for k in chosen:
        u = parts[k]
        piece = text[u.start : u.end]
        if u.kind != "code" and len(piece) > limit:  # one 20,000-character line: cut at a space
            piece = clip(piece, limit - 1).rstrip() + "…"
        if out:
            gap = text[prev_end : u.start]
            out.append(gap if not gap.strip() else ("\n" if "\n" in gap else " "))
        out.append(piece)
        prev_end = u.end
    # A passage of indented lines (inside a list item) would read as an indented code block.
    return textwrap.dedent("".join(out)).strip("\n")


_forms_cache: tuple[Lexicon, dict[str, tuple[str, ...]]] | None = None


def in_chunk(chunk: str, weight: float) -> Callable[[str], float]:
    """A bonus of ``weight`` for the units inside ``chunk`` (the section's part closest in meaning to the
    question: its lines are the section's, as index/vectors.chunk_line keeps them)."""
    lines = set(chunk.split("\n"))

    def bonus(unit: str) -> float:
        own = [line for line in map(chunk_line, unit.split("\n")) if line]
        return weight if own and all(line in lines for line in own) else 0.0

    return bonus


def surface_forms(lexicon: Lexicon) -> dict[str, tuple[str, ...]]:
    """Search term -> the words the dictionary maps to it (우분투 -> ubuntu), worked out once per lexicon."""
    global _forms_cache
    if _forms_cache is None or _forms_cache[0] is not lexicon:
        table: dict[str, list[str]] = {}
        for word, targets in lexicon.aliases.items():
            if len(targets) == 1:  # "장단점 => 장점 단점" is no spelling of 장점
                table.setdefault(targets[0], []).append(word)
        _forms_cache = (lexicon, {k: tuple(v) for k, v in table.items()})
    return _forms_cache[1]


def question_terms(bm25: SparseBM25, lexicon: Lexicon, tokens: Sequence[str]) -> Terms:
    """The question's tokens the notes know, weighted by their IDF (question words count a fifth)."""
    weights: dict[str, float] = {}
    top = float(bm25.idf.max()) if len(bm25.idf) else 1.0
    for t in dict.fromkeys(tokens):
        i = bm25.vocab.get(t)
        # A word no section has as a token may still be inside one's text (HandlerMapping): the rarest.
        w = top if i is None else max(float(bm25.idf[i]), 0.05)
        weights[t] = w * 0.2 if t in lexicon.question_words else w
    forms = surface_forms(lexicon)
    return Terms.of(weights, lambda t: forms.get(t, ()))
