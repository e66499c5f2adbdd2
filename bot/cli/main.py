"""Argument parsing and error handling for `python -m bot`. Errors are one line, never a traceback."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from bot.config import Config, load_config
from bot.errors import BotError
from bot.logs import setup_logging

log = logging.getLogger("bot")


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad argument is one line on stderr (exit 2), like every other error."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {message} (see: {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="python -m bot",
        description="Korean study-notes Q&A bot (한국어 스터디 노트 Q&A 봇).",
    )
    p.add_argument(
        "--config", default="config.toml", metavar="PATH", help="config file (default ./config.toml)"
    )
    p.add_argument("--knowledge", metavar="DIR", help="notes folder (overrides the configured one)")
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging on stderr")
    sub = p.add_subparsers(dest="verb", metavar="VERB")

    a = sub.add_parser("ask", help="answer questions from the notes")
    a.add_argument("--json", action="store_true", help="one JSON object per question per line")
    a.add_argument("--top", type=int, default=None, metavar="N", help="results per question (1-10)")
    a.add_argument("--full", action="store_true", help="show the whole section, not only the passage")
    a.add_argument("question", nargs="*", help="the question; with --json, '-' or nothing reads stdin")

    i = sub.add_parser("install", help="install snippet for a Linux distro, from the notes")
    i.add_argument("distro", nargs="?", help="ubuntu, centos, 우분투, ... (none: list them)")
    i.add_argument("--json", action="store_true")

    sub.add_parser("chat", help="interactive Q&A in the terminal")

    r = sub.add_parser("reindex", help="rebuild the index after editing the notes")
    r.add_argument("--full", action="store_true", help="re-tokenize every file")
    r.add_argument("--json", action="store_true", help="print a JSON summary")
    r.add_argument("--strict", action="store_true", help="exit non-zero on any warning (for CI)")
    r.add_argument("--no-embed", action="store_true", help="do not wait for the semantic channel's vectors")
    r.add_argument(
        "--pull", action="store_true", help="fast-forward the notes from knowledge.git_remote first"
    )

    rp = sub.add_parser("report", help="what the notes failed to answer, from the question log")
    rp.add_argument("--days", type=int, default=7, metavar="N", help="the last N days (default 7)")
    rp.add_argument("--json", action="store_true", help="one JSON object")
    rp.add_argument("--html", default=None, metavar="FILE", help="write a self-contained page with a chart")

    sub.add_parser("run", help="start the Discord bot (needs DISCORD_TOKEN in the environment)")
    s = sub.add_parser("sync", help="register the slash commands with Discord")
    s.add_argument("--guild", type=int, default=None, metavar="ID", help="sync to one guild (instant)")

    e = sub.add_parser("eval", help="answer quality on eval/*.jsonl against the peers")
    # evaluation/run.py's RUNS, named here so that the CLI starts without importing the engine
    sets = ["seed", "corpora", "heldout", "heldout2", "passages_dev", "passages", "dev2", "dev3", "heldout3"]
    sets += ["heldout4", "heldout5", "dev4", "heldout6", "all"]
    e.add_argument("--set", choices=sets, default="all")
    e.add_argument("--corpora", default=None, metavar="DIR", help="default ../shared/corpora")
    e.add_argument("--json", action="store_true")
    e.add_argument("--misses", action="store_true", help="list the questions missed at 1")
    e.add_argument(
        "--collection",
        action="append",
        default=[],
        metavar="DIR",
        help="another group's notes instead of eval/: DIR/corpora (repo folders) + DIR/questions.jsonl",
    )

    b = sub.add_parser("bench", help="latency, reindex time, memory, against the naive peer")
    b.add_argument("--corpora", default=None, metavar="DIR")
    b.add_argument("--sizes", default="seed,corpora,10000,100000", help="comma list")
    b.add_argument("--json", action="store_true", help="print the figures as JSON too")
    b.add_argument("--cold-runs", type=int, default=3, metavar="N", help="cold starts per size (median)")
    return p


def _verbs() -> dict[str, Callable[[argparse.Namespace, Config], int]]:
    from bot.cli import commands

    return {
        "ask": commands.ask,
        "install": commands.install,
        "chat": commands.chat,
        "reindex": commands.reindex,
        "report": commands.report,
        "run": commands.run,
        "sync": commands.sync,
        "eval": commands.evaluate,
        "bench": commands.bench,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not args.verb:
        parser.print_help()
        return 2
    try:
        config = load_config(args.config)
        if args.knowledge:
            config = config.with_knowledge(args.knowledge)
        setup_logging(config, verbose=args.verbose)
        return _verbs()[args.verb](args, config)
    except BotError as err:
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `... | head` closed the pipe: not an error worth a line
        return 0
    except Exception as err:  # the promise: one line, never a traceback (details with -v)
        log.debug("unexpected error", exc_info=True)
        print(f"error: unexpected {type(err).__name__}: {err} (run with -v for details)", file=sys.stderr)
        return 1
