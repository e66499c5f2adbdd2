"""An Answer as a Discord message with its buttons, shared by every extension that answers.

The buttons are DynamicItems: their custom_id is a fixed template, and what they act on (the question,
the answer's source, the corrected question) is read back from the message or the custom_id. Nothing
is kept in memory, so they work after a restart.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import discord

from bot.discord_app import limits, render
from bot.discord_app.checks import spend_question
from bot.discord_app.i18n import t
from bot.discord_app.insight import asking, origin_of
from bot.discord_app.replies import NO_MENTIONS, defer, report_error, send

if TYPE_CHECKING:
    from bot.answers.types import Answer

DYM_MAX = 90  # longest corrected question a button can carry (custom_id ≤ 100 with its prefix)


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
            embeds = render.more_embeds(answer, self.start, locale, source_url(bot))
            shown = render.more_results(answer, self.start)  # none: the "no more" embed, no button
            view = full_view(len(embeds) if shown else 0, locale)
            await send(interaction, embeds=embeds, ephemeral=True, **({"view": view} if view else {}))
        except Exception as err:  # buttons have no tree.on_error; report the same way
            await report_error(interaction, err)


def source_url(bot: Any) -> str:
    config = getattr(bot, "config", None)
    return config.knowledge.source_url if config is not None else ""


class FullButton(discord.ui.DynamicItem[discord.ui.Button], template=r"qa:full:(?P<embed>\d{1,2})"):
    """Shows the whole section of the message's ``embed``-th result, privately, paged when long."""

    def __init__(self, embed: int = 0, label: str = "Full section") -> None:
        super().__init__(
            discord.ui.Button(
                label=label, emoji="📄", style=discord.ButtonStyle.secondary, custom_id=f"qa:full:{embed}"
            )
        )
        self.embed = embed

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str], /
    ) -> FullButton:
        return cls(int(match["embed"]), item.label or "")

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            spend_question(interaction)
            await defer(interaction, ephemeral=True)
            embeds = interaction.message.embeds if interaction.message else []
            picked = embeds[self.embed : self.embed + 1]
            await send(interaction, ephemeral=True, **full_message(interaction, picked, 0))
        except Exception as err:
            await report_error(interaction, err)


class PageButton(
    discord.ui.DynamicItem[discord.ui.Button], template=r"qa:page:(?P<page>\d{1,3}):(?P<way>[pn])"
):
    """◀/▶ on a "full section" message: the same message shows page ``page`` (0-based) instead."""

    def __init__(self, page: int, way: str) -> None:
        super().__init__(
            discord.ui.Button(
                emoji="◀️" if way == "p" else "▶️",
                style=discord.ButtonStyle.secondary,
                custom_id=f"qa:page:{page}:{way}",
            )
        )
        self.page = page

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str], /
    ) -> PageButton:
        return cls(int(match["page"]), match["way"])

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            embeds = interaction.message.embeds if interaction.message else []
            reply = full_message(interaction, embeds, self.page)
            reply.setdefault("embeds", [])
            reply.setdefault("view", None)
            await interaction.response.edit_message(allowed_mentions=NO_MENTIONS, **reply)
        except Exception as err:
            await report_error(interaction, err)


def full_message(interaction: discord.Interaction, embeds: list[discord.Embed], page: int) -> dict[str, Any]:
    """kwargs for the private full-section reply: one page of the section the embeds' footer names."""
    bot: Any = interaction.client
    locale = str(interaction.locale)
    section = bot.engine().section_at(render.location_from_embeds(embeds))
    if section is None:
        return {"content": t("full_gone", locale)}
    url = source_url(bot)
    pages = render.section_pages(section, url)
    page = max(0, min(page, len(pages) - 1))
    out: dict[str, Any] = {"embeds": [render.full_embed(section, page, pages, url, locale)]}
    if len(pages) > 1:
        view = discord.ui.View(timeout=None)
        if page > 0:
            view.add_item(PageButton(page - 1, "p"))
        if page + 1 < len(pages):
            view.add_item(PageButton(page + 1, "n"))
        view.stop()
        out["view"] = view
    return out


def full_view(n: int, locale: str | None) -> discord.ui.View | None:
    """One "full section" button per result embed of a "more results" message (numbered when several)."""
    if n <= 0:
        return None
    view = discord.ui.View(timeout=None)
    for k in range(min(n, 25)):
        view.add_item(FullButton(k, t("full", locale) + (f" {k + 1}" if n > 1 else "")))
    view.stop()
    return view


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


class DidYouMeanButton(discord.ui.DynamicItem[discord.ui.Button], template=r"qa:dym:(?P<q>.{1,90})"):
    """ "혹시 …을(를) 찾으셨나요?": asks the corrected question (carried in the custom_id) publicly."""

    def __init__(self, question: str) -> None:
        super().__init__(
            discord.ui.Button(
                label=render.ellipsize(question, limits.BUTTON_LABEL),
                emoji="💡",
                style=discord.ButtonStyle.primary,
                custom_id=f"qa:dym:{question}",
            )
        )
        self.question = question

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str], /
    ) -> DidYouMeanButton:
        return cls(match["q"])

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            spend_question(interaction)
            await defer(interaction)
            bot: Any = interaction.client
            with asking(interaction, "button"):
                answer = bot.engine().ask(self.question)
            await send(interaction, **answer_message(bot, answer, str(interaction.locale)))
        except Exception as err:
            await report_error(interaction, err)


def _object_particle(word: str) -> str:
    """을 after a final consonant, 를 after a vowel, 을(를) when the word does not end in Hangul."""
    last = word.rstrip()[-1:] if word.strip() else ""
    if not ("가" <= last <= "힣"):
        return "을(를)"
    return "을" if (ord(last) - 0xAC00) % 28 else "를"


def did_you_mean(answer: Answer) -> str | None:
    """The corrected question worth offering (fits a button's custom_id), or None."""
    fixed = (answer.repaired_question or "").strip()
    if not fixed or fixed == answer.question.strip() or len(fixed) > DYM_MAX:
        return None
    return fixed


def did_you_mean_line(question: str, locale: str | None) -> str:
    shown = render.break_ticks(render.ellipsize(question, 200)).replace("*", "")
    return t("did_you_mean", locale, question=shown, particle=_object_particle(question))


def answer_view(
    answer: Answer, locale: str | None, extra: Sequence[discord.ui.Item[Any]] = ()
) -> discord.ui.View | None:
    """Buttons under an answer (a decline gets only "did you mean" and ``extra``); None when none.

    Stopped at once: DynamicItems need no stored view, clicks route by custom_id.
    """
    items: list[discord.ui.Item[Any]] = []
    fixed = did_you_mean(answer)
    if fixed:
        items.append(DidYouMeanButton(fixed))
    if answer.answered and answer.results:
        items.append(FullButton(0, t("full", locale)))
        if len(answer.results) > 1:
            items.append(MoreButton(1, t("more", locale)))
        items += [VoteButton("up"), VoteButton("down")]
    items += list(extra)
    if not items:
        return None
    view = discord.ui.View(timeout=None)
    for item in items:
        view.add_item(item)
    view.stop()  # not kept in the view store (no memory per message)
    return view


def answer_message(
    bot: Any, answer: Answer, locale: str | None, extra: Sequence[discord.ui.Item[Any]] = ()
) -> dict[str, Any]:
    """kwargs for send()/reply(): the answer embed and its buttons, or a decline with suggestions."""
    view = answer_view(answer, locale, extra)
    out: dict[str, Any] = {"view": view} if view else {}
    fixed = did_you_mean(answer)
    if fixed:
        out["content"] = did_you_mean_line(fixed, locale)
    if answer.answered and answer.results:
        return {"embeds": render.answer_embeds(answer, locale, source_url(bot)), **out}
    examples: list[str] = []
    if not answer.suggestions:
        try:
            examples = list(bot.engine().examples(5))
        except Exception:  # suggestions are a nicety
            examples = []
    return {"embeds": [render.decline_embed(answer, locale, examples)], **out}


DYNAMIC_ITEMS = (MoreButton, VoteButton, DidYouMeanButton, FullButton, PageButton)
