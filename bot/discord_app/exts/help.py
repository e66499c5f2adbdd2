"""/help (도움말): what the bot does, its commands (in the user's language) and example questions."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.app_commands import locale_str as _
from discord.ext import commands

from bot.discord_app import render
from bot.discord_app.i18n import COMMAND_KO, is_korean, t
from bot.discord_app.replies import send

if TYPE_CHECKING:
    from bot.discord_app.client import QABot

log = logging.getLogger("bot.discord")

_COMMANDS = (
    ("ask", "help_cmd_ask"),
    ("install", "help_cmd_install"),
    ("reindex", "help_cmd_reindex"),
    ("stats", "help_cmd_stats"),
    ("help", "help_cmd_help"),
)


def help_lines(locale: str | None) -> list[tuple[str, str]]:
    """(command name as the user sees it, what it does)."""
    ko = is_korean(locale)
    return [(COMMAND_KO[name] if ko else name, t(key, locale)) for name, key in _COMMANDS]


def help_message(bot: QABot, locale: str | None) -> discord.Embed:
    try:
        examples = list(bot.engine().examples(5))
    except Exception:  # help works even while the engine is loading
        log.debug("no examples for /help", exc_info=True)
        examples = []
    return render.help_embed(help_lines(locale), examples, locale)


class Help(commands.Cog):
    def __init__(self, bot: QABot) -> None:
        self.bot = bot

    @app_commands.command(name=_("help"), description=_("What this bot does and how to use it"))
    async def help(self, interaction: discord.Interaction) -> None:
        await send(interaction, embed=help_message(self.bot, str(interaction.locale)), ephemeral=True)


async def setup(bot: QABot) -> None:
    await bot.add_cog(Help(bot))
