"""Several processes on one database, and crashes: schedulers in processes of their own
(``host.py``), killed with SIGKILL and started again."""

from __future__ import annotations

import collections
import os
import random
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from appkit.jobs import Jobs, Status
from tests.appkit.jobs.conftest import ROOT, alive, pids_in, wait_until
from tests.appkit.jobs.tasks import register_all

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)")


class Host:
    """A scheduler process (``tests/appkit/jobs/host.py``)."""

    def __init__(self, db: Path, *args: str, own_group: bool = False) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.appkit.jobs.host", str(db), *args], cwd=ROOT,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=own_group)

    def wait_ready(self, timeout: float = 60.0) -> None:
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        line = self.process.stdout.readline() if ready else b""
        if line.strip() != b"ready":
            self.process.kill()
            _, err = self.process.communicate(timeout=30)
            pytest.fail(f"the scheduler process did not start: {line!r}\n{err.decode()}")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        # Its pipes close once its fork server has noticed and left too.
        self.process.communicate(timeout=30)
        assert self.process.returncode == -signal.SIGKILL

    def stop(self) -> str:
        """SIGTERM: the host stops its scheduler and exits 0; returns its stderr."""
        self.process.send_signal(signal.SIGTERM)
        _, err = self.process.communicate(timeout=60)
        assert self.process.returncode == 0, err.decode()
        return err.decode()


@pytest.fixture
def hosts() -> Iterator[list[Host]]:
    started: list[Host] = []
    yield started
    for host in started:
        if host.process.poll() is None:
            host.process.kill()
            host.process.communicate(timeout=30)


@pytest.fixture
def jobs(db_path: Path) -> Jobs:
    """The test's own view of the database: it queues and reads, and runs nothing."""
    jobs = Jobs(db_path)
    register_all(jobs)
    return jobs


def start(hosts: list[Host], db: Path, *args: str) -> Host:
    host = Host(db, *args)
    hosts.append(host)
    host.wait_ready()
    return host


def test_two_scheduler_processes_run_500_runs_and_none_twice(
        jobs: Jobs, hosts: list[Host], db_path: Path, tmp_path: Path) -> None:
    for tag in "AB":
        start(hosts, db_path, "--max", "4", "--warm-up", tag)
    marks = tmp_path / "marks"
    ids = [jobs.enqueue("mark", {"path": str(marks), "token": str(n)}) for n in range(500)]
    wait_until(lambda: jobs.counts("mark")[Status.COMPLETED] == 500, 120, "500 runs")
    runs = jobs.runs("mark", limit=1000)
    assert sorted(run.id for run in runs) == ids
    assert all(run.status == "completed" and run.attempts == 1 for run in runs)
    assert sorted(marks.read_text().split(), key=int) == [str(n) for n in range(500)]
    per_host = collections.Counter(run.output for run in runs)  # each host's fork server
    assert len(per_host) == 2, per_host
    for host in hosts:
        assert "Traceback" not in host.stop()


@pytest.mark.parametrize("workers", ["forkserver", "spawn"])
def test_sigterm_to_the_process_group_is_a_normal_stop(
        jobs: Jobs, hosts: list[Host], db_path: Path, tmp_path: Path, workers: str) -> None:
    # A service manager or a closing terminal signals the whole group: the fork server
    # gets the SIGTERM too, and must not die of it before the app stops it in order.
    host = Host(db_path, "--workers", workers, own_group=True)
    hosts.append(host)
    host.wait_ready()
    assert jobs.wait(jobs.enqueue("add", {"a": 1, "b": 2}), 20).output == 3
    os.killpg(host.process.pid, signal.SIGTERM)
    _, err = host.process.communicate(timeout=60)
    assert host.process.returncode == 0, err.decode()
    assert "stopped (" not in err.decode(), err.decode()
    assert "Traceback" not in err.decode(), err.decode()
    # The worker the task ran in ignores nothing: SIGTERM ends one as usual.
    run_id = jobs.enqueue("hold", {"path": str(tmp_path / "never")})
    later = start(hosts, db_path, "--workers", workers)
    [pid] = wait_until(lambda: pids_in(jobs.log(run_id).text), what="the worker's pid")
    os.kill(pid, signal.SIGTERM)
    wait_until(lambda: not alive(pid), 10, "SIGTERM to end the worker")
    later.stop()


def test_another_process_wakes_the_scheduler_and_cancels_through_it(
        jobs: Jobs, hosts: list[Host], db_path: Path, tmp_path: Path) -> None:
    start(hosts, db_path, "--max", "2")
    # the host's fallback poll is a minute: only its wake socket can start these quickly
    assert jobs.wait(jobs.enqueue("add", {"a": 1, "b": 2}), 20).output == 3
    held = jobs.enqueue("hold", {"path": str(tmp_path / "never")})
    [pid] = wait_until(lambda: pids_in(jobs.log(held).text), what="the worker's pid")
    assert jobs.cancel(held)
    wait_until(lambda: not alive(pid), 10, "the host to kill the worker")
    assert jobs.get(held).status == "cancelled"


def test_a_run_completes_and_is_recorded_after_its_app_is_killed(
        jobs: Jobs, hosts: list[Host], db_path: Path, tmp_path: Path) -> None:
    host = start(hosts, db_path)
    gate = tmp_path / "gate"
    run_id = jobs.enqueue("gate", {"path": str(gate)})
    wait_until(lambda: jobs.get(run_id).progress == 0.5, what="the run to be under way")
    host.kill()
    gate.touch()  # no scheduler runs now: the worker records its result itself
    run = jobs.wait(run_id, 20)
    assert run.status == "completed" and run.output == "opened"
    assert run.log == "first line\nsecond line\n"


def test_timeouts_hold_across_a_restart(jobs: Jobs, hosts: list[Host],
                                        db_path: Path) -> None:
    host = start(hosts, db_path)
    run_id = jobs.enqueue("with_child", {"seconds": 60}, timeout=2.5)
    worker, child = wait_until(lambda: pids_in(jobs.log(run_id).text), what="the pids")
    host.kill()
    time.sleep(0.3)
    assert alive(worker) and alive(child)  # the worker outlives its app
    assert jobs.get(run_id).status == "running"
    start(hosts, db_path)  # takes the orphan over, and kills it at its deadline
    run = jobs.wait(run_id, 20)
    assert run.status == "timeout"
    assert run.finished is not None and run.started is not None
    assert run.finished - run.started >= timedelta(seconds=2.5)
    wait_until(lambda: not alive(worker) and not alive(child), 10, "the processes to end")


def test_a_lost_worker_is_failed_or_retried_on_the_next_start(
        jobs: Jobs, hosts: list[Host], db_path: Path, tmp_path: Path) -> None:
    gate = tmp_path / "gate"
    host = start(hosts, db_path)
    plain = jobs.enqueue("hold", {"path": str(gate)})
    retried = jobs.enqueue("hold_retried", {"path": str(gate)})
    pids = [wait_until(lambda run_id=run_id: pids_in(jobs.log(run_id).text), what="pid")[0]
            for run_id in (plain, retried)]
    host.kill()
    for pid in pids:  # the app and its workers die together (a power cut, a logout)
        subprocess.run(["kill", "-9", str(pid)], check=True)
    wait_until(lambda: not any(alive(pid) for pid in pids), 10, "the workers to die")
    assert {run.status for run in jobs.runs()} == {"running"}
    gate.touch()
    start(hosts, db_path)
    lost = jobs.get(plain)
    assert lost.status == "failed" and lost.attempts == 1
    assert lost.error is not None and "worker process is gone" in lost.error
    again = jobs.wait(retried, 20)
    assert again.status == "completed" and again.attempts == 2
    assert again.output == "released"


def test_the_app_killed_20_times_mid_run_loses_no_run(
        jobs: Jobs, hosts: list[Host], db_path: Path, tmp_path: Path) -> None:
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    journal = tmp_path / "journal"
    count = 0

    def more(how_many: int) -> None:
        nonlocal count
        for n in range(count, count + how_many):
            jobs.enqueue("crashy", {"path": str(journal), "n": n, "seconds": 0.3})
        count += how_many

    more(10)
    killed_mid_run = 0
    for _ in range(20):
        more(5)  # work is never short: each kill can land while runs run
        host = start(hosts, db_path, "--max", "4")
        wait_until(lambda: jobs.counts()[Status.RUNNING], 20, "a run to start")
        time.sleep(rng.uniform(0.0, 0.3))
        killed_mid_run += jobs.counts()[Status.RUNNING] > 0
        host.kill()
    assert killed_mid_run >= 15, f"too few kills landed while runs ran (seed {seed})"
    final = start(hosts, db_path, "--max", "4")
    wait_until(lambda: jobs.counts()[Status.QUEUED] + jobs.counts()[Status.RUNNING] == 0,
               60, f"every run to end (seed {seed})")
    final.stop()

    runs = {run.inputs["n"]: run for run in jobs.runs("crashy", limit=count)}
    assert sorted(runs) == list(range(count))
    for n, run in runs.items():
        assert run.attempts == 1, (n, run, seed)
        if n % 10 == 0:
            assert run.status == "failed", (n, run, seed)
            assert run.error is not None and f"run {n} fails on purpose" in run.error
        else:
            assert run.status == "completed" and run.output == n * 2, (n, run, seed)
    lines = journal.read_text().splitlines()
    # every run's function ran exactly once, and ran to its end
    assert sorted(lines) == sorted([f"start {n}" for n in range(count)]
                                   + [f"end {n}" for n in range(count) if n % 10]), seed


def test_cancel_kills_a_worker_whose_scheduler_is_gone(
        jobs: Jobs, hosts: list[Host], db_path: Path, tmp_path: Path) -> None:
    host = start(hosts, db_path)
    run_id = jobs.enqueue("hold", {"path": str(tmp_path / "never")})
    [pid] = wait_until(lambda: pids_in(jobs.log(run_id).text), what="the worker's pid")
    host.kill()
    assert alive(pid)
    assert jobs.cancel(run_id)
    wait_until(lambda: not alive(pid), 10, "the worker to be killed")
    assert jobs.get(run_id).status == "cancelled"


SCRIPT = """
import sys, time
from appkit.jobs import Jobs, JobsSettings
from tests.appkit.jobs.tasks import register_all

jobs = Jobs(sys.argv[1], JobsSettings(stop_timeout=0.2))
register_all(jobs)
jobs.start()
run_id = jobs.enqueue("hold", {"path": sys.argv[2]})
while "pid" not in jobs.log(run_id).text:
    time.sleep(0.01)
print(jobs.log(run_id).text, flush=True)
"""  # and the script ends without jobs.stop()


def test_a_script_that_ends_without_stop_stops_its_scheduler(
        jobs: Jobs, db_path: Path, tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(db_path), str(tmp_path / "no")],
                          cwd=ROOT, capture_output=True, timeout=60, check=True)
    [pid] = pids_in(done.stdout.decode())
    assert not alive(pid)
    [run] = jobs.runs()
    assert run.status == "failed" and run.error is not None
    assert run.error.startswith("Stopped with the scheduler")
