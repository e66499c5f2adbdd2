"""`python -m bot bench` (bot/evaluation/bench.py): the synthetic notes, the size list, and a smoke run.

The smoke run measures the seed note and a tiny synthetic corpus end to end (Kiwi, subprocess cold
starts, the naive peer): ~40-60 s on two cores, hence slow. It checks that the table has its rows and
that every target gets a verdict, not the figures themselves (these machines are noisy).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from bot.config import parse_config
from bot.errors import BotError
from bot.evaluation import bench
from bot.notes.markdown import parse_sections


def _sections(folder: Path, files: list[str]) -> list:
    return [s for f in files for s in parse_sections((folder / f).read_text(encoding="utf-8"), f)]


def test_synthetic_notes_are_deterministic_markdown(tmp_path: Path) -> None:
    a = bench.write_synthetic(tmp_path / "a", 300)
    b = bench.write_synthetic(tmp_path / "b", 300)
    assert a == b and len(a) > 5
    assert all((tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes() for f in a)
    secs = _sections(tmp_path / "a", a)
    assert 270 <= len(secs) <= 300  # about the asked number of headings (a bare heading folds away)
    text = "\n".join((tmp_path / "a" / f).read_text(encoding="utf-8") for f in a)
    assert "```bash" in text and "\n## " in text and "\n### " in text
    hangul = sum("가" <= c <= "힣" for c in text)
    assert hangul > len(text) * 0.3  # Korean-ish
    chars = sum(len(s.title) + len(s.body) for s in secs) / len(secs)
    assert 60 <= chars <= 300  # ~50 Kiwi tokens a section


def test_synthetic_size_changes_the_notes(tmp_path: Path) -> None:
    small = bench.write_synthetic(tmp_path / "s", 100)
    big = bench.write_synthetic(tmp_path / "b", 1000)
    assert len(big) > len(small)
    assert len(_sections(tmp_path / "b", big)) > 900


def test_parse_sizes() -> None:
    assert bench.parse_sizes("seed, corpora,10000,100k,2_000") == [
        "seed",
        "corpora",
        "10000",
        "100000",
        "2000",
    ]
    for bad in ("", "seed,abc", "0", "-5"):
        with pytest.raises(BotError):
            bench.parse_sizes(bad)


def test_verdicts_and_render_without_running() -> None:
    r = bench.Result("corpora", "corpora", sections=2000, files=200, chars=10**6)
    r.query_p50_ms, r.query_p99_ms, r.peer_p50_ms, r.peer_p99_ms = 0.3, 2.0, 5.0, 20.0
    r.full_s, r.peer_tok_s, r.incr_s = 8.0, 20.0, 0.5
    r.cold_s, r.kiwi_cold_s, r.rss_mb = 5.0, 4.5, 650.0
    big = bench.Result("100000", "synthetic 100k", sections=100_000)
    big.query_p50_ms, big.full_s, big.peer_tok_s, big.incr_s = 6.0, 300.0, 400.0, 9.0
    big.cold_s, big.kiwi_cold_s, big.rss_mb = 9.0, 4.5, 1500.0
    skipped = bench.Result("corpora", "corpora", skipped="/nowhere not found")
    got = {t: v for v, t, _ in bench.verdicts([r, big, skipped])}
    assert got["[corpora] query p50 <= 1 ms at ~2k sections"] == "PASS"
    assert got["[corpora] query p50 <= 0.2 x the naive peer's"] == "PASS"
    assert got["[corpora] peak RSS <= 700 MB serving"] == "PASS"
    assert got["[corpora] full reindex <= 0.5 x the peer's tokenizing"] == "PASS"
    assert got["[synthetic 100k] query p50 <= 5 ms"] == "FAIL"
    assert got["[synthetic 100k] full reindex <= 0.5 x the peer's tokenizing"] == "FAIL"
    assert got["[synthetic 100k] one changed file <= 1.5 s beyond start-up"] == "FAIL"
    assert got["[synthetic 100k] cold start <= Kiwi's own + 1.5 s"] == "FAIL"
    estimated = bench.Result("100000", "synthetic 100k", sections=100_000, peer_tok_note="timed on a sample")
    for estimated.full_s, estimated.peer_tok_s in ((100.0, 400.0), (300.0, 400.0)):  # no verdict either way
        got = {t: v for v, t, _ in bench.verdicts([estimated])}
        assert got["[synthetic 100k] full reindex / the peer's tokenizing"] == "info"
        assert "[synthetic 100k] full reindex <= 0.5 x the peer's tokenizing" not in got
    text = bench.render([r, big, skipped], cold_runs=3)
    assert "corpora: skipped, /nowhere not found" in text
    assert "FAIL  [synthetic 100k] query p50 <= 5 ms" in text
    assert bench.to_json([r, big])["targets"]


@pytest.mark.slow
def test_bench_smoke_on_the_seed_and_a_tiny_synthetic_corpus(capsys: pytest.CaptureFixture[str]) -> None:
    args = argparse.Namespace(
        sizes="seed,corpora,60", corpora="/nonexistent/corpora", cold_runs=1, json=False
    )
    assert bench.main(args, parse_config({})) == 0
    out = capsys.readouterr().out
    header = next(line for line in out.splitlines() if "seed" in line and "synthetic 60" in line)
    assert header.index("seed") < header.index("synthetic 60")
    for row in (
        "sections / files",
        "  query p50 ms",
        "  query p99 ms",
        "  full reindex s",
        "    tokenize (beside parsing) s",
        "  one-file reindex s (answering)",
        "    saved, in the background, by s",
        "  cold start s (median of 1)",
        "  Kiwi's own cold start s (median)",
        "  peak RSS serving MB",
        "  index on disk MB (metadata part)",
        "naive peer",
        "  tokenizing s",
        "ratios ours / peer",
        "  full reindex / peer tokenizing",
    ):
        assert any(line.startswith(row) for line in out.splitlines()), row
    assert "corpora: skipped, /nonexistent/corpora not found" in out
    assert "targets:" in out
    assert "[seed] cold start <= Kiwi's own + 1.5 s" in out
    assert "[synthetic 60] one changed file <= 1.5 s beyond start-up" in out
    seed_row = next(line for line in out.splitlines() if line.startswith("sections / files"))
    assert "/ 1" in seed_row  # the seed is one note file


def test_stage_timers_find_the_store_stages_and_count_each_second_once(
    tmp_path: Path, make_knowledge, analyzer
) -> None:
    """The wrapped names still exist in bot.index.store (a rename would silently drop a stage), and
    stage times are exclusive: parsing pulled by the tokenizing stream is not also tokenizing time."""
    import time

    from bot.answers.engine import Tuning
    from bot.answers.store import EngineStore as IndexStore

    notes = {f"n{i}.md": f"# 도커 {i}\n## 설치\n우분투에 도커를 설치한다 {i}.\n" * 20 for i in range(8)}
    folder = make_knowledge(tmp_path / "notes", notes, seed=True)
    store = IndexStore(folder, tmp_path / "cache")
    with bench.stage_timers() as parts:
        t = time.perf_counter()
        store.rebuild(Tuning(), None, full=True, analyzer=analyzer)
        total = time.perf_counter() - t
    assert {"read", "parse", "tokenize", "index", "save"} <= set(parts)
    assert all(v > 0 for v in parts.values())
    assert sum(parts.values()) <= total
    from bot.index import store as store_module
    from bot.tokens.sections import tokenize_notes

    assert store_module.parse_sections is parse_sections  # unwrapped afterwards
    assert store_module.tokenize_notes is tokenize_notes
