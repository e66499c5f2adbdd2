"""`python -m bot report` over a seeded question log: the --json contract checked against what was asked,
near-duplicates grouped, never-hit notes, per day; the rich tables; the offline --html page."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from bot.answers.types import Answer, Result
from bot.cli import main as cli_main
from bot.insight.log import Origin, QuestionLog, asked_from
from bot.insight.report import build_report, group_questions, words
from bot.notes.section import Section

DAY = 86400.0


def answer(question: str, location: str | None) -> Answer:
    if location is None:
        return Answer(question, False, (), "no")
    source, line = location.split(":")
    s = Section(source, int(line), ("Docker", f"title {line}"), 2, "", "")
    return Answer(question, True, (Result(s, 5.0),))


ASKED = [  # (question, best location or None = declined, days ago)
    ("도커 설치", "docker.md:9", 0),
    ("도커 설치 방법", "docker.md:9", 1),
    ("도커 장점", "docker.md:40", 1),
    ("오늘 점심 뭐 먹지", None, 0),
    ("점심 뭐 먹지?", None, 1),
    ("점심 뭐 먹지", None, 2),
    ("쿠버네티스가 뭐야", None, 0),
    ("쿠버네티스란?", None, 2),
    ("nginx 설정", None, 3),
    ("아주 오래된 질문", None, 30),  # outside --days 7
]


@pytest.fixture
def seeded(tmp_path: Path) -> tuple[Path, Path, float]:
    """(config.toml, the log, now): a knowledge folder of three notes and the log of ASKED plus votes."""
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    for name in ("docker.md", "k8s.md", "sub/nginx.md"):
        (knowledge / name).parent.mkdir(parents=True, exist_ok=True)
        (knowledge / name).write_text("# x\n", encoding="utf-8")
    db = tmp_path / "cache" / "questions.sqlite3"
    q = QuestionLog(db).start()
    now = time.time()
    real = time.time
    try:
        for i, (question, location, ago) in enumerate(ASKED):
            time.time = lambda ago=ago: real() - ago * DAY  # type: ignore[assignment]
            with asked_from(Origin("slash" if i % 2 else "mention", 1, 2, i)):
                q.record_answer(answer(question, location), 1.0 + i)
        time.time = real  # type: ignore[assignment]
        for vote, location in [("down", "docker.md:9"), ("down", "docker.md:9"), ("down", "docker.md:40")]:
            q.record_vote(vote, question="도커 설치", location=location, origin=Origin("vote", 1, 2, 9))
        q.record_vote("up", question="도커 장점", location="docker.md:40")
        assert q.flush()
    finally:
        time.time = real  # type: ignore[assignment]
        q.close()
    config = tmp_path / "config.toml"
    config.write_text(
        f'[knowledge]\ndir = "{knowledge}"\ncache_dir = "{tmp_path / "cache"}"\n', encoding="utf-8"
    )
    return config, db, now


def test_report_json_matches_what_was_asked(seeded, capsys, monkeypatch) -> None:
    config, _, _ = seeded
    monkeypatch.setattr(cli_main, "setup_logging", lambda *a, **k: None)
    assert cli_main.main(["--config", str(config), "report", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert (r["questions"], r["answered"], r["declined"]) == (9, 3, 6)
    assert (
        r["unanswered"][:3]
        == [
            {"question": "점심 뭐 먹지", "count": 3, "variants": ["점심 뭐 먹지?", "오늘 점심 뭐 먹지"]},
            {"question": "쿠버네티스란?", "count": 2, "variants": ["쿠버네티스가 뭐야"]},
            {"question": "nginx 설정", "count": 1, "variants": []},
        ]
        and len(r["unanswered"]) == 3
    )
    assert r["votes"] == {"up": 1, "down": 3}
    assert [(d["location"], d["count"]) for d in r["downvoted"]] == [("docker.md:9", 2), ("docker.md:40", 1)]
    assert r["downvoted"][0]["title"] == "Docker › title 9"
    assert [(s["location"], s["count"]) for s in r["top_sections"]] == [
        ("docker.md:9", 2),
        ("docker.md:40", 1),
    ]
    assert r["never_hit"] == ["k8s.md", "sub/nginx.md"]
    assert len(r["per_day"]) == 8 and sum(d["questions"] for d in r["per_day"]) == 9
    today = r["per_day"][-1]
    assert (today["questions"], today["answered"], today["declined"]) == (3, 1, 2)
    assert r["answer_rate"] == round(3 / 9, 4) and r["sources"] == {"mention": 5, "slash": 4}
    assert cli_main.main(["--config", str(config), "report", "--json", "--days", "60"]) == 0
    assert json.loads(capsys.readouterr().out)["questions"] == 10


def test_report_rich_tables(seeded, capsys, monkeypatch) -> None:
    config, _, _ = seeded
    monkeypatch.setattr(cli_main, "setup_logging", lambda *a, **k: None)
    monkeypatch.setenv("COLUMNS", "160")
    assert cli_main.main(["--config", str(config), "report"]) == 0
    out = capsys.readouterr().out
    assert "9 questions, 3 answered, 6 declined" in out and "점심 뭐 먹지" in out
    assert "👎 answers by section" in out and "docker.md:9" in out and "k8s.md" in out


def test_report_prints_what_users_typed_as_text(seeded, capsys, monkeypatch) -> None:
    """A logged question is anyone's text: "[/b]" was read as rich markup (MarkupError: no report),
    "[bold]" vanished, and an ESC sequence reached the maintainer's terminal."""
    config, db, _ = seeded
    q = QuestionLog(db).start()
    for text in ("도커 [/b] 설치", "[bold]굵게[/bold] 질문", "터미널 \x1b]0;hacked\x07 제목"):
        q.record_answer(answer(text, None), 1.0)
    q.flush()
    q.close()
    monkeypatch.setattr(cli_main, "setup_logging", lambda *a, **k: None)
    monkeypatch.setenv("COLUMNS", "200")
    assert cli_main.main(["--config", str(config), "report"]) == 0
    out = capsys.readouterr().out
    assert "도커 [/b] 설치" in out and "[bold]굵게[/bold] 질문" in out
    assert "\x1b]0" not in out and "hacked" in out


def test_report_html_is_self_contained_and_escapes_questions(seeded, tmp_path, capsys, monkeypatch) -> None:
    pytest.importorskip("plotly")
    config, db, _ = seeded
    q = QuestionLog(db).start()
    q.record_answer(answer("<script>alert(1)</script> 도커", None), 1.0)
    q.flush()
    q.close()
    monkeypatch.setattr(cli_main, "setup_logging", lambda *a, **k: None)
    out = tmp_path / "report.html"
    assert cli_main.main(["--config", str(config), "report", "--html", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    assert "Plotly.newPlot" in page and len(page) > 1_000_000  # plotly.js inlined
    assert 'src="http' not in page and "cdn.plot.ly" not in page.split("Plotly.newPlot")[1]


def test_a_missing_log_is_an_empty_report(tmp_path: Path) -> None:
    r = build_report(tmp_path / "none.sqlite3", 7, notes=["a.md"])
    assert (r["questions"], r["unanswered"], r["votes"], r["never_hit"]) == (
        0,
        [],
        {"up": 0, "down": 0},
        ["a.md"],
    )


def test_the_report_before_any_question_is_logged(tmp_path: Path, capsys, monkeypatch) -> None:
    """A fresh install (or a CLI-only user: `ask` logs nothing) has no log yet: empty days, no crash."""
    config = tmp_path / "config.toml"
    config.write_text(f'[insight]\npath = "{tmp_path / "none.sqlite3"}"\n', encoding="utf-8")
    monkeypatch.setattr(cli_main, "setup_logging", lambda *a, **k: None)
    assert cli_main.main(["--config", str(config), "report", "--days", "3"]) == 0
    assert "error" not in capsys.readouterr().err
    assert cli_main.main(["--config", str(config), "report", "--html", str(tmp_path / "r.html")]) == 0
    r = build_report(tmp_path / "none.sqlite3", 3)
    assert [d["answer_rate"] for d in r["per_day"]] == [None] * len(r["per_day"]) and r["per_day"]


def test_a_file_that_is_no_log_is_one_line(tmp_path: Path, capsys, monkeypatch) -> None:
    bad = tmp_path / "q.sqlite3"
    bad.write_bytes(b"garbage" * 100)
    config = tmp_path / "config.toml"
    config.write_text(f'[insight]\npath = "{bad}"\n', encoding="utf-8")
    monkeypatch.setattr(cli_main, "setup_logging", lambda *a, **k: None)
    assert cli_main.main(["--config", str(config), "report", "--json"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: cannot read the question log") and err.count("\n") == 1


def test_grouping_words() -> None:
    assert (
        words("도커랑ec2차이")
        == words("도커랑 EC2 차이?")
        == words("도커와 EC2의 차이")
        == {"도커", "ec2", "차이"}
    )
    groups = group_questions(["pod log crash"] * 2 + ["pod log error", "x y", "x y z w", "q"])
    assert [(g["question"], g["count"]) for g in groups] == [("pod log crash", 3), ("x y", 2), ("q", 1)]


def test_ten_thousand_questions_report_quickly(tmp_path: Path) -> None:
    """Target ≤ 1 s for 10,000 logged questions (printed; a loose bound only, the machine is shared)."""
    q = QuestionLog(tmp_path / "q.sqlite3").start()
    topics = ["도커", "쿠버네티스", "nginx", "리액트", "점심", "파이썬", "깃", "리눅스", "aws", "ec2"]
    for n in range(10_000):
        a, b = topics[n % 10], topics[(n * 7 + n // 10) % 10]
        q.record_answer(answer(f"{a} {b} 질문 {n % 997}", None if n % 3 else f"docker.md:{n % 50}"), 1.0)
    assert q.flush(30)
    q.close()
    started = time.perf_counter()
    r = build_report(q.path, 7, notes=[f"n{i}.md" for i in range(300)])
    seconds = time.perf_counter() - started
    print(f"report over 10,000 questions: {seconds:.3f}s, {len(r['unanswered'])} groups")
    assert r["questions"] == 10_000 and seconds < 5
