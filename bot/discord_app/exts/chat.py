"""Chat questions: a message that mentions the bot (or any message in a DM, or in a configured answer
channel when the Message Content intent is on) is answered as a reply. Bots, webhooks and the bot
itself are ignored. A reply may use the message it replies to as context; in a thread, a question
that leans on what came before is asked in the thread's topic (topics.py, answers/followup.py)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord
from discord.ext import commands

from bot.discord_app import render
from bot.discord_app.answer_ui import answer_message
from bot.discord_app.i18n import locale_for_text, t
from bot.discord_app.insight import asking
from bot.discord_app.questions import clean_question
from bot.discord_app.replies import NO_MENTIONS, describe_error
from bot.errors import BotError

if TYPE_CHECKING:
    from bot.discord_app.client import QABot

log = logging.getLogger("bot.discord")

_CONTEXT_CHARS = 1000  # of the replied-to message
_TOPIC_CHARS = 200  # a thread's remembered topic
_SEEN = 2048  # message ids remembered: an event the gateway delivers again is not answered again


class Chat(commands.Cog):
    def __init__(self, bot: QABot) -> None:
        self.bot = bot
        self._seen: dict[int, None] = {}  # oldest first

    def wants_answer(self, message: discord.Message) -> bool:
        me = self.bot.user
        if me is None or message.author.bot or message.webhook_id is not None or message.author.id == me.id:
            return False
        if any(u.id == me.id for u in message.mentions):
            return True
        if isinstance(message.channel, discord.DMChannel):  # a DM to the bot
            return True
        cfg = self.bot.config.discord
        if cfg.message_content_intent and cfg.answer_channel_ids:
            channel = message.channel
            ids = {channel.id, getattr(channel, "parent_id", None)}  # a thread counts as its channel
            return any(i in cfg.answer_channel_ids for i in ids if i)
        return False

    async def context_of(self, message: discord.Message) -> str:
        """The question a reply refers to: the bot's own answer's question, or the other message's text."""
        ref = message.reference
        if ref is None or ref.message_id is None:
            return ""
        prev = ref.resolved if isinstance(ref.resolved, discord.Message) else ref.cached_message
        if prev is None:
            try:
                prev = await message.channel.fetch_message(ref.message_id)
            except discord.HTTPException:
                return ""
        me = self.bot.user
        if me is not None and prev.author.id == me.id:
            return render.question_from_embeds(prev.embeds)
        return clean_question(prev.content)[:_CONTEXT_CHARS]

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if not self.wants_answer(message) or message.id in self._seen:
            return
        self._seen[message.id] = None
        if len(self._seen) > _SEEN:
            del self._seen[next(iter(self._seen))]
        try:
            await self.answer(message)
        except Exception:
            log.exception("error answering message %s", message.id)

    async def answer(self, message: discord.Message) -> None:
        own = clean_question(message.content)
        context = await self.context_of(message)
        question = f"{own} {context}".strip() if context and context != own else own
        locale = locale_for_text(question)
        if not question:
            examples = [e for e in self._examples() if e][:1]
            hint = t(
                "empty_mention", locale, example=render.break_ticks(examples[0]) if examples else "/help"
            )
            await self._reply(message, content=hint)
            return
        retry = self.bot.cooldowns.hit(message.author.id)
        if retry is not None:
            if self.bot.cooldowns.should_warn(message.author.id, retry):
                await self._reply(message, content=t("cooldown", locale, seconds=max(1, round(retry))))
            return
        thread = message.channel if isinstance(message.channel, discord.Thread) else None
        topic = self.topic_of(thread) if thread is not None and not context else ""
        try:
            # In a thread, not a reply: the thread's topic may be meant.
            engine = self.bot.engine()
            with asking(message, "mention"):
                answer = engine.ask_followup(own, topic) if topic else engine.ask(question)
        except BotError as err:
            await self._reply(message, content=describe_error(err, locale)[0])
            return
        if thread is not None and answer.answered and answer.question == question:
            # Answered on its own terms: the thread is about this now (a follow-up keeps the old topic).
            self.bot.topics.set(thread.id, render.ellipsize(question, _TOPIC_CHARS))
        await self._reply(message, **answer_message(self.bot, answer, locale))

    def topic_of(self, thread: discord.Thread) -> str:
        """The last question answered in the thread, else a forum post's title."""
        topic = self.bot.topics.get(thread.id)
        if not topic and thread.parent_id in self.bot.config.discord.forum_channel_ids:
            topic = clean_question(thread.name)
        return topic

    def _examples(self) -> list[str]:
        try:
            return list(self.bot.engine().examples(3))
        except Exception:
            return []

    async def _reply(self, message: discord.Message, **kwargs: Any) -> None:
        if "content" in kwargs:
            kwargs["content"] = render.ellipsize(kwargs["content"], 2000)
        await message.reply(mention_author=False, allowed_mentions=NO_MENTIONS, **kwargs)


async def setup(bot: QABot) -> None:
    await bot.add_cog(Chat(bot))
