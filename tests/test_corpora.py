"""Robustness on real public notes: ../shared/corpora (~290 Markdown files). Skipped when it is absent."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.notes.files import decode_note, discover
from bot.notes.markdown import parse_sections

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"  # CI: ../shared beside the clone
needs_corpora = pytest.mark.skipif(not CORPORA.is_dir(), reason=f"shared corpora not found at {CORPORA}")

pytestmark = [needs_corpora, pytest.mark.slow]


def corpora_files() -> list[Path]:
    if not CORPORA.is_dir():
        return []
    return sorted(p for p in CORPORA.rglob("*") if p.is_file() and p.suffix.lower() == ".md")


def test_discover_finds_every_note() -> None:
    found = discover(CORPORA)
    assert found == sorted(p.relative_to(CORPORA).as_posix() for p in corpora_files())
    assert len(found) >= 250


def test_every_file_parses_into_sane_sections() -> None:
    total = 0
    for path in corpora_files():
        source = path.relative_to(CORPORA).as_posix()
        text, warning = decode_note(path.read_bytes(), source)
        assert text is not None, warning
        lines = text.split("\n")
        sections = parse_sections(text, source)  # must never raise
        total += len(sections)
        keys = [(s.line, s.heading_path) for s in sections]
        assert len(keys) == len(set(keys)), source
        for s in sections:
            assert s.source == source
            assert 1 <= s.line <= len(lines), (source, s.line)
            assert s.heading_path and all(isinstance(h, str) and h for h in s.heading_path), (source, s)
            assert s.text.strip() and s.text in text, (source, s.line)  # the note's own Markdown
            assert 0 <= s.level <= 6
            has_sub = any(
                t is not s and t.heading_path[: len(s.heading_path)] == s.heading_path for t in sections
            )
            assert s.body.strip() or has_sub, (source, s.line, s.title)  # never an empty answer
    assert total >= 2000


def test_engine_over_seed_and_corpora(corpora_engine) -> None:
    r = corpora_engine.report
    assert r.files >= 250 and r.sections >= 2000
    assert r.warnings == ()
    assert {s.source for s in corpora_engine.index.sections} >= {"docker.md"}


@pytest.mark.parametrize(
    ("question", "source_part", "title_part"),
    [
        ("HTTP랑 HTTPS 차이가 뭐야?", "gyoogle", "HTTP"),
        ("TCP 3 way handshake", "gyoogle", "handshake"),
        ("데드락 발생 조건", "gyoogle", "데드락"),
        ("싱글톤 패턴이 뭐야", "gyoogle", "싱글톤"),
        ("도커와 EC2 차이", "docker.md", "EC2"),
        ("우분투에 도커 설치", "docker.md", "설치 방법"),
    ],
)
def test_questions_answer_from_the_corpora(corpora_engine, question: str, source_part: str, title_part: str):
    ans = corpora_engine.ask(question)
    assert ans.answered, (question, ans.suggestions)
    best = ans.best.section
    assert source_part in best.source and title_part.lower() in best.title.lower(), (best.source, best.title)


@pytest.mark.parametrize("question", ["김치찌개 레시피", "안녕", "손흥민 이번 시즌 몇 골?", "🐳", "은는이가"])
def test_off_topic_still_declined_with_the_corpora(corpora_engine, question: str) -> None:
    assert not corpora_engine.ask(question).answered


def test_install_distros_unchanged_by_the_corpora(corpora_engine) -> None:
    assert [(s.key, s.source) for s in corpora_engine.snippets] == [
        ("common", "docker.md"),
        ("ubuntu", "docker.md"),
        ("centos", "docker.md"),
    ]


def test_the_fast_parser_matches_markdown_it_py_on_the_corpora() -> None:
    """The same sections from markdown-it-pyrs as from markdown-it-py (the parser the bot used before and
    still uses for absurdly nested notes), but for rare CommonMark edge cases (one file of 288 here)."""
    from bot.notes import markdown

    files = corpora_files()
    differ = []
    for path in files:
        source = path.relative_to(CORPORA).as_posix()
        text, _ = decode_note(path.read_bytes(), source)
        assert text is not None
        fast = parse_sections(text, source)
        real = markdown._tree_blocks
        try:
            markdown._tree_blocks = lambda text, _root: markdown._safe_blocks(text)
            safe = parse_sections(text, source)
        finally:
            markdown._tree_blocks = real
        if fast != safe:
            differ.append(source)
    assert len(differ) <= len(files) // 100, differ
