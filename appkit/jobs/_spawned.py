"""The ``spawn`` launcher: one ``multiprocessing`` spawn per run (every system), or, pooled,
spawned workers that take run after run (``_serving.py``)."""

from __future__ import annotations

import contextlib
import multiprocessing
import sys
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from appkit.jobs._boot import boot_target
from appkit.jobs._files import kill_group
from appkit.jobs._serving import WorkerOptions
from appkit.jobs.launching import (
    Exited,
    Finished,
    LaunchEvent,
    NotStarted,
    Started,
    WorkerKey,
)
from appkit.jobs.worker import WorkerJob

__all__ = ["SpawnLauncher"]


@dataclass
class _Pooled:
    """A pooled worker: its process, the scheduler's end of its pipe, and the job it runs
    (None while it waits)."""

    process: BaseProcess
    conn: Connection
    key: WorkerKey | None = None


class SpawnLauncher:
    """Starts each worker with ``multiprocessing``'s ``spawn`` (see ``launching``)."""

    name = "spawn"

    def __init__(self, options: WorkerOptions) -> None:
        self._context = multiprocessing.get_context("spawn")
        self._options = options
        self._processes: dict[WorkerKey, BaseProcess] = {}  # a process per run
        self._pool: list[_Pooled] = []  # pooled workers, busy and waiting
        self._events: list[LaunchEvent] = []

    @property
    def ready(self) -> bool:
        """Always ready."""
        return True

    def launch(self, job: WorkerJob) -> None:
        """Spawn the worker of ``job`` (or hand it to a waiting pooled one)."""
        if self._options.pooled:
            self._launch_pooled(job)
            return
        # Not daemonic: a daemonic process may not start processes of its own, and a task
        # may want to (a multiprocessing pool).
        target, args = boot_target("appkit.jobs.worker.spawned_boot", job=job.values())
        process = self._context.Process(target=target, args=args,
                                        name=f"appkit-job-{job.run_id}")
        try:
            process.start()
        except Exception as exc:  # no memory, too many processes: the run is queued again
            self._events.append(NotStarted(job.key, f"{type(exc).__name__}: {exc}"))
            return
        self._processes[job.key] = process
        assert process.pid is not None
        self._events.append(Started(job.key, process.pid))

    def _launch_pooled(self, job: WorkerJob) -> None:
        for worker in self._pool:
            if worker.key is None and worker.process.exitcode is None:
                try:
                    worker.conn.send(("run", job))
                except OSError:
                    continue  # it is ending: reported by its sentinel
                worker.key = job.key
                assert worker.process.pid is not None
                self._events.append(Started(job.key, worker.process.pid))
                return
        ours, theirs = self._context.Pipe(duplex=True)
        target, args = boot_target("appkit.jobs._serving.pooled_boot", conn=theirs,
                                   options=self._options.values())
        process = self._context.Process(target=target, args=args, name="appkit-jobs-worker")
        try:
            process.start()
        except Exception as exc:
            ours.close()
            self._events.append(NotStarted(job.key, f"{type(exc).__name__}: {exc}"))
            return
        finally:
            theirs.close()
        worker = _Pooled(process, ours, job.key)
        self._pool.append(worker)
        ours.send(("run", job))  # a new pipe's buffer takes it
        assert process.pid is not None
        self._events.append(Started(job.key, process.pid))

    def kill(self, key: WorkerKey) -> None:
        """Kill the worker ``key`` and its process group."""
        process = self._processes.get(key)
        if process is None:
            process = next((w.process for w in self._pool if w.key == key), None)
        # exitcode None: not reaped yet, so the pid is still this worker's.
        if process is None or process.exitcode is not None or process.pid is None:
            return
        if sys.platform == "win32":  # pragma: no cover - Windows only
            process.kill()  # TerminateProcess: processes it started live on
        else:
            kill_group(process.pid)

    def waitables(self) -> list[object]:
        """The workers' sentinels, and the pooled workers' pipes."""
        return ([process.sentinel for process in self._processes.values()]
                + [w.process.sentinel for w in self._pool]
                + [w.conn for w in self._pool if not w.conn.closed])

    def events(self) -> list[LaunchEvent]:
        """Starts, ends of runs and exits since the last call."""
        events, self._events = self._events, []
        for key, process in list(self._processes.items()):
            if process.exitcode is not None:
                events.append(Exited(key, process.exitcode))
                del self._processes[key]
                process.close()
        for worker in list(self._pool):
            # Its end seen first: then all it said before it ended ("last") is heard now.
            ended = worker.process.exitcode is not None
            self._hear(worker, events)
            if ended:
                if worker.key is not None:
                    events.append(Exited(worker.key, worker.process.exitcode))
                self._pool.remove(worker)
                worker.conn.close()
                worker.process.close()
        return events

    def _hear(self, worker: _Pooled, events: list[LaunchEvent]) -> None:
        while not worker.conn.closed:
            try:
                if not worker.conn.poll():
                    return
                message = worker.conn.recv()
            except (EOFError, OSError):
                worker.conn.close()  # it is ending: its sentinel tells when it has
                return
            if message[0] in ("done", "last") and message[1] == worker.key:
                worker.key = None
                events.append(Finished(message[1], _changed(message)))
                if message[0] == "last":  # it ends: no run goes to it any more
                    worker.conn.close()

    def close(self) -> None:
        """Forget the workers (the dispatcher has waited for those with a run); the
        waiting pooled workers see their pipe close and end."""
        for worker in self._pool:
            worker.conn.close()
            if worker.key is None:
                worker.process.join(5.0)
            with contextlib.suppress(ValueError):
                worker.process.close()
        self._pool.clear()
        self._processes.clear()


def _changed(message: tuple[Any, ...]) -> tuple[int, ...]:
    """The run ids a pooled worker's ("done", key, changed) names."""
    return tuple(int(run_id) for run_id in message[2]) if len(message) > 2 else ()
