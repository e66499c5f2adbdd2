"""/ask (질문): the best section as an embed with its buttons (answer_ui.py); the question autocompletes
with section titles."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.app_commands import locale_str as _
from discord.ext import commands

from bot.discord_app import limits, render
from bot.discord_app.answer_ui import DYNAMIC_ITEMS, answer_message
from bot.discord_app.answer_ui import MoreButton as MoreButton  # re-exported: older imports keep working
from bot.discord_app.answer_ui import VoteButton as VoteButton
from bot.discord_app.answer_ui import answer_view as answer_view
from bot.discord_app.checks import cooldown
from bot.discord_app.insight import asking
from bot.discord_app.replies import defer, send

if TYPE_CHECKING:
    from bot.discord_app.client import QABot

HELP = (("ask", "help_cmd_ask"),)  # (command, i18n key) for /help


def title_choices(titles: list[str]) -> list[app_commands.Choice[str]]:
    """Autocomplete choices within Discord's limits (≤ 25, names and values ≤ 100 characters)."""
    return [
        app_commands.Choice(
            name=render.ellipsize(title, limits.CHOICE_NAME),
            value=render.ellipsize(title, limits.CHOICE_VALUE),
        )
        for title in titles[: limits.CHOICES]
    ]


class Ask(commands.Cog):
    def __init__(self, bot: QABot) -> None:
        self.bot = bot

    @app_commands.command(name=_("ask"), description=_("Ask a question about the study notes"))
    @app_commands.rename(question=_("question"))
    @app_commands.describe(question=_("Your question, in Korean or English"))
    @cooldown()
    async def ask(self, interaction: discord.Interaction, question: str) -> None:
        await defer(interaction)  # acknowledge first: the 3-second rule holds whatever the engine does
        with asking(interaction, "slash"):
            answer = self.bot.engine().ask(question)
        await send(interaction, **answer_message(self.bot, answer, str(interaction.locale)))

    @ask.autocomplete("question")
    async def question_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        service = self.bot.service
        if service is None:  # still loading: no suggestions yet
            return []
        typed = render.ellipsize(current, self.bot.config.search.max_question_chars)
        return title_choices(service.titles(typed, limits.CHOICES))


async def setup(bot: QABot) -> None:
    bot.add_dynamic_items(*DYNAMIC_ITEMS)
    await bot.add_cog(Ask(bot))
