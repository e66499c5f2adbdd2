"""Install snippets per distro, read from the notes' install sections (bot/notes/install.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import UnknownDistroError
from bot.notes.install import find_install_snippets, lookup
from bot.notes.markdown import parse_sections
from bot.tokens.lexicon import load_lexicon

KNOWLEDGE = Path(__file__).resolve().parents[1] / "knowledge"
SEED_NOTE = Path(__file__).resolve().parents[1] / "knowledge" / "docker.md"

NOTE_LINES = SEED_NOTE.read_text(encoding="utf-8").split("\n")
DISTROS = load_lexicon(KNOWLEDGE).distros


def fence_after(lines: list[str], label_line: int) -> tuple[str, str]:
    """(language, code) of the first fenced block after the 1-based label line, read by hand."""
    i = label_line  # 0-based index of the line after the label
    while not lines[i].startswith("```"):
        i += 1
    lang = lines[i][3:].strip()
    j = i + 1
    while not lines[j].startswith("```"):
        j += 1
    return lang, "\n".join(lines[i + 1 : j])


def snippets_of(text: str) -> dict:
    return {s.key: s for s in find_install_snippets(parse_sections(text, "n.md"), DISTROS)}


# -- the seed note -------------------------------------------------------------------------------------
def test_seed_distros_come_from_the_note(seed_engine) -> None:
    assert [s.key for s in seed_engine.snippets] == ["common", "ubuntu", "centos"]
    assert {s.title for s in seed_engine.snippets} == {"공통 스크립트", "Ubuntu Linux", "CentOS"}
    ubuntu = seed_engine.install("ubuntu")
    assert {"ubuntu", "우분투", "Ubuntu Linux"} <= set(ubuntu.names)
    assert len(ubuntu.names) == len(set(ubuntu.names))  # listed once each (install --json shows them)


@pytest.mark.parametrize(
    ("asked", "key"),
    [
        ("ubuntu", "ubuntu"),
        ("Ubuntu", "ubuntu"),
        ("UBUNTU", "ubuntu"),
        ("우분투", "ubuntu"),
        ("Ubuntu Linux", "ubuntu"),
        ("ubu", "ubuntu"),
        ("centos", "centos"),
        ("CentOS", "centos"),
        ("센토스", "centos"),
        ("cent", "centos"),
        ("common", "common"),
        ("공통", "common"),
        ("공통 스크립트", "common"),
        ("get.docker.com", "common"),
    ],
)
def test_korean_and_english_names_find_the_distro(seed_engine, asked: str, key: str) -> None:
    assert seed_engine.install(asked).key == key


@pytest.mark.parametrize("key", ["common", "ubuntu", "centos"])
def test_snippet_is_the_fenced_code_of_the_note(seed_engine, key: str) -> None:
    snip = seed_engine.install(key)
    assert snip.source == "docker.md"
    assert snip.title in NOTE_LINES[snip.line - 1]  # the line of the list item that labels the fence
    lang, code = fence_after(NOTE_LINES, snip.line)
    assert snip.snippet == code
    assert snip.language == lang == "bash"


def test_ubuntu_snippet_exactly(seed_engine) -> None:
    snip = seed_engine.install("우분투")
    assert snip.line == 9 and snip.display_ko == "우분투"
    assert snip.snippet == (
        "sudo apt-get update\n"
        "sudo apt-get install docker.io\n"
        "# sudo apt-get install docker.io -y\n"
        "# docker 서비스 실행\n"
        "sudo service docker start\n"
        "# 권한 부여\n"
        "sudo chmod 666 /var/run/docker.sock"
    )
    assert snip.to_json() == {
        "distro": "ubuntu",
        "title": "Ubuntu Linux",
        "snippet": snip.snippet,
        "language": "bash",
        "source": "docker.md",
        "line": 9,
    }
    assert "yum" in seed_engine.install("centos").snippet  # the seed's 'uym' typo is fixed in knowledge/


@pytest.mark.parametrize("asked", ["debian", "데비안", "windows", "", "   ", "u", "ubuntu; rm -rf /", "🐧"])
def test_unknown_distro_lists_the_known_ones(seed_engine, asked: str) -> None:
    with pytest.raises(UnknownDistroError) as err:
        seed_engine.install(asked)
    assert err.value.known == ["common", "ubuntu", "centos"]
    message = str(err.value)
    assert "\n" not in message
    for key in ("common", "ubuntu", "centos"):
        assert key in message


# -- other notes ---------------------------------------------------------------------------------------
def test_a_debian_item_in_the_note_adds_a_debian_distro(tmp_path: Path, build_engine, make_knowledge) -> None:
    lines = list(NOTE_LINES)
    end_of_centos = next(i for i in range(19, len(lines)) if lines[i] == "```")
    extra = ["4. Debian", "```sh", "sudo apt install docker.io", "sudo systemctl enable --now docker", "```"]
    lines[end_of_centos + 1 : end_of_centos + 1] = extra
    folder = make_knowledge(tmp_path / "knowledge", {"docker.md": "\n".join(lines)})
    engine = build_engine(folder)
    assert [s.key for s in engine.snippets] == ["common", "ubuntu", "centos", "debian"]
    deb = engine.install("데비안")
    assert deb.key == "debian" and deb.title == "Debian" and deb.language == "sh"
    assert deb.snippet == "sudo apt install docker.io\nsudo systemctl enable --now docker"
    assert deb.line == end_of_centos + 2 and lines[deb.line - 1] == "4. Debian"
    assert engine.install("ubuntu").snippet == fence_after(NOTE_LINES, 9)[1]  # the others unchanged


def test_labels_are_matched_to_the_best_named_distro() -> None:
    # "install" contains common's alias "all"; "스크립트" is also one of common's names
    got = snippets_of(
        "## 설치\n"
        "1. 공통 스크립트\n```bash\ncurl -fsSL https://get.docker.com | sh\n```\n"
        "2. Alpine Linux (install)\n```sh\napk add docker\n```\n"
        "3. Rocky Linux 9 minimal install\n```bash\ndnf install docker-ce\n```\n"
        "4. Debian 12 (설치 스크립트)\n```bash\napt install docker.io\n```\n"
        "5. Amazon Linux 2\n```bash\nsudo yum install docker\n```\n"
    )
    assert {k: s.snippet for k, s in got.items()} == {
        "common": "curl -fsSL https://get.docker.com | sh",
        "alpine": "apk add docker",
        "rocky": "dnf install docker-ce",
        "debian": "apt install docker.io",
        "amazon": "sudo yum install docker",
    }


@pytest.mark.parametrize(
    ("label", "key"),
    [
        ("CentOS7", "centos"),
        ("Ubuntu 22.04", "ubuntu"),
        ("우분투에서 설치", "ubuntu"),
        ("Ubuntu에서는", "ubuntu"),
        ("맥에서 설치", "macos"),
        ("Red Hat Enterprise Linux", "rhel"),
        ("그 다음 Elasticsearch 인덱스를 생성하면 설치가 끝납니다.", None),  # not "arch"
        ("맥락에 따라 다르다", None),  # not "맥" (macos)
        ("Windowsill garden", None),  # not "win"
        ("install everything", None),  # not "all"
    ],
)
def test_distro_names_are_whole_words(label: str, key: str | None) -> None:
    got = snippets_of(f"## 설치\n{label}\n```bash\necho hi\n```\n")
    assert list(got) == ([key] if key else [])


def test_two_fences_under_one_label_are_one_snippet() -> None:
    got = snippets_of(
        "## Install\nUbuntu\n```bash\nsudo apt-get update\n```\n```bash\nsudo apt-get install x\n```\n"
    )
    assert got["ubuntu"].snippet == "sudo apt-get update\nsudo apt-get install x"


def test_only_install_sections_and_only_their_own_body() -> None:
    got = snippets_of(
        "## 사용법\nUbuntu\n```bash\ndocker run hello-world\n```\n"  # not an install section
        "## 설치\n그냥 설명\n```bash\necho no distro label\n```\n"  # label names no distro
        "### 하위 절\nCentOS\n```bash\nsudo yum install docker\n```\n"  # a sub-section's fence
    )
    assert got == {}


def test_no_install_section_means_no_distros(tmp_path: Path, build_engine, make_knowledge) -> None:
    notes = {
        "a.md": "# 레디스\n레디스는 메모리 저장소다.\n",
        "b.md": "# 자바\n자바는 언어다.\n",
        "c.md": "# 깃\n깃은 버전 관리 도구다.\n",
    }
    engine = build_engine(make_knowledge(tmp_path / "k", notes))
    assert engine.snippets == []
    with pytest.raises(UnknownDistroError, match="none"):
        engine.install("ubuntu")


def test_lookup_on_an_empty_list() -> None:
    with pytest.raises(UnknownDistroError) as err:
        lookup([], "ubuntu")
    assert err.value.known == []
