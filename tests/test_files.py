"""Finding and reading note files (bot/notes/files.py); broken notes are warnings, never crashes."""

from __future__ import annotations

import codecs
import json
import os
import sys
from pathlib import Path

import pytest

from bot.errors import KnowledgeError
from bot.notes.files import decode_note, discover, read_note

ODD_NAMES = [
    "docker.md",
    "sub dir/노트 이름.md",
    "Computer Science/Network/HTTP & HTTPS.md",
    "C#/C# 기초 #1.md",
    "깊은/폴더/구조/끝.md",
    "UPPER.MD",
    "mixed.Md",
    "with bom.md",
    "_posts/2024-01-01-도커.md",  # Jekyll blogs keep notes in _posts/
]


def _tree(root: Path) -> Path:
    for rel in ODD_NAMES:
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        data = f"# {p.stem}\n본문\n".encode()
        p.write_bytes(codecs.BOM_UTF8 + data if "bom" in rel else data)
    for rel in ["readme.txt", "note.md.bak", "markdown", ".hidden.md", ".git/HEAD.md", ".cache/x.md"]:
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("# not a note\n", encoding="utf-8")
    (root / "_dictionary").mkdir()
    (root / "_dictionary" / "notes-about-words.md").write_text("# 사전\n", encoding="utf-8")
    (root / "folder.md").mkdir()  # a folder named like a note is not a note
    return root


def test_discover_finds_every_markdown_file_whatever_its_name(tmp_path: Path) -> None:
    found = discover(_tree(tmp_path))
    assert found == sorted(ODD_NAMES)
    assert all("\\" not in f for f in found)  # POSIX paths, relative to the folder


def test_read_note_with_and_without_bom(tmp_path: Path) -> None:
    _tree(tmp_path)
    plain, warn = read_note(tmp_path, "docker.md")
    bom, warn2 = read_note(tmp_path, "with bom.md")
    assert warn is None and warn2 is None and plain is not None and bom is not None
    assert plain.text == "# docker\n본문\n"
    assert bom.text == "# with bom\n본문\n"  # the BOM is gone
    assert bom.digest != plain.digest and len(bom.digest) == 64
    odd, _ = read_note(tmp_path, "C#/C# 기초 #1.md")
    assert odd is not None and odd.source == "C#/C# 기초 #1.md"


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (b"# \xed\x95\x9c\xff\xfe broken", "not valid UTF-8"),
        ("# 한글".encode("euc-kr"), "not valid UTF-8"),
        (b"# title\n\x00\x00binary", "NUL"),
        (b"# one line\n" + b"a" * 1_000_000 + b"\n", "line longer"),
        ("# 도커\n\n설치\n".encode("utf-16"), "UTF-16 text"),
    ],
    ids=["invalid-utf8", "euc-kr", "nul", "1mb-line", "utf-16"],
)
def test_broken_note_is_a_warning_naming_the_file(raw: bytes, fragment: str) -> None:
    text, warning = decode_note(raw, "폴더/망가진 노트.md")
    assert text is None
    assert warning is not None and warning.startswith("폴더/망가진 노트.md: skipped")
    assert fragment in warning
    assert "\n" not in warning


def test_crlf_and_lone_cr_become_lf() -> None:
    text, warning = decode_note(b"\xef\xbb\xbf# a\r\nb\rc\n", "n.md")
    assert warning is None and text == "# a\nb\nc\n"


def test_broken_notes_are_skipped_and_the_others_indexed(
    tmp_path: Path, build_engine, make_knowledge
) -> None:
    folder = make_knowledge(
        tmp_path / "k",
        {
            "good.md": "# 쿠버네티스 파드\n파드는 쿠버네티스에서 배포하는 가장 작은 단위다.\n",
            "more/redis.md": "# 레디스 캐시\n레디스는 메모리에 데이터를 두는 저장소다.\n",
            "more/gc.md": "# 자바 가비지 컬렉션\n쓰지 않는 객체의 메모리를 회수한다.\n",
            "bad/invalid.md": b"# \xff\xfe\xfd oops\n",
            "bad/nul.md": b"# nul\n\x00\n",
            "bad/huge line.md": b"# big\n" + "가".encode() * 400_000,
        },
    )
    engine = build_engine(folder)
    warnings = engine.report.warnings
    assert len(warnings) == 3, warnings
    for name in ("bad/invalid.md", "bad/nul.md", "bad/huge line.md"):
        assert sum(w.startswith(name + ":") for w in warnings) == 1, warnings
    assert {s.source for s in engine.index.sections} == {"good.md", "more/redis.md", "more/gc.md"}
    answer = engine.ask("쿠버네티스 파드가 뭐야")
    assert answer.answered and answer.best.section.source == "good.md"


@pytest.mark.skipif(sys.platform in ("darwin", "win32"), reason="needs a file system that takes any bytes")
def test_a_file_name_that_is_not_utf8_is_a_warning(tmp_path: Path, build_engine, make_knowledge) -> None:
    folder = make_knowledge(tmp_path / "k", seed=True)
    with open(os.path.join(os.fsencode(folder), b"\xff\xfe note.md"), "wb") as fh:
        fh.write("# 레디스\n캐시\n".encode())
    engine = build_engine(folder)
    (warning,) = engine.report.warnings
    assert warning == "\ufffd\ufffd note.md: skipped, the file name is not valid UTF-8 (rename the file)"
    assert {s.source for s in engine.index.sections} == {"docker.md"}
    json.dumps([s.source for s in engine.index.sections], ensure_ascii=False).encode("utf-8")


def test_missing_folder_is_a_clear_knowledge_error(tmp_path: Path, build_engine) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(KnowledgeError, match="knowledge folder not found") as err:
        discover(missing)
    assert str(missing) in str(err.value)
    with pytest.raises(KnowledgeError, match="not found"):
        build_engine(missing)


def test_a_file_is_not_a_knowledge_folder(tmp_path: Path) -> None:
    f = tmp_path / "note.md"
    f.write_text("# x\n", encoding="utf-8")
    with pytest.raises(KnowledgeError):
        discover(f)


@pytest.mark.parametrize(
    "notes",
    [
        {},
        {"empty.md": ""},
        {"only-heading.md": "# 제목만\n"},
        {"broken.md": b"\xff\xfe"},
        {"notes.txt": "# 확장자가 달라서 노트가 아니다\n본문\n"},
    ],
    ids=["no-files", "empty-note", "bare-heading", "only-broken", "only-txt"],
)
def test_folder_with_no_usable_note_is_a_clear_knowledge_error(
    tmp_path: Path, build_engine, notes: dict, make_knowledge
) -> None:
    folder = make_knowledge(tmp_path / "k", notes)
    with pytest.raises(KnowledgeError) as err:
        build_engine(folder)
    message = str(err.value)
    assert "no notes to index" in message and str(folder) in message
    assert "\n" not in message
    if "broken.md" in notes:
        assert "broken.md" in message  # the first warning says why
