"""The ``spawn`` launcher: one ``multiprocessing`` spawn per run (every system)."""

from __future__ import annotations

import multiprocessing
import sys
from multiprocessing.process import BaseProcess

from appkit.jobs._files import kill_group
from appkit.jobs.launching import Exited, LaunchEvent, NotStarted, Started, WorkerKey
from appkit.jobs.worker import WorkerJob, spawned_main

__all__ = ["SpawnLauncher"]


class SpawnLauncher:
    """Starts each worker with ``multiprocessing``'s ``spawn`` (see ``launching``)."""

    name = "spawn"

    def __init__(self) -> None:
        self._context = multiprocessing.get_context("spawn")
        self._processes: dict[WorkerKey, BaseProcess] = {}
        self._events: list[LaunchEvent] = []

    @property
    def ready(self) -> bool:
        """Always ready."""
        return True

    def launch(self, job: WorkerJob) -> None:
        """Spawn the worker of ``job``."""
        # Not daemonic: a daemonic process may not start processes of its own, and a task
        # may want to (a multiprocessing pool).
        process = self._context.Process(target=spawned_main, args=(job,),
                                        name=f"appkit-job-{job.run_id}")
        try:
            process.start()
        except Exception as exc:  # no memory, too many processes: the run is queued again
            self._events.append(NotStarted(job.key, f"{type(exc).__name__}: {exc}"))
            return
        self._processes[job.key] = process
        assert process.pid is not None
        self._events.append(Started(job.key, process.pid))

    def kill(self, key: WorkerKey) -> None:
        """Kill the worker ``key`` and its process group."""
        process = self._processes.get(key)
        # exitcode None: not reaped yet, so the pid is still this worker's.
        if process is None or process.exitcode is not None or process.pid is None:
            return
        if sys.platform == "win32":  # pragma: no cover - Windows only
            process.kill()  # TerminateProcess: processes it started live on
        else:
            kill_group(process.pid)

    def waitables(self) -> list[object]:
        """The workers' sentinels."""
        return [process.sentinel for process in self._processes.values()]

    def events(self) -> list[LaunchEvent]:
        """Starts and exits since the last call."""
        events, self._events = self._events, []
        for key, process in list(self._processes.items()):
            if process.exitcode is not None:
                events.append(Exited(key, process.exitcode))
                del self._processes[key]
                process.close()
        return events

    def close(self) -> None:
        """Forget the workers (the dispatcher has waited for them)."""
        self._processes.clear()
