"""The terminal front end, `python -m bot`: the contract of issue 2, section 8.

Real processes for the contract (one Kiwi start-up each, so they all run at once, in one module fixture),
and in-process calls of bot.cli.main.main() over the shared seed engine for the finer points.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from rich.console import Console

from bot.answers.service import AnswerService
from bot.answers.store import EngineStore as IndexStore
from bot.cli import chat, commands
from bot.cli import main as cli_main
from bot.config import parse_config

ROOT = Path(__file__).resolve().parents[1]
KNOWLEDGE = Path(__file__).resolve().parents[1] / "knowledge"
SEED_NOTE = Path(__file__).resolve().parents[1] / "knowledge" / "docker.md"

STDIN_QUESTIONS = [
    "도커와 EC2 차이",
    "",
    "우분투에 도커 설치",
    "   ",
    "김치찌개 레시피",
    "은는이가",
    "@everyone 도커 설치",
    "\x07도커 단점\x1b[0m",
    "🐳",
    ("도커 설치 " * 2000)[:10_000],
]
BAD_BYTES_LINE = (
    b"\xff\xfe \xeb\x8f\x84\xec\xbb\xa4 \xec\x84\xa4\xec\xb9\x98"  # invalid bytes, then "도커 설치"
)
ASKED = [q for q in STDIN_QUESTIONS if q.strip()]

ALT_NOTES = {
    "k8s.md": "# 쿠버네티스 파드\n파드는 쿠버네티스에서 배포하는 가장 작은 단위다.\n",
    "redis.md": "# 레디스 캐시\n레디스는 메모리에 데이터를 두는 저장소다.\n",
    "gc.md": "# 자바 가비지 컬렉션\n쓰지 않는 객체의 메모리를 회수한다.\n",
}


@dataclass
class Run:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str

    def json_lines(self) -> list[dict]:
        return [json.loads(line) for line in self.stdout.splitlines()]


def _stdin_bytes() -> bytes:
    lines = [q.encode() for q in STDIN_QUESTIONS]
    lines.insert(3, BAD_BYTES_LINE)
    return b"\n".join(lines) + b"\n"


# name -> (arguments after `python -m bot`, stdin bytes)
PROCESSES: dict[str, tuple[list[str], bytes | None]] = {
    # no --config: ./config.toml of the working folder (the fixture's tmp folder)
    "ask_json_stdin": (["ask", "--json", "--top", "2"], _stdin_bytes()),
    "ask_human": (["--config", "config.toml", "ask", "도커", "단점은?"], None),
    "install_list": (["install"], None),
    "install_json": (["install", "우분투", "--json"], None),
    "install_unknown": (["install", "debian"], None),
    "alt_knowledge": (
        ["--knowledge", "alt/knowledge", "ask", "--json", "-"],
        "쿠버네티스 파드가 뭐야\n".encode(),
    ),
    "empty_knowledge": (["--knowledge", "empty", "ask", "도커"], None),
    # cheap ones: they fail before Kiwi starts
    "missing_knowledge": (["--knowledge", "nope", "ask", "도커"], None),
    "empty_question": (["ask", "   "], None),
    "empty_json_question": (["ask", "--json", ""], None),
    "bad_key": (["--config", "bad-key.toml", "ask", "도커"], None),
    "bad_type": (["--config", "bad-type.toml", "install"], None),
    "missing_config": (["--config", "nope.toml", "ask", "도커"], None),
    "no_verb": ([], None),
}


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory, make_knowledge) -> Path:
    w = tmp_path_factory.mktemp("cli")
    (w / "config.toml").write_text(
        f'[knowledge]\ndir = "{KNOWLEDGE.as_posix()}"\ncache_dir = "cache"\n', encoding="utf-8"
    )
    (w / "bad-key.toml").write_text("[search]\ntopp = 3\n", encoding="utf-8")
    (w / "bad-type.toml").write_text("[search]\ntop = 'three'\n", encoding="utf-8")
    (w / "empty").mkdir()
    make_knowledge(w / "alt" / "knowledge", ALT_NOTES)  # also named "knowledge": caches must not clash
    return w


@pytest.fixture(scope="module")
def runs(work: Path) -> dict[str, Run]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200", "NO_COLOR": "1"}
    env.pop("PYTHONIOENCODING", None)

    def run(item: tuple[str, tuple[list[str], bytes | None]]) -> tuple[str, Run]:
        name, (args, stdin) = item
        p = subprocess.run(
            [sys.executable, "-m", "bot", *args],
            cwd=work,
            env=env,
            input=stdin if stdin is not None else b"",
            capture_output=True,
            timeout=300,
        )
        out = p.stdout.decode("utf-8")  # strict: the output must be valid UTF-8
        return name, Run(args, p.returncode, out, p.stderr.decode("utf-8", "replace"))

    # As many at a time as there are cores: more only makes each Kiwi start-up slower.
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        return dict(pool.map(run, PROCESSES.items()))


def one_clear_line(r: Run) -> str:
    """The error contract: a non-zero status, one line on stderr, no traceback."""
    assert r.returncode != 0, r
    assert "Traceback" not in r.stderr and "Traceback" not in r.stdout, r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, r.stderr
    return lines[0]


# -- ask ------------------------------------------------------------------------------------------------
def test_ask_json_reads_stdin_one_object_per_question(runs: dict[str, Run]) -> None:
    r = runs["ask_json_stdin"]
    assert r.returncode == 0, r.stderr
    objs = r.json_lines()
    asked = [*ASKED[:2], "\ufffd\ufffd 도커 설치", *ASKED[2:]]
    assert [o["question"] for o in objs] == asked  # one line per question, in order, blank lines skipped
    for o in objs:
        assert {"question", "answered", "results"} <= set(o)
        assert isinstance(o["answered"], bool) and isinstance(o["results"], list)
        assert o["answered"] == bool(o["results"])
        assert len(o["results"]) <= 2  # --top 2
        scores = [res["score"] for res in o["results"]]
        assert scores == sorted(scores, reverse=True)
        for res in o["results"]:
            assert set(res) == {"title", "heading_path", "source", "line", "text", "passage", "score"}
            assert isinstance(res["title"], str) and res["heading_path"][-1] == res["title"]
            assert isinstance(res["source"], str) and isinstance(res["line"], int)
            assert isinstance(res["text"], str) and isinstance(res["score"], float)
    by_q = {o["question"]: o for o in objs}
    ec2 = by_q["도커와 EC2 차이"]["results"][0]
    assert ec2["source"] == "docker.md" and ec2["line"] in (82, 83)
    install = by_q["우분투에 도커 설치"]["results"][0]
    assert install["heading_path"] == ["🧢 Docker", "설치 방법"] and install["line"] == 3
    assert install["text"].count("```") == 6 and install["text"] in SEED_NOTE.read_text(encoding="utf-8")
    assert by_q["\ufffd\ufffd 도커 설치"]["answered"]
    for q in ("김치찌개 레시피", "은는이가", "🐳"):
        assert by_q[q]["answered"] is False and by_q[q]["results"] == []


def test_ask_human_output(runs: dict[str, Run]) -> None:
    r = runs["ask_human"]
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "🧢 Docker › 단점" in out  # the breadcrumb
    assert "docker.md:40" in out  # source and line
    assert "리눅스 운영체제에서만 동작가능하다" in out  # the section's text, rendered
    related = out[out.index("관련 / related") :].splitlines()[1:]
    assert 1 <= len(related) <= 2 and all(
        re.search(r"🧢 Docker › .+\(docker\.md:\d+\)", ln) for ln in related
    )
    assert "{" not in out.splitlines()[0]  # not JSON


# -- install --------------------------------------------------------------------------------------------
def test_install_lists_the_distros(runs: dict[str, Run]) -> None:
    r = runs["install_list"]
    assert r.returncode == 0, r.stderr
    lines = [ln for ln in r.stdout.splitlines() if ln.strip()]
    assert [ln.split()[0] for ln in lines] == ["common", "ubuntu", "centos"]
    assert "우분투" in lines[1] and "센토스" in lines[2] and "docker.md:9" in lines[1]


def test_install_json(runs: dict[str, Run]) -> None:
    r = runs["install_json"]
    assert r.returncode == 0, r.stderr
    (obj,) = r.json_lines()
    assert set(obj) == {"distro", "title", "snippet", "language", "source", "line"}
    assert (obj["distro"], obj["title"], obj["language"], obj["source"], obj["line"]) == (
        "ubuntu",
        "Ubuntu Linux",
        "bash",
        "docker.md",
        9,
    )
    assert obj["snippet"].startswith("sudo apt-get update\n") and obj["snippet"].endswith("docker.sock")


def test_install_unknown_distro_exits_2_naming_the_known_ones(runs: dict[str, Run]) -> None:
    r = runs["install_unknown"]
    assert r.returncode == 2
    line = one_clear_line(r)
    assert "debian" in line
    for key in ("common", "ubuntu", "centos"):
        assert key in line
    assert r.stdout == ""


# -- --knowledge and the cache ---------------------------------------------------------------------------
def test_knowledge_option_uses_that_folder_with_its_own_cache(runs: dict[str, Run], work: Path) -> None:
    r = runs["alt_knowledge"]
    assert r.returncode == 0, r.stderr
    (obj,) = r.json_lines()
    assert obj["answered"] and obj["results"][0]["source"] == "k8s.md"
    assert runs["ask_json_stdin"].json_lines()[0]["results"][0]["source"] == "docker.md"
    caches = sorted(p.parent.name for p in (work / "cache").glob("*/index.npz"))
    assert len(caches) == 2, caches  # both folders are named "knowledge"; their indexes are apart
    assert all(name.startswith("knowledge") for name in caches)


# -- errors: one clear line, never a traceback -----------------------------------------------------------
def test_empty_question(runs: dict[str, Run]) -> None:
    for name in ("empty_question", "empty_json_question"):
        r = runs[name]
        line = one_clear_line(r)
        assert "empty" in line or "비어" in line
        assert r.stdout == ""


def test_missing_knowledge_folder(runs: dict[str, Run], work: Path) -> None:
    line = one_clear_line(runs["missing_knowledge"])
    assert "not found" in line and str(work / "nope") in line


def test_empty_knowledge_folder(runs: dict[str, Run], work: Path) -> None:
    line = one_clear_line(runs["empty_knowledge"])
    assert "no notes" in line and str(work / "empty") in line


def test_bad_config_key(runs: dict[str, Run]) -> None:
    r = runs["bad_key"]
    assert r.returncode == 2
    assert "'search.topp'" in one_clear_line(r)
    r = runs["bad_type"]
    assert r.returncode == 2
    assert "'search.top'" in one_clear_line(r)


def test_missing_config_file(runs: dict[str, Run]) -> None:
    assert "nope.toml" in one_clear_line(runs["missing_config"])


def test_no_verb_prints_help(runs: dict[str, Run]) -> None:
    r = runs["no_verb"]
    assert r.returncode == 2
    for verb in ("ask", "install", "chat", "reindex", "run"):
        assert verb in r.stdout


# -- in-process, over the shared seed engine ------------------------------------------------------------
@pytest.fixture
def cli(seed_engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """main(argv) with the seed engine instead of a new Kiwi start-up; returns (status, out, err)."""
    config = parse_config({"knowledge": {"dir": str(KNOWLEDGE), "cache_dir": str(tmp_path / "c")}}, ROOT)
    service = AnswerService(seed_engine, config, IndexStore(KNOWLEDGE, None))
    starts: list[object] = []

    def start(cfg):
        starts.append(cfg)
        return service

    monkeypatch.setattr(commands, "_service", start)
    monkeypatch.setattr(cli_main, "setup_logging", lambda *a, **k: None)
    monkeypatch.setenv("COLUMNS", "200")

    def call(*argv: str, stdin: bytes | None = None) -> int:
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"))
        return cli_main.main(["--config", str(ROOT / "config.toml"), *argv])

    call.starts = starts  # type: ignore[attr-defined]
    return call


def test_ask_human_declined_shows_suggestions(cli, capsys) -> None:
    assert cli("ask", "김치찌개", "레시피") == 0
    out = capsys.readouterr().out
    assert "찾지 못했어요" in out and "try:" in out and "설치 방법" in out


def test_ask_json_question_words_are_joined(cli, capsys) -> None:
    assert cli("ask", "--json", "--top", "1", "도커", "단점은?") == 0
    (line,) = capsys.readouterr().out.splitlines()
    obj = json.loads(line)
    assert obj["question"] == "도커 단점은?" and len(obj["results"]) == 1
    assert obj["results"][0]["title"] == "단점"


def test_ask_json_without_question_reads_stdin(cli, capsys) -> None:
    assert cli("ask", "--json", stdin="\ufeff도커 설치\r\n\n  \n도커 단점\n".encode()) == 0
    objs = [json.loads(ln) for ln in capsys.readouterr().out.splitlines()]
    assert [o["question"] for o in objs] == ["도커 설치", "도커 단점"]  # BOM, CR and blank lines dropped


def test_many_questions_cost_one_start_up(cli, capsys) -> None:
    questions = ["도커 설치", "도커 단점", "김치찌개", "도커와 EC2 차이", "서버란?"] * 4
    assert cli("ask", "--json", stdin="\n".join(questions).encode()) == 0
    assert len(capsys.readouterr().out.splitlines()) == len(questions)
    assert len(cli.starts) == 1


def test_ask_json_stdin_with_invalid_bytes(cli, capsys) -> None:
    assert cli("ask", "--json", "-", stdin=b"\xff\xfe\n\xeb\x8f\x84\xec\xbb\xa4\n") == 0
    objs = [json.loads(ln) for ln in capsys.readouterr().out.splitlines()]
    assert [o["question"] for o in objs] == ["\ufffd\ufffd", "도커"]


@pytest.mark.parametrize("top", ["0", "11", "-1"])
def test_top_out_of_range(cli, capsys, top: str) -> None:
    assert cli("ask", "--top", top, "도커") != 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--top" in err


def test_install_list_json(cli, capsys) -> None:
    assert cli("install", "--json") == 0
    obj = json.loads(capsys.readouterr().out)
    assert [d["distro"] for d in obj["distros"]] == ["common", "ubuntu", "centos"]
    assert "센토스" in obj["distros"][2]["names"]


def test_install_human_shows_the_snippet(cli, capsys) -> None:
    assert cli("install", "센토스") == 0
    out = capsys.readouterr().out
    assert "sudo yum install docker" in out and "docker.md:19" in out and "CentOS" in out


# -- chat -------------------------------------------------------------------------------------------------
class ScriptedConsole(Console):
    """A rich Console whose input() replays lines, then behaves like Ctrl-D."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__(file=io.StringIO(), width=200, color_system=None)
        self.lines = list(lines)

    def input(self, *args, **kwargs) -> str:  # type: ignore[override]
        if not self.lines:
            raise EOFError
        return self.lines.pop(0)

    @property
    def text(self) -> str:
        return self.file.getvalue()  # type: ignore[attr-defined]


def test_chat_answers_questions_and_commands(seed_engine) -> None:
    config = parse_config({}, ROOT)
    service = AnswerService(seed_engine, config, IndexStore(KNOWLEDGE, None))
    console = ScriptedConsole(
        [
            "",
            "도커와 EC2 차이",
            "/distros",
            "/install 우분투",
            "/install debian",
            "은는이가",
            "/help",
            "/quit",
            "x",
        ]
    )
    assert chat.loop(service, console) == 0
    out = console.text
    assert "❗ 도커와 AWS EC2의 차이" in out and re.search(r"docker\.md:8[23]\b", out)  # path, source:line
    assert "ubuntu" in out and "centos" in out
    assert "sudo apt-get install docker.io" in out
    assert "unknown distro 'debian'" in out  # an error is a line in the chat, not the end of it
    assert "예시:" in out
    assert console.lines == ["x"]  # /quit ended the loop


def test_chat_ends_on_eof(seed_engine) -> None:
    service = AnswerService(seed_engine, parse_config({}, ROOT), IndexStore(KNOWLEDGE, None))
    console = ScriptedConsole(["도커 설치"])
    assert chat.loop(service, console) == 0
    assert "설치 방법" in console.text


def test_ask_human_shows_the_passage_and_full_the_section(cli, capsys) -> None:
    assert cli("ask", "우분투에", "도커", "설치") == 0
    out = capsys.readouterr().out
    assert "apt-get install docker.io" in out and "yum" not in out
    assert cli("ask", "--full", "우분투에", "도커", "설치") == 0
    out = capsys.readouterr().out
    assert "apt-get install docker.io" in out and "yum install docker" in out


def test_chat_full_shows_the_last_answers_section(seed_engine, tmp_path: Path) -> None:
    from rich.console import Console

    from bot.cli import chat

    config = parse_config({"knowledge": {"dir": str(KNOWLEDGE), "cache_dir": str(tmp_path / "c")}}, ROOT)
    service = AnswerService(seed_engine, config, IndexStore(KNOWLEDGE, None))
    console = Console(file=io.StringIO(), width=120, force_terminal=False)
    lines = iter(["우분투에 도커 설치", "/full", "/quit"])
    console.input = lambda *a, **k: next(lines)  # type: ignore[method-assign]
    assert chat.loop(service, console) == 0
    out = console.file.getvalue()  # type: ignore[attr-defined]
    first, _, second = out.partition("/full:")
    assert "apt-get install docker.io" in first and "yum" not in first and "yum install docker" in second


def test_eval_set_choices_are_the_eval_runs() -> None:
    """The CLI names the eval sets itself (it starts without importing the engine): they must be
    evaluation/run.py's."""
    from bot.cli.main import _parser
    from bot.evaluation.run import RUNS

    sub = next(a for a in _parser()._actions if a.dest == "verb" or getattr(a, "choices", None))
    eval_parser = sub.choices["eval"]
    choices = next(a.choices for a in eval_parser._actions if a.dest == "set")
    assert set(choices) == {r[1] for r in RUNS} | {"all"}


def test_eval_on_another_collection(tmp_path: Path, capsys) -> None:
    """`eval --collection DIR` asks DIR/questions.jsonl against the seed note + DIR/corpora's repos."""
    from argparse import Namespace

    from bot.evaluation import run

    repo = tmp_path / "group" / "corpora" / "someone__notes"
    repo.mkdir(parents=True)
    (repo / "clock.md").write_text(
        "# 크로노텍\n\n크로노텍은 파라메트릭 시계 장치다.\n\n## 크로노텍 보정\n\n보정 나사를 돌린다.\n",
        encoding="utf-8",
    )
    want = {"source": "someone__notes/clock.md", "title": "크로노텍 보정", "line": 5}
    lines = [
        {"q": "크로노텍 보정은 어떻게 해?", "expect": [want], "kind": "direct", "set": "corpora"},
        {"q": "파라메트릭 시계 장치 보정 나사", "expect": [want], "kind": "direct", "set": "corpora"},
        {"q": "오늘 점심 뭐 먹지", "expect": [], "kind": "chitchat", "set": "corpora"},
    ]
    text = "\n".join(json.dumps(x, ensure_ascii=False) for x in lines)
    (tmp_path / "group" / "questions.jsonl").write_text(text, encoding="utf-8")
    config = parse_config({"search": {"semantic": "off"}})
    args = Namespace(set="all", corpora=None, json=True, misses=False, collection=[str(tmp_path / "group")])
    assert run.main(args, config) == 0
    report = json.loads(capsys.readouterr().out)
    assert list(report) == ["group"]  # only the collection, none of eval/'s sets
    ours = report["group"][0]
    assert ours["system"] == "ours" and ours["questions"] == 2 and ours["offtopic"] == 1
    assert ours["hit1"] == 1.0 and ours["declined"] == 1.0


def _as_user(args: list[str]) -> list[str]:
    """args run so that file permissions hold (root drops the capabilities that bypass them)."""
    if os.geteuid() != 0:
        return args
    if not Path("/usr/bin/setpriv").exists():
        pytest.skip("root without setpriv reads any folder")
    drop = "-dac_override,-dac_read_search"
    return ["/usr/bin/setpriv", f"--bounding-set={drop}", f"--inh-caps={drop}", *args]


def test_folders_that_cannot_be_read(tmp_path: Path) -> None:
    """An unlistable cache folder is a warning and the answer still comes; an unreadable notes folder is
    one clear line (found by a blind stress test: both were 'unexpected PermissionError')."""
    locked = tmp_path / "locked"
    locked.mkdir()
    config = tmp_path / "config.toml"
    config.write_text(
        f'[knowledge]\ndir = "{KNOWLEDGE.as_posix()}"\ncache_dir = "{(locked / "sub").as_posix()}"\n'
        '[search]\nsemantic = "off"\n',
        encoding="utf-8",
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    locked.chmod(0)
    try:
        run = [sys.executable, "-m", "bot", "--config", str(config)]
        p = subprocess.run(
            _as_user([*run, "ask", "--json", "도커 설치"]), capture_output=True, env=env, timeout=300
        )
        assert p.returncode == 0, p.stderr
        assert json.loads(p.stdout)["answered"] and b"unreadable" in p.stderr
        p = subprocess.run(_as_user([*run, "report"]), capture_output=True, env=env, timeout=300)
        assert p.returncode == 1 and p.stderr.decode().startswith("error: cannot read the question log")
        config.write_text(f'[knowledge]\ncache_dir = "{(tmp_path / "cache").as_posix()}"\n', encoding="utf-8")
        p = subprocess.run(
            _as_user([*run, "--knowledge", str(locked), "ask", "x"]), capture_output=True, env=env
        )
        err = p.stderr.decode()
        assert (
            p.returncode != 0
            and err.startswith("error: cannot read the knowledge folder")
            and err.count("\n") == 1
        )
    finally:
        locked.chmod(0o755)


def test_the_terminal_gets_no_control_sequence_from_a_note() -> None:
    """A note's ESC sequence would set the terminal's title or clear its screen (rich strips BEL, not ESC)."""
    from bot.answers.types import Answer, Result
    from bot.cli import render
    from bot.notes.markdown import parse_sections

    note = "# 색깔 \x1b]0;hacked\x07빨강\n\n빨강은 \x1b[2J색이다.\n\n```bash\necho \x1b[31mred\n```\n"
    sections = parse_sections(note, "c.md")
    out = io.StringIO()
    console = Console(file=out, width=100, color_system=None)
    render.answer(console, Answer("색깔", True, tuple(Result(s, 1.0) for s in sections)))
    render.answer(console, Answer("x\x1b[2J", False, (), "\x1b[2Jnot here", ("\x1b]0;t\x07제목",)))
    text = out.getvalue()
    assert "\x1b" not in text and "빨강은" in text and "색깔" in text and "echo" in text


def test_a_closed_pipe_is_no_error(tmp_path: Path) -> None:
    """`python -m bot install ubuntu | head -1`: the reader gone is no failure (rich exited with 1)."""
    read, write = os.pipe()
    os.close(read)  # every write now fails with EPIPE
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    try:
        p = subprocess.run(
            [sys.executable, "-m", "bot", "install", "ubuntu"], stdout=write, stderr=subprocess.PIPE, env=env
        )
    finally:
        os.close(write)
    err = p.stderr.decode("utf-8", "replace")  # log lines may come (another test's cache), no error
    assert p.returncode == 0 and "Traceback" not in err and "error:" not in err, err
