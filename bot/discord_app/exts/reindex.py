"""/reindex (재색인): maintainers rebuild the index; the engine works in a thread, the loop stays free.

With `knowledge.git_remote` set it pulls first (fast-forward only); a refused pull is reported and the
old index keeps serving."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.app_commands import locale_str as _
from discord.ext import commands

from bot.discord_app import render
from bot.discord_app.checks import maintainers_only
from bot.discord_app.replies import defer, send

if TYPE_CHECKING:
    from bot.discord_app.client import QABot

log = logging.getLogger("bot.discord")

HELP = (("reindex", "help_cmd_reindex"),)  # (command, i18n key) for /help


class Reindex(commands.Cog):
    def __init__(self, bot: QABot) -> None:
        self.bot = bot

    @app_commands.command(
        name=_("reindex"), description=_("Rebuild the search index from the notes (maintainers)")
    )
    @app_commands.rename(full=_("full"))
    @app_commands.describe(full=_("Re-tokenize every section, not only changed ones"))
    @app_commands.default_permissions(administrator=True)  # hidden from others; server admins may widen it
    @app_commands.guild_only()
    @maintainers_only()  # default_member_permissions is enforced by Discord's client only
    async def reindex(self, interaction: discord.Interaction, full: bool = False) -> None:
        await defer(interaction, ephemeral=True)
        log.info("reindex (full=%s) requested by user %s", full, interaction.user.id)
        service = self.bot.engine()
        if self.bot.config.git_remote:
            from bot.answers.pull import pull_and_reindex

            report = await pull_and_reindex(service, full=full, config=self.bot.config)
        else:
            report = await service.reindex(full=full)  # worker thread; concurrent calls coalesce
        await send(interaction, embed=render.reindex_embed(report, str(interaction.locale)), ephemeral=True)


async def setup(bot: QABot) -> None:
    await bot.add_cog(Reindex(bot))
