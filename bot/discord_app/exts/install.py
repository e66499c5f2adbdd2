"""/install (설치): a distro's install snippet from the notes, offered by autocomplete (≤ 25 choices)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.app_commands import locale_str as _
from discord.ext import commands

from bot.discord_app import limits, render
from bot.discord_app.checks import cooldown
from bot.discord_app.i18n import is_korean
from bot.discord_app.replies import send

if TYPE_CHECKING:
    from bot.discord_app.client import QABot

HELP = (("install", "help_cmd_install"),)  # (command, i18n key) for /help

_NON_WORD = re.compile(r"[\W_]+")


def _norm(text: str) -> str:
    return _NON_WORD.sub("", text.lower())


def choice_name(snippet: Any, locale: str | None) -> str:
    """'우분투 (Ubuntu Linux)' for Korean users, 'Ubuntu Linux (우분투)' otherwise; ≤ 100 characters."""
    ko, en = snippet.display_ko, snippet.title
    name = (f"{ko} ({en})" if is_korean(locale) else f"{en} ({ko})") if ko and ko != en else (ko or en)
    return render.ellipsize(name, limits.CHOICE_NAME)


def distro_choices(snippets: list[Any], current: str, locale: str | None) -> list[app_commands.Choice[str]]:
    """Snippets whose key, title or any alias contains what was typed; prefix matches first; ≤ 25."""
    want = _norm(current)
    ranked: list[tuple[int, int, Any]] = []
    for i, s in enumerate(snippets):
        names = [_norm(n) for n in (s.key, s.title, s.display_ko, *s.names)]
        if not want:
            ranked.append((1, i, s))
        elif any(n.startswith(want) for n in names):
            ranked.append((0, i, s))
        elif any(want in n for n in names):
            ranked.append((1, i, s))
    ranked.sort(key=lambda r: (r[0], r[1]))
    return [
        app_commands.Choice(name=choice_name(s, locale), value=s.key[: limits.CHOICE_VALUE])
        for _rank, _i, s in ranked[: limits.CHOICES]
    ]


class Install(commands.Cog):
    def __init__(self, bot: QABot) -> None:
        self.bot = bot

    @app_commands.command(
        name=_("install"), description=_("Show the install commands for a Linux distribution")
    )
    @app_commands.rename(distro=_("distro"))
    @app_commands.describe(distro=_("Linux distribution, e.g. Ubuntu"))
    @cooldown()
    async def install(self, interaction: discord.Interaction, distro: str) -> None:
        # A dictionary lookup, no tokenizing: answered directly, well inside the 3-second window.
        snip = self.bot.engine().install(distro)  # UnknownDistroError -> on_error lists the known ones
        locale = str(interaction.locale)
        name = snip.display_ko if is_korean(locale) and snip.display_ko else snip.title
        embed = render.install_embed(name, snip.snippet, snip.language, f"{snip.source}:{snip.line}", locale)
        await send(interaction, embed=embed)

    @install.autocomplete("distro")
    async def distro_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        service = self.bot.service
        snippets = service.distros() if service is not None else []  # loading: no suggestions yet
        return distro_choices(snippets, current, str(interaction.locale))


async def setup(bot: QABot) -> None:
    await bot.add_cog(Install(bot))
