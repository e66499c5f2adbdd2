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
from discord.ext import commands

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
    """Serve until SIGTERM or SIGINT (a second one while stopping is only logged)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGTERM, signal.SIGINT)
    for sig in signals:
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not on Windows / not main thread
            loop.add_signal_handler(sig, _request_stop, stop, sig)
    try:
        await serve(create_bot(config), token, stop)
    finally:
        for sig in signals:
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)


def _request_stop(stop: asyncio.Event, sig: signal.Signals) -> None:
    log.info("%s: %s", sig.name, "already stopping" if stop.is_set() else "disconnecting from Discord")
    stop.set()


async def serve(bot: commands.Bot, token: str, stop: asyncio.Event) -> None:
    """Log in, connect and serve until ``stop`` is set or the connection ends for good (its error raised),
    then close: the gateway session with code 1000, the watcher, the answer service."""
    async with bot:  # its exit runs bot.close()
        gateway = asyncio.create_task(bot.start(token), name="discord-gateway")
        stopping = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait({gateway, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
            # Cancel the task polling the gateway instead of calling close() beside it: discord.py 2.7.1's
            # poll loop would see aiohttp's CLOSING during ws.close(1000) and send 4000 first, which Discord
            # takes as "will resume" (the bot stays online for minutes). With no reader, close() sends 1000.
            gateway.cancel()
            await asyncio.wait({gateway})
        if not gateway.cancelled():
            gateway.result()  # LoginFailure, PrivilegedIntentsRequired, ...: run() reports them


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
