"""Slash commands, autocomplete and buttons end to end: raw INTERACTION_CREATE -> discord.py's real
ConnectionState/CommandTree/ViewStore -> our callbacks -> HTTP requests recorded by the fake API."""

from __future__ import annotations

import json
import logging
import re

import discord_fake as fd
import pytest

EPHEMERAL = 64


async def run(fake, bot, payload: dict, count: int = 2, timeout: float = 5.0) -> list:
    """Deliver one interaction; return the ``count`` requests answering it (callback first)."""
    fake.deliver(bot, "INTERACTION_CREATE", payload)
    await fake.wait_for(lambda r: r in fake.for_interaction(payload), count, timeout)
    return fake.for_interaction(payload)


def first_embed(req) -> dict:
    body = req.body.get("data", req.body) if req.path.endswith("/callback") else req.body
    return body["embeds"][0]


def custom_ids(req) -> list[str]:
    return [c["custom_id"] for row in req.body.get("components", []) for c in row["components"]]


@pytest.mark.parametrize(
    ("question", "locale", "expect_title", "related"),
    [
        ("우분투에 도커 설치하는 법", "ko", "설치 방법", "관련 항목"),
        ("도커 장점", "ko", "장점", "관련 항목"),
        ("How do I install docker on Ubuntu?", "en-US", "설치 방법", "Related"),
        ("What are the advantages of Docker?", "en-GB", "장점", "Related"),
    ],
)
async def test_ask_answers_with_embed_source_and_buttons(bot, fake, question, locale, expect_title, related):
    callback, followup = await run(fake, bot, fd.slash("ask", {"question": question}, locale=locale))
    assert callback.body == {"type": 5}  # deferred first (public "thinking…")
    assert followup.method == "POST" and followup.path.startswith(f"/webhooks/{fd.APP_ID}/")
    embed = first_embed(followup)
    assert expect_title in embed["title"]
    assert re.fullmatch(r"docker\.md:\d+", embed["footer"]["text"])
    assert embed["author"]["name"] == question
    assert embed["fields"][0]["name"] == related
    assert custom_ids(followup) == ["qa:full:0", "qa:more:1", "qa:vote:up", "qa:vote:down"]
    full, more = followup.body["components"][0]["components"][:2]
    assert more["label"] == ("다른 결과" if locale == "ko" else "More results")
    assert full["label"] == ("전체 보기" if locale == "ko" else "Full section")


async def test_ask_install_section_keeps_code_fences_whole(bot, fake):
    _, followup = await run(fake, bot, fd.slash("ask", {"question": "도커 설치 방법"}, locale="ko"))
    desc = first_embed(followup)["description"]
    assert "```bash\nsudo apt-get update" in desc and desc.count("```") % 2 == 0


async def test_ask_off_topic_gets_friendly_decline_with_suggestions(bot, fake):
    _, followup = await run(fake, bot, fd.slash("ask", {"question": "오늘 점심 뭐 먹지"}, locale="ko"))
    embed = first_embed(followup)
    assert embed["title"] == "노트에서 찾지 못했어요"
    assert embed["fields"][0]["name"] == "이런 주제는 답할 수 있어요"
    assert embed["fields"][0]["value"].startswith("• ")
    assert "components" not in followup.body or not followup.body["components"]  # no buttons on a decline

    _, followup = await run(fake, bot, fd.slash("ask", {"question": "best pizza in town"}, locale="en-US"))
    assert first_embed(followup)["title"] == "Not in the notes"


async def test_ask_unsearchable_question_is_ephemeral(bot, fake):
    reqs = await run(fake, bot, fd.slash("ask", {"question": "   "}), count=3)
    callback, delete, followup = reqs
    assert callback.body == {"type": 5}
    assert delete.method == "DELETE" and delete.path.endswith("/messages/@original")  # placeholder gone
    assert followup.body["flags"] == EPHEMERAL and "empty" in followup.body["content"]


@pytest.mark.parametrize(
    ("distro", "locale", "title"),
    [
        ("ubuntu", "en-US", "Install on Ubuntu Linux"),
        ("우분투", "ko", "우분투 설치 방법"),
        ("centos", "ko", "센토스 설치 방법"),
    ],
)
async def test_install_replies_with_bash_snippet_and_source(bot, fake, distro, locale, title):
    (callback,) = await run(fake, bot, fd.slash("install", {"distro": distro}, locale=locale), count=1)
    assert callback.body["type"] == 4
    embed = callback.body["data"]["embeds"][0]
    assert embed["title"] == title
    assert embed["description"].startswith("```bash\n") and embed["description"].endswith("\n```")
    assert "sudo" in embed["description"]
    assert re.fullmatch(r"docker\.md:\d+", embed["footer"]["text"])


async def test_install_unknown_distro_lists_known_ones(bot, fake):
    (callback,) = await run(fake, bot, fd.slash("install", {"distro": "arch"}, locale="ko"), count=1)
    data = callback.body["data"]
    assert data["flags"] == EPHEMERAL and "ubuntu" in data["content"] and "'arch'" in data["content"]


@pytest.mark.parametrize(
    ("typed", "locale", "first"),
    [
        ("", "ko", None),
        ("우", "ko", "우분투 (Ubuntu Linux)"),
        ("cent", "en-US", "CentOS (센토스)"),
        ("UBU", "en-US", None),
    ],
)
async def test_install_autocomplete(bot, fake, typed, locale, first):
    (callback,) = await run(fake, bot, fd.autocomplete("install", "distro", typed, locale=locale), count=1)
    assert callback.body["type"] == 8
    choices = callback.body["data"]["choices"]
    assert 1 <= len(choices) <= 25
    assert all(1 <= len(c["name"]) <= 100 and len(c["value"]) <= 100 for c in choices)
    values = [c["value"] for c in choices]
    if not typed:
        assert {"ubuntu", "centos"} <= set(values)
    if typed == "UBU":
        assert values == ["ubuntu"]
    if first:
        assert choices[0]["name"] == first
    if locale == "ko":  # Korean display names first for Korean users
        assert any(re.match(r"[가-힣]", c["name"]) for c in choices)


async def test_help_in_both_languages(bot, fake):
    (callback,) = await run(fake, bot, fd.slash("help", locale="ko"), count=1)
    embed = callback.body["data"]["embeds"][0]
    assert callback.body["data"]["flags"] == EPHEMERAL
    assert "/질문" in embed["fields"][0]["value"] and "/설치" in embed["fields"][0]["value"]
    assert embed["fields"][1]["name"] == "이렇게 물어보세요" and "설치 방법" in embed["fields"][1]["value"]
    (callback,) = await run(fake, bot, fd.slash("help", locale="en-US"), count=1)
    assert "/ask" in callback.body["data"]["embeds"][0]["fields"][0]["value"]


async def answer_message(bot, fake, question: str = "도커 장점", locale: str = "ko") -> dict:
    """The message an /ask produced, as Discord would include it in a component interaction."""
    _, followup = await run(fake, bot, fd.slash("ask", {"question": question}, locale=locale))
    msg = dict(fake.messages[max(fake.messages)])  # the fake stored what it returned for the follow-up
    assert msg["embeds"] == followup.body["embeds"]
    return msg


async def test_more_results_button(bot, fake):
    msg = await answer_message(bot, fake)
    callback, followup = await run(fake, bot, fd.click("qa:more:1", msg, locale="ko", user_id=777))
    assert callback.body == {"type": 5, "data": {"flags": EPHEMERAL}}  # private "thinking…"
    titles = [e["title"] for e in followup.body["embeds"]]
    assert len(titles) == 2 and "Docker 장점" not in titles[0]
    assert all(re.fullmatch(r"docker\.md:\d+", e["footer"]["text"]) for e in followup.body["embeds"])
    # Past the last result (the notes changed since, or an old button): "no more", no button to nowhere.
    late = json.loads(json.dumps(msg).replace('"qa:more:1"', '"qa:more:50"'))  # discord.py finds the button
    _, followup = await run(fake, bot, fd.click("qa:more:50", late, locale="ko", user_id=778))
    assert followup.body["embeds"][0]["description"] == "이 질문에 대한 다른 결과가 없어요."
    assert not followup.body.get("components")


async def test_feedback_buttons(bot, fake):
    msg = await answer_message(bot, fake)
    location = msg["embeds"][0]["footer"]["text"]
    (up,) = await run(fake, bot, fd.click("qa:vote:up", msg, locale="ko"), count=1)
    (down,) = await run(fake, bot, fd.click("qa:vote:down", msg, locale="en-US"), count=1)
    assert up.body["data"]["flags"] == EPHEMERAL and "👍" in up.body["data"]["content"]
    assert down.body["data"]["flags"] == EPHEMERAL and "didn't help" in down.body["data"]["content"]
    assert bot.feedback.counts[(location, "up")] == 1 and bot.feedback.counts[(location, "down")] == 1


async def test_buttons_survive_a_restart(make_bot, fake):
    first = await make_bot()
    msg = await answer_message(first, fake, "What are the advantages of Docker?", "en-US")
    await first.close()
    second = await make_bot()  # a new process: no view was ever registered for that message
    (vote,) = await run(fake, second, fd.click("qa:vote:up", msg), count=1)
    assert vote.body["type"] == 4
    _, more = await run(fake, second, fd.click("qa:more:1", msg))
    assert len(more.body["embeds"]) == 2 and more.body["flags"] == EPHEMERAL


async def test_reindex_by_admin_reports_counts(bot, fake):
    payload = fd.slash("reindex", locale="ko", permissions="8")
    callback, followup = await run(fake, bot, payload, timeout=30)
    assert callback.body == {"type": 5, "data": {"flags": EPHEMERAL}}
    embed = followup.body["embeds"][0]
    assert embed["title"] == "재색인 완료" and "파일 1개" in embed["description"]
    assert embed["fields"][0]["name"] == "문제"


async def test_reindex_by_maintainer_role(make_bot, fake):
    bot = await make_bot(maintainer_role_ids=[fd.MAINTAINER_ROLE_ID])
    payload = fd.slash("reindex", {"full": True}, roles=[fd.OTHER_ROLE_ID, fd.MAINTAINER_ROLE_ID])
    _, followup = await run(fake, bot, payload, timeout=30)
    assert followup.body["embeds"][0]["title"] == "Reindex finished"


async def test_reindex_refused_for_others(make_bot, fake):
    bot = await make_bot(maintainer_role_ids=[fd.MAINTAINER_ROLE_ID])
    (callback,) = await run(fake, bot, fd.slash("reindex", roles=[fd.OTHER_ROLE_ID], locale="ko"), count=1)
    assert callback.body["type"] == 4 and callback.body["data"]["flags"] == EPHEMERAL
    assert "관리자" in callback.body["data"]["content"]
    # Discord also receives default_member_permissions, but it enforces them in its client only.
    (callback,) = await run(fake, bot, fd.slash("reindex", guild=False), count=1)
    assert callback.body["data"]["flags"] == EPHEMERAL


async def test_ask_in_a_dm(bot, fake):
    callback, followup = await run(fake, bot, fd.slash("ask", {"question": "도커 장점"}, guild=False))
    assert callback.body == {"type": 5} and "장점" in first_embed(followup)["title"]


async def test_autocomplete_while_the_engine_loads_offers_nothing(make_bot, fake):
    bot = await make_bot(engine=None, commands_only=True)
    (callback,) = await run(fake, bot, fd.autocomplete("install", "distro", "u"), count=1)
    assert callback.body == {"type": 8, "data": {"choices": []}}


async def test_no_request_leaves_the_machine(bot, fake):
    import socket

    with pytest.raises(OSError, match="must not reach"):
        socket.getaddrinfo("discord.com", 443)
    import discord

    assert fake.base == discord.http.Route.BASE and fake.base.startswith("http://127.0.0.1:")


async def test_an_interaction_delivered_twice_is_answered_once_without_an_error(bot, fake, caplog):
    """Discord refuses a second callback (40060); that is the first delivery's answer, not a failure."""
    payload = fd.slash("ask", {"question": "도커 장점"}, locale="ko")
    _, followup = await run(fake, bot, payload)
    assert "장점" in first_embed(followup)["title"]
    with caplog.at_level(logging.INFO, logger="bot.discord"):
        fake.deliver(bot, "INTERACTION_CREATE", payload)
        await fake.settle(0.5)
    answered = [r for r in fake.for_interaction(payload) if r.path.endswith("/callback")]
    assert len(answered) == 2  # the refused second callback, and nothing after it
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len([r for r in fake.for_interaction(payload) if not r.path.endswith("/callback")]) == 1
