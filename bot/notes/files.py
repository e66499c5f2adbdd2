"""Find and read the note files under a knowledge folder; a broken file is a warning, never a crash."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from bot.errors import KnowledgeError
from bot.tokens.lexicon import DICTIONARY_DIR  # the word lists, not notes

MAX_FILE_BYTES = 4 * 1024 * 1024
OUTSIDE = "a link to a file outside the notes folder"
MAX_LINE_CHARS = 100_000  # a 1 MB single line is not a note (minified data, a pasted blob)


@dataclass(frozen=True, slots=True)
class NoteFile:
    source: str  # POSIX path relative to the knowledge folder
    text: str
    digest: str  # sha256 of the raw bytes: what incremental reindex compares


def missing_folder_message(folder: Path) -> str:
    if folder.exists():
        return f"knowledge folder is not a folder: {folder}"
    return f"knowledge folder not found: {folder}"


def discover(folder: Path) -> list[str]:
    """Every *.md below folder as sorted relative POSIX paths (see walk_notes; its warnings dropped)."""
    return walk_notes(folder)[0]


def walk_notes(folder: Path) -> tuple[list[str], list[str]]:
    """Every *.md (any case) below folder, recursively, as sorted relative POSIX paths, and one warning
    per folder that could not be listed.

    Hidden folders (.git, .cache) and the top-level dictionary folder (_dictionary/) are skipped; other
    folders starting with '_' (Jekyll's _posts/) are notes like any other. Names may hold spaces,
    Korean, '&' or '#': paths are never passed through a shell or a URL. The walk keeps its own stack
    (os.walk recurses: a note 1,000 folders deep raised RecursionError) and follows no folder symlinks.
    """
    if not folder.is_dir():
        raise KnowledgeError(missing_folder_message(folder))
    top = folder.resolve()
    found: list[str] = []
    warnings: list[str] = []
    todo = [""]  # folders still to list, relative ("" is the top)
    base = str(folder)
    while todo:
        rel = todo.pop()
        try:
            with os.scandir(os.path.join(base, rel) if rel else base) as it:
                entries = list(it)
        except OSError as err:
            if not rel:  # nothing below it can be read either
                why = err.strerror or type(err).__name__
                raise KnowledgeError(f"cannot read the knowledge folder {folder} ({why})") from err
            shown = shown_name(rel.rstrip("/")) or "."
            warnings.append(f"{shown}/: skipped, cannot list ({err.strerror or type(err).__name__})")
            continue
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                continue
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                is_dir = False
            if is_dir:
                if not (rel == "" and name == DICTIONARY_DIR):
                    todo.append(f"{rel}{name}/")
            elif name.lower().endswith(".md"):
                if entry.is_symlink() and not inside(top, Path(entry.path)):
                    # /etc/passwd linked in as a note (or pulled from a remote) would be served as one
                    warnings.append(f"{shown_name(rel + name)}: skipped, {OUTSIDE}")
                    continue
                found.append(rel + name)
    return sorted(found), warnings


def inside(top: Path, path: Path) -> bool:
    """Whether path, its links followed, is a file under the (resolved) folder top."""
    try:
        return path.resolve().is_relative_to(top)
    except (OSError, RuntimeError):  # a link loop
        return False


def decode_note(raw: bytes, source: str) -> tuple[str | None, str | None]:
    """(text, None) for a usable note, (None, warning) for a broken one."""
    if len(raw) > MAX_FILE_BYTES:
        return None, f"{source}: skipped, larger than {MAX_FILE_BYTES // 1024 // 1024} MB"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):  # a Windows editor's "Unicode": NUL in every other byte
        return None, f"{source}: skipped, UTF-16 text (save it as UTF-8)"
    if b"\x00" in raw:
        return None, f"{source}: skipped, contains NUL bytes (binary file?)"
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        return None, f"{source}: skipped, not valid UTF-8 (byte {err.start})"
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if any(len(line) > MAX_LINE_CHARS for line in text.split("\n")):
        return None, f"{source}: skipped, a line longer than {MAX_LINE_CHARS:,} characters"
    return text, None


def shown_name(source: str) -> str:
    """A file name fit to print: bytes that are not UTF-8 (surrogate escapes from os.walk) become U+FFFD."""
    try:
        return source.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:
        return source.encode("utf-8", "backslashreplace").decode("utf-8")


def read_note(folder: Path, source: str) -> tuple[NoteFile | None, str | None]:
    if shown_name(source) != source:  # it would break every JSON, log line and saved index it reaches
        return None, f"{shown_name(source)}: skipped, the file name is not valid UTF-8 (rename the file)"
    path = folder / source
    if path.is_symlink() and not inside(folder.resolve(), path):  # re-pointed since the listing
        return None, f"{source}: skipped, {OUTSIDE}"
    try:
        raw = path.read_bytes()
    except OSError as err:
        return None, f"{source}: skipped, cannot read ({err.strerror or err.__class__.__name__})"
    text, warning = decode_note(raw, source)
    if text is None:
        return None, warning
    return NoteFile(source, text, hashlib.sha256(raw).hexdigest()), None
