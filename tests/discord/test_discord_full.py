"""Passages in answer embeds, the private "full section" button and its pages, source links (issue 16)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import discord_fake as fd
from conftest import KNOWLEDGE
from test_discord_commands import answer_message, custom_ids, run

from bot.answers.types import Answer, Result
from bot.config import parse_config
from bot.discord_app import create_bot, render
from bot.notes.section import Section

EPHEMERAL = 64
BASE = "https://git.example/org/notes/blob/main"
RAW_HTML = re.compile(r"<(?:br|img|div|details|span|p|a|table)\b|&nbsp;|&lt;", re.I)

HTML_NOTE = """## 정리
첫 줄<br>둘째 줄 &nbsp; <img src="../img/arch.png" alt="구조도">
![](./local.png) [다른 노트](../net/tcp.md) [@everyone](https://evil.example) 각주[^1]
<details><summary>더 보기</summary>숨은 내용</details>

| 이름 | 설명 |
|---|---|
| 도커 | 컨테이너<br>도구 |

[^1]: 각주 내용
"""


def long_section() -> Section:
    parts = ["## 긴 섹션"]
    for i in range(12):
        parts.append(f"설명 {i} " + "가나다라 " * 60)
        parts.append("```bash\n" + "\n".join(f"echo {i}-{k}" for k in range(40)) + "\n```")
    text = "\n".join(parts)
    return Section("dir/gyoogle__long.md", 1, ("노트", "긴 섹션"), 2, text, text)


class Stub:
    """An answer service over hand-made sections (no Kiwi), with section_at for the full view."""

    def __init__(self, *sections: Section) -> None:
        self.sections = sections

    def ask(self, question: str, top: int | None = None) -> Answer:
        results = tuple(Result(s, 1.0, s.text.split("\n", 1)[-1][:200]) for s in self.sections)
        return Answer(question, True, results)

    def section_at(self, location: str) -> Section | None:
        return next((s for s in self.sections if s.location == location), None)

    def examples(self, n: int = 5) -> list[str]:
        return []

    def wait_idle(self, timeout: float) -> bool:  # the bot's close() asks
        return True


async def login(fake: Any, service: Any, cache_dir: Path, source_url: str = "") -> Any:
    cfg = parse_config(
        {
            "knowledge": {"dir": str(KNOWLEDGE), "cache_dir": str(cache_dir), "source_url": source_url},
            "discord": {"cooldown_rate": 100, "cooldown_seconds": 1.0},
        },
        KNOWLEDGE.parent,
    )
    bot = create_bot(cfg, service)
    await bot.login("fake-token")
    return bot


async def test_answer_leads_with_the_passage_and_full_shows_the_section(bot, fake):
    msg = await answer_message(bot, fake, "우분투에 도커 설치", "ko")
    desc = msg["embeds"][0]["description"]
    assert "apt-get install docker.io" in desc and "yum" not in desc and "chkconfig" not in desc
    assert msg["components"][0]["components"][0]["label"] == "전체 보기"
    callback, followup = await run(fake, bot, fd.click("qa:full:0", msg, locale="ko", user_id=9))
    assert callback.body == {"type": 5, "data": {"flags": EPHEMERAL}}  # private to whoever clicked
    assert followup.body["flags"] == EPHEMERAL
    (embed,) = followup.body["embeds"]
    assert embed["footer"]["text"] == msg["embeds"][0]["footer"]["text"] == "docker.md:3"
    full = embed["description"]
    assert "yum install docker" in full and "apt-get install docker.io" in full
    assert "components" not in followup.body or not followup.body["components"]  # one page: no ◀/▶


async def test_more_results_each_get_a_full_button(bot, fake):
    msg = await answer_message(bot, fake, "도커 장점", "en-US")
    _, more = await run(fake, bot, fd.click("qa:more:1", msg))
    assert custom_ids(more) == ["qa:full:0", "qa:full:1"]
    more_msg = dict(fake.messages[max(fake.messages)])
    _, full = await run(fake, bot, fd.click("qa:full:1", more_msg))
    assert full.body["embeds"][0]["footer"]["text"] == more_msg["embeds"][1]["footer"]["text"]


async def test_a_long_section_is_paged_and_no_page_splits_a_code_block(fake, cache_dir):
    section = long_section()
    bot = await login(fake, Stub(section), cache_dir)
    try:
        msg = await answer_message(bot, fake, "긴 섹션", "ko")
        assert msg["embeds"][0]["title"] == "노트 › 긴 섹션"
        _, first = await run(fake, bot, fd.click("qa:full:0", msg))
        pages = [first.body["embeds"][0]]
        assert custom_ids(first) == ["qa:page:1:n"]
        current = dict(fake.messages[max(fake.messages)])
        while len(pages) < 20:
            ids = [c["custom_id"] for row in current.get("components", []) for c in row["components"]]
            forward = [i for i in ids if i.endswith(":n")]
            if not forward:
                break
            (edit,) = await run(fake, bot, fd.click(forward[0], current), count=1)
            assert edit.body["type"] == 7  # the same private message shows the next page
            data = edit.body["data"]
            pages.append(data["embeds"][0])
            current = {**current, "embeds": data["embeds"], "components": data.get("components", [])}
        n = len(pages)
        assert n >= 3 and pages[-1]["footer"]["text"] == f"dir/gyoogle__long.md:1 · {n}/{n}"
        blocks = re.findall(r"```bash\n.*?\n```", section.text, re.S)
        shown = "\n".join(p["description"] for p in pages)
        assert all(sum(b in p["description"] for p in pages) == 1 for b in blocks), "a block was split"
        assert all(f"설명 {i}" in shown for i in range(12))
        # back again
        ids = [c["custom_id"] for row in current["components"] for c in row["components"]]
        assert ids == [f"qa:page:{n - 2}:p"]
    finally:
        await bot.close()


async def test_html_note_renders_clean_with_source_links(fake, cache_dir):
    section = Section("docker/intro.md", 7, ("gyoogle__tech-interview", "정리"), 2, HTML_NOTE, HTML_NOTE)
    bot = await login(fake, Stub(section), cache_dir, source_url=BASE)
    try:
        msg = await answer_message(bot, fake, "정리", "ko")
        embed = msg["embeds"][0]
        assert embed["url"] == f"{BASE}/docker/intro.md#L7"
        assert embed["title"].startswith("gyoogle\\_\\_tech-interview")  # escaped, never stripped
        _, full = await run(fake, bot, fd.click("qa:full:0", msg))
        desc = full.body["embeds"][0]["description"]
        assert not RAW_HTML.search(desc), desc
        assert f"[🖼 구조도]({BASE}/img/arch.png)" in desc and f"[다른 노트]({BASE}/net/tcp.md)" in desc
        assert "첫 줄\n둘째 줄" in desc and "• **도커** — 설명: 컨테이너 / 도구" in desc
        assert "각주¹" in desc and "¹ 각주 내용" in desc and "@\u200beveryone" in desc
        assert full.body["embeds"][0]["url"] == f"{BASE}/docker/intro.md#L7"
    finally:
        await bot.close()


async def test_full_section_gone_after_the_notes_changed(fake, cache_dir):
    bot = await login(fake, Stub(long_section()), cache_dir)
    try:
        msg = await answer_message(bot, fake, "긴 섹션", "en-US")
        msg["embeds"][0]["footer"]["text"] = "gone.md:1"
        _, reply = await run(fake, bot, fd.click("qa:full:0", msg))
        assert "no longer" in reply.body["content"]
    finally:
        await bot.close()


def test_render_full_embed_limits():
    pages = render.section_pages(long_section())
    embeds = [render.full_embed(long_section(), i, pages) for i in range(len(pages))]
    assert all(render.check_embeds([e]) == [] for e in embeds)
