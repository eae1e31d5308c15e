"""The ``forkserver`` launcher: a spawned helper that forks the worker processes.

The helper (``serve``) is started with ``multiprocessing``'s ``spawn`` (so it works in a
frozen executable), imports the tasks' modules once, tells the scheduler it is ready, and
then, single-threaded, waits for orders on its pipe:

    ("run", WorkerJob)  hand the job to a waiting worker -> ("started", key, pid)
    ("kill", key)       kill the process group of that job's worker
    ("stop",)           exit (as on end of file: the scheduler is gone)

and reports each worker's end, ("exited", key, returncode), noticed through SIGCHLD, and,
for a pooled worker that takes more runs, the end of its run, ("done", key) (a key is
``WorkerJob.key``).

The workers (``_serving.serve_runs``) are forked ahead of time: one always waits, with its
database open and its progress thread started, so a run does not wait for a fork. A worker
runs one job (a fresh process for every run, the default) or, pooled, up to
``max_runs`` one after another. Each is a session of its own, killed with everything it
started. Only the helper kills and reaps its workers, so a pid it kills is never a reused
one. When it exits, the workers that run a job live on and record their own results; the
waiting ones see their pipe close and end.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from types import FrameType
from typing import Any

from appkit.jobs._files import kill_group
from appkit.jobs._serving import WorkerOptions, serve_runs
from appkit.jobs.launching import (
    Exited,
    Finished,
    LauncherLost,
    LaunchEvent,
    NotStarted,
    Started,
    WorkerKey,
)
from appkit.jobs.tasks import TaskRef
from appkit.jobs.worker import WorkerJob

__all__ = ["ForkServerLauncher", "serve"]

#: How many workers wait for a run, forked ahead of time.
_SPARES = 1


class ForkServerLauncher:
    """The scheduler's side of the fork server (see the module's description)."""

    name = "forkserver"

    def __init__(self, preload: Sequence[TaskRef], options: WorkerOptions) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe(duplex=True)
        # Not daemonic: its children inherit the flag, and a daemonic process may not start
        # processes (a task using a multiprocessing pool).
        self._process = context.Process(target=serve, args=(child, list(preload), options),
                                        name="appkit-jobs-forkserver")
        try:
            self._process.start()
        except BaseException:
            self._conn.close()
            raise
        finally:
            child.close()
        self._ready = False
        self._alive = True
        self._events: list[LaunchEvent] = []

    @property
    def ready(self) -> bool:
        """Whether the helper has imported the tasks' modules and takes orders."""
        return self._ready and self._alive

    def launch(self, job: WorkerJob) -> None:
        """Ask the helper to start the worker of ``job``."""
        if not self._send(("run", job)):
            self._events.append(NotStarted(job.key, "the fork server is gone"))

    def kill(self, key: WorkerKey) -> None:
        """Ask the helper to kill the worker ``key`` and its process group."""
        self._send(("kill", key))

    def waitables(self) -> list[Any]:
        """The helper's pipe."""
        return [self._conn] if self._alive else []

    def events(self) -> list[LaunchEvent]:
        """What the helper reported since the last call."""
        events, self._events = self._events, []
        while self._alive:
            try:
                if not self._conn.poll():
                    break
                message = self._conn.recv()
            except (EOFError, OSError):
                self._lost(events)
                break
            kind = message[0]
            if kind == "ready":
                self._ready = True
            elif kind == "started":
                events.append(Started(message[1], message[2]))
            elif kind == "exited":
                events.append(Exited(message[1], message[2]))
            elif kind == "done":
                events.append(Finished(message[1]))
            elif kind == "failed":
                events.append(NotStarted(message[1], message[2]))
        return events

    def close(self) -> None:
        """Stop the helper (the workers that run a job live on)."""
        if self._alive:
            self._send(("stop",))
        self._process.join(5.0)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(5.0)
        self._alive = False
        self._conn.close()
        with contextlib.suppress(ValueError):
            self._process.close()

    def _send(self, message: tuple[Any, ...]) -> bool:
        if not self._alive:
            return False
        try:
            self._conn.send(message)
        except OSError:
            self._lost(self._events)
            return False
        return True

    def _lost(self, events: list[LaunchEvent]) -> None:
        self._alive = False
        code = self._process.exitcode
        events.append(LauncherLost(
            f"the fork server process ended (exit code {code})" if code is not None
            else "the fork server's pipe closed"))


# ---- in the helper process ------------------------------------------------------------------

@dataclass
class _Worker:
    """A worker process of the helper: its pid, the helper's end of its pipe, and the job
    it runs (None while it waits)."""

    pid: int
    conn: Connection
    key: WorkerKey | None = None
    listening: bool = True  # False once its pipe is closed (it is ending)


class _Server:
    """The helper's state: its workers, busy and waiting."""

    def __init__(self, conn: Connection, options: WorkerOptions, wake: tuple[int, int]
                 ) -> None:
        self.conn = conn
        self.options = options
        self.wake = wake
        self.workers: dict[int, _Worker] = {}  # pid -> worker
        self.waiting: list[_Worker] = []  # forked, no job: the next run's

    def loop(self) -> None:
        self.spare()
        wake_r = self.wake[0]
        while True:
            by_conn = {worker.conn: worker for worker in self.workers.values()
                       if worker.listening}
            ready = wait([self.conn, wake_r, *by_conn])
            if wake_r in ready:
                with contextlib.suppress(OSError):
                    while os.read(wake_r, 512):
                        pass
            self.reap()
            for item in ready:
                worker = by_conn.get(item)  # type: ignore[call-overload]
                if worker is not None and worker.listening:
                    self.hear(worker)
            if self.conn in ready:
                try:
                    message = self.conn.recv()
                except (EOFError, OSError):
                    return  # the scheduler is gone: the workers carry on by themselves
                if message[0] == "run":
                    self.run(message[1])
                elif message[0] == "kill":
                    self.kill(message[1])
                elif message[0] == "stop":
                    return
            self.spare()

    def run(self, job: WorkerJob) -> None:
        """Hand ``job`` to a waiting worker (forked now if none waits)."""
        while True:
            # The latest to wait: a pooled worker that just ended a run, else the spare.
            worker = self.waiting.pop() if self.waiting else self.fork(job.key)
            if worker is None:
                return  # fork() failed: reported
            try:
                worker.conn.send(("run", job))
            except OSError:
                continue  # it died waiting (reaped later): the next one
            worker.key = job.key
            self.conn.send(("started", job.key, worker.pid))
            return

    def kill(self, key: WorkerKey) -> None:
        for worker in self.workers.values():
            if worker.key == key:  # not reaped yet: the pid is still this worker's
                kill_group(worker.pid)

    def hear(self, worker: _Worker) -> None:
        """A message from a worker: the end of its run (a pooled worker that goes on)."""
        try:
            message = worker.conn.recv()
        except (EOFError, OSError):
            # It is ending (reaped through SIGCHLD): not one to hand a job to.
            worker.listening = False
            worker.conn.close()
            with contextlib.suppress(ValueError):
                self.waiting.remove(worker)
            return
        if message[0] == "done" and worker.key == message[1]:
            worker.key = None
            self.conn.send(("done", message[1]))
            self.waiting.append(worker)

    def spare(self) -> None:
        """Keep a worker waiting for the next run."""
        while len(self.waiting) < _SPARES:
            worker = self.fork(None)
            if worker is None:
                return
            self.waiting.append(worker)

    def fork(self, key: WorkerKey | None) -> _Worker | None:
        """A new worker (its fork failing is reported for ``key``)."""
        ours, theirs = multiprocessing.Pipe(duplex=True)
        try:
            pid = os.fork()
        except OSError as exc:
            ours.close()
            theirs.close()
            if key is not None:
                self.conn.send(("failed", key, f"fork() failed: {exc}"))
            return None
        if pid == 0:  # the worker
            code = 1
            try:
                os.setsid()
                signal.set_wakeup_fd(-1)
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                signal.signal(signal.SIGINT, signal.default_int_handler)
                signal.signal(signal.SIGTERM, signal.SIG_DFL)  # for the task and its children
                # Only its own pipe: another worker's end held open here would keep that
                # worker from seeing the helper go.
                for other in [self.conn, ours, *(w.conn for w in self.workers.values())]:
                    other.close()
                for fd in self.wake:
                    os.close(fd)
                serve_runs(theirs, self.options)
                code = 0
            except BaseException:
                with contextlib.suppress(BaseException):
                    traceback.print_exc()  # into the run's log, if it runs one
            finally:
                os._exit(code)  # never back into the helper's loop
        theirs.close()
        worker = _Worker(pid, ours)
        self.workers[pid] = worker
        return worker

    def reap(self) -> None:
        for worker in list(self.workers.values()):
            try:
                done, status = os.waitpid(worker.pid, os.WNOHANG)
            except ChildProcessError:
                done, status = worker.pid, 0
            if not done:
                continue
            del self.workers[worker.pid]
            with contextlib.suppress(ValueError):
                self.waiting.remove(worker)
            worker.conn.close()
            if worker.key is not None:
                self.conn.send(("exited", worker.key, os.waitstatus_to_exitcode(status)))


def serve(conn: Connection, preload: list[TaskRef], options: WorkerOptions) -> None:
    """The fork server's main loop (the target of the spawned helper)."""
    # Ctrl+C in a terminal, and a SIGTERM to the process group (a service manager, a
    # terminal closing), reach this process too; the app stops its scheduler, which stops
    # this process in order (and end of file on the pipe ends it if the app just dies).
    # Dying of the signal first would make the scheduler report a lost fork server.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    for ref in preload:
        # A module that fails to import here fails in the worker too, where the error is
        # recorded in the run.
        with contextlib.suppress(BaseException):
            ref.load()
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.signal(signal.SIGCHLD, _on_signal)  # a Python handler, so the wakeup fd is written
    signal.set_wakeup_fd(wake_w, warn_on_full_buffer=False)
    conn.send(("ready",))
    _Server(conn, options, (wake_r, wake_w)).loop()


def _on_signal(signum: int, frame: FrameType | None) -> None:
    """SIGCHLD: nothing to do here; the wakeup fd wakes the loop."""
