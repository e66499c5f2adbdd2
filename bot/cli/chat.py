"""`python -m bot chat`: an interactive Q&A loop in the terminal, rendered with rich."""

from __future__ import annotations

from rich.text import Text

from bot.answers.service import AnswerService
from bot.answers.types import Answer
from bot.cli import render
from bot.cli.render import Console
from bot.errors import BotError

HELP = (
    "질문을 입력하세요 (예: 도커와 EC2 차이). 명령: /full (방금 답의 전체 섹션), /install DISTRO, /distros, "
    "/help, /quit\n"
    "Type a question. Commands: /full (the last answer's whole section), /install DISTRO, /distros, "
    "/help, /quit"
)


def loop(service: AnswerService, console: Console | None = None) -> int:
    console = console or Console()
    console.print(Text(HELP, style="dim"))
    url = service.config.knowledge.source_url
    last: Answer | None = None
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
            elif line in ("/full", "/f", "/전체"):
                if last is None or not last.answered:
                    console.print(Text("먼저 질문하세요 / ask a question first", style="dim"))
                else:
                    render.answer(console, last, full=True, source_url=url)
            elif line.startswith("/install"):
                render.snippet(console, service.install(line.removeprefix("/install").strip() or "?"))
            else:
                last = service.ask(line)
                render.answer(console, last, source_url=url)
                if last.answered and last.best is not None and last.best.passage != last.best.section.text:
                    console.print(Text("/full: 전체 섹션 / the whole section", style="dim"))
        except BotError as err:  # a bad question or distro: say so and keep chatting
            console.print(Text(str(err), style="red"))
