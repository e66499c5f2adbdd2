"""Discord's rules end to end: cooldowns, hostile input, error handling, the registration payload checked
against Discord's limits, and 200 interactions at once all acknowledged within 3 s."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import discord_fake as fd
import pytest

from bot.answers.types import Answer, Result
from bot.discord_app import limits
from bot.discord_app.sync import check_payload, command_payload
from bot.errors import QuestionError, UnknownDistroError
from bot.notes.section import Section

EPHEMERAL = 64
HOSTILE = [
    "@everyone @here 도커 장점 알려줘",
    f"<@&{fd.MAINTAINER_ROLE_ID}> <@4242> 도커 설치 <#{fd.CHANNEL_ID}>",
    "```python\nimport os\n도커 설치 방법",  # unbalanced fence
    "``` ``` ```" + " `" * 50,
    "도커 " * 2000,  # 6,000 characters (Discord's maximum for a string option)
]


async def run(fake, bot, payload: dict, count: int = 2, timeout: float = 5.0) -> list:
    fake.deliver(bot, "INTERACTION_CREATE", payload)
    await fake.wait_for(lambda r: r in fake.for_interaction(payload), count, timeout)
    return fake.for_interaction(payload)


# -- a stand-in engine for outputs the seed notes cannot produce --
def hostile_section(n: int = 0) -> Section:
    text = (
        "## @everyone 제목\n@everyone @here <@&1> <@1> 확인\n"
        + "```bash\n"
        + "echo '```'\n" * 10
        + "echo 도커\n" * 1500  # ~15,000 characters and the fence never closes
    )
    path = ("@everyone " + "아주 긴 제목 " * 60, f"**굵은** 하위 {n}", "```")
    return Section("notes/evil.md", 10 + n, path, 3, text, "body")


@dataclass
class StubService:
    answer_results: int = 3
    error: Exception | None = None
    snippets: list[Any] = field(default_factory=list)

    def ask(self, question: str, top: int | None = None) -> Answer:
        if self.error is not None:
            raise self.error
        results = tuple(Result(hostile_section(i), 1.0 - i / 10) for i in range(self.answer_results))
        return Answer(question, True, results)

    def install(self, distro: str) -> Any:
        for s in self.snippets:
            if distro in s.names:
                return s
        raise UnknownDistroError(distro, [s.key for s in self.snippets])

    def distros(self) -> list[Any]:
        return list(self.snippets)

    def examples(self, n: int = 5) -> list[str]:
        return ["@everyone 예시 질문", "```"][:n]

    async def reindex(self, full: bool = False) -> Any:
        await asyncio.sleep(0.2)  # while this runs, other interactions must still be answered
        warnings = [f"notes/bad{i}.md: unclosed code fence ``` at line {i}" for i in range(80)]
        return SimpleNamespace(files=90, sections=1200, retokenized=12, warnings=warnings, seconds=2.5)

    def wait_idle(self, timeout: float) -> bool:  # the bot's close() asks
        return True


def snippet(i: int) -> Any:
    key = f"distro{i:02d}"
    return SimpleNamespace(
        key=key,
        title=f"Distribution number {i} " + "x" * 120,
        names=(key, f"배포판{i}"),
        display_ko=f"배포판{i} " + "가" * 120,
        snippet="sudo install ```docker```\n" * 400,
        language="bash",
        source="notes/install.md",
        line=i,
    )


# -- cooldown--
async def test_slash_cooldown_is_per_user_and_ephemeral(make_bot, fake):
    bot = await make_bot(cooldown_rate=2, cooldown_seconds=60)
    for _ in range(2):
        await run(fake, bot, fd.slash("ask", {"question": "도커 장점"}, user_id=1))
    (refused,) = await run(fake, bot, fd.slash("install", {"distro": "ubuntu"}, user_id=1, locale="ko"), 1)
    assert refused.body["type"] == 4 and refused.body["data"]["flags"] == EPHEMERAL
    assert "초 뒤에 다시 시도" in refused.body["data"]["content"]
    callback, _ = await run(fake, bot, fd.slash("ask", {"question": "도커 장점"}, user_id=2))
    assert callback.body == {"type": 5}  # another user is not limited
    (help_,) = await run(fake, bot, fd.slash("help", user_id=1), 1)  # /help costs nothing
    assert "embeds" in help_.body["data"]


async def test_more_button_counts_toward_the_cooldown(make_bot, fake):
    bot = await make_bot(cooldown_rate=1, cooldown_seconds=60)
    await run(fake, bot, fd.slash("ask", {"question": "도커 장점"}, user_id=3))
    msg = fake.messages[max(fake.messages)]
    (refused,) = await run(fake, bot, fd.click("qa:more:1", msg, user_id=3), 1)
    assert refused.body["data"]["flags"] == EPHEMERAL and "Slow down" in refused.body["data"]["content"]


# -- hostile input--
@pytest.mark.parametrize("question", HOSTILE, ids=["everyone", "role", "fence", "ticks", "6000"])
async def test_hostile_questions_slash_and_mention(bot, fake, question):
    _, followup = await run(fake, bot, fd.slash("ask", {"question": question}, locale="ko"))
    embed = followup.body["embeds"][0]
    assert len(embed["author"]["name"]) <= limits.EMBED_AUTHOR
    msg = fd.chat_message(question)
    fake.deliver(bot, "MESSAGE_CREATE", msg)
    (reply,) = await fake.wait_for(lambda r: r.path.endswith("/messages") and r.method == "POST")
    assert reply.body["allowed_mentions"] == {"parse": [], "replied_user": False}
    # conftest checks every request: allowed_mentions none, limits, balanced fences


async def test_hostile_notes_are_fitted_to_discord_limits(make_bot, fake):
    bot = await make_bot(engine=StubService())
    _, followup = await run(fake, bot, fd.slash("ask", {"question": "anything"}))
    embed = followup.body["embeds"][0]
    assert len(embed["title"]) <= limits.EMBED_TITLE and embed["title"].endswith("› \\`\\`\\`")
    desc = embed["description"]
    assert desc.count("```") == 2 and desc.endswith("```\n…")  # cut inside the code, then closed again
    assert "@\u200beveryone" in desc  # shown as text; allowed_mentions keeps it from pinging anyway
    msg = fake.messages[max(fake.messages)]
    _, more = await run(fake, bot, fd.click("qa:more:1", msg))
    assert len(more.body["embeds"]) == 2  # conftest: total within 6,000, fences balanced


async def test_autocomplete_is_capped_at_25_short_choices(make_bot, fake):
    bot = await make_bot(engine=StubService(snippets=[snippet(i) for i in range(40)]))
    (callback,) = await run(fake, bot, fd.autocomplete("install", "distro", "", locale="ko"), 1)
    choices = callback.body["data"]["choices"]
    assert len(choices) == 25 and all(len(c["name"]) <= 100 for c in choices)
    (callback,) = await run(fake, bot, fd.slash("install", {"distro": "distro07"}), 1)
    assert callback.body["data"]["embeds"][0]["description"].startswith("```bash\n")


async def test_reindex_report_with_many_problems_fits_and_questions_go_on(make_bot, fake):
    bot = await make_bot(engine=StubService())
    reindex = fd.slash("reindex", permissions="8")
    fake.deliver(bot, "INTERACTION_CREATE", reindex)
    await run(fake, bot, fd.slash("ask", {"question": "도커"}))  # answered while the rebuild runs
    assert not [r for r in fake.for_interaction(reindex) if r.path.startswith("/webhooks/")]
    await fake.wait_for(lambda r: r in fake.for_interaction(reindex), 2)
    _, followup = fake.for_interaction(reindex)
    field_ = followup.body["embeds"][0]["fields"][0]
    assert len(field_["value"]) <= 1024 and "… and" in field_["value"]


# -- errors--
async def test_unexpected_error_is_logged_and_reported_ephemerally(make_bot, fake, caplog):
    bot = await make_bot(engine=StubService(error=RuntimeError("index exploded")))
    with caplog.at_level(logging.ERROR, logger="bot.discord"):
        _, delete, followup = await run(fake, bot, fd.slash("ask", {"question": "도커"}, locale="ko"), 3)
    assert delete.method == "DELETE"
    assert followup.body["flags"] == EPHEMERAL and "문제가 생겼어요" in followup.body["content"]
    assert "index exploded" not in followup.body["content"]  # details go to the log, not to users
    assert any(r.exc_info and "index exploded" in str(r.exc_info[1]) for r in caplog.records)


async def test_question_error_message_comes_from_the_engine(make_bot, fake):
    bot = await make_bot(engine=StubService(error=QuestionError("질문이 비어 있어요.")))
    *_, followup = await run(fake, bot, fd.slash("ask", {"question": "은는이가"}), 3)
    assert followup.body["content"] == "질문이 비어 있어요." and followup.body["flags"] == EPHEMERAL


async def test_engine_not_loaded_says_so(make_bot, fake):
    bot = await make_bot(engine=None, commands_only=True)
    (callback,) = await run(fake, bot, fd.slash("install", {"distro": "ubuntu"}), 1)
    assert "loading" in callback.body["data"]["content"]
    (help_,) = await run(fake, bot, fd.slash("help"), 1)  # help still works, without examples
    assert len(help_.body["data"]["embeds"][0]["fields"]) == 1


# -- registration--
async def test_registration_payload_within_discord_limits(make_bot, fake):
    await make_bot(sync="guild", sync_guild_id=fd.GUILD_ID)  # config sync runs in setup_hook, inside login
    (put,) = await fake.wait_for(lambda r: r.method == "PUT", 1)
    assert put.path == f"/applications/{fd.APP_ID}/guilds/{fd.GUILD_ID}/commands"
    payload = put.body
    assert check_payload(payload) == []
    by_name = {c["name"]: c for c in payload}
    assert set(by_name) == {"ask", "install", "reindex", "stats", "help"}
    ko = {n: c["name_localizations"]["ko"] for n, c in by_name.items()}
    assert ko == {"ask": "질문", "install": "설치", "reindex": "재색인", "stats": "통계", "help": "도움말"}
    for cmd in payload:
        assert 1 <= len(cmd["description"]) <= 100 and cmd["description_localizations"]["ko"]
        for opt in cmd.get("options", []):
            assert opt["name_localizations"]["ko"] and opt["description_localizations"]["ko"]
            assert len(opt.get("choices", [])) <= 25
    assert by_name["install"]["options"][0]["autocomplete"] is True
    assert by_name["ask"]["options"][0]["required"] is True
    assert int(by_name["reindex"]["default_member_permissions"]) == 8  # administrator
    assert by_name["reindex"].get("contexts") == [0] or by_name["reindex"].get("dm_permission") is False
    assert int(by_name["stats"]["default_member_permissions"]) == 8


async def test_no_sync_on_start_by_default(bot, fake):
    await fake.settle(0.05)
    assert not [r for r in fake.requests if r.method == "PUT"]
    payload = await command_payload(bot.tree)
    assert check_payload(payload) == []


def test_check_payload_catches_what_discord_py_does_not():
    good = {"name": "ask", "description": "d", "type": 1, "options": []}
    bad = [
        {**good, "description": "x" * 101},
        {**good, "name": "Ask"},
        {**good, "name_localizations": {"ko": "질 문"}},
        {**good, "description_localizations": {"ko": ""}},
        {
            **good,
            "options": [
                {
                    "name": "o",
                    "description": "d",
                    "type": 3,
                    "choices": [{"name": str(i), "value": str(i)} for i in range(26)],
                }
            ],
        },
        {**good, "options": [{"name": f"o{i}", "description": "d", "type": 3} for i in range(26)]},
        {
            **good,
            "description": "x" * 100,
            "options": [
                {
                    "name": "o",
                    "description": "x" * 100,
                    "type": 3,
                    "choices": [{"name": "n" * 100, "value": "v" * 100} for _ in range(25)],
                }
            ]
            * 2,
        },
    ]
    assert check_payload([good]) == []
    for cmd in bad:
        assert check_payload([cmd]), cmd


# -- scale--
async def test_200_interactions_at_once_all_acknowledged_within_3s(make_bot, fake):
    bot = await make_bot()
    questions = [
        "우분투에 도커 설치하는 법",
        "도커 장점",
        "What are the advantages of Docker?",
        "도커와 EC2 차이",
        "how to install docker on centos",
        "오늘 점심 뭐 먹지",
    ]
    payloads = []
    for i in range(200):
        kind = i % 10
        if kind < 7:
            p = fd.slash(
                "ask",
                {"question": questions[i % len(questions)]},
                user_id=50_000 + i,
                locale="ko" if i % 2 else "en-US",
            )
        elif kind == 7:
            p = fd.slash("install", {"distro": "ubuntu"}, user_id=50_000 + i)
        elif kind == 8:
            p = fd.autocomplete("install", "distro", "u", user_id=50_000 + i)
        else:
            p = fd.slash("help", user_id=50_000 + i)
        payloads.append(p)
    for p in payloads:  # all at once, as a gateway burst would
        fake.deliver(bot, "INTERACTION_CREATE", p)
    callbacks = await fake.wait_for(lambda r: r.path.endswith("/callback"), 200, timeout=15)
    asks = [p for p in payloads if p["data"]["name"] == "ask" and p["type"] == 2]
    await fake.wait_for(
        lambda r: r.method == "POST" and r.path.startswith("/webhooks/"), len(asks), timeout=15
    )
    await fake.settle(0.1)

    by_id = {}
    for r in fake.callbacks():
        by_id.setdefault(r.path.split("/")[2], []).append(r)
    assert len(callbacks) == 200 and all(len(by_id[p["id"]]) == 1 for p in payloads), "lost or doubled"
    delays = [by_id[p["id"]][0].at - fake.sent_at[p["id"]] for p in payloads]
    assert max(delays) < limits.ACK_SECONDS, f"slowest acknowledgement {max(delays):.2f}s"
    print(f"200 interactions: slowest acknowledgement {max(delays):.3f}s")
    for p in asks:  # every deferred question got its answer
        follow = [r for r in fake.for_interaction(p) if r.path.startswith("/webhooks/")]
        assert len(follow) == 1 and follow[0].body["embeds"]
