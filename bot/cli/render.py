"""Answers and snippets for people in a terminal (rich): Markdown, code blocks, breadcrumb, source."""

from __future__ import annotations

from rich.console import Console, Group
from rich.markdown import Markdown
from rich.panel import Panel
from rich.syntax import Syntax
from rich.text import Text

from bot.answers.types import Answer, Result
from bot.notes.display import file_url, to_display
from bot.notes.install import InstallSnippet


def shown_markdown(result: Result, full: bool = False, source_url: str = "") -> str:
    """The passage (or with ``full`` the whole section) through the notes' display conversion."""
    s = result.section
    text = s.text if full or not result.passage else result.passage
    return to_display(text, source_url=source_url, source=s.source)


def answer(console: Console, ans: Answer, *, full: bool = False, source_url: str = "") -> None:
    """The best result's passage (``full``: its section) in a panel, the others as one line each."""
    if not ans.answered:
        console.print(Text(ans.message, style="yellow"))
        if ans.suggestions:
            console.print(Text("이런 주제를 물어보세요 / try: " + " · ".join(ans.suggestions), style="dim"))
        return
    best, *related = ans.results
    s = best.section
    crumb = " › ".join(s.heading_path)
    console.print(
        Panel(
            Group(Markdown(shown_markdown(best, full, source_url), code_theme="ansi_dark")),
            title=Text(crumb, style="bold cyan"),
            subtitle=Text(
                f"{file_url(source_url, s.source, s.line) or s.location}  score {best.score:.2f}", style="dim"
            ),
            subtitle_align="right",
        )
    )
    if related:
        console.print(Text("관련 / related:", style="bold"))
        for r in related:
            console.print(
                Text(f"  • {' › '.join(r.section.heading_path)}  ({r.section.location})", style="dim")
            )


def snippet(console: Console, snip: InstallSnippet) -> None:
    console.print(Text(f"{snip.display_ko} · {snip.title}", style="bold cyan"))
    console.print(Syntax(snip.snippet, snip.language or "bash", theme="ansi_dark", word_wrap=True))
    console.print(Text(f"{snip.source}:{snip.line}", style="dim"))
