"""Reading the notes folder: every note file with its content hash, before anything is parsed.

A file whose size and mtime vouch for the digest already indexed is not read again (git's "racy" rule,
see NoteEntry.trusted); broken files and non-files are one warning each and skipped. Needs no Kiwi.
"""

from __future__ import annotations

import os
import stat
import time
from dataclasses import dataclass
from pathlib import Path

from bot.index.notefiles import NoteEntry
from bot.notes.files import MAX_FILE_BYTES, read_note, shown_name, walk_notes


@dataclass(frozen=True)
class Found:
    """A note on disk now: text None when its size and mtime vouch for the digest already indexed."""

    source: str
    digest: str
    stamp: tuple[int, int, int]
    text: str | None


@dataclass(frozen=True)
class Scan:
    """The notes as they are on disk now: readable files (sorted) and one warning per skipped file."""

    notes: tuple[Found, ...]
    warnings: tuple[str, ...]

    def digests(self) -> dict[str, str]:
        return {n.source: n.digest for n in self.notes}


def scan_notes(folder: Path, known: dict[str, NoteEntry] | None = None) -> Scan:
    """Every note with its digest. A file whose size and mtime match the indexed one is not read again
    (known: the entries of the index in hand); the others are read and hashed. Broken files (see
    notes/files.py) and non-files are warnings, skipped."""
    known = known or {}
    notes: list[Found] = []
    base = str(folder)
    sources, warnings = walk_notes(folder)
    for source in sources:
        shown = shown_name(source)  # a name that is not UTF-8 must not reach a warning, JSON or a log
        try:
            st = os.stat(os.path.join(base, source))  # plain strings: thousands of files per reindex
        except OSError as err:  # a dangling symlink, a file deleted since the listing
            warnings.append(f"{shown}: skipped, cannot read ({err.strerror or type(err).__name__})")
            continue
        if not stat.S_ISREG(st.st_mode):  # a FIFO would block the read forever
            warnings.append(f"{shown}: skipped, not a regular file")
            continue
        if st.st_size > MAX_FILE_BYTES:  # say so without reading it
            warnings.append(f"{shown}: skipped, larger than {MAX_FILE_BYTES // 1024 // 1024} MB")
            continue
        entry = known.get(source)
        if entry is not None and entry.trusted(st.st_size, st.st_mtime_ns):
            notes.append(Found(source, entry.digest, entry.stamp, None))
            continue
        read_at = time.time_ns()
        note, warning = read_note(folder, source)
        if note is None:
            warnings.append(warning or f"{source}: skipped")
        else:
            notes.append(Found(source, note.digest, (st.st_size, st.st_mtime_ns, read_at), note.text))
    return Scan(tuple(notes), tuple(warnings))
