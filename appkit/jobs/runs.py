"""What the scheduler says about a run: ``Run``, its ``Status``, and a piece of its log.

    run = app.jobs.get(run_id)
    if run.status == "failed":
        print(run.error)            # the traceback
    elif run.done:
        print(run.output)           # what the task returned (from JSON)
    else:
        print(f"{run.progress or 0:.0%} {run.progress_message or ''}")
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

__all__ = ["Status", "Run", "LogChunk", "FINISHED"]


class Status(enum.StrEnum):
    """Where a run is. A ``str``: ``run.status == "completed"`` works.

    ``queued`` waits for its time and a free slot; ``running`` has a worker process;
    ``completed``, ``failed``, ``timeout`` and ``cancelled`` are final.
    """

    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    TIMEOUT = "timeout"
    CANCELLED = "cancelled"


#: The final statuses: a run in one of them never changes again.
FINISHED = frozenset({Status.COMPLETED, Status.FAILED, Status.TIMEOUT, Status.CANCELLED})


@dataclass(frozen=True)
class Run:
    """One run of a task, as the scheduler's database has it now.

    Attributes:
        id: the run's id (what ``enqueue`` returned).
        task: the task's name.
        status: a ``Status``.
        inputs: the keyword arguments the function is called with.
        output: what the function returned (decoded from JSON), once completed.
        error: why it did not complete: the traceback of the exception it raised, or what
            happened to its worker (timed out, lost). A run queued again for a retry keeps
            the error of the attempt before.
        log: what the run wrote to stdout and stderr so far (read by ``get``; ``None`` in
            the lists from ``runs``: read it with ``get`` or ``log``).
        progress: the fraction (0 to 1) the task last reported, or None.
        progress_message: the message it reported with it, or None.
        created: when it was queued (times are timezone-aware, in UTC).
        scheduled_for: when it may start.
        started: when its worker started the function (the latest attempt), or None.
        finished: when it reached a final status, or None.
        attempts: how many times the function has been started.
        retries: how many more attempts a failure may get (the task's ``retries``).
        timeout: the seconds it may run before it is killed, or None.
        period: for a periodic run, the seconds between occurrences, or None.
        rerun_of: the run this one is a re-run of, or None.
    """

    id: int
    task: str
    status: Status
    inputs: dict[str, Any]
    output: Any
    error: str | None
    log: str | None
    progress: float | None
    progress_message: str | None
    created: datetime
    scheduled_for: datetime
    started: datetime | None
    finished: datetime | None
    attempts: int
    retries: int
    timeout: float | None
    period: float | None
    rerun_of: int | None

    @property
    def done(self) -> bool:
        """Whether the run has reached a final status (completed, failed, timeout,
        cancelled)."""
        return self.status in FINISHED

    @property
    def duration(self) -> timedelta | None:
        """How long the latest attempt ran (so far, while running), or None before it
        started."""
        if self.started is None:
            return None
        end = self.finished or datetime.now(self.started.tzinfo)
        return end - self.started


class LogChunk(NamedTuple):
    """A piece of a run's log: ``text``, and the ``offset`` to ask from next time.

    ``log(run_id, offset)`` returns what was written since ``offset`` (a byte offset into
    the log); pass the returned ``offset`` to the next call to follow the log as it grows.
    """

    text: str
    offset: int
