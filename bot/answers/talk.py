"""How close everyday talk comes, in meaning, to these notes: the semantic channel's line for a rescue.

A paraphrase of the notes ("컨테이너에 운영체제 핵심부를 넣어야 하나?") shares few words with them, so
BM25's best section holds little of its weight and the engine would decline it. The vectors can vouch
for it — but cosines are compressed (everyday talk scores 0.80-0.88 against any notes, in-scope
questions 0.82-0.95) and their level depends on the notes. So the line is measured on the notes in
hand: the highest cosine any of the lines below reaches against any of their chunks. A question whose
best section's cosine is above it is closer to the notes than everyday talk ever gets.

The lines are ordinary chat of a study-group server, written for this purpose (not taken from an eval
set): greetings, food, weather, plans, moods, the group's own logistics, a few in English.
"""

from __future__ import annotations

import logging

from bot.index.vectors import SemanticIndex

log = logging.getLogger(__name__)

EVERYDAY_TALK = (
    "안녕하세요 처음 들어왔어요",
    "다들 좋은 아침입니다",
    "반가워요 잘 부탁드려요",
    "오늘 저녁 메뉴 추천해 주세요",
    "점심으로 김치찌개 먹을까 돈까스 먹을까",
    "배고프다 야식 시킬 사람",
    "내일 비 온대요 우산 챙기세요",
    "요즘 날씨가 너무 추워요",
    "이번 주말에 뭐 하세요?",
    "연휴에 여행 가고 싶다",
    "오늘 너무 피곤하네요",
    "졸려서 커피 한 잔 마셔야겠어요",
    "다음 모임은 언제 하나요?",
    "스터디 시간 좀 바꿀 수 있을까요?",
    "오늘 발표 누가 해요?",
    "늦어서 죄송합니다",
    "고생 많으셨습니다 다음에 봬요",
    "생일 축하해요!",
    "ㅋㅋㅋㅋ 진짜 웃기다",
    "헐 대박",
    "재밌는 영화 추천 좀",
    "요즘 무슨 노래 들어요?",
    "운동 어떤 거 하세요?",
    "강아지 키우는 분 있나요?",
    "지금 몇 시예요?",
    "퇴근하고 싶다",
    "시험 망했어요 ㅠㅠ",
    "이사 가는데 짐 싸기 귀찮네",
    "택배가 아직 안 왔어요",
    "주식 요즘 어때요?",
    "게임 같이 할 사람?",
    "오늘 기분이 좋아요",
    "감기 걸려서 목이 아파요",
    "맛집 아시는 곳 있어요?",
    "카페에서 공부하는 중",
    "방학 계획 세우셨어요?",
    "이 채널은 뭐 하는 곳이에요?",
    "봇아 너는 누구야?",
    "심심하다 놀아줘",
    "잘 자요 내일 봐요",
    "hello everyone",
    "good morning, how are you?",
    "what should I eat for lunch?",
    "any plans for the weekend?",
    "thanks, see you tomorrow",
    "it's so cold today",
    "I'm so tired lol",
    "who wants to play games tonight?",
)


def talk_ceiling(semantic: SemanticIndex) -> float | None:
    """The highest cosine any everyday line has to any chunk of these notes; None if the model fails
    (then nothing is rescued)."""
    try:
        return semantic.ceiling(semantic.embedder.queries(EVERYDAY_TALK))
    except Exception as err:  # the model failing: the rescue is off, BM25's declines stand
        log.warning("everyday-talk line not measured (%s: %s)", type(err).__name__, err)
        return None
