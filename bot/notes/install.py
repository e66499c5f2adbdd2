"""Install snippets per Linux distro, read from the notes' install sections (never hard-coded).

An install section is one whose title says 설치/install. Inside it, each list item (or paragraph) label
followed by a fenced code block is a candidate; a label that names a distro from
knowledge/_dictionary/distros.txt ("2. Ubuntu Linux" -> ubuntu) becomes that distro's snippet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.errors import UnknownDistroError
from bot.notes.markdown import blocks
from bot.notes.section import Section

_INSTALL_TITLE = re.compile(r"설치|install", re.IGNORECASE)
_NON_WORD = re.compile(r"[\W_]+")
_HANGUL = re.compile(r"[가-힣]")


def _norm(s: str) -> str:
    return _NON_WORD.sub("", s.lower())


@dataclass(frozen=True, slots=True)
class InstallSnippet:
    key: str  # "ubuntu": what /install and `install DISTRO` take
    title: str  # the label in the note: "Ubuntu Linux"
    names: tuple[str, ...]  # every name that finds it: key, Korean and English aliases
    display_ko: str  # Korean display name: "우분투"
    snippet: str
    language: str
    source: str
    line: int

    def to_json(self) -> dict[str, str | int]:
        return {
            "distro": self.key,
            "title": self.title,
            "snippet": self.snippet,
            "language": self.language,
            "source": self.source,
            "line": self.line,
        }


def _labelled_fences(section: Section) -> list[tuple[str, int, str, str]]:
    """(label, line, code, language) for each fence in the section's own body that follows a label."""
    out: list[tuple[str, int, str, str]] = []
    label, label_line = "", section.line
    for i, block in enumerate(blocks(section.text)):
        if block.kind == "heading":
            if i > 0:
                break  # a sub-heading ends the section's own body
        elif block.kind == "text":
            text = block.text.strip()
            if text:
                label, label_line = text.splitlines()[0], section.line + block.line
        elif block.kind == "fence" and label:
            lang = (block.info.split() or ["text"])[0]
            if out and out[-1][0] == label:  # two fences under one label: one snippet
                prev = out[-1]
                out[-1] = (label, prev[1], prev[2].rstrip("\n") + "\n" + block.text, prev[3])
            else:
                out.append((label, label_line, block.text, lang))
    return out


# ASCII words apart from Hangul words ("Ubuntu에서" -> ubuntu, 에서); digits stay in their word (centos7).
_WORD = re.compile(r"[a-z0-9]+|[가-힣]+")
# What may follow a name inside one word: a Korean particle ("우분투에서") or a version ("centos7").
_TAIL = re.compile(r"(?:에서는|에서|에는|으로|에|의|은|는|이|가|을|를|용|로|과|와|도|만)?|\d+(?:\.\d+)*")


def _words(s: str) -> list[str]:
    return _WORD.findall(s.lower())


def _position(label: list[str], name: list[str]) -> int | None:
    """Where the name's words stand in the label as whole words (the last may carry a tail), or None."""
    k = len(name)
    for i in range(len(label) - k + 1):
        word = label[i + k - 1]
        head_ok = label[i : i + k - 1] == name[:-1] and word.startswith(name[-1])
        if head_ok and _TAIL.fullmatch(word[len(name[-1]) :]):
            return i
    return None


def _match_distro(label: str, distros: tuple[tuple[str, tuple[str, ...]], ...]) -> tuple[str, ...] | None:
    """The distro a label names: an exact name, else the longest name among its words (then the earliest).

    Whole words, not substrings: "Elasticsearch" does not name arch, nor "install" common's alias "all".
    Longest: "Debian (설치 스크립트)" is Debian although "스크립트" is one of common's names.
    """
    n, label_words = _norm(label), _words(label)
    found: tuple[int, int] | None = None
    chosen: tuple[str, ...] | None = None
    for _key, names in distros:
        for name in names:
            m, name_words = _norm(name), _words(name)
            if m and n == m:
                return names
            pos = _position(label_words, name_words) if name_words else None
            if pos is not None and (found is None or (len(m), -pos) > found):
                found, chosen = (len(m), -pos), names
    return chosen


def section_snippets(sec: Section, distros: tuple[tuple[str, tuple[str, ...]], ...]) -> list[InstallSnippet]:
    """The install snippets one section offers: fences under a label that names a distro."""
    if not _INSTALL_TITLE.search(sec.title):
        return []
    found = []
    for label, line, code, lang in _labelled_fences(sec):
        names = _match_distro(label, distros)
        if names is None:
            continue
        korean = next((x for x in names if _HANGUL.search(x)), label)
        every = tuple(dict.fromkeys((*names, label)))  # the label is often one of the names already
        code = code.rstrip("\n")
        found.append(InstallSnippet(names[0], label, every, korean, code, lang, sec.source, line))
    return found


def choose_snippets(per_section: list[list[InstallSnippet]]) -> list[InstallSnippet]:
    """One snippet per distro: the section listing the most distros is the install table; other notes'
    stray matches come after (sections in file order; ties keep that order)."""
    ranked = sorted((found for found in per_section if found), key=len, reverse=True)
    chosen: dict[str, InstallSnippet] = {}
    for found in ranked:
        for snip in found:
            chosen.setdefault(snip.key, snip)
    return list(chosen.values())


def find_install_snippets(
    sections: list[Section], distros: tuple[tuple[str, tuple[str, ...]], ...]
) -> list[InstallSnippet]:
    return choose_snippets([section_snippets(sec, distros) for sec in sections])


def lookup(snippets: list[InstallSnippet], asked: str) -> InstallSnippet:
    want = _norm(asked)
    if want:
        for snip in snippets:
            if any(_norm(n) == want for n in snip.names):
                return snip
        prefix = [s for s in snippets if any(_norm(n).startswith(want) for n in s.names)]
        if len(want) >= 3 and len(prefix) == 1:
            return prefix[0]
    raise UnknownDistroError(asked, [s.key for s in snippets])
