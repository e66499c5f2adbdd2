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

Above PEER_FULL_LIMIT sections the peer's tokenizing is timed on an evenly spaced sample and
extrapolated by characters, and its BM25Okapi is built from our own tokens (title + body) so that its
get_scores still runs on every section; the output says so. `python -m bot.evaluation.bench` runs it
standalone (with --json and --cold-runs).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gc
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
    incr_s: float = 0.0
    incr_parts: dict[str, float] = field(default_factory=dict)
    incr_retokenized: int = 0
    query_p50_ms: float = 0.0
    query_p99_ms: float = 0.0
    query_n: int = 0
    answered: int = 0  # of the distinct questions
    cold_s: float = 0.0
    cold_rss_mb: float = 0.0
    rss_mb: float = 0.0
    rss_loaded_mb: float = 0.0  # after the index is loaded, before Kiwi's lazy start-up
    index_mb: float = 0.0
    index_meta_mb: float = 0.0  # the JSON part (sections, tokens, vocabularies) of the npz
    peer_tok_s: float = 0.0
    peer_tok_note: str = ""
    peer_build_s: float = 0.0
    peer_build_note: str = ""
    peer_p50_ms: float = 0.0
    peer_p99_ms: float = 0.0
    peer_n: int = 0


@dataclass
class KiwiCold:
    seconds: float
    rss_mb: float
    runs: list[float]


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    env.setdefault("PYTHONHASHSEED", "0")
    return env


def timed_process(cmd: list[str], cwd: Path) -> tuple[float, float, str]:
    """(wall seconds from spawn to exit, peak RSS MB of that process, stdout); raises on failure."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=_env(), stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        took = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        text = out.read().decode("utf-8", "replace")
        if proc.returncode != 0:
            tail = err.read().decode("utf-8", "replace").strip().splitlines()[-3:]
            raise RuntimeError(f"{' '.join(cmd[:4])}... exited {proc.returncode}: {' | '.join(tail)}")
    return took, usage.ru_maxrss / 1024, text


def kiwi_cold_start(runs: int, cwd: Path) -> KiwiCold:
    code = f"from kiwipiepy import Kiwi\nKiwi().tokenize({KIWI_PROBE!r})\n"
    times, rss = [], 0.0
    for _ in range(runs):
        t, r, _ = timed_process([sys.executable, "-c", code], cwd)
        times.append(t)
        rss = max(rss, r)
    return KiwiCold(statistics.median(times), rss, times)


_SERVE = """
import json, resource, sys
from bot.answers.service import AnswerService
from bot.config import load_config

def rss():
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize() / 2**20

svc = AnswerService.from_config(load_config(sys.argv[1]))
loaded = rss()
svc.engine.warm_up()
for q in json.loads(sys.argv[2]):
    svc.ask(q)
print(json.dumps({"loaded": loaded, "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


@contextlib.contextmanager
def stage_timers() -> Iterator[dict[str, float]]:
    """Time the stages of IndexStore's rebuild by wrapping the names bot.index.store calls.

    Stages it cannot find (the store changed) are simply not reported; timing overhead is a few calls.
    """
    from bot.index import store

    parts: dict[str, float] = {}
    undo: list[Callable[[], None]] = []

    def wrap(owner: Any, name: str, stage: str) -> None:
        orig = owner.__dict__.get(name) if isinstance(owner, type) else getattr(owner, name, None)
        if orig is None:
            return
        func = orig.__func__ if isinstance(orig, staticmethod | classmethod) else orig

        def timed(*a: Any, **kw: Any) -> Any:
            t = time.perf_counter()
            try:
                return func(*a, **kw)
            finally:
                parts[stage] = parts.get(stage, 0.0) + time.perf_counter() - t

        new: Any = classmethod(timed) if isinstance(orig, classmethod) else timed
        setattr(owner, name, new)
        undo.append(lambda: setattr(owner, name, orig))

    wrap(store, "read_note", "read")
    wrap(store, "parse_sections", "parse")
    wrap(store, "tokenize_sections", "tokenize")
    wrap(store.SearchIndex, "build", "index")
    wrap(store.IndexStore, "write", "save")
    try:
        yield parts
    finally:
        for u in reversed(undo):
            u()


def query_latency(ask: Callable[[str], Any], questions: tuple[str, ...], reps: int) -> list[float]:
    for q in questions:  # warm: caches, branch predictors, lazy tables
        ask(q)
    gc.collect()
    ms: list[float] = []
    for _ in range(reps):
        for q in questions:
            t = time.perf_counter()
            ask(q)
            ms.append((time.perf_counter() - t) * 1000)
    return ms


def change_one_file(folder: Path, source: str) -> None:
    path = folder / source
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text + "\n\n## 벤치마크 변경\n- 한 파일만 바뀐 재색인을 잰다: 도커 네트워크 설정.\n", encoding="utf-8"
    )


class PeerKiwi:
    """The naive peer's tokenizer: Kiwi() with its defaults, every morpheme form lower-cased."""

    def __init__(self) -> None:
        from kiwipiepy import Kiwi

        self.kiwi = Kiwi()
        self.tokenize(KIWI_PROBE)  # its lazy start-up, excluded like ours

    def tokenize(self, text: str) -> list[str]:
        return [t.form.lower() for t in self.kiwi.tokenize(text)]


def run_peer(res: Result, sections: list[Section], our_tokens: list[Any], peer: PeerKiwi, reps: int) -> None:
    from rank_bm25 import BM25Okapi

    texts = [f"{s.title}\n{s.body}" for s in sections]
    if len(texts) <= PEER_FULL_LIMIT:
        t = time.perf_counter()
        docs = [peer.tokenize(x) or ["∅"] for x in texts]
        res.peer_tok_s = time.perf_counter() - t
    else:
        step = len(texts) / PEER_SAMPLE
        sample = [texts[int(i * step)] for i in range(PEER_SAMPLE)]
        t = time.perf_counter()
        for x in sample:
            peer.tokenize(x)
        took = time.perf_counter() - t
        res.peer_tok_s = took * sum(map(len, texts)) / max(1, sum(map(len, sample)))
        res.peer_tok_note = (
            f"extrapolated by characters from {PEER_SAMPLE:,} evenly spaced sections ({took:.1f} s)"
        )
        docs = [list(tok.title) + list(tok.body) or ["∅"] for tok in our_tokens]
        res.peer_build_note = "BM25Okapi built from our own title+body tokens (saves the peer's tokenizing)"
    gc.collect()
    t = time.perf_counter()
    bm = BM25Okapi(docs)
    res.peer_build_s = time.perf_counter() - t
    del docs

    def ask(q: str) -> list[int]:
        scores = bm.get_scores(peer.tokenize(q))
        return np.argsort(-scores, kind="stable")[:10].tolist()

    ms = query_latency(ask, QUESTIONS, reps)
    res.peer_p50_ms, res.peer_p99_ms, res.peer_n = percentile(ms, 50), percentile(ms, 99), len(ms)


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
    from bot.answers.service import tuning_from
    from bot.index.store import IndexStore
    from bot.tokens.analyzer import Analyzer
    from bot.tokens.lexicon import load_lexicon

    cache = work / "cache"
    bench_cfg = work / "config.toml"
    bench_cfg.write_text(
        f"[knowledge]\ndir = {json.dumps(str(folder))}\ncache_dir = {json.dumps(str(cache))}\n"
        f"[search]\ntop = {config.search.top}\nmin_confidence = {config.search.min_confidence}\n"
        f"max_question_chars = {config.search.max_question_chars}\n",
        encoding="utf-8",
    )
    cfg = parse_config(
        {
            "knowledge": {"dir": str(folder), "cache_dir": str(cache)},
            "search": config.search.model_dump(),
        },
        work,
    )
    tuning = tuning_from(cfg)
    top = cfg.search.top

    t = time.perf_counter()
    analyzer = Analyzer(load_lexicon(folder))
    analyzer.warm_up()
    res.startup_s = time.perf_counter() - t

    store = IndexStore(folder, cfg.cache_dir)
    gc.collect()
    with stage_timers() as parts:
        t = time.perf_counter()
        engine = store.rebuild(tuning, None, full=True, analyzer=analyzer)
        res.full_s = time.perf_counter() - t
    res.full_parts = dict(parts)
    secs = engine.index.sections
    res.sections, res.files = len(secs), engine.report.files
    res.chars = sum(len(s.title) + len(s.body) for s in secs)
    log(f"{res.label}: {res.sections:,} sections, full reindex {res.full_s:.1f} s")

    engine.warm_up()
    reps = 10 if res.sections <= 20_000 else 5
    ms = query_latency(functools.partial(engine.ask, top=top), QUESTIONS, reps)
    res.query_p50_ms, res.query_p99_ms, res.query_n = percentile(ms, 50), percentile(ms, 99), len(ms)
    res.answered = sum(engine.ask(q, top).answered for q in QUESTIONS)

    change_one_file(folder, changed)
    gc.collect()
    with stage_timers() as parts:
        t = time.perf_counter()
        engine = store.rebuild(tuning, engine)
        res.incr_s = time.perf_counter() - t
    res.incr_parts = dict(parts)
    res.incr_retokenized = engine.report.retokenized
    log(f"{res.label}: one-file reindex {res.incr_s:.2f} s; cold start and memory subprocesses")

    if store.path is not None and store.path.is_file():
        res.index_mb = store.path.stat().st_size / 2**20
        with np.load(store.path, allow_pickle=False) as z:
            res.index_meta_mb = z["meta"].nbytes / 2**20

    ask_cmd = [sys.executable, "-m", "bot", "--config", str(bench_cfg), "--knowledge", str(folder)]
    ask_cmd += ["ask", "--json", QUESTIONS[0]]
    colds = []
    for _ in range(cold_runs):
        took, rss, out = timed_process(ask_cmd, work)
        if '"answered"' not in out:
            raise RuntimeError(f"cold start: unexpected output {out[:200]!r}")
        colds.append(took)
        res.cold_rss_mb = max(res.cold_rss_mb, rss)
    res.cold_s = statistics.median(colds)
    _, _, out = timed_process([sys.executable, "-c", _SERVE, str(bench_cfg), json.dumps(QUESTIONS)], work)
    mem = json.loads(out.strip().splitlines()[-1])
    res.rss_mb, res.rss_loaded_mb = float(mem["peak"]), float(mem["loaded"])

    tokens = engine.index.tokens
    del engine, store
    gc.collect()
    log(f"{res.label}: naive peer")
    run_peer(res, secs, tokens, peer(), 5 if res.sections <= 3_000 else 2 if res.sections <= 20_000 else 1)


def run_bench(
    sizes: list[str],
    corpora: Path,
    config: Config,
    cold_runs: int = 3,
    log: Callable[[str], None] | None = None,
) -> tuple[list[Result], KiwiCold]:
    say = log or (lambda msg: None)
    results: list[Result] = []
    peer_cache: list[PeerKiwi] = []

    def peer() -> PeerKiwi:
        if not peer_cache:
            peer_cache.append(PeerKiwi())
        return peer_cache[0]

    with tempfile.TemporaryDirectory(prefix="notes-bench-") as tmp:
        base = Path(tmp)
        say("Kiwi's own cold start")
        kiwi = kiwi_cold_start(cold_runs, base)
        for n, size in enumerate(sizes):
            work = base / f"run-{n}"
            work.mkdir()
            if size == "seed":
                res = Result(size, "seed")
                folder = work / "knowledge"
                shutil.copytree(SEED_KNOWLEDGE, folder)
                changed = SEED_NOTE
            elif size == "corpora":
                res = Result(size, "corpora")
                if not corpora.is_dir():
                    res.skipped = f"{corpora} not found"
                    say(f"corpora: skipped, {res.skipped}")
                    results.append(res)
                    continue
                folder = corpora_folder(corpora)
                from bot.notes.files import discover

                notes = [s for s in discover(folder) if s != SEED_NOTE]
                changed = notes[len(notes) // 2] if notes else SEED_NOTE
            else:
                count = int(size)
                res = Result(size, f"synthetic {count // 1000}k" if count >= 1000 else f"synthetic {count}")
                folder = work / "knowledge"
                shutil.copytree(SEED_KNOWLEDGE, folder)
                t = time.perf_counter()
                files = write_synthetic(folder / "synthetic", max(1, count - 20))
                say(f"{res.label}: {len(files):,} files generated in {time.perf_counter() - t:.1f} s")
                changed = f"synthetic/{files[len(files) // 2]}"
            try:
                bench_folder(res, folder, changed, config, work, peer, cold_runs, say)
            finally:
                if size == "corpora":
                    shutil.rmtree(folder, ignore_errors=True)
                shutil.rmtree(work, ignore_errors=True)
            results.append(res)
    return results, kiwi


# -- printing ----------------------------------------------------------------------------------------
def _f(v: float, digits: int = 2) -> str:
    return f"{v:,.{digits}f}"


def _parts(parts: dict[str, float], total: float) -> str:
    keys = ("read", "parse", "tokenize", "index", "save")
    shown = [f"{parts[k]:.2f}" if k in parts else "-" for k in keys]
    rest = total - sum(parts.values())
    return "/".join(shown) + f" +{rest:.2f}"


def verdicts(results: list[Result], kiwi: KiwiCold) -> list[tuple[str, str, str]]:
    """(PASS/FAIL, target, figure) for every target that this run measured."""
    out: list[tuple[str, str, str]] = []

    def check(ok: bool, target: str, figure: str) -> None:
        out.append(("PASS" if ok else "FAIL", target, figure))

    for r in results:
        if r.skipped:
            continue
        if r.size == "corpora":
            check(
                r.query_p50_ms <= TARGET_P50_SMALL_MS,
                f"query p50 <= {TARGET_P50_SMALL_MS:g} ms at ~2k sections",
                f"{r.query_p50_ms:.3f} ms ({r.sections:,} sections)",
            )
            ratio = r.query_p50_ms / r.peer_p50_ms
            check(
                ratio <= TARGET_QUERY_RATIO,
                f"query p50 <= {TARGET_QUERY_RATIO:g} x peer on the corpora",
                f"{ratio:.3f} x ({r.query_p50_ms:.3f} / {r.peer_p50_ms:.3f} ms)",
            )
            check(
                r.rss_mb <= TARGET_RSS_MB,
                f"peak RSS <= {TARGET_RSS_MB:g} MB serving the corpora",
                f"{r.rss_mb:.0f} MB",
            )
        if r.size.isdigit() and int(r.size) >= 100_000:
            check(
                r.query_p50_ms <= TARGET_P50_LARGE_MS,
                f"query p50 <= {TARGET_P50_LARGE_MS:g} ms at 100k sections",
                f"{r.query_p50_ms:.3f} ms ({r.sections:,} sections); memory {r.rss_mb:.0f} MB",
            )
        ratio = r.full_s / r.peer_tok_s if r.peer_tok_s else float("inf")
        check(
            ratio <= TARGET_REINDEX_RATIO,
            f"[{r.label}] full reindex <= {TARGET_REINDEX_RATIO:g} x peer tokenizing",
            f"{ratio:.2f} x ({r.full_s:.1f} / {r.peer_tok_s:.1f} s)",
        )
        check(
            r.incr_s <= TARGET_INCREMENTAL_S,
            f"[{r.label}] one changed file <= {TARGET_INCREMENTAL_S:g} s beyond start-up",
            f"{r.incr_s:.2f} s",
        )
        limit = kiwi.seconds + TARGET_COLD_EXTRA_S
        check(
            r.cold_s <= limit,
            f"[{r.label}] cold start <= Kiwi's own + {TARGET_COLD_EXTRA_S:g} s ({limit:.2f} s)",
            f"{r.cold_s:.2f} s (+{r.cold_s - kiwi.seconds:.2f} s)",
        )
    return out


def render(results: list[Result], kiwi: KiwiCold, cold_runs: int) -> str:
    from importlib.metadata import version

    done = [r for r in results if not r.skipped]
    head = f"{'':<38}" + "".join(f"{r.label:>17}" for r in done) + "   target"
    lines = [
        f"python -m bot bench: {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"kiwipiepy {version('kiwipiepy')}, rank-bm25 {version('rank-bm25')}, numpy {np.__version__}",
        f"Kiwi's own cold start (subprocess: Kiwi() + first tokenize, median of {len(kiwi.runs)}): "
        f"{kiwi.seconds:.2f} s [{', '.join(f'{t:.2f}' for t in kiwi.runs)}], peak RSS {kiwi.rss_mb:.0f} MB",
        "",
        head,
        "-" * len(head),
    ]

    def row(name: str, cell: Callable[[Result], str], target: str = "") -> None:
        lines.append(
            f"{name:<38}" + "".join(f"{cell(r):>17}" for r in done) + (f"   {target}" if target else "")
        )

    row("sections / files", lambda r: f"{r.sections:,} / {r.files:,}")
    row("characters (title + body)", lambda r: f"{r.chars:,}")
    lines.append("ours")
    row("  start-up: Analyzer + 1st call s", lambda r: _f(r.startup_s))
    row(
        "  query p50 ms",
        lambda r: _f(r.query_p50_ms, 3),
        f"<= {TARGET_P50_SMALL_MS:g} at ~2k, <= {TARGET_P50_LARGE_MS:g} at 100k",
    )
    row("  query p99 ms", lambda r: _f(r.query_p99_ms, 3))
    row("  queries timed / answered of 50", lambda r: f"{r.query_n} / {r.answered}")
    row("  full reindex s", lambda r: _f(r.full_s), f"<= {TARGET_REINDEX_RATIO:g} x peer tokenizing")
    row("    read/parse/tokenize/index/save +rest", lambda r: _parts(r.full_parts, r.full_s))
    row("  one-file reindex s", lambda r: _f(r.incr_s), f"<= {TARGET_INCREMENTAL_S:g}")
    row("    read/parse/tokenize/index/save +rest", lambda r: _parts(r.incr_parts, r.incr_s))
    row(
        f"  cold start s (median of {cold_runs})",
        lambda r: _f(r.cold_s),
        f"<= {kiwi.seconds + TARGET_COLD_EXTRA_S:.2f} (Kiwi {kiwi.seconds:.2f} + {TARGET_COLD_EXTRA_S:g})",
    )
    row("    beyond Kiwi's cold start s", lambda r: f"{r.cold_s - kiwi.seconds:+.2f}")
    row("  peak RSS serving MB", lambda r: _f(r.rss_mb, 0), f"<= {TARGET_RSS_MB:g} on the corpora")
    row("    RSS after index load MB", lambda r: _f(r.rss_loaded_mb, 0))
    row("    peak RSS of the cold-start ask MB", lambda r: _f(r.cold_rss_mb, 0))
    row("  index on disk MB (JSON part)", lambda r: f"{r.index_mb:.1f} ({r.index_meta_mb:.1f})")
    lines.append("naive peer (Kiwi() defaults per section + rank_bm25.BM25Okapi)")
    row("  tokenizing s", lambda r: _f(r.peer_tok_s) + ("*" if r.peer_tok_note else ""))
    row("  BM25Okapi build s", lambda r: _f(r.peer_build_s) + ("**" if r.peer_build_note else ""))
    row("  query p50 ms", lambda r: _f(r.peer_p50_ms, 3))
    row("  query p99 ms", lambda r: _f(r.peer_p99_ms, 3))
    row("  queries timed", lambda r: str(r.peer_n))
    lines.append("ratios ours / peer")
    row(
        "  query p50",
        lambda r: _f(r.query_p50_ms / r.peer_p50_ms, 3),
        f"<= {TARGET_QUERY_RATIO:g} on the corpora",
    )
    row("  query p99", lambda r: _f(r.query_p99_ms / r.peer_p99_ms, 3))
    row(
        "  full reindex / peer tokenizing",
        lambda r: _f(r.full_s / r.peer_tok_s) if r.peer_tok_s else "-",
        f"<= {TARGET_REINDEX_RATIO:g}",
    )
    for r in results:
        if r.skipped:
            lines.append(f"{r.label}: skipped, {r.skipped}")
    if any(r.peer_tok_note for r in done):
        lines.append("*  " + next(r.peer_tok_note for r in done if r.peer_tok_note))
    if any(r.peer_build_note for r in done):
        lines.append("** " + next(r.peer_build_note for r in done if r.peer_build_note))
    lines += [
        "Query latency: Engine.ask on a warm engine, question tokenizing included; peer: Kiwi tokenize +",
        "get_scores + top 10. Full reindex excludes start-up (Kiwi construction and its lazy first call);",
        "'+rest' is discovery, hashing, snippets and bookkeeping. Cold start: process spawn to exit of",
        "`python -m bot ask --json` with the index saved. Synthetic sizes include the seed note.",
        "",
        "targets:",
    ]
    lines += [f"  {v}  {t}: {fig}" for v, t, fig in verdicts(results, kiwi)]
    return "\n".join(lines)


def to_json(results: list[Result], kiwi: KiwiCold) -> dict[str, Any]:
    return {
        "kiwi_cold_start": asdict(kiwi),
        "sizes": [asdict(r) for r in results],
        "targets": [{"verdict": v, "target": t, "figure": f} for v, t, f in verdicts(results, kiwi)],
    }


def parse_sizes(text: str) -> list[str]:
    out = []
    for part in (p.strip().lower() for p in text.split(",")):
        if not part:
            continue
        if part in ("seed", "corpora"):
            out.append(part)
            continue
        n = part.replace("_", "")
        n = str(int(float(n[:-1]) * 1000)) if n.endswith("k") else n
        if not n.isdigit() or int(n) < 1:
            from bot.errors import BotError

            raise BotError(f"--sizes: expected seed, corpora or a number of sections, got {part!r}")
        out.append(str(int(n)))
    return out


def main(args: argparse.Namespace, config: Config) -> int:
    sizes = parse_sizes(args.sizes)
    corpora = Path(args.corpora) if args.corpora else DEFAULT_CORPORA
    cold_runs = int(getattr(args, "cold_runs", 3) or 3)
    as_json = bool(getattr(args, "json", False))
    started = time.perf_counter()

    def log(msg: str) -> None:
        print(f"[bench {time.perf_counter() - started:6.0f}s] {msg}", file=sys.stderr, flush=True)

    results, kiwi = run_bench(sizes, corpora, config, cold_runs, log)
    if as_json:
        print(json.dumps(to_json(results, kiwi), ensure_ascii=False))
    else:
        print(render(results, kiwi, cold_runs))
        print(f"\n(bench took {time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    from bot.config import load_config

    p = argparse.ArgumentParser(prog="python -m bot.evaluation.bench")
    p.add_argument("--config", default="config.toml")
    p.add_argument("--corpora", default=None)
    p.add_argument("--sizes", default="seed,corpora,10000,100000")
    p.add_argument("--cold-runs", type=int, default=3)
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    raise SystemExit(main(a, load_config(a.config)))
