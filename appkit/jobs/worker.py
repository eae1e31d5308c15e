"""What runs inside a worker process: one run of a task, from start to recorded result.

The worker records its own result, so a run completes and is recorded even when the app
that started it is killed meanwhile. A worker process keeps a ``Runner``: its database
connection, its progress thread and its streams, made before its first run (a fresh
process runs one job with it; a pooled one, job after job, see ``_serving``). For each run,
in order:

1. stdout and stderr (the file descriptors, so ``print``, ``logging``, C extensions and
   child processes alike) go to the run's log file as they are written; stdin reads
   nothing;
2. it locks its claim's lock file: while the lock is held, anyone can tell that the
   worker is alive (the system releases it when the process ends, however it ends);
3. it marks the run started, in a transaction that checks the run is still running under
   its claim (it may have been cancelled meanwhile: then it stops here);
4. it imports the task's function and calls it with the inputs; ``progress()`` calls are
   written to the database by the worker's progress thread, at most ten times a second,
   which also tells the schedulers (a change note, for their ``on_change`` listeners) when the
   progress changed or the log grew;
5. it records the output (JSON) or the traceback, queues the next occurrence of a periodic
   run, and wakes the schedulers.

Inside a task, ``progress(0.4, "read 400 rows")`` reports how far it is.
"""

from __future__ import annotations

import _thread
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

from appkit.jobs._files import RunFiles, hold_run_lock, name, release_run_lock
from appkit.jobs._wakeup import notify, sender
from appkit.jobs.database import JobsDatabase
from appkit.jobs.runs import Status
from appkit.jobs.tasks import TaskRef

__all__ = ["WorkerJob", "Runner", "progress", "execute", "spawned_main", "spawned_boot"]

_MESSAGE_LIMIT = 1000
_PROGRESS_INTERVAL = 0.1
_PORTS_EVERY = 2.0  # seconds between two reads of the schedulers' ports by a worker


@dataclass(frozen=True)
class WorkerJob:
    """What a worker process is told: which run (and the number of the claim that gave it
    to this worker), where the database is, how to import the task's function, and the
    port of the scheduler that claimed it (which learns the run's end from its launcher,
    so the worker's datagram only tells it of the change)."""

    db_path: str
    run_id: int
    claim: int
    task: TaskRef
    port: int | None = None

    @property
    def key(self) -> tuple[int, int]:
        """``(run_id, claim)``: which worker this is (a run may have a new claim while the
        worker of the one before is still ending)."""
        return (self.run_id, self.claim)

    def values(self) -> tuple[str, int, int, tuple[str, str, str | None], int | None]:
        """The job as plain values, for ``_boot`` (see ``spawned_boot``)."""
        return (self.db_path, self.run_id, self.claim, self.task.values(), self.port)


class _Reporter:
    """Writes a running task's progress to the database from a thread of its own, at most
    once per ``interval``, so that a task may report in a tight loop; and tells the
    schedulers (a change note, see ``_wakeup``) when the progress changed or the run's log
    grew, so that a dashboard follows the run without polling.

    One per worker process, started before its first run (off the path from claim to
    start); a run is bound with ``begin`` and unbound with ``end``, so a pooled worker
    keeps the same thread for all its runs.
    """

    def __init__(self, db: JobsDatabase, interval: float = _PROGRESS_INTERVAL) -> None:
        self._db = db
        self._interval = interval
        self._cond = threading.Condition()
        self._run: tuple[int, int] | None = None  # (run_id, claim) while one is bound
        self._log: Path | None = None
        self._log_size = 0
        self._ports: list[int] = []
        self._ports_read = 0.0
        self._pending: tuple[float | None, str | None] | None = None
        self._latest: tuple[float | None, str | None] | None = None
        self._next_write = 0.0
        self._writing = False
        self._closed = False
        self._idle = False  # the thread waits for a run to be bound (no timeout)
        self._ended: _thread.LockType | None = None  # held while the thread runs

    def start(self) -> None:
        """Start the thread (it sleeps until a run is bound)."""
        with self._cond:
            if self._ended is None and not self._closed:
                # A bare thread: a threading.Thread costs three times the CPU in a freshly
                # forked process (about 0.65 ms against 0.2), and this one needs no join
                # at exit (a worker ends with os._exit).
                self._ended = _thread.allocate_lock()
                self._ended.acquire()
                _thread.start_new_thread(self._thread_main, ())

    def begin(self, run_id: int, claim: int, log: Path, ports: list[int]) -> None:
        """Follow claim ``claim`` of run ``run_id`` (its log at ``log``; the schedulers on
        ``ports``)."""
        with self._cond:
            self._run = (run_id, claim)
            self._log = log
            self._log_size = _size(log)
            self._ports = list(ports)
            self._ports_read = time.monotonic()
            self._pending = self._latest = None
            self._next_write = 0.0
            if self._idle:
                # Else it is in its timed wait (for the run before: a pooled worker): it
                # follows this run when that ends, no later than one interval from now.
                self._cond.notify_all()

    def report(self, fraction: float | None, message: str | None) -> None:
        """Note the progress of the bound run (written by the thread)."""
        with self._cond:
            if self._run is None:
                return
            self._pending = self._latest = (fraction, message)
            self._cond.notify_all()

    def end(self) -> tuple[float | None, str | None] | None:
        """Stop following the run (after a write under way has ended); returns the latest
        progress it reported, which the result's transaction writes."""
        with self._cond:
            # The thread is not woken: at the end of its timed wait it finds no run (and
            # goes back to waiting for one) or the next run of a pooled worker. A short
            # run costs it no wake-up.
            self._run = None
            self._pending = None
            self._cond.wait_for(lambda: not self._writing)
            latest, self._latest = self._latest, None
            return latest

    def close(self) -> None:
        """Stop the thread."""
        with self._cond:
            self._closed = True
            self._run = None
            self._cond.notify_all()
        if self._ended is not None:
            with self._ended:  # released when the thread ends
                pass

    def _due(self) -> bool:
        return self._pending is not None and time.monotonic() >= self._next_write

    def _thread_main(self) -> None:
        try:
            self._loop()
        finally:
            assert self._ended is not None
            self._ended.release()

    def _loop(self) -> None:
        while True:
            with self._cond:
                if not self._closed and self._run is None:
                    self._idle = True
                    self._cond.wait_for(lambda: self._closed or self._run is not None)
                    self._idle = False
                self._cond.wait_for(lambda: self._closed or self._due(),
                                    timeout=self._interval)
                run = self._run
                if self._closed:
                    return
                if run is None:
                    continue
                value = None
                if self._due():
                    value, self._pending = self._pending, None
                    self._next_write = time.monotonic() + self._interval
                log, size = self._log, self._log_size
                self._writing = True
            try:
                self._write(run, value, log, size)
            finally:
                with self._cond:
                    self._writing = False
                    self._cond.notify_all()

    def _write(self, run: tuple[int, int], value: tuple[float | None, str | None] | None,
               log: Path | None, size: int) -> None:
        changed = False
        if value is not None:
            with contextlib.suppress(sqlite3.Error):  # progress is best effort
                self._db.progress(run[0], run[1], *value)
                changed = True
        new_size = _size(log)
        if new_size != size:
            changed = True
            with self._cond:
                if self._run == run:
                    self._log_size = new_size
        if changed:
            notify(self._current_ports(), [run[0]], wake=False)

    def _current_ports(self) -> list[int]:
        """The schedulers' ports, read again every few seconds (one may have started)."""
        if time.monotonic() - self._ports_read > _PORTS_EVERY:
            self._ports_read = time.monotonic()
            with contextlib.suppress(sqlite3.Error):
                self._ports = self._db.ports()
        return self._ports


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


def spawned_boot(job: tuple[str, int, int, tuple[str, str, str | None], int | None]
                 ) -> None:
    """``spawned_main`` from plain values (see ``_boot``): ``(db_path, run_id, claim,
    (module, qualname, file), port)``."""
    db_path, run_id, claim, task, port = job
    spawned_main(WorkerJob(db_path, run_id, claim, TaskRef(*task), port))


def execute(job: WorkerJob) -> None:
    """Run ``job.run_id`` in this process and record its result (see the module's
    description). Call it in a process of its own: it takes over stdin, stdout and stderr."""
    runner = Runner(Path(job.db_path))
    try:
        runner.run(job)
    finally:
        runner.close()


class Runner:
    """What a worker process keeps from one run to the next: its database connection, its
    progress thread, its standard streams. A fresh process runs one job with it; a pooled
    one runs job after job.

    Making it takes over stdin (reads nothing), stdout and stderr (a run's log while it
    runs, else nothing); call it in a worker process only.
    """

    def __init__(self, db_path: Path) -> None:
        _leave_resource_tracker()
        self.db_path = db_path
        self.files = RunFiles(db_path)
        self._db: JobsDatabase | None = None
        self._reporter: _Reporter | None = None
        self._blank: Path | None = None
        self._blanks = 0
        self._next_lock: tuple[int, Path] | None = None
        self._out, self._err = _take_output()

    def prepare(self) -> None:
        """Before the next run: open the database, start the progress thread, make the
        log file (empty, under a name of its own) that the run's log will be (a failure is
        left for ``run``, which records it in the run's log)."""
        with contextlib.suppress(Exception):
            db, _ = self._database()
            db.ports()  # the schema read, the connection's first statement made
        with contextlib.suppress(OSError):
            sender()  # the socket its datagrams go from
        if self._next_lock is None and sys.platform != "win32":  # (an open file: no link)
            path = self.files.locks / f"next-{os.getpid()}-{self._blanks}.lock"
            with contextlib.suppress(OSError):
                self._next_lock = (hold_run_lock(path, self.files.free_locks), path)
        if self._blank is None:
            self._blanks += 1
            blank = self.files.logs / f".next-{os.getpid()}-{self._blanks}.log"
            with contextlib.suppress(OSError):
                os.close(os.open(blank, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
                self._blank = blank

    def _open_log(self, log: Path) -> None:
        """Point stdout and stderr at ``log``: the file made ahead, given the log's name
        (a link: making a file costs far more than naming one on some file systems), or
        the log as it is (a retried run's, which the new attempt appends to)."""
        blank, self._blank = self._blank, None
        if blank is not None:
            try:
                os.link(blank, log)
            except FileExistsError:
                self._blank = blank  # for the next run
            except OSError:
                self._discard(blank)
            else:
                self._discard(blank)
        _point_output(log)

    @staticmethod
    def _discard(path: Path) -> None:
        with contextlib.suppress(OSError):
            path.unlink()

    def _database(self) -> tuple[JobsDatabase, _Reporter]:
        if self._db is None or self._reporter is None:
            self._db = JobsDatabase(self.db_path, create=False)
            self._reporter = _Reporter(self._db)
            self._reporter.start()
        return self._db, self._reporter

    def run(self, job: WorkerJob, *, note_own: bool = True) -> list[int]:
        """Run the job and record its result (see the module's description). The other
        schedulers are woken; the one that gave the job (``job.port``) gets a change note
        unless ``note_own`` is False. Returns the runs that changed that the scheduler
        which gave the job should hear of (for ``note``), or an empty list.

        Raises:
            Exception: the worker itself failed (its database is unusable, say): end the
                process; the scheduler records the run as lost.
        """
        log = self.files.log(job.run_id)
        self._open_log(log)
        # The streams a task before this one may have replaced.
        sys.stdout, sys.stderr = self._out, self._err
        lock_path = self.files.run_lock(job.run_id, job.claim)
        lock = self._take_lock(lock_path)
        ports: list[int] = []
        changed: list[int] = []
        try:
            db, reporter = self._database()
            started = db.start(job.run_id, job.claim, os.getpid(), time.time())
            if started is None:
                return []  # cancelled (or given up) before it started
            inputs, attempt, ports = started
            notify(ports, [job.run_id], wake=False)  # started: a dashboard shows it
            if attempt > 1:
                print(f"--- attempt {attempt} ---", flush=True)
            reporter.begin(job.run_id, job.claim, log, ports)
            status, output, error = _call(job.task, json.loads(inputs), reporter)
            latest = reporter.end()
            _flush()
            finished = db.finish(job.run_id, job.claim, status, output=output, error=error,
                                 now=time.time(), progress=latest)
            if finished is not None:
                ports, queued = finished
                changed = [job.run_id, *queued]
        finally:
            _flush()
            release_run_lock(lock, lock_path, self.files.free_locks)
        if not changed:
            return []
        notify([port for port in ports if port != job.port], changed)
        if job.port not in ports:
            return []
        if note_own:
            self.note(job, changed)
        return changed

    @staticmethod
    def note(job: WorkerJob, changed: list[int]) -> None:
        """Tell the scheduler that gave ``job`` that ``changed`` runs changed (it learns of
        the run's end from its launcher: a note, which asks for no look)."""
        if changed and job.port is not None:
            notify([job.port], changed, wake=False)

    def idle(self) -> None:
        """Between two runs of a pooled worker: what threads left by a task write goes
        nowhere, not into the log of the run that ended."""
        _point_output(Path(os.devnull))

    def _take_lock(self, path: Path) -> int:
        """The run's lock, held: the one locked ahead, renamed (the lock goes with the
        open file), or a new one."""
        ahead, self._next_lock = self._next_lock, None
        if ahead is not None:
            fd, ahead_path = ahead
            if name(ahead_path, path):
                return fd
            release_run_lock(fd, ahead_path, self.files.free_locks)
        return hold_run_lock(path, self.files.free_locks)

    def discard_next_log(self) -> None:
        """Let go of what was made ahead for a run that will not come: the log file, the
        lock."""
        if self._blank is not None:
            self._discard(self._blank)
            self._blank = None
        if self._next_lock is not None:
            fd, path = self._next_lock
            self._next_lock = None
            release_run_lock(fd, path, self.files.free_locks)

    def close(self) -> None:
        """Stop the progress thread, close the database, remove the file made ahead."""
        _flush()
        self.discard_next_log()
        if self._reporter is not None:
            self._reporter.close()
        if self._db is not None:
            self._db.close()


def _call(ref: TaskRef, inputs: dict[str, Any], reporter: _Reporter
          ) -> tuple[Status, str | None, str | None]:
    token = _REPORTER.set(reporter)
    try:
        fn = ref.load()
        _log_to_stderr()
        result = fn(**inputs)
        if inspect.iscoroutine(result):
            import asyncio  # only for async tasks: a worker imports little

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


def _take_output() -> tuple[io.TextIOWrapper, io.TextIOWrapper]:
    """Point file descriptors 0, 1 and 2 at the null device, and ``sys.stdin``,
    ``sys.stdout`` and ``sys.stderr`` at them; returns the new stdout and stderr."""
    _flush()
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)
    # Unbuffered, like `python -u`: each write reaches the file at once (a dashboard
    # tails it while the run runs).
    sys.stdout = out = _text(1)
    sys.stderr = err = _text(2)
    sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115 - the process's stdin
    return out, err


def _point_output(log: Path) -> None:
    """Send file descriptors 1 and 2 to the end of ``log``."""
    _flush()
    flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_BINARY", 0)
    fd = os.open(log, flags, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


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
