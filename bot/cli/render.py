"""Answers and snippets for people in a terminal (rich): Markdown, code blocks, breadcrumb, source."""

from __future__ import annotations

import os
import re
import sys

import rich.console
from rich.console import Group
from rich.markdown import Markdown
from rich.panel import Panel
from rich.syntax import Syntax
from rich.text import Text

from bot.answers.types import Answer, Result
from bot.notes.display import file_url, to_display
from bot.notes.install import InstallSnippet

# Control characters but tab and newline: a note's ESC sequence would reach the terminal as a command
# (set its title, clear the screen); rich strips BEL and BS, not ESC.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class Console(rich.console.Console):
    """rich's console, but a closed pipe (`ask ... | head -1`) is the BrokenPipeError bot.cli.main
    treats as no error: rich's own handling exits with status 1 and no word."""

    def on_broken_pipe(self) -> None:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # Python's flush at exit writes nowhere, not a traceback
        raise BrokenPipeError


def inert(text: str) -> str:
    """Text from notes (or a question) fit to print in a terminal: no control characters."""
    return _CONTROL.sub("", text)


def shown_markdown(result: Result, full: bool = False, source_url: str = "") -> str:
    """The passage (or with ``full`` the whole section) through the notes' display conversion."""
    s = result.section
    text = s.text if full or not result.passage else result.passage
    return inert(to_display(text, source_url=source_url, source=s.source))


def answer(console: Console, ans: Answer, *, full: bool = False, source_url: str = "") -> None:
    """The best result's passage (``full``: its section) in a panel, the others as one line each."""
    if not ans.answered:
        console.print(Text(inert(ans.message), style="yellow"))
        if ans.suggestions:
            tried = " · ".join(ans.suggestions)
            console.print(Text(inert("이런 주제를 물어보세요 / try: " + tried), style="dim"))
        return
    best, *related = ans.results
    s = best.section
    crumb = inert(" › ".join(s.heading_path))
    console.print(
        Panel(
            Group(Markdown(shown_markdown(best, full, source_url), code_theme="ansi_dark")),
            title=Text(crumb, style="bold cyan"),
            subtitle=Text(
                inert(f"{file_url(source_url, s.source, s.line) or s.location}  score {best.score:.2f}"),
                style="dim",
            ),
            subtitle_align="right",
        )
    )
    if related:
        console.print(Text("관련 / related:", style="bold"))
        for r in related:
            console.print(
                Text(inert(f"  • {' › '.join(r.section.heading_path)}  ({r.section.location})"), style="dim")
            )


def snippet(console: Console, snip: InstallSnippet) -> None:
    console.print(Text(inert(f"{snip.display_ko} · {snip.title}"), style="bold cyan"))
    code = inert(snip.snippet)
    console.print(Syntax(code, snip.language or "bash", theme="ansi_dark", word_wrap=True))
    console.print(Text(inert(f"{snip.source}:{snip.line}"), style="dim"))
