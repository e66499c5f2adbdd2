"""A question asked inside a conversation: answered alone, or together with the conversation's topic.

First, a question that asks the notes nothing (thanks, greetings, plans: _leans) is answered alone,
never with the topic. Then the thread's note — the note of the section that answers the topic — is
tried: "단점은?" after "Redis가 뭐야" is the best section of Redis's note, when it holds the question
as well as the question's own answer does, or the question alone is declined ("연결 끊을 때는?" shares
only everyday words with the whole folder; followups3, a blind-written dev set: 0.669 -> 0.750; small
talk said after its first answers answered 240 of 1,360 -> 2 of 1,632, README). A question that asks
leans on the thread also when the note holds 70 % of it ("반대로 하면?" after "LEFT OUTER JOIN"), or
every word of it beside an aspect ("그거 문제점은 없어?"): followups3 0.757 -> 0.787 and followups5
0.720 -> 0.760 (dev sets, with "downsides" and "보여줘"/"짜" in the dictionary). Otherwise, as below.

A question naming a new subject and no aspect ("UDP는?" after "TCP 특징") is first read with the topic's
aspect ("UDP는? 특징"). Otherwise both readings are ranked; the engine's own coverage (the share of a
word list's weight a section holds, Engine.coverage) then decides. The topic is used when the section
found with it answers what was asked about as well as the section found without it (at most DROP less)
and covers the topic better; or when the question alone is declined and the section found with the
topic holds most of what it asks. So
"그럼 단점은?" after "도커 설치 방법" finds Docker's 단점, while "쿠버네티스 장점" in the same thread
keeps its own answer: with the topic the best section loses 쿠버네티스.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np

from bot.answers.types import Answer
from bot.errors import QuestionError

if TYPE_CHECKING:
    from bot.answers.engine import Engine
    from bot.notes.section import Section

DROP = 0.25  # how much of the question's own coverage the topic may cost
GAIN = 0.05  # how much better the topic must be covered to be worth it
ELLIPTIC = 0.5  # a question declined alone: share of it the topic's section must hold
# A question that asks and whose weight the thread's note holds this much leans on it (0.5 let "what
# time do we meet tomorrow?" through: "time" is in notes; dev sets followups3/5)
HELD = 0.7
LEAN_KEYNESS = 1.0  # a word this much more the notes' than everyday language's names a subject
# A question with no search words leans on the topic only when it asks something.
_ASKING = re.compile(
    r"왜|어떻게|어떡|뭐|무엇|무슨|언제|어디|어느|자세|예시|예제|\b(?:how|why|what|when|where|which|more)\b",
    re.I,
)


def combine(question: str, topic: str) -> str:
    return f"{question} {topic}".strip()


def ask_followup(engine: Engine, question: str, topic: str, top: int = 3) -> Answer:
    """The better of ``question`` alone and ``question`` + ``topic`` (see the module docstring)."""
    tokens = engine.question_tokens(question)
    about = _topic_section(engine, topic.strip())
    note = engine.note_of(about) if about is not None else None
    leans = _leans(engine, question, tokens, note)
    if not leans and not _asks(question):
        return engine.ask(question, top)  # "고마워요", "다음 주에 또 봐요": not about the topic
    inside = engine.ask(question, top, within=note) if note is not None and tokens else None
    # A question whose words the thread's note mostly holds leans on it ("반대로 하면?" after "LEFT
    # OUTER JOIN": RIGHT OUTER JOIN), however everyday its words are.
    held = inside is not None and inside.answered and inside.confidence >= HELD
    if not (leans or held):
        return engine.ask(question, top)  # asks, but about something else ("what time do we meet?")
    if inside is not None and inside.answered:
        # The question alone: when it is declined (everyday words only: "연결 끊을 때는?"), the
        # thread's note is what it is about; else the note must hold it as well as that answer.
        alone = engine.ask(question, 1)
        if not alone.answered or inside.confidence >= alone.confidence:
            return _on_subject(engine, question, tokens, topic, about, top, inside)
    chosen = choose(engine, question, topic)
    answer = engine.ask(chosen, top)
    if not answer.answered and chosen == question:
        answer = _with_subject(engine, question, topic, top, answer)
    return answer


def _on_subject(
    engine: Engine, question: str, tokens: list[str], topic: str, about: int, top: int, inside: Answer
) -> Answer:
    """Inside the thread's note, the section on the topic's subject, when it holds the question as well
    as the note's best for the question alone: a note on several subjects ("운영체제" with every
    scheduling algorithm) has a 단점 for each, and "그거 문제점은?" after "SJF가 뭐야" asks SJF's."""
    subj = subject(engine, topic)
    if not subj or subj in question:
        return inside
    joined = combine(question, subj)
    note = engine.note_of(about)
    _, own, _, _ = engine.rank(question, 1, within=note)  # the id of inside's best
    secs = engine.index.sections
    if not own or _under(secs[own[0]], secs[about]):
        return inside  # already in the topic's section or below it ("예시 있어?" after "어댑터 패턴")
    _, order, _, _ = engine.rank(joined, 1, within=note)
    if not order or order[0] == own[0] or engine.coverage(tokens, order[0]) < inside.confidence:
        return inside  # the same section, or one that holds less of the question
    # A question naming its own subject keeps the section titled by it ("파드는 뭐임?" after "마스터
    # 노드 역할": 파드, not the master node's section): the subject's section must be titled by as many
    # of the question's words.
    words = set(engine.topic_words(tokens))
    if len(words & engine.title_words(order[0])) < len(words & engine.title_words(own[0])):
        return inside
    with_subject = engine.ask(joined, top, within=note)
    return with_subject if with_subject.answered else inside


def _under(section: Section, top: Section) -> bool:
    """``section`` is ``top`` or one of its sub-sections."""
    path, head = section.heading_path, top.heading_path
    return section.source == top.source and section.line >= top.line and path[: len(head)] == head


def _note_holds(engine: Engine, tokens: list[str], note: range) -> bool:
    """Every word of the question that is not a question word is somewhere in the thread's note."""
    bm, asks = engine.index.bm25, engine.analyzer.lexicon.question_words
    for t in dict.fromkeys(tokens):
        if t in asks:
            continue
        i = bm.vocab.get(t)
        if i is None:
            return False
        row = bm.postings(i)
        k = int(np.searchsorted(row, note.start))
        if k >= len(row) or row[k] >= note.stop:
            return False
    return True


def _with_subject(engine: Engine, question: str, topic: str, top: int, answer: Answer) -> Answer:
    """Declined alone although its words were found (on a large folder "단점은?" alone is everyday talk
    unless it stands out in meaning): with the topic, when that section holds most of what was asked."""
    subj = subject(engine, topic.strip())
    if not subj or subj in question:
        return answer
    joined = combine(question, subj)
    _, order, _, _ = engine.rank(joined, 1)
    if not order or engine.coverage(engine.question_tokens(question), order[0]) < ELLIPTIC:
        return answer  # "고마워요" in a thread about Docker: Docker's section holds nothing of it
    with_topic = engine.ask(joined, top)
    return with_topic if with_topic.answered else answer


def _topic_section(engine: Engine, topic: str) -> int | None:
    """The section that answers the topic (its note is the thread's note), or None."""
    if not topic:
        return None
    try:
        tokens, order, _, _ = engine.rank(topic, 1)
    except QuestionError:
        return None
    if not order or engine.coverage(tokens, order[0]) < engine.tuning.min_confidence:
        return None
    return order[0]


def _leans(engine: Engine, question: str, tokens: list[str], note: range | None) -> bool:
    """The question may lean on the thread's topic: it asks for an aspect ("단점은?", "왜?" -> 이유),
    is nothing but a question ("어떻게 해요?"), or names something the notes are about (a word at least
    10x more the notes' than everyday language's: "큐는?") or that the topic's note has in a heading
    ("Read Committed는?"). Thanks, greetings and plans ("다음 주에 또 봐요") do not."""
    asks = engine.analyzer.lexicon.question_words
    if not tokens:
        return _asks(question)
    words = list(dict.fromkeys(engine.topic_words(tokens)))
    if not words:
        return True
    # An aspect asked beside words the thread's note holds: "그거 문제점은 없어?" (없: an everyday word)
    aspect = any(t in asks for t in tokens) and _asks(question)
    if aspect and note is not None and _note_holds(engine, words, note):
        return True
    bm, key = engine.index.bm25, engine.keyness()
    # The headings' search words, as the question's are (피해야 -> 피하): not their letters.
    titles = frozenset().union(*(engine.title_words(i) for i in note)) if note is not None else frozenset()
    for t in words:
        i = bm.vocab.get(t)
        if i is not None and (key[i] >= LEAN_KEYNESS or t in titles):
            return True
    return False


def _asks(question: str) -> bool:
    return "?" in question or bool(_ASKING.search(question))


def _split_topic(engine: Engine, topic: str) -> tuple[str, str]:
    """(subject, aspect): the topic's words naming what it is about, and its question words ("TCP",
    "특징" of "TCP 특징"); a word with no search tokens (a bare particle) is in neither."""
    asks = engine.analyzer.lexicon.question_words
    about: list[str] = []
    asked: list[str] = []
    for word in topic.split():
        try:
            tokens = engine.question_tokens(word)
        except QuestionError:
            continue
        if any(t not in asks for t in tokens):
            about.append(word)
        elif tokens:
            asked.append(word)
    return " ".join(about), " ".join(asked)


def subject(engine: Engine, topic: str) -> str:
    """The topic less its question words: after "Redis 특징", "단점은?" asks about Redis's 단점, not its
    특징 (the maintainers' question words name an aspect; a follow-up brings its own)."""
    return _split_topic(engine, topic)[0]


def _same_aspect(engine: Engine, question: str, what: str, own: list[str], order_a: list[int]) -> str | None:
    """A question with a subject but no aspect of its own ("UDP는?" after "TCP 특징": UDP's 특징) takes
    the topic's aspect, when the section found so holds the question and more of the aspect; the question
    alone, when its own section already holds the aspect; else None (the subject rule decides)."""
    asks = engine.analyzer.lexicon.question_words
    if not own or any(t in asks for t in own) or not what or what in question:
        return None
    reading = combine(question, what)
    _, order_b, _, _ = engine.rank(reading, 1)
    if not order_b or not order_a:
        return None
    a, b = order_a[0], order_b[0]
    wanted = [t for t in engine.question_tokens(what) if t not in own]
    if a == b:  # the question alone already finds its subject's section on that aspect
        return question if wanted and engine.coverage(wanted, a) > 0 else None
    holds_question = engine.coverage(own, b) >= engine.coverage(own, a)
    return reading if holds_question and engine.coverage(wanted, b) > engine.coverage(wanted, a) else None


def choose(engine: Engine, question: str, topic: str) -> str:
    """``question``, or ``question`` + the topic's subject (or its aspect) when that clearly helps."""
    topic = topic.strip()
    own, order_a, _, _ = engine.rank(question, 1)
    subj, what = _split_topic(engine, topic)
    same = _same_aspect(engine, question, what, own, order_a)
    if same is not None:
        return same
    if not subj or subj in question:
        return question
    joined = combine(question, subj)
    # Coverage of the whole topic, its aspect included: a section on the same aspect stays closer.
    about = [t for t in dict.fromkeys(engine.question_tokens(topic)) if t not in own]
    both, order_b, _, _ = engine.rank(joined, 1)
    if not order_b or not about or engine.coverage(both, order_b[0]) < engine.tuning.min_confidence:
        return question  # the topic adds nothing, or even together nothing is found
    b = order_b[0]
    own_b = engine.coverage(own, b)
    if not order_a or engine.coverage(own, order_a[0]) < engine.tuning.min_confidence:
        # Declined alone: elliptic ("어떻게 해요?", nothing of its own) or about something else ("오늘
        # 점심 뭐 먹지"): the topic is used only when its section also holds most of what was asked.
        return joined if own_b >= ELLIPTIC else question
    a = order_a[0]
    if a == b:
        return question
    own_a = engine.coverage(own, a)
    top_a, top_b = engine.coverage(about, a), engine.coverage(about, b)
    return joined if own_b >= own_a - DROP and top_b >= top_a + GAIN else question
