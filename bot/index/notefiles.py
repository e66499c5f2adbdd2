"""The note-file model: what one Markdown file contributes to the index, and every section in file order.

A `NoteEntry` is kept per note file so that an unchanged file costs nothing on a reindex: its content
hash, its sections as one `NoteRecord` (UTF-8 texts and int arrays, what the saved file holds), its
tokens as ids in the morpheme table and the order in which its terms first appear. Sections become
`Section` objects on first use; `SectionList` is the index's sections, file after file, made per file
when asked for.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, overload

import numpy as np

from bot.index.bags import Bags, Terms
from bot.index.build import Counts
from bot.index.channels import SectionTokens, Weights
from bot.notes.install import InstallSnippet, section_snippets
from bot.notes.section import Section

RACY_NS = 2_000_000_000  # a file changed within 2 s of being read may change again unseen: re-hash it


class NoteEntry:
    """What one note file contributes to the index, kept so that an unchanged file costs nothing.

    Its sections are stored as one `NoteRecord` (UTF-8 and int arrays, what the saved file holds) and become
    Section objects on first use: a cold start answers without building 100k of them. Tokens are ids in
    the index's morpheme table (decoded only when a file must be recounted); `bags`, a newly read file's
    counted rows, are held only until the index is built from them (a reindex splices the index itself).
    """

    def __init__(
        self,
        source: str,
        digest: str,
        stamp: tuple[int, int, int],  # size, mtime_ns, and when it was read (time_ns)
        record: NoteRecord,
        token_ids: np.ndarray,  # int32, every section's title, path, body and file-name tokens in a row
        token_bounds: np.ndarray,  # int64, 4 * sections + 1 offsets into token_ids
        weights: Weights,  # what seen and bags were counted with
        seen: tuple[np.ndarray, ...],  # per channel (build.CHANNELS): its terms in first-occurrence order
        bags: tuple[Bags, ...] | None = None,  # per channel: the file's rows
        sections: tuple[Section, ...] | None = None,
    ) -> None:
        self.source, self.digest, self.stamp = source, digest, stamp
        self.record, self.token_ids, self.token_bounds = record, token_ids, token_bounds
        self.weights, self.seen, self.bags = weights, seen, bags
        self.n_sections = len(record.lines)
        self._sections = sections
        self._snippets: tuple[Any, list[list[InstallSnippet]]] | None = None

    @property
    def sections(self) -> tuple[Section, ...]:
        if self._sections is None:
            self._sections = self.record.sections(self.source)
        return self._sections

    def with_stamp(self, stamp: tuple[int, int, int]) -> NoteEntry:
        """The same file touched (mtime changed, same bytes)."""
        return NoteEntry(
            self.source,
            self.digest,
            stamp,
            self.record,
            self.token_ids,
            self.token_bounds,
            self.weights,
            self.seen,
            self.bags,
            self._sections,
        )

    def snippets(self, distros: tuple[tuple[str, tuple[str, ...]], ...]) -> list[list[InstallSnippet]]:
        """Install snippets per section of this file (see notes/install.py), for this distro list."""
        if self._snippets is None or self._snippets[0] != distros:
            self._snippets = (distros, [section_snippets(s, distros) for s in self.sections])
        return self._snippets[1]

    def tokens(self, terms: Terms) -> list[SectionTokens]:
        ids, b = self.token_ids, self.token_bounds.tolist()
        return [
            SectionTokens(*(terms.decode(ids[b[4 * i + k] : b[4 * i + k + 1]]) for k in range(4)))
            for i in range(self.n_sections)
        ]

    def counts(self) -> Counts:
        assert self.bags is not None
        return Counts(self.bags, self.seen)

    def trusted(self, size: int, mtime_ns: int) -> bool:
        """Same size and mtime as when hashed, and not modified around that moment (git's "racy" rule)."""
        s, m, read = self.stamp
        return (s, m) == (size, mtime_ns) and m + RACY_NS < read


@dataclass(frozen=True)
class NoteRecord:
    """One file's sections as the saved file stores them: three UTF-8 texts and int arrays."""

    note: bytes  # the note; every section's text is a span of it
    bodies: bytes  # the sections' bodies, one after another
    titles: bytes  # every section's heading path items, one after another
    lines: np.ndarray  # int64 per section
    levels: np.ndarray  # int64 per section
    spans: np.ndarray  # int64 (sections, 2): the text's span in the note, in characters
    body_sizes: np.ndarray  # int64 characters per body
    path_lens: np.ndarray  # int64 heading path items per section
    title_sizes: np.ndarray  # int64 characters per heading path item

    @classmethod
    def of(cls, note: str, sections: Sequence[Section]) -> NoteRecord:
        items = [t for s in sections for t in s.heading_path]
        return cls(
            note.encode(),
            "".join(s.body for s in sections).encode(),
            "".join(items).encode(),
            np.asarray([s.line for s in sections], dtype=np.int64),
            np.asarray([s.level for s in sections], dtype=np.int64),
            np.asarray([span(note, s.text) for s in sections], dtype=np.int64).reshape(-1, 2),
            np.asarray([len(s.body) for s in sections], dtype=np.int64),
            np.asarray([len(s.heading_path) for s in sections], dtype=np.int64),
            np.asarray([len(t) for t in items], dtype=np.int64),
        )

    def sections(self, source: str) -> tuple[Section, ...]:
        note, bodies, titles = self.note.decode(), self.bodies.decode(), self.titles.decode()
        tb, bb = bounds(self.title_sizes).tolist(), bounds(self.body_sizes).tolist()
        pb = bounds(self.path_lens).tolist()
        out = []
        for i, (line, level, (a, b)) in enumerate(
            zip(self.lines.tolist(), self.levels.tolist(), self.spans.tolist(), strict=True)
        ):
            path = tuple(titles[tb[k] : tb[k + 1]] for k in range(pb[i], pb[i + 1]))
            out.append(Section(source, line, path, level, note[a:b], bodies[bb[i] : bb[i + 1]]))
        return tuple(out)


class SectionList(Sequence[Section]):
    """Every section of the index in file order, each file's made on first use."""

    def __init__(self, entries: Sequence[NoteEntry]) -> None:
        self._entries = list(entries)
        self._starts = bounds([e.n_sections for e in self._entries]).tolist()

    def __len__(self) -> int:
        return self._starts[-1]

    @overload
    def __getitem__(self, i: int) -> Section: ...
    @overload
    def __getitem__(self, i: slice) -> list[Section]: ...
    def __getitem__(self, i: int | slice) -> Section | list[Section]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError("section index out of range")
        f = bisect.bisect_right(self._starts, i) - 1
        return self._entries[f].sections[i - self._starts[f]]

    def __iter__(self) -> Iterator[Section]:
        for e in self._entries:
            yield from e.sections

    def starts(self) -> np.ndarray:
        """The id of each note's first section, and one past the last section (see bounds)."""
        return np.asarray(self._starts, dtype=np.int64)

    def levels(self) -> np.ndarray:
        """Every section's heading level, without making the sections."""
        if not self._entries:
            return np.zeros(0, dtype=np.int64)
        return np.concatenate([e.record.levels for e in self._entries])


def bounds(sizes: list[int] | np.ndarray) -> np.ndarray:
    """Offsets from sizes, one more than them: bounds([2, 3]) is [0, 2, 5]."""
    out = np.zeros(len(sizes) + 1, dtype=np.int64)
    np.cumsum(sizes, out=out[1:])
    return out


def span(note: str, text: str) -> tuple[int, int]:
    """Where a section's text stands in its note, in characters."""
    # Any occurrence of an equal text is as good as the real one. (Sections always are spans of their
    # note; were one not, the loader would show "" for it, so check.)
    at = note.find(text)
    if at < 0:
        raise ValueError("a section's text is not part of its note")
    return at, at + len(text)
