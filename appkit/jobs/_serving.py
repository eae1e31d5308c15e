"""A worker process that takes its runs from a pipe, one at a time.

Both launchers start their workers this way when they can: the fork server forks one ahead
of time, which opens its database connection and starts its progress thread while it
waits, so a run starts without waiting for any of that. On the pipe:

    ("run", WorkerJob)   run it (see ``worker.Runner``); then it answers ("done", key,
                         changed), the runs its end changed, and waits for the next; or,
                         when this was its last run, ("last", key, changed), and ends
    end of file          the launcher is gone: end

With ``max_runs`` 1 (the default: a fresh process for every run) the worker ends after its
run, and so it does after ``max_runs`` runs, or after a run that left it with more than
``max_memory`` bytes of resident memory: the launcher starts a new one for the next run.
A worker never holds more than one run, so a worker that dies loses only its own.
"""

from __future__ import annotations

import contextlib
import os
import sys
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from appkit.jobs.worker import Runner

__all__ = ["WorkerOptions", "serve_runs", "pooled_main", "pooled_boot", "resident_memory"]


@dataclass(frozen=True)
class WorkerOptions:
    """What every worker of a scheduler is told: its database, and when to end (after
    ``max_runs`` runs, None for no limit; once above ``max_memory`` bytes after a run,
    None for no limit)."""

    db_path: str
    max_runs: int | None = 1
    max_memory: int | None = None

    def values(self) -> tuple[str, int | None, int | None]:
        """The options as plain values, for ``_boot``."""
        return (self.db_path, self.max_runs, self.max_memory)

    @property
    def pooled(self) -> bool:
        """Whether a worker runs more than one run."""
        return self.max_runs != 1


def serve_runs(conn: Connection, options: WorkerOptions) -> None:
    """Take runs from ``conn`` until it is time to end (see the module's description).

    Raises:
        Exception: the worker itself failed during a run (see ``Runner.run``): end the
            process with an error; the scheduler records the run as lost.
    """
    runner = Runner(Path(options.db_path))
    runner.prepare()
    try:
        runs = 0
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):
                return  # the launcher is gone, or stopped
            if message[0] != "run":
                return
            job = message[1]
            # What the run's end changed goes to the scheduler with "done" or "last" (one
            # wake-up, not two, and no look at the database for the worker's exit).
            changed = runner.run(job, note_own=False)
            runs += 1
            last = ((options.max_runs is not None and runs >= options.max_runs)
                    or (options.max_memory is not None
                        and resident_memory() > options.max_memory))
            if not last:
                runner.idle()
            try:
                conn.send(("last" if last else "done", job.key, changed))
            except OSError:
                runner.note(job, changed)
                return
            if last:
                return
            runner.prepare()  # while the scheduler hands out the next run
    finally:
        runner.discard_next_log()


def pooled_main(conn: Connection, options: WorkerOptions) -> None:
    """The entry of a pooled worker started with ``spawn``: a process group of its own,
    then runs until it is time to end."""
    if hasattr(os, "setsid"):
        with contextlib.suppress(OSError):
            os.setsid()
    code = 1
    try:
        serve_runs(conn, options)
        code = 0
    except BaseException:
        import traceback

        with contextlib.suppress(BaseException):
            traceback.print_exc()  # into the log of the run it was running
    finally:
        os._exit(code)  # without waiting for threads a task left running


def pooled_boot(conn: Connection, options: tuple[str, int | None, int | None]) -> None:
    """``pooled_main`` from plain values (see ``_boot``)."""
    pooled_main(conn, WorkerOptions(*options))


def resident_memory() -> int:
    """This process's resident memory in bytes: now on Linux; elsewhere the highest it has
    been (``ru_maxrss``), which only grows, so a worker above the bound stays above it."""
    if sys.platform.startswith("linux"):
        try:
            with open("/proc/self/statm", "rb") as statm:
                pages = int(statm.read().split()[1])
            return pages * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            pass
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak) if sys.platform == "darwin" else int(peak) * 1024
