"""Fixtures for the scheduler's tests: schedulers on a database in the test's own folder,
with the tasks of ``tasks.py``.

Their fallback poll is a minute long, so a test that passes shows that queuing, cancelling
and finishing wake the scheduler by themselves.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from appkit.jobs import Jobs, JobsSettings
from tests.appkit.jobs.tasks import register_all

ROOT = Path(__file__).resolve().parents[3]
MakeJobs = Callable[..., Jobs]
#: Both ways of starting workers, for parametrize (the fork server only on Linux).
KINDS = ["spawn", pytest.param("forkserver", marks=pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the fork server is for Linux"))]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "test-jobs.db"


@pytest.fixture
def make_jobs(db_path: Path) -> Iterator[MakeJobs]:
    """``make_jobs(start=True, **settings)``: a scheduler on the test's database (each
    one made by the test is stopped at its end)."""
    made: list[Jobs] = []

    def make(start: bool = True, **settings: Any) -> Jobs:
        options: dict[str, Any] = {"poll_interval": 60.0, "stop_timeout": 0.5, **settings}
        jobs = Jobs(db_path, JobsSettings(**options))
        register_all(jobs)
        made.append(jobs)
        if start:
            jobs.start()
        return jobs

    yield make
    for jobs in made:
        jobs.stop()


@pytest.fixture
def jobs(make_jobs: MakeJobs) -> Jobs:
    """A started scheduler with the test tasks."""
    return make_jobs()


def wait_until(predicate: Callable[[], Any], timeout: float = 20.0, what: str = "") -> Any:
    """Poll ``predicate`` until it returns something true; fail after ``timeout``."""
    until = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > until:
            pytest.fail(f"timed out after {timeout} s waiting for {what or predicate}")
        time.sleep(0.02)


def alive(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie (PID 1 of a container may never
    reap the orphans it inherits)."""
    if sys.platform == "win32":  # os.kill would end it
        listed = subprocess.run(["tasklist", "/FI", f"PID eq {pid}", "/NH"],
                                capture_output=True, text=True, check=False).stdout
        return str(pid) in listed.split()
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    if sys.platform.startswith("linux"):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except FileNotFoundError:
            return False
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    return True


def pids_in(log: str) -> list[int]:
    """The numbers after "pid" and "child" in a log."""
    words = log.split()
    return [int(words[i + 1]) for i, word in enumerate(words[:-1])
            if word in ("pid", "child") and words[i + 1].isdigit()]
