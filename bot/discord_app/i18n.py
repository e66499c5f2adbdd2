"""Korean localizations: command metadata via an app_commands.Translator, reply strings via ``t()``.

English is the source language (Discord's default); ``ko`` is the only translation. Command names,
option names and descriptions are wrapped in ``locale_str`` and looked up here by their English text.
"""

from __future__ import annotations

import re

import discord
from discord import app_commands

# Command metadata: English source text -> Korean. Names must match limits.NAME (lowercase, no spaces).
COMMAND_KO: dict[str, str] = {
    # /ask
    "ask": "질문",
    "Ask a question about the study notes": "스터디 노트에 대해 질문하기",
    "question": "질문",
    "Your question, in Korean or English": "궁금한 내용 (한국어 또는 영어)",
    # /install
    "install": "설치",
    "Show the install commands for a Linux distribution": "리눅스 배포판별 설치 명령 보기",
    "distro": "배포판",
    "Linux distribution, e.g. Ubuntu": "리눅스 배포판 (예: 우분투)",
    # /reindex
    "reindex": "재색인",
    "Rebuild the search index from the notes (maintainers)": "노트로 검색 색인 다시 만들기 (관리자)",
    "full": "전체",
    "Re-tokenize every section, not only changed ones": "바뀐 섹션만이 아니라 모든 섹션 다시 분석",
    # /stats
    "stats": "통계",
    "Questions, answer rate and what the notes miss, last 7 days (maintainers)": (
        "최근 7일 질문 수, 답변률, 노트가 답하지 못한 질문 (관리자)"
    ),
    # /help
    "help": "도움말",
    "What this bot does and how to use it": "봇 소개와 사용법",
}

# Reply strings: key -> (English, Korean). Placeholders use str.format.
MESSAGES: dict[str, tuple[str, str]] = {
    "more": ("More results", "다른 결과"),
    "full": ("Full section", "전체 보기"),
    "full_gone": (
        "That section is no longer in the notes (they changed since this answer).",
        "노트가 바뀌어서 그 섹션을 더 이상 찾을 수 없어요.",
    ),
    "related": ("Related", "관련 항목"),
    "source": ("Source", "출처"),
    "no_more": ("No other results for this question.", "이 질문에 대한 다른 결과가 없어요."),
    "more_title": ("Other results", "다른 결과"),
    "decline_title": ("Not in the notes", "노트에서 찾지 못했어요"),
    "decline_body": (
        "I couldn't find an answer to that in the study notes.",
        "스터디 노트에서 그 질문에 대한 답을 찾지 못했어요.",
    ),
    "try_instead": ("You could ask about", "이런 주제는 답할 수 있어요"),
    "thanks_up": ("Thanks for the feedback! 👍", "피드백 고마워요! 👍"),
    "thanks_down": (
        "Thanks — noted that this answer didn't help. 👎",
        "알려줘서 고마워요. 도움이 안 된 답변으로 기록했어요. 👎",
    ),
    "install_title": ("Install on {name}", "{name} 설치 방법"),
    "unknown_distro": (
        "The notes have no install steps for {asked!r}. Known: {known}.",
        "노트에 {asked!r} 설치 방법이 없어요. 가능한 배포판: {known}.",
    ),
    "no_distros": ("(none: the notes have no install section)", "(없음: 노트에 설치 섹션이 없어요)"),
    "cooldown": (
        "Slow down a little — try again in {seconds:.0f} s.",
        "조금만 천천히요. {seconds:.0f}초 뒤에 다시 시도해 주세요.",
    ),
    "maintainers_only": (
        "Only administrators or maintainers can do that.",
        "관리자나 메인테이너만 사용할 수 있어요.",
    ),
    "guild_only": ("This command only works in a server.", "이 명령은 서버에서만 쓸 수 있어요."),
    "not_ready": (
        "I'm still loading the notes — try again in a few seconds.",
        "아직 노트를 불러오는 중이에요. 잠시 뒤에 다시 시도해 주세요.",
    ),
    "error": (
        "Something went wrong on my side; it has been logged.",
        "처리 중에 문제가 생겼어요. 기록해 두었어요.",
    ),
    "empty_mention": (
        "Ask me something about the notes, e.g. {example}",
        "노트에 대해 물어보세요. 예: {example}",
    ),
    "reindex_title": ("Reindex finished", "재색인 완료"),
    "reindex_body": (
        "{files} files, {sections} sections ({retokenized} re-tokenized) in {seconds:.1f} s.",
        "파일 {files}개, 섹션 {sections}개 (다시 분석 {retokenized}개), {seconds:.1f}초.",
    ),
    "reindex_failed": ("Reindex failed", "재색인 실패"),
    "reindex_kept": (
        "The old index keeps answering. Reason: {error}",
        "이전 색인으로 계속 답해요. 이유: {error}",
    ),
    "reindex_problems": ("Problems", "문제"),
    "reindex_none": ("No problems.", "문제 없음."),
    "reindex_more_problems": ("… and {n} more", "… 외 {n}개"),
    "help_title": ("Study notes Q&A bot", "스터디 노트 Q&A 봇"),
    "help_body": (
        "I answer questions from the study group's notes and show where each answer comes from. "
        "Mention me with a question, or use the commands below.",
        "스터디 노트에서 질문에 대한 답을 찾아 출처와 함께 보여 줘요. "
        "질문과 함께 저를 멘션하거나 아래 명령을 사용하세요.",
    ),
    "help_commands": ("Commands", "명령어"),
    "help_examples": ("Try asking", "이렇게 물어보세요"),
    "help_cmd_ask": ("answer a question from the notes", "노트에서 답 찾기"),
    "help_cmd_install": ("install commands per Linux distribution", "배포판별 설치 명령"),
    "help_cmd_reindex": ("rebuild the index (maintainers)", "색인 다시 만들기 (관리자)"),
    "help_cmd_help": ("this message", "이 도움말"),
    "help_cmd_stats": ("questions and what the notes miss (maintainers)", "질문 통계 (관리자)"),
    "stats_title": ("Questions in the last {days} days", "최근 {days}일 질문 통계"),
    "stats_body": (
        "{questions} questions · {answered} answered · {declined} declined · answer rate {rate}\n"
        "👍 {up} · 👎 {down}",
        "질문 {questions}개 · 답변 {answered}개 · 못 찾음 {declined}개 · 답변률 {rate}\n👍 {up} · 👎 {down}",
    ),
    "stats_unanswered": ("Top unanswered questions", "답하지 못한 질문"),
    "stats_downvoted": ("Most 👎 sections", "👎 많은 섹션"),
    "stats_none": ("None.", "없음."),
    "stats_off": (
        "The question log is off (`[insight] enabled = false`).",
        "질문 기록이 꺼져 있어요 (`[insight] enabled = false`).",
    ),
    "did_you_mean": ("Did you mean **{question}**?", "혹시 **{question}**{particle} 찾으셨나요?"),
}


def register(messages: dict[str, tuple[str, str]], commands: dict[str, str] | None = None) -> None:
    """An extension's own strings, added to the tables above (a key may not change meaning)."""
    clash = [k for k, v in messages.items() if MESSAGES.get(k, v) != v]
    clash += [k for k, v in (commands or {}).items() if COMMAND_KO.get(k, v) != v]
    if clash:
        raise ValueError(f"i18n: strings registered twice with different text: {clash}")
    MESSAGES.update(messages)
    COMMAND_KO.update(commands or {})


_HANGUL = re.compile(r"[\uac00-\ud7a3\u3131-\u318e]")


def is_korean(locale: discord.Locale | str | None) -> bool:
    return str(locale or "").lower().startswith("ko")


def locale_for_text(text: str) -> str:
    """A locale for replies without an interaction locale (chat messages): Korean if the text has Hangul."""
    return "ko" if _HANGUL.search(text or "") else "en-US"


def t(key: str, locale: discord.Locale | str | None = None, /, **fmt: object) -> str:
    """The reply string ``key`` in Korean for ``ko`` locales, English otherwise."""
    en, ko = MESSAGES[key]
    text = ko if is_korean(locale) else en
    return text.format(**fmt) if fmt else text


class KoreanTranslator(app_commands.Translator):
    """Fills ``name_localizations``/``description_localizations`` with ``ko`` when the tree is synced."""

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        if locale is not discord.Locale.korean:
            return None
        return COMMAND_KO.get(string.message)
