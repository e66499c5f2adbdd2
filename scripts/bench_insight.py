"""Measure issue 18's targets on this machine (a benchmark to run by hand, not a test):

1. what logging a question costs the answer path (p50, µs): AnswerService.ask with and without the
   question log's hook, and QuestionLog.record_answer alone;
2. `report` over 10,000 logged questions (s);
3. pull + reindex of a one-note change at the corpora's size (seed + ../shared/corpora as one Git
   repository): the whole, git's own part, and the rest — in the running bot (warm service) and as
   `python -m bot reindex --pull` (a fresh process, which also starts Kiwi for the changed note).

    python scripts/bench_insight.py [--corpora DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.answers.pull import pull_and_reindex  # noqa: E402
from bot.answers.service import AnswerService  # noqa: E402
from bot.config import parse_config  # noqa: E402
from bot.insight.log import Origin, QuestionLog, asked_from  # noqa: E402
from bot.insight.report import build_report  # noqa: E402
from bot.notes.git import pull  # noqa: E402

QUESTIONS = ["도커와 EC2 차이", "우분투에 도커 설치", "도커 단점은?", "오늘 점심 뭐 먹지", "도커 장점"]


def p50_us(samples: list[float]) -> float:
    return statistics.median(samples) * 1e6


def git(cwd: Path, *args: str) -> None:
    env = {"GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@x.invalid", "GIT_COMMITTER_NAME": "b",
           "GIT_COMMITTER_EMAIL": "b@x.invalid", "PATH": "/usr/bin:/bin"}  # fmt: skip
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


def bench_hook(tmp: Path) -> None:
    config = parse_config({"knowledge": {"dir": str(ROOT / "knowledge"), "cache_dir": str(tmp / "c")}}, ROOT)
    service = AnswerService.from_config(config)
    qlog = QuestionLog(tmp / "q.sqlite3").start()
    runs = {"without the log": [], "with the log": []}
    for _ in range(3):
        for label in runs:
            service.on_answer = qlog.record_answer if label == "with the log" else None
            for _ in range(400):
                for q in QUESTIONS:
                    with asked_from(Origin("slash", 1, 2, 3)):
                        t = time.perf_counter()
                        service.ask(q)
                        runs[label].append(time.perf_counter() - t)
    for label, s in runs.items():
        print(f"ask p50 {label}: {p50_us(s):.1f} µs")
    answer = service.ask(QUESTIONS[0])
    alone = []
    for _ in range(20_000):
        t = time.perf_counter()
        qlog.record_answer(answer, 1.0)
        alone.append(time.perf_counter() - t)
    alone.sort()
    print(
        f"record_answer alone: p50 {p50_us(alone):.1f} µs, p99 {alone[int(len(alone) * 0.99)] * 1e6:.1f} µs"
    )
    qlog.flush(60)
    qlog.close()


def bench_report(tmp: Path) -> None:
    qlog = QuestionLog(tmp / "r.sqlite3").start()
    from bot.answers.types import Answer

    words = [
        "도커",
        "쿠버네티스",
        "nginx",
        "리액트",
        "점심",
        "파이썬",
        "깃",
        "리눅스",
        "aws",
        "ec2",
        "설치",
        "차이",
    ]
    for n in range(10_000):
        q = f"{words[n % 12]} {words[(n * 7) % 12]} {words[(n * 5 + n // 12) % 12]} {n % 1500}"
        qlog.record_answer(Answer(q, False, (), "no"), 1.0)
    qlog.flush(60)
    qlog.close()
    t = time.perf_counter()
    r = build_report(tmp / "r.sqlite3", 7, notes=[f"n{i}.md" for i in range(300)])
    print(f"report over {r['questions']:,} questions (all declined): {time.perf_counter() - t:.3f} s")


def bench_pull(tmp: Path, corpora: Path) -> None:
    src = tmp / "src"
    shutil.copytree(ROOT / "knowledge", src)
    for repo in sorted(p for p in corpora.iterdir() if p.is_dir()):
        shutil.copytree(repo, src / repo.name, ignore=shutil.ignore_patterns(".git"))
    bare = tmp / "remote.git"
    git(tmp, "init", "-q", "--bare", "-b", "main", str(bare))
    git(src, "init", "-q", "-b", "main")
    git(src, "add", "-A")
    git(src, "commit", "-q", "-m", "notes")
    git(src, "push", "-q", str(bare), "main")
    folder = tmp / "knowledge"
    pull(folder, str(bare), "main")
    config = parse_config(
        {"knowledge": {"dir": str(folder), "cache_dir": str(tmp / "cache"), "git_remote": str(bare)}}, tmp
    )
    service = AnswerService.from_config(config)
    print(
        f"corpora as one repository: {service.engine.report.files} files, "
        f"{service.engine.report.sections} sections"
    )
    for k in range(3):
        (src / "docker.md").write_text((src / "docker.md").read_text() + f"\n\n## 추가 {k}\n\n새 내용 {k}\n")
        git(src, "commit", "-qam", f"edit {k}")
        git(src, "push", "-q", str(bare), "main")
        t = time.perf_counter()
        report = asyncio.run(pull_and_reindex(service))
        whole = time.perf_counter() - t
        print(
            f"bot: pull + reindex of one note: {whole:.2f} s (reindex {report.seconds:.2f} s, ok={report.ok})"
        )
    (src / "docker.md").write_text((src / "docker.md").read_text() + "\n\n## 마지막\n\n끝\n")
    git(src, "commit", "-qam", "cli edit")
    git(src, "push", "-q", str(bare), "main")
    cfg = tmp / "config.toml"
    cfg.write_text(f'[knowledge]\ndir = "{folder}"\ncache_dir = "{tmp / "cache"}"\ngit_remote = "{bare}"\n')
    t = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "bot", "--config", str(cfg), "reindex", "--pull"],
                          cwd=ROOT, capture_output=True, text=True)  # fmt: skip
    print(
        f"cli: reindex --pull of one note: {time.perf_counter() - t:.2f} s: "
        f"{done.stdout.strip()} {done.stderr.strip()}"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpora", default=str(ROOT.parent / "shared" / "corpora"))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        bench_hook(tmp)
        bench_report(tmp)
        corpora = Path(args.corpora)
        if corpora.is_dir():
            bench_pull(tmp, corpora)
        else:
            print(f"no corpora at {corpora}: pull benchmark skipped")


if __name__ == "__main__":
    main()
