"""The dispatcher: the thread of a running scheduler that claims runs, starts their workers,
enforces timeouts and cancellations, and takes over the runs of schedulers that are gone.

It sleeps in ``multiprocessing.connection.wait`` on its wake socket and its launcher, with
a timeout that is the nearest of: a timed-out run's deadline, the next queued run's
``scheduled_for``, and the fallback poll. So it does nothing while nothing happens, and
it acts at once when:

- a run is queued, cancelled or finished, in this process or another one (the one who did
  it sends a datagram to every scheduler's socket, see ``_wakeup``);
- a worker process starts or ends, or a worker says it has ended its run (the launcher
  reports it). A worker that has recorded its run's end is not read back from the
  database: it tells the scheduler that gave it the run so on its pipe, with the runs that
  end changed (no datagram to that scheduler). The runs' states (a cancellation, a deadline) are
  read when a datagram asks for a look, when a deadline it knows has passed, or when the
  sleep's timeout ends it, not after a launcher's event alone.

A datagram may also name runs that changed (``_wakeup``): a worker sends such a note, which
asks for no look, when its run starts, reports progress or writes to its log. The thread
hands the runs named, and those it changed itself (claimed, lost, released), to
``on_change`` (the scheduler's listeners) before it goes back to sleep, after its own work:
a claim never waits for a listener.

Every ``poll_interval`` it also looks at the database by itself (the fallback for a lost
datagram) and at the other schedulers: the runs of one whose lock is no longer held are
taken over, see ``JobsDatabase.sweep``.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import secrets
import select
import signal
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from multiprocessing.connection import wait
from pathlib import Path
from typing import TYPE_CHECKING, Any

from appkit.jobs._files import RunFiles, hold, is_held, kill_group, release
from appkit.jobs._serving import WorkerOptions
from appkit.jobs._wakeup import WakeSocket, notify
from appkit.jobs.database import JobsDatabase
from appkit.jobs.launching import (
    Exited,
    Finished,
    Launcher,
    LaunchEvent,
    NotStarted,
    Started,
    WorkerKey,
    make_launcher,
)
from appkit.jobs.runs import Status
from appkit.jobs.worker import WorkerJob

if TYPE_CHECKING:
    from appkit.jobs.settings import JobsSettings
    from appkit.jobs.tasks import Task

__all__ = ["Dispatcher"]

logger = logging.getLogger("appkit.jobs")

_ADOPTED_CHECK = 0.5  # seconds between looks at the locks of adopted workers
_EXIT_WAIT = 5.0  # seconds stop() waits for killed workers to end
_ORPHAN = ("Its worker process is gone without recording a result: it ended while the app "
           "that started it was stopped or killed")


@dataclass
class _Active:
    """A worker this scheduler is responsible for: run ``run_id`` under claim ``claim``."""

    run_id: int
    claim: int
    deadline: float | None
    pid: int | None = None
    adopted: bool = False  # a worker left by a scheduler that is gone: watched by its lock
    killed: str | None = None  # why it was killed: "timeout", "cancelled", "stopped"

    @property
    def key(self) -> WorkerKey:
        return (self.run_id, self.claim)


class Dispatcher:
    """One running scheduler: ``start()`` registers it and starts its thread, ``stop()``
    stops claiming, queues again the claimed runs whose function has not begun, waits for
    the running runs (up to a timeout), kills the rest.

    Args:
        db_path: the scheduler's database.
        tasks: returns the registered tasks (read at each claim).
        settings: the scheduler's settings.
        on_change: called on the thread with the ids of runs that changed (queued,
            started, progress, log, finished...), in this process or another one.
    """

    def __init__(self, db_path: Path, tasks: Callable[[], Mapping[str, Task]],
                 settings: JobsSettings,
                 on_change: Callable[[list[int]], None] | None = None) -> None:
        self.id = secrets.token_hex(6)
        self._db_path = db_path
        self._files = RunFiles(db_path)
        self._tasks = tasks
        self._settings = settings
        self._active: dict[WorkerKey, _Active] = {}
        self._stopping = threading.Event()
        self._stop_timeout = settings.stop_timeout
        self._next_sweep = 0.0
        self._launchers_lost = 0
        self._thread: threading.Thread | None = None
        self._db: JobsDatabase | None = None
        self._wake: WakeSocket | None = None
        self._lock: int | None = None
        self._launcher: Launcher | None = None
        self._on_change = on_change
        self._changed: set[int] = set()

    # ---- from the caller's thread -------------------------------------------------------

    def start(self) -> None:
        """Register, take over what schedulers that are gone left running, start the
        launcher and the thread.

        Raises:
            JobsError: the database is unusable.
            ConfigurationError: the settings ask for workers this system cannot start.
        """
        try:
            self._files.ensure()
            self._db = JobsDatabase(self._db_path)
            self._lock = hold(self._files.scheduler_lock(self.id))
            self._wake = WakeSocket()
            self._db.register_scheduler(self.id, os.getpid(), self._wake.port, time.time())
            self._sweep(time.time())
            self._launcher = make_launcher(self._settings.workers,
                                           [task.ref for task in self._tasks().values()],
                                           self._worker_options())
        except BaseException:
            self._close()
            raise
        self._thread = threading.Thread(target=self._run, name="appkit-jobs-dispatcher",
                                        daemon=True)
        self._thread.start()

    def stop(self, timeout: float) -> None:
        """Stop claiming; give the running runs ``timeout`` seconds, then kill them; wait
        for the thread to end."""
        self._stop_timeout = timeout
        self._stopping.set()
        self.wake()
        if self._thread is not None:
            self._thread.join()

    def wake(self) -> None:
        """Make the thread look at the database now."""
        if self._wake is not None:
            notify([self._wake.port])

    @property
    def port(self) -> int | None:
        """The port that wakes this scheduler."""
        return None if self._wake is None else self._wake.port

    # ---- the thread -----------------------------------------------------------------------

    def _run(self) -> None:
        assert self._wake is not None and self._launcher is not None
        stop_at: float | None = None
        look = True  # at the database's runs: something may have changed there
        while True:
            try:
                look = self._wake.drain(self._changed) or look
                now = time.time()
                self._handle(self._launcher.events(), now)
                if self._stopping.is_set() and stop_at is None:
                    stop_at = now + self._stop_timeout
                    self._release_unstarted()
                if stop_at is not None and (not self._active or now >= stop_at):
                    break
                if look or stop_at is not None or self._due(now):
                    self._check_active(now)
                if stop_at is None:
                    if now >= self._next_sweep:
                        self._sweep(now)
                    self._claim(now)
                timeout = self._timeout(now, stop_at)
            except Exception:
                logger.exception("The job scheduler hit an error; it carries on")
                timeout = min(1.0, self._settings.poll_interval)
            self._emit()
            try:
                look = self._wait(timeout)
            except OSError:
                logger.exception("The job scheduler could not wait; it carries on")
                time.sleep(min(1.0, self._settings.poll_interval))
                look = True
        try:
            self._kill_all()
            self._emit()
        finally:
            self._close()

    def _wait(self, timeout: float) -> bool:
        """Sleep until something needs a look (a datagram asking for one, a launcher's
        event, stopping) or ``timeout`` seconds have passed; change notes that come
        meanwhile go to the listeners at once, and the sleep goes on. Returns False when
        only the launcher woke it (its events change nothing in the database: the runs'
        states need no new look)."""
        assert self._wake is not None and self._launcher is not None
        until = time.monotonic() + timeout
        sock = self._wake.socket
        while True:
            ready = _ready([sock, *self._launcher.waitables()],
                           max(0.0, until - time.monotonic()))
            if not ready:
                return True
            if any(item is not sock for item in ready):
                return sock in ready or self._stopping.is_set()
            if self._wake.drain(self._changed) or self._stopping.is_set():
                return True
            self._emit()
            if time.monotonic() >= until:
                return True

    def _due(self, now: float) -> bool:
        """Whether a run this scheduler watches is past the deadline it last read, or was
        left by a scheduler that is gone (watched by its lock)."""
        return any(active.adopted or (active.deadline is not None and active.killed is None
                                      and now >= active.deadline)
                   for active in self._active.values())

    def _emit(self) -> None:
        """Hand the runs that changed to ``on_change`` (never raises)."""
        if not self._changed:
            return
        changed, self._changed = sorted(self._changed), set()
        if self._on_change is None:
            return
        try:
            self._on_change(changed)
        except Exception:
            logger.exception("A listener of the job scheduler's changes failed")

    def _timeout(self, now: float, stop_at: float | None) -> float:
        assert self._db is not None and self._launcher is not None
        soonest = self._next_sweep if stop_at is None else stop_at
        for active in self._active.values():
            if active.deadline is not None and active.killed is None:
                # Past it, not killed yet: an adopted worker whose pid is not known yet.
                soonest = min(soonest, max(active.deadline, now + 0.05))
            if active.adopted:
                soonest = min(soonest, now + _ADOPTED_CHECK)
        if (stop_at is None and self._launcher.ready
                and len(self._active) < self._settings.max_concurrent_runs):
            due = self._db.next_due(list(self._tasks()))
            if due is not None:
                soonest = min(soonest, due)
        return max(0.0, soonest - now)

    def _handle(self, events: list[LaunchEvent], now: float) -> None:
        for event in events:
            if isinstance(event, Started):
                active = self._active.get(event.key)
                if active is not None:
                    active.pid = event.pid
            elif isinstance(event, Exited):
                active = self._active.pop(event.key, None)
                if active is not None:
                    self._lose(active, self._exit_reason(active, event.returncode), now)
            elif isinstance(event, Finished):
                # A pooled worker that goes on has recorded its run's end (or found the run
                # gone): nothing to record. (Had it not, the sweep would find the run.) What
                # the end changed comes with it, not in a datagram of its own.
                self._active.pop(event.key, None)
                self._changed.update(event.changed)
            elif isinstance(event, NotStarted):
                active = self._active.pop(event.key, None)
                if active is not None:
                    self._lose(active, f"its worker process could not be started: "
                                       f"{event.reason}", now)
            else:
                self._replace_launcher(event.reason, now)

    def _replace_launcher(self, reason: str, now: float) -> None:
        assert self._launcher is not None
        self._launchers_lost += 1
        kind = self._settings.workers if self._launchers_lost < 2 else "spawn"
        logger.error("The job scheduler's %s stopped (%s). The runs it started go on; new "
                     "runs start with a new launcher (%s)", self._launcher.name, reason, kind)
        for active in list(self._active.values()):
            if active.adopted:
                continue
            if active.pid is None:  # never started: queue it again
                del self._active[active.key]
                self._lose(active, reason, now)
            else:  # a worker that lives on: watch it by its lock
                active.adopted = True
        self._launcher.close()
        self._launcher = make_launcher(kind, [task.ref for task in self._tasks().values()],
                                       self._worker_options())

    def _worker_options(self) -> WorkerOptions:
        settings = self._settings
        memory = settings.worker_max_memory_mb
        return WorkerOptions(str(self._db_path), settings.worker_max_runs,
                             None if memory is None else int(memory * 1_000_000))

    def _exit_reason(self, active: _Active, returncode: int | None) -> str:
        if active.killed == "stopped":
            return (f"Stopped with the scheduler while it ran (killed after waiting "
                    f"{self._stop_timeout:g} s)")
        return ("Its worker process ended without recording a result "
                f"({_describe_exit(returncode)})")

    def _lose(self, active: _Active, reason: str, now: float) -> None:
        assert self._db is not None and self._wake is not None
        with contextlib.suppress(OSError):
            self._files.run_lock(active.run_id, active.claim).unlink(missing_ok=True)
        if not self._db.is_running(active.run_id, active.claim):
            # The worker recorded its result (or the run moved on): no write. Should its
            # word on that have been lost with it, the listeners hear of the run now.
            self._changed.add(active.run_id)
            return
        lost = self._db.lose(active.run_id, active.claim, reason, now)
        if lost is not None:
            ports, queued = lost
            changed = [active.run_id, *queued]
            self._changed.update(changed)
            notify([port for port in ports if port != self._wake.port], changed)

    def _release_unstarted(self) -> None:
        """Once stopping, nothing new starts: the claimed runs whose function has not begun
        go back to the queue (for the next start, or another scheduler on the database)."""
        assert self._db is not None and self._wake is not None
        ports, released = self._db.release_unstarted(self.id)
        self._changed.update(released)
        notify([port for port in ports if port != self._wake.port], released)

    def _check_active(self, now: float) -> None:
        if not self._active:
            return
        assert self._db is not None
        states = self._db.claims_of(active.run_id for active in self._active.values())
        for active in list(self._active.values()):
            status, claim, pid, deadline = states.get(active.run_id, (None, None, None, None))
            current = claim == active.claim
            if active.adopted and active.pid is None and current:
                active.pid = pid  # adopted before its worker had recorded its pid
            if current and status == Status.RUNNING:
                # The claim's deadline, until the worker begins the function: from then on
                # the timeout counts from that moment.
                active.deadline = deadline
            if status == Status.CANCELLED and current and active.killed is None:
                self._kill(active, "cancelled")
            elif (active.deadline is not None and now >= active.deadline
                    and active.killed is None and status == Status.RUNNING and current):
                self._kill(active, "timeout")
            if active.adopted and not self._worker_alive(active.run_id, active.claim):
                del self._active[active.key]
                self._lose(active, _ORPHAN, now)

    def _kill(self, active: _Active, why: str) -> None:
        assert self._launcher is not None
        if not active.adopted:
            active.killed = why
            self._launcher.kill(active.key)
        elif active.pid is not None and self._worker_alive(active.run_id, active.claim):
            active.killed = why  # its lock is held, so the pid is still its worker's
            kill_group(active.pid)

    def _worker_alive(self, run_id: int, claim: int) -> bool:
        return is_held(self._files.run_lock(run_id, claim))

    def _claim(self, now: float) -> None:
        assert self._db is not None and self._launcher is not None
        free = self._settings.max_concurrent_runs - len(self._active)
        if free <= 0 or not self._launcher.ready:
            return
        tasks = self._tasks()
        for claim in self._db.claim(self.id, list(tasks), free, now):
            active = _Active(claim.run_id, claim.claim, claim.deadline)
            self._active[active.key] = active
            self._changed.add(claim.run_id)
            self._launcher.launch(WorkerJob(str(self._db_path), claim.run_id, claim.claim,
                                            tasks[claim.task].ref, self.port))

    def _sweep(self, now: float) -> None:
        """Take over the runs of the schedulers that are gone."""
        assert self._db is not None
        self._next_sweep = now + self._settings.poll_interval
        dead = [sid for sid, _ in self._db.schedulers()
                if sid != self.id and not is_held(self._files.scheduler_lock(sid))]
        known = {active.run_id for active in self._active.values()}
        if not dead and not self._db.has_orphans(self.id, known):
            return
        adopted, lost, ports = self._db.sweep(self.id, known, dead, self._worker_alive,
                                              _ORPHAN, now)
        with contextlib.suppress(OSError):
            for sid in dead:
                self._files.scheduler_lock(sid).unlink(missing_ok=True)
            for run_id, claim in lost:
                self._files.run_lock(run_id, claim).unlink(missing_ok=True)
        for orphan in adopted:
            active = _Active(orphan.run_id, orphan.claim, orphan.deadline, orphan.pid,
                             adopted=True)
            self._active[active.key] = active
        if adopted:
            logger.info("The job scheduler took over %d running run(s) left by a scheduler "
                        "that stopped", len(adopted))
        self._changed.update(run_id for run_id, _ in lost)
        notify(ports, [run_id for run_id, _ in lost])

    # ---- stopping ---------------------------------------------------------------------------

    def _kill_all(self) -> None:
        """Kill what still runs, wait for it to end, record it."""
        assert self._launcher is not None and self._wake is not None
        for active in self._active.values():
            if active.killed is None:
                self._kill(active, "stopped")
                active.killed = "stopped"
        until = time.monotonic() + _EXIT_WAIT
        while self._active and time.monotonic() < until:
            self._handle(self._launcher.events(), time.time())
            for active in list(self._active.values()):
                if active.adopted and not self._worker_alive(active.run_id, active.claim):
                    del self._active[active.key]
                    self._lose(active, self._exit_reason(active, None), time.time())
            if self._active:
                wait([self._wake.socket, *self._launcher.waitables()], 0.05)
        for active in list(self._active.values()):
            logger.error("The worker of run %d did not end when killed", active.run_id)
            self._lose(active, self._exit_reason(active, None), time.time())
        self._active.clear()

    def _close(self) -> None:
        """Let go of everything (also after a failed start)."""
        steps: list[Callable[[], object]] = []
        if self._launcher is not None:
            steps.append(self._launcher.close)
        if self._db is not None:
            db = self._db
            steps += [lambda: db.unregister_scheduler(self.id), db.close]
        if self._lock is not None:
            lock = self._lock
            steps.append(lambda: release(lock, self._files.scheduler_lock(self.id)))
        if self._wake is not None:
            steps.append(self._wake.close)
        for step in steps:
            try:
                step()
            except Exception:
                logger.exception("The job scheduler did not stop cleanly")
        self._launcher = None
        self._db = None
        self._lock = None
        self._wake = None


def _ready(objects: list[Any], timeout: float) -> list[Any]:
    """``multiprocessing.connection.wait``: which of ``objects`` (sockets, connections,
    file descriptors) are ready to read, or ended, within ``timeout`` seconds. On POSIX with
    one ``poll`` call, not a selector made and filled for each wait (the scheduler waits
    several times per run)."""
    if sys.platform == "win32":  # pragma: no cover - Windows only
        return wait(objects, timeout)
    poller = select.poll()
    by_fd: dict[int, Any] = {}
    for item in objects:
        fd = item if isinstance(item, int) else item.fileno()
        by_fd[fd] = item
        poller.register(fd, select.POLLIN)
    events = poller.poll(math.ceil(timeout * 1000))
    return [by_fd[fd] for fd, _ in events]


def _describe_exit(returncode: int | None) -> str:
    if returncode is None:
        return "it did not end when killed"
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = "an unknown signal"
        return f"killed by signal {-returncode} ({name})"
    return f"exit code {returncode}"
