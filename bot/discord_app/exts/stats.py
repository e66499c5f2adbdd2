"""/stats (통계): the last 7 days of the question log in one ephemeral embed, for maintainers (the same
check as /reindex): counts, answer rate, top unanswered questions, most 👎 sections."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.app_commands import locale_str as _
from discord.ext import commands

from bot.discord_app import limits, render
from bot.discord_app.checks import maintainers_only
from bot.discord_app.i18n import t
from bot.discord_app.replies import defer, send
from bot.insight.report import build_report, percent

HELP = (("stats", "help_cmd_stats"),)  # (command, i18n key) for /help

if TYPE_CHECKING:
    from bot.discord_app.client import QABot

log = logging.getLogger("bot.discord")

_MARKDOWN = re.compile(r"([\\*_~`|>\[\]()#])")
DAYS = 7
SHOWN = 5  # questions and sections per field


def _lines(items: list[str], locale: str | None) -> str:
    """Bullets that fit one field."""
    out: list[str] = []
    size = 0
    for item in items[:SHOWN]:
        line = "• " + item
        if size + len(line) + 1 > limits.EMBED_FIELD_VALUE:
            break
        out.append(line)
        size += len(line) + 1
    return "\n".join(out) or t("stats_none", locale)


def _escaped(text: str) -> str:
    """User text, shortened, with Markdown escaped (no bold, code, quote or masked link can open)."""
    return _MARKDOWN.sub(r"\\\1", render.ellipsize(" ".join(text.split()), 150))


def stats_embed(report: dict[str, Any], locale: str | None) -> discord.Embed:
    r = report
    rate = percent(r["answer_rate"], digits=0)
    embed = discord.Embed(title=t("stats_title", locale, days=r["days"]), colour=render.COLOR_ADMIN)
    embed.description = t(
        "stats_body",
        locale,
        questions=r["questions"],
        answered=r["answered"],
        declined=r["declined"],
        rate=rate,
        up=r["votes"]["up"],
        down=r["votes"]["down"],
    )
    unanswered = [f"{_escaped(u['question'])} (×{u['count']})" for u in r["unanswered"]]
    embed.add_field(name=t("stats_unanswered", locale), value=_lines(unanswered, locale), inline=False)
    down = [
        (f"{_escaped(d['title'])} ({d['location']})" if d.get("title") else d["location"]) + f" ×{d['count']}"
        for d in r["downvoted"]
    ]
    embed.add_field(name=t("stats_downvoted", locale), value=_lines(down, locale), inline=False)
    embed.set_footer(text=f"{r['since'][:10]} – {r['until'][:10]} UTC")
    return embed


class Stats(commands.Cog):
    def __init__(self, bot: QABot) -> None:
        self.bot = bot

    def _report(self) -> dict[str, Any]:
        if self.bot.insight is not None:
            self.bot.insight.flush(5.0)  # what was just asked counts too
        return build_report(self.bot.config.insight_path, DAYS, limit=SHOWN)

    @app_commands.command(
        name=_("stats"),
        description=_("Questions, answer rate and what the notes miss, last 7 days (maintainers)"),
    )
    @app_commands.default_permissions(administrator=True)
    @app_commands.guild_only()
    @maintainers_only()
    async def stats(self, interaction: discord.Interaction) -> None:
        locale = str(interaction.locale)
        await defer(interaction, ephemeral=True)
        if not self.bot.config.insight.enabled:
            await send(interaction, content=t("stats_off", locale), ephemeral=True)
            return
        report = await asyncio.to_thread(self._report)  # SQLite off the event loop
        await send(interaction, embed=stats_embed(report, locale), ephemeral=True)


async def setup(bot: QABot) -> None:
    await bot.add_cog(Stats(bot))
