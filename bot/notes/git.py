"""Notes from Git: clone the configured remote into the knowledge folder, or fetch and fast-forward it.

The git command line, not a library (pygit2, dulwich, GitPython): git is what maintainers already have
and use on the server, it speaks every transport and credential helper they set up, and it costs the
project no dependency. It is run with an argument list (never a shell), ``GIT_TERMINAL_PROMPT=0`` and
ssh in batch mode (a missing credential fails instead of waiting for a prompt), and a timeout per command.

Only fast-forwards are applied. A rewritten or diverged history, a local edit, an unreachable remote or a
failed clone raise GitError: one line naming the remote and the branch, with any credentials in the URL
replaced by ``***`` (in that line, in git's own messages quoted in it, and in every log line). Nothing is
changed in the folder then, so the index built from it keeps serving. The pulled files are notes like any
other: read by the same checks as hand-copied ones (size, encoding, NUL bytes, file names).
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bot.errors import BotError

log = logging.getLogger(__name__)

_LOCK = threading.Lock()  # one git operation at a time in this process (a timer and /reindex may race)
_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)[^/@\s]*@")


class GitError(BotError):
    """A pull that could not fast-forward; str() is the one line for people (no credentials)."""


@dataclass(frozen=True)
class PullResult:
    action: str  # "cloned" | "fast-forwarded" | "up to date"
    before: str  # commit before ("" after a clone)
    after: str  # commit now checked out
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return self.before != self.after

    def describe(self, remote: str, branch: str) -> str:
        short = self.after[:12]
        if self.action == "fast-forwarded":
            return f"{redact(remote)} ({branch}): fast-forwarded {self.before[:12]}..{short}"
        return f"{redact(remote)} ({branch}): {self.action} at {short}"


def redact(text: str) -> str:
    """Text with the user:password@ part of every URL in it replaced by ***@."""
    return _USERINFO.sub(lambda m: f"{m['scheme']}***@", text)


def _strip_credentials(url: str) -> str:
    """The URL without user info, for the clone's saved origin (the configured URL is used to fetch)."""
    if "://" not in url:
        return url
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["GIT_TERMINAL_PROMPT"] = "0"  # never wait for a password on a terminal
    env.setdefault("GIT_SSH_COMMAND", "ssh -o BatchMode=yes")  # nor for ssh's
    env["GCM_INTERACTIVE"] = "never"  # Git Credential Manager
    env["LC_ALL"] = "C"  # git's messages in English: they are quoted in our one line
    env.pop("GIT_DIR", None)
    env.pop("GIT_WORK_TREE", None)
    return env


class _Git:
    def __init__(self, folder: Path, remote: str, branch: str, timeout: float) -> None:
        self.folder, self.remote, self.branch, self.timeout = folder, remote, branch, timeout

    def fail(self, what: str) -> GitError:
        return GitError(f"git: {what}: remote {redact(self.remote)}, branch {self.branch}")

    def run(
        self, *args: str, cwd: Path | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        cmd = ["git", "-c", "core.hooksPath=/dev/null", "-c", "credential.interactive=never", *args]
        try:
            done = subprocess.run(
                cmd,
                cwd=cwd or self.folder,
                env=_env(),
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                encoding="utf-8",
                errors="replace",
                timeout=self.timeout,
                check=False,
            )
        except FileNotFoundError:
            raise self.fail("the git command is not installed") from None
        except subprocess.TimeoutExpired:
            raise self.fail(f"git {args[0]} took longer than {self.timeout:g}s") from None
        if check and done.returncode != 0:
            raise self.fail(f"git {args[0]} failed ({_last_line(done.stderr)})")
        return done

    def head(self) -> str:
        return self.run("rev-parse", "--verify", "HEAD^{commit}").stdout.strip()


def _last_line(stderr: str) -> str:
    lines = [ln.strip() for ln in redact(stderr).splitlines() if ln.strip()]
    fatal = [ln for ln in lines if ln.startswith(("fatal:", "error:"))]
    return (fatal or lines or ["no message"])[-1][:300]


def pull(folder: Path, remote: str, branch: str, timeout: float = 120.0) -> PullResult:
    """Bring folder to the tip of remote's branch: a clone when the folder is missing or empty, else a
    fetch and a fast-forward. Raises GitError (nothing changed in the folder) when that is not possible."""
    started = time.perf_counter()
    git = _Git(folder, remote, branch, timeout)
    with _LOCK:
        if not folder.exists() or (folder.is_dir() and not any(folder.iterdir())):
            result = _clone(git)
        elif not folder.is_dir():
            raise git.fail(f"the knowledge folder is not a folder ({folder})")
        else:
            result = _fast_forward(git)
    result = PullResult(result.action, result.before, result.after, round(time.perf_counter() - started, 3))
    log.debug("git pull %s in %.2fs", result.describe(remote, branch), result.seconds)
    return result


def _clone(git: _Git) -> PullResult:
    folder = git.folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    created = not folder.exists()
    try:
        git.run(
            "clone", "--quiet", "--no-tags", "--single-branch", "--branch", git.branch,
            "--", git.remote, str(folder),
            cwd=folder.parent,
        )  # fmt: skip
    except GitError:
        if created and folder.exists() and not any(folder.iterdir()):
            folder.rmdir()
        raise
    # The checkout keeps no password: fetches use the configured URL, not the saved one.
    git.run("remote", "set-url", "origin", _strip_credentials(git.remote))
    return PullResult("cloned", "", git.head())


def _fast_forward(git: _Git) -> PullResult:
    top = git.run("rev-parse", "--show-toplevel", check=False)
    if top.returncode != 0 or Path(top.stdout.strip()).resolve() != git.folder.resolve():
        why = f": {_last_line(top.stderr)}" if top.returncode != 0 else ""  # e.g. git's "dubious ownership"
        raise git.fail(f"the knowledge folder is not empty and not a git checkout ({git.folder}{why})")
    dirty = git.run("status", "--porcelain", "--untracked-files=normal").stdout
    if dirty.strip():
        names = [ln[3:] for ln in dirty.splitlines()][:3]
        raise git.fail(f"local changes in the knowledge folder ({', '.join(names)}); commit or discard them")
    before = git.head()
    ref = f"refs/heads/{git.branch}"
    fetched = git.run("fetch", "--quiet", "--no-tags", "--no-write-fetch-head", "--", git.remote,
                      f"+{ref}:refs/remotes/origin/{git.branch}", check=False)  # fmt: skip
    if fetched.returncode != 0:
        raise git.fail(f"cannot fetch ({_last_line(fetched.stderr)})")
    after = git.run("rev-parse", "--verify", f"refs/remotes/origin/{git.branch}^{{commit}}").stdout.strip()
    if after == before:
        return PullResult("up to date", before, after)
    ancestor = git.run("merge-base", "--is-ancestor", before, after, check=False)
    if ancestor.returncode != 0:
        behind = git.run("merge-base", "--is-ancestor", after, before, check=False).returncode == 0
        what = "the checkout has commits the remote lacks" if behind else "the remote's history was rewritten"
        raise git.fail(f"refusing to pull: not a fast-forward ({what}; {before[:12]} vs {after[:12]})")
    git.run("merge", "--quiet", "--ff-only", "--no-edit", after)
    return PullResult("fast-forwarded", before, after)
