"""`python -m bot bench`: query latency, reindex time, cold start and memory, beside the naive peer.

Sizes (``--sizes``, a comma list): ``seed`` (the seed note alone), ``corpora`` (seed + ../shared/corpora,
~2,000 sections; skipped when absent) and numbers (a synthetic corpus of about that many sections,
generated deterministically from a fixed vocabulary in a temporary folder, plus the seed note).

Per size, in one run:
- query latency p50/p99 of a warm engine over a fixed set of ~50 questions, repeated (Engine.ask: the
  question's tokenizing, typo repair, both BM25 views, confidence);
- full reindex (discovery, parsing, tokenizing, index build, saving; Kiwi's construction and lazy
  start-up excluded and shown apart) and a one-file reindex (one note changed, IndexStore.rebuild with
  the old engine);
- cold start: a subprocess ``python -m bot --knowledge DIR ask --json ...`` with the index already
  saved, against a subprocess that only constructs Kiwi() and makes its first tokenize call;
- peak RSS of a subprocess that loads the index, warms up and answers the questions; the npz size;
- the naive peer: Kiwi() defaults tokenizing section by section (title + body, one call each) and
  rank_bm25.BM25Okapi, with its tokenizing time, query p50/p99, and the ratios ours/peer.

These machines are noisy (two cores shared with other work), so the two sides are measured close
together: the peer's tokenizing right after our full reindex (both twice, alternating, best of each, up
to REPEAT_LIMIT sections), questions interleaved one by one, each cold start beside a Kiwi cold start;
the 1-minute load average is printed. Above PEER_FULL_LIMIT sections the peer's tokenizing is timed on
an evenly spaced sample and extrapolated by characters, and its BM25Okapi is built from our own tokens
(title + body) so that its get_scores still runs on every section; the output says so.

Subprocesses import a snapshot of bot/ taken at the start: the saved index is keyed by a hash of the
indexing code, so an edit to the working tree mid-run would otherwise turn a cold start into a rebuild
(a run that still finds the index stale is re-run and noted). Peak RSS is the process's VmHWM: on
Linux a child's getrusage() ru_maxrss includes the parent's RSS at fork time.

`python -m bot.evaluation.bench` runs it standalone (with --json and --cold-runs).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gc
import inspect
import itertools
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bot.config import Config, parse_config
from bot.evaluation.data import DEFAULT_CORPORA, ROOT, SEED_KNOWLEDGE, corpora_folder
from bot.notes.section import Section

PEER_FULL_LIMIT = 20_000  # above this many sections the peer's tokenizing is sampled
PEER_SAMPLE = 2_000  # sections in that sample
REPEAT_LIMIT = 3_000  # up to this many sections, full reindex and peer tokenizing run twice (best)
MIN_RATIO_SECTIONS = 500  # below this the reindex ratio is shown, not judged (fixed costs dominate)
SEED_NOTE = "docker.md"

# Targets from issue 5 (printed beside the figures).
TARGET_P50_SMALL_MS = 1.0  # at ~2k sections (the corpora)
TARGET_P50_LARGE_MS = 5.0  # at 100k sections
TARGET_QUERY_RATIO = 0.2  # ours / peer query time on the corpora
TARGET_REINDEX_RATIO = 0.5  # our full reindex / the peer's tokenizing
TARGET_INCREMENTAL_S = 1.5  # one changed file, beyond start-up
TARGET_COLD_EXTRA_S = 1.5  # cold start beyond Kiwi's own
TARGET_RSS_MB = 700.0  # serving the corpora

# ~50 varied questions: the seed note, the corpora's CS topics, the synthetic vocabulary, typos, spacing,
# full-width and English input, off-topic questions (declined) and a long one.
QUESTIONS: tuple[str, ...] = (
    "도커 설치 방법",
    "우분투에 도커 설치하는 법 알려줘",
    "도커 장점이 뭐야?",
    "도커 단점",
    "도커랑ec2차이",
    "docker.sock 권한 부여",
    "CentOS에서 도커 설치",
    "컨테이너와 가상머신의 차이",
    "도커 이미지 만들기",
    "서버란 무엇인가",
    "참고 도서",
    "프로세스와 스레드의 차이",
    "TCP 3-way handshake 과정",
    "HTTP와 HTTPS 차이",
    "OSI 7계층 설명해줘",
    "데드락 발생 조건",
    "가비지 컬렉션 동작 원리",
    "인덱스를 쓰는 이유",
    "트랜잭션 격리 수준",
    "정규화란?",
    "해시 테이블 충돌 해결 방법",
    "퀵 정렬 시간 복잡도",
    "이진 탐색 트리",
    "REST API란",
    "DNS 동작 과정",
    "로드 밸런싱",
    "세션과 쿠키 차이",
    "JVM 메모리 구조",
    "스프링 DI",
    "싱글톤 패턴",
    "페이지 교체 알고리즘",
    "CPU 스케줄링 종류",
    "뮤텍스와 세마포어",
    "동기와 비동기 차이",
    "git rebase merge 차이",
    "리눅스 파일 권한 chmod",
    "redis 캐시 전략",
    "nginx 리버스 프록시 설정",
    "네트워크 설정 방법",
    "데이터베이스 성능 최적화",
    "클러스터 노드 관리하는 법",
    "도커 설치 방볍",
    "ＥＣ２ 인스턴스",
    "what is docker compose",
    "오늘 날씨 어때?",
    "안녕",
    "점심 뭐 먹지",
    "맛있는 라면 끓이는 법",
    "도커 컨테이너를 처음 써 보는데 우분투 서버에 설치하고 이미지를 받아서 실행한 다음 "
    "재부팅해도 자동으로 실행되게 하려면 어떤 순서로 무엇을 설정해야 하는지 알려 주세요",
    "웹 서버와 WAS의 차이",
)
KIWI_PROBE = "도커 설치 방법을 알려 주세요"


# -- synthetic notes ---------------------------------------------------------------------------------
def _w(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_TECH = _w(
    "도커 컨테이너 이미지 네트워크 서버 클라이언트 프로세스 스레드 메모리 캐시 데이터베이스 인덱스 트랜잭션 "
    "쿼리 패킷 라우터 프로토콜 운영체제 커널 스케줄러 알고리즘 자료구조 배열 스택 큐 해시 트리 그래프 정렬 "
    "탐색 컴파일러 인터프리터 변수 함수 객체 클래스 상속 인터페이스 예외 테스트 배포 빌드 저장소 브랜치 "
    "커밋 로그 설정 환경 보안 인증 암호화 세션 쿠키 토큰 요청 응답 포트 주소 도메인 가상화 클러스터 노드 "
    "볼륨 스토리지 파일 디렉터리 권한 사용자 그룹 패키지 라이브러리 프레임워크 모듈 버전 성능 지연 처리량 "
    "병목 동기화 교착상태 세마포어 뮤텍스 힙 포인터 참조 재귀 반복문 조건문 이벤트 메시지 큐잉 스트림 "
    "버퍼 소켓 방화벽 게이트웨이 로드밸런서 프록시 컨트롤러 서비스 레이어 아키텍처 마이크로서비스 모니터링"
)
_ASCII = _w(
    "Docker Kubernetes Linux Ubuntu HTTP TCP UDP DNS EC2 AWS Git Python Java Spring Redis MySQL nginx API "
    "REST JSON YAML CPU JVM SQL CI/CD docker-compose.yml k8s"
)
_GENERAL = _w(
    "방법 차이 장점 단점 개념 특징 구조 원리 과정 단계 예시 문제 해결 결과 원인 이유 목적 역할 종류 비교 "
    "정리 요약 사례 기능 기본 구현 동작 상태 값 크기 시간 비용 규칙 방식 관리 운영 설계 실습 주의점 기준"
)
_VERBS = _w(
    "사용 설정 관리 실행 처리 저장 전송 비교 분리 연결 구현 확인 제공 지원 변경 생성 삭제 조회 최적화 배포 "
    "설치 검증 분석 수정 기록"
)
_VERB_ENDINGS = (
    "한다",
    "할 수 있다",
    "해야 한다",
    "하면 된다",
    "했다",
    "합니다",
    "하는 것이 좋다",
    "하지 않는다",
)
_ADJ = (
    ("빠르", "빠르다", "빠른"),
    ("느리", "느리다", "느린"),
    ("간단하", "간단하다", "간단한"),
    ("복잡하", "복잡하다", "복잡한"),
    ("중요하", "중요하다", "중요한"),
    ("안전하", "안전하다", "안전한"),
    ("필요하", "필요하다", "필요한"),
    ("가볍", "가볍다", "가벼운"),
)
_ADV = _w("주로 보통 자주 먼저 다시 항상 직접 자동으로 쉽게 함께 따로 특히 반드시 가끔")
_CONNECT = ("그리고", "하지만", "따라서", "예를 들어", "또한", "반면에", "그래서")
_SYLLABLES = (
    "가나다라마바사아자차카타파하고노도로모보소오조초코토포호"
    "구누두루무부수우주추쿠투푸후기니디리미비시이지치키티피히"
)
_COMMANDS = (
    "sudo apt-get install -y {w}",
    "docker run -d --name {w} -p 8080:80 {w}:latest",
    "git clone https://example.com/{w}.git",
    "kubectl get pods -n {w}",
    "sudo systemctl restart {w}",
    "pip install {w}",
    "curl -fsSL http://localhost:8080/{w}",
)


def _batchim(word: str) -> bool:
    c = word[-1]
    return "가" <= c <= "힣" and (ord(c) - 0xAC00) % 28 != 0


def _josa(word: str, with_batchim: str, without: str) -> str:
    return word + (with_batchim if _batchim(word) else without)


class _Words:
    """Zipf-like draws from the fixed vocabulary plus a long tail of made-up nouns."""

    def __init__(self, rng: random.Random, n_made_up: int = 4000) -> None:
        self.rng = rng
        made: dict[str, None] = {}
        while len(made) < n_made_up:
            made["".join(rng.choice(_SYLLABLES) for _ in range(rng.choice((2, 3, 3))))] = None
        self.tail = list(made)
        self.nouns = _TECH + _GENERAL
        self._cum_nouns = list(itertools.accumulate(1.0 / (i + 1) ** 0.8 for i in range(len(self.nouns))))
        self._cum_tail = list(itertools.accumulate(1.0 / (i + 1) for i in range(len(self.tail))))

    def noun(self) -> str:
        r = self.rng.random()
        if r < 0.08:
            return self.rng.choice(_ASCII)
        if r < 0.25:
            return self.rng.choices(self.tail, cum_weights=self._cum_tail)[0]
        return self.rng.choices(self.nouns, cum_weights=self._cum_nouns)[0]

    def sentence(self) -> str:
        rng, n = self.rng, self.noun
        kind = rng.randrange(5)
        lead = rng.choice(_CONNECT) + " " if rng.random() < 0.25 else ""
        if kind == 0:
            s = f"{_josa(n(), '은', '는')} {_josa(n(), '을', '를')} {rng.choice(_ADV)} {rng.choice(_VERBS)}"
            s += rng.choice(_VERB_ENDINGS)
        elif kind == 1:
            a = rng.choice(_ADJ)
            s = f"{_josa(n(), '이', '가')} {a[1]} 그래서 {a[2]} {n()} {_josa(n(), '을', '를')} 만든다"
        elif kind == 2:
            s = f"{_josa(n(), '과', '와')} {n()}의 {_josa(rng.choice(_GENERAL), '은', '는')} "
            s += f"{n()}에 있다"
        elif kind == 3:
            s = f"{n()} {_josa(n(), '을', '를')} {rng.choice(_VERBS)}하려면 "
            s += f"{n()} {_josa(n(), '이', '가')} 필요하다"
        else:
            s = f"{n()}에서 {_josa(n(), '은', '는')} {rng.choice(_ADV)} {rng.choice(_ADJ)[1]}"
        return lead + s + "."

    def heading(self) -> str:
        n = self.noun
        k = self.rng.randrange(3)
        if k == 0:
            return f"{n()} {n()} {self.rng.choice(_GENERAL)}"
        if k == 1:
            return f"{_josa(n(), '과', '와')} {n()}의 {self.rng.choice(_GENERAL)}"
        return f"{n()} {self.rng.choice(_GENERAL)}"

    def body(self) -> str:
        rng = self.rng
        lines = [" ".join(self.sentence() for _ in range(rng.randint(2, 3)))]
        lines += [f"- {self.sentence()}" for _ in range(rng.randint(1, 2))]
        if rng.random() < 0.12:
            w = rng.choice(("nginx", "redis", "docker", "app", "api-server", "worker", "mysql"))
            cmds = [rng.choice(_COMMANDS).format(w=w) for _ in range(rng.randint(2, 3))]
            lines.append("```bash\n# " + self.sentence() + "\n" + "\n".join(cmds) + "\n```")
        return "\n\n".join(lines)


def write_synthetic(folder: Path, sections: int, seed: int = 5) -> list[str]:
    """Markdown notes totalling about `sections` headings under folder (topic/note-NNNNN.md).

    Deterministic for a given (sections, seed). Returns the files written, relative to folder.
    """
    rng = random.Random(seed)
    words = _Words(rng)
    topics = [f"{i:02d}-{words.noun().replace('/', '-')}" for i in range(24)]
    made = 0
    written: list[str] = []
    while made < sections:
        k = min(rng.randint(12, 28), sections - made)
        out = [f"# {words.heading()}", words.sentence()]
        for j in range(1, k):
            level = 2 if j == 1 or rng.random() < 0.55 else 3
            out += ["", f"{'#' * level} {words.heading()}", words.body()]
        rel = f"{topics[len(written) % len(topics)]}/note-{len(written):05d}.md"
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text("\n".join(out) + "\n", encoding="utf-8")
        written.append(rel)
        made += k
    return written


# -- measuring ---------------------------------------------------------------------------------------
@dataclass
class Result:
    size: str
    label: str
    sections: int = 0
    files: int = 0
    chars: int = 0  # characters of every section's title + body
    skipped: str = ""
    startup_s: float = 0.0  # Analyzer(): Kiwi() + user words + the first call (excluded from reindex)
    full_s: float = 0.0
    full_parts: dict[str, float] = field(default_factory=dict)
    incr_s: float = 0.0  # until the new engine answers
    incr_saved_s: float = 0.0  # until its file is saved too (in the background)
    incr_save_s: float = 0.0  # the save itself
    incr_parts: dict[str, float] = field(default_factory=dict)
    incr_retokenized: int = 0
    restart_incr_s: float = 0.0  # the same, the first reindex after a restart (in a new process)
    query_p50_ms: float = 0.0
    query_p99_ms: float = 0.0
    query_max_ms: float = 0.0
    query_slowest: str = ""
    query_n: int = 0
    render_p50_ms: float = 0.0  # per answer: picking its passages and rendering the Discord embed
    render_p99_ms: float = 0.0
    answered: int = 0  # of the distinct questions
    cold_s: float = 0.0  # median of cold_runs
    cold_runs: list[float] = field(default_factory=list)
    kiwi_cold_s: float = 0.0  # Kiwi's own cold start, median, interleaved with ours
    kiwi_cold_runs: list[float] = field(default_factory=list)
    kiwi_rss_mb: float = 0.0
    rss_mb: float = 0.0
    rss_loaded_mb: float = 0.0  # after the index is loaded, before Kiwi's lazy start-up
    index_mb: float = 0.0
    index_meta_mb: float = 0.0  # the JSON metadata member of the npz (files, settings)
    peer_tok_s: float = 0.0
    peer_tok_note: str = ""
    peer_build_s: float = 0.0
    peer_build_note: str = ""
    peer_p50_ms: float = 0.0
    peer_p99_ms: float = 0.0
    peer_n: int = 0
    notes: list[str] = field(default_factory=list)
    rounds: int = 1  # full reindex and peer tokenizing: best of this many, alternating
    load: list[float] = field(default_factory=list)  # 1-minute load average: start, after peer, end
    # The semantic channel (bench_semantic; sizes up to the corpora: embedding 100k sections takes hours)
    sem_note: str = ""  # why it was not measured
    sem_chunks: int = 0
    sem_embed_s: float = 0.0  # every chunk embedded from an empty vector cache
    sem_p50_ms: float = 0.0  # a question answered from both channels (its embedding included)
    sem_p99_ms: float = 0.0
    sem_incr_s: float = 0.0  # one changed file: rebuild + its chunks embedded, answering from both
    sem_vectors_mb: float = 0.0
    sem_rss_mb: float = 0.0  # this process's RSS with both channels in memory


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


_PYTHONPATH: list[str] = [str(ROOT)]  # where subprocesses import `bot` from (run_bench: a snapshot)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (*_PYTHONPATH, env.get("PYTHONPATH", "")) if p)
    return env


def _code_version() -> str | None:
    try:
        from bot.index.keys import code_version
    except ImportError:
        return None
    code_version.cache_clear()
    return code_version()


def snapshot_code(into: Path) -> Path:
    """A copy of the `bot` package for the subprocesses, taken once: the saved index is keyed by a
    hash of the indexing code, and other people editing the working tree mid-run would otherwise make
    every cold start a rebuild. This process's own hash is pinned to the same files."""
    for _ in range(3):
        shutil.rmtree(into, ignore_errors=True)
        shutil.copytree(ROOT / "bot", into / "bot", ignore=shutil.ignore_patterns("__pycache__"))
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(into)], check=False)
        mine = _code_version()
        probe = "from bot.index.keys import code_version\nprint(code_version())"
        env = {**os.environ, "PYTHONPATH": str(into)}
        out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, cwd=into)
        if mine is None or out.stdout.strip() == mine:
            break
    return into


def timed_process(cmd: list[str], cwd: Path) -> tuple[float, str]:
    """(wall seconds from spawn to exit, stdout); raises on failure."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=_env(), stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        proc.wait()
        took = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        text = out.read().decode("utf-8", "replace")
        if proc.returncode != 0:
            tail = err.read().decode("utf-8", "replace").strip().splitlines()[-3:]
            raise RuntimeError(f"{' '.join(cmd[:4])}... exited {proc.returncode}: {' | '.join(tail)}")
    return took, text


# Peak RSS is read from /proc/self/status (VmHWM, this process's own high-water mark since exec):
# getrusage's ru_maxrss also counts the spawning process's RSS at fork time on Linux, so a child of
# this (large) bench process would report the bench's own memory.
_HWM = """
def _hwm():
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0
"""
KIWI_COLD = _HWM + f"from kiwipiepy import Kiwi\nKiwi().tokenize({KIWI_PROBE!r})\nprint(_hwm())\n"

_SERVE = (
    _HWM
    + """
import json, sys
from bot.answers.service import AnswerService
from bot.config import load_config

def rss():
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * __import__("resource").getpagesize() / 2**20

svc = AnswerService.from_config(load_config(sys.argv[1]))
loaded = rss()
svc.engine.warm_up()
for q in json.loads(sys.argv[2]):
    svc.ask(q)
print(json.dumps({"loaded": loaded, "peak": _hwm()}))
"""
)


# The bot restarted (index loaded from its file, warmed up), then one note edited and reindexed: the
# case a maintainer meets most, where no file's counted rows are in memory yet.
_RESTART_REINDEX = """
import json, sys
from pathlib import Path
from bot.answers.service import AnswerService
from bot.config import load_config
from bot.evaluation.bench import change_one_file

config = load_config(sys.argv[1])
svc = AnswerService.from_config(config)
loaded = svc.engine.report.retokenized == 0
change_one_file(Path(config.knowledge_dir), sys.argv[2])
report = svc.reindex_sync()
svc.store.wait_saved()
print(json.dumps({"loaded": loaded, "ok": report.ok, "seconds": report.seconds}))
"""


def _stamp(path: Path | None) -> tuple[int, int] | None:
    try:
        st = path.stat() if path is not None else None
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size) if st is not None else None


def with_saved_index(cache: Path | None, run: Callable[[], Any], tries: int = 3) -> tuple[Any, int]:
    """run() in a subprocess that must find the saved index current; (result, tries that rebuilt it).

    If the subprocess rewrote the index (the indexing code changed meanwhile: the saved index is keyed
    by a hash of that code), its figure is a rebuild, not a start-up: measure again.
    """
    result: Any = None
    for n in range(tries):
        before = _stamp(cache)
        result = run()
        if _stamp(cache) == before:
            return result, n
    return result, tries


@contextlib.contextmanager
def stage_timers() -> Iterator[dict[str, float]]:
    """Time the stages of IndexStore's rebuild by wrapping the names the index modules call.

    A stage's time is its own: a stage running inside another (parsing is pulled by the tokenizing
    stream, so Kiwi works meanwhile) is taken out of the outer one. A generator is timed step by step.
    Stages it cannot find (the store changed) are simply not reported; the overhead is a few calls.
    """
    from bot.index import scan, splice, store

    parts: dict[str, float] = {}
    undo: list[Callable[[], None]] = []
    inner: list[float] = []  # per running stage: the time of the stages inside it

    def timed_call(stage: str, call: Callable[[], Any]) -> Any:
        inner.append(0.0)
        t = time.perf_counter()
        try:
            return call()
        finally:
            took = time.perf_counter() - t
            parts[stage] = parts.get(stage, 0.0) + took - inner.pop()
            if inner:
                inner[-1] += took

    def wrap(owner: Any, name: str, stage: str) -> bool:
        orig = owner.__dict__.get(name) if isinstance(owner, type) else getattr(owner, name, None)
        if orig is None:
            return False
        func = orig.__func__ if isinstance(orig, staticmethod | classmethod) else orig

        def timed(*a: Any, **kw: Any) -> Any:
            return timed_call(stage, lambda: func(*a, **kw))

        def timed_steps(*a: Any, **kw: Any) -> Iterator[Any]:
            steps = func(*a, **kw)
            done = object()
            while (item := timed_call(stage, lambda: next(steps, done))) is not done:
                yield item

        body = timed_steps if inspect.isgeneratorfunction(func) else timed
        new: Any = classmethod(body) if isinstance(orig, classmethod) else body
        setattr(owner, name, new)
        undo.append(lambda: setattr(owner, name, orig))
        return True

    if not wrap(store, "scan_notes", "read"):
        wrap(scan, "read_note", "read")
    wrap(store, "parse_sections", "parse")
    wrap(store, "tokenize_notes", "tokenize")  # Kiwi on its helper thread, parsing pulled meanwhile
    wrap(splice, "count_file", "index")  # counting the changed files' sections
    wrap(store.SearchIndex, "assemble", "index")
    wrap(store.SearchIndex, "splice", "index")  # a reindex: the index in hand, changed files replaced
    wrap(store.IndexStore, "_write_now", "save")
    from bot.answers.engine import Engine

    wrap(Engine, "warm_up", "warm-up")  # the bot's reindex warms the new engine up before the swap
    try:
        yield parts
    finally:
        for u in reversed(undo):
            u()


def query_latency(
    asks: list[Callable[[str], Any]], questions: tuple[str, ...], reps: list[int]
) -> list[list[float]]:
    """Milliseconds per call for each system, interleaved question by question (the same machine state
    for both), after an unmeasured warm-up on 10 questions; system k runs reps[k] rounds."""
    for ask in asks:
        for q in questions[:10]:
            ask(q)
    gc.collect()
    ms: list[list[float]] = [[] for _ in asks]
    for r in range(max(reps)):
        for q in questions:
            for k, ask in enumerate(asks):
                if r < reps[k]:
                    t = time.perf_counter()
                    ask(q)
                    ms[k].append((time.perf_counter() - t) * 1000)
    return ms


def render_latency(engine: Any, questions: tuple[str, ...], top: int) -> list[float]:
    """Milliseconds per answered question for what issue 16 adds to an answer: choosing each result's
    passage (answers/passage.py, inside Engine.ask) and converting and fitting it into the Discord embed."""
    from bot.answers import passage
    from bot.discord_app import render as discord_render

    ms: list[float] = []
    for q in questions:
        ans = engine.ask(q, top)
        if not ans.answered:
            continue
        tokens = engine.question_tokens(q)
        t = time.perf_counter()
        terms = passage.question_terms(engine.index.bm25, engine.analyzer.lexicon, tokens)
        for r in ans.results:
            passage.select(r.section, terms)
        discord_render.answer_embeds(ans)
        ms.append((time.perf_counter() - t) * 1000)
    return ms


def change_one_file(folder: Path, source: str) -> None:
    path = folder / source
    text = path.read_text(encoding="utf-8")
    extra = "\n\n## 벤치마크 변경\n- 한 파일만 바뀐 재색인을 잰다: 도커 네트워크 설정.\n"
    path.write_text(text + extra, encoding="utf-8")


class PeerKiwi:
    """The naive peer's tokenizer: Kiwi() with its defaults, every morpheme form lower-cased."""

    def __init__(self) -> None:
        from kiwipiepy import Kiwi

        self.kiwi = Kiwi()
        self.tokenize(KIWI_PROBE)  # its lazy start-up, excluded like ours

    def tokenize(self, text: str) -> list[str]:
        return [t.form.lower() for t in self.kiwi.tokenize(text)]


def peer_tokenize(
    res: Result, sections: list[Section], our_tokens: list[Any], peer: PeerKiwi
) -> tuple[Any, float]:
    """(the peer's documents, its tokenizing seconds); sampled and extrapolated above PEER_FULL_LIMIT."""
    texts = [f"{s.title}\n{s.body}" for s in sections]
    gc.collect()
    if len(texts) <= PEER_FULL_LIMIT:
        t = time.perf_counter()
        docs = [peer.tokenize(x) or ["∅"] for x in texts]
        return docs, time.perf_counter() - t
    step = len(texts) / PEER_SAMPLE
    sample = [texts[int(i * step)] for i in range(PEER_SAMPLE)]
    t = time.perf_counter()
    for x in sample:
        peer.tokenize(x)
    took = time.perf_counter() - t
    res.peer_tok_note = (
        f"peer tokenizing at {res.label}: timed on {PEER_SAMPLE:,} evenly spaced sections ({took:.1f} s) "
        "and extrapolated by characters"
    )
    res.peer_build_note = (
        f"peer BM25Okapi at {res.label}: built from our own title+body tokens (saves the peer's "
        "tokenizing); its get_scores runs on every section"
    )
    docs = [list(tok.title) + list(tok.body) or ["∅"] for tok in our_tokens]
    return docs, took * sum(map(len, texts)) / max(1, sum(map(len, sample)))


def peer_bm25(res: Result, docs: list[list[str]]) -> Any:
    from rank_bm25 import BM25Okapi

    gc.collect()
    t = time.perf_counter()
    bm = BM25Okapi(docs)
    res.peer_build_s = time.perf_counter() - t
    return bm


def _peer_ask(bm: Any, kiwi: PeerKiwi, question: str) -> list[int]:
    scores = bm.get_scores(kiwi.tokenize(question))
    return np.argsort(-scores, kind="stable")[:10].tolist()


def _write_config(work: Path, folder: Path, cache: Path, config: Config) -> tuple[Path, Config]:
    """A config.toml for the subprocesses (this size's folder and cache, the caller's search settings).
    The semantic channel is off here: these rows are the BM25 engine's; bench_semantic adds its own."""
    search = {**config.search.model_dump(), "semantic": "off"}
    lines = [
        "[knowledge]",
        f"dir = {json.dumps(str(folder))}",
        f"cache_dir = {json.dumps(str(cache))}",
        "[search]",
        *(f"{k} = {json.dumps(v)}" for k, v in search.items()),
    ]
    path = work / "config.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, parse_config(
        {"knowledge": {"dir": str(folder), "cache_dir": str(cache)}, "search": search}, work
    )


def _tokens(engine: Any) -> list[Any]:
    terms = engine.index.bm25.terms
    return [t for e in engine.entries.values() for t in e.tokens(terms)]


def bench_folder(
    res: Result,
    folder: Path,
    changed: str,
    config: Config,
    work: Path,
    peer: Callable[[], PeerKiwi],
    cold_runs: int,
    log: Callable[[str], None],
) -> None:
    from bot.answers.service import AnswerService, settle_memory, tuning_from
    from bot.answers.store import EngineStore
    from bot.tokens.analyzer import Analyzer
    from bot.tokens.lexicon import load_lexicon

    cfg_path, cfg = _write_config(work, folder, work / "cache", config)
    tuning = tuning_from(cfg)
    top = cfg.search.top

    # Start-up, shown apart: Kiwi's construction with the user words and its lazy first call.
    t = time.perf_counter()
    analyzer = Analyzer(load_lexicon(folder))
    analyzer.warm_up()
    res.startup_s = time.perf_counter() - t

    store = EngineStore(folder, cfg.cache_dir)
    res.load.append(os.getloadavg()[0])

    def full(an: Analyzer) -> tuple[Any, float, dict[str, float]]:
        gc.collect()
        with stage_timers() as parts:
            t = time.perf_counter()
            built = store.rebuild(tuning, None, full=True, analyzer=an)
            return built, time.perf_counter() - t, dict(parts)

    engine, res.full_s, res.full_parts = full(analyzer)
    settle_memory()  # as AnswerService does after every build (the GC then skips the index's objects)
    secs = engine.index.sections
    res.sections, res.files = len(secs), engine.report.files
    res.chars = sum(len(s.title) + len(s.body) for s in secs)
    log(f"{res.label}: {res.sections:,} sections, full reindex {res.full_s:.1f} s; the peer's tokenizing")

    # The peer right after our reindex (the machine's load changes over minutes); small sizes run
    # ours, peer, ours, peer and keep each one's best. Then both answer the questions interleaved.
    kiwi = peer()
    docs, res.peer_tok_s = peer_tokenize(res, secs, _tokens(engine), kiwi)
    if res.sections <= REPEAT_LIMIT:
        res.rounds = 2
        del engine
        engine, again, parts = full(analyzer)
        settle_memory()
        if again < res.full_s:
            res.full_s, res.full_parts = again, parts
        res.peer_tok_s = min(res.peer_tok_s, peer_tokenize(res, secs, _tokens(engine), kiwi)[1])
    bm = peer_bm25(res, docs)
    del docs
    res.load.append(os.getloadavg()[0])
    log(f"{res.label}: peer tokenizing {res.peer_tok_s:.1f} s; queries")

    peer_ask = functools.partial(_peer_ask, bm, kiwi)
    engine.warm_up()
    reps = 10 if res.sections <= 20_000 else 5
    peer_reps = 5 if res.sections <= 3_000 else 2 if res.sections <= 20_000 else 1
    ours_ms, peer_ms = query_latency(
        [functools.partial(engine.ask, top=top), peer_ask], QUESTIONS, [reps, peer_reps]
    )
    res.query_p50_ms, res.query_p99_ms, res.query_n = (
        percentile(ours_ms, 50),
        percentile(ours_ms, 99),
        len(ours_ms),
    )
    worst = max(range(len(ours_ms)), key=ours_ms.__getitem__)
    res.query_max_ms, res.query_slowest = ours_ms[worst], QUESTIONS[worst % len(QUESTIONS)]
    res.peer_p50_ms, res.peer_p99_ms, res.peer_n = (
        percentile(peer_ms, 50),
        percentile(peer_ms, 99),
        len(peer_ms),
    )
    res.answered = sum(engine.ask(q, top).answered for q in QUESTIONS)
    render_ms = render_latency(engine, QUESTIONS, top)
    if render_ms:
        res.render_p50_ms, res.render_p99_ms = percentile(render_ms, 50), percentile(render_ms, 99)
    del bm, peer_ask
    gc.collect()

    change_one_file(folder, changed)
    service = AnswerService(engine, cfg, store)
    with stage_timers() as parts:
        # The bot's own reindex: rebuild, warm-up, swap; the file is saved after, in the background.
        t = time.perf_counter()
        report = service.reindex_sync()
        if not report.ok:
            raise RuntimeError(f"one-file reindex failed: {report.error}")
        res.incr_s = report.seconds  # until the new engine answers
        store.wait_saved()
        res.incr_saved_s = time.perf_counter() - t
        engine = service.engine
    del service
    res.incr_parts = {k: v for k, v in parts.items() if k != "save"}
    res.incr_save_s = parts.get("save", 0.0)
    res.incr_retokenized = engine.report.retokenized
    log(f"{res.label}: one-file reindex {res.incr_s:.2f} s; cold starts (ours and Kiwi's, interleaved)")

    if store.path is not None and store.path.is_file():
        res.index_mb = store.path.stat().st_size / 2**20
        with np.load(store.path, allow_pickle=False) as z:
            res.index_meta_mb = z["meta"].nbytes / 2**20
    del engine, analyzer
    gc.collect()

    ask_cmd = [sys.executable, "-m", "bot", "--config", str(cfg_path), "--knowledge", str(folder)]
    ask_cmd += ["ask", "--json", QUESTIONS[0]]
    for _ in range(cold_runs):
        (took, out), rebuilt = with_saved_index(store.path, lambda: timed_process(ask_cmd, work))
        if '"answered"' not in out:
            raise RuntimeError(f"cold start: unexpected output {out[:200]!r}")
        if rebuilt:
            res.notes.append(f"{res.label}: {rebuilt} cold-start run(s) found the saved index stale; re-run")
        res.cold_runs.append(took)
        took, out = timed_process([sys.executable, "-c", KIWI_COLD], work)
        res.kiwi_cold_runs.append(took)
        res.kiwi_rss_mb = max(res.kiwi_rss_mb, float(out.split()[-1]))
    res.cold_s = statistics.median(res.cold_runs)
    res.kiwi_cold_s = statistics.median(res.kiwi_cold_runs)

    serve = [sys.executable, "-c", _SERVE, str(cfg_path), json.dumps(QUESTIONS)]
    (_, out), rebuilt = with_saved_index(store.path, lambda: timed_process(serve, work))
    if rebuilt:
        res.notes.append(f"{res.label}: {rebuilt} memory run(s) found the saved index stale; re-run")
    mem = json.loads(out.strip().splitlines()[-1])
    res.rss_mb, res.rss_loaded_mb = float(mem["peak"]), float(mem["loaded"])

    for _ in range(3):  # a start-up that found the saved index stale measured a rebuild: again
        _, out = timed_process([sys.executable, "-c", _RESTART_REINDEX, str(cfg_path), changed], work)
        after = json.loads(out.strip().splitlines()[-1])
        if not after["ok"]:
            raise RuntimeError(f"reindex after a restart failed: {out[-300:]!r}")
        if after["loaded"]:
            res.restart_incr_s = float(after["seconds"])
            break
        res.notes.append(f"{res.label}: the restart found the saved index stale; measured again")
    res.load.append(os.getloadavg()[0])
    bench_semantic(res, folder, changed, cfg, work, log)


SEMANTIC_MAX_SECTIONS = 5_000


def bench_semantic(
    res: Result, folder: Path, changed: str, cfg: Config, work: Path, log: Callable[[str], None]
) -> None:
    """The fused engine beside the BM25 rows: full embedding, query latency, one-file reindex, memory."""
    from bot.answers.semantic import SemanticWorker
    from bot.answers.service import AnswerService, tuning_from
    from bot.answers.store import EngineStore
    from bot.index.vectors import Chunks

    if res.sections > SEMANTIC_MAX_SECTIONS:
        res.sem_note = f"not measured above {SEMANTIC_MAX_SECTIONS:,} sections (hours of embedding)"
        return
    store = EngineStore(folder, work / "cache-semantic")
    engine = store.load_or_build(tuning_from(cfg))
    worker = SemanticWorker.create("on", store.vectors_path)
    if worker is None:
        res.sem_note = "the embedding model is not available"
        return
    log(f"{res.label}: embedding every passage (semantic channel)")
    t = time.perf_counter()
    worker.embed_all(engine.index.sections)
    res.sem_embed_s = time.perf_counter() - t
    res.sem_chunks = len(Chunks.of(engine.index.sections).keys)
    if not worker.attach(engine):
        res.sem_note = "the channel did not attach"
        return
    engine.warm_up()
    ms = query_latency([functools.partial(engine.ask, top=cfg.search.top)], QUESTIONS, [3])[0]
    res.sem_p50_ms, res.sem_p99_ms = percentile(ms, 50), percentile(ms, 99)
    change_one_file(folder, changed)
    service = AnswerService(engine, cfg, store, worker)
    report = service.reindex_sync()
    res.sem_incr_s = report.seconds if service.engine.semantic is not None else float("nan")
    store.wait_saved()
    if store.vectors_path is not None and store.vectors_path.is_file():
        res.sem_vectors_mb = store.vectors_path.stat().st_size / 2**20
    with open("/proc/self/statm") as fh:
        res.sem_rss_mb = int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    worker.stop()


def _prepare(size: str, work: Path, corpora: Path, log: Callable[[str], None]) -> tuple[Result, Path, str]:
    """(result to fill, knowledge folder, the note to change); res.skipped says why a size cannot run."""
    folder = work / "knowledge"
    if size == "seed":
        shutil.copytree(SEED_KNOWLEDGE, folder)
        return Result(size, "seed"), folder, SEED_NOTE
    if size == "corpora":
        res = Result(size, "corpora")
        if not corpora.is_dir():
            res.skipped = f"{corpora} not found (pass --corpora DIR)"
            return res, folder, ""
        folder = corpora_folder(corpora)  # the eval's seed + corpora folder (a temporary copy)
        from bot.notes.files import discover

        notes = [s for s in discover(folder) if s != SEED_NOTE]
        return res, folder, notes[len(notes) // 2] if notes else SEED_NOTE
    count = int(size)
    label = f"synthetic {count // 1000}k" if count >= 1000 and count % 1000 == 0 else f"synthetic {count}"
    shutil.copytree(SEED_KNOWLEDGE, folder)
    t = time.perf_counter()
    files = write_synthetic(folder / "synthetic", max(1, count - 20))  # + the seed note's ~20 sections
    log(f"{label}: {len(files):,} files generated in {time.perf_counter() - t:.1f} s")
    return Result(size, label), folder, f"synthetic/{files[len(files) // 2]}"


def run_bench(
    sizes: list[str],
    corpora: Path,
    config: Config,
    cold_runs: int = 3,
    log: Callable[[str], None] | None = None,
) -> list[Result]:
    say = log or (lambda msg: None)
    results: list[Result] = []
    peer_cache: list[PeerKiwi] = []

    def peer() -> PeerKiwi:
        if not peer_cache:
            peer_cache.append(PeerKiwi())
        return peer_cache[0]

    with tempfile.TemporaryDirectory(prefix="notes-bench-") as tmp:
        _PYTHONPATH[:] = [str(snapshot_code(Path(tmp) / "code"))]
        try:
            _run_sizes(sizes, corpora, config, cold_runs, say, Path(tmp), peer, results)
        finally:
            _PYTHONPATH[:] = [str(ROOT)]
    return results


def _run_sizes(
    sizes: list[str],
    corpora: Path,
    config: Config,
    cold_runs: int,
    say: Callable[[str], None],
    tmp: Path,
    peer: Callable[[], PeerKiwi],
    results: list[Result],
) -> None:
    for n, size in enumerate(sizes):
        work = tmp / f"size-{n}"
        work.mkdir()
        folder = work
        try:
            res, folder, changed = _prepare(size, work, corpora, say)
            if res.skipped:
                say(f"{res.label}: skipped, {res.skipped}")
            else:
                bench_folder(res, folder, changed, config, work, peer, cold_runs, say)
        finally:
            shutil.rmtree(work, ignore_errors=True)
            if not folder.is_relative_to(work):
                shutil.rmtree(folder, ignore_errors=True)
        results.append(res)


# -- printing ----------------------------------------------------------------------------------------
def _ratio(a: float, b: float, digits: int = 3) -> str:
    return f"{a / b:.{digits}f}" if b else "-"


def verdicts(results: list[Result]) -> list[tuple[str, str, str]]:
    """(PASS/FAIL, target, figure) for every target this run measured."""
    out: list[tuple[str, str, str]] = []

    def check(ok: bool, target: str, figure: str) -> None:
        out.append(("PASS" if ok else "FAIL", target, figure))

    for r in results:
        if r.skipped:
            continue
        if r.size == "corpora":
            check(
                r.query_p50_ms <= TARGET_P50_SMALL_MS,
                f"[corpora] query p50 <= {TARGET_P50_SMALL_MS:g} ms at ~2k sections",
                f"{r.query_p50_ms:.3f} ms ({r.sections:,} sections)",
            )
            ratio = r.query_p50_ms / r.peer_p50_ms if r.peer_p50_ms else float("inf")
            check(
                ratio <= TARGET_QUERY_RATIO,
                f"[corpora] query p50 <= {TARGET_QUERY_RATIO:g} x the naive peer's",
                f"{ratio:.3f} x ({r.query_p50_ms:.3f} / {r.peer_p50_ms:.3f} ms)",
            )
            check(
                r.rss_mb <= TARGET_RSS_MB,
                f"[corpora] peak RSS <= {TARGET_RSS_MB:g} MB serving",
                f"{r.rss_mb:.0f} MB",
            )
        if r.size.isdigit() and int(r.size) >= 100_000:
            check(
                r.query_p50_ms <= TARGET_P50_LARGE_MS,
                f"[{r.label}] query p50 <= {TARGET_P50_LARGE_MS:g} ms",
                f"{r.query_p50_ms:.3f} ms ({r.sections:,} sections); memory: peak RSS {r.rss_mb:.0f} MB",
            )
        ratio = r.full_s / r.peer_tok_s if r.peer_tok_s else float("inf")
        why = ""  # why this ratio gets no verdict
        if r.sections < MIN_RATIO_SECTIONS:
            why = "too small"  # fixed per-call costs, not throughput
        elif r.peer_tok_note:
            why = "the peer's is estimated"  # extrapolated from a sample: it moved ±25 % between runs here
        if why:
            figure = f"{ratio:.2f} x ({r.full_s:.2f} / {r.peer_tok_s:.2f} s; {why})"
            out.append(("info", f"[{r.label}] full reindex / the peer's tokenizing", figure))
        else:
            check(
                ratio <= TARGET_REINDEX_RATIO,
                f"[{r.label}] full reindex <= {TARGET_REINDEX_RATIO:g} x the peer's tokenizing",
                f"{ratio:.2f} x ({r.full_s:.2f} / {r.peer_tok_s:.2f} s)",
            )
        check(
            max(r.incr_s, r.restart_incr_s) <= TARGET_INCREMENTAL_S,
            f"[{r.label}] one changed file <= {TARGET_INCREMENTAL_S:g} s beyond start-up",
            f"{r.incr_s:.2f} s answering from the new index ({r.restart_incr_s:.2f} s for the first one "
            f"after a restart); its file saved by {r.incr_saved_s:.2f} s",
        )
        limit = r.kiwi_cold_s + TARGET_COLD_EXTRA_S
        check(
            r.cold_s <= limit,
            f"[{r.label}] cold start <= Kiwi's own + {TARGET_COLD_EXTRA_S:g} s",
            f"{r.cold_s:.2f} s vs {r.kiwi_cold_s:.2f} s ({r.cold_s - r.kiwi_cold_s:+.2f} s)",
        )
    return out


_STAGES = (
    ("read", "read + hash"),
    ("parse", "parse"),
    ("tokenize", "tokenize (beside parsing)"),
    ("index", "index build"),
    ("warm-up", "warm-up (typo table, snippets)"),
)


def render(results: list[Result], cold_runs: int) -> str:
    from importlib.metadata import version

    done = [r for r in results if not r.skipped]
    width = max(16, *(len(r.label) + 2 for r in done)) if done else 16
    head = f"{'':<36}" + "".join(f"{r.label:>{width}}" for r in done) + "   target"
    lines = [
        f"python -m bot bench: {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"kiwipiepy {version('kiwipiepy')}, rank-bm25 {version('rank-bm25')}, numpy {np.__version__}",
        "",
        head,
        "-" * len(head),
    ]

    def row(name: str, cell: Callable[[Result], str], target: str = "") -> None:
        cells = "".join(f"{cell(r):>{width}}" for r in done)
        lines.append(f"{name:<36}{cells}" + (f"   {target}" if target else ""))

    def stages(parts: Callable[[Result], dict[str, float]], total: Callable[[Result], float]) -> None:
        for key, name in _STAGES:
            row(f"    {name} s", lambda r, k=key: f"{parts(r)[k]:.2f}" if k in parts(r) else "-")
        row("    save (npz) s", lambda r: f"{parts(r)['save']:.2f}" if "save" in parts(r) else "-")
        row("    other s", lambda r: f"{total(r) - sum(parts(r).values()):.2f}")

    row("sections / files", lambda r: f"{r.sections:,} / {r.files:,}")
    row(
        "load avg (1 min) start/peer/end",
        lambda r: "/".join(f"{x:.1f}" for x in r.load),
        f"({os.cpu_count()} CPUs)",
    )
    row("characters (titles + bodies)", lambda r: f"{r.chars:,}")
    lines.append("ours")
    row(
        "  query p50 ms",
        lambda r: f"{r.query_p50_ms:.3f}",
        f"<= {TARGET_P50_SMALL_MS:g} at ~2k, <= {TARGET_P50_LARGE_MS:g} at 100k",
    )
    row("  query p99 ms", lambda r: f"{r.query_p99_ms:.3f}")
    row("  query max ms", lambda r: f"{r.query_max_ms:.2f}")
    row("  queries timed / answered of 50", lambda r: f"{r.query_n} / {r.answered}")
    row(
        "  passages + Discord embed p50/p99 ms",
        lambda r: f"{r.render_p50_ms:.3f} / {r.render_p99_ms:.2f}",
        "<= 1 added (p50)",
    )
    row("  start-up (Kiwi+words+1st call) s", lambda r: f"{r.startup_s:.2f}", "excluded from reindex")
    row(
        "  full reindex s (best of n)",
        lambda r: f"{r.full_s:.2f} ({r.rounds})",
        f"<= {TARGET_REINDEX_RATIO:g} x peer tokenizing",
    )
    stages(lambda r: r.full_parts, lambda r: r.full_s)
    row("  one-file reindex s (answering)", lambda r: f"{r.incr_s:.2f}", f"<= {TARGET_INCREMENTAL_S:g}")
    stages(lambda r: r.incr_parts, lambda r: r.incr_s)
    row("    saved, in the background, by s", lambda r: f"{r.incr_saved_s:.2f}")
    row("    of which the save itself s", lambda r: f"{r.incr_save_s:.2f}")
    target = f"<= {TARGET_INCREMENTAL_S:g}"
    row("  the first one after a restart s", lambda r: f"{r.restart_incr_s:.2f}", target)
    row(f"  cold start s (median of {cold_runs})", lambda r: f"{r.cold_s:.2f}", "<= Kiwi's + 1.5")
    row("  Kiwi's own cold start s (median)", lambda r: f"{r.kiwi_cold_s:.2f}")
    row("    ours - Kiwi's s", lambda r: f"{r.cold_s - r.kiwi_cold_s:+.2f}", f"<= +{TARGET_COLD_EXTRA_S:g}")
    row("  peak RSS serving MB", lambda r: f"{r.rss_mb:.0f}", f"<= {TARGET_RSS_MB:g} on the corpora")
    row("    RSS after index load MB", lambda r: f"{r.rss_loaded_mb:.0f}", "(before Kiwi's lazy start)")
    row("    peak RSS, Kiwi() + 1st call MB", lambda r: f"{r.kiwi_rss_mb:.0f}")
    row("  index on disk MB (metadata part)", lambda r: f"{r.index_mb:.1f} ({r.index_meta_mb:.1f})")
    lines.append("ours with the semantic channel (search.semantic = auto)")
    row("  passages embedded / s", lambda r: r.sem_note[:14] or f"{r.sem_chunks:,} / {r.sem_embed_s:.0f}")
    row(
        "  query p50 / p99 ms", lambda r: "-" if r.sem_note else f"{r.sem_p50_ms:.1f} / {r.sem_p99_ms:.1f}",
        "p50 <= 15 at ~2k",
    )  # fmt: skip
    row("  one-file reindex, both channels s", lambda r: "-" if r.sem_note else f"{r.sem_incr_s:.2f}", "<= 3")
    row("  vectors on disk MB", lambda r: "-" if r.sem_note else f"{r.sem_vectors_mb:.1f}")
    row("  RSS, bench process MB", lambda r: "-" if r.sem_note else f"{r.sem_rss_mb:.0f}", "(all in one)")
    lines.append("naive peer (Kiwi() per section, BM25Okapi)")
    row(
        "  tokenizing s (best of n)",
        lambda r: f"{r.peer_tok_s:.2f}" + ("*" if r.peer_tok_note else f" ({r.rounds})"),
    )
    row("  BM25Okapi build s", lambda r: f"{r.peer_build_s:.2f}" + ("**" if r.peer_build_note else ""))
    row("  query p50 ms", lambda r: f"{r.peer_p50_ms:.3f}")
    row("  query p99 ms", lambda r: f"{r.peer_p99_ms:.3f}")
    row("  queries timed", lambda r: str(r.peer_n))
    lines.append("ratios ours / peer")
    row(
        "  query p50",
        lambda r: _ratio(r.query_p50_ms, r.peer_p50_ms),
        f"<= {TARGET_QUERY_RATIO:g} on corpora",
    )
    row("  query p99", lambda r: _ratio(r.query_p99_ms, r.peer_p99_ms))
    row(
        "  full reindex / peer tokenizing",
        lambda r: _ratio(r.full_s, r.peer_tok_s, 2),
        f"<= {TARGET_REINDEX_RATIO:g}",
    )
    lines.append("")
    for r in results:
        if r.skipped:
            lines.append(f"{r.label}: skipped, {r.skipped}")
        lines += [f"note: {n}" for n in r.notes]
        if r.query_slowest:
            lines.append(f"{r.label}: slowest question {r.query_max_ms:.1f} ms: {r.query_slowest[:60]!r}")
    lines += [f"*  {r.peer_tok_note}" for r in done if r.peer_tok_note]
    lines += [f"** {r.peer_build_note}" for r in done if r.peer_build_note]
    lines += [
        "Query: Engine.ask on a warm engine (tokenizing the question included), 50 questions x rounds;",
        "peer: Kiwi tokenize + get_scores + top 10. Reindex: IndexStore.rebuild with a warm Analyzer",
        "(start-up excluded); one-file: one note changed, the bot's reindex (AnswerService: rebuild,",
        "warm-up, swap) until it answers from the new index, in this process and, after a restart, in a",
        "new one that loaded the saved index. Cold start: spawn to exit of `python -m bot ask --json`",
        "with the index saved, each run next to a `Kiwi(); tokenize()` process; subprocesses run a",
        "snapshot of bot/ taken at the start (others edit the tree). Peak RSS: VmHWM of a process that",
        "loads the index, warms up and answers the 50 questions. Synthetic sizes are generated notes",
        "plus the seed note.",
        "",
        "targets:",
    ]
    lines += [f"  {v}  {t}: {fig}" for v, t, fig in verdicts(results)]
    return "\n".join(lines)


def to_json(results: list[Result]) -> dict[str, Any]:
    return {
        "sizes": [asdict(r) for r in results],
        "targets": [{"verdict": v, "target": t, "figure": f} for v, t, f in verdicts(results)],
    }


def parse_sizes(text: str) -> list[str]:
    from bot.errors import BotError

    out = []
    for part in (p.strip().lower() for p in text.split(",")):
        if not part:
            continue
        if part in ("seed", "corpora"):
            out.append(part)
            continue
        n = part.replace("_", "")
        try:
            value = int(float(n[:-1]) * 1000) if n.endswith("k") else int(n)
        except ValueError:
            value = 0
        if value < 1:
            raise BotError(f"--sizes: expected seed, corpora or a number of sections, got {part!r}")
        out.append(str(value))
    if not out:
        raise BotError("--sizes: nothing to measure")
    return out


def main(args: argparse.Namespace, config: Config) -> int:
    sizes = parse_sizes(args.sizes)
    corpora = Path(args.corpora) if args.corpora else DEFAULT_CORPORA
    cold_runs = max(1, int(getattr(args, "cold_runs", 3) or 3))
    as_json = bool(getattr(args, "json", False))
    started = time.perf_counter()

    def log(msg: str) -> None:
        print(f"[bench {time.perf_counter() - started:5.0f}s] {msg}", file=sys.stderr, flush=True)

    results = run_bench(sizes, corpora, config, cold_runs, log)
    if as_json:
        print(json.dumps(to_json(results), ensure_ascii=False))
    else:
        print(render(results, cold_runs))
        print(
            f"\n(bench took {time.perf_counter() - started:.0f} s: python -m bot bench --sizes {args.sizes})"
        )
    return 0


if __name__ == "__main__":
    from bot.config import load_config

    p = argparse.ArgumentParser(prog="python -m bot.evaluation.bench", description=__doc__.split("\n")[0])
    p.add_argument("--config", default="config.toml")
    p.add_argument("--corpora", default=None, metavar="DIR")
    p.add_argument("--sizes", default="seed,corpora,10000,100000")
    p.add_argument("--cold-runs", type=int, default=3, metavar="N")
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    raise SystemExit(main(a, load_config(a.config)))
