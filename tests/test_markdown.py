"""Markdown -> sections (bot/notes/markdown.py): a CommonMark parse, not line regexes."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from bot.notes.markdown import parse_sections
from bot.notes.section import Section

SEED_NOTE = Path(__file__).resolve().parents[1] / "knowledge" / "docker.md"


def by_title(sections: list[Section]) -> dict[str, Section]:
    return {s.title: s for s in sections}


def titles(text: str, source: str = "note.md") -> list[str]:
    return [s.title for s in parse_sections(text, source)]


# -- fenced and indented code -------------------------------------------------------------------------
FENCED = """\
# 도커 노트

## 설치
```bash
# 이 줄은 bash 주석이지 제목이 아니다
sudo apt-get install docker.io
## 이것도 주석
```

~~~sh
# 물결 펜스 안의 주석
~~~

    # 들여쓴 코드 블록 안의 샵
    echo hi

## 다음 절
본문
"""


def test_hash_lines_inside_code_are_not_headings() -> None:
    secs = parse_sections(FENCED, "note.md")
    assert [s.title for s in secs] == ["도커 노트", "설치", "다음 절"]
    install = by_title(secs)["설치"]
    # the code is part of the section, fences intact, and its words are indexed
    assert (
        "```bash\n# 이 줄은 bash 주석이지 제목이 아니다\nsudo apt-get install docker.io\n## 이것도 주석\n```"
        in (install.text)
    )
    assert "~~~sh\n# 물결 펜스 안의 주석\n~~~" in install.text
    assert "sudo apt-get install docker.io" in install.body
    assert "# 들여쓴 코드 블록 안의 샵" in install.body
    assert "다음 절" not in install.text  # the span stops at the next heading of the same level


# -- setext headings -----------------------------------------------------------------------------------
def test_setext_headings() -> None:
    text = "큰 제목\n===\n\n서문 문단\n\n참고 도서\n---\n그림과 실습으로 배우는 도커\n"
    secs = parse_sections(text, "book.md")
    assert [(s.title, s.level, s.line) for s in secs] == [("큰 제목", 1, 1), ("참고 도서", 2, 6)]
    ref = secs[1]
    assert ref.heading_path == ("큰 제목", "참고 도서")
    assert "그림과 실습으로 배우는 도커" in ref.body
    assert ref.text.startswith("참고 도서\n---")


def test_thematic_break_after_blank_line_is_not_a_heading() -> None:
    secs = parse_sections("## 절\n첫 문단\n\n---\n\n둘째 문단\n", "n.md")
    assert [s.title for s in secs] == ["절"]
    assert "첫 문단" in secs[0].body and "둘째 문단" in secs[0].body


def test_seed_setext_reference_section() -> None:
    secs = parse_sections(SEED_NOTE.read_text(encoding="utf-8"), "docker.md")
    ref = by_title(secs)["참고 도서"]
    assert (ref.level, ref.line) == (2, 94)
    # the level-5 heading under it has no text of its own: not a section, but its words stay searchable
    assert not any(s.title.startswith("그림과 실습으로") for s in secs)
    assert "그림과 실습으로 배우는 도커 & 쿠버네티스(위키북스)" in ref.body


# -- lists, tables, HTML, images -----------------------------------------------------------------------
def test_lists_keep_item_text_without_markers() -> None:
    text = "## 장점\n1. 독립된 환경\n    - 여러 컨테이너를 띄움\n2. 이미지를 만들 수 있다\n* 별표 항목\n"
    body = parse_sections(text, "n.md")[0].body
    for item in ("독립된 환경", "여러 컨테이너를 띄움", "이미지를 만들 수 있다", "별표 항목"):
        assert item in body.splitlines()
    assert not re.search(r"^\s*(\d+\.|[-*])\s", body, re.MULTILINE)


def test_table_cells_are_text_without_pipes() -> None:
    text = "## 비교\n| 이름 | 설명 |\n|---|---|\n| 도커 | 컨테이너 **엔진** |\n| VM | 가상 머신 |\n"
    sec = parse_sections(text, "n.md")[0]
    for cell in ("이름", "설명", "도커", "컨테이너 엔진", "VM", "가상 머신"):
        assert cell in sec.body
    assert "|" not in sec.body and "---" not in sec.body and "**" not in sec.body
    assert "| 도커 | 컨테이너 **엔진** |" in sec.text  # the answer shows the table as written


def test_html_block_and_br() -> None:
    text = (
        "## HTML\n"
        '<div align="center">\n<b>굵은 글씨</b><br>다음 줄<br/>셋째 줄\n</div>\n\n'
        "인라인 첫 줄<br>인라인 둘째 줄<BR />셋째\n"
    )
    body = parse_sections(text, "n.md")[0].body
    assert "<" not in body and ">" not in body
    assert "align" not in body
    for word in ("굵은 글씨", "다음 줄", "셋째 줄"):
        assert word in body
    lines = [ln.strip() for ln in body.splitlines()]
    assert "인라인 첫 줄" in lines and "인라인 둘째 줄" in lines  # <br> breaks the line


def test_image_alt_text_indexed_not_url_and_links_keep_their_text() -> None:
    text = (
        "## 구조\n"
        "![도커 구조 그림](https://example.com/img/architecture-diagram.png)\n\n"
        "자세한 내용은 [공식 문서](https://docs.example.org/engine/) 참고\n"
    )
    sec = parse_sections(text, "n.md")[0]
    assert "도커 구조 그림" in sec.body and "공식 문서" in sec.body
    assert "example" not in sec.body and "architecture" not in sec.body and "http" not in sec.body
    assert "https://example.com/img/architecture-diagram.png" in sec.text  # shown as written


def test_emphasis_and_inline_code_in_titles_and_bodies() -> None:
    text = (
        "### **데이터 또는 프로그램을 격리시키는 기능**을 제공하는 `docker` 소프트웨어\n"
        "- 본문 *강조* `docker.sock`\n"
    )
    sec = parse_sections(text, "n.md")[0]
    assert sec.title == "데이터 또는 프로그램을 격리시키는 기능을 제공하는 docker 소프트웨어"
    assert sec.body == "본문 강조 docker.sock"


# -- front matter --------------------------------------------------------------------------------------
FRONT = """\
---
title: "도커 정리 노트"
tags: [비밀태그, 숨은단어]
date: 2024-01-01
---
서문 한 줄

## 설치
내용
"""


def test_front_matter_is_not_a_section_and_gives_the_title() -> None:
    secs = parse_sections(FRONT, "notes/front.md")
    assert [(s.heading_path, s.line) for s in secs] == [
        (("도커 정리 노트",), 6),
        (("도커 정리 노트", "설치"), 8),
    ]
    for s in secs:
        assert "비밀태그" not in s.body and "tags" not in s.body and "date" not in s.text
    assert secs[0].level == 0 and secs[0].text == "서문 한 줄"


def test_front_matter_title_not_repeated_when_the_first_heading_says_it() -> None:
    text = "---\ntitle: 도커\n---\n# 도커\n본문\n## 설치\n내용\n"
    assert [s.heading_path for s in parse_sections(text, "d.md")] == [("도커",), ("도커", "설치")]


def test_front_matter_without_title_uses_the_file_name() -> None:
    text = "---\nlayout: post\n---\n서문\n"
    secs = parse_sections(text, "blog/2024-01-01-도커 정리.md")
    assert [s.heading_path for s in secs] == [("2024-01-01-도커 정리",)]
    assert "layout" not in secs[0].body


# -- headings with no text of their own ----------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "# 제목만\n",
        "# 제목만\n\n\n",
        "# A\n<!-- 주석만 -->\n",
        "",
        "\n\n   \n",
    ],
)
def test_notes_of_bare_headings_give_no_section(text: str) -> None:
    assert parse_sections(text, "bare.md") == []


def test_bare_heading_never_comes_back_but_its_siblings_do() -> None:
    text = "# 노트\n## 빈 제목\n## 내용 있는 제목\n본문\n### 빈 하위 제목\n## 또 빈 제목\n"
    secs = parse_sections(text, "n.md")
    assert [s.title for s in secs] == ["노트", "내용 있는 제목"]
    assert "빈 하위 제목" in by_title(secs)["내용 있는 제목"].body  # still searchable via its parent


def test_a_heading_whose_only_content_is_a_sub_heading_keeps_it_as_text() -> None:
    # like the seed's "참고 도서" whose only line is a "##### book title" heading
    secs = parse_sections("## 하나\n## 둘\n### 셋\n", "n.md")
    assert [(s.title, s.body, s.text) for s in secs] == [("둘", "셋", "## 둘\n### 셋")]


def test_every_section_has_its_own_text_or_sub_sections() -> None:
    for s in (secs := parse_sections(SEED_NOTE.read_text(encoding="utf-8"), "docker.md")):
        has_child = any(t.heading_path[: len(s.heading_path)] == s.heading_path and t is not s for t in secs)
        assert s.body.strip() or has_child, s


# -- heading path, source, lines -----------------------------------------------------------------------
def test_heading_path_is_the_breadcrumb() -> None:
    text = "# A\n서문\n## B\nb\n### C\nc\n#### D\nd\n## E\ne\n### F\nf\n# G\ng\n#### H\nh\n"
    got = {s.title: s.heading_path for s in parse_sections(text, "n.md")}
    assert got == {
        "A": ("A",),
        "B": ("A", "B"),
        "C": ("A", "B", "C"),
        "D": ("A", "B", "C", "D"),
        "E": ("A", "E"),
        "F": ("A", "E", "F"),
        "G": ("G",),
        "H": ("G", "H"),  # a skipped level still nests under the nearest shallower heading
    }


def test_section_text_spans_its_sub_sections_and_stops_at_a_sibling() -> None:
    text = "# A\na\n## B\nb\n### C\nc\n## E\ne\n"
    secs = by_title(parse_sections(text, "n.md"))
    assert secs["B"].text == "## B\nb\n### C\nc"
    assert secs["B"].body == "b"
    assert secs["A"].text == text.rstrip()


def test_text_before_the_first_heading_is_a_preamble_section() -> None:
    secs = parse_sections("\n\n서문 첫 줄\n둘째 줄\n\n# 제목\n본문\n", "폴더/서문 노트.md")
    pre = secs[0]
    assert (pre.level, pre.line, pre.heading_path, pre.source) == (0, 3, ("서문 노트",), "폴더/서문 노트.md")
    assert pre.text == "서문 첫 줄\n둘째 줄"


def test_seed_note_sources_and_one_based_lines() -> None:
    raw = SEED_NOTE.read_text(encoding="utf-8")
    lines = raw.split("\n")
    secs = parse_sections(raw, "docker.md")
    assert len(secs) == 18
    for s in secs:
        assert s.source == "docker.md"
        heading = lines[s.line - 1]
        assert s.title in re.sub(r"[*`]", "", heading), (s.line, heading)
        assert s.text.split("\n")[0].rstrip() == heading.rstrip()
        assert s.text in raw  # the answer is the note's own Markdown, code fences intact
    got = {s.title: s.line for s in secs}
    assert got["🧢 Docker"] == 1
    assert got["설치 방법"] == 3
    assert got["단점"] == 40
    assert got["AWS EC2"] == 83
    install = by_title(secs)["설치 방법"]
    assert install.text.count("```") == 6
    assert "sudo chmod 666 /var/run/docker.sock\n```" in install.text
    assert by_title(secs)["AWS EC2"].heading_path == ("🧢 Docker", "❗ 도커와 AWS EC2의 차이", "AWS EC2")


# -- BOM and line endings ------------------------------------------------------------------------------
def test_bom_and_crlf_give_the_same_sections() -> None:
    lf = "# 제목\n\n본문 줄\n\n## 둘째\n내용\n```bash\n# 주석\n```\n"
    expected = parse_sections(lf, "n.md")
    for variant in (
        "\ufeff" + lf,
        lf.replace("\n", "\r\n"),
        "\ufeff" + lf.replace("\n", "\r\n"),
        lf.replace("\n", "\r"),
    ):
        got = parse_sections(variant, "n.md")
        assert got == expected, repr(variant[:20])
    assert [s.title for s in expected] == ["제목", "둘째"]
    assert all("\r" not in s.text and "\ufeff" not in s.text for s in expected)


# -- random documents ----------------------------------------------------------------------------------
FRAGMENTS = [
    "# 제목", "## 둘째 제목", "### 셋", "###### 여섯", "#", "##   ", "# #", "본문 문장", "- 항목", "  - 하위",
    "1. 번호", "```bash", "```", "~~~", "    코드", "> 인용", "> # 인용 제목", "| a | b |", "|---|---|",
    "| 1 | 2 |", "<div>", "</div>", "<br>", "![alt](u.png)", "---", "===", "", "", "title: 앞",
    "<!-- c -->", "\t탭", "* * *", "#해시태그", "## 닫는 해시 ##", "<details><summary>요약</summary>",
    "</details>", "[^1]: 각주", "\\# 이스케이프",
]  # fmt: skip


@pytest.mark.parametrize("seed", range(4))
def test_random_documents_keep_the_invariants(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(500):
        lines = [rng.choice(FRAGMENTS) for _ in range(rng.randint(0, 25))]
        if rng.random() < 0.2:
            lines = ["---", "title: 앞", "---", *lines]
        text = "\n".join(lines)
        raw = ("\ufeff" if rng.random() < 0.1 else "") + (
            text.replace("\n", "\r\n") if rng.random() < 0.1 else text
        )
        secs = parse_sections(raw, "f.md")  # never raises
        starts = [s.line for s in secs]
        assert starts == sorted(set(starts)), text
        for s in secs:
            assert 1 <= s.line <= len(lines) and s.text.strip() and s.text in text, (text, s)
            assert s.heading_path and all(s.heading_path), (text, s)
            has_sub = any(
                t.level > s.level and t.heading_path[: len(s.heading_path)] == s.heading_path for t in secs
            )
            assert s.body.strip() or has_sub, (text, s)


# -- the two parsers: markdown-it-pyrs, and markdown-it-py for absurdly nested notes ----------------------
def _shown(blocks) -> list:
    return [b for b in blocks if b.text.strip() or b.kind in ("heading", "front_matter")]


def test_fast_and_safe_parsers_agree_on_random_documents() -> None:
    """The Rust tree and markdown-it-py's tokens give the same blocks; CommonMark edge cases where the
    two ports differ (a table or a numbered line lazily continuing a quote) are rare."""
    from bot.notes.markdown import _rust_tree, _safe_blocks, _tree_blocks

    rng = random.Random(11)
    differ = 0
    for _ in range(2000):
        lines = [rng.choice(FRAGMENTS) for _ in range(rng.randint(0, 25))]
        if rng.random() < 0.2:
            lines = ["---", "title: 앞", "---", *lines]
        text = "\n".join(lines) + "\n"
        root = _rust_tree(text)
        if root is not None:  # where the Rust parser panics, markdown-it-py is used anyway
            differ += _shown(_tree_blocks(text, root)) != _shown(_safe_blocks(text))
    assert differ <= 20, differ


DEEP = {
    "quotes": '">" * 200_000 + " 깊다"',
    "bullets": '"- " * 50_000 + "a"',
    "numbers": '"1. " * 30_000 + "a"',
    "quoted lists": '"> - " * 20_000 + "a"',
    "strong": '"**" * 50_000 + "a" + "**" * 50_000',
    "emphasis": '"*a " * 45_000 + "b" + " a*" * 45_000',
    "strike": '"~~a " * 45_000 + "b" + " a~~" * 45_000',
    "images": '"![a " * 60_000 + "b" + " a](u)" * 60_000',
    "indented lists": '"".join("  " * k + "- a\\n" for k in range(2_000))',
}
DEEP_CHILD = """
import sys
from bot.notes.markdown import parse_sections
for name, expr in DEEP.items():
    print(name, flush=True)
    parse_sections(eval(expr), "deep.md")
print("done", flush=True)
"""


@pytest.mark.slow
def test_absurd_nesting_never_crashes_the_process() -> None:
    """The Rust parser recurses per nesting level: these notes would overflow its stack (a segfault that
    would take the bot down). They go to markdown-it-py instead. Run in a child process, so a crash is
    a failed test naming the shape, not a dead test run."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    proc = subprocess.run(
        [sys.executable, "-c", f"DEEP = {DEEP!r}\n{DEEP_CHILD}"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=600,
    )
    lines = proc.stdout.split()
    assert proc.returncode == 0 and lines[-1:] == ["done"], (proc.returncode, lines[-1:], proc.stderr[-500:])


def test_notes_that_could_nest_deep_take_the_safe_parser(monkeypatch) -> None:
    from bot.notes import markdown

    def refuse(text: str, root: object = None):
        raise AssertionError("the Rust parser got a deep note")

    deep = ["> " * 600 + "인용", "**a " * 3_000 + "끝" + " a**" * 3_000, "![a " * 10_001]
    monkeypatch.setattr(markdown, "_tree_blocks", refuse)
    for text in deep:
        assert isinstance(parse_sections(text, "deep.md"), list)
    with pytest.raises(AssertionError, match="Rust parser"):
        parse_sections(SEED_NOTE.read_text(encoding="utf-8"), "docker.md")  # an ordinary note does not


def test_verbose_logging_keeps_the_safe_parsers_debug_out() -> None:
    import logging

    from bot.config import parse_config
    from bot.logs import setup_logging

    class Seen(logging.Handler):
        def __init__(self) -> None:
            super().__init__(logging.DEBUG)
            self.names: list[str] = []

        def emit(self, record: logging.LogRecord) -> None:
            self.names.append(record.name)

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    seen = Seen()
    try:
        setup_logging(parse_config({}), verbose=True)  # -v: the bot's own DEBUG lines are wanted
        root.addHandler(seen)  # after: setup_logging replaces the root's handlers
        logging.getLogger("bot.test").debug("kept")
        parse_sections("> " * 600 + "인용\n\n본문 문단\n", "deep.md")  # markdown-it-py's path
        assert "bot.test" in seen.names
        assert not [n for n in seen.names if n.startswith("markdown_it")]  # one DEBUG line per block
    finally:
        root.handlers[:], root.level = handlers, level
        logging.getLogger("markdown_it").setLevel(logging.NOTSET)
