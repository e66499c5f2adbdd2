"""/ask (질문): the best section as an embed, with 'more results' and 👍/👎 buttons that survive restarts.

The buttons are DynamicItems: their custom_id is a fixed template, and what they act on (the question,
the answer's source) is read back from the message they are attached to. Nothing is kept in memory.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.app_commands import locale_str as _
from discord.ext import commands

from bot.discord_app import render
from bot.discord_app.checks import cooldown, spend_question
from bot.discord_app.i18n import t
from bot.discord_app.insight import asking, origin_of
from bot.discord_app.replies import defer, report_error, send

if TYPE_CHECKING:
    from bot.answers.types import Answer
    from bot.discord_app.client import QABot


class MoreButton(discord.ui.DynamicItem[discord.ui.Button], template=r"qa:more:(?P<start>\d{1,2})"):
    """Shows the other results for the message's question, privately to whoever clicks."""

    def __init__(self, start: int = 1, label: str = "More results") -> None:
        super().__init__(
            discord.ui.Button(
                label=label, emoji="🔎", style=discord.ButtonStyle.secondary, custom_id=f"qa:more:{start}"
            )
        )
        self.start = start

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str], /
    ) -> MoreButton:
        return cls(int(match["start"]), item.label or "")

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            spend_question(interaction)
            await defer(interaction, ephemeral=True)
            bot: Any = interaction.client
            embeds = interaction.message.embeds if interaction.message else []
            question = render.question_from_embeds(embeds)
            locale = str(interaction.locale)
            if not question:
                await send(interaction, content=t("no_more", locale), ephemeral=True)
                return
            with asking(interaction, "button"):
                answer = bot.engine().ask(question)
            await send(interaction, embeds=render.more_embeds(answer, self.start, locale), ephemeral=True)
        except Exception as err:  # buttons have no tree.on_error; report the same way
            await report_error(interaction, err)


class VoteButton(discord.ui.DynamicItem[discord.ui.Button], template=r"qa:vote:(?P<vote>up|down)"):
    """👍/👎 feedback on the answer shown in the message."""

    def __init__(self, vote: str) -> None:
        super().__init__(
            discord.ui.Button(
                emoji="👍" if vote == "up" else "👎",
                style=discord.ButtonStyle.secondary,
                custom_id=f"qa:vote:{vote}",
            )
        )
        self.vote = vote

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str], /
    ) -> VoteButton:
        return cls(match["vote"])

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            bot: Any = interaction.client
            embeds = interaction.message.embeds if interaction.message else []
            bot.feedback.record(
                self.vote,
                question=render.question_from_embeds(embeds),
                location=render.location_from_embeds(embeds),
                user_id=interaction.user.id,
                message_id=interaction.message.id if interaction.message else None,
                origin=origin_of(interaction, "vote"),
            )
            key = "thanks_up" if self.vote == "up" else "thanks_down"
            await send(interaction, content=t(key, str(interaction.locale)), ephemeral=True)
        except Exception as err:
            await report_error(interaction, err)


def answer_view(answer: Answer, locale: str | None) -> discord.ui.View | None:
    """Buttons under an answer; none under a decline. Stopped at once: DynamicItems need no stored view."""
    if not answer.answered or not answer.results:
        return None
    view = discord.ui.View(timeout=None)
    if len(answer.results) > 1:
        view.add_item(MoreButton(1, t("more", locale)))
    view.add_item(VoteButton("up"))
    view.add_item(VoteButton("down"))
    view.stop()  # not kept in the view store (no memory per message); clicks route by custom_id
    return view


def answer_message(bot: Any, answer: Answer, locale: str | None) -> dict[str, Any]:
    """kwargs for send()/reply(): the answer embed and its buttons, or a decline with suggestions."""
    if answer.answered and answer.results:
        view = answer_view(answer, locale)
        return {"embeds": render.answer_embeds(answer, locale), **({"view": view} if view else {})}
    examples: list[str] = []
    if not answer.suggestions:
        try:
            examples = list(bot.engine().examples(5))
        except Exception:  # suggestions are a nicety
            examples = []
    return {"embeds": [render.decline_embed(answer, locale, examples)]}


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


async def setup(bot: QABot) -> None:
    bot.add_dynamic_items(MoreButton, VoteButton)
    await bot.add_cog(Ask(bot))
