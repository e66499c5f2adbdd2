"""One note's Markdown -> sections by heading, with a real CommonMark parser (markdown-it-pyrs).

Why a parser and not line regexes: '#' lines inside ``` fences are bash comments, not headings; '---' under
a line makes a setext heading; tables, HTML blocks, <br> and images all need their own treatment.
markdown-it-pyrs (the Rust port of markdown-it, by markdown-it-py's authors) builds the syntax tree ~6x
faster than markdown-it-py, whose output it matches on the shared corpora but for one CommonMark edge case.
"""

from __future__ import annotations

import bisect
import contextlib
import os
import re
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from bot.notes.section import Section

if TYPE_CHECKING:
    from markdown_it import MarkdownIt as PyMarkdownIt
    from markdown_it.token import Token
    from markdown_it_pyrs import MarkdownIt, Node

_TAG = re.compile(r"<[^>]{0,400}>")
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_FM_TITLE = re.compile(r"^title\s*:\s*(.+?)\s*$", re.MULTILINE)
_NEWLINE = re.compile(b"\n")
# Nodes inside a paragraph (or directly in a tight list item, or a table cell).
_INLINE = frozenset(
    {
        "text",
        "text_special",
        "code_inline",
        "strikethrough",
        "strong",
        "em",
        "link",
        "image",
        "autolink",
        "html_inline",
        "softbreak",
        "hardbreak",
    }
)


# The Rust parser recurses once per nesting level and overflows the stack (a crash, not an error) on
# absurd nesting, tens of thousands of levels deep. A note that could nest that deep (a line starting with
# a long run of quote/list markers; very many emphasis or image delimiters) goes to markdown-it-py, which
# caps nesting. Real notes are nowhere near: the corpora's most has 835 such delimiters.
_DEEP_LINE = re.compile(r"^[ \t>*+\-0-9.)]{1000}", re.MULTILINE)
_MAX_DELIMITERS = 10_000


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # Imported here: answering from a saved index never parses Markdown. HTML is on in its CommonMark.
    from markdown_it_pyrs import MarkdownIt

    return MarkdownIt("commonmark").enable_many(["table", "strikethrough", "front_matter"])


@lru_cache(maxsize=1)
def _safe_parser() -> PyMarkdownIt:
    from markdown_it import MarkdownIt as PyMarkdownIt
    from mdit_py_plugins.front_matter import front_matter_plugin

    return (
        PyMarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"]).use(front_matter_plugin)
    )


def _too_deep(text: str) -> bool:
    delimiters = text.count("*") + text.count("_") + text.count("~") + text.count("![")  # what nests
    return delimiters > _MAX_DELIMITERS or _DEEP_LINE.search(text) is not None


@dataclass(frozen=True, slots=True)
class Block:
    """One leaf block of a note, in document order."""

    kind: str  # "heading" | "text" (visible inline text) | "fence" | "code" | "html" | "front_matter"
    line: int  # 0-based line it starts on
    text: str  # heading title, visible text, code, HTML's text, or the front matter's content
    level: int = 0  # a heading's level
    info: str = ""  # a fence's info string ("bash")
    end: int = 0  # the line after it (front matter only)


def inline_plain(nodes: Sequence[Node]) -> str:
    """Visible text of inline nodes: emphasis and link targets dropped, image alt text and code kept."""
    out: list[str] = []
    todo: list[Any] = list(reversed(nodes))  # a stack, not recursion: nesting may be absurdly deep
    while todo:
        node = todo.pop()
        if isinstance(node, str):
            out.append(node)
            continue
        name = node.name
        if name == "text":
            out.append(node.meta["content"])
        elif name == "text_special":  # an escape, an entity, or an autolink's URL
            meta = node.meta
            out.append(_link_text(meta["content"]) if meta.get("info") == "autolink" else meta["content"])
        elif name == "softbreak" or name == "hardbreak":
            out.append("\n")
        elif name == "image":
            out.append(" ")
            todo.append(" ")
            todo.extend(reversed(node.children))
        elif name == "html_inline":
            if _BR.fullmatch(node.meta["content"].strip()):
                out.append("\n")
        else:
            todo.extend(reversed(node.children))
    return "".join(out)


def _link_text(url: str) -> str:
    """An autolink as written (<https://a.com/설치>), not percent-encoded: markdown-it-py's own rule."""
    from markdown_it.common.normalize_url import normalizeLinkText

    return normalizeLinkText(url)


def blocks(text: str, warn: Callable[[str], None] | None = None) -> Iterator[Block]:
    """The leaf blocks of a (normalized) note; container blocks (lists, quotes, tables) are walked into.

    warn is told (one line) when the Rust parser fails on this text and markdown-it-py parses it instead.
    """
    if not text.endswith("\n"):  # the last block's text then ends like every other's, in both parsers
        text += "\n"
    if _too_deep(text):
        return _safe_blocks(text)
    root = _rust_tree(text)
    if root is None:
        if warn is not None:
            warn(f"markdown-it-pyrs fails near line {_first_failing_line(text)}; read with markdown-it-py")
        return _safe_blocks(text)
    return _tree_blocks(text, root)


def _rust_tree(text: str) -> Node | None:
    """The Rust parser's tree, or None where it panics (markdown-it-pyrs 0.4 does on ordinary lines
    such as "[링크 `코드"). A pyo3 PanicException derives from BaseException, so `except Exception`
    would let one note take every command down; only Ctrl-C and exit are let through."""
    with _rust_stderr() as panicked:
        try:
            return _parser().tree(text)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException:
            panicked.append(True)
            return None


def _first_failing_line(text: str) -> int:
    """1-based line where the Rust parser starts to fail (bisecting on prefixes; only after a failure)."""
    lines = text.split("\n")
    lo, hi = 1, len(lines)  # the prefix of hi lines fails
    while lo < hi:
        mid = (lo + hi) // 2
        if _rust_tree("\n".join(lines[:mid]) + "\n") is None:
            hi = mid
        else:
            lo = mid + 1
    return hi


_stderr_lock = threading.Lock()
_PANIC_TEXT = re.compile(r"thread '[^\n]*' panicked at .*?(?:^note: [^\n]*\n|\Z)", re.DOTALL | re.MULTILINE)


@contextlib.contextmanager
def _rust_stderr() -> Iterator[list[bool]]:
    """Keep a Rust panic's message (and, with RUST_BACKTRACE set, its backtrace) off the terminal.

    Rust's panic hook writes straight to file descriptor 2. While the parser runs, fd 2 points at a
    temporary file; what was written there is copied back to the real stderr afterwards, less the panic
    text when the parse failed, so other threads' log lines are delayed by the parse, never lost.
    """
    panicked: list[bool] = []
    with _stderr_lock:
        try:
            sys.stderr.flush()
            saved = os.dup(2)
        except (OSError, ValueError, AttributeError):  # no fd 2 (a daemon, an embedded interpreter)
            yield panicked
            return
        with tempfile.TemporaryFile() as tmp:
            os.dup2(tmp.fileno(), 2)
            try:
                yield panicked
            finally:
                os.dup2(saved, 2)
                os.close(saved)
                tmp.seek(0)
                caught = tmp.read()
                if caught:
                    out = caught.decode("utf-8", "replace")
                    if panicked:
                        out = _PANIC_TEXT.sub("", out)
                    if out:
                        with contextlib.suppress(OSError, ValueError):
                            os.write(2, out.encode())


def _tree_blocks(text: str, root: Node) -> Iterator[Block]:
    newlines = [m.start() for m in _NEWLINE.finditer(text.encode())]

    def line_of(offset: int) -> int:  # the tree's offsets are UTF-8 bytes
        return bisect.bisect_left(newlines, offset)

    stack: list[tuple[list[Node], int]] = [(root.children, 0)]  # not recursion (see inline_plain)
    while stack:
        kids, i = stack.pop()
        if i >= len(kids):
            continue
        node = kids[i]
        name = node.name
        if name in _INLINE:  # a tight list item holds its text without a paragraph around it
            j = i
            while j < len(kids) and kids[j].name in _INLINE:
                j += 1
            stack.append((kids, j))
            yield Block("text", line_of(node.srcmap[0]) if node.srcmap else 0, inline_plain(kids[i:j]))
            continue
        stack.append((kids, i + 1))
        line = line_of(node.srcmap[0]) if node.srcmap else 0
        if name == "heading" or name == "lheading":
            yield Block("heading", line, inline_plain(node.children).strip(), level=node.meta["level"])
        elif name == "paragraph" or name == "tcell":
            yield Block("text", line, inline_plain(node.children))
        elif name == "fence":
            yield Block("fence", line, node.meta["content"], info=node.meta.get("info", ""))
        elif name == "code_block":
            yield Block("code", line, node.meta["content"])
        elif name == "html_block":
            yield Block("html", line, _TAG.sub(" ", _BR.sub("\n", node.meta["content"])))
        elif name == "front_matter":
            end = line_of(node.srcmap[1] - 1) + 1 if node.srcmap else 0
            yield Block("front_matter", line, node.meta.get("content", "").removesuffix("\n"), end=end)
        elif name != "hr":
            stack.append((node.children, 0))


def _safe_blocks(text: str) -> Iterator[Block]:
    """The same blocks from markdown-it-py's token stream (nesting capped)."""
    tokens = _safe_parser().parse(text)
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        line = tok.map[0] if tok.map else 0
        if tok.type == "front_matter":
            yield Block("front_matter", line, tok.content, end=tok.map[1] if tok.map else 0)
        elif tok.type == "heading_open":
            title = _token_plain(tokens[i + 1]).strip() if i + 1 < len(tokens) else ""
            yield Block("heading", line, title, level=int(tok.tag[1]))
            i += 3  # heading_open, inline (the title), heading_close
            continue
        elif tok.type == "inline":
            yield Block("text", line, _token_plain(tok))
        elif tok.type == "fence":
            yield Block("fence", line, tok.content, info=tok.info)
        elif tok.type == "code_block":
            yield Block("code", line, tok.content)
        elif tok.type == "html_block":
            yield Block("html", line, _TAG.sub(" ", _BR.sub("\n", tok.content)))
        i += 1


def _token_plain(token: Token) -> str:
    out: list[str] = []
    for child in token.children or ():
        kind = child.type
        if kind in ("text", "code_inline"):
            out.append(child.content)
        elif kind in ("softbreak", "hardbreak"):
            out.append("\n")
        elif kind == "image":
            out.append(" " + _token_plain(child) + " ")
        elif kind == "html_inline" and _BR.fullmatch(child.content.strip()):
            out.append("\n")
    return "".join(out)


@dataclass
class _Heading:
    line: int  # 0-based
    level: int
    title: str
    body: list[str]


def normalize_note(text: str) -> str:
    """The text sections are cut from: every Section.text is a span of it."""
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def parse_sections(text: str, source: str, warn: Callable[[str], None] | None = None) -> list[Section]:
    """Split one note into sections. A heading with no body and no sub-headings is dropped.

    warn gets one line, prefixed with the source, when the note needed the fallback parser."""
    text = normalize_note(text)
    lines = text.split("\n")
    stem = PurePosixPath(source).stem
    doc_title = ""
    body_start = 0
    preamble = _Heading(line=0, level=0, title=stem, body=[])
    heads: list[_Heading] = []
    current = preamble
    told = None if warn is None else (lambda msg: warn(f"{source}: {msg}"))
    for n, block in enumerate(blocks(text, told)):
        if block.kind == "front_matter":
            if n == 0 and (m := _FM_TITLE.search(block.text)):
                doc_title = m.group(1).strip().strip("'\"").strip()
                preamble.title = doc_title or stem
            body_start = block.end
        elif block.kind == "heading":
            current = _Heading(block.line, block.level, block.text or stem, [])
            heads.append(current)
        elif block.text.strip():
            current.body.append(block.text)

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
