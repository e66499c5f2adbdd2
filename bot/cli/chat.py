"""`python -m bot chat`: an interactive Q&A loop in the terminal, rendered with rich."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from bot.answers.service import AnswerService
from bot.cli import render
from bot.errors import BotError

HELP = (
    "질문을 입력하세요 (예: 도커와 EC2 차이). 명령: /install DISTRO, /distros, /help, /quit\n"
    "Type a question. Commands: /install DISTRO, /distros, /help, /quit"
)


def loop(service: AnswerService, console: Console | None = None) -> int:
    console = console or Console()
    console.print(Text(HELP, style="dim"))
    while True:
        try:
            line = console.input("[bold green]질문› [/]").strip()
        except (EOFError, KeyboardInterrupt):
            console.print()
            return 0
        if not line:
            continue
        if line in ("/quit", "/exit", "/q"):
            return 0
        try:
            if line == "/help":
                console.print(Text(HELP + "\n예시: " + " · ".join(service.examples(5)), style="dim"))
            elif line == "/distros":
                for s in service.distros():
                    console.print(f"{s.key:10} {s.display_ko} · {s.title}")
            elif line.startswith("/install"):
                render.snippet(console, service.install(line.removeprefix("/install").strip() or "?"))
            else:
                render.answer(console, service.ask(line))
        except BotError as err:  # a bad question or distro: say so and keep chatting
            console.print(Text(str(err), style="red"))
