"""What runs inside a worker process: one run of a task, from start to recorded result.

The worker records its own result, so a run completes and is recorded even when the app
that started it is killed meanwhile. In order:

1. stdout and stderr (the file descriptors, so ``print``, ``logging``, C extensions and
   child processes alike) go to the run's log file as they are written; stdin reads
   nothing;
2. it locks its claim's lock file: while the lock is held, anyone can tell that the
   worker is alive (the system releases it when the process ends, however it ends);
3. it marks the run started, in a transaction that checks the run is still running under
   its claim (it may have been cancelled meanwhile: then it stops here);
4. it imports the task's function and calls it with the inputs; ``progress()`` calls are
   written to the database by a small thread, at most ten times a second, which also
   tells the schedulers (a change note, for their ``on_change`` listeners) when the
   progress changed or the log grew;
5. it records the output (JSON) or the traceback, queues the next occurrence of a periodic
   run, and wakes the schedulers.

Inside a task, ``progress(0.4, "read 400 rows")`` reports how far it is.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import io
import json
import logging
import os
import sqlite3
import sys
import threading
import time
import traceback
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from appkit.jobs._files import RunFiles, hold, release
from appkit.jobs._wakeup import notify
from appkit.jobs.database import JobsDatabase
from appkit.jobs.runs import Status
from appkit.jobs.tasks import TaskRef

__all__ = ["WorkerJob", "progress", "execute", "spawned_main"]

_MESSAGE_LIMIT = 1000
_PROGRESS_INTERVAL = 0.1
_PORTS_EVERY = 2.0  # seconds between two reads of the schedulers' ports by a worker


@dataclass(frozen=True)
class WorkerJob:
    """What a worker process is told: which run (and the number of the claim that gave it
    to this worker), where the database is, and how to import the task's function."""

    db_path: str
    run_id: int
    claim: int
    task: TaskRef

    @property
    def key(self) -> tuple[int, int]:
        """``(run_id, claim)``: which worker this is (a run may have a new claim while the
        worker of the one before is still ending)."""
        return (self.run_id, self.claim)


class _Reporter:
    """Writes a running task's progress to the database from a thread of its own, at most
    once per ``interval``, so that a task may report in a tight loop; and tells the
    schedulers on ``ports`` (a change note, see ``_wakeup``) when the progress changed or
    the run's ``log`` grew, so that a dashboard follows the run without polling."""

    def __init__(self, db: JobsDatabase, run_id: int, claim: int, log: Path | None = None,
                 ports: list[int] | None = None, interval: float = _PROGRESS_INTERVAL
                 ) -> None:
        self._db = db
        self._run_id = run_id
        self._claim = claim
        self._interval = interval
        self._log = log
        self._log_size = _size(log)
        self._ports = list(ports or [])
        self._ports_read = time.monotonic()
        self._cond = threading.Condition()
        self._pending: tuple[float | None, str | None] | None = None
        self.latest: tuple[float | None, str | None] | None = None
        self._thread: threading.Thread | None = None
        self._closed = False
        self._next_write = 0.0

    def start(self) -> None:
        """Start the thread (``report`` starts it too)."""
        with self._cond:
            self._start()

    def _start(self) -> None:
        if self._thread is None and not self._closed:
            self._thread = threading.Thread(target=self._write, daemon=True,
                                            name="appkit-jobs-progress")
            self._thread.start()

    def report(self, fraction: float | None, message: str | None) -> None:
        with self._cond:
            if self._closed:
                return
            self._pending = self.latest = (fraction, message)
            self._start()
            self._cond.notify()

    def _due(self) -> bool:
        return self._pending is not None and time.monotonic() >= self._next_write

    def _write(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._closed or self._due(),
                                    timeout=self._interval)
                if self._closed:
                    return  # the result's transaction writes the latest value
                value = None
                if self._due():
                    value, self._pending = self._pending, None
            changed = False
            if value is not None:
                self._next_write = time.monotonic() + self._interval
                with contextlib.suppress(sqlite3.Error):  # progress is best effort
                    self._db.progress(self._run_id, self._claim, *value)
                    changed = True
            size = _size(self._log)
            if size != self._log_size:
                self._log_size = size
                changed = True
            if changed:
                notify(self._current_ports(), [self._run_id], wake=False)

    def _current_ports(self) -> list[int]:
        """The schedulers' ports, read again every few seconds (one may have started)."""
        if time.monotonic() - self._ports_read > _PORTS_EVERY:
            self._ports_read = time.monotonic()
            with contextlib.suppress(sqlite3.Error):
                self._ports = self._db.ports()
        return self._ports

    def close(self) -> tuple[float | None, str | None] | None:
        """Stop the thread; returns the latest progress reported (or None)."""
        with self._cond:
            self._closed = True
            self._cond.notify()
        if self._thread is not None:
            self._thread.join()
        return self.latest


def _size(path: Path | None) -> int:
    if path is None:
        return 0
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


_REPORTER: ContextVar[_Reporter | None] = ContextVar("appkit_jobs_reporter", default=None)


def progress(fraction: float | None, message: str | None = None) -> None:
    """Report how far the running task is: ``fraction`` from 0 to 1 (None when it cannot
    tell), and an optional short message. Call it from the task, as often as you like:

        from appkit.jobs import progress

        @app.task()
        def import_rows(path: str):
            rows = read(path)
            for n, row in enumerate(rows, 1):
                store(row)
                progress(n / len(rows), f"{n} of {len(rows)} rows")

    The latest value reaches the database within a tenth of a second (``app.jobs.get``
    shows it while the run runs). Called outside a run (a task function called directly,
    in a test), it does nothing. From a thread the task started, pass the context along
    (``contextvars.copy_context().run``).

    Raises:
        ValueError: ``fraction`` is not a number from 0 to 1.
    """
    if fraction is not None and (
            isinstance(fraction, bool) or not isinstance(fraction, int | float)
            or not 0.0 <= fraction <= 1.0):
        raise ValueError(f"progress() takes a fraction from 0 to 1 (or None), not {fraction!r}")
    reporter = _REPORTER.get()
    if reporter is None:
        return
    if message is not None:
        message = str(message)[:_MESSAGE_LIMIT]
    reporter.report(None if fraction is None else float(fraction), message)


def spawned_main(job: WorkerJob) -> None:
    """The entry of a worker started with ``spawn``: a process group of its own, then the
    run."""
    if hasattr(os, "setsid"):
        with contextlib.suppress(OSError):
            os.setsid()
    execute(job)
    # The result is recorded: end here, as a forked worker does, without waiting for
    # threads the task may have left running.
    os._exit(0)


def execute(job: WorkerJob) -> None:
    """Run ``job.run_id`` in this process and record its result (see the module's
    description). Call it in a process of its own: it takes over stdin, stdout and stderr."""
    _leave_resource_tracker()
    db_path = Path(job.db_path)
    files = RunFiles(db_path)
    _capture_output(files.log(job.run_id))
    lock_path = files.run_lock(job.run_id, job.claim)
    lock = hold(lock_path)
    assert lock is not None  # a waiting hold always returns the descriptor
    ports: list[int] | None = None
    changed: list[int] = []
    db: JobsDatabase | None = None
    try:
        db = JobsDatabase(db_path, create=False)
        started = db.start(job.run_id, job.claim, os.getpid(), time.time())
        if started is None:
            return  # cancelled (or given up) before it started
        inputs, attempt, ports = started
        notify(ports, [job.run_id], wake=False)  # started: a dashboard shows it
        if attempt > 1:
            print(f"--- attempt {attempt} ---", flush=True)
        reporter = _Reporter(db, job.run_id, job.claim, files.log(job.run_id), ports)
        reporter.start()
        status, output, error = _call(job.task, json.loads(inputs), reporter)
        latest = reporter.close()
        _flush()
        finished = db.finish(job.run_id, job.claim, status, output=output, error=error,
                             now=time.time(), progress=latest)
        if finished is not None:
            ports, queued = finished
            changed = [job.run_id, *queued]
    finally:
        _flush()
        if db is not None:
            db.close()
        release(lock, lock_path)
    if changed:
        notify(ports or [], changed)


def _call(ref: TaskRef, inputs: dict[str, Any], reporter: _Reporter
          ) -> tuple[Status, str | None, str | None]:
    token = _REPORTER.set(reporter)
    try:
        fn = ref.load()
        _log_to_stderr()
        result = fn(**inputs)
        if inspect.iscoroutine(result):
            result = asyncio.run(result)
    except BaseException as exc:  # whatever the task raises is its run's result
        return Status.FAILED, None, _traceback(exc)
    finally:
        _REPORTER.reset(token)
    try:
        output = json.dumps(result, allow_nan=False)
    except (TypeError, ValueError) as exc:
        shown = repr(result)
        shown = shown if len(shown) <= 200 else shown[:200] + "..."
        return Status.FAILED, None, (
            f"The task returned {shown} ({type(result).__name__}), which JSON cannot hold "
            f"({exc}). Return strings, numbers, booleans, None, lists and dicts")
    return Status.COMPLETED, output, None


def _traceback(exc: BaseException) -> str:
    tb = exc.__traceback__
    # Leave out this module's frame: the traceback starts in the task (or its import).
    tb = tb.tb_next if tb is not None and tb.tb_next is not None else tb
    return "".join(traceback.format_exception(type(exc), exc, tb)).rstrip()


def _leave_resource_tracker() -> None:
    """Close the descriptor inherited from the app's ``multiprocessing`` resource tracker.
    Held open here, it would keep that helper process alive (and with it the app's stdout
    and stderr, which it holds) for as long as this run lasts, after the app has gone. A
    task that uses ``multiprocessing`` itself gets a tracker of its own."""
    from multiprocessing import resource_tracker

    tracker: Any = getattr(resource_tracker, "_resource_tracker", None)
    fd = getattr(tracker, "_fd", None)
    if fd is None:
        return
    with contextlib.suppress(OSError):
        os.close(fd)
    tracker._fd = None
    tracker._pid = None  # not this process's child


def _capture_output(log: Path) -> None:
    """Send file descriptors 1 and 2 to the end of ``log``; 0 reads nothing."""
    _flush()
    flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_BINARY", 0)
    fd = os.open(log, flags, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    # Unbuffered, like `python -u`: each write reaches the file at once (a dashboard
    # tails it while the run runs).
    sys.stdout = _text(1)
    sys.stderr = _text(2)
    sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115 - the process's stdin


def _text(fd: int) -> io.TextIOWrapper:
    return io.TextIOWrapper(io.FileIO(fd, "w", closefd=False),  # type: ignore[type-var]
                            encoding="utf-8", errors="backslashreplace",
                            line_buffering=True, write_through=True)


def _log_to_stderr() -> None:
    """Log records of INFO and above go to the run's log, unless the app's modules
    configured logging themselves."""
    root = logging.getLogger()
    if root.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            with contextlib.suppress(Exception):
                stream.flush()
