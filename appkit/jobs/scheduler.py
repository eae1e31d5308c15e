"""``Jobs``: the job scheduler of an app (``app.jobs``), or of a script.

    jobs = Jobs("reports-jobs.db")            # app.jobs is one made for the app

    @jobs.task(timeout=60)
    def build_report(month: str):
        ...
        return {"rows": 1200}

    jobs.start()                              # an App starts and stops it with its lifespan
    run_id = jobs.enqueue("build_report", {"month": "2024-05"})
    run = jobs.wait(run_id)
    jobs.stop()

Anything may queue, read and cancel runs (the app, a script, another process with the same
database); a started scheduler also runs them. Nothing touches the disk until the
scheduler is started or a run is queued or read.
"""

from __future__ import annotations

import asyncio
import atexit
import dataclasses
import logging
import math
import os
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeVar, overload

from appkit.errors import ConfigurationError
from appkit.jobs._files import RunFiles, is_held, kill_group, read_log
from appkit.jobs._wakeup import notify
from appkit.jobs.database import JobsDatabase
from appkit.jobs.dispatcher import Dispatcher
from appkit.jobs.errors import UnknownTask
from appkit.jobs.launching import WORKER_KINDS, check_main_guard
from appkit.jobs.runs import LogChunk, Run, Status
from appkit.jobs.tasks import Task, seconds, timestamp

if TYPE_CHECKING:
    from appkit.jobs.dashboard import Dashboard
    from appkit.jobs.extension import JobsExtension

__all__ = ["Jobs", "JobsSettings"]

PathSource = str | os.PathLike[str] | Callable[[], str | os.PathLike[str]]
logger = logging.getLogger("appkit.jobs")
_F = TypeVar("_F", bound=Callable[..., Any])
_WAIT_STEP = 0.05


@dataclass(frozen=True)
class JobsSettings:
    """How a scheduler runs (change them with ``jobs.configure(...)`` before it starts).

    Attributes:
        max_concurrent_runs: how many runs this scheduler process runs at once (each in a
            process of its own); the others wait in the queue. Several scheduler processes
            on one database each run up to this many.
        poll_interval: seconds between two looks at the database when nothing woke the
            scheduler (a fallback: queuing, cancelling and finishing wake it at once).
        stop_timeout: seconds ``stop()`` lets running runs finish before killing them.
        workers: how worker processes start: ``"auto"`` (``forkserver`` on Linux, else
            ``spawn``), ``"forkserver"`` (a helper process forks one per run: fast) or
            ``"spawn"`` (a fresh interpreter per run).
        worker_max_runs: how many runs one worker process runs, one after another, before
            a new one takes its place: 1 (the default) is a fresh process for every run;
            more (or None, no limit) is a pool of workers for many short runs, which
            start faster but share what a run leaves in its process.
        worker_max_memory_mb: with ``worker_max_runs`` other than 1, a worker whose
            resident memory is above this many megabytes after a run is replaced (not on
            Windows); None for no bound.
    """

    max_concurrent_runs: int = 2
    poll_interval: float = 2.0
    stop_timeout: float = 2.0
    workers: str = "auto"
    worker_max_runs: int | None = 1
    worker_max_memory_mb: float | None = None

    def __post_init__(self) -> None:
        runs = self.max_concurrent_runs
        if isinstance(runs, bool) or not isinstance(runs, int) or runs < 1:
            raise ConfigurationError(
                f"max_concurrent_runs must be a whole number, 1 or more, not {runs!r}")
        seconds(self.poll_interval, "poll_interval")
        if not isinstance(self.stop_timeout, int | float) or self.stop_timeout < 0:
            raise ConfigurationError(
                f"stop_timeout must be 0 or more seconds, not {self.stop_timeout!r}")
        if self.workers not in WORKER_KINDS:
            raise ConfigurationError(
                f"workers must be one of {', '.join(WORKER_KINDS)}, not {self.workers!r}")
        most = self.worker_max_runs
        if most is not None and (isinstance(most, bool) or not isinstance(most, int)
                                 or most < 1):
            raise ConfigurationError(
                f"worker_max_runs must be a whole number, 1 or more (1: a fresh process for "
                f"every run), or None for no limit, not {most!r}")
        memory = self.worker_max_memory_mb
        if memory is not None:
            if isinstance(memory, bool) or not isinstance(memory, int | float) or not (
                    math.isfinite(memory) and memory > 0):
                raise ConfigurationError(
                    f"worker_max_memory_mb must be a positive number of megabytes, or None, "
                    f"not {memory!r}")
            if most == 1:
                raise ConfigurationError(
                    f"worker_max_memory_mb={memory!r} bounds pooled workers, but "
                    "worker_max_runs is 1 (a fresh process for every run). Set "
                    "worker_max_runs too (e.g. 100, or None for no limit)")
            if sys.platform == "win32":  # pragma: no cover - Windows only
                raise ConfigurationError(
                    "worker_max_memory_mb is not available on Windows; bound the pooled "
                    "workers with worker_max_runs")

    def extension(self) -> JobsExtension:
        """The jobs extension (``app.jobs``) with these settings."""
        from appkit.jobs.extension import JobsExtension

        return JobsExtension(self)


class Jobs:
    """A job scheduler: tasks, and the runs of them kept in a SQLite file of its own.

    Args:
        path: the database file, or a function that returns it (called on first use).
        settings: a ``JobsSettings``.
        app: the App this scheduler belongs to (``app.jobs`` passes it), for ``dashboard``.
    """

    def __init__(self, path: PathSource, settings: JobsSettings | None = None, *,
                 app: Any = None) -> None:
        self.app = app
        self._path_source = path
        self._path: Path | None = None
        self.settings = settings or JobsSettings()
        self._tasks: dict[str, Task] = {}
        self._lock = threading.Lock()
        self._db: JobsDatabase | None = None
        self._dispatcher: Dispatcher | None = None
        self._listeners: tuple[Callable[[int], Any], ...] = ()

    # ---- where ------------------------------------------------------------------------

    @property
    def path(self) -> Path:
        """The database file (worked out on first access; not created by asking)."""
        if self._path is None:
            source = self._path_source
            self._path = Path(source() if callable(source) else source)
        return self._path

    @property
    def logs_folder(self) -> Path:
        """The folder of the runs' log files (``<database>-runs/logs``)."""
        return RunFiles(self.path).logs

    def _database(self) -> JobsDatabase:
        with self._lock:
            if self._db is None:
                self._db = JobsDatabase(self.path)
            return self._db

    def dashboard(self, path: str = "/jobs", **options: Any) -> Dashboard:
        """Add the jobs dashboard (runs, live progress, logs, cancel / run again / run now)
        to this scheduler's app at ``path``; returns its Router. See docs/jobs.md.

        Raises:
            ConfigurationError: this scheduler belongs to no app (mount it with
                ``app.include(Dashboard(jobs, "/jobs"))``), or the path is taken.
        """
        from appkit.jobs.dashboard import mount_dashboard

        return mount_dashboard(self, self.app, path, **options)

    # ---- tasks --------------------------------------------------------------------------

    @property
    def tasks(self) -> Mapping[str, Task]:
        """The registered tasks by name (read-only)."""
        return MappingProxyType(self._tasks)

    def configure(self, **changes: Any) -> None:
        """Change settings (``max_concurrent_runs=4``...; see ``JobsSettings``) before the
        scheduler starts.

        Raises:
            ConfigurationError: an unknown or bad setting, or the scheduler is running.
        """
        if self.running:
            raise ConfigurationError("Configure the scheduler before it starts")
        try:
            self.settings = dataclasses.replace(self.settings, **changes)
        except TypeError:
            known = ", ".join(field.name for field in dataclasses.fields(JobsSettings))
            raise ConfigurationError(
                f"Unknown scheduler setting in {sorted(changes)}; the settings are: {known}"
            ) from None

    def register(self, name: str, fn: Callable[..., Any], timeout: float | timedelta | None
                 = None, *, retries: int = 0) -> Task:
        """Register ``fn`` as the task ``name``.

        Args:
            name: the name runs are queued by.
            fn: a function defined at the top level of a module (its worker process
                imports it); its keyword arguments are the runs' inputs. It may be async.
            timeout: seconds (or a timedelta) a run may take before its worker and the
                processes it started are killed (status ``timeout``); None for no limit.
            retries: how many times a failed run (the function raised, or its worker
                process was lost) is queued again before it stays ``failed``.

        Raises:
            ConfigurationError: a bad option, a function a worker cannot import, or a
                name already used by another function.
        """
        task = Task.make(name, fn, timeout, retries)
        with self._lock:
            other = self._tasks.get(name)
            if other is not None and other.ref != task.ref:
                raise ConfigurationError(
                    f"Task name {name!r} is already used by {other.ref.module}."
                    f"{other.ref.qualname}; pass name=... to tell them apart")
            # A new dict, not a change: the dispatcher thread reads it without a lock.
            self._tasks = {**self._tasks, name: task}
        return task

    @overload
    def task(self, name: _F, /) -> _F: ...

    @overload
    def task(self, name: str | None = None, /, *, timeout: float | timedelta | None = None,
             retries: int = 0) -> Callable[[_F], _F]: ...

    def task(self, name: Any = None, /, *, timeout: float | timedelta | None = None,
             retries: int = 0) -> Any:
        """Register the decorated function as a task (named after the function unless
        ``name`` is given); the function is returned unchanged, so it can still be called
        directly. ``@jobs.task`` and ``@jobs.task("name", timeout=60)`` both work; see
        ``register`` for the options."""
        if callable(name):
            self.register(name.__name__, name)
            return name

        def decorate(fn: _F) -> _F:
            self.register(name or fn.__name__, fn, timeout, retries=retries)
            return fn

        return decorate

    def _task(self, name: str) -> Task:
        task = self._tasks.get(name)
        if task is None:
            known = ", ".join(sorted(self._tasks)) or "none yet"
            raise UnknownTask(
                f"There is no task called {name!r}. Known tasks: {known}. Register it with "
                "@app.task() (or jobs.register)")
        return task

    # ---- queueing -----------------------------------------------------------------------

    def enqueue(self, name: str, inputs: Mapping[str, Any] | None = None, *,
                scheduled_for: datetime | timedelta | None = None,
                timeout: float | timedelta | None = None,
                period: float | timedelta | None = None) -> int:
        """Queue a run of task ``name``; returns its id. A started scheduler (in this
        process or another) starts it at once, or at ``scheduled_for``.

        Args:
            inputs: the function's keyword arguments; they must be JSON (strings, numbers,
                booleans, None, lists, dicts with string keys).
            scheduled_for: not before this time (a datetime; naive means local time), or
                this long from now (a timedelta).
            timeout: seconds (or a timedelta) for this run, instead of the task's.
            period: run again every ``period`` seconds (or timedelta): when a run ends
                (completed, failed or timed out) the next one is queued for the next
                ``scheduled_for + k * period`` still to come. Cancelling one ends the series.

        Raises:
            UnknownTask: no task has that name.
            InvalidInputs: the inputs are not JSON or do not fit the function.
            ConfigurationError: a bad timeout, period or scheduled_for.
        """
        task = self._task(name)
        text = task.check_inputs(inputs)
        own_timeout = seconds(timeout, "timeout")
        every = seconds(period, "period")
        now = time.time()
        run_id, ports = self._database().insert(
            name, text, now=now, scheduled_for=timestamp(scheduled_for, now),
            timeout=own_timeout if own_timeout is not None else task.timeout, period=every,
            retries=task.retries)
        notify(ports, [run_id])
        return run_id

    def rerun(self, run_id: int) -> int:
        """Queue a new run of the same task with the same inputs and timeout (not its
        period); returns the new run's id, whose ``rerun_of`` is ``run_id``.

        Raises:
            RunNotFound: no run has that id.
            UnknownTask: its task is no longer registered.
        """
        db = self._database()
        run = db.get(run_id)
        task = self._task(run.task)
        new_id, ports = db.insert(run.task, task.check_inputs(run.inputs), now=time.time(),
                                  scheduled_for=time.time(), timeout=run.timeout,
                                  period=None, retries=task.retries, rerun_of=run.id)
        notify(ports, [new_id])
        return new_id

    def cancel(self, run_id: int) -> bool:
        """Cancel a run: a queued one never starts; a running one's worker (and what it
        started) is killed. Returns False when the run had already finished.

        Raises:
            RunNotFound: no run has that id.
        """
        result = self._database().cancel(run_id, time.time())
        if not result.cancelled:
            return False
        woken: list[int] = []
        if result.was_running:
            files = RunFiles(self.path)
            if result.owner is not None and is_held(files.scheduler_lock(result.owner)):
                woken = result.ports  # its scheduler kills the worker
            elif result.pid is not None and is_held(files.run_lock(run_id, result.claim)):
                # Its scheduler is gone: kill the worker here, while its lock says that
                # the pid is still that worker's.
                kill_group(result.pid)
        notify(woken, [run_id])
        notify([port for port in result.everyone if port not in woken], [run_id], wake=False)
        return True

    def purge(self, older_than: timedelta) -> int:
        """Delete the runs that finished more than ``older_than`` ago, and their logs;
        returns how many. Queued and running runs are never deleted."""
        if not isinstance(older_than, timedelta):
            raise ConfigurationError(f"older_than must be a timedelta, not {older_than!r}")
        ids = self._database().purge(time.time() - older_than.total_seconds())
        files = RunFiles(self.path)
        for run_id in ids:
            files.log(run_id).unlink(missing_ok=True)
        return len(ids)

    # ---- reading ------------------------------------------------------------------------

    def get(self, run_id: int) -> Run:
        """The run as it is now, with its log so far.

        Raises:
            RunNotFound: no run has that id (a 404 page inside a handler).
        """
        run = self._database().get(run_id)
        text, _ = read_log(RunFiles(self.path).log(run.id), final=run.done)
        return dataclasses.replace(run, log=text)

    def runs(self, task: str | Iterable[str] | None = None,
             status: str | Iterable[str] | None = None, *, limit: int = 50,
             before: int | None = None) -> list[Run]:
        """Runs, newest first (their ``log`` is None: ``get`` or ``log`` reads it).

        Args:
            task: only runs of this task (or these tasks).
            status: only runs in this status (or these statuses).
            limit: at most this many.
            before: only runs with an id below this one (the next page: pass the last
                id of the page before).

        Raises:
            ConfigurationError: an unknown status.
        """
        return self._database().runs(tasks=_names(task), statuses=_statuses(status),
                                     limit=limit, before=before)

    def counts(self, task: str | Iterable[str] | None = None) -> dict[Status, int]:
        """How many runs are in each status (of ``task``, or all)."""
        return self._database().counts(_names(task))

    def log(self, run_id: int, offset: int = 0) -> LogChunk:
        """What run ``run_id`` wrote from byte ``offset`` of its log on, and the offset to
        ask from next time: call it again with that offset to follow the log as it grows.

        Raises:
            RunNotFound: no run has that id.
        """
        run = self._database().get(run_id)
        text, next_offset = read_log(RunFiles(self.path).log(run.id), offset, final=run.done)
        return LogChunk(text, next_offset)

    def wait(self, run_id: int, timeout: float | None = None) -> Run:
        """Block until run ``run_id`` has finished (or is cancelled); returns it. For
        scripts and tests (not handlers: it blocks).

        Raises:
            TimeoutError: it did not finish within ``timeout`` seconds.
            RunNotFound: no run has that id.
        """
        until = None if timeout is None else time.monotonic() + timeout
        db = self._database()
        while True:
            if db.get(run_id).done:
                return self.get(run_id)
            if until is not None and time.monotonic() >= until:
                run = db.get(run_id)
                raise TimeoutError(
                    f"Run {run_id} ({run.task}) did not finish within {timeout:g} s: it "
                    f"is {run.status}")
            time.sleep(_WAIT_STEP)

    async def changes(self, interval: float = 0.25) -> AsyncIterator[None]:
        """Yield whenever the scheduler's database changed (a run queued, started,
        progressed, finished, in any process), checking every ``interval`` seconds; for
        live pages (server-sent events). Log output is not a change: follow a log with
        ``log(run_id, offset)``.

            async for _ in app.jobs.changes():
                yield Event(render_runs(app.jobs.runs()))
        """
        db = await asyncio.to_thread(JobsDatabase, self.path)
        try:
            seen = await asyncio.to_thread(db.data_version)
            while True:
                await asyncio.sleep(interval)
                version = await asyncio.to_thread(db.data_version)
                if version != seen:
                    seen = version
                    yield None
        finally:
            db.close()

    def on_change(self, fn: Callable[[int], Any]) -> Callable[[int], Any]:
        """Call ``fn(run_id)`` whenever a run changed: queued, started, reported progress,
        wrote to its log, finished, was cancelled, in this process or another one on the
        same database. Returns ``fn`` (so it works as a decorator).

        ``fn`` is called on the scheduler's thread, only while this process's scheduler
        runs (``start()``; an app with tasks), at most about ten times a second per run for
        progress and log output. Keep it quick (hand slow work to a thread of your own): the
        scheduler does nothing else meanwhile. An exception it raises is logged and the
        scheduler carries on. The call says only which run changed: read it with
        ``get`` or ``runs``. A change may be told more than once, or (a datagram lost,
        another process's scheduler not yet known to a worker) not at all.
        """
        if not callable(fn):
            raise ConfigurationError(f"on_change takes a function of the run id, not {fn!r}")
        with self._lock:
            self._listeners = (*self._listeners, fn)
        return fn

    def _changed(self, run_ids: list[int]) -> None:
        """Tell the listeners (on the dispatcher's thread)."""
        for run_id in run_ids:
            for fn in self._listeners:
                try:
                    fn(run_id)
                except Exception:
                    logger.exception("The jobs on_change listener %r failed for run %d",
                                     fn, run_id)

    # ---- running --------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """Whether this object's scheduler is started."""
        return self._dispatcher is not None

    def start(self) -> None:
        """Start running queued runs (in this process's own thread and worker processes);
        does nothing if it already runs. First, runs left "running" by a scheduler that
        is gone are taken over: killed when past their timeout, recorded as failed (or
        queued again) when their worker is gone.

        Raises:
            JobsError: the database is unusable.
            ConfigurationError: the settings ask for workers this system cannot start, or
                a script calls it outside its ``if __name__ == "__main__":`` block.
        """
        with self._lock:
            if self._dispatcher is not None:
                return
            check_main_guard("jobs.start()")
            dispatcher = Dispatcher(self.path, lambda: self._tasks, self.settings,
                                    self._changed)
            dispatcher.start()
            self._dispatcher = dispatcher
        atexit.register(self.stop)

    def stop(self, timeout: float | None = None) -> None:
        """Stop running runs: nothing new starts (a claimed run whose function has not
        begun goes back to the queue); the running ones get ``timeout`` seconds
        (``settings.stop_timeout`` by default) to finish, then they are killed and
        recorded as failed (queued again if they have retries left). Does nothing if the
        scheduler is not running. Also closes the database connection."""
        with self._lock:
            dispatcher, self._dispatcher = self._dispatcher, None
            db, self._db = self._db, None
        if dispatcher is not None:
            atexit.unregister(self.stop)
            dispatcher.stop(self.settings.stop_timeout if timeout is None else timeout)
        if db is not None:
            db.close()

    def __repr__(self) -> str:
        where = self._path if self._path is not None else "(path not resolved yet)"
        state = "running" if self.running else "stopped"
        return f"<Jobs {where} tasks={len(self._tasks)} {state}>"


def _names(value: str | Iterable[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _statuses(value: str | Iterable[str] | None) -> list[str]:
    names = _names(value)
    known = {str(status) for status in Status}
    unknown = [name for name in names if str(name) not in known]
    if unknown:
        raise ConfigurationError(
            f"Unknown status {', '.join(map(repr, unknown))}; the statuses are: "
            f"{', '.join(sorted(known))}")
    return [str(name) for name in names]
