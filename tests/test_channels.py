"""The index's channels (bot/index/channels.py): each persisted channel round-trips its arrays and
scores as its BM25 view does; the engine sums them as the morpheme BM25 plus the weighted bigram BM25;
the semantic channel scores in the same shape."""

from __future__ import annotations

import numpy as np
import pytest

from bot.index.bm25 import BM25Params
from bot.index.build import CHANNELS, SearchIndex, Tables, count_file
from bot.index.channels import BM25Channel, Query, SectionTokens, Weights
from bot.index.grams import hangul_bigrams
from bot.index.vectors import DIM, Chunks, SemanticIndex
from bot.notes.section import Section
from bot.text import clip


def file_sections(source: str, topic: str) -> tuple[list[Section], list[SectionTokens]]:
    heads = [(1, (f"{topic} 노트",)), (2, (f"{topic} 노트", "설치 방법")), (2, (f"{topic} 노트", "장점"))]
    sections, tokens = [], []
    for k, (level, path) in enumerate(heads):
        body = f"{topic}를 우분투에 설치하는 방법과 장점 {k}"
        text = f"{'#' * level} {path[-1]}\n{body}\n"
        sections.append(Section(source, 1 + 3 * k, path, level, text, body))
        tokens.append(SectionTokens((path[-1],), path[:-1], (topic, "설치", f"w{k}"), (source,)))
    return sections, tokens


def small_index() -> SearchIndex:
    tables, weights, sections, counts = Tables.new(), Weights(), [], []
    for source, topic in (("a.md", "도커"), ("b.md", "쿠버네티스")):
        secs, toks = file_sections(source, topic)
        sections += secs
        counts.append(count_file(secs, toks, weights, tables))
    return SearchIndex.assemble(sections, counts, tables, weights)


def test_the_channels_are_the_morphemes_then_the_bigrams() -> None:
    assert [ch.name for ch in CHANNELS] == ["morph", "grams"]  # the index file's order
    assert all(isinstance(ch, BM25Channel) for ch in CHANNELS)
    index = small_index()
    assert index.bm25 is index.views[0] is index.view("morph") and index.grams is index.view("grams")


@pytest.mark.parametrize("k", range(len(CHANNELS)))
def test_a_channel_reads_back_what_it_saved_and_scores_with_its_view(k: int) -> None:
    channel, view = CHANNELS[k], small_index().views[k]
    meta, arrays = channel.save(view)
    assert set(arrays) == {f"{channel.name}_{a}" for a in channel.array_names}
    loaded = channel.load(meta, arrays, view.n_docs, BM25Params())
    for name in ("indptr", "docs", "tf", "lengths", "idf"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(view, name))
    query = Query("도커 설치 방법", ["도커", "설치"])
    terms = ["도커", "설치"] if channel.name == "morph" else hangul_bigrams(query.text)
    np.testing.assert_array_equal(channel.score(loaded, query), view.get_scores(terms))
    with pytest.raises(ValueError):
        channel.load({**meta, "variant": "bm99"}, arrays, view.n_docs, BM25Params())


def test_fit_and_splice_agree_per_channel() -> None:
    """Replacing file b's rows in the index in hand gives the view a fit over the new rows gives."""
    index = small_index()
    tables, weights = index.tables, index.weights
    secs_a, toks_a = file_sections("a.md", "도커")
    secs_b, toks_b = file_sections("b.md", "레디스")
    counts = [count_file(secs_a, toks_a, weights, tables), count_file(secs_b, toks_b, weights, tables)]
    n = len(secs_a)
    remap = np.r_[np.arange(n), np.full(len(secs_b), -1)].astype(np.int64)
    at = np.arange(n, n + len(secs_b), dtype=np.int64)
    spliced = SearchIndex.splice(index, secs_a + secs_b, remap, counts[1:], at, [c.seen for c in counts])
    fitted = SearchIndex.assemble(secs_a + secs_b, counts, tables, weights)
    q = Query("레디스 설치", ["레디스", "설치"])
    for k, channel in enumerate(CHANNELS):
        np.testing.assert_array_equal(channel.score(spliced.views[k], q), channel.score(fitted.views[k], q))


@pytest.mark.slow
def test_the_engine_sums_the_morphemes_and_the_weighted_bigrams(seed_engine) -> None:
    for q in ("도커와 EC2 차이", "우분투에 도커 설치", "도커단점알려줘", "독커 단점"):
        tokens = seed_engine.question_tokens(q)
        index, t = seed_engine.index, seed_engine.tuning
        want = index.bm25.get_scores(tokens)
        want += t.gram_weight * index.grams.get_scores(hangul_bigrams(clip(q, t.max_question_chars)))
        np.testing.assert_array_equal(seed_engine.scores(q, tokens), want)


class Unit:
    """An embedder whose query vector is the first axis."""

    def query(self, text: str) -> np.ndarray:
        out = np.zeros(DIM, dtype=np.float32)
        out[0] = 1.0
        return out


def test_the_semantic_channel_scores_in_the_same_shape() -> None:
    sections, _ = file_sections("a.md", "도커")
    chunks = Chunks.of(sections)
    matrix = np.zeros((len(chunks.texts), DIM), dtype=np.float32)
    matrix[:, 0] = np.linspace(0.1, 0.9, len(chunks.texts))
    sem = SemanticIndex(chunks, matrix, len(sections), Unit())  # type: ignore[arg-type]
    got = sem.score(Query("도커 설치", ()))
    np.testing.assert_array_equal(got, sem.scores("도커 설치"))
    assert got.shape == (len(sections),)
