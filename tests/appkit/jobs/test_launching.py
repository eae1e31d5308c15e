"""Both ways of starting workers (``spawn`` everywhere, ``forkserver`` on Linux) do the
same things, and a scheduler survives the loss of its fork server."""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import sys
from pathlib import Path

import pytest

from appkit.errors import ConfigurationError
from appkit.jobs._serving import WorkerOptions
from appkit.jobs.launching import make_launcher
from tests.appkit.jobs.conftest import KINDS, MakeJobs, alive, pids_in, wait_until


@pytest.mark.parametrize("workers", KINDS)
def test_each_way_runs_logs_times_out_and_cancels(make_jobs: MakeJobs, tmp_path: Path,
                                                  workers: str) -> None:
    jobs = make_jobs(workers=workers, max_concurrent_runs=3)
    talk = jobs.enqueue("talk", {"text": workers})
    slow = jobs.enqueue("slow_child", {"seconds": 60})
    held = jobs.enqueue("hold", {"path": str(tmp_path / "never")})
    run = jobs.wait(talk, 30)
    assert run.status == "completed" and run.output == workers.upper()
    assert run.log is not None and f"child: {workers}" in run.log
    worker, child = wait_until(lambda: pids_in(jobs.log(slow).text), what="the pids")
    [holder] = wait_until(lambda: pids_in(jobs.log(held).text), what="the pid")
    assert worker != os.getpid() and holder != worker
    assert jobs.wait(slow, 30).status == "timeout"
    jobs.cancel(held)
    wait_until(lambda: not any(map(alive, (worker, child, holder))), 10, "the kills")
    died = jobs.wait(jobs.enqueue("die", {"code": 5}), 30)
    assert died.error == "Its worker process ended without recording a result (exit code 5)"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the fork server")
def test_the_scheduler_carries_on_when_its_fork_server_dies(
        make_jobs: MakeJobs, tmp_path: Path, error_logs: list[logging.LogRecord]) -> None:
    jobs = make_jobs(workers="forkserver")
    gate = tmp_path / "gate"
    running = jobs.enqueue("gate", {"path": str(gate)})
    wait_until(lambda: jobs.get(running).progress == 0.5, what="the run to be under way")
    [server] = multiprocessing.active_children()
    assert server.name == "appkit-jobs-forkserver" and server.pid is not None
    os.kill(server.pid, signal.SIGKILL)
    wait_until(lambda: error_logs, what="the error to be logged")
    assert "forkserver stopped" in error_logs[0].getMessage()
    assert jobs.wait(jobs.enqueue("add", {"a": 1}), 30).output == 1  # a new fork server
    gate.touch()  # the worker of the first outlived its fork server, and is watched
    assert jobs.wait(running, 30).output == "opened"


def test_unknown_or_impossible_worker_kinds() -> None:
    with pytest.raises(ConfigurationError, match="workers must be one of"):
        make_launcher("threads", [], WorkerOptions("jobs.db"))
    if not hasattr(os, "fork"):  # pragma: no cover - Windows
        with pytest.raises(ConfigurationError, match="needs fork"):
            make_launcher("forkserver", [], WorkerOptions("jobs.db"))
