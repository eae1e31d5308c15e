"""Pooled workers (``worker_max_runs`` other than 1): run after run in one process, with
the same results as a fresh process per run; killed and replaced on a timeout or a
cancellation; replaced after a crash, after their last run, or above their memory bound."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest

from appkit.errors import ConfigurationError
from appkit.jobs import Jobs, JobsSettings, Run
from tests.appkit.jobs.conftest import KINDS, MakeJobs, alive, pids_in, wait_until


def _pids(jobs: Jobs, count: int) -> list[int]:
    """The worker pids of ``count`` runs of ``pid``, queued together (one slot: in turn)."""
    ids = [jobs.enqueue("pid") for _ in range(count)]
    return [jobs.wait(run_id, 30).output for run_id in ids]


@pytest.mark.parametrize("workers", KINDS)
def test_a_fresh_process_for_every_run_by_default(make_jobs: MakeJobs, workers: str) -> None:
    jobs = make_jobs(workers=workers, max_concurrent_runs=1)
    pids = _pids(jobs, 4)
    assert len(set(pids)) == 4


@pytest.mark.parametrize("workers", KINDS)
def test_a_pooled_worker_takes_up_to_worker_max_runs(make_jobs: MakeJobs, workers: str
                                                     ) -> None:
    jobs = make_jobs(workers=workers, max_concurrent_runs=1, worker_max_runs=3)
    pids = _pids(jobs, 7)
    assert pids[0] == pids[1] == pids[2]
    assert pids[3] == pids[4] == pids[5] != pids[0]
    assert pids[6] not in (pids[0], pids[3])
    wait_until(lambda: not alive(pids[0]), 10, "the first worker to end")


def _normal(run: Run) -> dict[str, Any]:
    """What must not depend on how runs are given workers (times and pids left out)."""
    log = re.sub(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} ", "<time> ", run.log or "",
                 flags=re.MULTILINE)
    return {"task": run.task, "status": run.status, "output": run.output, "error": run.error,
            "log": log, "progress": run.progress, "message": run.progress_message,
            "attempts": run.attempts}


def _several(jobs: Jobs, gate: Path) -> list[dict[str, Any]]:
    gate.touch()
    ids = [jobs.enqueue("talk", {"text": "héllo"}), jobs.enqueue("gate", {"path": str(gate)}),
           jobs.enqueue("fail", {"n": 7}), jobs.enqueue("returns_a_set"),
           jobs.enqueue("add_later", {"a": 1, "b": 2}), jobs.enqueue("talk", {"text": "two"}),
           jobs.enqueue("echo", {"x": [1, {"y": None}]})]
    return [_normal(jobs.wait(run_id, 30)) for run_id in ids]


@pytest.mark.parametrize("workers", KINDS)
def test_pooled_runs_record_what_fresh_processes_record(
        make_jobs: MakeJobs, db_path: Path, tmp_path: Path, workers: str) -> None:
    fresh = make_jobs(workers=workers, max_concurrent_runs=1)
    expected = _several(fresh, tmp_path / "gate")
    fresh.stop()
    pooled = Jobs(db_path.with_name("pooled-jobs.db"),
                  JobsSettings(workers=workers, max_concurrent_runs=1, worker_max_runs=None,
                               poll_interval=60.0))
    from tests.appkit.jobs.tasks import register_all

    register_all(pooled)
    pooled.start()
    try:
        got = _several(pooled, tmp_path / "gate")
        assert len(set(_pids(pooled, 3))) == 1  # all in one worker
    finally:
        pooled.stop()
    assert got == expected
    assert expected[0]["log"].count("héllo") == 4  # out, err, child, logged: nothing else
    assert expected[1]["progress"] == 0.75 and expected[1]["message"] == "nearly"


@pytest.mark.parametrize("workers", KINDS)
def test_a_timeout_or_a_cancel_kills_the_pooled_worker_and_a_new_one_takes_over(
        make_jobs: MakeJobs, tmp_path: Path, workers: str) -> None:
    jobs = make_jobs(workers=workers, max_concurrent_runs=1, worker_max_runs=None)
    [first] = _pids(jobs, 1)
    slow = jobs.enqueue("slow_child", {"seconds": 60})  # timeout 1 s
    worker, child = wait_until(lambda: pids_in(jobs.log(slow).text), what="the pids")
    assert worker == first  # the same worker took it
    run = jobs.wait(slow, 30)
    assert run.status == "timeout"
    wait_until(lambda: not alive(worker) and not alive(child), 10, "the kill")
    [second] = _pids(jobs, 1)
    assert second != first
    held = jobs.enqueue("hold", {"path": str(tmp_path / "never")})
    [holder] = wait_until(lambda: pids_in(jobs.log(held).text), what="the pid")
    assert holder == second
    assert jobs.cancel(held)
    assert jobs.wait(held, 30).status == "cancelled"
    wait_until(lambda: not alive(holder), 10, "the kill")
    [third] = _pids(jobs, 1)
    assert third not in (first, second)


@pytest.mark.parametrize("workers", KINDS)
def test_a_crash_loses_only_its_own_run(make_jobs: MakeJobs, workers: str) -> None:
    jobs = make_jobs(workers=workers, max_concurrent_runs=1, worker_max_runs=None)
    [first] = _pids(jobs, 1)
    died = jobs.enqueue("die", {"code": 5})
    after = [jobs.enqueue("add", {"a": n}) for n in range(3)]  # queued behind it
    run = jobs.wait(died, 30)
    assert run.status == "failed"
    assert run.error == "Its worker process ended without recording a result (exit code 5)"
    assert [jobs.wait(run_id, 30).output for run_id in after] == [0, 1, 2]
    assert not alive(first)


@pytest.mark.skipif(sys.platform == "win32", reason="no memory bound on Windows")
@pytest.mark.parametrize("workers", KINDS)
def test_a_worker_above_its_memory_bound_is_replaced(make_jobs: MakeJobs, workers: str
                                                     ) -> None:
    jobs = make_jobs(workers=workers, max_concurrent_runs=1, worker_max_runs=None,
                     worker_max_memory_mb=150)
    baseline = jobs.wait(jobs.enqueue("rss"), 30).output
    assert baseline < 150_000_000
    [first] = _pids(jobs, 1)
    small = jobs.wait(jobs.enqueue("hog", {"megabytes": 1}), 30).output
    assert small == first  # under the bound: it goes on
    assert _pids(jobs, 1) == [first]
    big = jobs.wait(jobs.enqueue("hog", {"megabytes": 200}), 30)
    assert big.status == "completed" and big.output == first
    [after] = _pids(jobs, 1)
    assert after != first
    wait_until(lambda: not alive(first), 10, "the worker above its bound to end")


@pytest.mark.parametrize("workers", KINDS)
def test_waiting_workers_end_with_the_scheduler(make_jobs: MakeJobs, workers: str) -> None:
    jobs = make_jobs(workers=workers, max_concurrent_runs=2, worker_max_runs=None)
    pids = {jobs.wait(run_id, 30).output
            for run_id in [jobs.enqueue("pid") for _ in range(4)]}
    assert all(map(alive, pids))
    jobs.stop()
    wait_until(lambda: not any(map(alive, pids)), 10, "the pooled workers to end")


def test_pool_settings_are_checked() -> None:
    for bad in (0, -1, True, 2.5, "3"):
        with pytest.raises(ConfigurationError, match="worker_max_runs must be a whole"):
            JobsSettings(worker_max_runs=bad)  # type: ignore[arg-type]
    for bad_mb in (0, -5, float("nan"), True, "100"):
        with pytest.raises(ConfigurationError, match="worker_max_memory_mb must be"):
            JobsSettings(worker_max_runs=None, worker_max_memory_mb=bad_mb)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="Set worker_max_runs too"):
        JobsSettings(worker_max_memory_mb=500)
    settings = JobsSettings(worker_max_runs=100, worker_max_memory_mb=500)
    assert settings.worker_max_runs == 100 and settings.worker_max_memory_mb == 500


@pytest.mark.parametrize("workers", KINDS)
@pytest.mark.parametrize("max_runs", [1, None])
def test_log_files_made_ahead_become_the_runs_logs_and_none_is_left(
        make_jobs: MakeJobs, tmp_path: Path, workers: str, max_runs: int | None) -> None:
    jobs = make_jobs(workers=workers, max_concurrent_runs=1, worker_max_runs=max_runs)
    ids = [jobs.enqueue("talk", {"text": "a"}), jobs.enqueue("add", {"a": 1}),
           jobs.enqueue("flaky", {"marker": str(tmp_path / "marker")}),
           jobs.enqueue("add", {"a": 2})]
    runs = [jobs.wait(run_id, 30) for run_id in ids]
    assert [run.status for run in runs] == ["completed"] * 4
    assert runs[2].log == "--- attempt 2 ---\n"  # the retry appended to its log
    assert runs[1].log == "" and "out: a" in (runs[0].log or "")
    jobs.stop()
    assert sorted(p.name for p in jobs.logs_folder.iterdir()) == sorted(
        f"{run_id}.log" for run_id in ids)
