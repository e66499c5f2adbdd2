"""`python -m bot reindex`: incremental rebuild with a progress bar on a terminal, a summary otherwise."""

from __future__ import annotations

import json
import sys
import time

from bot.answers.engine import Engine
from bot.answers.service import tuning_from
from bot.config import Config
from bot.index.store import IndexStore


def run_reindex(config: Config, full: bool, as_json: bool, strict: bool) -> int:
    started = time.perf_counter()
    store = IndexStore(config.knowledge_dir, config.cache_dir)
    tuning = tuning_from(config)
    tty = sys.stderr.isatty() and not as_json

    def build(progress=None) -> Engine:
        # Start from what is saved (unless --full): only changed files are tokenized again.
        if full:
            return store.rebuild(tuning, None, full=True, progress=progress)
        return store.load_or_build(tuning, progress=progress)

    if tty:
        from rich.progress import Progress

        with Progress(transient=True) as bar:
            task = bar.add_task("tokenizing", total=None)
            engine = build(lambda done, total: bar.update(task, completed=done, total=total))
    else:
        engine = build()
    r = engine.report
    seconds = round(time.perf_counter() - started, 3)
    if as_json:
        print(
            json.dumps(
                {
                    "files": r.files,
                    "sections": r.sections,
                    "retokenized": r.retokenized,
                    "warnings": list(r.warnings),
                    "seconds": seconds,
                },
                ensure_ascii=False,
            )
        )
    else:
        print(
            f"indexed {r.files} files, {r.sections} sections; re-tokenized {r.retokenized} files; "
            f"{len(r.warnings)} warnings; {seconds:.2f}s"
        )
        for w in r.warnings:
            print(f"warning: {w}", file=sys.stderr)
    return 1 if strict and r.warnings else 0
