"""`python -m bot.evaluation.fit`: fit the re-ranking models (answers/rerank.py) on the development sets.

Only development sets (their misses may be read and tuned on); the held-out sets (heldout2-6,
passages) are never read here. Each question's candidates are described exactly as the engine
describes them when it answers; the model is a softmax over those candidates (the wanted sections share
the target), L2-regularised, fitted by L-BFGS. Printed: hit@1 among the candidates, the fused scores
beside the models, each set's figure from models fitted without that set's group (leave-one-group-out).
Writes answers/rerank.json unless --dry-run.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

from bot.answers import rerank
from bot.answers.engine import _WHATIS, Engine, Tuning
from bot.evaluation.data import DEFAULT_CORPORA, Question, load_question_file, load_questions
from bot.evaluation.run import RUNS, _hit, knowledge_engine, with_semantic

# (label in RUNS, leave-one-out group): the seed's sets share one note, so they go out together.
DEV = (
    ("seed", "seed"),
    ("heldout seed", "seed"),
    ("passages_dev seed", "seed"),
    ("dev2 seed", "seed"),
    ("corpora", "corpora"),
    ("heldout corpora", "heldout corpora"),
    ("passages_dev corpora", "passages_dev corpora"),
    ("dev2 corpora", "dev2 corpora"),
    ("dev3 corpora", "dev3 corpora"),
    ("dev4 seed", "seed"),
    ("dev4 corpora", "dev4 corpora"),
)
L2 = 0.01
# The target weight of an ancestor that shows the wanted section (a short note's top section shows the
# whole note): fitted on loose hits alone, the note's top would answer everything; on strict hits alone,
# a parent that holds the answer counts as wrong as an unrelated section.
# Dev sets, left out by group: 0 / 0.1 / 0.3 / 0.5 gave strict hit@1 0.785 / 0.796 / 0.778 / 0.767 and
# loose 0.822 / 0.851 / 0.851 / 0.864 (the fused scores: 0.767, 0.832).
LOOSE = 0.1


@dataclass
class Example:
    label: str
    sure: float
    lexical: dict[str, np.ndarray]  # per feature, its value for each candidate (BM25's)
    fused: dict[str, np.ndarray]  # ... (BM25's and the vectors')
    # Per candidate: the wanted section itself (strict), or an ancestor that shows it (loose).
    strict_lexical: np.ndarray
    loose_lexical: np.ndarray
    strict_fused: np.ndarray
    loose_fused: np.ndarray
    baseline: tuple[bool, bool]  # the fused scores' best is right (strictly, loosely)


def examples(engine: Engine, label: str, questions: Sequence[Question]) -> list[Example]:
    out = []
    secs = engine.index.sections
    for q in questions:
        if q.offtopic:
            continue
        tokens, _ = engine.question_terms(q.q)
        if not tokens:
            continue
        lexical = engine.scores(q.q, tokens)
        allowed = lexical > 0
        if not allowed.any():
            continue
        sure = engine._confidence(tokens, int(np.argmax(lexical)))
        sem = engine.semantic_scores(q.q)
        whatis = bool(_WHATIS.search(q.q))
        rows = []
        for s in (None, sem):
            cands = rerank.Candidates.of(lexical, s, sure)
            feats = {**cands.scores, **engine.section_features(tokens, cands.ids, whatis)}
            ids = cands.ids.tolist()
            strict = np.asarray([_hit(q, secs[i], True) for i in ids])
            loose = np.asarray([_hit(q, secs[i], False) for i in ids])
            rows.append((feats, strict, loose))
        fused = engine.fused(lexical, sem, engine.semantic_weight(sure))
        best = int(np.argmax(np.where(allowed, fused, -np.inf)))
        (lf, ls, ll), (ff, fs, fl) = rows
        baseline = (_hit(q, secs[best], True), _hit(q, secs[best], False))
        out.append(Example(label, sure, lf, ff, ls, ll, fs, fl, baseline))
    return out


def fit(xs: Sequence[np.ndarray], ys: Sequence[np.ndarray], names: tuple[str, ...]) -> rerank.Linear:
    pairs = [(x, y / y.sum()) for x, y in zip(xs, ys, strict=True) if y.sum() > 0]
    stacked = np.vstack([x for x, _ in pairs])
    mean, scale = stacked.mean(0), stacked.std(0)
    scale[scale == 0] = 1.0
    pairs = [((x - mean) / scale, t) for x, t in pairs]

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        total, grad = 0.5 * L2 * float(w @ w) * len(pairs), L2 * w * len(pairs)
        for x, t in pairs:
            s = x @ w
            top = s.max()
            p = np.exp(s - top)
            z = p.sum()
            total += top + np.log(z) - float(t @ s)
            grad = grad + x.T @ (p / z - t)
        return total / len(pairs), grad / len(pairs)

    w = minimize(loss, np.zeros(len(names)), jac=True, method="L-BFGS-B").x
    return rerank.Linear(names, mean, scale, w)


def target(strict: np.ndarray, loose: np.ndarray, share: float) -> np.ndarray:
    return np.maximum(strict.astype(np.float64), share * loose)


def fit_models(
    data: Sequence[Example],
    lexical: tuple[str, ...] = rerank.LEXICAL,
    fused: tuple[str, ...] = rerank.FUSED,
    share: float = LOOSE,
) -> rerank.Models:
    return rerank.Models(
        fit(
            [rerank.matrix(lexical, e.lexical) for e in data],
            [target(e.strict_lexical, e.loose_lexical, share) for e in data],
            lexical,
        ),
        fit(
            [rerank.matrix(fused, e.fused) for e in data],
            [target(e.strict_fused, e.loose_fused, share) for e in data],
            fused,
        ),
    )


def right(models: rerank.Models, e: Example, skip: float) -> tuple[bool, bool]:
    """Does the model the engine would use put a right candidate first (strictly, loosely)?"""
    fused = e.sure < skip
    m = models.fused if fused else models.lexical
    k = int(np.argmax(m.score(rerank.matrix(m.names, e.fused if fused else e.lexical))))
    if fused:
        return bool(e.strict_fused[k]), bool(e.loose_fused[k])
    return bool(e.strict_lexical[k]), bool(e.loose_lexical[k])


def collect(corpora: Path, tuning: Tuning, extras: Sequence[Path] = ()) -> list[Example] | None:
    """Every development question's candidates, over the seed and the corpora, and over each extra
    collection (a folder with corpora/ and questions.jsonl: another group's notes, e.g. one fetched
    from GitHub, never part of the project) with the seed beside it. None: no vectors."""
    runs = {label: (file, kind, subset) for label, file, kind, subset in RUNS}
    jobs = [(label, *runs[label]) for label, _ in DEV]
    jobs += [(extra.name, extra / "questions.jsonl", extra / "corpora", "") for extra in extras]
    engines: dict[str | Path, Engine] = {}
    data: list[Example] = []
    for label, file, kind, subset in jobs:
        if kind not in engines:
            shared = next(iter(engines.values())).analyzer if engines else None
            engines[kind] = knowledge_engine(kind, corpora, tuning, shared)
            if not with_semantic(engines[kind], quiet=True):
                return None
        found = load_question_file(file) if isinstance(file, Path) else load_questions(file)
        questions = [q for q in found if not subset or q.folder == subset]
        data.extend(examples(engines[kind], label, questions))
    return data


def groups_of(data: Sequence[Example], by_collection: bool) -> dict[str, str]:
    """Each set's leave-one-out group: its own (the seed's sets together), or its notes collection
    (every corpora set together: what a model fitted on other notes does on these)."""
    groups = {label: group for label, group in DEV}
    if by_collection:
        groups = {label: "seed" if group == "seed" else "corpora" for label, group in groups.items()}
    for e in data:
        groups.setdefault(e.label, e.label)  # an extra collection is its own group
    return groups


def report(
    data: Sequence[Example], skip: float, by_collection: bool = False, **knobs
) -> tuple[rerank.Models, dict]:
    """Fit on everything, and per group without it; print and return the figures."""
    groups = groups_of(data, by_collection)
    held: dict[str, list[tuple[bool, bool]]] = {}
    for group in dict.fromkeys(groups.values()):
        models = fit_models([e for e in data if groups[e.label] != group], **knobs)
        for e in data:
            if groups[e.label] == group:
                held.setdefault(e.label, []).append(right(models, e, skip))
    models = fit_models(data, **knobs)
    print(f"{'set':<22} {'n':>4}   strict: {'fused':>6} {'cv':>6} {'fit':>6}   loose: {'fused':>6} {'cv':>6}")
    rows = {}
    for label in dict.fromkeys(e.label for e in data):
        mine = [e for e in data if e.label == label]
        base = np.mean([e.baseline for e in mine], axis=0)
        fitted = np.mean([right(models, e, skip) for e in mine], axis=0)
        cv = np.mean(held[label], axis=0)
        rows[label] = {"n": len(mine), "fused": base.round(3).tolist(), "cv": cv.round(3).tolist()}
        print(
            f"{label:<22} {len(mine):4d}   strict: {base[0]:6.3f} {cv[0]:6.3f} {fitted[0]:6.3f}"
            f"   loose: {base[1]:6.3f} {cv[1]:6.3f}"
        )
    means = np.mean([[*r["fused"], *r["cv"]] for r in rows.values()], axis=0)
    print(
        f"{'mean of the sets':<29} {means[0]:6.3f} {means[2]:6.3f} {'':6}"
        f"   loose: {means[1]:6.3f} {means[3]:6.3f}"
    )
    for name, m in (("lexical", models.lexical), ("fused", models.fused)):
        print(f"{name}: " + " ".join(f"{n}={w:+.2f}" for n, w in zip(m.names, m.weights, strict=True)))
    return models, rows


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bot.evaluation.fit", description=__doc__.split("\n")[0])
    ap.add_argument("--corpora", default=str(DEFAULT_CORPORA))
    ap.add_argument("--dry-run", action="store_true", help="print the figures, do not write rerank.json")
    ap.add_argument("--out", default=str(rerank.WEIGHTS))
    ap.add_argument(
        "--extra",
        action="append",
        default=[],
        metavar="DIR",
        help="another notes collection to fit on too: DIR/corpora (its repo folders) and DIR/questions.jsonl",
    )
    ap.add_argument(
        "--by-collection",
        action="store_true",
        help="leave one notes collection out at a time (seed, corpora, each extra), not one set",
    )
    args = ap.parse_args(argv)
    corpora = Path(args.corpora)
    if not corpora.is_dir():
        print(f"{corpora} not found: the corpora's dev sets are needed to fit", file=sys.stderr)
        return 2
    tuning = Tuning(rerank=False)
    extras = [Path(x) for x in args.extra]
    for extra in extras:
        if not (extra / "corpora").is_dir() or not (extra / "questions.jsonl").is_file():
            print(f"{extra}: needs corpora/ and questions.jsonl", file=sys.stderr)
            return 2
    data = collect(corpora, tuning, extras)
    if data is None:
        print("the semantic channel is needed to fit the fused model", file=sys.stderr)
        return 2
    models, rows = report(data, tuning.semantic_skip, args.by_collection)
    if not args.dry_run:
        out = {
            "about": "answers/rerank.py's models, by python -m bot.evaluation.fit (dev sets only)",
            "fitted_on": [label for label, _ in DEV] + [x.name for x in extras],
            "l2": L2,
            "loose": LOOSE,
            "hit@1 among candidates (strict, loose)": rows,
            "lexical": models.lexical.to_json(),
            "fused": models.fused.to_json(),
        }
        Path(args.out).write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
