"""`python -m bot reindex`: bring the saved index up to date.

Incremental by content hash (only changed files are tokenized; nothing at all, not even Kiwi, when the
saved index is current); `--full` re-tokenizes everything. A rich progress bar on a terminal (stderr), a
plain one-line summary otherwise; `--json` prints {files, sections, retokenized, embedded, warnings,
seconds}. The semantic channel's passages are embedded afterwards (a second progress bar) unless
`--no-embed` or search.semantic = "off".

`--pull` first brings the folder up to `knowledge.git_remote`'s branch (bot/notes/git.py: a clone when
the folder is missing or empty, else a fast-forward); a pull that is refused or fails is one line on
stderr naming the remote and branch, exit 1, and the saved index is left as it was.

Exit status: 0 (with warnings on stderr), 1 when the folder is missing or nothing could be indexed (a
KnowledgeError, reported by cli/main.py) or a pull failed, 1 with `--strict` when there is any warning.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence

from bot.answers.engine import Tuning
from bot.answers.semantic import SemanticWorker
from bot.answers.service import semantic_for, tuning_from
from bot.config import Config
from bot.errors import BotError
from bot.index.store import IndexStore
from bot.index.types import BuildReport
from bot.notes.section import Section


def run_reindex(
    config: Config, full: bool, as_json: bool, strict: bool, pull: bool = False, embed: bool = True
) -> int:
    started = time.perf_counter()
    pulled = None
    if pull:
        from bot.answers.pull import pull_notes

        if not config.git_remote:
            raise BotError("reindex --pull needs knowledge.git_remote in config.toml")
        pulled = pull_notes(config)  # GitError: one line and exit 1 (cli/main.py); nothing rebuilt
        if not as_json:
            print(
                f"pulled {pulled.describe(config.git_remote, config.knowledge.git_branch)}", file=sys.stderr
            )
    store = IndexStore(config.knowledge_dir, config.cache_dir, config.dictionary_dir)
    tuning = tuning_from(config)
    bar = sys.stderr.isatty() and not as_json
    report, sections = (
        _with_progress_bar(store, tuning, full) if bar else store.refresh_sections(tuning, full)
    )
    embedded: int | None = 0
    warnings = list(report.warnings)
    worker = semantic_for(config, store) if embed else None
    if worker is not None:  # the semantic channel: embedded now, so the next start has it at once
        embedded = _embed_with_bar(worker, sections) if bar else worker.embed_all(sections)
        if embedded is None:
            warnings.append("the embedding model failed: answers use BM25 alone until the next reindex")
    seconds = round(time.perf_counter() - started, 3)
    if as_json:
        summary = {
            "files": report.files,
            "sections": report.sections,
            "retokenized": report.retokenized,
            "embedded": embedded or 0,
            "warnings": warnings,
            "seconds": seconds,
        }
        if pulled is not None:
            summary["pull"] = {"action": pulled.action, "before": pulled.before, "after": pulled.after}
        print(json.dumps(summary, ensure_ascii=False))
    else:
        print(
            f"indexed {report.files} files, {report.sections} sections; "
            f"re-tokenized {report.retokenized} files; {len(warnings)} warnings; "
            f"embedded {embedded or 0} passages; {seconds:.2f}s"
        )
        for w in warnings:
            print(f"warning: {w}", file=sys.stderr)
    if strict and warnings:
        print(f"error: {len(warnings)} warnings and --strict", file=sys.stderr)
        return 1
    return 0


def _embed_with_bar(worker: SemanticWorker, sections: Sequence[Section]) -> int | None:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (TextColumn("embedding"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("embedding", total=None)
        return worker.embed_all(sections, lambda done, total: bar.update(task, completed=done, total=total))


def _with_progress_bar(
    store: IndexStore, tuning: Tuning, full: bool
) -> tuple[BuildReport, Sequence[Section]]:
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
        return store.refresh_sections(
            tuning, full, progress=lambda done, total: bar.update(task, completed=done, total=total)
        )
