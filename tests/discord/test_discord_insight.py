"""The question log from Discord: /ask, mentions, the More button and 👍/👎 become rows (hashed users,
guild and channel); /stats (통계) for maintainers only, ephemeral, over the last 7 days."""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import discord_fake as fd
import pytest
from conftest import KNOWLEDGE, assert_discord_rules
from test_discord_commands import EPHEMERAL, run

from bot.config import parse_config
from bot.discord_app import create_bot


@pytest.fixture
async def logged_bot(fake, service, cache_dir: Path, tmp_path: Path) -> AsyncIterator[Any]:
    """A bot whose question log is its own file (the session's bots share the cache folder)."""
    data = {
        "knowledge": {"dir": str(KNOWLEDGE), "cache_dir": str(cache_dir)},
        "discord": {
            "cooldown_rate": 100,
            "cooldown_seconds": 1.0,
            "maintainer_role_ids": [fd.MAINTAINER_ROLE_ID],
        },
        "insight": {"path": str(tmp_path / "q.sqlite3")},
    }
    bot = create_bot(parse_config(data, KNOWLEDGE.parent), service)
    await bot.login("fake-token")
    yield bot
    await fake.settle(0.05)
    await bot.close()
    assert service.on_answer is None  # closing detaches the log from the shared service
    assert_discord_rules(fake.requests)


def rows(bot: Any, sql: str) -> list[tuple]:
    assert bot.insight.flush()
    with sqlite3.connect(bot.config.insight_path) as conn:
        return conn.execute(sql).fetchall()


async def test_questions_and_votes_become_rows(logged_bot, fake) -> None:
    bot = logged_bot
    await run(fake, bot, fd.slash("ask", {"question": "도커 장점"}, locale="ko", user_id=501))
    await run(fake, bot, fd.slash("ask", {"question": "오늘 점심 뭐 먹지"}, locale="ko", user_id=502))
    msg = next(
        m for m in fake.messages.values() if m["embeds"] and m["embeds"][0]["author"]["name"] == "도커 장점"
    )
    await run(fake, bot, fd.click("qa:more:1", msg, user_id=503))
    await run(fake, bot, fd.click("qa:vote:down", msg, user_id=503), count=1)
    fake.deliver(bot, "MESSAGE_CREATE", fd.chat_message("도커 설치 방법", user_id=504))
    await fake.wait_for(lambda r: r.path.endswith("/messages") and r.method == "POST")
    got = rows(
        bot, "SELECT source, guild_id, channel_id, question, answered, location FROM questions ORDER BY id"
    )
    assert [(g[0], g[3], g[4]) for g in got] == [
        ("slash", "도커 장점", 1), ("slash", "오늘 점심 뭐 먹지", 0), ("button", "도커 장점", 1),
        ("mention", "도커 설치 방법", 1)]  # fmt: skip
    assert all(g[1] == fd.GUILD_ID and g[2] for g in got) and got[1][5] is None
    hashes = rows(bot, "SELECT user_hash FROM questions ORDER BY id")
    # Salted hashes, never the id (a 24-hex-digit hash may contain "503" by chance: compare whole values).
    unsalted = {hashlib.blake2b(str(u).encode(), digest_size=12).hexdigest() for u in (501, 502, 503, 504)}
    assert len({h for (h,) in hashes}) == 4 and all(
        re.fullmatch(r"[0-9a-f]{24}", h) and h not in unsalted for (h,) in hashes
    )
    (vote,) = rows(bot, "SELECT vote, question, location, user_hash FROM votes")
    assert vote[:3] == ("down", "도커 장점", msg["embeds"][0]["footer"]["text"]) and vote[3] == hashes[2][0]


async def test_stats_for_maintainers_only_and_ephemeral(logged_bot, fake) -> None:
    bot = logged_bot
    for q in (
        "오늘 점심 뭐 먹지",
        "점심 뭐 먹지?",
        "도커 장점",
        "[click](https://example.invalid) **비트코인**",
    ):
        await run(fake, bot, fd.slash("ask", {"question": q}, locale="ko"))
    msg = dict(fake.messages[max(fake.messages)])
    (refused,) = await run(fake, bot, fd.slash("stats", roles=[fd.OTHER_ROLE_ID], locale="ko"), count=1)
    assert refused.body["data"]["flags"] == EPHEMERAL and "관리자" in refused.body["data"]["content"]
    for q in ("도커 장점",):
        await run(fake, bot, fd.slash("ask", {"question": q}, locale="ko"))
    msg = dict(fake.messages[max(fake.messages)])
    await run(fake, bot, fd.click("qa:vote:down", msg), count=1)
    callback, followup = await run(fake, bot, fd.slash("stats", locale="ko", roles=[fd.MAINTAINER_ROLE_ID]))
    assert callback.body == {"type": 5, "data": {"flags": EPHEMERAL}}
    assert followup.body["flags"] == EPHEMERAL
    embed = followup.body["embeds"][0]
    assert embed["title"] == "최근 7일 질문 통계"
    assert "질문 5개" in embed["description"] and "답변 2개" in embed["description"]
    assert "답변률 40%" in embed["description"] and "👎 1" in embed["description"]
    unanswered, downvoted = embed["fields"]
    assert unanswered["name"] == "답하지 못한 질문" and unanswered["value"].startswith("• 점심 뭐 먹지? (×2)")
    assert "\\[click\\]\\(https" in unanswered["value"] and "\\*\\*비트코인" in unanswered["value"]  # escaped
    assert (
        downvoted["name"] == "👎 많은 섹션"
        and "docker.md:" in downvoted["value"]
        and "×1" in downvoted["value"]
    )
    _, admin = await run(fake, bot, fd.slash("stats", locale="en-US", permissions="8"))
    assert admin.body["embeds"][0]["title"] == "Questions in the last 7 days"


async def test_200_concurrent_interactions_with_votes_lose_no_row(logged_bot, fake) -> None:
    bot = logged_bot
    questions = ["도커 장점", "도커 설치 방법", "오늘 점심 뭐 먹지", "도커와 EC2 차이"]
    asks = [fd.slash("ask", {"question": questions[n % 4]}, user_id=10_000 + n) for n in range(200)]
    for p in asks:  # all delivered before any is answered
        fake.deliver(bot, "INTERACTION_CREATE", p)
    await fake.wait_for(lambda r: r.path.startswith("/webhooks/"), 200, timeout=60)
    answer = next(m for m in fake.messages.values() if m["embeds"] and m["components"])
    votes = [fd.click(f"qa:vote:{'up' if n % 3 else 'down'}", answer, user_id=20_000 + n) for n in range(100)]
    for p in votes:
        fake.deliver(bot, "INTERACTION_CREATE", p)
    await fake.wait_for(lambda r: r.path.endswith("/callback") and r.body.get("type") == 4, 100, timeout=60)
    assert rows(bot, "SELECT count(*), count(DISTINCT user_hash), sum(answered) FROM questions") == [
        (200, 200, 150)
    ]
    assert rows(bot, "SELECT vote, count(*) FROM votes GROUP BY vote ORDER BY vote") == [
        ("down", 34),
        ("up", 66),
    ]
    assert bot.insight.dropped == 0


async def test_reindex_pulls_first_and_a_failed_pull_keeps_the_old_index(
    fake, service, cache_dir, tmp_path
) -> None:
    import shutil

    if shutil.which("git") is None:
        pytest.skip("git not installed")
    data = {
        "knowledge": {
            "dir": str(tmp_path / "checkout"),  # missing: a clone is tried, and fails
            "cache_dir": str(cache_dir),
            "git_remote": "https://bob:s3cret@127.0.0.1:9/notes.git",  # nothing listens on port 9
            "git_timeout_seconds": 20.0,
        },
        "insight": {"enabled": False},
    }
    bot = create_bot(parse_config(data, KNOWLEDGE.parent), service)
    await bot.login("fake-token")
    try:
        _, followup = await run(fake, bot, fd.slash("reindex", locale="en-US", permissions="8"), timeout=30)
        embed = followup.body["embeds"][0]
        assert embed["title"] == "Reindex failed" and "git:" in embed["description"]
        assert (
            "s3cret" not in embed["description"]
            and "https://***@127.0.0.1:9/notes.git" in embed["description"]
        )
        assert not (tmp_path / "checkout").exists()
        _, answer = await run(fake, bot, fd.slash("ask", {"question": "도커 장점"}, locale="ko"))
        assert "장점" in answer.body["embeds"][0]["title"]  # the old index serves
        _, off = await run(fake, bot, fd.slash("stats", permissions="8", locale="ko"))
        assert "꺼져" in off.body["content"]
    finally:
        await fake.settle(0.05)
        await bot.close()
    assert_discord_rules(fake.requests)
