"""Re-ranking (answers/rerank.py): the shipped models, their candidates, a broken weights file, and what
re-ranking may and may not change in the engine's answers."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from bot.answers import rerank
from bot.answers.engine import Tuning
from bot.evaluation import fit

KNOWLEDGE = Path(__file__).resolve().parents[1] / "knowledge"


def test_the_shipped_models_load_and_name_the_features_the_engine_computes() -> None:
    models = rerank.models()
    assert models is not None
    assert models.lexical.names == rerank.LEXICAL and models.fused.names == rerank.FUSED
    data = json.loads(rerank.WEIGHTS.read_text(encoding="utf-8"))
    # fitted on development sets only: never on a held-out one
    held_out = {"heldout2", "heldout3", "heldout4", "heldout5", "heldout6", "passages"}
    assert not held_out & {s.split()[0] for s in data["fitted_on"]}


@pytest.mark.parametrize(
    "content",
    ["", "{", json.dumps({"lexical": {"names": ["zl"], "mean": [0], "scale": [1], "weights": [1]}}), "[]"],
)
def test_a_broken_weights_file_means_no_reranking_and_one_warning(tmp_path: Path, caplog, content) -> None:
    path = tmp_path / "rerank.json"
    path.write_text(content, encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        assert rerank.models(path) is None
    assert any("re-ranking weights" in r.getMessage() for r in caplog.records)


def test_weights_for_other_features_are_refused(tmp_path: Path) -> None:
    good = json.loads(rerank.WEIGHTS.read_text(encoding="utf-8"))
    good["lexical"]["names"] = ["zl", *good["lexical"]["names"][1:]]
    path = tmp_path / "rerank.json"
    path.write_text(json.dumps(good), encoding="utf-8")
    assert rerank.models(path) is None
    good["lexical"]["scale"] = [0.0] * len(good["lexical"]["names"])
    path.write_text(json.dumps(good), encoding="utf-8")
    assert rerank.models(path) is None


def test_candidates_are_both_channels_best_among_sections_sharing_a_word() -> None:
    lexical = np.array([0.0, 5.0, 4.0, 3.0, 0.0, 1.0])
    sem = np.array([0.99, 0.1, 0.2, 0.3, 0.98, 0.9])
    cands = rerank.Candidates.of(lexical, sem, sure=0.5, depth=2)
    assert cands.ids.tolist() == [1, 2, 5, 3]  # BM25's two best, then the vectors' (0 and 4 share no word)
    assert np.exp(-cands.scores["rl"]).round().tolist() == [1, 2, 3, 3]  # ranks, clipped at depth + 1
    assert np.exp(-cands.scores["rs"]).round().tolist() == [3, 3, 1, 2]
    assert np.allclose(cands.scores["zs_s"], cands.scores["zs"] * 0.5)
    shared = lexical[lexical > 0]
    assert np.allclose(cands.scores["zlc"], (lexical[cands.ids] - shared.mean()) / shared.std())
    assert np.allclose(cands.scores["zl"], (lexical[cands.ids] - lexical.mean()) / lexical.std())
    alone = rerank.Candidates.of(lexical, None, sure=1.0, depth=2)
    assert alone.ids.tolist() == [1, 2] and "zs" not in alone.scores


def test_fit_weighs_up_the_feature_that_marks_the_wanted_candidate() -> None:
    rng = np.random.default_rng(0)
    xs, ys = [], []
    for _ in range(60):
        x = rng.normal(size=(8, 2))
        k = int(rng.integers(8))
        x[k, 0] += 3.0  # feature 0 points at the wanted candidate; feature 1 is noise
        y = np.zeros(8)
        y[k] = 1.0
        xs.append(x)
        ys.append(y)
    model = fit.fit(xs, ys, ("a", "b"))
    assert model.weights[0] > 1.0 > abs(model.weights[1])
    right = np.mean(
        [int(np.argmax(model.score(x))) == int(np.argmax(y)) for x, y in zip(xs, ys, strict=True)]
    )
    assert right > 0.8


def test_reranking_reorders_but_never_changes_what_bm25_declines(build_engine) -> None:
    """Without the vectors every decline check judges the fused scores' best, as before re-ranking
    (with them too, unless Tuning.gate_on_shown)."""
    engine = build_engine(KNOWLEDGE)
    assert engine.semantic is None
    questions = [
        "도커 설치 방법",
        "우분투에 도커 설치",
        "도커와 EC2 차이",
        "도커 단점은?",
        "도커가 뭐야?",
        "안녕하세요 오늘 날씨 좋네요",
        "리액트 useEffect 언제 실행돼?",
        "서버",
        "how do I install docker on ubuntu",
    ]
    reranked = {q: engine.ask(q, 3) for q in questions}
    engine.tuning = replace(engine.tuning, rerank=False)
    fused = {q: engine.ask(q, 3) for q in questions}
    for q in questions:
        assert reranked[q].answered == fused[q].answered, q
        assert reranked[q].confidence == pytest.approx(fused[q].confidence), q
    # the mission's questions keep their sections
    assert reranked["우분투에 도커 설치"].results[0].section.title == "설치 방법"
    assert reranked["how do I install docker on ubuntu"].results[0].section.title == "설치 방법"
    assert "차이" in reranked["도커와 EC2 차이"].results[0].section.title
    assert reranked["도커 단점은?"].results[0].section.title == "단점"


def test_without_weights_the_engine_ranks_by_fused_scores(build_engine, monkeypatch) -> None:
    engine = build_engine(KNOWLEDGE)
    monkeypatch.setattr(rerank, "models", lambda path=rerank.WEIGHTS: None)
    plain = build_engine(KNOWLEDGE, Tuning(rerank=False))
    for q in ("도커 설치 방법", "도커 장점", "EC2"):
        a, b = engine.ask(q, 5), plain.ask(q, 5)
        assert [r.section.title for r in a.results] == [r.section.title for r in b.results]
        assert [r.score for r in a.results] == pytest.approx([r.score for r in b.results])


def test_the_weights_ship_with_the_package() -> None:
    """A non-editable install (the image's) carries rerank.json: pyproject's package data names it."""
    import fnmatch
    import tomllib

    root = Path(__file__).resolve().parents[1]
    globs = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["bot"]
    inside = rerank.WEIGHTS.relative_to(root / "bot").as_posix()
    assert any(fnmatch.fnmatch(inside, g) for g in globs)


def test_leave_one_out_groups_by_set_or_by_notes_collection() -> None:
    """By set the corpora's sets go out one at a time (the seed's together); by collection every corpora
    set goes out at once, and an extra collection (fit --extra) is always its own group."""

    def ex(label: str) -> fit.Example:
        z = np.zeros(1)
        return fit.Example(label, 0.0, {}, {}, z, z, z, z, (False, False))

    data = [ex("seed"), ex("dev2 seed"), ex("corpora"), ex("dev3 corpora"), ex("third")]
    by_set = fit.groups_of(data, by_collection=False)
    assert by_set["seed"] == by_set["dev2 seed"] and by_set["corpora"] != by_set["dev3 corpora"]
    by_notes = fit.groups_of(data, by_collection=True)
    assert by_notes["corpora"] == by_notes["dev3 corpora"] == "corpora"
    assert by_set["third"] == by_notes["third"] == "third"
