"""The ``forkserver`` launcher: a spawned helper that forks one fresh process per run.

The helper (``serve``) is started with ``multiprocessing``'s ``spawn`` (so it works in a
frozen executable), imports the tasks' modules once, tells the scheduler it is ready, and
then, single-threaded, waits for orders on its pipe:

    ("run", WorkerJob)  fork; the child calls setsid() and runs the job -> ("started", key, pid)
    ("kill", key)       kill that child's process group
    ("stop",)           exit (as on end of file: the scheduler is gone)

and reports each child's end, ("exited", key, returncode), noticed through SIGCHLD (a key
is ``WorkerJob.key``).
Only the helper kills and reaps its children, so a pid it kills is never a reused one.
When it exits, its children live on (each in a session of its own) and record their own
results.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import traceback
from collections.abc import Sequence
from multiprocessing.connection import Connection, wait
from types import FrameType
from typing import Any

from appkit.jobs._files import kill_group
from appkit.jobs.launching import (
    Exited,
    LauncherLost,
    LaunchEvent,
    NotStarted,
    Started,
    WorkerKey,
)
from appkit.jobs.tasks import TaskRef
from appkit.jobs.worker import WorkerJob, execute

__all__ = ["ForkServerLauncher", "serve"]


class ForkServerLauncher:
    """The scheduler's side of the fork server (see the module's description)."""

    name = "forkserver"

    def __init__(self, preload: Sequence[TaskRef]) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe(duplex=True)
        # Not daemonic: its children inherit the flag, and a daemonic process may not start
        # processes (a task using a multiprocessing pool).
        self._process = context.Process(target=serve, args=(child, list(preload)),
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
        """Ask the helper to fork the worker of ``job``."""
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
            elif kind == "failed":
                events.append(NotStarted(message[1], message[2]))
        return events

    def close(self) -> None:
        """Stop the helper (its children live on)."""
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

def serve(conn: Connection, preload: list[TaskRef]) -> None:
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
    children: dict[int, WorkerKey] = {}  # pid -> key
    pids: dict[WorkerKey, int] = {}  # key -> pid
    conn.send(("ready",))
    while True:
        ready = wait([conn, wake_r])
        if wake_r in ready:
            with contextlib.suppress(OSError):
                while os.read(wake_r, 512):
                    pass
        _reap(conn, children, pids)
        if conn not in ready:
            continue
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return  # the scheduler is gone: the children carry on by themselves
        if message[0] == "run":
            _fork(conn, message[1], children, pids, (wake_r, wake_w))
        elif message[0] == "kill":
            pid = pids.get(message[1])
            if pid is not None:  # not reaped yet: the number is still this child's
                kill_group(pid)
        elif message[0] == "stop":
            return


def _on_signal(signum: int, frame: FrameType | None) -> None:
    """SIGCHLD: nothing to do here; the wakeup fd wakes the loop."""


def _reap(conn: Connection, children: dict[int, WorkerKey], pids: dict[WorkerKey, int]
          ) -> None:
    for pid in list(children):
        try:
            done, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            done, status = pid, 0
        if done:
            key = children.pop(pid)
            pids.pop(key, None)
            conn.send(("exited", key, os.waitstatus_to_exitcode(status)))


def _fork(conn: Connection, job: WorkerJob, children: dict[int, WorkerKey],
          pids: dict[WorkerKey, int], wake: tuple[int, int]) -> None:
    try:
        pid = os.fork()
    except OSError as exc:
        conn.send(("failed", job.key, f"fork() failed: {exc}"))
        return
    if pid == 0:  # the worker
        code = 1
        try:
            os.setsid()
            signal.set_wakeup_fd(-1)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.default_int_handler)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)  # for the task and what it starts
            conn.close()
            for fd in wake:
                os.close(fd)
            execute(job)
            code = 0
        except BaseException:
            with contextlib.suppress(BaseException):
                traceback.print_exc()  # into the run's log, once it is captured
        finally:
            os._exit(code)  # never back into the server's loop
    children[pid] = job.key
    pids[job.key] = pid
    conn.send(("started", job.key, pid))
