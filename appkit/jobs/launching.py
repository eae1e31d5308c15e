"""How a scheduler starts worker processes: the ``Launcher`` contract and the chooser.

Every run gets a process of its own (its own memory, its own process group, killed with
everything it started), started in a way that also works inside a frozen executable:

- ``spawn`` (``_spawned.py``): one ``multiprocessing`` spawn per run. Works everywhere;
  each run pays for a fresh interpreter and the imports of the task's module (about
  0.2 s for an app that imports appkit).
- ``forkserver`` (``_forkserver.py``): one spawned helper process imports the tasks'
  modules once, then forks a fresh process per run (a few milliseconds). Linux only by
  default: on macOS, forking a process that has loaded the system's frameworks is not
  safe, and Windows cannot fork.

Both start their first process with ``spawn``, which the packaged executable supports
(its entry calls ``multiprocessing.freeze_support()`` before importing the app).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from appkit.errors import ConfigurationError
from appkit.jobs.tasks import TaskRef
from appkit.jobs.worker import WorkerJob

__all__ = ["Launcher", "Started", "Exited", "NotStarted", "LauncherLost", "LaunchEvent",
           "WorkerKey", "make_launcher", "WORKER_KINDS"]

WORKER_KINDS = ("auto", "forkserver", "spawn")


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
class NotStarted:
    """The worker ``key`` could not be started, for ``reason``."""

    key: WorkerKey
    reason: str


@dataclass(frozen=True)
class LauncherLost:
    """The launcher itself is gone (the fork server died): the workers it started live on
    without it, and the runs it had not started yet never will."""

    reason: str


LaunchEvent = Started | Exited | NotStarted | LauncherLost


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
        ``NotStarted``)."""
        ...

    def kill(self, key: WorkerKey) -> None:
        """Kill the worker ``key`` and its process group (reported by ``Exited``)."""
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


def make_launcher(kind: str, preload: Sequence[TaskRef]) -> Launcher:
    """The launcher for ``kind`` (``auto``, ``forkserver`` or ``spawn``); ``preload`` are
    the tasks whose modules a fork server imports up front.

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

        return ForkServerLauncher(preload)
    from appkit.jobs._spawned import SpawnLauncher

    return SpawnLauncher()
