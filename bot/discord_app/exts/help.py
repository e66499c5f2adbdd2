"""/help (도움말): what the bot does, its commands (in the user's language) and example questions.

Each extension lists its own commands in a module-level ``HELP = ((command, i18n key), ...)``; this
one collects them from the loaded extensions, so a new ext needs no edit here."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

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

HELP = (("help", "help_cmd_help"),)


def commands_of(bot: Any) -> list[tuple[str, str]]:
    """(command, i18n key) of every loaded extension, in load order; /help itself last."""
    pairs = [
        p
        for name, mod in bot.extensions.items()
        if mod.__name__ != __name__
        for p in getattr(mod, "HELP", ())
    ]
    return pairs + list(HELP)


def help_lines(bot: Any, locale: str | None) -> list[tuple[str, str]]:
    """(command name as the user sees it, what it does)."""
    ko = is_korean(locale)
    return [(COMMAND_KO.get(name, name) if ko else name, t(key, locale)) for name, key in commands_of(bot)]


def help_message(bot: QABot, locale: str | None) -> discord.Embed:
    try:
        examples = list(bot.engine().examples(5))
    except Exception:  # help works even while the engine is loading
        log.debug("no examples for /help", exc_info=True)
        examples = []
    return render.help_embed(help_lines(bot, locale), examples, locale)


class Help(commands.Cog):
    def __init__(self, bot: QABot) -> None:
        self.bot = bot

    @app_commands.command(name=_("help"), description=_("What this bot does and how to use it"))
    async def help(self, interaction: discord.Interaction) -> None:
        await send(interaction, embed=help_message(self.bot, str(interaction.locale)), ephemeral=True)


async def setup(bot: QABot) -> None:
    await bot.add_cog(Help(bot))
