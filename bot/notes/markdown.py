"""One note's Markdown -> sections by heading, with a real CommonMark parser (markdown-it-py).

Why a parser and not line regexes: '#' lines inside ``` fences are bash comments, not headings; '---' under
a line makes a setext heading; tables, HTML blocks, <br> and images all need their own treatment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from bot.notes.section import Section

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

_TAG = re.compile(r"<[^>]{0,400}>")
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_FM_TITLE = re.compile(r"^title\s*:\s*(.+?)\s*$", re.MULTILINE)


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # Imported here: answering from a saved index never parses Markdown.
    from markdown_it import MarkdownIt
    from mdit_py_plugins.front_matter import front_matter_plugin

    return (
        MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"]).use(front_matter_plugin)
    )


def inline_plain(token: Token) -> str:
    """Visible text of an inline token: emphasis and links dropped, image alt text and code kept."""
    out: list[str] = []
    for child in token.children or ():
        kind = child.type
        if kind in ("text", "code_inline"):
            out.append(child.content)
        elif kind in ("softbreak", "hardbreak"):
            out.append("\n")
        elif kind == "image":
            out.append(" " + inline_plain(child) + " ")
        elif kind == "html_inline" and _BR.fullmatch(child.content.strip()):
            out.append("\n")
    return "".join(out)


def block_plain(token: Token) -> str:
    if token.type == "inline":
        return inline_plain(token)
    if token.type in ("fence", "code_block"):
        return token.content
    if token.type == "html_block":
        return _TAG.sub(" ", _BR.sub("\n", token.content))
    return ""


@dataclass
class _Heading:
    line: int  # 0-based
    level: int
    title: str
    body: list[str]


def _front_matter_title(tokens: list[Token]) -> str:
    for tok in tokens[:1]:
        if tok.type == "front_matter":
            m = _FM_TITLE.search(tok.content)
            if m:
                return m.group(1).strip().strip("'\"").strip()
    return ""


def normalize_note(text: str) -> str:
    """The text sections are cut from: every Section.text is a span of it."""
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def parse_sections(text: str, source: str) -> list[Section]:
    """Split one note into sections. A heading with no body and no sub-headings is dropped."""
    text = normalize_note(text)
    tokens = _parser().parse(text)
    lines = text.split("\n")
    doc_title = _front_matter_title(tokens)
    stem = PurePosixPath(source).stem

    preamble = _Heading(line=0, level=0, title=doc_title or stem, body=[])
    heads: list[_Heading] = []
    current = preamble
    body_start = 0
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.type == "front_matter":
            body_start = tok.map[1] if tok.map else 0
        elif tok.type == "heading_open":
            title = inline_plain(tokens[i + 1]).strip() if i + 1 < len(tokens) else ""
            level = int(tok.tag[1])
            current = _Heading(tok.map[0] if tok.map else 0, level, title or stem, [])
            heads.append(current)
            i += 3  # heading_open, inline (the title), heading_close
            continue
        else:
            plain = block_plain(tok)
            if plain.strip():
                current.body.append(plain)
        i += 1

    sections: list[Section] = []
    if preamble.body:
        first = heads[0].line if heads else len(lines)
        span = "\n".join(lines[body_start:first]).strip()
        start = body_start + next((n for n, ln in enumerate(lines[body_start:first]) if ln.strip()), 0)
        sections.append(Section(source, start + 1, (preamble.title,), 0, span, "\n".join(preamble.body)))

    prefix = (doc_title,) if doc_title and not (heads and heads[0].title == doc_title) else ()
    # Pass 1: each heading's parent and the end of its span (next heading of the same or higher level).
    # One stack, linear: a note with 100k headings must not take minutes.
    parents: list[int] = []
    ends: list[int] = [len(lines)] * len(heads)
    stack: list[int] = []
    for n, h in enumerate(heads):
        while stack and heads[stack[-1]].level >= h.level:
            ends[stack.pop()] = h.line
        parents.append(stack[-1] if stack else -1)
        stack.append(n)
    has_child = {p for p in parents if p >= 0}
    # A bare heading (no body, no sub-headings) is never an answer; its words join its parent's text.
    bare = {n for n, h in enumerate(heads) if not h.body and n not in has_child}
    for n in sorted(bare):
        if parents[n] >= 0:
            heads[parents[n]].body.append(heads[n].title)
    # Pass 2: emit.
    for n, h in enumerate(heads):
        if n in bare:
            continue
        path: list[str] = []
        k = n
        while k >= 0:
            path.append(heads[k].title)
            k = parents[k]
        span = "\n".join(lines[h.line : ends[n]]).rstrip()
        sections.append(
            Section(source, h.line + 1, prefix + tuple(reversed(path)), h.level, span, "\n".join(h.body))
        )
    return sections
