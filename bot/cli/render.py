"""Answers and snippets for people in a terminal (rich): Markdown, code blocks, breadcrumb, source."""

from __future__ import annotations

from rich.console import Console, Group
from rich.markdown import Markdown
from rich.panel import Panel
from rich.syntax import Syntax
from rich.text import Text

from bot.answers.types import Answer
from bot.notes.install import InstallSnippet


def answer(console: Console, ans: Answer) -> None:
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
            Group(Markdown(s.text, code_theme="ansi_dark")),
            title=Text(crumb, style="bold cyan"),
            subtitle=Text(f"{s.location}  score {best.score:.2f}", style="dim"),
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
