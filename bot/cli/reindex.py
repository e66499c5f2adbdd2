"""`python -m bot reindex`: bring the saved index up to date.

Incremental by content hash (only changed files are tokenized; nothing at all, not even Kiwi, when the
saved index is current); `--full` re-tokenizes everything. A rich progress bar on a terminal (stderr), a
plain one-line summary otherwise; `--json` prints {files, sections, retokenized, warnings, seconds}.

Exit status: 0 (with warnings on stderr), 1 when the folder is missing or nothing could be indexed (a
KnowledgeError, reported by cli/main.py), 1 with `--strict` when there is any warning.
"""

from __future__ import annotations

import json
import sys
import time

from bot.answers.engine import BuildReport, Tuning
from bot.answers.service import tuning_from
from bot.config import Config
from bot.index.store import IndexStore


def run_reindex(config: Config, full: bool, as_json: bool, strict: bool) -> int:
    started = time.perf_counter()
    store = IndexStore(config.knowledge_dir, config.cache_dir, config.dictionary_dir)
    tuning = tuning_from(config)
    if sys.stderr.isatty() and not as_json:
        report = _with_progress_bar(store, tuning, full)
    else:
        report = store.refresh(tuning, full=full)
    seconds = round(time.perf_counter() - started, 3)
    if as_json:
        summary = {
            "files": report.files,
            "sections": report.sections,
            "retokenized": report.retokenized,
            "warnings": list(report.warnings),
            "seconds": seconds,
        }
        print(json.dumps(summary, ensure_ascii=False))
    else:
        print(
            f"indexed {report.files} files, {report.sections} sections; "
            f"re-tokenized {report.retokenized} files; {len(report.warnings)} warnings; {seconds:.2f}s"
        )
        for w in report.warnings:
            print(f"warning: {w}", file=sys.stderr)
    if strict and report.warnings:
        print(f"error: {len(report.warnings)} warnings and --strict", file=sys.stderr)
        return 1
    return 0


def _with_progress_bar(store: IndexStore, tuning: Tuning, full: bool) -> BuildReport:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (
        TextColumn("tokenizing"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("tokenizing", total=None)
        return store.refresh(
            tuning, full=full, progress=lambda done, total: bar.update(task, completed=done, total=total)
        )
