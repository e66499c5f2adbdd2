"""Notes from Git (bot/notes/git.py, answers/pull.py, `reindex --pull`): a bare repository in a temporary
folder is the remote. Clone, new and deleted notes, a force-pushed history and local edits refused, an
unreachable remote; credentials in the URL never printed; the old index keeps serving on any failure."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from test_store_support import FIVE_TOPICS, note, shared, with_dictionary  # noqa: F401 (fixture)

from bot.answers.pull import pull_and_reindex
from bot.answers.service import AnswerService, tuning_from
from bot.answers.store import EngineStore as IndexStore
from bot.cli import main as cli_main
from bot.config import parse_config
from bot.notes.git import GitError, pull, redact

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")

ENV = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
       "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"}  # fmt: skip


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, env=ENV, check=True, capture_output=True, text=True
    ).stdout.strip()


class Remote:
    """A bare repository (the remote) and a work clone the 'maintainer' pushes from."""

    def __init__(self, tmp: Path) -> None:
        self.bare = tmp / "remote.git"
        self.work = tmp / "maintainer"
        git(tmp, "init", "--quiet", "--bare", "-b", "main", str(self.bare))
        git(tmp, "init", "--quiet", "-b", "main", str(self.work))
        with_dictionary(self.work)
        for i, topic in enumerate(FIVE_TOPICS[:3]):
            (self.work / f"n{i}.md").write_text(note(topic), encoding="utf-8")
        self.commit("first")
        git(self.work, "remote", "add", "origin", str(self.bare))
        git(self.work, "push", "--quiet", "origin", "main")

    def commit(self, message: str) -> str:
        git(self.work, "add", "-A")
        git(self.work, "commit", "--quiet", "-m", message)
        return git(self.work, "rev-parse", "HEAD")

    def push(self, *files: tuple[str, str | None], force: bool = False) -> str:
        for name, text in files:
            if text is None:
                (self.work / name).unlink()
            else:
                (self.work / name).write_text(text, encoding="utf-8")
        head = self.commit("change")
        git(self.work, "push", "--quiet", *(["--force"] if force else []), "origin", "main")
        return head


@pytest.fixture
def remote(tmp_path: Path) -> Remote:
    return Remote(tmp_path)


def test_clone_into_a_missing_then_pull_new_and_deleted_notes(remote: Remote, tmp_path: Path) -> None:
    folder = tmp_path / "bot" / "knowledge"
    r = pull(folder, str(remote.bare), "main")
    assert r.action == "cloned" and r.changed and sorted(p.name for p in folder.glob("*.md")) == [
        "n0.md", "n1.md", "n2.md"]  # fmt: skip
    assert pull(folder, str(remote.bare), "main").action == "up to date"
    head = remote.push(("n3.md", note("기차")), ("n0.md", None))
    r = pull(folder, str(remote.bare), "main")
    assert (r.action, r.after) == ("fast-forwarded", head)
    assert (folder / "n3.md").exists() and not (folder / "n0.md").exists()


def test_clone_into_an_empty_folder(remote: Remote, tmp_path: Path) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    assert pull(folder, str(remote.bare), "main").action == "cloned"


def test_a_force_pushed_history_is_refused_and_nothing_changes(remote: Remote, tmp_path: Path) -> None:
    folder = tmp_path / "k"
    pull(folder, str(remote.bare), "main")
    before = git(folder, "rev-parse", "HEAD")
    git(remote.work, "reset", "--quiet", "--hard", "HEAD")
    git(remote.work, "commit", "--quiet", "--amend", "-m", "rewritten")
    remote.push(("n1.md", note("버스")), force=True)
    with pytest.raises(GitError) as err:
        pull(folder, str(remote.bare), "main")
    line = str(err.value)
    assert "not a fast-forward" in line and "rewritten" in line
    assert str(remote.bare) in line and "branch main" in line and "\n" not in line
    assert git(folder, "rev-parse", "HEAD") == before and "사과" in (folder / "n0.md").read_text()


def test_local_edits_and_local_commits_are_refused(remote: Remote, tmp_path: Path) -> None:
    folder = tmp_path / "k"
    pull(folder, str(remote.bare), "main")
    (folder / "n0.md").write_text("edited on the server", encoding="utf-8")
    remote.push(("n3.md", note("기차")))
    with pytest.raises(GitError, match=r"local changes in the knowledge folder \(n0.md\)"):
        pull(folder, str(remote.bare), "main")
    assert not (folder / "n3.md").exists()
    git(folder, "checkout", "--quiet", "--", "n0.md")
    (folder / "x.md").write_text("mine", encoding="utf-8")
    git(folder, "add", "x.md")
    git(folder, "commit", "--quiet", "-m", "local")
    with pytest.raises(GitError, match="not a fast-forward"):
        pull(folder, str(remote.bare), "main")


def test_unreachable_remote_and_bad_branch(remote: Remote, tmp_path: Path) -> None:
    folder = tmp_path / "k"
    with pytest.raises(GitError, match="branch nope"):
        pull(folder, str(remote.bare), "nope")
    assert not folder.exists()  # a failed clone leaves nothing behind
    pull(folder, str(remote.bare), "main")
    shutil.rmtree(remote.bare)  # the remote disappears
    with pytest.raises(GitError, match="cannot fetch") as err:
        pull(folder, str(remote.bare), "main")
    assert str(remote.bare) in str(err.value)
    other = tmp_path / "notgit"
    other.mkdir()
    (other / "a.md").write_text("x", encoding="utf-8")
    with pytest.raises(GitError, match="not a git checkout"):
        pull(other, str(remote.bare), "main")


def test_credentials_never_reach_a_line(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    assert (
        redact("fetch https://bob:s3cret@git.example/x.git failed")
        == "fetch https://***@git.example/x.git failed"
    )
    assert redact("git@github.com:org/notes.git") == "git@github.com:org/notes.git"
    url = "http://bob:s3cret@127.0.0.1:9/notes.git"  # nothing listens on port 9 (discard)
    with caplog.at_level(logging.DEBUG), pytest.raises(GitError) as err:
        pull(tmp_path / "k", url, "main", timeout=20)
    assert "s3cret" not in str(err.value) and "bob" not in str(err.value)
    assert "http://***@127.0.0.1:9/notes.git" in str(err.value)
    assert "s3cret" not in caplog.text


def test_a_cloned_checkout_keeps_no_password(remote: Remote, tmp_path: Path) -> None:
    from bot.notes import git as gitmod

    assert gitmod._strip_credentials("https://bob:pw@host:8443/a.git") == "https://host:8443/a.git"
    folder = tmp_path / "k"
    pull(folder, f"file://{remote.bare}", "main")
    assert git(folder, "remote", "get-url", "origin") == f"file://{remote.bare}"


# -- with the index: the CLI and the service ---------------------------------------------------------
def config_for(folder: Path, cache: Path, remote_url: str, **extra):
    return parse_config(
        {"knowledge": {"dir": str(folder), "cache_dir": str(cache), "git_remote": remote_url}, **extra},
        folder.parent,
    )


async def test_service_pulls_then_reindexes_and_keeps_serving_on_a_refusal(
    remote: Remote, tmp_path: Path, analyzer
) -> None:
    folder = tmp_path / "k"
    config = config_for(folder, tmp_path / "cache", str(remote.bare))
    pull(folder, str(remote.bare), "main")
    store = IndexStore(folder, config.cache_dir)
    service = AnswerService(store.rebuild(tuning_from(config), None, analyzer=analyzer), config, store)
    assert not service.ask("기차 특징").answered or "기차" not in service.ask("기차 특징").best.section.title
    remote.push(("n3.md", note("기차")))
    report = await pull_and_reindex(service)
    assert report is not None and report.ok and report.files == 4
    assert "기차" in service.ask("기차 특징").best.section.title
    assert await pull_and_reindex(service, only_if_changed=True) is None  # nothing new: no rebuild
    git(remote.work, "commit", "--quiet", "--amend", "-m", "rewritten")
    git(remote.work, "push", "--quiet", "--force", "origin", "main")
    report = await pull_and_reindex(service)
    assert report is not None and not report.ok and "not a fast-forward" in report.error
    assert "기차" in service.ask("기차 특징").best.section.title  # the old index serves


def test_cli_reindex_pull(remote: Remote, tmp_path: Path, capsys, monkeypatch) -> None:
    folder = tmp_path / "k"
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'[knowledge]\ndir = "{folder}"\ncache_dir = "{tmp_path / "cache"}"\ngit_remote = "{remote.bare}"\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(cli_main, "setup_logging", lambda *a, **k: None)
    assert cli_main.main(["--config", str(cfg), "reindex", "--pull", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["files"] == 3 and out["pull"]["action"] == "cloned"
    remote.push(("n3.md", note("기차")))
    assert cli_main.main(["--config", str(cfg), "reindex", "--pull"]) == 0
    captured = capsys.readouterr()
    assert "indexed 4 files" in captured.out and "fast-forwarded" in captured.err
    git(remote.work, "commit", "--quiet", "--amend", "-m", "rewritten")
    git(remote.work, "push", "--quiet", "--force", "origin", "main")
    assert cli_main.main(["--config", str(cfg), "reindex", "--pull"]) == 1
    err = capsys.readouterr().err.strip()
    assert (
        err.count("\n") == 0 and err.startswith("error: git:") and f"remote {remote.bare}, branch main" in err
    )
    no_remote = tmp_path / "plain.toml"
    no_remote.write_text(f'[knowledge]\ndir = "{folder}"\n', encoding="utf-8")
    assert cli_main.main(["--config", str(no_remote), "reindex", "--pull"]) == 1
    assert "git_remote" in capsys.readouterr().err


async def test_the_pull_timer_picks_up_a_push(remote: Remote, tmp_path: Path, analyzer) -> None:
    import asyncio

    from bot.answers.pull import Puller

    folder = tmp_path / "k"
    config = config_for(folder, tmp_path / "cache", str(remote.bare), reload={"pull_minutes": 0.002})
    pull(folder, str(remote.bare), "main")
    store = IndexStore(folder, config.cache_dir)
    service = AnswerService(store.rebuild(tuning_from(config), None, analyzer=analyzer), config, store)
    reports = []
    puller = Puller(service, config, on_report=reports.append).start()
    assert puller.task is not None
    try:
        remote.push(("n3.md", note("기차")))
        for _ in range(200):
            if reports:
                break
            await asyncio.sleep(0.05)
        assert reports and reports[0].ok and reports[0].files == 4
        assert "기차" in service.ask("기차 특징").best.section.title
    finally:
        await puller.stop()
    assert puller.task is None
    off = Puller(service, config_for(folder, tmp_path / "cache", str(remote.bare))).start()
    assert off.task is None  # pull_minutes = 0: no timer
