"""Files written whole or not at all: beside the old one under a name no other writer uses, fsynced, then
swapped in with one os.replace (readers see the old file or the new, never a mix). A writer killed
mid-way leaves its temporary file; the next write, or `sweep` at a start, removes it."""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

STALE_TMP_SECONDS = 600  # no save takes this long: an older temporary file is a dead writer's


def write_atomically(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """Write path through `write(fh)`; OSError (and no temporary file left) if it cannot."""
    folder = path.parent
    folder.mkdir(parents=True, exist_ok=True)
    sweep(path)
    # A name no other writer (process or thread) uses; the usual permissions (0666 less umask).
    tmp: Path | None = folder / f".{path.name}.{os.getpid()}.{secrets.token_hex(6)}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # type: ignore[arg-type]
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)  # type: ignore[arg-type]
        tmp = None
        _fsync_dir(folder)
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                tmp.unlink()


def sweep(path: Path) -> None:
    """Remove the temporary files of path's killed writers: their process is gone, or the file is older
    than any save takes (the pid may have been reused, as in a container restarted)."""
    now = time.time()
    prefix = f".{path.name}."
    with contextlib.suppress(OSError):
        for leftover in path.parent.glob(f"{prefix}*.tmp"):
            pid_text = leftover.name[len(prefix) :].split(".", 1)[0]
            pid = int(pid_text) if pid_text.isdigit() else 0
            with contextlib.suppress(OSError):
                if pid and _alive(pid) and now - leftover.stat().st_mtime < STALE_TMP_SECONDS:
                    continue
                leftover.unlink()


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except OSError as err:
        return err.errno == errno.EPERM  # exists, owned by someone else
    return True


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (POSIX); harmless where directories cannot be opened."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
