"""Runtime checks for app commands and buttons (Discord's default_member_permissions is client-side only)."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from bot.discord_app.replies import NotMaintainer


def spend_question(interaction: discord.Interaction) -> None:
    """Take one question from the user's cooldown bucket or raise CommandOnCooldown."""
    bot: Any = interaction.client
    retry = bot.cooldowns.hit(interaction.user.id)
    if retry is not None:
        raise app_commands.CommandOnCooldown(bot.cooldowns.cooldown(interaction.user.id), retry)


def cooldown() -> Any:
    """App-command check: the per-user question cooldown from config."""

    async def predicate(interaction: discord.Interaction) -> bool:
        spend_question(interaction)
        return True

    return app_commands.check(predicate)


def is_maintainer(user: discord.abc.User, role_ids: list[int] | tuple[int, ...]) -> bool:
    """Administrator (as Discord resolved it for this interaction) or a configured maintainer role."""
    if not isinstance(user, discord.Member):
        return False
    if user.guild_permissions.administrator:
        return True
    # Member._roles holds the role ids from the payload even when the guild's roles are not cached.
    held = {int(r) for r in getattr(user, "_roles", ())} | {r.id for r in user.roles}
    return any(rid in held for rid in role_ids)


def maintainers_only() -> Any:
    async def predicate(interaction: discord.Interaction) -> bool:
        bot: Any = interaction.client
        if interaction.permissions.administrator:
            return True
        if not is_maintainer(interaction.user, bot.config.discord.maintainer_role_ids):
            raise NotMaintainer()
        return True

    return app_commands.check(predicate)
