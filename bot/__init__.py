"""Korean study-notes Q&A bot. ``load_config`` reads config.toml; ``create_bot`` builds the Discord bot.

``create_bot`` is imported lazily so that ``import bot`` (the CLI, the engine) does not import discord.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.config import load_config

if TYPE_CHECKING:
    from bot.discord_app.client import create_bot

__all__ = ["create_bot", "load_config"]


def __getattr__(name: str) -> Any:
    if name == "create_bot":
        from bot.discord_app.client import create_bot

        return create_bot
    raise AttributeError(f"module 'bot' has no attribute {name!r}")
