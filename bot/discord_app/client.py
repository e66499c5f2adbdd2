"""create_bot(config): an unstarted discord.py Bot over the answer engine. No network until login/start.

Extensions, persistent buttons, the translator and the optional start-up sync are set up in
``setup_hook``, which discord.py runs inside ``await bot.login(token)``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import pkgutil
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, TypeVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.config import Config
from bot.discord_app.cooldown import UserCooldowns
from bot.discord_app.feedback import FeedbackLog
from bot.discord_app.i18n import KoreanTranslator
from bot.discord_app.replies import NO_MENTIONS, ServiceNotReady, report_error
from bot.discord_app.topics import ThreadTopics
from bot.errors import ConfigError

if TYPE_CHECKING:
    from bot.answers.service import AnswerService

log = logging.getLogger("bot.discord")

SHUTDOWN_WAIT_SECONDS = 5.0  # for a reindex to finish on close (Docker's stop grace period is 10 s)


def discover_extensions() -> tuple[str, ...]:
    """Every module of bot.discord_app.exts (one per feature), in name order: a new ext is a new file."""
    from bot.discord_app import exts

    return tuple(
        f"{exts.__name__}.{m.name}" for m in sorted(pkgutil.iter_modules(exts.__path__), key=lambda m: m.name)
    )


EXTENSIONS = discover_extensions()


T = TypeVar("T")


async def _in_daemon_thread(fn: Callable[[], T]) -> T:
    """fn() in a daemon thread. Unlike asyncio.to_thread, a bot stopped meanwhile does not wait for it
    (asyncio.run joins the default executor's threads): SIGTERM during a cold index build stops at once,
    and the index file stays whole (saves are atomic)."""
    done: Future[T] = Future()
    done.set_running_or_notify_cancel()  # cancelling the awaiting task now leaves `done` alone

    def work() -> None:
        try:
            done.set_result(fn())
        except BaseException as err:
            done.set_exception(err)

    threading.Thread(target=work, name="index-load", daemon=True).start()
    return await asyncio.wrap_future(done)


class QATree(app_commands.CommandTree):
    """Every app-command error ends here: a useful ephemeral message for the user, the rest logged."""

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        await report_error(interaction, error)


class _QABot:
    """Shared by the single-process and the sharded bot (mixed into commands.Bot / AutoShardedBot)."""

    config: Config
    service: AnswerService | None
    cooldowns: UserCooldowns
    feedback: FeedbackLog
    topics: ThreadTopics
    _commands_only: bool
    watcher: Any = None  # bot.answers.watch.Watcher once setup_hook ran
    puller: Any = None  # bot.answers.pull.Puller once setup_hook ran
    insight: Any = None  # bot.insight.log.QuestionLog once setup_hook ran ([insight] enabled)

    def _init_qa(self, config: Config, service: AnswerService | None, commands_only: bool) -> None:
        self.config = config
        self.service = service
        self.cooldowns = UserCooldowns(config.discord.cooldown_rate, config.discord.cooldown_seconds)
        self.feedback = FeedbackLog()
        self.topics = ThreadTopics(ttl=config.discord.thread_topic_minutes * 60)  # threads' topics
        self._commands_only = commands_only

    def engine(self) -> AnswerService:
        """The answer service, or ServiceNotReady (shown to the user as 'still loading')."""
        if self.service is None:
            raise ServiceNotReady()
        return self.service

    async def setup_hook(self) -> None:
        bot: Any = self
        if self.service is None and not self._commands_only:
            from bot.answers.service import AnswerService  # the engine imports Kiwi: only when needed

            self.service = await _in_daemon_thread(lambda: AnswerService.from_config(self.config))
        if self.service is not None and not self._commands_only:
            from bot.answers.watch import Watcher

            self.watcher = Watcher(self.service, self.config).start()  # no-op unless [reload] watch
            from bot.answers.pull import Puller

            self.puller = Puller(self.service, self.config).start()  # no-op unless git + pull_minutes
            self._start_insight()
        cfg = self.config.discord
        if cfg.answer_channel_ids and not cfg.message_content_intent:
            log.warning(
                "answer_channel_ids is set but message_content_intent is off: only mentions are answered"
            )
        await bot.tree.set_translator(KoreanTranslator())
        for ext in EXTENSIONS:
            await bot.load_extension(ext)
        mode = self.config.discord.sync
        shard_ids = self.config.discord.shard_ids
        if (
            mode != "off" and not self._commands_only and (not shard_ids or 0 in shard_ids)
        ):  # one process syncs
            from bot.discord_app.sync import sync_commands

            guild = self.config.discord.sync_guild_id if mode == "guild" else None
            synced = await sync_commands(bot, guild_id=guild)
            log.info(
                "synced %d commands (%s) at start-up", len(synced), f"guild {guild}" if guild else "global"
            )

    def _start_insight(self) -> None:
        """The question log: answers through the service's hook, votes through the feedback log."""
        if not self.config.insight.enabled:
            return
        from bot.insight.log import QuestionLog

        self.insight = QuestionLog.from_config(self.config).start()
        self.feedback.sink = self.insight
        with contextlib.suppress(AttributeError):  # a stand-in service may have no hook
            self.service.on_answer = self.insight.record_answer  # type: ignore[union-attr]

    async def close(self) -> None:
        """Stop the watcher, close the connection, then give a running reindex and its index save a few
        seconds to finish (the process exits after this)."""
        insight = getattr(self, "insight", None)
        if insight is not None:
            if getattr(self.service, "on_answer", None) == insight.record_answer:
                self.service.on_answer = None  # type: ignore[union-attr]
            await asyncio.to_thread(insight.close)
            self.insight = None
        watcher = getattr(self, "watcher", None)
        if watcher is not None:
            await watcher.stop()
        puller = getattr(self, "puller", None)
        if puller is not None:
            await puller.stop()
        await super().close()  # type: ignore[misc]
        service = getattr(self, "service", None)
        if service is not None and not await asyncio.to_thread(service.wait_idle, SHUTDOWN_WAIT_SECONDS):
            log.warning("stopping during a reindex: the saved index stays the old one until the next start")
        if service is not None and hasattr(service, "close"):
            service.close()  # the embedding thread saves what it has and stops

    async def on_message(self, message: discord.Message) -> None:
        """No prefix commands: chat questions are handled by the chat extension's listener."""

    async def on_ready(self) -> None:
        user: Any = getattr(self, "user", None)
        log.info("connected as %s (id %s)", user, getattr(user, "id", "?"))


class QABot(_QABot, commands.Bot):
    def __init__(
        self, config: Config, service: AnswerService | None, commands_only: bool, **kwargs: Any
    ) -> None:
        commands.Bot.__init__(self, **kwargs)
        self._init_qa(config, service, commands_only)


class ShardedQABot(_QABot, commands.AutoShardedBot):
    def __init__(
        self, config: Config, service: AnswerService | None, commands_only: bool, **kwargs: Any
    ) -> None:
        commands.AutoShardedBot.__init__(self, **kwargs)
        self._init_qa(config, service, commands_only)


def intents_for(config: Config) -> discord.Intents:
    """Only what the bot uses: guilds (channels/threads), messages; Message Content only when configured."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.dm_messages = True
    intents.message_content = config.discord.message_content_intent
    return intents


def _shard_options(config: Config) -> dict[str, Any] | None:
    count, ids = config.discord.shard_count, list(config.discord.shard_ids)
    if not count and not ids:
        return None
    if ids and not count:
        raise ConfigError("config: key 'discord.shard_ids' needs 'discord.shard_count'")
    bad = [i for i in ids if not 0 <= i < count]
    if bad or len(set(ids)) != len(ids):
        raise ConfigError(f"config: key 'discord.shard_ids': each id once, in 0..{count - 1}")
    return {"shard_count": count, "shard_ids": ids or None}


def _check_sync(config: Config) -> None:
    if config.discord.sync == "guild" and not config.discord.sync_guild_id:
        raise ConfigError("config: key 'discord.sync' = \"guild\" needs 'discord.sync_guild_id'")


def create_bot(
    config: Config, service: AnswerService | None = None, *, commands_only: bool = False
) -> commands.Bot:
    """An unstarted bot (AutoShardedBot when shard_count/shard_ids are set); touches no network.

    ``service`` is built in ``setup_hook`` (in a worker thread) when not given. ``commands_only`` builds
    just the command tree (no engine, no start-up sync): what ``python -m bot sync`` needs.
    """
    kwargs: dict[str, Any] = {
        "command_prefix": commands.when_mentioned,  # required by commands.Bot; no prefix commands exist
        "help_command": None,
        "intents": intents_for(config),
        "allowed_mentions": NO_MENTIONS,
        "tree_cls": QATree,
        "member_cache_flags": discord.MemberCacheFlags.none(),
        "chunk_guilds_at_startup": False,
        "max_messages": 1000,  # recent messages, for reply-chain context
        "activity": discord.Activity(type=discord.ActivityType.listening, name="/ask · /help"),
    }
    discord.VoiceClient.warn_nacl = False  # no voice here: skip the "PyNaCl/davey is not installed" warnings
    discord.VoiceClient.warn_dave = False
    _check_sync(config)
    shards = _shard_options(config)
    if shards is not None:
        return ShardedQABot(config, service, commands_only, **kwargs, **shards)
    return QABot(config, service, commands_only, **kwargs)
