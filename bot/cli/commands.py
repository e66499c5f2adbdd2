"""One function per CLI verb: (args, config) -> exit status."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator

from bot.answers.service import AnswerService
from bot.config import Config
from bot.errors import BotError, QuestionError


def _emit(obj: dict) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def _clean(text: str) -> str:
    """Valid Unicode whatever came in: undecodable bytes (surrogate escapes from argv) become U+FFFD."""
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:  # a lone surrogate that is no escaped byte
        return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def _stdin_questions() -> Iterator[str]:
    """One question per non-blank line, read as UTF-8 whatever the locale.

    A line with invalid bytes is still a question (with U+FFFD in it): it must neither end the batch
    (strict decoding) nor come back out as invalid UTF-8 in the JSON (surrogateescape).
    """
    buffer = getattr(sys.stdin, "buffer", None)
    lines = (raw.decode("utf-8", "replace") for raw in buffer) if buffer is not None else sys.stdin
    for n, line in enumerate(lines):
        line = _clean(line.rstrip("\r\n"))
        if n == 0:
            line = line.removeprefix("\ufeff")  # a file saved by Notepad
        if line.strip():
            yield line


# The last service lives until the process exits (bot/__main__.py ends it with os._exit): freeing an
# index of 100k sections object by object takes a third of a second after the answer is printed.
_LIVE: list[AnswerService] = []


def _service(config: Config, warm: bool = False) -> AnswerService:
    # One-shot verbs let the first question pay Kiwi's lazy start; chat warms up before its prompt.
    service = AnswerService.from_config(config, warm=warm)
    _LIVE[:] = [service]
    return service


def ask(args: argparse.Namespace, config: Config) -> int:
    if args.top is not None and not 1 <= args.top <= 10:
        raise BotError("--top takes a number from 1 to 10")
    from_stdin = args.json and (not args.question or args.question == ["-"])
    if not from_stdin and not " ".join(args.question).strip():
        raise QuestionError("질문이 비어 있어요 / the question is empty: python -m bot ask 도커 설치 방법")
    service = _service(config)  # one start-up for every question below
    if from_stdin:
        for q in _stdin_questions():
            try:
                _emit(service.ask(q, args.top).to_json())
            except QuestionError as err:
                _emit({"question": q, "answered": False, "results": [], "message": str(err)})
        return 0
    question = _clean(" ".join(args.question))
    if len(question) > config.search.max_question_chars:
        print(
            f"note: question cut to its first {config.search.max_question_chars} characters", file=sys.stderr
        )
    ans = service.ask(question, args.top)
    if args.json:
        _emit(ans.to_json())
    else:
        from bot.cli import render  # rich and its Markdown: only for people, not --json

        render.answer(render.Console(), ans, full=args.full, source_url=config.knowledge.source_url)
    return 0


def install(args: argparse.Namespace, config: Config) -> int:
    service = _service(config)
    if not args.distro:
        snippets = service.distros()
        if args.json:
            _emit(
                {"distros": [{"distro": s.key, "title": s.title, "names": list(s.names)} for s in snippets]}
            )
        elif not snippets:
            print("the notes have no install section with distro snippets")
        else:
            for s in snippets:
                print(f"{s.key:10} {s.display_ko} · {s.title}   ({s.source}:{s.line})")
        return 0
    snip = service.install(args.distro)
    if args.json:
        _emit(snip.to_json())
    else:
        from bot.cli import render

        render.snippet(render.Console(), snip)
    return 0


def chat(args: argparse.Namespace, config: Config) -> int:
    from bot.cli.chat import loop

    return loop(_service(config, warm=True))


def reindex(args: argparse.Namespace, config: Config) -> int:
    from bot.cli.reindex import run_reindex

    return run_reindex(
        config, full=args.full, as_json=args.json, strict=args.strict, pull=args.pull, embed=not args.no_embed
    )


def report(args: argparse.Namespace, config: Config) -> int:
    from bot.cli.report import run_report

    return run_report(config, args.days, args.json, args.html)


def run(args: argparse.Namespace, config: Config) -> int:
    try:
        from bot.discord_app.runner import run as run_bot
    except ImportError as err:
        raise BotError(f"the Discord front end is not available: {err}") from None
    return run_bot(config)


def sync(args: argparse.Namespace, config: Config) -> int:
    try:
        from bot.discord_app.runner import sync as sync_tree
    except ImportError as err:
        raise BotError(f"the Discord front end is not available: {err}") from None
    return sync_tree(config, args.guild)


def evaluate(args: argparse.Namespace, config: Config) -> int:
    from bot.evaluation.run import main as eval_main

    return eval_main(args, config)


def bench(args: argparse.Namespace, config: Config) -> int:
    from bot.evaluation.bench import main as bench_main

    return bench_main(args, config)
