"""The unit of retrieval: one heading of one note, with where it came from."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Section:
    source: str  # POSIX path relative to the knowledge folder, e.g. "docker.md"
    line: int  # 1-based line of the heading (1 for text before the first heading)
    heading_path: tuple[str, ...]  # breadcrumb, outermost first; the last item is the title
    level: int  # heading level 1-6 (0 for a file's preamble)
    text: str  # the section's Markdown: heading line, own body and sub-sections, code fences intact
    body: str  # own body only (no sub-sections), plain-ish text used for indexing

    @property
    def title(self) -> str:
        return self.heading_path[-1] if self.heading_path else self.source

    @property
    def location(self) -> str:
        return f"{self.source}:{self.line}"
