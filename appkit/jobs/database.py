"""The scheduler's own SQLite database: runs and the schedulers serving them.

It is the only source of truth, shared by every process that uses it (the app, other
scheduler processes, each run's worker), so every change of status is one transaction
that checks where the run is now:

- claiming: ``UPDATE runs SET status='running' ... WHERE id IN (SELECT ... WHERE
  status='queued' ...) RETURNING`` inside ``BEGIN IMMEDIATE``: two schedulers can never
  claim the same run, so no run executes twice;
- each claim of a run gets the next claim number (``claims``), never reused; every later
  change names the claim it is about (``WHERE status='running' AND claims=?``): a worker
  cannot record a result over a cancellation or a timeout, a late check cannot fail a run
  that has moved on, and a worker whose claim was given up cannot start.

Like ``appkit.data.Store``: WAL (readers never wait for the writer), write transactions
begin with ``BEGIN IMMEDIATE`` (no failing lock upgrade), a busy timeout for other
processes. Unlike it, ``synchronous=NORMAL``: a commit survives the app being killed, but
the last few changes before a power cut may be lost (never corrupted); a scheduler's
database is written several times per run, and its data can be made again.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import random
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from appkit.jobs._schema import SCHEMA_VERSION, connect
from appkit.jobs.errors import RunNotFound
from appkit.jobs.runs import FINISHED, Run, Status

__all__ = ["SCHEMA_VERSION", "JobsDatabase", "Claim", "Orphan", "Cancellation"]

#: How many times a run whose worker died before starting the function is queued again
#: (the function never ran, so that is always safe) before it is failed.
MAX_RELAUNCHES = 5

#: The steps ``BEGIN IMMEDIATE`` waits in for another process's write lock (seconds).
_FIRST_STEP = 0.0001
_LAST_STEP = 0.002

_INT_LIMIT = 2**63  # SQLite's integers are from -2**63 to 2**63 - 1

_RUN_COLUMNS = (
    "id, task, status, inputs, output, error, progress, progress_message, created, "
    "scheduled_for, started, finished, attempts, retries, timeout, period, rerun_of")


@dataclass(frozen=True)
class Claim:
    """A run this scheduler has just claimed (as its claim number ``claim``): start its
    worker."""

    run_id: int
    task: str
    claim: int
    deadline: float | None


@dataclass(frozen=True)
class Orphan:
    """A running run whose scheduler is gone and whose worker is still alive: adopted."""

    run_id: int
    claim: int
    pid: int | None
    deadline: float | None


@dataclass(frozen=True)
class Cancellation:
    """What ``cancel`` did: ``cancelled`` (False: the run had already finished), for a run
    that was running its ``owner`` scheduler (its ``ports``), worker ``pid`` and ``claim``;
    ``everyone``: every scheduler's port."""

    cancelled: bool
    was_running: bool
    owner: str | None
    pid: int | None
    claim: int
    ports: list[int]
    everyone: list[int] = dataclasses.field(default_factory=list)


class JobsDatabase:
    """One connection to the scheduler's database, for any thread (calls are serialised).

    Args:
        path: the database file.
        create: create the file and its tables when missing (workers pass False).
        timeout: seconds to wait for another process's write lock.

    Raises:
        JobsError: the file is not a usable scheduler database, or a newer appkit wrote it.
    """

    def __init__(self, path: Path, *, create: bool = True, timeout: float = 10.0) -> None:
        self.path = path
        self._timeout = timeout
        self._lock = threading.RLock()
        self._conn = connect(path, create, timeout)

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            conn = self._conn
            self._begin(conn)
            try:
                yield conn
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _begin(self, conn: sqlite3.Connection) -> None:
        """``BEGIN IMMEDIATE``, waiting for another process's write lock in short random
        steps. SQLite's own busy handler backs off up to 100 ms a try, so under steady
        contention (schedulers and workers writing all the time) a process that started
        waiting late could wait long; short steps keep every waiter in the race. The
        steps start at a tenth of a millisecond (a transaction here holds the lock for
        about that long) and double up to 2 ms."""
        conn.execute("PRAGMA busy_timeout = 0")
        try:
            until = time.monotonic() + self._timeout
            step = _FIRST_STEP
            while True:
                try:
                    conn.execute("BEGIN IMMEDIATE")
                    return
                except sqlite3.OperationalError as exc:
                    if exc.sqlite_errorcode != sqlite3.SQLITE_BUSY or (
                            time.monotonic() >= until):
                        raise
                time.sleep(random.uniform(step / 2, step))
                step = min(step * 2, _LAST_STEP)
        finally:
            conn.execute(f"PRAGMA busy_timeout = {int(self._timeout * 1000)}")

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    # ---- queueing and reading ----------------------------------------------------------

    def insert(self, task: str, inputs: str, *, now: float, scheduled_for: float,
               timeout: float | None, period: float | None, retries: int,
               rerun_of: int | None = None) -> tuple[int, list[int]]:
        """Queue a run; returns its id and the ports of the schedulers to wake."""
        with self._write() as conn:
            run_id = _insert(conn, task, inputs, now, scheduled_for, timeout, period,
                             retries, rerun_of)
            return run_id, _ports(conn)

    def get(self, run_id: int) -> Run:
        """The run (its ``log`` None: the caller reads the file).

        Raises:
            RunNotFound: no run has that id.
        """
        rows = self._read(f"SELECT {_RUN_COLUMNS} FROM runs WHERE id = ?",
                          (int(run_id),)) if _fits(run_id) else []
        if not rows:
            raise RunNotFound(f"There is no run {run_id} in {self.path} (it may have been "
                              "purged)")
        return _run(rows[0])

    def runs(self, *, tasks: Sequence[str] = (), statuses: Sequence[str] = (),
             limit: int = 50, before: int | None = None) -> list[Run]:
        """Runs, newest first, filtered by task and status, with ids below ``before``."""
        where, params = _filters(tasks, statuses)
        if before is not None and int(before) < _INT_LIMIT:  # every id is below 2**63
            where.append("id < ?")
            params.append(max(int(before), -_INT_LIMIT))  # and none below -2**63
        sql = f"SELECT {_RUN_COLUMNS} FROM runs"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id DESC LIMIT ?"
        return [_run(row) for row in self._read(sql, [*params, int(limit)])]

    def counts(self, tasks: Sequence[str] = ()) -> dict[Status, int]:
        """How many runs are in each status (every status present, 0 for none)."""
        where, params = _filters(tasks, ())
        sql = "SELECT status, count(*) FROM runs"
        if where:
            sql += " WHERE " + " AND ".join(where)
        counts = dict.fromkeys(Status, 0)
        for status, count in self._read(sql + " GROUP BY status", params):
            counts[Status(status)] = count
        return counts

    def data_version(self) -> int:
        """A number that changes when another connection commits a change."""
        return int(self._read("PRAGMA data_version")[0][0])

    def purge(self, before: float) -> list[int]:
        """Delete the runs that finished before ``before``; returns their ids."""
        marks = ",".join("?" * len(FINISHED))
        with self._write() as conn:
            rows = conn.execute(
                f"DELETE FROM runs WHERE status IN ({marks}) AND finished < ? RETURNING id",
                [*sorted(str(s) for s in FINISHED), before]).fetchall()
        return [row[0] for row in rows]

    # ---- cancelling ----------------------------------------------------------------------

    def cancel(self, run_id: int, now: float) -> Cancellation:
        """Cancel a queued or running run (the owner kills a running one's worker).

        Raises:
            RunNotFound: no run has that id.
        """
        if not _fits(run_id):
            raise RunNotFound(f"There is no run {run_id} in {self.path}")
        with self._write() as conn:
            row = conn.execute("SELECT status, owner, pid, claims FROM runs WHERE id = ?",
                               (int(run_id),)).fetchone()
            if row is None:
                raise RunNotFound(f"There is no run {run_id} in {self.path}")
            status = row["status"]
            if status not in (Status.QUEUED, Status.RUNNING):
                return Cancellation(False, False, None, None, row["claims"], [])
            running = status == Status.RUNNING
            conn.execute(
                "UPDATE runs SET status = 'cancelled', finished = ?, deadline = NULL, "
                "error = coalesce(?, error) WHERE id = ?",
                (now, "Cancelled while it ran: its worker process was killed"
                 if running else None, int(run_id)))
            ports = [r[0] for r in conn.execute("SELECT port FROM schedulers WHERE id = ?",
                                                (row["owner"],))] if running else []
            return Cancellation(True, running, row["owner"], row["pid"], row["claims"], ports,
                                _ports(conn))

    # ---- the dispatcher's side ------------------------------------------------------------

    def register_scheduler(self, scheduler_id: str, pid: int, port: int, now: float) -> None:
        """Record a running scheduler and the port that wakes it."""
        with self._write() as conn:
            conn.execute("INSERT OR REPLACE INTO schedulers (id, pid, port, started) "
                         "VALUES (?, ?, ?, ?)", (scheduler_id, pid, port, now))

    def unregister_scheduler(self, scheduler_id: str) -> None:
        """Forget a scheduler that stops."""
        with self._write() as conn:
            conn.execute("DELETE FROM schedulers WHERE id = ?", (scheduler_id,))

    def schedulers(self) -> list[tuple[str, int]]:
        """The recorded schedulers: ``(id, port)``."""
        return [(row[0], row[1]) for row in self._read("SELECT id, port FROM schedulers")]

    def ports(self) -> list[int]:
        """The ports of every recorded scheduler."""
        return [row[0] for row in self._read("SELECT port FROM schedulers")]

    def claim(self, owner: str, tasks: Sequence[str], limit: int, now: float) -> list[Claim]:
        """Claim up to ``limit`` queued runs of ``tasks`` that are due, oldest due first."""
        if limit <= 0 or not tasks:
            return []
        marks = ",".join("?" * len(tasks))
        with self._write() as conn:
            rows = conn.execute(
                "UPDATE runs SET status = 'running', owner = ?, claims = claims + 1, "
                "started = NULL, pid = NULL, progress = NULL, progress_message = NULL, "
                "deadline = CASE WHEN timeout IS NULL THEN NULL ELSE ? + timeout END "
                "WHERE id IN (SELECT id FROM runs WHERE status = 'queued' "
                f"AND scheduled_for <= ? AND task IN ({marks}) "
                "ORDER BY scheduled_for, id LIMIT ?) "
                "RETURNING id, task, claims, deadline",
                (owner, now, now, *tasks, int(limit))).fetchall()
        return sorted((Claim(row[0], row[1], row[2], row[3]) for row in rows),
                      key=lambda claim: claim.run_id)

    def next_due(self, tasks: Sequence[str]) -> float | None:
        """When the earliest queued run of ``tasks`` is due, or None."""
        if not tasks:
            return None
        marks = ",".join("?" * len(tasks))
        rows = self._read("SELECT min(scheduled_for) FROM runs WHERE status = 'queued' "
                          f"AND task IN ({marks})", tasks)
        return None if rows[0][0] is None else float(rows[0][0])

    def claims_of(self, run_ids: Iterable[int]
                  ) -> dict[int, tuple[str, int, int | None, float | None]]:
        """``{id: (status, claim number, worker pid, deadline)}`` of the given runs."""
        ids = [int(i) for i in run_ids]
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self._read(
            f"SELECT id, status, claims, pid, deadline FROM runs WHERE id IN ({marks})", ids)
        return {row[0]: (row[1], row[2], row[3], row[4]) for row in rows}

    def release_unstarted(self, owner: str) -> tuple[list[int], list[int]]:
        """Queue again the runs ``owner`` claimed whose function has not begun (a stopping
        scheduler starts nothing new): their workers, still starting, find the claim gone
        and end. Not a failed start, so it does not count as one. Returns the ports to
        wake (empty when no run was released) and the runs released."""
        with self._write() as conn:
            rows = conn.execute(
                "UPDATE runs SET status = 'queued', owner = NULL, pid = NULL, deadline = NULL "
                "WHERE owner = ? AND status = 'running' AND started IS NULL RETURNING id",
                (owner,)).fetchall()
            return (_ports(conn), [row[0] for row in rows]) if rows else ([], [])

    def is_running(self, run_id: int, claim: int) -> bool:
        """Whether the run is running under claim ``claim`` (a read: once a claim has
        ended it never runs again, so False is final)."""
        return bool(self._read("SELECT 1 FROM runs WHERE id = ? AND status = 'running' "
                               "AND claims = ?", (int(run_id), int(claim))))

    def lose(self, run_id: int, claim: int, reason: str, now: float
             ) -> tuple[list[int], list[int]] | None:
        """Record that the worker of claim ``claim`` is gone without recording a result
        (a no-op when it did record one); returns the ports to wake and the runs it queued
        (a periodic run's next one), or None for no-op.

        A worker that never started the function: queued again. Past the deadline:
        timeout. Otherwise: failed, or queued again while retries remain.
        """
        with self._write() as conn:
            row = _running(conn, run_id, claim)
            if row is None:
                return None
            queued = _lose(conn, row, reason, now)
            return _ports(conn), [] if queued is None else [queued]

    def sweep(self, me: str, known: Iterable[int], dead: Sequence[str],
              alive: Callable[[int, int], bool], reason: str, now: float
              ) -> tuple[list[Orphan], list[tuple[int, int]], list[int]]:
        """Take over the running runs of schedulers that are gone (``dead``, or missing
        from the table), and those of ``me`` that it does not know about (``known`` are
        the ones it watches): those whose worker is ``alive(run_id, claim)`` are adopted
        (owned by ``me``), the others recorded as lost. Returns the adopted runs, the
        ``(run_id, claim)`` of the lost ones, and the ports to wake (empty when nothing
        changed).

        ``alive`` is asked inside the write transaction, so a worker cannot start between
        the look and the change (a worker takes its lock before it starts, in a write
        transaction of its own).
        """
        where, params = _orphans(me, known)
        with self._write() as conn:
            if dead:
                marks = ",".join("?" * len(dead))
                conn.execute(f"DELETE FROM schedulers WHERE id IN ({marks})", list(dead))
            rows = conn.execute(f"SELECT * FROM runs WHERE {where}", params).fetchall()
            adopted: list[Orphan] = []
            lost: list[tuple[int, int]] = []
            for row in rows:
                if alive(row["id"], row["claims"]):
                    conn.execute("UPDATE runs SET owner = ? WHERE id = ?", (me, row["id"]))
                    adopted.append(Orphan(row["id"], row["claims"], row["pid"],
                                          row["deadline"]))
                else:
                    _lose(conn, row, reason, now)
                    lost.append((row["id"], row["claims"]))
            return adopted, lost, _ports(conn) if lost else []

    def has_orphans(self, me: str, known: Iterable[int]) -> bool:
        """Whether ``sweep`` has something to look at (a cheap read)."""
        where, params = _orphans(me, known)
        return bool(self._read(f"SELECT 1 FROM runs WHERE {where} LIMIT 1", params))

    # ---- the worker's side ---------------------------------------------------------------

    def start(self, run_id: int, claim: int, pid: int, now: float
              ) -> tuple[str, int, list[int]] | None:
        """Mark the run started (one more attempt) by process ``pid``, the worker of claim
        ``claim``, its timeout counting from now; returns the inputs' JSON, the attempt's
        number and the schedulers' ports, or None when the run is no longer running that
        claim (cancelled, or given up as lost)."""
        with self._write() as conn:
            row = conn.execute(
                "UPDATE runs SET started = ?, pid = ?, attempts = attempts + 1, "
                "deadline = CASE WHEN timeout IS NULL THEN NULL ELSE ? + timeout END "
                "WHERE id = ? AND status = 'running' AND claims = ? RETURNING inputs, attempts",
                (now, pid, now, run_id, claim)).fetchone()
            ports = _ports(conn) if row is not None else []
        return None if row is None else (str(row[0]), int(row[1]), ports)

    def progress(self, run_id: int, claim: int, fraction: float | None,
                 message: str | None) -> None:
        """Record the progress a running task reported."""
        with self._write() as conn:
            conn.execute("UPDATE runs SET progress = ?, progress_message = ? WHERE id = ? "
                         "AND status = 'running' AND claims = ?",
                         (fraction, message, run_id, claim))

    def finish(self, run_id: int, claim: int, status: Status, *, output: str | None,
               error: str | None, now: float,
               progress: tuple[float | None, str | None] | None = None
               ) -> tuple[list[int], list[int]] | None:
        """Record the result of claim ``claim`` (a no-op when the run has moved on:
        cancelled, timed out); returns the ports to wake and the runs it queued (a periodic
        run's next one), or None for no-op. A failure with retries left queues the run
        again; a periodic run queues its next one."""
        with self._write() as conn:
            row = _running(conn, run_id, claim)
            if row is None:
                return None
            if progress is not None:
                conn.execute("UPDATE runs SET progress = ?, progress_message = ? "
                             "WHERE id = ?", (*progress, run_id))
            queued = _conclude(conn, row, status, output, error, now)
            return _ports(conn), [] if queued is None else [queued]


# ---- helpers, inside a transaction --------------------------------------------------------

def _running(conn: sqlite3.Connection, run_id: int, claim: int) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM runs WHERE id = ? AND status = 'running' AND claims = ?",
        (int(run_id), int(claim))).fetchone()
    return row


def _lose(conn: sqlite3.Connection, row: sqlite3.Row, reason: str, now: float
          ) -> int | None:
    if row["started"] is None:
        if row["relaunches"] < MAX_RELAUNCHES:
            # The function never ran: queue it again (its next claim has a new number, so
            # this claim's worker, should it still be starting, cannot start any more).
            conn.execute(
                "UPDATE runs SET status = 'queued', relaunches = relaunches + 1, "
                "owner = NULL, pid = NULL, deadline = NULL WHERE id = ?", (row["id"],))
            return None
        reason = (f"Its worker process failed to start {MAX_RELAUNCHES + 1} times; the "
                  f"last time: {reason}. The app's log may say why")
        return _conclude(conn, row, Status.FAILED, None, reason, now, retry=False)
    deadline = row["deadline"]
    if deadline is not None and now >= deadline:
        return _conclude(conn, row, Status.TIMEOUT, None, _timed_out(row["timeout"]), now)
    return _conclude(conn, row, Status.FAILED, None, reason, now)


def _timed_out(timeout: float | None) -> str:
    return (f"Timed out after {timeout:g} s: its worker process and the processes it "
            "started were killed")


def _conclude(conn: sqlite3.Connection, row: sqlite3.Row, status: Status,
              output: str | None, error: str | None, now: float, *, retry: bool = True
              ) -> int | None:
    """Record the run's end (or a retry); returns a periodic run's next one, if queued."""
    run_id = row["id"]
    if status == Status.FAILED and retry and row["attempts"] <= row["retries"]:
        conn.execute("UPDATE runs SET status = 'queued', error = ?, owner = NULL, "
                     "pid = NULL, deadline = NULL WHERE id = ?", (error, run_id))
        return None
    conn.execute("UPDATE runs SET status = ?, output = ?, error = ?, finished = ?, "
                 "deadline = NULL WHERE id = ?", (str(status), output, error, now, run_id))
    period = row["period"]
    if not period:
        return None
    return _insert(conn, row["task"], row["inputs"], now,
                   next_occurrence(row["scheduled_for"], period, now),
                   row["timeout"], period, row["retries"], None)


def next_occurrence(scheduled_for: float, period: float, now: float) -> float:
    """The first time after ``now`` in the series ``scheduled_for + k * period`` (k >= 1):
    occurrences missed while the app was closed are skipped, not run in a burst."""
    steps = max(1, math.floor((now - scheduled_for) / period) + 1)
    when = scheduled_for + steps * period
    return when if when > now else when + period


def _insert(conn: sqlite3.Connection, task: str, inputs: str, now: float,
            scheduled_for: float, timeout: float | None, period: float | None,
            retries: int, rerun_of: int | None) -> int:
    cursor = conn.execute(
        "INSERT INTO runs (task, status, inputs, created, scheduled_for, timeout, period, "
        "retries, rerun_of) VALUES (?, 'queued', ?, ?, ?, ?, ?, ?, ?)",
        (task, inputs, now, scheduled_for, timeout, period, retries, rerun_of))
    return int(cursor.lastrowid or 0)


def _orphans(me: str, known: Iterable[int]) -> tuple[str, list[Any]]:
    """The running runs no live scheduler watches: owned by none, by one that is not
    recorded, or by ``me`` but not among the ``known`` ones it watches (a claim whose worker
    was never started, after an error)."""
    ids = [int(run_id) for run_id in known]
    mine = f"owner = ? AND id NOT IN ({','.join('?' * len(ids))})" if ids else "owner = ?"
    return (f"status = 'running' AND (owner IS NULL OR ({mine}) OR (owner != ? AND owner "
            "NOT IN (SELECT id FROM schedulers)))", [me, *ids, me])


def _fits(run_id: int) -> bool:
    """Whether ``run_id`` is in SQLite's integer range (no run has an id outside it)."""
    return -_INT_LIMIT <= int(run_id) < _INT_LIMIT


def _ports(conn: sqlite3.Connection) -> list[int]:
    return [row[0] for row in conn.execute("SELECT port FROM schedulers")]


def _filters(tasks: Sequence[str], statuses: Sequence[str]) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    params: list[Any] = []
    for column, values in (("task", tasks), ("status", statuses)):
        if values:
            where.append(f"{column} IN ({','.join('?' * len(values))})")
            params.extend(values)
    return where, params


def _time(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


def _run(row: sqlite3.Row) -> Run:
    output = row["output"]
    return Run(
        id=row["id"], task=row["task"], status=Status(row["status"]),
        inputs=json.loads(row["inputs"]),
        output=None if output is None else json.loads(output),
        error=row["error"], log=None,
        progress=row["progress"], progress_message=row["progress_message"],
        created=datetime.fromtimestamp(row["created"], UTC),
        scheduled_for=datetime.fromtimestamp(row["scheduled_for"], UTC),
        started=_time(row["started"]), finished=_time(row["finished"]),
        attempts=row["attempts"], retries=row["retries"], timeout=row["timeout"],
        period=row["period"], rerun_of=row["rerun_of"])
