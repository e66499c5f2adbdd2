"""SparseBM25 (bot/index/bm25.py) returns rank_bm25's get_scores bit for bit, for every variant."""

from __future__ import annotations

import random

import numpy as np
import pytest
from rank_bm25 import BM25L, BM25Okapi, BM25Plus

from bot.index.bags import Bags, Terms, first_seen
from bot.index.bm25 import BM25Params, SparseBM25

WORDS = [f"w{i}" for i in range(40)] + ["도커", "설치", "차이", "ec2", "docker.sock"]


def corpus(rng: random.Random, n_docs: int, empty_docs: bool = True) -> list[list[str]]:
    vocab = rng.sample(WORDS, k=rng.randint(3, len(WORDS)))
    weights = [1 / (i + 1) for i in range(len(vocab))]  # Zipf-like: some words in almost every doc
    docs = []
    for _ in range(n_docs):
        lo = 0 if empty_docs else 1
        docs.append(rng.choices(vocab, weights=weights, k=rng.randint(lo, 30)))
    if not any(docs):
        docs[0] = [vocab[0]]
    return docs


def queries(rng: random.Random, docs: list[list[str]]) -> list[list[str]]:
    seen = sorted({w for d in docs for w in d})
    out = [[], ["unknown-term"], [seen[0], seen[0]], seen[:]]  # empty, unknown, repeated, everything
    for _ in range(15):
        q = rng.choices(seen, k=rng.randint(1, 6))
        if rng.random() < 0.4:
            q.insert(rng.randrange(len(q) + 1), rng.choice(["없는말", "nope", "w999"]))
        out.append(q)
    return out


def reference(variant: str, docs: list[list[str]], p: BM25Params):
    if variant == "okapi":
        return BM25Okapi(docs, k1=p.k1, b=p.b, epsilon=p.epsilon)
    if variant == "plus":
        return BM25Plus(docs, k1=p.k1, b=p.b, delta=p.d)
    return BM25L(docs, k1=p.k1, b=p.b, delta=p.d)


SIZES = [1, 2, 3, 4, 7, 25, 120]
PARAMS = [
    {},
    {"k1": 1.2, "b": 0.5, "epsilon": 0.5, "delta": 0.7},
    {"k1": 0.9, "b": 0.0},
    {"k1": 2.0, "b": 1.0},
]


@pytest.mark.parametrize("variant", ["okapi", "plus", "l"])
@pytest.mark.parametrize("n_docs", SIZES)
@pytest.mark.parametrize("pi", range(len(PARAMS)))
def test_scores_equal_rank_bm25_exactly(variant: str, n_docs: int, pi: int) -> None:
    rng = random.Random(f"{variant}-{n_docs}-{pi}")
    extra = PARAMS[pi]
    params = BM25Params(variant=variant, **extra)  # type: ignore[arg-type]
    # b = 1 with an empty document is 0/0 in rank_bm25 itself (NaN); keep documents non-empty there
    for trial in range(3):
        docs = corpus(rng, n_docs, empty_docs=params.b < 1)
        ours = SparseBM25(docs, params)
        ref = reference(variant, docs, params)
        assert ours.avgdl == ref.avgdl
        for q in queries(rng, docs):
            got, want = ours.get_scores(q), ref.get_scores(q)
            assert got.shape == want.shape == (n_docs,)
            assert np.array_equal(got, want), (trial, q, got, want)


def test_negative_idf_floor_matches_rank_bm25() -> None:
    # every word in every document: all IDFs negative, floored to epsilon * mean (itself negative)
    docs = [["도커", "설치"], ["도커", "설치", "도커"], ["설치", "도커"]]
    ours, ref = SparseBM25(docs), BM25Okapi(docs)
    assert [float(ours.idf[ours.vocab[w]]) for w in ("도커", "설치")] == [ref.idf["도커"], ref.idf["설치"]]
    assert np.array_equal(ours.get_scores(["도커", "설치"]), ref.get_scores(["도커", "설치"]))


def test_rebuilt_from_arrays_scores_the_same() -> None:
    rng = random.Random(7)
    docs = corpus(rng, 50)
    for variant in ("okapi", "plus", "l"):
        params = BM25Params(variant=variant)  # type: ignore[arg-type]
        a = SparseBM25(docs, params)
        b = SparseBM25.from_arrays(params, a.terms, a.indptr, a.docs, a.tf, a.lengths, a.idf)
        for q in queries(rng, docs):
            assert np.array_equal(a.get_scores(q), b.get_scores(q))


@pytest.mark.parametrize("variant", ["okapi", "plus", "l"])
def test_built_from_parts_equals_built_at_once(variant: str) -> None:
    """What a one-file reindex does: files counted separately (some long ago, with terms interned in
    another order), concatenated, the corpus's term order given from the files' own orders."""
    rng = random.Random(f"parts-{variant}")
    params = BM25Params(variant=variant)  # type: ignore[arg-type]
    for _ in range(5):
        files = [corpus(rng, rng.randint(1, 6)) for _ in range(rng.randint(1, 6))]
        whole = SparseBM25([d for f in files for d in f], params)
        terms = Terms()
        counted = {i: Bags.count(files[i], terms) for i in rng.sample(range(len(files)), len(files))}
        bags = Bags.concat([counted[i] for i in range(len(files))])
        order = first_seen(np.concatenate([first_seen(counted[i].ids) for i in range(len(files))]))
        parts = SparseBM25.from_bags(bags, terms, params, order)
        assert parts.avgdl == whole.avgdl
        assert {w: parts.idf[i] for w, i in parts.vocab.items()} == {
            w: whole.idf[i] for w, i in whole.vocab.items()
        }
        for q in queries(rng, [d for f in files for d in f]):
            assert np.array_equal(parts.get_scores(q), whole.get_scores(q))


@pytest.mark.parametrize("variant", ["okapi", "plus", "l"])
def test_spliced_equals_built_at_once(variant: str) -> None:
    """What a reindex does to the index in hand: some files dropped, some replaced, some added (with new
    terms interned after the old index was built), the rest kept; equal to a build of the new corpus."""
    rng = random.Random(f"splice-{variant}")
    params = BM25Params(variant=variant)  # type: ignore[arg-type]
    for _ in range(20):
        files = [corpus(rng, rng.randint(1, 5)) for _ in range(rng.randint(1, 7))]
        terms = Terms()
        counted = [Bags.count(f, terms) for f in files]
        old = SparseBM25.from_bags(Bags.concat(counted), terms, params)
        new_files, remap, added, at = [], [], [], []
        for f in files:
            fate = rng.choice(["keep", "keep", "drop", "replace"])
            if fate == "drop":
                remap += [-1] * len(f)
                continue
            if fate == "keep":
                remap += range(sum(map(len, new_files)), sum(map(len, new_files)) + len(f))
                new_files.append(f)
                continue
            remap += [-1] * len(f)
            f = [*corpus(rng, rng.randint(1, 5)), ["brand-new", rng.choice(WORDS)]]
            at += range(sum(map(len, new_files)), sum(map(len, new_files)) + len(f))
            added.append(Bags.count(f, terms))
            new_files.append(f)
        if not new_files:
            continue
        docs = [d for f in new_files for d in f]
        order = first_seen(Bags.count(docs, Terms(terms.words)).ids)  # the new corpus's term order
        spliced = SparseBM25.splice(
            old,
            np.array(remap, dtype=np.int64),
            Bags.concat(added),
            np.array(at, dtype=np.int64),
            order,
            params,
        )
        whole = SparseBM25.fit(Bags.count(docs, Terms(terms.words)), Terms(terms.words), params)
        assert spliced.params == whole.params  # the Okapi -> Plus fallback too
        assert spliced.avgdl == whole.avgdl
        for w, i in whole.vocab.items():
            j = spliced.vocab[w]
            assert spliced.idf[j] == whole.idf[i], w
            assert np.array_equal(spliced.postings(j), whole.postings(i))
        assert set(spliced.vocab) == set(whole.vocab)
        for q in queries(rng, docs):
            assert np.array_equal(spliced.get_scores(q), whole.get_scores(q))


def test_a_splice_that_numbers_documents_twice_is_refused() -> None:
    terms = Terms()
    old = SparseBM25.from_bags(Bags.count([["a"], ["b"]], terms), terms)
    added = Bags.count([["c"]], terms)
    order = np.array([terms.index["a"], terms.index["b"], terms.index["c"]], dtype=np.int32)
    with pytest.raises(ValueError, match="each once"):
        SparseBM25.splice(old, np.array([0, 1]), added, np.array([1]), order)


def test_a_wrong_term_order_is_refused() -> None:
    terms = Terms()
    bags = Bags.count([["a", "b"], ["b", "c"]], terms)
    with pytest.raises(ValueError, match="term order"):
        SparseBM25.from_bags(bags, terms, order=np.array([0, 1], dtype=np.int32))


def test_terms_no_document_holds_score_nothing() -> None:
    terms = Terms(["gone", "also-gone"])  # interned by an earlier version of a file
    bm = SparseBM25.from_bags(Bags.count([["a", "b"], ["b", "c"]], terms), terms)
    assert "gone" not in bm.vocab and bm.idf[terms.index["gone"]] == 0
    assert np.array_equal(
        bm.get_scores(["gone", "a"]), BM25Okapi([["a", "b"], ["b", "c"]]).get_scores(["gone", "a"])
    )


def test_term_ids_skip_unknown_terms() -> None:
    bm = SparseBM25([["a", "b"], ["b", "c"]])
    assert bm.term_ids(["c", "zzz", "a"]) == [bm.vocab["c"], bm.vocab["a"]]
