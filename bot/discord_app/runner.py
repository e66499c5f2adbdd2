"""What ``python -m bot run`` and ``python -m bot sync [--guild ID]`` call. The token comes from the
DISCORD_TOKEN environment variable and is never printed or logged."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys

import aiohttp
import discord

from bot.config import Config
from bot.discord_app.client import create_bot
from bot.errors import BotError

log = logging.getLogger("bot.discord")

TOKEN_ENV = "DISCORD_TOKEN"


def _token() -> str | None:
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        print(f"error: {TOKEN_ENV} is not set: export the bot token as {TOKEN_ENV}", file=sys.stderr)
        return None
    return token


def _setup_logging(config: Config) -> None:
    if not logging.getLogger().handlers:  # the CLI may have configured logging already
        logging.basicConfig(
            level=config.logging.level,
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
            stream=sys.stderr,
        )


def run(config: Config) -> int:
    """Serve until SIGINT/SIGTERM. 0 on a clean stop, 2 without a token, 1 on failure."""
    token = _token()
    if token is None:
        return 2
    _setup_logging(config)
    try:
        asyncio.run(_serve(config, token))
    except KeyboardInterrupt:
        return 0
    except discord.LoginFailure:
        print(f"error: Discord rejected the token in {TOKEN_ENV}", file=sys.stderr)
        return 1
    except discord.PrivilegedIntentsRequired:
        print(
            "error: [discord] message_content_intent is on in config but the Message Content intent is not "
            "enabled in the Discord developer portal",
            file=sys.stderr,
        )
        return 1
    except BotError as err:
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code
    except (OSError, aiohttp.ClientError) as err:
        print(f"error: cannot reach Discord: {err}", file=sys.stderr)
        return 1
    return 0


async def _serve(config: Config, token: str) -> None:
    bot = create_bot(config)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not on Windows / not main thread
            loop.add_signal_handler(sig, lambda: asyncio.ensure_future(bot.close()))
    async with bot:
        await bot.start(token)


def sync(config: Config, guild_id: int | None) -> int:
    """Register the slash commands: in guild ``guild_id``, else the config's sync guild when
    ``sync = "guild"``, else globally. Needs no index."""
    token = _token()
    if token is None:
        return 2
    _setup_logging(config)
    if guild_id is None and config.discord.sync == "guild" and config.discord.sync_guild_id:
        guild_id = config.discord.sync_guild_id
    try:
        count = asyncio.run(_sync(config, token, guild_id))
    except discord.LoginFailure:
        print(f"error: Discord rejected the token in {TOKEN_ENV}", file=sys.stderr)
        return 1
    except (discord.HTTPException, ValueError, OSError, aiohttp.ClientError) as err:
        print(f"error: sync failed: {err}", file=sys.stderr)
        return 1
    where = f"to guild {guild_id}" if guild_id else "globally"
    print(f"synced {count} commands {where}")
    return 0


async def _sync(config: Config, token: str, guild_id: int | None) -> int:
    from bot.discord_app.sync import sync_commands

    bot = create_bot(config, commands_only=True)
    async with bot:
        await bot.login(token)  # HTTP only: no gateway connection
        return len(await sync_commands(bot, guild_id=guild_id))
