"""Forum help channels: a new post in a watched forum is answered in its own thread, by its title.

The title needs no privileged intent; with the Message Content intent the post's first message is tried
too, and the more confident reading wins. Below ``forum_min_confidence`` the bot says nothing (or, with
``forum_decline``, a short "not in the notes"). A post is dealt with once: its thread id goes into a
small SQLite file (answered.py), so a re-sent event, an edited title or a restart never answers again.
Posts by bots and threads the bot may not send to (logged once per forum) are skipped. The answer
carries a **Solved** button for the post's author or a maintainer: it applies ``forum_solved_tag`` and,
with ``forum_close_on_solved``, closes the post.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord
from discord.ext import commands

from bot.discord_app.answer_ui import answer_message
from bot.discord_app.answered import AnsweredThreads
from bot.discord_app.checks import is_maintainer
from bot.discord_app.i18n import locale_for_text, register, t
from bot.discord_app.questions import clean_question
from bot.discord_app.replies import NO_MENTIONS, defer, report_error, send
from bot.errors import BotError
from bot.insight.log import Origin, asked_from

if TYPE_CHECKING:
    from bot.answers.types import Answer
    from bot.discord_app.client import QABot

log = logging.getLogger("bot.discord")

register(
    {
        "forum_solved": ("Solved", "해결됐어요"),
        "forum_solved_done": ("Marked as solved. 🎉", "해결됨으로 표시했어요. 🎉"),
        "forum_solved_not_owner": (
            "Only the post's author or a maintainer can mark it solved.",
            "글쓴이나 관리자만 해결됨으로 표시할 수 있어요.",
        ),
        "forum_solved_elsewhere": ("This works only in a forum post.", "포럼 글에서만 쓸 수 있어요."),
        "forum_solved_failed": (
            "I couldn't update the post (missing permission?).",
            "글을 바꾸지 못했어요 (권한이 없나요?).",
        ),
    }
)

BODY_CHARS = 300  # of the first message, asked together with the title


class SolvedButton(discord.ui.DynamicItem[discord.ui.Button], template=r"qa:solved"):
    """해결됐어요 / Solved: the post's author (or a maintainer) marks the post solved."""

    def __init__(self, label: str = "Solved") -> None:
        super().__init__(
            discord.ui.Button(
                label=label, emoji="✅", style=discord.ButtonStyle.success, custom_id="qa:solved"
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: Any, /
    ) -> SolvedButton:
        return cls(item.label or "Solved")

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            bot: Any = interaction.client
            cfg = bot.config.discord
            locale = str(interaction.locale)
            thread = interaction.channel
            if not isinstance(thread, discord.Thread) or thread.parent_id not in cfg.forum_channel_ids:
                await send(interaction, content=t("forum_solved_elsewhere", locale), ephemeral=True)
                return
            allowed = (
                interaction.user.id == thread.owner_id
                or interaction.permissions.manage_threads
                or is_maintainer(interaction.user, cfg.maintainer_role_ids)
            )
            if not allowed:
                await send(interaction, content=t("forum_solved_not_owner", locale), ephemeral=True)
                return
            await defer(interaction, ephemeral=True)
            ok = await mark_solved(thread, cfg.forum_solved_tag, cfg.forum_close_on_solved)
            key = "forum_solved_done" if ok else "forum_solved_failed"
            await send(interaction, content=t(key, locale), ephemeral=True)
        except Exception as err:
            await report_error(interaction, err)


async def mark_solved(thread: discord.Thread, tag_name: str, close: bool) -> bool:
    """Apply the solved tag (when the forum has it) and close the post if asked; False when refused."""
    changes: dict[str, Any] = {}
    parent = thread.parent
    if tag_name and isinstance(parent, discord.ForumChannel):
        tag = next((g for g in parent.available_tags if g.name.casefold() == tag_name.casefold()), None)
        if tag is None:
            log.warning("forum %s has no tag named %r (discord.forum_solved_tag)", parent.id, tag_name)
        elif tag not in thread.applied_tags:
            changes["applied_tags"] = [*thread.applied_tags, tag][-5:]  # Discord allows 5 per post
    if close:
        changes["archived"] = True
    if not changes:
        return True
    try:
        await thread.edit(**changes)
    except discord.HTTPException as err:
        log.warning("could not mark thread %s solved: %s", thread.id, err)
        return False
    return True


class Forum(commands.Cog):
    starter_wait = 1.5  # seconds to wait for a post's first message (it follows THREAD_CREATE)

    def __init__(self, bot: QABot) -> None:
        self.bot = bot
        path = (
            bot.config.cache_dir / "forum_threads.sqlite3" if bot.config.discord.forum_channel_ids else None
        )
        self.answered = AnsweredThreads(path)  # no file unless forums are watched
        self._warned: set[int] = set()  # forums whose missing permission was logged

    async def cog_unload(self) -> None:
        self.answered.close()

    @commands.Cog.listener()
    async def on_thread_create(self, thread: discord.Thread) -> None:
        if thread.parent_id not in self.bot.config.discord.forum_channel_ids:
            return
        try:
            await self.answer_post(thread)
        except Exception:
            log.exception("error answering forum post %s", thread.id)

    async def answer_post(self, thread: discord.Thread) -> None:
        me = self.bot.user
        if me is None or thread.owner_id == me.id or thread.id in self.answered:
            return
        starter = await self._starter(thread)
        owner = thread.guild.get_member(thread.owner_id) if thread.owner_id else None
        if (starter is not None and (starter.author.bot or starter.webhook_id)) or (owner and owner.bot):
            return
        if self.bot.service is None:  # still loading: left unclaimed (a later THREAD_CREATE may answer)
            log.info("forum post %s arrived before the notes were loaded", thread.id)
            return
        if not self._can_send(thread) or not self.answered.claim(thread.id):
            return
        title = clean_question(thread.name)
        self.bot.topics.set(thread.id, title)
        body = clean_question(starter.content)[:BODY_CHARS] if starter is not None else ""
        answer = self._best(title, body, thread)
        if answer is None:
            return
        if not answer.answered and not self.bot.config.discord.forum_decline:
            log.debug("forum post %s not answered (confidence %.2f)", thread.id, answer.confidence)
            return
        locale = locale_for_text(title)
        extra = [SolvedButton(t("forum_solved", locale))]
        message = answer_message(self.bot, answer, locale, extra)
        try:
            await thread.send(allowed_mentions=NO_MENTIONS, **message)
        except discord.Forbidden as err:
            self._warn(thread, f"sending was refused ({err.text or err.status})")

    def _best(self, title: str, body: str, thread: discord.Thread) -> Answer | None:
        """The title asked alone, or with the first message when that is more confident."""
        service = self.bot.service
        if service is None or not title:
            return None
        cfg = self.bot.config.discord

        def ask(text: str) -> Answer:
            with asked_from(Origin("forum", thread.guild.id, thread.id, thread.owner_id)):  # the question log
                return service.ask_unprompted(text, cfg.forum_min_confidence, cfg.forum_min_specific)

        try:
            answer = ask(title)
            if body and body not in title:
                with_body = ask(f"{title} {body}")
                if with_body.answered and (not answer.answered or with_body.confidence > answer.confidence):
                    answer = with_body
        except BotError:
            return None
        return answer

    async def _starter(self, thread: discord.Thread) -> discord.Message | None:
        """The post's first message (same id as the thread), cached or awaited briefly."""
        found = thread.starter_message
        if found is not None:
            return found
        try:
            return await self.bot.wait_for(
                "message", check=lambda m: m.id == thread.id, timeout=self.starter_wait
            )
        except TimeoutError:
            return None

    def _can_send(self, thread: discord.Thread) -> bool:
        me = thread.guild.me
        if me is None:  # permissions unknown: try, a refusal is logged
            return True
        try:
            perms = thread.permissions_for(me)
        except discord.ClientException:  # the forum is not cached
            return True
        if perms.view_channel and perms.send_messages_in_threads and perms.embed_links:
            return True
        self._warn(thread, "missing View Channel, Send Messages in Threads or Embed Links")
        return False

    def _warn(self, thread: discord.Thread, why: str) -> None:
        forum = thread.parent_id or 0
        if forum not in self._warned:
            self._warned.add(forum)
            log.warning("cannot answer posts in forum %s: %s", forum, why)


async def setup(bot: QABot) -> None:
    bot.add_dynamic_items(SolvedButton)
    await bot.add_cog(Forum(bot))
