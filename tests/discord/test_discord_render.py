"""render.py is pure: Markdown fitting, titles and embeds checked against Discord's limits."""

from __future__ import annotations

import random

import pytest
from conftest import KNOWLEDGE

from bot.answers.types import Answer, Result
from bot.discord_app import i18n, limits, render
from bot.discord_app.exts.chat import clean_question
from bot.discord_app.exts.install import distro_choices
from bot.notes.section import Section

NOTE = (KNOWLEDGE / "docker.md").read_text(encoding="utf-8")


def section(text: str, path: tuple[str, ...] = ("Docker", "설치 방법"), line: int = 3) -> Section:
    return Section("docker.md", line, path, len(path), text, text)


def fences_balanced(text: str) -> bool:
    return text.count("```") % 2 == 0


@pytest.mark.parametrize("limit", [1, 2, 10, 50, 100, 300, 1000, 4096])
def test_fit_markdown_respects_limit_and_fences_on_the_note(limit):
    out = render.fit_markdown(NOTE, limit)
    assert len(out) <= limit and fences_balanced(out)


def test_fit_markdown_keeps_short_text_as_is():
    text = "1. Ubuntu\n```bash\nsudo apt-get install docker.io\n```"
    assert render.fit_markdown(text, 4096) == text


def test_fit_markdown_cuts_between_blocks_or_closes_a_cut_block():
    text = "intro\n```bash\n" + "echo line\n" * 100 + "```\nafter"
    out = render.fit_markdown(text, 200)
    assert out.startswith("intro\n```bash\necho line") and out.endswith("```\n…") and len(out) <= 200
    lines = out.split("\n")
    assert lines[-2] == "```" and all(x == "echo line" for x in lines[2:-2])


def test_fit_markdown_closes_an_unclosed_fence_and_neutralises_stray_ticks():
    assert render.fit_markdown("a ``` b\n```py\nx = 1", 100) == "a `\u200b`\u200b` b\n```py\nx = 1\n```"
    out = render.fit_markdown("```\n" + "code ``` inside\n" * 3, 100)
    assert out.count("```") == 2 and "code `\u200b`\u200b` inside" in out


def test_fit_markdown_one_huge_line():
    out = render.fit_markdown("가" * 6000, 4096)
    assert len(out) <= 4096 and out.endswith("…") and out.startswith("가가")


def test_fit_markdown_random_inputs():
    rnd = random.Random(7)
    pieces = [
        "```",
        "```bash",
        "````",
        "~~~",
        "    ```",
        "text",
        "",
        "@everyone",
        "`` ` ``",
        "x" * 300,
        "# h",
    ]
    for _ in range(2000):
        text = "\n".join(rnd.choices(pieces, k=rnd.randint(1, 40)))
        limit = rnd.randint(1, 700)
        out = render.fit_markdown(text, limit)
        assert len(out) <= limit and fences_balanced(out), (text, limit, out)


def test_heading_title_drops_outer_parts_first():
    path = ("가" * 200, "중간 " * 20, "마지막 제목")
    title = render.heading_title(path)
    assert len(title) <= 256 and title.endswith("› 마지막 제목") and title.startswith("… › ")
    assert render.heading_title(("**굵게** 쓴 제목",)) == "\\*\\*굵게\\*\\* 쓴 제목"  # escaped, not stripped
    name = "gyoogle__tech-interview-for-developer/README.md"
    assert render.heading_title((name,)) == name.replace("_", "\\_")
    assert len(render.heading_title(("x" * 1000,))) == 256


def test_answer_embed_fields_and_limits():
    best = Result(section("## 설치 방법\n1. Ubuntu\n```bash\nsudo apt-get update\n```\n#### 참고\n- 끝"), 3.0)
    other = Result(section("## 장점\n- 빠름", ("Docker", "장점"), 31), 1.0)
    (embed,) = render.answer_embeds(Answer("도커 설치", True, (best, other)), "ko")
    assert embed.title == "Docker › 설치 방법" and embed.footer.text == "docker.md:3"
    assert embed.author.name == "도커 설치"
    assert embed.description.startswith("1. Ubuntu\n```bash") and "**참고**" in embed.description
    assert "## 설치 방법" not in embed.description  # the title already shows it
    assert embed.fields[0].name == "관련 항목" and "docker.md:31" in embed.fields[0].value
    assert render.check_embeds([embed]) == []


def test_answer_embed_with_a_huge_section_fills_but_fits():
    text = "## 큰 섹션\n" + ("본문 문장입니다. " * 30 + "\n```bash\n" + "echo hi\n" * 40 + "```\n") * 30
    results = tuple(Result(section(text, ("a" * 300, "b" * 300), i), 1.0) for i in range(10))
    (embed,) = render.answer_embeds(Answer("q" * 6000, True, results), "en")
    assert render.check_embeds([embed]) == []
    assert len(embed.description) > 3500  # the budget is used, not wasted
    more = render.more_embeds(Answer("q", True, results), 1)
    assert len(more) == 9 and render.check_embeds(more) == []


def test_decline_and_more_without_results():
    decline = render.decline_embed(
        Answer("```점심```", False, (), "노트에 없어요.", ("설치 방법", "장점")), "ko"
    )
    assert decline.title == "노트에서 찾지 못했어요" and decline.description == "노트에 없어요."
    assert decline.fields[0].value == "• 설치 방법\n• 장점"
    fallback = render.decline_embed(Answer("x", False), "en", examples=["도커 설치"])
    assert fallback.description == i18n.t("decline_body", "en") and "도커 설치" in fallback.fields[0].value
    (none,) = render.more_embeds(Answer("x", True, ()), 1, "ko")
    assert none.description == i18n.t("no_more", "ko")


def test_install_embed_neutralises_backticks_in_snippets():
    embed = render.install_embed("우분투", "echo ```\n" * 1000, "bash", "docker.md:9", "ko")
    assert embed.title == "우분투 설치 방법" and embed.description.startswith("```bash\n")
    assert render.check_embeds([embed]) == [] and embed.description.count("```") == 2


def test_question_round_trips_through_the_embed():
    embed = render.result_embed(Result(section("## x\ny"), 1.0), question="도커 장점")
    assert render.question_from_embeds([embed]) == "도커 장점"
    assert render.location_from_embeds([embed]) == "docker.md:3"
    long = render.result_embed(Result(section("## x\ny"), 1.0), question="가" * 300)
    assert render.question_from_embeds([long]) == "가" * 255


def test_check_embeds_reports_overflow():
    import discord

    big = [discord.Embed(title="t" * 300, description="d" * 4000) for _ in range(2)]
    problems = render.check_embeds(big)
    assert any("title" in p for p in problems) and any("total" in p for p in problems)


def test_clean_question_strips_mentions():
    assert clean_question("<@123> <@!5> 도커 <@&9> @everyone 장점 <#7> @here") == "도커 장점"


def test_locale_helpers():
    assert i18n.is_korean("ko") and not i18n.is_korean("en-US") and not i18n.is_korean(None)
    assert i18n.locale_for_text("도커 장점") == "ko" and i18n.locale_for_text("docker") == "en-US"
    assert i18n.t("cooldown", "ko", seconds=3) == "조금만 천천히요. 3초 뒤에 다시 시도해 주세요."
    for name in ("ask", "question", "install", "distro", "reindex", "full", "help"):
        assert limits.NAME.match(i18n.COMMAND_KO[name])
    assert all(len(v) <= 100 for v in i18n.COMMAND_KO.values())


def test_distro_choices_rank_prefix_first():
    from types import SimpleNamespace

    snips = [
        SimpleNamespace(
            key="common", title="공통 스크립트", display_ko="공통 스크립트", names=("common", "all")
        ),
        SimpleNamespace(key="ubuntu", title="Ubuntu Linux", display_ko="우분투", names=("ubuntu", "우분투")),
    ]
    assert [c.value for c in distro_choices(snips, "", "ko")] == ["common", "ubuntu"]
    assert [c.value for c in distro_choices(snips, "linux", "en")] == ["ubuntu"]
    assert distro_choices(snips, "우분", "ko")[0].name == "우분투 (Ubuntu Linux)"
    assert distro_choices(snips, "zzz", "ko") == []


def test_reindex_embed_ok_and_failed():
    from types import SimpleNamespace

    ok = SimpleNamespace(files=2, sections=30, retokenized=3, warnings=[], seconds=1.25, ok=True, error="")
    embed = render.reindex_embed(ok, "en")
    assert embed.title == "Reindex finished" and "2 files, 30 sections (3 re-tokenized)" in embed.description
    assert embed.fields[0].value == "No problems."
    failed = SimpleNamespace(
        files=2, sections=30, retokenized=0, warnings=[], seconds=0, ok=False, error="no notes"
    )
    embed = render.reindex_embed(failed, "ko")
    assert embed.title == "재색인 실패" and "no notes" in embed.description


def test_user_cooldowns():
    from bot.discord_app.cooldown import UserCooldowns

    cd = UserCooldowns(2, 60)
    assert cd.hit(1) is None and cd.hit(1) is None and cd.hit(1) > 0 and cd.hit(2) is None
    assert cd.should_warn(1, 5) and not cd.should_warn(1, 5)


def test_related_names_keep_their_underscores_and_link_with_source_url():
    first = section("본문", ("Docker", "설치 방법"))
    other = Section(
        "gyoogle__tech-interview/OS/*스레드*.md", 5, ("gyoogle__tech-interview", "스레드"), 2, "x", "x"
    )
    answer = Answer("q", True, (Result(first, 2.0, "본문"), Result(other, 1.0, "x")))
    (embed,) = render.answer_embeds(answer)
    value = embed.fields[0].value
    assert "gyoogle\\_\\_tech-interview › 스레드 — gyoogle\\_\\_tech-interview/OS/\\*스레드\\*.md:5" in value
    (embed,) = render.answer_embeds(answer, source_url="https://git.example/n/blob/main")
    value = embed.fields[0].value
    assert (
        "[gyoogle\\_\\_tech-interview › 스레드](https://git.example/n/blob/main/gyoogle__tech-interview/OS/"
        in value
    )
    assert embed.url == "https://git.example/n/blob/main/docker.md#L3" and render.check_embeds([embed]) == []


def test_the_author_line_shows_the_question_as_one_plain_line():
    """A question's U+202E, NUL or newlines were copied into the author line as they were."""
    question = "도커\u202e 설치\x00 방법\n\n\n" + "\n" * 200 + "알려줘"
    (embed,) = render.answer_embeds(Answer(question, True, (Result(section("설치하기"), 1.0),)), "ko")
    assert embed.author.name == "도커 설치 방법 알려줘"
    assert render.question_from_embeds([embed]) == "도커 설치 방법 알려줘"  # what the buttons ask again
    declined = render.decline_embed(Answer(question, False), "ko")
    assert declined.author.name == "도커 설치 방법 알려줘"
