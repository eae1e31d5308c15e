"""How a scheduler starts worker processes: the ``Launcher`` contract and the chooser.

Every run gets a process of its own by default (its own memory, its own process group,
killed with everything it started), started in a way that also works inside a frozen
executable:

- ``spawn`` (``_spawned.py``): one ``multiprocessing`` spawn per run. Works everywhere;
  each run pays for a fresh interpreter and the imports of the task's module (about
  0.2 s for an app that imports appkit).
- ``forkserver`` (``_forkserver.py``): one spawned helper process imports the tasks'
  modules once, then forks a fresh process per run, ahead of time (a run waits for no
  fork). Linux only by default: on macOS, forking a process that has loaded the system's
  frameworks is not safe, and Windows cannot fork.

Pooled (``WorkerOptions.max_runs`` other than 1), both keep their workers for more runs,
one at a time (``_serving.py``): a worker ends after its last run, or after a run that
left it above its memory bound, or when it is killed (a timeout, a cancellation), and a
new one takes its place.

Both start their first process with ``spawn``, which the packaged executable supports
(its entry calls ``multiprocessing.freeze_support()`` before importing the app).

``spawn`` imports the program's main script again in the new process (as ``__mp_main__``,
so that the tasks it defines are found): a script that starts a scheduler outside its
``if __name__ == "__main__":`` block would start one in every helper and worker too.
``check_main_guard`` refuses that once, with the fix, before any process is started.
"""

from __future__ import annotations

import ast
import os
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any, Protocol

from appkit.errors import ConfigurationError
from appkit.jobs._serving import WorkerOptions
from appkit.jobs.settings import WORKER_KINDS
from appkit.jobs.tasks import TaskRef
from appkit.jobs.worker import WorkerJob

__all__ = ["Launcher", "Started", "Exited", "Finished", "NotStarted", "LauncherLost",
           "LaunchEvent", "WorkerKey", "make_launcher", "check_main_guard", "WORKER_KINDS"]


#: Which worker: ``(run_id, claim)`` (``WorkerJob.key``).
WorkerKey = tuple[int, int]


@dataclass(frozen=True)
class Started:
    """The worker ``key`` exists, as process ``pid``."""

    key: WorkerKey
    pid: int


@dataclass(frozen=True)
class Exited:
    """The worker ``key`` has ended with ``returncode`` (negative: killed by that
    signal)."""

    key: WorkerKey
    returncode: int | None


@dataclass(frozen=True)
class Finished:
    """The worker ``key`` has recorded its run's end (or found the run gone) and lives on
    for the next (a pooled one), or ends now (its process's end is no run's any more);
    ``changed``: the runs its end changed (its own, a periodic run's next one), which it
    did not note to this scheduler by datagram."""

    key: WorkerKey
    changed: tuple[int, ...] = ()


@dataclass(frozen=True)
class NotStarted:
    """The worker ``key`` could not be started, for ``reason``."""

    key: WorkerKey
    reason: str


@dataclass(frozen=True)
class LauncherLost:
    """The launcher itself is gone (the fork server died): the workers it started live on
    without it, and the runs it had not started yet never will."""

    reason: str


LaunchEvent = Started | Exited | Finished | NotStarted | LauncherLost


class Launcher(Protocol):
    """Starts, kills and watches the worker processes of one scheduler. Used by the
    scheduler's dispatcher thread only."""

    name: str

    @property
    def ready(self) -> bool:
        """Whether ``launch`` starts a run now (the fork server has finished importing)."""
        ...

    def launch(self, job: WorkerJob) -> None:
        """Start the worker of ``job`` (reported by a later ``Started`` or
        ``NotStarted``; its end by ``Finished`` when the worker says it has recorded
        the run's end, else by ``Exited``)."""
        ...

    def kill(self, key: WorkerKey) -> None:
        """Kill the worker ``key`` and its process group (reported by ``Exited``; a pooled
        worker is replaced by a new one)."""
        ...

    def waitables(self) -> list[Any]:
        """What ``multiprocessing.connection.wait`` should watch for this launcher."""
        ...

    def events(self) -> list[LaunchEvent]:
        """What happened since the last call."""
        ...

    def close(self) -> None:
        """Let go of the launcher (the workers still running are left to themselves)."""
        ...


def make_launcher(kind: str, preload: Sequence[TaskRef], options: WorkerOptions) -> Launcher:
    """The launcher for ``kind`` (``auto``, ``forkserver`` or ``spawn``); ``preload`` are
    the tasks whose modules a fork server imports up front; ``options`` what every worker
    is told (its database, how many runs it takes).

    Raises:
        ConfigurationError: ``forkserver`` on a system without ``fork``, or an unknown kind.
    """
    if kind not in WORKER_KINDS:
        raise ConfigurationError(
            f"workers must be one of {', '.join(WORKER_KINDS)}, not {kind!r}")
    if kind == "auto":
        kind = "forkserver" if sys.platform.startswith("linux") else "spawn"
    if kind == "forkserver":
        if not hasattr(os, "fork"):
            raise ConfigurationError(
                "workers='forkserver' needs fork(), which this system does not have; use "
                "workers='spawn' (or 'auto')")
        from appkit.jobs._forkserver import ForkServerLauncher

        return ForkServerLauncher(preload, options)
    from appkit.jobs._spawned import SpawnLauncher

    return SpawnLauncher(options)


def check_main_guard(what: str) -> None:
    """Refuse to start worker processes from a script's top-level code outside its
    ``if __name__ == "__main__":`` block (``what`` names the call, for the message).

    Every worker process (and the fork server) imports the main script again, and would
    run that code too: start a scheduler of its own, in a process that may not start
    processes yet, over and over. A packaged executable, an interactive session and a
    script whose source cannot be read are not checked.

    Raises:
        ConfigurationError: the call comes from the top level of the main script, outside
            the guard (the message names the file and line), or from that script being
            imported again in a worker process.
    """
    if getattr(sys, "frozen", False):
        return
    for frame in _main_thread_frames():
        if frame.f_code.co_name != "<module>":
            continue
        name = frame.f_globals.get("__name__")
        file = frame.f_globals.get("__file__")
        if name not in ("__main__", "__mp_main__") or not isinstance(file, str):
            continue
        line = frame.f_lineno
        if name == "__main__" and _guarded(file, line):
            return
        raise ConfigurationError(
            f"{what} runs at the top level of the script {file} (line {line}), outside "
            'an `if __name__ == "__main__":` block. Every worker process imports the '
            "script again to find its tasks, and would run that line too. Move the "
            "script's own work (starting the scheduler, queuing and waiting for runs, "
            'app.run()) under `if __name__ == "__main__":`.')


def _main_thread_frames() -> list[FrameType]:
    """The frames of this thread and, from another thread, of the main thread (where a
    script's top-level code runs: ``app.run()`` starts the scheduler from a server
    thread), innermost first."""
    frames: list[FrameType] = []
    stacks: list[FrameType | None] = [sys._getframe(1)]
    main = threading.main_thread()
    if threading.current_thread() is not main and main.ident is not None:
        stacks.append(sys._current_frames().get(main.ident))
    for frame in stacks:
        while frame is not None:
            frames.append(frame)
            frame = frame.f_back
    return frames


def _guarded(file: str, line: int) -> bool:
    """Whether ``line`` of the script ``file`` is inside an ``if __name__ ==
    "__main__":`` block (True when the source cannot be read: no false alarm)."""
    try:
        tree = ast.parse(Path(file).read_bytes(), file)
    except (OSError, SyntaxError, ValueError):
        return True
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _is_main_test(node.test) and node.body:
            end = node.body[-1].end_lineno or node.body[-1].lineno
            if node.body[0].lineno <= line <= end:
                return True
    return False


def _is_main_test(test: ast.expr) -> bool:
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return any(_is_main_test(value) for value in test.values)
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1
            and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = [test.left, test.comparators[0]]
    return (any(isinstance(side, ast.Name) and side.id == "__name__" for side in sides)
            and any(isinstance(side, ast.Constant) and side.value == "__main__"
                    for side in sides))
