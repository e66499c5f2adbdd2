"""`python -m bot report [--days N] [--json] [--html FILE]`: what the question log says (bot/insight).

Rich tables on the terminal; `--json` one object (bot/insight/report.py has its keys); `--html FILE` a
self-contained page with a chart (bot/insight/html.py). A missing log is an empty report, not an error.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path
from typing import Any

from bot.config import Config
from bot.errors import BotError, KnowledgeError
from bot.insight.report import build_report, per_day_rows, percent, section_rows
from bot.notes.files import discover


def note_names(config: Config) -> list[str]:
    try:
        return discover(config.knowledge_dir)
    except KnowledgeError:
        return []


def load_report(config: Config, days: int) -> dict[str, Any]:
    path = config.insight_path
    try:
        return build_report(path, days, notes=note_names(config))
    except sqlite3.Error as err:
        raise BotError(f"cannot read the question log {path}: {err}") from None


def run_report(config: Config, days: int, as_json: bool, html: str | None) -> int:
    if not 1 <= days <= 3650:
        raise BotError("--days takes a number from 1 to 3650")
    report = load_report(config, days)
    if html:
        from bot.insight.html import page

        out = Path(html)
        try:
            out.write_text(page(report), encoding="utf-8")
        except OSError as err:
            raise BotError(f"cannot write {out}: {err.strerror or err}") from None
        print(f"wrote {out}", file=sys.stderr)
    if as_json:
        print(json.dumps(report, ensure_ascii=False))
    elif not html:
        show(report)
    return 0


def show(report: dict[str, Any]) -> None:
    from rich.table import Table
    from rich.text import Text

    from bot.cli.render import Console, inert

    r = report
    console = Console()
    rate = percent(r["answer_rate"])
    lat = r["latency_ms"]
    console.print(
        f"[bold]{r['since'][:10]} – {r['until'][:10]}[/bold] ({r['days']} days): "
        f"{r['questions']} questions, {r['answered']} answered, {r['declined']} declined "
        f"(answer rate {rate}); 👍 {r['votes']['up']} 👎 {r['votes']['down']}"
        + (f"; answer p50 {lat['p50']:.2f} ms" if lat["p50"] is not None else ""),
        highlight=False,
    )

    def table(title: str, head: list[str], rows: list[list[Any]]) -> None:
        if not rows:
            console.print(f"[bold]{title}[/bold]: none", highlight=False)
            return
        t = Table(title=title, title_justify="left", title_style="bold")
        for i, h in enumerate(head):
            t.add_column(h, justify="right" if i == 0 else "left", overflow="fold")
        for row in rows:
            # plain text: a logged question holding "[/b]" was read as markup (MarkupError)
            t.add_row(*(Text(inert(str(c))) for c in row))
        console.print(t)

    table(
        "Unanswered (declined) questions",
        ["count", "question", "also asked as"],
        [[u["count"], u["question"], " · ".join(u["variants"][:3])] for u in r["unanswered"]],
    )
    if r["declined_without_text"]:
        console.print(f"  (+{r['declined_without_text']} declined with no text kept)", highlight=False)
    table(
        "👎 answers by section",
        ["count", "section", "title"],
        section_rows(r["downvoted"]),
    )
    table(
        "Most-asked sections",
        ["count", "section", "title"],
        section_rows(r["top_sections"]),
    )
    never = Text(f"Notes never hit ({len(r['never_hit'])}): ", style="bold")
    console.print(never + Text(inert(", ".join(r["never_hit"]) or "none")), highlight=False)
    table(
        "Per day (UTC)",
        ["day", "questions", "answered", "declined", "rate", "👍", "👎"],
        per_day_rows(r, digits=0),
    )
