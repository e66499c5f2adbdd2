"""The Markdown path never takes a command down: markdown-it-pyrs panics (a BaseException) on some
ordinary lines, and every fragment a note could hold must still give sections (fuzzed with hypothesis)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.notes.markdown import blocks, parse_sections

PANICS = "# 링크\n\n인덱스는 [링크 `코드 처럼 쓴다\n\n## 다음\n\n본문\n"

# Pieces real notes are made of: brackets, backticks, fences, HTML, tables, lists, quotes, headings.
PIECES = [
    "[", "]", "(", ")", "`", "``", "```", "```bash\n", "~~~", "*", "**", "_", "~~", "!", "![",
    "<br>", "<img src='a.png'>", "<div>", "</div>", "<details>", "&nbsp;", "&", "<", ">", "\\",
    "# ", "## ", "### ", "\n", "\n\n", "---\n", "===\n", "- ", "* ", "1. ", "> ", "    ", "\t",
    "| a | b |\n", "|---|---|\n", "| 1 | 2 |\n", "[^1]", "[^1]: 각주\n", "[ref]: http://x.y\n",
    "http://example.com", "<http://x.y>", "도커", "설치", "EC2", "인덱스는 ", "링크 ", "코드 ", " ", "\ufeff",
]  # fmt: skip
fragments = st.lists(st.sampled_from(PIECES), max_size=40).map("".join)


def test_the_reported_line_parses_and_is_named() -> None:
    told: list[str] = []
    sections = parse_sections(PANICS, "bad.md", told.append)
    assert [s.title for s in sections] == ["링크", "다음"]
    assert "인덱스는 [링크 `코드 처럼 쓴다" in sections[0].body
    assert told == ["bad.md: markdown-it-pyrs fails near line 3; read with markdown-it-py"]


def test_install_snippets_of_such_a_section_do_not_panic() -> None:
    # Install snippets are worked out from section text on first use: the same fallback must hold there.
    assert [b.kind for b in blocks("[a `b\n```bash\napt-get install x\n```\n")] == ["text", "fence"]


def test_no_panic_text_reaches_stderr() -> None:
    code = f"from bot.notes.markdown import parse_sections;print(len(parse_sections({PANICS!r}, 'bad.md')))"
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=root,
        timeout=60,
        env={"RUST_BACKTRACE": "1", "PATH": "/usr/bin:/bin"},
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "2"
    assert "panicked" not in out.stderr and "backtrace" not in out.stderr


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fragments)
def test_any_fragment_gives_sections(text: str) -> None:
    told: list[str] = []
    sections = parse_sections(text, "fuzz.md", told.append)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for sec in sections:
        assert 1 <= sec.line <= len(lines)
        assert sec.title
    assert all(msg.startswith("fuzz.md: ") for msg in told)
