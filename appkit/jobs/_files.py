"""The files beside the scheduler's database: run logs, and the locks that tell whether a
process is alive.

    <data>/app-jobs.db            the database
    <data>/app-jobs.db-runs/
        logs/17.log               what run 17 wrote to stdout and stderr
        locks/run-17-1.lock       held by the worker of run 17's first claim
        locks/scheduler-ab12.lock held by scheduler ab12 while it runs
        locks/free/               run locks no process holds any more, for the next runs

A lock held by a process is released by the operating system when the process ends, however
it ends (SIGKILL, a crash, a power cut). So "is this lock held?" tells whether a worker or a
scheduler still exists, without trusting a pid that may have been reused.

A worker takes its run's lock file from ``locks/free`` when there is one (a rename) and
puts it back there when its run has ended, unlocked: creating a file costs far more than
renaming one on some file systems (a third of a millisecond, against microseconds).
"""

from __future__ import annotations

import codecs
import contextlib
import os
import signal
import sys
from pathlib import Path

__all__ = ["RunFiles", "hold", "release", "is_held", "read_log", "kill_group", "hold_run_lock",
           "release_run_lock", "name"]


class RunFiles:
    """Where the logs and locks of the database at ``db_path`` are."""

    def __init__(self, db_path: Path) -> None:
        self.root = db_path.with_name(f"{db_path.name}-runs")
        self.logs = self.root / "logs"
        self.locks = self.root / "locks"
        self.free_locks = self.locks / "free"

    def ensure(self) -> None:
        """Create the folders (private to the user)."""
        for folder in (self.root, self.logs, self.locks, self.free_locks):
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)

    def log(self, run_id: int) -> Path:
        """The log file of run ``run_id``."""
        return self.logs / f"{int(run_id)}.log"

    def run_lock(self, run_id: int, claim: int) -> Path:
        """The lock the worker of claim number ``claim`` of run ``run_id`` holds while it
        lives."""
        return self.locks / f"run-{int(run_id)}-{int(claim)}.lock"

    def scheduler_lock(self, scheduler_id: str) -> Path:
        """The lock scheduler ``scheduler_id`` holds while it runs."""
        return self.locks / f"scheduler-{scheduler_id}.lock"


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _lock(fd: int, wait: bool) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_LOCK if wait else msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        with contextlib.suppress(OSError):
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock(fd: int, wait: bool) -> bool:
        # flock, not lockf: flock locks belong to the open file, so a second open in the
        # same process (a check) sees the lock too.
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


def hold(path: Path, *, wait: bool = True) -> int | None:
    """Create ``path`` if needed and lock it; returns the open descriptor that holds the
    lock (close it, or end the process, to release it), or None when ``wait`` is False and
    another process holds it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    if _lock(fd, wait):
        return fd
    os.close(fd)
    return None


def release(fd: int, path: Path | None = None) -> None:
    """Release a lock taken with ``hold``; with ``path``, delete the file first (nobody
    needs it any more: a missing lock file reads as "not held")."""
    if path is not None:
        with contextlib.suppress(OSError):  # Windows cannot delete an open file
            path.unlink()
    with contextlib.suppress(OSError):
        _unlock(fd)
    os.close(fd)


def hold_run_lock(path: Path, free: Path) -> int:
    """``hold(path)`` for a run's lock, with a file taken from the folder ``free`` when it
    has one (renamed to ``path``: the run's lock path never exists before its worker
    takes it)."""
    with contextlib.suppress(OSError), os.scandir(free) as entries:
        for entry in entries:
            mine = path.with_name(f"{path.name}.taking")  # out of ``free``: only ours
            try:
                os.rename(entry.path, mine)  # atomic: another worker cannot take it too
            except OSError:
                continue  # taken meanwhile
            name(mine, path)
            break
    fd = hold(path)
    assert fd is not None  # a waiting hold always returns the descriptor
    return fd


def name(file: Path, path: Path) -> bool:
    """Give ``file`` the name ``path`` instead, unless ``path`` exists (then ``file`` is
    removed); whether it did. (A rename would replace what is at ``path``.)"""
    try:
        os.link(file, path)
    except OSError:
        return False
    finally:
        with contextlib.suppress(OSError):
            os.unlink(file)
    return True


def release_run_lock(fd: int, path: Path, free: Path) -> None:
    """Release a run's lock taken with ``hold_run_lock``: unlocked, its file goes to the
    folder ``free`` (unlocked first: a lock file that is missing or not locked both read as
    "not held"; a file in ``free`` is never locked)."""
    with contextlib.suppress(OSError):
        _unlock(fd)
    os.close(fd)
    try:
        os.rename(path, free / f"{os.getpid()}-{path.name}")
    except OSError:
        with contextlib.suppress(OSError):
            path.unlink()


def is_held(path: Path) -> bool:
    """Whether some process holds the lock at ``path`` (a missing file is not held)."""
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        if _lock(fd, False):
            _unlock(fd)
            return False
        return True
    finally:
        os.close(fd)


def kill_group(pid: int) -> None:
    """Kill process ``pid`` and, on POSIX, its process group (the worker called
    ``setsid``, so the group is the worker and every process it started). Only call it
    while ``pid`` cannot have been reused: the caller's child not yet reaped, or a worker
    whose lock is held."""
    if sys.platform == "win32":  # pragma: no cover - Windows only
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGTERM)  # TerminateProcess
        return
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        # Not a group leader yet (between fork and setsid): it has no children either.
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    except PermissionError:
        pass  # already gone and the number reused by someone else's process


def read_log(path: Path, offset: int = 0, limit: int | None = None, *,
             final: bool = False) -> tuple[str, int]:
    """The text of the log at ``path`` from byte ``offset`` (at most ``limit`` bytes), and
    the offset after it. A character cut in two at the end is left for the next read,
    unless ``final``. A missing log is empty."""
    offset = max(0, int(offset))
    try:
        with open(path, "rb") as handle:
            if offset >= os.fstat(handle.fileno()).st_size:
                data = b""  # nothing there yet (and a huge offset would not seek)
            else:
                handle.seek(offset)
                data = handle.read() if limit is None else handle.read(limit)
    except FileNotFoundError:
        return "", offset
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    text = decoder.decode(data, final=final)
    pending = len(decoder.getstate()[0])
    return text, offset + len(data) - pending
