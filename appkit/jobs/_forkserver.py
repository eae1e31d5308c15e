"""The ``forkserver`` launcher: a spawned helper that forks the worker processes.

The helper (``serve``) is started with ``multiprocessing``'s ``spawn`` (so it works in a
frozen executable), imports the tasks' modules once, tells the scheduler it is ready, and
then, single-threaded, waits for orders on its pipe:

    ("fork",)        fork a worker; its pid and the scheduler's end of its own pipe come
                     back on the hand-off socket (a file descriptor passed over a Unix
                     socket), or ("failed", reason) if fork() failed
    ("kill", pid)    kill that worker's process group
    ("stop",)        exit (as on end of file: the scheduler is gone)

and reports each worker's end, ("exited", pid, returncode), noticed through SIGCHLD. Only
the helper kills and reaps its workers, so a pid it kills is never a reused one.

The scheduler talks to each worker directly (``_serving.serve_runs``): it hands it a job
on its pipe, and a pooled worker answers when the run has ended. Workers are forked ahead
of time: one always waits, with its database open and its progress thread started, so a
run waits for no fork. A worker runs one job (a fresh process for every run, the default)
or, pooled, up to ``max_runs`` one after another. Each is a session of its own, killed with
everything it started. When the helper or the scheduler exits, the workers that run a job
live on and record their own results; the waiting ones see their pipe close and end.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import signal
import socket
import struct
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from types import FrameType
from typing import Any

from appkit.jobs._boot import boot_target
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

__all__ = ["ForkServerLauncher", "serve", "serve_boot"]

#: How many workers wait for a run, forked ahead of time.
_SPARES = 1
_PID = struct.Struct("!q")


@dataclass
class _Child:
    """A worker: its pid, the scheduler's end of its pipe, the job it runs (None while it
    waits)."""

    pid: int
    conn: Connection
    key: WorkerKey | None = None


class ForkServerLauncher:
    """The scheduler's side of the fork server (see the module's description)."""

    name = "forkserver"

    def __init__(self, preload: Sequence[TaskRef], options: WorkerOptions) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe(duplex=True)
        self._handoff, their_handoff = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._handoff.setblocking(False)
        # Not daemonic: its children inherit the flag, and a daemonic process may not start
        # processes (a task using a multiprocessing pool).
        target, args = boot_target(
            "appkit.jobs._forkserver.serve_boot", conn=child, handoff=their_handoff,
            preload=[ref.values() for ref in preload], options=options.values())
        self._process = context.Process(target=target, args=args,
                                        name="appkit-jobs-forkserver")
        try:
            self._process.start()
        except BaseException:
            self._conn.close()
            self._handoff.close()
            raise
        finally:
            child.close()
            their_handoff.close()
        self._ready = False
        self._alive = True
        self._events: list[LaunchEvent] = []
        self._children: dict[int, _Child] = {}  # pid -> every worker known
        self._waiting: list[_Child] = []
        self._pending: list[WorkerJob] = []  # jobs waiting for a worker
        self._forks = 0  # forks asked for, not answered yet
        self._exited: dict[int, int | None] = {}  # ends reported before the worker came

    @property
    def ready(self) -> bool:
        """Whether the helper has imported the tasks' modules and takes orders."""
        return self._ready and self._alive

    def launch(self, job: WorkerJob) -> None:
        """Hand ``job`` to a waiting worker (or to the next one forked)."""
        if not self._alive:
            self._events.append(NotStarted(job.key, "the fork server is gone"))
            return
        self._pending.append(job)
        self._dispatch()

    def kill(self, key: WorkerKey) -> None:
        """Ask the helper to kill the worker ``key`` and its process group."""
        for job in self._pending:
            if job.key == key:  # no worker has it yet
                self._pending.remove(job)
                self._events.append(NotStarted(key, "it was stopped before a worker took it"))
                return
        for child in self._children.values():
            if child.key == key:
                self._send(("kill", child.pid))

    def waitables(self) -> list[Any]:
        """The helper's pipe and hand-off socket, and the pipes of the workers that run a
        job (a pooled one says when it has ended it)."""
        if not self._alive:
            return [c.conn for c in self._children.values() if c.key and not c.conn.closed]
        return [self._conn, self._handoff,
                *(c.conn for c in self._children.values() if c.key and not c.conn.closed)]

    def events(self) -> list[LaunchEvent]:
        """What the helper and the workers reported since the last call."""
        events, self._events = self._events, []
        self._receive_workers()
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
            elif kind == "exited":
                self._exit(message[1], message[2], events)
            elif kind == "failed":
                self._forks -= 1
                if self._pending:
                    events.append(NotStarted(self._pending.pop(0).key, message[1]))
        self._receive_workers()
        for child in list(self._children.values()):
            if child.key is not None:
                self._hear(child, events)
        self._dispatch()
        events.extend(self._events)
        self._events = []
        return events

    def close(self) -> None:
        """Stop the helper; the waiting workers end, those that run a job end after it."""
        if self._alive:
            self._send(("stop",))
        for child in self._children.values():
            child.conn.close()
        self._children.clear()
        self._waiting.clear()
        if not self._ended(5.0):
            self._process.kill()
            self._ended(5.0)
        self._alive = False
        self._conn.close()
        self._handoff.close()
        with contextlib.suppress(ValueError):
            self._process.close()

    # ---- inside ---------------------------------------------------------------------------

    def _ended(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the helper to exit. Not ``join``: that waits
        for its sentinel, a pipe every worker it forked holds open too."""
        until = time.monotonic() + timeout
        while self._process.exitcode is None:
            if time.monotonic() >= until:
                return False
            time.sleep(0.005)
        return True

    def _dispatch(self) -> None:
        """Hand pending jobs to waiting workers; ask for forks to keep one waiting."""
        while self._pending and self._waiting:
            # The latest to wait: a pooled worker that just ended a run, else the spare.
            child = self._waiting.pop()
            job = self._pending[0]
            try:
                child.conn.send(("run", job))
            except OSError:
                child.conn.close()  # it is ending: its exit is reported
                continue
            self._pending.pop(0)
            child.key = job.key
            self._events.append(Started(job.key, child.pid))
        while self._alive and (len(self._waiting) + self._forks
                               < len(self._pending) + _SPARES):
            if not self._send(("fork",)):
                break
            self._forks += 1

    def _receive_workers(self) -> None:
        while self._alive:
            try:
                data, fds, _, _ = socket.recv_fds(self._handoff, _PID.size, 1)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return  # the helper is gone: its pipe says so
            if not fds:
                return
            self._forks -= 1
            [pid] = _PID.unpack(data)
            child = _Child(pid, Connection(fds[0]))
            if pid in self._exited:  # it ended before it came
                del self._exited[pid]
                child.conn.close()
                continue
            self._children[pid] = child
            self._waiting.insert(0, child)  # after the pooled workers that wait

    def _exit(self, pid: int, returncode: int | None, events: list[LaunchEvent]) -> None:
        child = self._children.pop(pid, None)
        if child is None:
            self._exited[pid] = returncode
            return
        with contextlib.suppress(ValueError):
            self._waiting.remove(child)
        if child.key is not None:
            self._hear(child, events)  # what it said before it ended ("last")
        child.conn.close()
        if child.key is not None:
            events.append(Exited(child.key, returncode))

    def _hear(self, child: _Child, events: list[LaunchEvent]) -> None:
        """The end of a pooled worker's run."""
        while not child.conn.closed and child.key is not None:
            try:
                if not child.conn.poll():
                    return
                message = child.conn.recv()
            except (EOFError, OSError):
                child.conn.close()  # it is ending: the helper reports it
                return
            if message[0] in ("done", "last") and message[1] == child.key:
                child.key = None
                events.append(Finished(message[1], _changed(message)))
                if message[0] == "done":
                    self._waiting.append(child)
                else:  # it ends: its exit, reported by the helper, is no run's any more
                    child.conn.close()

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
        reason = (f"the fork server process ended (exit code {code})" if code is not None
                  else "the fork server's pipe closed")
        for job in self._pending:
            events.append(NotStarted(job.key, reason))
        self._pending.clear()
        for child in self._waiting:
            child.conn.close()
            self._children.pop(child.pid, None)
        self._waiting.clear()
        events.append(LauncherLost(reason))


# ---- in the helper process ------------------------------------------------------------------

def serve_boot(conn: Connection, handoff: socket.socket,
               preload: list[tuple[str, str, str | None]],
               options: tuple[str, int | None, int | None]) -> None:
    """``serve`` from plain values (see ``_boot``)."""
    serve(conn, handoff, [TaskRef(*ref) for ref in preload], WorkerOptions(*options))


def serve(conn: Connection, handoff: socket.socket, preload: list[TaskRef],
          options: WorkerOptions) -> None:
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
    children: set[int] = set()
    conn.send(("ready",))
    while True:
        ready = wait([conn, wake_r])
        if wake_r in ready:
            with contextlib.suppress(OSError):
                while os.read(wake_r, 512):
                    pass
        _reap(conn, children)
        if conn not in ready:
            continue
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return  # the scheduler is gone: the workers carry on by themselves
        if message[0] == "fork":
            _fork(conn, handoff, options, children, (wake_r, wake_w))
        elif message[0] == "kill":
            if message[1] in children:  # not reaped yet: the pid is still this worker's
                kill_group(message[1])
        elif message[0] == "stop":
            return


def _on_signal(signum: int, frame: FrameType | None) -> None:
    """SIGCHLD: nothing to do here; the wakeup fd wakes the loop."""


def _reap(conn: Connection, children: set[int]) -> None:
    for pid in list(children):
        try:
            done, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            done, status = pid, 0
        if done:
            children.discard(pid)
            conn.send(("exited", pid, os.waitstatus_to_exitcode(status)))


def _fork(conn: Connection, handoff: socket.socket, options: WorkerOptions,
          children: set[int], wake: tuple[int, int]) -> None:
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        pid = os.fork()
    except OSError as exc:
        ours.close()
        theirs.close()
        conn.send(("failed", f"fork() failed: {exc}"))
        return
    if pid == 0:  # the worker
        code = 1
        try:
            # What it inherited stays where it is: the worker's collections leave those
            # objects (and their pages, shared with this process until written) alone.
            gc.freeze()
            os.setsid()
            signal.set_wakeup_fd(-1)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.default_int_handler)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)  # for the task and its children
            conn.close()
            handoff.close()
            ours.close()
            for fd in wake:
                os.close(fd)
            serve_runs(Connection(theirs.detach()), options)
            code = 0
        except BaseException:
            with contextlib.suppress(BaseException):
                traceback.print_exc()  # into the run's log, if it runs one
        finally:
            os._exit(code)  # never back into the helper's loop
    theirs.close()
    children.add(pid)
    try:
        socket.send_fds(handoff, [_PID.pack(pid)], [ours.fileno()])
    except OSError:
        kill_group(pid)  # the scheduler cannot take it: it has gone
    finally:
        ours.close()


def _changed(message: tuple[Any, ...]) -> tuple[int, ...]:
    """The run ids a pooled worker's ("done", key, changed) names."""
    return tuple(int(run_id) for run_id in message[2]) if len(message) > 2 else ()
