"""Chat answers end to end: raw MESSAGE_CREATE -> discord.py -> the chat listener -> a reply to the fake."""

from __future__ import annotations

import discord_fake as fd


def replies(fake, channel_id: int = fd.CHANNEL_ID) -> list:
    return [r for r in fake.requests if r.method == "POST" and r.path == f"/channels/{channel_id}/messages"]


async def say(fake, bot, payload: dict, channel_id: int = fd.CHANNEL_ID, expect: bool = True):
    before = len(replies(fake, channel_id))
    fake.deliver(bot, "MESSAGE_CREATE", payload)
    if not expect:
        await fake.settle(0.1)
        assert len(replies(fake, channel_id)) == before, "the bot should have stayed quiet"
        return None
    path = f"/channels/{channel_id}/messages"
    (reply,) = (await fake.wait_for(lambda r: r.method == "POST" and r.path == path, before + 1))[before:]
    return reply


async def test_mention_is_answered_as_a_reply(bot, fake):
    msg = fd.chat_message("도커 장점이 뭐야?")
    reply = await say(fake, bot, msg)
    assert str(reply.body["message_reference"]["message_id"]) == msg["id"]
    assert reply.body["allowed_mentions"] == {"parse": [], "replied_user": False}
    embed = reply.body["embeds"][0]
    assert "장점" in embed["title"] and embed["author"]["name"] == "도커 장점이 뭐야?"  # mention stripped
    ids = [c["custom_id"] for row in reply.body["components"] for c in row["components"]]
    assert ids == ["qa:full:0", "qa:more:1", "qa:vote:up", "qa:vote:down"]


async def test_english_mention_and_decline(bot, fake):
    reply = await say(fake, bot, fd.chat_message("how do I install docker on ubuntu"))
    assert "설치 방법" in reply.body["embeds"][0]["title"]
    reply = await say(fake, bot, fd.chat_message("what's the weather tomorrow?"))
    assert reply.body["embeds"][0]["title"] == "Not in the notes"


async def test_ignores_bots_itself_webhooks_and_unmentioned(bot, fake):
    await say(fake, bot, fd.chat_message("도커 장점", bot_author=True), expect=False)
    own = fd.chat_message("도커 장점", user_id=fd.BOT_ID)
    await say(fake, bot, own, expect=False)
    hook = {**fd.chat_message("도커 장점"), "webhook_id": "123"}
    await say(fake, bot, hook, expect=False)
    await say(fake, bot, fd.chat_message("도커 장점", mention_bot=False), expect=False)


async def test_thread_mention(make_bot, fake):
    bot = await make_bot()
    fake.deliver(bot, "GUILD_CREATE", fd.guild_create())
    thread = bot.get_channel(fd.THREAD_ID)
    assert thread is not None and thread.parent_id == fd.ANSWER_CHANNEL_ID
    reply = await say(
        fake, bot, fd.chat_message("도커 단점", channel_id=fd.THREAD_ID), channel_id=fd.THREAD_ID
    )
    assert "단점" in reply.body["embeds"][0]["title"]


async def test_answer_channels_need_the_message_content_intent(make_bot, fake):
    bot = await make_bot(answer_channel_ids=[fd.ANSWER_CHANNEL_ID], message_content_intent=True)
    assert bot.intents.message_content
    fake.deliver(bot, "GUILD_CREATE", fd.guild_create())
    plain = fd.chat_message("도커 설치", mention_bot=False, channel_id=fd.ANSWER_CHANNEL_ID)
    await say(fake, bot, plain, channel_id=fd.ANSWER_CHANNEL_ID)
    in_thread = fd.chat_message("도커 설치", mention_bot=False, channel_id=fd.THREAD_ID)
    await say(fake, bot, in_thread, channel_id=fd.THREAD_ID)
    elsewhere = fd.chat_message("도커 설치", mention_bot=False)
    await say(fake, bot, elsewhere, expect=False)

    off = await make_bot(answer_channel_ids=[fd.ANSWER_CHANNEL_ID])  # intent off (the default)
    assert not off.intents.message_content
    await say(fake, off, plain, channel_id=fd.ANSWER_CHANNEL_ID, expect=False)


async def test_direct_messages_are_answered(bot, fake):
    dm = fd.chat_message("도커 장점", mention_bot=False, guild=False)
    reply = await say(fake, bot, dm)
    assert "장점" in reply.body["embeds"][0]["title"]


async def test_reply_chain_uses_the_replied_message_as_context(bot, fake):
    question = fd.chat_message("도커와 가상화 기술의 차이가 궁금해요", mention_bot=False, user_id=1)
    reply = await say(fake, bot, fd.chat_message("", referenced=question))  # "@bot" replying to it
    assert reply.body["embeds"][0]["author"]["name"] == "도커와 가상화 기술의 차이가 궁금해요"
    assert "가상화" in reply.body["embeds"][0]["title"]

    # A follow-up to the bot's own answer: the earlier question is the context.
    answer = fake.messages[max(fake.messages)]
    follow = await say(
        fake, bot, fd.chat_message("단점은?", referenced={**answer, "channel_id": str(fd.CHANNEL_ID)})
    )
    assert follow.body["embeds"][0]["author"]["name"].startswith("단점은? 도커와 가상화")


async def test_empty_mention_gets_a_hint(bot, fake):
    reply = await say(fake, bot, fd.chat_message(""))
    assert "노트에 대해 물어보세요" not in reply.body["content"]  # no Hangul in an empty question: English
    assert reply.body["content"].startswith("Ask me something about the notes")


async def test_chat_cooldown_warns_once(make_bot, fake):
    bot = await make_bot(cooldown_rate=1, cooldown_seconds=60)
    await say(fake, bot, fd.chat_message("도커 장점", user_id=5))
    warn = await say(fake, bot, fd.chat_message("도커 단점", user_id=5))
    assert "초 뒤에 다시" in warn.body["content"]
    await say(fake, bot, fd.chat_message("도커 설치", user_id=5), expect=False)
    await say(fake, bot, fd.chat_message("도커 설치", user_id=6))  # other users are not affected


async def test_a_message_delivered_twice_is_answered_once(bot, fake):
    """The gateway may deliver an event again (a resumed session): one answer per message."""
    msg = fd.chat_message("도커 장점")
    await say(fake, bot, msg)
    await say(fake, bot, msg, expect=False)
    await say(fake, bot, fd.chat_message("도커 장점"))  # the same words in a new message are answered
