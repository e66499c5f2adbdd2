"""Question words mended before scoring (answers/repair.py): the pieces that need no analyzer."""

from __future__ import annotations

from bot.answers.repair import QueryRepair
from bot.tokens.spelling import Speller


def repair_over(*words: str) -> QueryRepair:
    vocab = {w: i for i, w in enumerate(words)}
    return QueryRepair(vocab, lambda _w: 1.0, Speller().extend(list(words)))


def test_a_suffix_on_a_word_the_notes_use_bare_is_dropped() -> None:
    repair = repair_over("멱등", "정규", "메서드")
    assert repair.mend("멱등성") == ("멱등",)  # Kiwi keeps 멱등성 whole; the notes index 멱등
    assert repair.mend("정규화") == ("정규",)
    assert repair.mend("멱등성이") == ("멱등",)  # a particle too
    assert repair.mend("성") == ("성",)  # nothing left but the suffix: unknown as it was
    assert repair.mend("메서드들") == ("메서드들",)  # a plural is not a derivational suffix


def test_pieces_of_one_written_word_the_notes_hold_whole_are_joined() -> None:
    repair = repair_over("블랙스완", "블랙", "도커")
    assert repair.rejoin(["블랙", "스완"], "블랙스완이 뭐야?") == ["블랙스완"]
    assert repair.rejoin(["블랙", "스완"], "블랙 스완이 뭐야?") == ["블랙", "스완"]  # written apart
    assert repair.rejoin(["도커", "블랙"], "도커블랙") == ["도커", "블랙"]  # both known: left as they are


def test_a_particle_kiwi_left_attached_is_dropped() -> None:
    repair = repair_over("프로세스", "우분투")
    assert repair.mend("우분투에") == ("우분투",)
    assert repair.mend("프로세스끼리") == ("프로세스",)  # "프로세스끼리 통신": Kiwi kept it whole
