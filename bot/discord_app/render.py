"""Engine results -> Discord embeds that respect Discord's limits. Pure functions, no I/O.

Discord's Markdown is not CommonMark: three backticks anywhere open a code block that runs to the next
three backticks. So every text we show is normalised first (stray ``` are broken with a zero-width
space, an unclosed fence is closed) and then cut on line boundaries, never leaving a fence open.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import discord

from bot.answers.types import Answer, Result
from bot.discord_app import limits
from bot.discord_app.i18n import t
from bot.notes.display import FENCE, escape_markdown, file_url, to_display
from bot.notes.section import Section
from bot.text import clip

ELLIPSIS = "…"
_ZWSP = "\u200b"
_TICKS = re.compile(r"`{3,}")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_EMPHASIS = re.compile(r"(\*\*|__)")
_PING = re.compile(r"@(everyone|here)\b|<(@[!&]?|#)(\d+)>")

COLOR_ANSWER = discord.Colour.from_rgb(88, 101, 242)
COLOR_DECLINE = discord.Colour.from_rgb(250, 166, 26)
COLOR_INSTALL = discord.Colour.from_rgb(87, 242, 135)
COLOR_ADMIN = discord.Colour.from_rgb(149, 165, 166)


def break_ticks(text: str) -> str:
    """Make runs of 3+ backticks inert for Discord (``` -> `\u200b``), keeping what is displayed."""
    return _TICKS.sub(lambda m: _ZWSP.join(m.group(0)), text)


def ellipsize(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, ending in … when cut."""
    text = text.strip()
    if len(text) <= limit:
        return text
    return text[: max(0, limit - 1)].rstrip() + ELLIPSIS


# Control characters and bidirectional overrides: a question's U+202E would turn the rest of its author
# line around, a NUL or 200 newlines would show as such.
_UNSHOWN = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def one_line(text: str) -> str:
    """A question as one plain line (the embed's author line): no control or bidi characters."""
    return " ".join(_UNSHOWN.sub(" ", text).split())


def plain(text: str) -> str:
    """Heading text with ** and __ marks taken out (kept for callers that want it; titles escape)."""
    return _EMPHASIS.sub("", text).strip()


def no_pings(text: str) -> str:
    """@everyone, @here and <@id>/<#id> shown as text, never as mentions (allowed_mentions is the guard;
    this keeps a note or a masked link from even looking like one)."""
    return _PING.sub(lambda m: m[0][0] + _ZWSP + m[0][1:], text)


def _cut(text: str, limit: int) -> str:
    """ellipsize() for escaped Markdown: a backslash left without the character it escaped goes too."""
    out = ellipsize(text, limit)
    return out[:-1].rstrip("\\") + ELLIPSIS if out.endswith(ELLIPSIS) and out != text.strip() else out


def escaped(text: str, limit: int) -> str:
    """A name or title for a place that renders Markdown: escaped (never stripped), within ``limit``."""
    return _cut(no_pings(escape_markdown(" ".join(text.split()))), limit)


@dataclass(frozen=True, slots=True)
class _Line:
    kind: str  # "text" | "open" | "code" | "close"
    text: str
    closer: str = ""  # for "open": the line that closes it
    fence: str = ""  # for "open": the fence as written (``` or ~~~, length >= 3)


def _lines(markdown: str) -> list[_Line]:
    """Classify lines; stray ``` made inert; an unclosed fence gets its closing line."""
    out: list[_Line] = []
    opener: _Line | None = None
    for raw in markdown.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        m = FENCE.match(raw)
        if opener is None:
            if m:
                closer = m["indent"] + "```"
                info = break_ticks(m["info"].strip())
                opener = _Line("open", f"{m['indent']}```{info}", closer, m["fence"])
                out.append(opener)
            else:
                out.append(_Line("text", no_pings(break_ticks(raw))))
        elif m and _closes(m, opener.fence):
            out.append(_Line("close", opener.closer))
            opener = None
        else:
            out.append(_Line("code", break_ticks(raw)))
    if opener is not None:
        out.append(_Line("close", opener.closer))
    return out


def _closes(m: re.Match[str], fence: str) -> bool:
    """CommonMark: a closing fence uses the opener's character, at least as many, and no info string."""
    return not m["info"].strip() and m["fence"][0] == fence[0] and len(m["fence"]) >= len(fence)


def fit_markdown(markdown: str, limit: int) -> str:
    """``markdown`` within ``limit`` characters, cut on line boundaries; every code fence stays closed.

    A code block that does not fit is shown as far as it fits and closed again; ``…`` marks a cut.
    """
    if limit <= 0:
        return ""
    lines = _lines(markdown)
    while lines and lines[0].kind == "text" and not lines[0].text.strip():
        lines.pop(0)
    whole = "\n".join(line.text for line in lines).rstrip()
    if len(whole) <= limit:
        return whole
    budget = limit - len("\n" + ELLIPSIS)
    out: list[_Line] = []
    size = 0
    opener: _Line | None = None
    for line in lines:
        sep = 1 if out else 0
        closing = opener or (line if line.kind == "open" else None)
        reserve = len("\n" + closing.closer) if closing and line.kind != "close" else 0
        if line.kind == "open":
            reserve += 2  # an opener is useful only with at least a line of code after it
        if size + sep + len(line.text) + reserve <= budget:
            out.append(line)
            size += sep + len(line.text)
            if line.kind == "open":
                opener = line
            elif line.kind == "close":
                opener = None
            continue
        if line.kind in ("text", "code"):
            room = budget - size - sep - reserve
            part = clip(line.text, room)
            if part.strip() and (room >= 40 or not out):
                out.append(_Line(line.kind, part))
                size += sep + len(part)
        break
    while out and out[-1].kind == "open":  # a fence with nothing in it
        out.pop()
        opener = None
    if opener is not None:
        out.append(_Line("close", opener.closer))
    text = "\n".join(line.text for line in out).rstrip()
    if len(text) + 2 > limit:  # only when limit is tiny: plain hard cut, fences made inert
        return ellipsize(break_ticks(markdown), limit)
    return f"{text}\n{ELLIPSIS}" if text else ELLIPSIS


def section_markdown(section: Section, source_url: str = "") -> str:
    """The whole section for Discord: its own heading line dropped (the title shows it), the rest through
    the notes' display conversion (HTML, images, tables, links; deeper headings as bold lines)."""
    lines = section.text.replace("\r\n", "\n").split("\n")
    if lines and _HEADING.match(lines[0]):
        lines = lines[1:]
    elif len(lines) > 1 and lines[0].strip() and re.match(r"^ {0,3}(=+|-+)[ \t]*$", lines[1]):
        lines = lines[2:]  # a setext heading
    return to_display("\n".join(lines), source_url=source_url, source=section.source)


def passage_markdown(result: Result, source_url: str = "") -> str:
    """What an answer embed leads with: the passage that answers, converted (the section without one)."""
    shown = to_display(result.passage, source_url=source_url, source=result.section.source)
    # No passage, or one that shows nothing (an image with no address): the section instead.
    return shown if shown.strip() else section_markdown(result.section, source_url)


def heading_title(path: Sequence[str], limit: int = limits.EMBED_TITLE) -> str:
    """A breadcrumb title 'a › b › c' within ``limit``, each part escaped; outer parts are dropped first."""
    parts = [no_pings(escape_markdown(" ".join(p.split()))) for p in path if p.strip()] or ["?"]
    while len(parts) > 1 and len(" › ".join(parts)) > limit:
        parts = ["…", *parts[2:]] if parts[0] == "…" else ["…", *parts[1:]]
    return _cut(" › ".join(parts), limit)


def embed_size(embed: discord.Embed) -> int:
    """Characters Discord counts toward the 6000 per-message embed total."""
    n = len(embed.title or "") + len(embed.description or "")
    n += len(embed.footer.text or "") + len(embed.author.name or "")
    n += sum(len(f.name or "") + len(f.value or "") for f in embed.fields)
    return n


def check_embeds(embeds: Sequence[discord.Embed]) -> list[str]:
    """Every Discord embed limit broken by ``embeds`` (empty when all is well)."""
    problems: list[str] = []
    if len(embeds) > limits.EMBEDS_PER_MESSAGE:
        problems.append(f"{len(embeds)} embeds > {limits.EMBEDS_PER_MESSAGE}")
    total = sum(embed_size(e) for e in embeds)
    if total > limits.EMBED_TOTAL:
        problems.append(f"embeds total {total} > {limits.EMBED_TOTAL}")
    for i, e in enumerate(embeds):
        checks: list[tuple[str, int, int]] = [
            ("title", len(e.title or ""), limits.EMBED_TITLE),
            ("description", len(e.description or ""), limits.EMBED_DESCRIPTION),
            ("footer", len(e.footer.text or ""), limits.EMBED_FOOTER),
            ("author", len(e.author.name or ""), limits.EMBED_AUTHOR),
            ("fields", len(e.fields), limits.EMBED_FIELDS),
        ]
        for f in e.fields:
            checks.append(("field name", len(f.name or ""), limits.EMBED_FIELD_NAME))
            checks.append(("field value", len(f.value or ""), limits.EMBED_FIELD_VALUE))
        problems += [f"embed {i} {what} {n} > {cap}" for what, n, cap in checks if n > cap]
        if (e.description or "").count("```") % 2:
            problems.append(f"embed {i} description has an unclosed code fence")
    return problems


def _bullets(items: Iterable[str], limit: int, *, markdown: bool = False) -> str:
    """'• item' lines within ``limit`` characters (whole lines only); items are escaped unless
    ``markdown`` says they already are."""
    out: list[str] = []
    size = 0
    for item in items:
        line = "• " + (item if markdown and len(item) <= 600 else escaped(item, 200))
        if size + len(line) + 1 > limit:
            break
        out.append(line)
        size += len(line) + 1
    return "\n".join(out)


def result_embed(
    result: Result,
    *,
    question: str = "",
    budget: int = limits.EMBED_TOTAL,
    colour: discord.Colour = COLOR_ANSWER,
    source_url: str = "",
) -> discord.Embed:
    """One result: heading path as title (a link to the note's line with ``source_url``), the passage
    that answers fitted, source file:line in the footer.

    ``question`` goes in the author line, where the buttons read it back after a restart; the footer
    is where the "full section" button reads the section back.
    """
    s = result.section
    url = file_url(source_url, s.source, s.line) or None
    embed = discord.Embed(title=heading_title(s.heading_path), colour=colour, url=url)
    if question:
        embed.set_author(name=ellipsize(one_line(question), limits.EMBED_AUTHOR))
    embed.set_footer(text=ellipsize(s.location, limits.EMBED_FOOTER))
    room = min(limits.EMBED_DESCRIPTION, budget - embed_size(embed))
    embed.description = fit_markdown(passage_markdown(result, source_url), room) or ELLIPSIS
    return embed


def _related(result: Result, source_url: str) -> str:
    """'title — file:line' for the Related field; the title links to the note with ``source_url``."""
    s = result.section
    title = heading_title(s.heading_path, 150)
    url = file_url(source_url, s.source, s.line)
    return f"{f'[{title}]({url})' if url else title} — {escaped(s.location, 300)}"


def answer_embeds(answer: Answer, locale: str | None = None, source_url: str = "") -> list[discord.Embed]:
    """The reply to a question: the best result's passage, plus a 'Related' field naming the others."""
    best = answer.best
    if not answer.answered or best is None:
        return [decline_embed(answer, locale)]
    related = ""
    if len(answer.results) > 1:
        related = _bullets(
            (_related(r, source_url) for r in answer.results[1:]),
            limits.EMBED_FIELD_VALUE,
            markdown=True,
        )
    reserve = (len(t("related", locale)) + len(related)) if related else 0
    embed = result_embed(
        best, question=answer.question, budget=limits.EMBED_TOTAL - reserve, source_url=source_url
    )
    if related:
        embed.add_field(name=t("related", locale), value=related, inline=False)
    return [embed]


def decline_embed(answer: Answer, locale: str | None = None, examples: Sequence[str] = ()) -> discord.Embed:
    """A friendly 'not in the notes' with what can be asked instead."""
    embed = discord.Embed(title=t("decline_title", locale), colour=COLOR_DECLINE)
    if answer.question:
        embed.set_author(name=ellipsize(one_line(answer.question), limits.EMBED_AUTHOR))
    # The engine's reason is written for people; ours is the fallback.
    embed.description = fit_markdown(break_ticks(answer.message.strip()) or t("decline_body", locale), 1000)
    tips = list(answer.suggestions) or list(examples)
    if tips:
        value = _bullets(tips[:8], limits.EMBED_FIELD_VALUE)
        embed.add_field(name=t("try_instead", locale), value=value, inline=False)
    return embed


def more_results(answer: Answer, start: int = 1) -> list[Result]:
    """The results a "more results" message shows from ``start`` on (none for a declined answer)."""
    return list(answer.results[start : start + limits.EMBEDS_PER_MESSAGE]) if answer.answered else []


def more_embeds(
    answer: Answer, start: int = 1, locale: str | None = None, source_url: str = ""
) -> list[discord.Embed]:
    """Results after the first, up to 10 embeds sharing the 6000-character budget."""
    rest = more_results(answer, start)
    if not rest:
        return [discord.Embed(description=t("no_more", locale), colour=COLOR_DECLINE)]
    share = limits.EMBED_TOTAL // len(rest)
    return [result_embed(r, budget=share, source_url=source_url) for r in rest]


def paginate(markdown: str, limit: int = limits.EMBED_DESCRIPTION) -> list[str]:
    """``markdown`` over pages of at most ``limit`` characters, cut between lines, never inside a code
    block that fits on a page; one longer than a page is closed at the page's end and reopened (with its
    language) on the next. Every page has its fences balanced."""
    pages: list[str] = []
    cur: list[str] = []
    size = 0  # len("\n".join(cur))
    opener: _Line | None = None
    lines = _lines(markdown)

    def flush() -> None:
        nonlocal cur, size
        if "\n".join(cur).strip():
            pages.append("\n".join(cur).strip("\n"))
        cur, size = [], 0

    def put(piece: str) -> None:
        nonlocal size
        size += len(piece) + (1 if cur else 0)
        cur.append(piece)

    for n, line in enumerate(lines):
        if line.kind == "open":  # a block that fits on a page starts on a fresh one rather than split
            end = next((k for k in range(n + 1, len(lines)) if lines[k].kind == "close"), len(lines) - 1)
            block = sum(len(x.text) + 1 for x in lines[n : end + 1])
            if cur and size + block > limit and block <= limit:
                flush()
        fence = opener if opener is not None else (line if line.kind == "open" else None)
        closing = len(fence.closer) + 1 if fence is not None and line.kind != "close" else 0
        room = limit - closing - (len(opener.text) + 1 if opener is not None else 0)
        text = line.text
        pieces: list[str] = []
        while len(text) > room:  # one line longer than a page (a 20,000-character line)
            piece = clip(text, room) or text[:room]
            pieces.append(piece)
            text = text[len(piece) :].lstrip(" ")
        if text or not pieces:
            pieces.append(text)
        for piece in pieces:
            if cur and size + len(piece) + 1 + closing > limit:
                if opener is not None:
                    cur.append(opener.closer)
                flush()
                if opener is not None:
                    put(opener.text)
            put(piece)
        if line.kind == "open":
            opener = line
        elif line.kind == "close":
            opener = None
    flush()
    return pages or [ELLIPSIS]


def section_pages(section: Section, source_url: str = "") -> list[str]:
    """The whole section, converted, as embed-description pages."""
    return paginate(section_markdown(section, source_url))


def full_embed(
    section: Section, page: int, pages: Sequence[str], source_url: str = "", locale: str | None = None
) -> discord.Embed:
    """Page ``page`` (0-based) of a section, for the private "full section" reply."""
    url = file_url(source_url, section.source, section.line) or None
    embed = discord.Embed(title=heading_title(section.heading_path), colour=COLOR_ANSWER, url=url)
    page = max(0, min(page, len(pages) - 1))
    embed.description = pages[page]
    footer = section.location if len(pages) == 1 else f"{section.location} · {page + 1}/{len(pages)}"
    embed.set_footer(text=ellipsize(footer, limits.EMBED_FOOTER))
    return embed


def install_embed(
    title: str, snippet: str, language: str, location: str, locale: str | None = None
) -> discord.Embed:
    """An install snippet in a fenced block (```bash) with its source in the footer."""
    lang = re.sub(r"[^\w+-]", "", language or "") or "bash"
    embed = discord.Embed(
        title=ellipsize(t("install_title", locale, name=plain(title)), 256), colour=COLOR_INSTALL
    )
    embed.set_footer(text=ellipsize(location, limits.EMBED_FOOTER))
    embed.description = fit_markdown(f"```{lang}\n{snippet.strip(chr(10))}\n```", limits.EMBED_DESCRIPTION)
    return embed


def reindex_embed(report: Any, locale: str | None = None) -> discord.Embed:
    """Counts and problems of a ReindexReport (files, sections, retokenized, warnings, seconds, ok, error)."""
    ok = getattr(report, "ok", True)
    embed = discord.Embed(title=t("reindex_title" if ok else "reindex_failed", locale), colour=COLOR_ADMIN)
    embed.description = t(
        "reindex_body",
        locale,
        files=report.files,
        sections=report.sections,
        retokenized=report.retokenized,
        seconds=float(report.seconds),
    )
    if not ok:
        error = break_ticks(str(getattr(report, "error", "") or ""))
        embed.description = ellipsize(t("reindex_kept", locale, error=error), limits.EMBED_DESCRIPTION)
    warnings = [str(w) for w in report.warnings]
    if warnings:
        shown = _bullets(warnings, limits.EMBED_FIELD_VALUE - 40)
        left = len(warnings) - (shown.count("\n") + 1 if shown else 0)
        if left > 0:
            shown += ("\n" if shown else "") + t("reindex_more_problems", locale, n=left)
        embed.add_field(name=t("reindex_problems", locale), value=shown, inline=False)
    else:
        embed.add_field(name=t("reindex_problems", locale), value=t("reindex_none", locale), inline=False)
    return embed


def help_embed(
    commands: Sequence[tuple[str, str]], examples: Sequence[str], locale: str | None = None
) -> discord.Embed:
    """What the bot does, its commands ((name, what) pairs) and example questions."""
    embed = discord.Embed(
        title=t("help_title", locale), description=t("help_body", locale), colour=COLOR_ANSWER
    )
    lines = "\n".join(f"`/{name}` — {what}" for name, what in commands)
    embed.add_field(
        name=t("help_commands", locale), value=ellipsize(lines, limits.EMBED_FIELD_VALUE), inline=False
    )
    if examples:
        embed.add_field(
            name=t("help_examples", locale), value=_bullets(examples, limits.EMBED_FIELD_VALUE), inline=False
        )
    return embed


def question_from_embeds(embeds: Sequence[discord.Embed]) -> str:
    """The question an answer message was for (its author line), '' when absent."""
    for e in embeds:
        if e.author and e.author.name:
            return e.author.name.removesuffix(ELLIPSIS).strip()
    return ""


def location_from_embeds(embeds: Sequence[discord.Embed]) -> str:
    """The source file:line an answer message shows (its footer, without a page number), '' when absent."""
    for e in embeds:
        if e.footer and e.footer.text:
            return e.footer.text.split(" · ", 1)[0]
    return ""


def page_from_embeds(embeds: Sequence[discord.Embed]) -> int:
    """The 0-based page a "full section" message shows (its footer's 'n/m')."""
    for e in embeds:
        if e.footer and e.footer.text and (m := re.search(r" · (\d+)/\d+$", e.footer.text)):
            return int(m[1]) - 1
    return 0
