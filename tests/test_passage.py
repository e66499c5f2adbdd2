"""Passages: the part of a section that answers the question (bot/answers/passage.py)."""

from __future__ import annotations

import re

from bot.answers.passage import LIMIT, Terms, in_chunk, select, units
from bot.notes.markdown import parse_sections
from bot.notes.section import Section


def _section(text: str, path: tuple[str, ...] = ("노트", "섹션")) -> Section:
    return Section("n.md", 1, path, 2, text, text)


def test_install_question_for_one_distro_gets_its_item_and_block_only(seed_engine):
    for q in ("우분투에 도커 설치", "우부투에 도커 설치하는법"):
        best = seed_engine.ask(q).best
        assert best is not None and best.section.title == "설치 방법"
        p = best.passage
        assert "apt-get install docker.io" in p and p.startswith("2. Ubuntu Linux")
        assert "yum" not in p and "chkconfig" not in p and "get.docker.com" not in p
        assert p.count("```") == 2  # the whole block, closed
    centos = seed_engine.ask("센토스 도커 설치").best.passage
    assert "yum install docker" in centos and "apt-get" not in centos


def test_passage_in_json_and_text_stays_the_section(seed_engine):
    best = seed_engine.ask("우분투에 도커 설치").best
    out = best.to_json()
    assert out["passage"] == best.passage and out["text"] == best.section.text
    assert len(out["passage"]) < len(out["text"])


def test_nothing_scores_gives_the_lead_not_the_sub_sections(seed_engine):
    best = seed_engine.ask("도커 단점").best  # both words are in the breadcrumb: the lead answers
    assert best.section.title == "단점"
    assert best.passage.startswith("1. 리눅스 운영체제에서만") and "제약 사항" not in best.passage


def test_sub_item_comes_with_its_parent_item():
    text = "## 섹션\n- 첫째 항목\n    - 도커 설명\n- 둘째 항목\n    - 다른 말\n"
    p = select(_section(text), Terms.of({"도커": 1.0}), fill=0)  # the pick alone (no filling, below)
    assert p == "- 첫째 항목\n    - 도커 설명"


def test_a_short_pick_takes_what_follows_it_up_to_a_sub_heading():
    """The question often repeats a label ("1. 기능적 의미의 서버"); its answer is on the next lines."""
    text = (
        "## 섹션\n1. 기능적 의미의 서버\n- 예: 웹 서버, 메일 서버(메일 기능을 제공)\n"
        "2. 물리적 컴퓨터로서의 서버\n### 다음 절\n관계없는 이야기\n"
    )
    terms = Terms.of({"기능적": 1.0})
    assert select(_section(text), terms, fill=0) == "1. 기능적 의미의 서버"
    p = select(_section(text), terms)
    assert p.startswith("1. 기능적 의미의 서버\n- 예: 웹 서버, 메일 서버(메일 기능을 제공)")
    assert "다음 절" not in p and "관계없는" not in p


def test_the_unit_inside_the_chunk_closest_in_meaning_scores_more():
    """A line inside the section's best chunk (index/vectors.py's text: the section's lines with spaces
    collapsed) is shown although another line holds more of the question's words."""
    first = "도커 이미지는 읽기 전용 템플릿이며 여러 계층으로 이루어진다."
    second = "도커 컨테이너는   이미지를 실행한 프로세스이고 격리된다."
    text = f"## 섹션\n{first}\n\n{second}\n"
    terms = Terms.of({"도커": 1.0, "템플릿": 1.0, "계층": 1.0})
    assert select(_section(text), terms, fill=0) == first
    chunk = "노트 > 섹션\n" + " ".join(second.split())
    assert second in select(_section(text), terms, fill=0, bonus=in_chunk(chunk, 2.5))


def test_a_title_naming_several_things_answers_with_the_sub_section_asked_for():
    """Every question word is in the breadcrumb ("도커 단점" on "도커의 장점과 단점"): the sub-section
    the question picks is shown, not the section's first sub-section; a one-subject title keeps its
    lead (the definition), even when a sub-heading repeats the subject."""
    text = "## 도커의 장점과 단점\n### 구조\n격리된 환경.\n### 장점\n1. 가볍다.\n"
    text += "### 단점\n1. 리눅스에서만 동작한다.\n"
    both = Section("n.md", 1, ("도커 노트", "도커의 장점과 단점"), 2, text, text)
    p = select(both, Terms.of({"도커": 1.0, "단점": 1.0}))
    assert p.startswith("### 단점") and "리눅스에서만" in p and "가볍다" not in p and "격리" not in p
    text = "## 다익스트라 알고리즘\n최단 경로를 구한다.\n### 다익스트라 적용 시 알아야 할 점\n양수 간선만.\n"
    one = Section("n.md", 1, ("그래프", "다익스트라 알고리즘"), 2, text, text)
    assert select(one, Terms.of({"다익스트라": 1.0})).startswith("최단 경로를 구한다.")


def test_code_blocks_are_never_cut_and_may_exceed_the_limit():
    code = "\n".join(f"echo {i} docker" for i in range(200))
    text = f"## 섹션\n설명 한 줄\n\n실행 방법:\n```bash\n{code}\n```\n끝.\n"
    p = select(_section(text), Terms.of({"docker": 1.0}))
    assert p.startswith("실행 방법:\n```bash") and p.endswith("```") and len(p) > LIMIT


def test_one_long_line_is_cut_into_sentences_and_a_huge_one_clipped():
    filler = "이것은 관계없는 문장이다. " * 40
    text = f"## 섹션\n{filler}컨테이너는 격리된 실행 환경이다. {filler}\n"
    p = select(_section(text), Terms.of({"컨테이너": 1.0}), fill=0)
    assert p == "컨테이너는 격리된 실행 환경이다."
    huge = "## 섹션\n" + "가" * 20_000 + "\n"
    assert len(select(_section(huge), Terms.of({"나": 1.0}))) <= LIMIT


def test_table_rows_come_with_their_header():
    text = "## 섹션\n| 이름 | 뜻 |\n|---|---|\n| 도커 | 컨테이너 |\n| 쿠버 | 오케스트레이션 |\n"
    p = select(_section(text), Terms.of({"오케스트레이션": 1.0}))
    assert p == "| 이름 | 뜻 |\n|---|---|\n| 쿠버 | 오케스트레이션 |"


def test_ascii_forms_match_at_word_starts_and_aliases_count():
    text = "## 섹션\nsection one\nEC2 instance\n"
    assert select(_section(text), Terms.of({"ec": 1.0})) == "EC2 instance"
    terms = Terms.of({"우분투": 1.0}, lambda t: ("ubuntu",))
    assert select(_section("## s\n- CentOS\n- Ubuntu 22.04\n"), terms) == "- Ubuntu 22.04"


def test_units_keep_items_and_fences_whole():
    note = "# T\n## A\n1. 하나\n   이어지는 줄\n2. 둘\n```sh\n# 주석\n```\n"
    (section,) = [s for s in parse_sections(note, "t.md") if s.title == "A"]
    parts = units(section.text)
    shown = [section.text[u.start : u.end] for u in parts]
    assert shown == ["1. 하나\n   이어지는 줄", "2. 둘\n```sh\n# 주석\n```"]
    assert all(s.count("```") % 2 == 0 for s in shown)
    assert not re.search(r"^## A", "\n".join(shown))


def test_lead_skips_lines_that_show_nothing_and_code_inside_an_item_comes_with_it():
    text = "## 섹션\n<br>\n---\n</div>\n정의 문장이다.\n<br>\n"
    assert select(_section(text), Terms.of({"없는말": 1.0})) == "정의 문장이다."
    text = (
        "## 섹션\n- 도커 실행 방법은 아래처럼 길게 설명한다. "
        + "설명 " * 50
        + "\n\n    ```sh\n    docker run x\n    ```\n- 다른 것\n"
    )
    p = select(_section(text), Terms.of({"도커": 1.0}))
    assert p.startswith("- 도커 실행") and p.endswith("```") and "docker run x" in p and "다른 것" not in p


def test_an_unclosed_fence_is_one_unit_to_the_end():
    text = "## 섹션\n설명\n```py\nprint(1)\n# 도커\n"
    (code,) = [u for u in units(text) if u.kind == "code"]
    assert text[code.start : code.end].rstrip("\n").endswith("# 도커")
    assert select(_section(text), Terms.of({"도커": 1.0})).startswith("설명\n```py")


def test_a_note_that_opens_with_a_chapter_leads_with_the_line_saying_what_it_is(seed_engine):
    """The seed's top section has no body before "## 설치 방법": "도커가 뭐야?" once showed the install
    scripts. The lead is the first line that makes the subject its topic ("Docker는 ..."), with its
    sub-heading; a lead that already does so (or a section with a body of its own) is kept."""
    best = seed_engine.ask("도커가 뭐야?").best
    assert best is not None and best.section.line == 1
    assert "Docker는 주로 서버에 사용된다" in best.passage and "apt-get" not in best.passage
    assert "격리시키는 기능" in best.passage  # its sub-heading, shown as context
    text = "# Redis\n## 설치\n\nbrew install redis\n\n## 특징\n\nRedis는 인메모리 저장소다.\n"
    redis = _section(text, ("Redis",))
    terms = Terms.of({"redis": 1.0})
    assert "Redis는 인메모리" in select(redis, terms)
    lead = _section("# Redis\n## Redis란?\n\n인메모리 저장소.\n\n## 특징\n\nRedis는 빠르다.\n", ("Redis",))
    assert "인메모리 저장소" in select(lead, terms) and "빠르다" not in select(lead, terms)
