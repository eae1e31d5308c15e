"""``jobs.on_change``: listeners hear of every change of a run (queued, started, progress,
log, finished, cancelled), in this process or another one, from the worker's notes (the
fallback poll is a minute long here); a listener that raises is logged, and the scheduler
carries on."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from appkit import ConfigurationError
from appkit.jobs import Jobs, Run, Status
from tests.appkit.jobs.conftest import KINDS, MakeJobs

TIMEOUT = 20.0


class Heard:
    """What the listeners heard: each call's run as it was then (read in the listener)."""

    def __init__(self, jobs: Jobs) -> None:
        self.jobs = jobs
        self.runs: list[Run] = []
        self.threads: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, run_id: int) -> None:
        run = self.jobs.get(run_id)
        with self._lock:
            self.runs.append(run)
            self.threads.add(threading.current_thread().name)

    def wait(self, check: Callable[[Run], bool], what: str) -> Run:
        until = time.monotonic() + TIMEOUT
        while True:
            with self._lock:
                found = [run for run in self.runs if check(run)]
            if found:
                return found[0]
            if time.monotonic() > until:
                pytest.fail(f"No listener call for {what}: {self.runs}")
            time.sleep(0.01)


def test_listeners_hear_each_change_as_it_happens(jobs: Jobs, tmp_path: Path) -> None:
    heard = Heard(jobs)
    assert jobs.on_change(heard) is heard
    gate = tmp_path / "gate"
    run_id = jobs.enqueue("gate", {"path": str(gate)})

    heard.wait(lambda r: r.id == run_id and r.status == Status.RUNNING, "the start")
    half = heard.wait(lambda r: r.id == run_id and r.progress == 0.5, "the progress")
    assert half.progress_message == "half way"
    heard.wait(lambda r: r.id == run_id and "first line" in (r.log or ""), "the log")
    gate.touch()
    heard.wait(lambda r: r.id == run_id and r.progress == 0.75, "the next progress")
    done = heard.wait(lambda r: r.id == run_id and r.done, "the end")
    assert done.status == Status.COMPLETED and done.output == "opened"
    assert heard.threads == {"appkit-jobs-dispatcher"}


def test_changes_made_by_another_process_are_heard(make_jobs: MakeJobs) -> None:
    jobs = make_jobs()
    heard = Heard(jobs)
    jobs.on_change(heard)
    other = make_jobs(start=False)  # another process's Jobs, on the same database

    later = other.enqueue("add", {"a": 1}, scheduled_for=timedelta(hours=1))
    heard.wait(lambda r: r.id == later and r.status == Status.QUEUED, "the queued run")
    assert other.cancel(later)
    heard.wait(lambda r: r.id == later and r.status == Status.CANCELLED, "the cancellation")
    now = other.enqueue("add", {"a": 2, "b": 3})
    done = heard.wait(lambda r: r.id == now and r.done, "the run's end")
    assert done.output == 5


def test_a_listener_that_raises_is_logged_and_the_others_still_hear(
        jobs: Jobs, error_logs: list[logging.LogRecord]) -> None:
    def broken(run_id: int) -> None:
        raise RuntimeError(f"listener broke on {run_id}")

    jobs.on_change(broken)
    heard = Heard(jobs)
    jobs.on_change(heard)
    run_id = jobs.enqueue("add", {"a": 1, "b": 1})

    heard.wait(lambda r: r.id == run_id and r.done, "the run's end")
    assert jobs.wait(run_id, TIMEOUT).output == 2
    second = jobs.enqueue("add", {"a": 2, "b": 2})
    assert jobs.wait(second, TIMEOUT).output == 4  # the scheduler carries on
    messages = [record.getMessage() for record in error_logs]
    assert messages and all(m.startswith("The jobs on_change listener") for m in messages)
    assert any(f"failed for run {run_id}" in m for m in messages)
    assert "listener broke on" in str(error_logs[0].exc_info[1])  # type: ignore[index]


def test_on_change_takes_a_function(jobs: Jobs) -> None:
    with pytest.raises(ConfigurationError, match="on_change takes a function"):
        jobs.on_change("nope")  # type: ignore[arg-type]


@pytest.mark.parametrize("workers", KINDS)
@pytest.mark.parametrize("max_runs", [1, 3])
def test_the_end_of_a_run_and_the_next_of_a_series_are_heard(
        make_jobs: MakeJobs, tmp_path: Path, workers: str, max_runs: int) -> None:
    # A worker tells the scheduler that gave it the run of the run's end (and of the next
    # occurrence it queued) on its pipe, not by datagram; the fallback look is a minute away.
    jobs = make_jobs(workers=workers, max_concurrent_runs=1, worker_max_runs=max_runs)
    heard = Heard(jobs)
    jobs.on_change(heard)
    for _ in range(2):  # a pooled worker's first run and its next one
        first = jobs.enqueue("tick", {"path": str(tmp_path / "ticks")}, period=3600)
        heard.wait(lambda r, first=first: r.id == first and r.done, "the run's end")
        after = heard.wait(lambda r, first=first: r.id > first and r.status == Status.QUEUED
                           and r.period == 3600, "the next occurrence")
        assert jobs.cancel(after.id)
