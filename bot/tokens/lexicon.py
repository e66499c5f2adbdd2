"""Maintainer-edited word lists that live beside the notes (knowledge/_dictionary/).

- user_words.txt: words Kiwi must read as one noun ("도커"), one per line, optional POS tag.
- aliases.txt: "대표어 = 다른말 = ..." groups mapped to one search token; "장단점 => 장점 단점" expands;
  "안 좋 => 단점" (a left side with spaces) rewrites a phrase, whatever its spacing, before tokenizing.
- question_words.txt: words common in questions that say nothing about the topic (쓰, 점, 방법);
  a question is not declined for using them when the notes do not.
- distros.txt: install-snippet distro names, "key = 별칭 = alias ...".

A bad line never stops indexing: it becomes a warning naming the file and line.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

DICTIONARY_DIR = "_dictionary"
PROJECT_DICTIONARY = Path(__file__).resolve().parents[2] / "knowledge" / DICTIONARY_DIR
_TAGS = {"NNG", "NNP", "NNB", "NR", "NP", "VV", "VA", "MAG", "XR", "SL"}


@dataclass(frozen=True)
class Lexicon:
    user_words: tuple[tuple[str, str], ...] = ()  # (word, tag)
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)  # lower-case token -> replacement(s)
    phrases: tuple[tuple[re.Pattern[str], str], ...] = ()  # phrase rewrites applied to raw text
    question_words: frozenset[str] = frozenset()
    terms: frozenset[str] = frozenset()  # every word the dictionary names (after aliasing): known topics
    distros: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (key, names)
    warnings: tuple[str, ...] = ()
    fingerprint: str = ""  # hash of the files' bytes: a change forces a full re-tokenize

    def canonical(self, token: str) -> tuple[str, ...]:
        return self.aliases.get(token, (token,))


def _lines(path: Path, warnings: list[str]) -> list[tuple[int, str]]:
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as err:
        warnings.append(f"{path.name}: cannot read ({err.__class__.__name__}); ignored")
        return []
    out = []
    for no, line in enumerate(raw.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if line:
            out.append((no, line))
    return out


def _parse_user_words(path: Path, warnings: list[str]) -> list[tuple[str, str]]:
    words = []
    for no, line in _lines(path, warnings):
        parts = line.split()
        tag = parts[1].upper() if len(parts) > 1 else "NNP"
        if len(parts) > 2 or tag not in _TAGS:
            warnings.append(f"{path.name}:{no}: expected 'word [TAG]' with TAG in {sorted(_TAGS)}; skipped")
            continue
        words.append((parts[0], tag))
    return words


def _phrase(left: str) -> re.Pattern[str]:
    """'안 좋' matches '안 좋', '안좋' and '안  좋' (spacing in questions is unreliable)."""
    chars = [re.escape(c) for c in left.replace(" ", "")]
    return re.compile(r"\s*".join(chars), re.IGNORECASE)


def _resolve(table: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    """Follow chains (색인 -> 인덱스 when 색인 is itself an alias), guarding against cycles."""

    def follow(word: str, seen: frozenset[str]) -> tuple[str, ...]:
        if word not in table or word in seen:
            return (word,)
        return tuple(t for target in table[word] for t in follow(target, seen | {word}))

    return {w: follow(w, frozenset()) for w in table}


def _parse_aliases(
    path: Path, warnings: list[str]
) -> tuple[dict[str, tuple[str, ...]], list[tuple[re.Pattern[str], str]]]:
    table: dict[str, tuple[str, ...]] = {}
    phrases: list[tuple[re.Pattern[str], str]] = []
    for no, line in _lines(path, warnings):
        if "=>" in line:
            head, _, tail = line.partition("=>")
            src, targets = head.strip().lower(), tuple(tail.lower().split())
            if not src or not targets:
                warnings.append(f"{path.name}:{no}: expected 'word => word word ...'; skipped")
            elif " " in src:
                phrases.append((_phrase(src), " " + " ".join(targets) + " "))
            else:
                table[src] = targets
            continue
        names = [n.strip().lower() for n in line.split("=")]
        if len(names) < 2 or any(not n or " " in n for n in names):
            warnings.append(f"{path.name}:{no}: expected 'word = word = ...' (single words); skipped")
            continue
        for name in names[1:]:
            if name != names[0]:
                table.setdefault(name, (names[0],))
    return _resolve(table), phrases


def _parse_words(path: Path, warnings: list[str]) -> frozenset[str]:
    return frozenset(w.lower() for _, line in _lines(path, warnings) for w in line.split())


def _parse_distros(path: Path, warnings: list[str]) -> list[tuple[str, tuple[str, ...]]]:
    out = []
    for no, line in _lines(path, warnings):
        names = [n.strip() for n in line.split("=") if n.strip()]
        if not names or " " in names[0]:
            warnings.append(f"{path.name}:{no}: expected 'key = 별칭 = alias ...'; skipped")
            continue
        out.append((names[0].lower(), tuple(names)))
    return out


def load_lexicon(knowledge_dir: Path, dictionary_dir: Path | None = None) -> Lexicon:
    """The dictionary in knowledge_dir/_dictionary, or in dictionary_dir when given.

    Where neither exists (a bare folder of notes, asked from anywhere), the project's own dictionary
    beside this package is used, so Kiwi still reads 도커 as one word.
    """
    folder = dictionary_dir if dictionary_dir is not None else knowledge_dir / DICTIONARY_DIR
    # os.path.isdir, not Path.is_dir: in a notes folder that cannot be read it is False where Path's
    # raises PermissionError (the notes' walk then says so in one line)
    if not os.path.isdir(folder) and PROJECT_DICTIONARY.is_dir():
        folder = PROJECT_DICTIONARY
    warnings: list[str] = []
    digest = hashlib.sha256()
    for name in ("user_words.txt", "aliases.txt", "distros.txt", "question_words.txt"):
        p = folder / name
        digest.update(name.encode())
        with contextlib.suppress(OSError):  # unreadable: _lines() reports it
            digest.update(p.read_bytes())
    aliases, phrases = _parse_aliases(folder / "aliases.txt", warnings)
    user_words = _parse_user_words(folder / "user_words.txt", warnings)
    return Lexicon(
        user_words=tuple(user_words),
        aliases=aliases,
        phrases=tuple(phrases),
        question_words=_parse_words(folder / "question_words.txt", warnings),
        terms=frozenset(
            canon
            for word in {w.lower() for w, _ in user_words} | set(aliases)
            for canon in aliases.get(word, (word,))
        ),
        distros=tuple(_parse_distros(folder / "distros.txt", warnings)),
        warnings=tuple(warnings),
        fingerprint=digest.hexdigest()[:16],
    )
