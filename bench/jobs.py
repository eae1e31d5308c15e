"""Job schedulers on SQLite: appkit's against py4web's and huey's, side by side in one run.

The four, each with its database in a private temporary folder and the same number of
runs at once, N (``--concurrency``: throughput at N = 2, the default ``max_concurrent_runs``
of both appkit and py4web, and at N = 4; latency at N = 2):

- **appkit**: ``appkit.jobs.Jobs`` with ``max_concurrent_runs=N`` and ``workers="auto"``
  (on Linux a fork server: a helper process, spawned once, imports the tasks' modules and
  forks a fresh worker process per run). Queuing wakes the scheduler at once (a datagram);
  nothing polls.
- **appkit (pooled workers)**: the same, with ``worker_max_runs=1000``: each worker
  process takes run after run (one at a time, killed and replaced on a timeout), like
  huey's, so its isolation is huey's; measured against huey.
- **py4web**: ``pydal.tools.scheduler.Scheduler(db, max_concurrent_runs=N, folder=...,
  sleep_time=1, logger=<quiet>)`` on ``DAL("sqlite://...")``, started with ``start()`` (its
  loop in a thread). Each run gets a fresh process too: the loop double-forks one per run
  (``make_daemon``) from the scheduler's own process. It polls: when a step finds nothing to
  start (or N runs are running), it sleeps ``sleep_time``. pydal's default is 10 s; 1 s is
  kinder to py4web (its latency scales with it), and it is what the issue compares against
  ("py4web polls every second"). Its logger is a quiet one (no output), so it does not
  spend time writing log lines.
- **huey**: ``SqliteHuey(filename=...)`` and ``huey.consumer.Consumer(huey, workers=N,
  worker_type="process")``, other settings left at huey's defaults. Its worker processes
  are long-lived: forked once when the consumer starts, each runs one run after another in
  the same process. So a run does not get a fresh process, and its isolation is weaker
  than the other two (a run that leaks memory, changes globals or crashes the interpreter
  affects the runs after it). Huey's workers poll the queue: after an empty poll a worker
  waits 0.1 s, then 1.15 times longer after each further empty poll, up to 10 s. So its
  latency depends on how long it has been idle: after the gaps used here (at most about
  1 s) a worker polls every 0.1-0.3 s; after a minute idle, every 10 s.

Every scheduler runs in a **host** process of its own that does nothing else (the app, or
huey's consumer). The measuring process (the **driver**, a fresh one for each measurement)
queues runs through each library's own API (``jobs.enqueue``, ``scheduler.enqueue_run``,
calling the huey task), from outside the host, the same way for all three. For appkit
there is a second latency row, **appkit (same process)**: the scheduler started in the
driver itself, as in an app whose handler queues a run (appkit's fastest path).

Why py4web's host does nothing else: py4web forks a run's process from its scheduler
thread, so whatever another thread of that process is doing at that moment is frozen in
the child. In 6 trials with 500 runs queued from the scheduler's own process (its main
thread), 4 went wrong: twice a forked run hung for good inside ``sqlite3.connect`` (a lock
held by a thread that does not exist in the child), leaving its run "queued" forever, and
twice the scheduler's thread died with "database is locked" (SQLite's 5 s busy timeout).
With a host that is idle besides the scheduler, none of about 20 py4web measurements went
wrong. That is kinder to py4web than an app whose request threads use SQLite all the time.

The task (``bench/apps/jobs_tasks.py``) is trivial and the same for all: ``stamp(path)``
appends ``time.time()`` to its own file and returns it. Measured:

1. **Enqueue-to-start latency** (``--latency-runs``, default 50, one at a time): before
   each run the driver waits a random gap of 0.05-1.05 s (the same seeded sequence for
   every scheduler; spanning a whole py4web sleep, so that py4web's polling phase is
   random, and every run starts from idle), takes ``time.time()``, queues
   the run, and waits until the scheduler records it completed. Latency = the time the task
   wrote minus that time: from just before the enqueue call to the first line of the task,
   including the worker process's start. (The schedulers' own start times are not used:
   py4web records whole seconds.) Reported: median, 99th percentile (interpolated: with 50
   runs it lies between the two slowest) and the range. A warm-up run first, not counted.
2. **Throughput** (``--runs``, default 500, ``--rounds``, default 3, interleaved across the
   schedulers, a fresh host and database each round): the driver queues all the runs as fast
   as it can, one enqueue call each, then waits until the scheduler's records say all have
   completed (polling every 10 ms). Throughput = runs / seconds from just before the first
   enqueue to that moment. Reported: the median round, with the lowest and highest.

Checks, every run of every phase: the task's file has exactly one line (it ran once), the
scheduler's record says completed, and the value it stored as the run's result is the time
the task wrote. After each phase the driver waits 0.5 s and checks again that no run ran a
second time and nothing is left queued. A failed check stops the script.

The machine is shared with other work. Before each measurement the script waits (up to
``--quiet-wait`` s) for the machine to use under 0.25 cores (over half a second), and it
reports how busy the whole machine was during each measurement (its own processes
included: the other work cannot be told apart from py4web's daemonised run processes).

py4web's ``max_concurrent_runs`` is looser than the others': it counts the runs whose
process has marked them "running", so a run that is forked but not yet marked is not
counted, and a step may start one more.

Targets (issues 6 and 16): appkit's median latency under a tenth of py4web's and under
3 ms; its throughput at least 5x py4web's at N = 2 and N = 4; with the same isolation (a
process per run). appkit's pooled workers (huey's isolation): at least huey's throughput.

    .venv/bin/python bench/jobs.py            # 50 latency runs; 3 rounds of 500 (~7 min)
    .venv/bin/python bench/jobs.py --quick    # 10 latency runs, 1 round of 100: a smoke test
"""

from __future__ import annotations

import sys
from pathlib import Path

# The folder of this script holds ``requests.py``: keep it off the import path (see
# bench/requests.py). Import from the repository root.
_HERE = Path(__file__).resolve().parent
ROOT = _HERE.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import sqlite3  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

from bench.apps.jobs_tasks import stamp  # noqa: E402
from bench.machine import cpu_model, machine_busy, version, wait_for_quiet  # noqa: E402

SYSTEMS = ("appkit", "appkit-pooled", "py4web", "huey")
LABELS = {"appkit": "appkit", "appkit-inproc": "appkit (same process)",
          "appkit-pooled": "appkit (pooled workers)", "py4web": "py4web",
          "huey": "huey"}
TASK = "stamp"
WARM_UP = 1
GAP = (0.05, 1.05)  # seconds before each latency run
POLL = 0.01  # seconds between looks at the scheduler's records
PY4WEB_SLEEP = 1  # py4web's sleep_time (pydal's default is 10)
PY4WEB_FINAL = ("completed", "failed", "timeout", "dead", "unknown")
TARGET_LATENCY = 0.1  # appkit's median at most this fraction of py4web's
TARGET_THROUGHPUT = 5.0  # appkit's runs/s at least this many times py4web's
TARGET_LATENCY_MS = 3.0  # appkit's median, in ms (issue 16)
POOLED_MAX_RUNS = 1000  # the pooled row's worker_max_runs


class CheckFailed(Exception):
    """A run did not complete exactly once, or a scheduler did not finish in time."""


# ---- hosts: the schedulers, each in a process of its own ------------------------------------

def host_main(system: str, folder: Path, concurrency: int) -> None:
    """Run ``system``'s scheduler on the database in ``folder`` until told to stop (a line on
    stdin for appkit and py4web, SIGINT for huey's consumer)."""
    if system in ("appkit", "appkit-pooled"):
        from appkit.jobs import Jobs

        jobs = Jobs(folder / "jobs.db")
        jobs.register(TASK, stamp)
        jobs.configure(max_concurrent_runs=concurrency, workers="auto")
        if system == "appkit-pooled":
            jobs.configure(worker_max_runs=POOLED_MAX_RUNS)
        jobs.start()
        print("ready", flush=True)
        sys.stdin.readline()
        jobs.stop()
    elif system == "py4web":
        scheduler, _ = py4web_scheduler(folder, concurrency)
        scheduler.start()
        print("ready", flush=True)
        sys.stdin.readline()
        scheduler.stop()
    elif system == "huey":
        from huey.consumer import Consumer

        from bench.apps.jobs_tasks import huey_for

        huey, _ = huey_for(str(folder / "huey.db"))
        consumer = Consumer(huey, workers=concurrency, worker_type="process")
        print("ready", flush=True)
        consumer.run()
    else:
        raise SystemExit(f"unknown system {system!r}")


def py4web_scheduler(folder: Path, concurrency: int) -> tuple[Any, Any]:
    """py4web's scheduler on ``folder``/py4web.sqlite, with the task registered; and the DAL."""
    import logging

    from pydal import DAL
    from pydal.tools.scheduler import Scheduler

    quiet = logging.getLogger("bench.jobs.py4web")
    quiet.addHandler(logging.NullHandler())
    quiet.propagate = False
    quiet.setLevel(logging.CRITICAL)
    db = DAL("sqlite://py4web.sqlite", folder=str(folder))
    scheduler = Scheduler(db, max_concurrent_runs=concurrency, folder=str(folder / "py4web-runs"),
                          sleep_time=PY4WEB_SLEEP, logger=quiet)
    scheduler.register_task(TASK, stamp)
    return scheduler, db


class Host:
    """A host process (``--host``), started in a session of its own and stopped in order
    (killed with its group if it does not stop)."""

    def __init__(self, system: str, folder: Path, concurrency: int) -> None:
        self.system = system
        self.errors = folder / f"host-{system}.log"
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--host", system, "--folder",
             str(folder), "--concurrency", str(concurrency)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.errors.open("wb"),
            text=True, start_new_session=True, cwd=folder)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if line.strip() != "ready":
            self.stop()
            raise CheckFailed(f"the {system} host did not start:\n{self.log_tail()}")

    def log_tail(self) -> str:
        try:
            return "\n".join(self.errors.read_text(errors="replace").splitlines()[-20:])
        except OSError:
            return ""

    def stop(self) -> None:
        proc = self.proc
        if proc.poll() is None:
            try:
                if self.system == "huey":
                    proc.send_signal(signal.SIGINT)
                else:
                    assert proc.stdin is not None
                    proc.stdin.write("stop\n")
                    proc.stdin.flush()
            except OSError:
                pass
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                print(f"    ({self.system}'s host did not stop in 20 s: killed)", flush=True)
        # py4web's run processes stay in the host's process group: end any that are left.
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        proc.wait()
        for stream in (proc.stdin, proc.stdout):
            if stream is not None:
                stream.close()


# ---- clients: queue runs and read the records, through each library's API -----------------

class Client:
    """How the driver queues a run of ``stamp`` and reads what the scheduler recorded."""

    def enqueue(self, path: str) -> Any:
        raise NotImplementedError

    def finished(self, handle: Any) -> bool:
        """Whether the run's record is final (completed or not)."""
        raise NotImplementedError

    def finished_count(self) -> int:
        """How many runs have a final record (all runs, warm-up ones included)."""
        raise NotImplementedError

    def outcome(self, handle: Any) -> tuple[str, Any]:
        """The run's recorded status and result value."""
        raise NotImplementedError

    def leftover(self) -> int:
        """How many runs are recorded but not final."""
        raise NotImplementedError

    def close(self) -> None:
        pass


class AppkitClient(Client):
    def __init__(self, folder: Path, concurrency: int, start: bool) -> None:
        from appkit.jobs import Jobs
        from appkit.jobs.runs import FINISHED

        self.final = FINISHED
        self.jobs = Jobs(folder / "jobs.db")
        self.jobs.register(TASK, stamp)
        if start:  # the scheduler in this process: enqueue wakes it directly
            self.jobs.configure(max_concurrent_runs=concurrency, workers="auto")
            self.jobs.start()

    def enqueue(self, path: str) -> int:
        return self.jobs.enqueue(TASK, {"path": path})

    def finished(self, handle: int) -> bool:
        return self.jobs.get(handle).done

    def finished_count(self) -> int:
        counts = self.jobs.counts()
        return sum(counts.get(status, 0) for status in self.final)

    def outcome(self, handle: int) -> tuple[str, Any]:
        run = self.jobs.get(handle)
        if run.attempts != 1:
            raise CheckFailed(f"appkit run {handle} was attempted {run.attempts} times")
        return str(run.status), run.output

    def leftover(self) -> int:
        counts = self.jobs.counts()
        return sum(n for status, n in counts.items() if status not in self.final)

    def close(self) -> None:
        self.jobs.stop()


class Py4webClient(Client):
    def __init__(self, folder: Path, concurrency: int) -> None:
        # The same Scheduler object as the host's, never started: enqueue_run checks the
        # task's name against its registered tasks. Its constructor ignores SIGCHLD, which
        # would break waiting for the host: undo that here.
        self.scheduler, self.db = py4web_scheduler(folder, concurrency)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)

    def enqueue(self, path: str) -> int:
        return int(self.scheduler.enqueue_run(TASK, inputs={"path": path}))

    def _row(self, handle: int) -> Any:
        row = self.db.task_run[handle]
        self.db.commit()
        return row

    def finished(self, handle: int) -> bool:
        return self._row(handle).status in PY4WEB_FINAL

    def finished_count(self) -> int:
        db = self.db
        count = db(db.task_run.status.belongs(PY4WEB_FINAL)).count()
        db.commit()
        return int(count)

    def outcome(self, handle: int) -> tuple[str, Any]:
        row = self._row(handle)
        return row.status, row.output

    def leftover(self) -> int:
        db = self.db
        count = db(~db.task_run.status.belongs(PY4WEB_FINAL)).count()
        db.commit()
        return int(count)

    def close(self) -> None:
        self.db.close()


class HueyClient(Client):
    def __init__(self, folder: Path) -> None:
        from bench.apps.jobs_tasks import huey_for

        self.huey, self.task = huey_for(str(folder / "huey.db"))

    def enqueue(self, path: str) -> Any:
        return self.task(path)

    def finished(self, handle: Any) -> bool:
        return handle.get(preserve=True) is not None

    def finished_count(self) -> int:
        return int(self.huey.result_count())

    def outcome(self, handle: Any) -> tuple[str, Any]:
        from huey.exceptions import TaskException

        try:
            value = handle.get(preserve=True)
        except TaskException as exc:
            return "failed", str(exc)
        return ("completed" if value is not None else "no result"), value

    def leftover(self) -> int:
        return int(self.huey.pending_count() + self.huey.scheduled_count())


def make_client(system: str, folder: Path, concurrency: int) -> Client:
    if system in ("appkit", "appkit-inproc", "appkit-pooled"):
        return AppkitClient(folder, concurrency, start=system == "appkit-inproc")
    if system == "py4web":
        return Py4webClient(folder, concurrency)
    return HueyClient(folder)


# ---- the driver: one measurement, in a fresh process -----------------------------------------

def wait_until(condition: Callable[[], bool], timeout: float, step: float, what: str) -> None:
    until = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > until:
            raise CheckFailed(f"{what}: not within {timeout:g} s")
        time.sleep(step)


def stamp_of(path: Path) -> float:
    """The time the task wrote; its file must have exactly one line."""
    lines = path.read_text().splitlines()
    if len(lines) != 1:
        raise CheckFailed(f"{path.name} has {len(lines)} lines: the run ran "
                          f"{len(lines)} times")
    return float(lines[0])


def verify(client: Client, runs: list[tuple[Any, Path]], system: str) -> None:
    """Every run completed exactly once, with the task's own value as its result."""
    for handle, path in runs:
        value = stamp_of(path)
        status, output = client.outcome(handle)
        if status != "completed" or output != value:
            raise CheckFailed(f"{system}: run {path.name} is {status} with output {output!r}, "
                              f"expected completed with {value!r}")


def verify_after(client: Client, stamps: Path, expected: int, system: str) -> None:
    """Half a second later: no run ran again, nothing is left queued."""
    time.sleep(0.5)
    lines = sum(len(p.read_text().splitlines()) for p in stamps.iterdir())
    if lines != expected:
        raise CheckFailed(f"{system}: {lines} task starts for {expected} runs")
    left = client.leftover()
    if left:
        raise CheckFailed(f"{system}: {left} runs are left unfinished")


def run_one(client: Client, path: Path, timeout: float) -> Any:
    handle = client.enqueue(str(path))
    wait_until(path.exists, timeout, 0.002, f"run {path.name} to start")
    wait_until(lambda: client.finished(handle), timeout, POLL, f"run {path.name} to finish")
    return handle


def drive(system: str, phase: str, folder: Path, concurrency: int, runs: int,
          seed: int) -> dict[str, Any]:
    """One measurement of ``system`` (latency or throughput) on a fresh host and database in
    ``folder``; returns the figures."""
    stamps = folder / "stamps"
    stamps.mkdir()
    host = None if system == "appkit-inproc" else Host(system, folder, concurrency)
    client = make_client(system, folder, concurrency)
    try:
        checked: list[tuple[Any, Path]] = []
        for i in range(WARM_UP):
            path = stamps / f"warm-{i}"
            checked.append((run_one(client, path, 60.0), path))
        if phase == "latency":
            rng = random.Random(seed)
            latencies = []
            for i in range(runs):
                time.sleep(rng.uniform(*GAP))
                path = stamps / f"run-{i}"
                t0 = time.time()
                handle = client.enqueue(str(path))
                wait_until(path.exists, 60.0, 0.002, f"run {i} to start")
                wait_until(lambda h=handle: client.finished(h), 60.0, POLL,
                           f"run {i} to finish")
                latencies.append(stamp_of(path) - t0)
                checked.append((handle, path))
            verify(client, checked, system)
            verify_after(client, stamps, WARM_UP + runs, system)
            return {"latencies": latencies}
        paths = [stamps / f"run-{i}" for i in range(runs)]
        t0 = time.time()
        handles = [client.enqueue(str(path)) for path in paths]
        enqueued = time.time() - t0
        timeout = 90.0
        # Wait for the task files first (no database reads while runs are being started),
        # then for the records.
        wait_until(lambda: sum(1 for _ in stamps.iterdir()) >= WARM_UP + runs, timeout, POLL,
                   f"{system}: all {runs} runs to start")
        wait_until(lambda: client.finished_count() >= WARM_UP + runs,
                   timeout - (time.time() - t0), POLL, f"{system}: all {runs} runs to finish")
        seconds = time.time() - t0
        last_start = max(stamp_of(path) for path in paths) - t0
        verify(client, checked + list(zip(handles, paths, strict=True)), system)
        verify_after(client, stamps, WARM_UP + runs, system)
        return {"seconds": seconds, "enqueue_seconds": enqueued, "last_start": last_start,
                "rate": runs / seconds}
    finally:
        client.close()
        if host is not None:
            host.stop()


# ---- the orchestrating process ---------------------------------------------------------------

def measure(system: str, phase: str, args: argparse.Namespace, runs: int,
            concurrency: int) -> dict[str, Any]:
    """Run one driver process; its figures, plus the load before and during it."""
    if args.quiet_wait > 0:
        before = wait_for_quiet(0.25, args.quiet_wait, interval=0.5)
    else:
        before = float("nan")
    folder = Path(tempfile.mkdtemp(prefix=f"appkit-bench-jobs-{system}-"))
    try:
        busy0, t0 = machine_busy(), time.monotonic()
        proc = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--drive", system, "--phase",
             phase, "--folder", str(folder), "--concurrency", str(concurrency),
             "--n", str(runs), "--seed", str(args.seed)],
            capture_output=True, text=True, cwd=folder)
        load = (machine_busy() - busy0) / max(time.monotonic() - t0, 1e-9)
        if proc.returncode != 0 or not proc.stdout.strip():
            tail = "\n".join((proc.stderr or "").splitlines()[-25:])
            for log in folder.glob("host-*.log"):
                tail += f"\n--- {log.name}:\n" + "\n".join(
                    log.read_text(errors="replace").splitlines()[-20:])
            return {"error": tail.strip() or f"exit code {proc.returncode}"}
        result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
        result["quiet_before"] = before
        result["busy"] = load
        return result
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[98]


def ms(value: float) -> str:
    return f"{value * 1000:,.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--latency-runs", type=int, default=50,
                        help="runs one at a time, from idle, per scheduler (default 50)")
    parser.add_argument("--runs", type=int, default=500,
                        help="runs queued at once in each throughput round (default 500)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="throughput rounds, interleaved across schedulers (default 3)")
    parser.add_argument("--concurrency", default="2,4",
                        help="max_concurrent_runs (and huey workers), the same for all; "
                             "comma-separated for several throughput settings, the first "
                             "also for latency (default 2,4)")
    parser.add_argument("--seed", type=int, default=6, help="seed of the latency gaps")
    parser.add_argument("--quiet-wait", type=float, default=3.0,
                        help="seconds to wait at most, before each measurement, for the "
                             "machine to go quiet (default 3; 0 to not wait)")
    parser.add_argument("--phases", default="latency,throughput",
                        help="which measurements, comma-separated (default both)")
    parser.add_argument("--systems", default=",".join(SYSTEMS),
                        help=f"comma-separated, from {', '.join(SYSTEMS)} (default all)")
    parser.add_argument("--quick", action="store_true",
                        help="10 latency runs and 1 round of 100 runs: a smoke test")
    # Internal: the processes the script starts.
    parser.add_argument("--host", help=argparse.SUPPRESS)
    parser.add_argument("--drive", help=argparse.SUPPRESS)
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.host:
        host_main(args.host, args.folder, int(args.concurrency))
        return
    if args.drive:
        try:
            result = drive(args.drive, args.phase, args.folder, int(args.concurrency), args.n,
                           args.seed)
        except CheckFailed as exc:
            raise SystemExit(f"CHECK FAILED: {exc}") from None
        print(json.dumps(result))
        return

    if args.quick:
        args.latency_runs, args.runs, args.rounds = 10, 100, 1
    levels = [int(n) for n in args.concurrency.split(",")]
    phases = args.phases.split(",")
    systems = [s for s in SYSTEMS if s in args.systems.split(",")]
    started = time.monotonic()
    print(f"Machine: {os.cpu_count()} cores, {cpu_model()}, load average "
          f"{os.getloadavg()[0]:.2f}; Python {sys.version.split()[0]}, appkit "
          f"{version('appkit')} (source tree), pydal {version('pydal')}, huey "
          f"{version('huey')}, SQLite {sqlite3.sqlite_version}")
    print(f"Latency over {args.latency_runs} runs from idle (concurrency {levels[0]}); "
          f"throughput over {args.runs} runs, {args.rounds} round(s), concurrency "
          f"{', '.join(map(str, levels))}", flush=True)

    latency_systems = [s for s in ("appkit", "appkit-inproc", "appkit-pooled", "py4web", "huey")
                       if s in systems or (s == "appkit-inproc" and "appkit" in systems)
                       ] if "latency" in phases else []
    latency: dict[str, dict[str, Any]] = {}
    if latency_systems:
        print("\nEnqueue-to-start latency", flush=True)
    for system in latency_systems:
        result = measure(system, "latency", args, args.latency_runs, levels[0])
        latency[system] = result
        if "error" in result:
            print(f"  {LABELS[system]}: FAILED\n{result['error']}", flush=True)
            continue
        values = result["latencies"]
        print(f"  {LABELS[system]}: median {ms(statistics.median(values))} ms, p99 "
              f"{ms(p99(values))} ms ({ms(min(values))}-{ms(max(values))}); machine busy "
              f"{result['busy']:.2f} cores", flush=True)

    throughput: dict[int, dict[str, list[dict[str, Any]]]] = {}
    rounds = args.rounds if "throughput" in phases else 0
    if rounds:
        print("\nThroughput", flush=True)
        throughput = {n: {s: [] for s in systems} for n in levels}
    for round_no in range(1, rounds + 1):
        for n in levels:
            for system in systems:
                result = measure(system, "throughput", args, args.runs, n)
                throughput[n][system].append(result)
                where = f"  round {round_no}, concurrency {n}, {system}"
                if "error" in result:
                    print(f"{where}: FAILED\n{result['error']}", flush=True)
                    continue
                print(f"{where}: {result['rate']:,.1f} runs/s ({args.runs} in "
                      f"{result['seconds']:.2f} s; enqueue took "
                      f"{result['enqueue_seconds']:.2f} s, last start at "
                      f"{result['last_start']:.2f} s); machine busy {result['busy']:.2f} "
                      "cores", flush=True)

    report(latency, throughput, args, levels)
    print(f"\n(The whole benchmark took {time.monotonic() - started:.0f} s; load average "
          f"{os.getloadavg()[0]:.2f} at the end.)")


def report(latency: dict[str, dict[str, Any]],
           throughput: dict[int, dict[str, list[dict[str, Any]]]],
           args: argparse.Namespace, levels: list[int]) -> None:
    medians: dict[str, float] = {}
    if latency:
        print()
        print(f"Enqueue-to-start latency, ms ({args.latency_runs} runs from idle, "
              f"concurrency {levels[0]}):")
        print()
        print("| scheduler | median | p99 | lowest-highest |")
        print("|---|---:|---:|---:|")
        for system, result in latency.items():
            if "latencies" not in result:
                print(f"| {LABELS[system]} | failed | | |")
                continue
            values = result["latencies"]
            medians[system] = statistics.median(values)
            print(f"| {LABELS[system]} | {ms(medians[system])} | {ms(p99(values))} | "
                  f"{ms(min(values))}-{ms(max(values))} |")
    rates: dict[int, dict[str, float]] = {}
    if throughput:
        print()
        print(f"Throughput, runs per second ({args.runs} runs queued at once; median of "
              f"{args.rounds} round(s), lowest-highest):")
        print()
        print("| scheduler | " + " | ".join(f"concurrency {n}" for n in levels) + " |")
        print("|---|" + "---:|" * len(levels))
        for system in SYSTEMS:
            if not any(system in throughput[n] for n in levels):
                continue
            cells = []
            for n in levels:
                results = throughput[n].get(system, [])
                good = [r["rate"] for r in results if "rate" in r]
                failed = len(results) - len(good)
                if not good:
                    cells.append("failed" if results else "")
                    continue
                rates.setdefault(n, {})[system] = statistics.median(good)
                cell = f"{statistics.median(good):,.1f}"
                if len(good) > 1:
                    cell += f" ({min(good):,.1f}-{max(good):,.1f})"
                if failed:
                    cell += f", {failed} round(s) failed"
                cells.append(cell)
            print(f"| {LABELS[system]} | " + " | ".join(cells) + " |")
    print()
    print("Targets (issues 6 and 16), appkit against py4web, with the same isolation (a "
          "process per run), and appkit's pooled workers against huey:")
    print()
    print("| target | measured | ratio | verdict |")
    print("|---|---|---:|---|")
    for system in ("appkit", "appkit-inproc"):
        if system not in latency:
            continue
        if system in medians and "py4web" in medians:
            ratio = medians[system] / medians["py4web"]
            verdict = "met" if ratio < TARGET_LATENCY else "**NOT met**"
            print(f"| median latency < 0.1x py4web's | {LABELS[system]} | {ratio:.3f}x "
                  f"({1 / ratio:,.0f} times lower) | {verdict} |")
        else:
            print(f"| median latency < 0.1x py4web's | {LABELS[system]} | n/a | not measured |")
    for system in ("appkit", "appkit-inproc"):
        if system in medians:
            got_ms = medians[system] * 1000
            verdict = "met" if got_ms < TARGET_LATENCY_MS else "**NOT met**"
            print(f"| median latency < {TARGET_LATENCY_MS:g} ms | {LABELS[system]} | "
                  f"{got_ms:.1f} ms | {verdict} |")
    for n in levels if throughput else []:
        got = rates.get(n, {})
        if "appkit" in got and "py4web" in got:
            ratio = got["appkit"] / got["py4web"]
            verdict = "met" if ratio >= TARGET_THROUGHPUT else "**NOT met**"
            print(f"| throughput >= 5x py4web's | concurrency {n} | {ratio:.2f}x | {verdict} |")
        else:
            print(f"| throughput >= 5x py4web's | concurrency {n} | n/a | not measured |")
    for n in levels if throughput else []:
        got = rates.get(n, {})
        if "appkit-pooled" in got and "huey" in got:
            ratio = got["appkit-pooled"] / got["huey"]
            verdict = "met" if ratio >= 1.0 else "**NOT met**"
            print(f"| pooled throughput >= huey's | concurrency {n} | {ratio:.2f}x | "
                  f"{verdict} |")
        else:
            print(f"| pooled throughput >= huey's | concurrency {n} | n/a | not measured |")
    notes = []
    if "appkit" in medians and "huey" in medians:
        notes.append(f"latency appkit/huey {medians['appkit'] / medians['huey']:.2f}x")
    for n in levels if throughput else []:
        got = rates.get(n, {})
        if "appkit" in got and "huey" in got:
            notes.append(f"throughput appkit/huey {got['appkit'] / got['huey']:.2f}x at "
                         f"concurrency {n}")
    if notes:
        print()
        print("appkit with a fresh process per run against huey (long-lived worker "
              "processes, weaker isolation; no target): " + ", ".join(notes))


if __name__ == "__main__":
    main()
