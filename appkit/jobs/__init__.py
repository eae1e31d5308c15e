"""``appkit.jobs``: background jobs, each run in a worker process of its own.

    from appkit import App
    from appkit.jobs import progress

    app = App("reports")

    @app.task(timeout=600)
    def import_csv(path: str) -> dict:
        rows = load(path)
        for n, row in enumerate(rows, 1):
            save(row)
            progress(n / len(rows), f"{n} rows")
        return {"rows": len(rows)}

    @app.post("/import")
    def start_import(path: str):
        run_id = app.jobs.enqueue("import_csv", {"path": path})
        ...

- ``Jobs``: the scheduler (``app.jobs``): tasks, ``enqueue``, ``get``, ``runs``,
  ``cancel``, ``rerun``, ``start``/``stop`` (an App does both with its lifespan).
- ``Run`` and ``Status``: a run as the database has it; ``LogChunk``: a piece of its log.
- ``progress()``: called inside a task, reports how far it is.

The runs live in a SQLite file of their own (``<data dir>/<app>-jobs.db``), shared safely
by every process that opens it. See docs/jobs.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from appkit._lazy import lazy_names
from appkit.jobs.errors import InvalidInputs, JobsError, RunNotFound, UnknownTask
from appkit.jobs.runs import LogChunk, Run, Status
from appkit.jobs.settings import JobsSettings
from appkit.jobs.tasks import Task

if TYPE_CHECKING:
    from appkit.jobs.extension import JobsExtension
    from appkit.jobs.scheduler import Jobs
    from appkit.jobs.worker import progress

# The scheduler is imported when first asked for, so that `import appkit` (and a worker
# process, which needs only the task's module and `progress`) stays light.
_LAZY = {
    "Jobs": "appkit.jobs.scheduler",
    "JobsExtension": "appkit.jobs.extension",
    "progress": "appkit.jobs.worker",
}


__getattr__ = lazy_names(__name__, _LAZY)


__all__ = [
    "InvalidInputs",
    "Jobs",
    "JobsError",
    "JobsExtension",
    "JobsSettings",
    "LogChunk",
    "Run",
    "RunNotFound",
    "Status",
    "Task",
    "UnknownTask",
    "progress",
]
