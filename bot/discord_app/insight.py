"""Where a Discord question came from, for the question log (bot/insight/log.py).

    with asking(interaction, "slash"):
        answer = bot.engine().ask(question)

The service logs every answer it makes (its on_answer hook); this only tells the log where it was asked.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

import discord

from bot.insight.log import Origin, asked_from


def origin_of(where: discord.Interaction | discord.Message, source: str) -> Origin:
    """guild, channel and user of an interaction or a message (the user id is hashed by the log)."""
    if isinstance(where, discord.Interaction):
        user: Any = where.user
        return Origin(source, where.guild_id, where.channel_id, getattr(user, "id", None))
    guild = where.guild.id if where.guild else getattr(where.channel, "guild_id", None)  # uncached guild
    return Origin(source, guild, where.channel.id, where.author.id)


def asking(where: discord.Interaction | discord.Message, source: str) -> AbstractContextManager[None]:
    return asked_from(origin_of(where, source))
