"""The scheduler's API in one process: queuing, statuses, output, errors, timeouts,
periods, cancel, re-run, retries, concurrency, listing."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from appkit.errors import ConfigurationError
from appkit.jobs import Jobs, JobsSettings, Status
from appkit.jobs._files import RunFiles, hold, release
from appkit.jobs.errors import InvalidInputs, RunNotFound, UnknownTask
from tests.appkit.jobs import tasks
from tests.appkit.jobs.conftest import MakeJobs, alive, pids_in, wait_until
from tests.conftest import run_async


def test_a_one_off_run_completes_with_its_output(jobs: Jobs) -> None:
    before = datetime.now(UTC)
    run_id = jobs.enqueue("add", {"a": 2, "b": 3})
    assert jobs.get(run_id).status in (Status.QUEUED, Status.RUNNING)
    run = jobs.wait(run_id, timeout=20)
    assert run.status == "completed" and run.done
    assert run.output == 5
    assert run.inputs == {"a": 2, "b": 3}
    assert run.task == "add" and run.attempts == 1 and run.error is None
    assert run.started is not None and run.finished is not None
    assert before - timedelta(milliseconds=1) <= run.created == run.scheduled_for
    assert run.scheduled_for <= run.started <= run.finished
    assert run.duration is not None and run.duration >= timedelta(0)


def test_json_output_and_async_tasks(jobs: Jobs) -> None:
    value = {"rows": [1, 2.5, None, True], "name": "zoë", "nested": {"a": []}}
    assert jobs.wait(jobs.enqueue("echo", value), 20).output == value
    assert jobs.wait(jobs.enqueue("add_later", {"a": 4, "b": 5}), 20).output == 9


def test_an_output_that_is_not_json_fails_the_run(jobs: Jobs) -> None:
    run = jobs.wait(jobs.enqueue("returns_a_set"), 20)
    assert run.status == "failed"
    assert run.error is not None and "JSON cannot hold" in run.error and "{1, 2}" in run.error


def test_a_failure_keeps_the_traceback(jobs: Jobs) -> None:
    run = jobs.wait(jobs.enqueue("fail", {"n": 7}), 20)
    assert run.status == "failed" and run.output is None and run.finished is not None
    assert run.error is not None
    assert run.error.startswith("Traceback (most recent call last):")
    assert 'tasks.py", line' in run.error and "in fail" in run.error
    assert run.error.rstrip().endswith("ValueError: bad input 7")
    assert "worker.py" not in run.error  # the scheduler's own frames are left out


def test_the_log_captures_stdout_stderr_child_processes_and_logging(jobs: Jobs) -> None:
    run = jobs.wait(jobs.enqueue("talk", {"text": "héllo"}), 20)
    assert run.status == "completed" and run.output == "HÉLLO"
    assert run.log is not None
    for line in ("out: héllo", "err: héllo", "child: héllo", "logged: héllo"):
        assert line in run.log
    assert "INFO tests.jobs" in run.log


def test_the_log_can_be_followed_while_the_run_runs(jobs: Jobs, tmp_path: Path) -> None:
    gate = tmp_path / "gate"
    run_id = jobs.enqueue("gate", {"path": str(gate)})
    # print() writes the text and its newline as two writes to the unbuffered log: wait for
    # the whole line.
    first = wait_until(lambda: "first line\n" in jobs.log(run_id).text and jobs.log(run_id),
                       what="the first line")
    assert first.text == "first line\n"
    assert jobs.get(run_id).status == "running"
    assert "first line" in (jobs.get(run_id).log or "")
    gate.touch()
    run = jobs.wait(run_id, 20)
    assert run.status == "completed" and run.log == "first line\nsecond line\n"
    rest = jobs.log(run_id, first.offset)
    assert rest.text == "second line\n"
    assert jobs.log(run_id, rest.offset) == (("", rest.offset))


def test_progress_is_seen_while_the_run_runs(jobs: Jobs, tmp_path: Path) -> None:
    gate = tmp_path / "gate"
    run_id = jobs.enqueue("gate", {"path": str(gate)})
    running = wait_until(lambda: (run := jobs.get(run_id)).progress is not None and run,
                         what="progress")
    assert running.status == "running"
    assert (running.progress, running.progress_message) == (0.5, "half way")
    gate.touch()
    run = jobs.wait(run_id, 20)
    assert (run.progress, run.progress_message) == (0.75, "nearly")


def test_progress_outside_a_run_does_nothing_and_checks_its_fraction() -> None:
    from appkit.jobs import progress

    progress(0.3, "nobody listens")
    for bad in (1.5, -0.1, float("nan"), "half", True):
        with pytest.raises(ValueError, match="fraction from 0 to 1"):
            progress(bad)  # type: ignore[arg-type]


def test_scheduled_for_is_honoured(jobs: Jobs) -> None:
    later = jobs.enqueue("add", {"a": 1}, scheduled_for=timedelta(seconds=0.8))
    at = datetime.now() + timedelta(seconds=0.4)  # naive: local time
    sooner = jobs.enqueue("add", {"a": 2}, scheduled_for=at)
    now_id = jobs.enqueue("add", {"a": 3})
    assert jobs.wait(now_id, 20).status == "completed"
    first, second = jobs.wait(sooner, 20), jobs.wait(later, 20)
    assert first.started is not None and second.started is not None
    assert first.started >= first.scheduled_for
    assert first.scheduled_for == datetime.fromtimestamp(at.timestamp(), UTC)
    assert second.started >= second.scheduled_for
    # (times are floats, shown to the microsecond: allow for the rounding)
    delay = second.scheduled_for - second.created
    assert abs(delay - timedelta(seconds=0.8)) < timedelta(milliseconds=1)


def test_a_timeout_kills_the_worker_and_its_children(jobs: Jobs) -> None:
    run_id = jobs.enqueue("slow_child", {"seconds": 60})
    log = wait_until(lambda: "child" in jobs.log(run_id).text and jobs.log(run_id).text,
                     what="the pids")
    worker, child = pids_in(log)
    assert alive(worker) and alive(child)
    run = jobs.wait(run_id, 20)
    assert run.status == "timeout" and run.timeout == 1.0
    assert run.error is not None and "Timed out after 1 s" in run.error
    wait_until(lambda: not alive(worker) and not alive(child), 10, "the processes to end")


def test_the_timeout_counts_from_the_start_of_the_function(
        make_jobs: MakeJobs, db_path: Path) -> None:
    jobs = make_jobs(start=False)
    run_id = jobs.enqueue("hold", {"path": "/nonexistent/never"}, timeout=1.5)
    files = RunFiles(db_path)
    files.ensure()
    # Its worker takes this lock before it begins the function: a slow start, made long.
    lock = hold(files.run_lock(run_id, 1))
    assert lock is not None
    jobs.start()
    try:
        wait_until(lambda: jobs.get(run_id).status == "running", what="the claim")
        time.sleep(1.0)
    finally:
        release(lock)
    run = jobs.wait(run_id, 20)
    assert run.status == "timeout" and run.error is not None
    assert run.error.startswith("Timed out after 1.5 s")
    # The function had its 1.5 s, however long its worker took to begin it.
    assert run.duration is not None and run.duration.total_seconds() >= 1.5


def test_a_run_may_have_a_timeout_of_its_own(jobs: Jobs) -> None:
    run = jobs.wait(jobs.enqueue("hold", {"path": "/nonexistent/never"},
                                 timeout=timedelta(seconds=0.5)), 20)
    assert run.status == "timeout" and run.timeout == 0.5


def test_a_periodic_run_queues_its_next_occurrences(jobs: Jobs, tmp_path: Path) -> None:
    ticks = tmp_path / "ticks"
    first = jobs.enqueue("tick", {"path": str(ticks)}, period=0.3)
    wait_until(lambda: len(jobs.runs("tick", "completed")) >= 3, what="three occurrences")
    runs = sorted(jobs.runs("tick"), key=lambda run: run.id)
    assert runs[0].id == first
    assert all(run.period == 0.3 and run.inputs == {"path": str(ticks)} for run in runs)
    done = [run for run in runs if run.status == "completed"]
    starts = [run.scheduled_for.timestamp() for run in done]
    for a, b in zip(starts, starts[1:], strict=False):
        steps = (b - a) / 0.3  # one period later (more if a run took longer than one)
        assert round(steps) >= 1 and abs(steps - round(steps)) < 1e-4
    assert all(run.started is not None and run.started >= run.scheduled_for for run in done)
    assert len(jobs.runs("tick", ["queued", "running"])) == 1  # one next occurrence


def test_cancelling_an_occurrence_ends_the_series(jobs: Jobs, tmp_path: Path) -> None:
    first = jobs.wait(jobs.enqueue("tick", {"path": str(tmp_path / "ticks")}, period=60), 20)
    [following] = wait_until(lambda: jobs.runs("tick", "queued"), what="the next one")
    gap = following.scheduled_for - first.scheduled_for
    assert abs(gap - timedelta(seconds=60)) < timedelta(milliseconds=1)
    assert jobs.cancel(following.id)
    assert [run.status for run in jobs.runs("tick")] == ["cancelled", "completed"]


def test_a_failed_or_timed_out_periodic_run_still_queues_the_next(jobs: Jobs) -> None:
    jobs.enqueue("fail", {"n": 1}, period=60)
    jobs.enqueue("hold", {"path": "/nonexistent/never"}, period=60, timeout=0.3)
    wait_until(lambda: len(jobs.runs(["fail", "hold"], "queued")) == 2
               and len([run for run in jobs.runs(["fail", "hold"]) if run.done]) == 2,
               what="both to end and queue their next runs")
    assert {run.status for run in jobs.runs(["fail", "hold"]) if run.done} == {
        "failed", "timeout"}


def test_cancel_a_queued_run(jobs: Jobs) -> None:
    run_id = jobs.enqueue("add", {"a": 1}, scheduled_for=timedelta(hours=1))
    assert jobs.cancel(run_id) is True
    run = jobs.get(run_id)
    assert run.status == "cancelled" and run.started is None and run.finished is not None
    assert jobs.cancel(run_id) is False


def test_cancel_a_running_run_kills_its_worker(jobs: Jobs, tmp_path: Path) -> None:
    run_id = jobs.enqueue("hold", {"path": str(tmp_path / "never")})
    [pid] = wait_until(lambda: pids_in(jobs.log(run_id).text), what="the worker's pid")
    assert jobs.cancel(run_id) is True
    run = jobs.get(run_id)
    assert run.status == "cancelled" and run.error is not None and "killed" in run.error
    wait_until(lambda: not alive(pid), 10, "the worker to be killed")
    time.sleep(0.2)
    assert jobs.get(run_id).status == "cancelled"  # not overwritten by a late result
    assert jobs.wait(jobs.enqueue("add", {"a": 1}), 20).status == "completed"  # slot free


def test_cancel_and_get_of_an_unknown_run(jobs: Jobs) -> None:
    for call in (jobs.get, jobs.cancel, jobs.rerun, jobs.log):
        with pytest.raises(RunNotFound, match="no run 4242"):
            call(4242)


def test_rerun_queues_a_new_run_with_the_same_inputs(jobs: Jobs, tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    jobs.register("flaky_once", tasks.flaky)  # no retries
    failed = jobs.wait(jobs.enqueue("flaky_once", {"marker": str(marker)}), 20)
    assert failed.status == "failed"
    again = jobs.rerun(failed.id)
    assert again != failed.id
    run = jobs.wait(again, 20)
    assert run.status == "completed" and run.output == "second attempt"
    assert run.inputs == failed.inputs and run.rerun_of == failed.id and run.attempts == 1
    assert jobs.get(failed.id).status == "failed"


def test_retries_queue_a_failed_run_again(jobs: Jobs, tmp_path: Path) -> None:
    run = jobs.wait(jobs.enqueue("flaky", {"marker": str(tmp_path / "marker")}), 20)
    assert run.status == "completed" and run.output == "second attempt"
    assert run.attempts == 2 and run.retries == 1
    assert run.log == "--- attempt 2 ---\n"
    assert run.error is None


def test_a_worker_that_dies_fails_its_run_or_is_retried(jobs: Jobs) -> None:
    run = jobs.wait(jobs.enqueue("die", {"code": 3}), 20)
    assert run.status == "failed" and run.attempts == 1
    assert run.error == "Its worker process ended without recording a result (exit code 3)"
    retried = jobs.wait(jobs.enqueue("die_retried"), 20)
    assert retried.status == "failed" and retried.attempts == 2


def test_inputs_are_checked_when_queued(jobs: Jobs) -> None:
    cases = [
        ({"a": datetime(2024, 5, 1)}, r"inputs\['a'\] is a datetime.datetime.*isoformat"),
        ({"a": [1, {"b": {1, 2}}]}, r"inputs\['a'\]\[1\]\['b'\] is a builtins.set"),
        ({"a": (1, 2)}, r"inputs\['a'\] is a tuple"),
        ({"a": {3: "x"}}, r"inputs\['a'\] has the key 3 \(int\)"),
        ({"a": float("inf")}, r"inputs\['a'\] is inf"),
        ({"a": 1, "c": 2}, r"Task 'add' takes add\(a, b=0\); the inputs .*unexpected"),
        ({"b": 2}, r"missing a required argument: 'a'"),
        ([1, 2], r"must be a dict of keyword arguments, not list"),
    ]
    for inputs, message in cases:
        with pytest.raises(InvalidInputs, match=message):
            jobs.enqueue("add", inputs)  # type: ignore[arg-type]
    assert jobs.runs() == []


def test_an_unknown_task_lists_the_known_ones(make_jobs: MakeJobs) -> None:
    jobs = make_jobs(start=False)
    with pytest.raises(UnknownTask, match=r"no task called 'ad'. Known tasks: add, "
                                          r"add_later, crashy"):
        jobs.enqueue("ad")
    with pytest.raises(UnknownTask, match="Known tasks: none yet"):
        Jobs(jobs.path).enqueue("add")


def test_bad_options_are_refused(make_jobs: MakeJobs) -> None:
    jobs = make_jobs(start=False)
    for kwargs, message in (({"timeout": 0}, "timeout must be a positive"),
                            ({"period": -1}, "period must be a positive"),
                            ({"scheduled_for": 5}, "scheduled_for must be a datetime")):
        with pytest.raises(ConfigurationError, match=message):
            jobs.enqueue("add", {"a": 1}, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="max_concurrent_runs"):
        jobs.configure(max_concurrent_runs=0)
    with pytest.raises(ConfigurationError, match="Unknown scheduler setting"):
        jobs.configure(max_runs=3)
    with pytest.raises(ConfigurationError, match="workers must be one of"):
        JobsSettings(workers="threads")


def test_tasks_must_be_importable_by_a_worker(make_jobs: MakeJobs) -> None:
    jobs = make_jobs(start=False)

    def local() -> None:
        pass

    with pytest.raises(ConfigurationError, match="not defined at the top level"):
        jobs.register("local", local)
    with pytest.raises(ConfigurationError, match="not defined at the top level"):
        jobs.register("lambda", lambda: None)
    with pytest.raises(ConfigurationError, match="already used by tests.appkit.jobs.tasks.add"):
        jobs.register("add", tasks.echo)
    with pytest.raises(ConfigurationError, match="retries must be a whole number"):
        jobs.register("x", tasks.add, retries=-1)
    jobs.register("add", tasks.add, timeout=5)  # the same function again: replaced
    assert jobs.tasks["add"].timeout == 5


def test_max_concurrent_runs(make_jobs: MakeJobs, tmp_path: Path) -> None:
    jobs = make_jobs(max_concurrent_runs=2)
    path = tmp_path / "intervals"
    ids = [jobs.enqueue("interval", {"path": str(path), "seconds": 0.4}) for _ in range(5)]
    for run_id in ids:
        assert jobs.wait(run_id, 30).status == "completed"
    events = []
    for line in path.read_text().splitlines():
        start, end = map(float, line.split())
        events += [(start, 1), (end, -1)]
    running = peak = 0
    for _, step in sorted(events, key=lambda event: (event[0], event[1])):
        running += step
        peak = max(peak, running)
    assert peak == 2


def test_runs_lists_and_filters_newest_first(jobs: Jobs) -> None:
    ids = [jobs.enqueue("add", {"a": n}) for n in range(5)]
    failed = jobs.enqueue("fail", {"n": 1})
    held = jobs.enqueue("add", {"a": 9}, scheduled_for=timedelta(hours=1))
    for run_id in [*ids, failed]:
        jobs.wait(run_id, 20)
    assert [run.id for run in jobs.runs()] == [held, failed, *reversed(ids)]
    assert all(run.log is None for run in jobs.runs())
    assert [run.id for run in jobs.runs("add", limit=2)] == [held, ids[4]]
    assert [run.id for run in jobs.runs("add", before=ids[2])] == [ids[1], ids[0]]
    assert [run.id for run in jobs.runs(status="failed")] == [failed]
    assert [run.id for run in jobs.runs(status=["queued", "failed"])] == [held, failed]
    assert jobs.runs(task="nothing") == []
    counts = jobs.counts()
    assert counts[Status.COMPLETED] == 5 and counts[Status.FAILED] == 1
    assert counts[Status.QUEUED] == 1 and counts[Status.TIMEOUT] == 0
    assert jobs.counts("fail") == {**dict.fromkeys(Status, 0), Status.FAILED: 1}
    with pytest.raises(ConfigurationError, match="Unknown status 'done'"):
        jobs.runs(status="done")


def test_purge_deletes_finished_runs_and_their_logs(jobs: Jobs) -> None:
    done = jobs.wait(jobs.enqueue("talk", {"text": "x"}), 20)
    queued = jobs.enqueue("add", {"a": 1}, scheduled_for=timedelta(hours=1))
    log = jobs.logs_folder / f"{done.id}.log"
    assert log.exists()
    assert jobs.purge(timedelta(hours=1)) == 0
    assert jobs.purge(timedelta(0)) == 1
    assert not log.exists()
    assert [run.id for run in jobs.runs()] == [queued]


def test_enqueue_get_and_cancel_work_without_a_running_scheduler(make_jobs: MakeJobs) -> None:
    idle = make_jobs(start=False)
    run_id = idle.enqueue("add", {"a": 1, "b": 1})
    assert idle.get(run_id).status == "queued" and not idle.running
    worker = make_jobs()  # another scheduler object on the same database runs it
    assert idle.wait(run_id, 20).output == 2
    assert worker.get(run_id).status == "completed"


def test_a_stopped_scheduler_kills_what_runs_and_starts_nothing(
        make_jobs: MakeJobs, tmp_path: Path) -> None:
    jobs = make_jobs()
    running = jobs.enqueue("hold", {"path": str(tmp_path / "never")})
    retried = jobs.enqueue("hold_retried", {"path": str(tmp_path / "never")})
    # Both have begun their function (one that has not is queued again at stop, untried).
    wait_until(lambda: all(jobs.get(r).started for r in (running, retried)), what="two runs")
    [pid] = wait_until(lambda: pids_in(jobs.log(running).text), what="the pid")
    jobs.stop(timeout=0.2)
    assert not jobs.running and not alive(pid)
    run = jobs.get(running)
    assert run.status == "failed"
    assert run.error == ("Stopped with the scheduler while it ran (killed after waiting "
                         "0.2 s)")
    assert jobs.get(retried).status == "queued"  # it has a retry left
    later = jobs.enqueue("add", {"a": 1})
    time.sleep(0.3)
    assert jobs.get(later).status == "queued"
    jobs.start()  # a restart picks up what is queued
    assert jobs.wait(later, 20).status == "completed"
    (tmp_path / "never").touch()
    assert jobs.wait(retried, 20).attempts == 2


def test_stop_lets_running_runs_finish_within_its_timeout(make_jobs: MakeJobs) -> None:
    jobs = make_jobs()
    run_id = jobs.enqueue("interval", {"path": "/dev/null", "seconds": 0.3})
    wait_until(lambda: jobs.get(run_id).started, what="the run to start")
    jobs.stop(timeout=10)
    assert jobs.get(run_id).status == "completed"


def test_stop_queues_again_a_claimed_run_whose_function_has_not_begun(
        make_jobs: MakeJobs, db_path: Path) -> None:
    jobs = make_jobs(start=False)
    run_id = jobs.enqueue("add", {"a": 1, "b": 2})
    files = RunFiles(db_path)
    files.ensure()
    # Its worker takes this lock before it begins the function: it waits for the test.
    lock_path = files.run_lock(run_id, 1)
    lock = hold(lock_path)
    assert lock is not None
    jobs.start()
    wait_until(lambda: jobs.get(run_id).status == "running", what="the claim")
    stopping = threading.Thread(target=jobs.stop, kwargs={"timeout": 60})
    stopping.start()
    try:
        # Nothing new starts once stop() is called: the run goes back to the queue at
        # once, and its worker, let go, finds the claim gone and ends without running it.
        # (Without that, the worker would be killed after 60 s and only then queued again.)
        wait_until(lambda: jobs.get(run_id).status == "queued", 10, "the release")
    finally:
        release(lock)
        stopping.join(20)
    assert not stopping.is_alive() and not jobs.running
    run = jobs.get(run_id)
    assert (run.status, run.attempts, run.started, run.error) == ("queued", 0, None, None)
    jobs.start()  # the next start runs it
    assert jobs.wait(run_id, 20).output == 3


def test_the_fallback_poll_finds_runs_queued_behind_its_back(
        make_jobs: MakeJobs, db_path: Path) -> None:
    jobs = make_jobs(poll_interval=0.2)
    conn = sqlite3.connect(db_path)  # as an old tool would: no datagram to wake anyone
    with conn:
        conn.execute("INSERT INTO runs (task, status, inputs, created, scheduled_for) "
                     "VALUES ('add', 'queued', '{\"a\": 40, \"b\": 2}', ?, ?)",
                     (time.time(), time.time()))
    conn.close()
    [run] = jobs.runs()
    assert jobs.wait(run.id, 20).output == 42


def test_changes_yields_when_runs_change(jobs: Jobs) -> None:
    async def main() -> None:
        changes = jobs.changes(interval=0.02)
        first = asyncio.ensure_future(anext(changes))
        await asyncio.sleep(0.3)
        assert not first.done()  # nothing changed
        await asyncio.to_thread(jobs.enqueue, "add", {"a": 1})
        await asyncio.wait_for(first, 10)
        await changes.aclose()

    run_async(main())


def test_several_schedulers_in_one_process_share_the_work(make_jobs: MakeJobs,
                                                          tmp_path: Path) -> None:
    first = make_jobs(max_concurrent_runs=1)
    second = make_jobs(max_concurrent_runs=1)
    path = tmp_path / "marks"
    ids = [first.enqueue("mark", {"path": str(path), "token": str(n)}) for n in range(40)]
    runs = [second.wait(run_id, 30) for run_id in ids]
    assert all(run.status == "completed" for run in runs)
    assert sorted(path.read_text().split()) == sorted(str(n) for n in range(40))
    assert len({run.output for run in runs}) == 2  # both fork servers ran some
