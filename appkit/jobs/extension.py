"""The jobs extension: ``app.jobs``, ``@app.task`` and ``appkit jobs``.

``appkit.App`` adds it by default; ``App(..., extensions=[JobsSettings(...)])``
configures it. Only an app with tasks starts a scheduler (and its database file and
processes), with the app's lifespan; nothing is created before it is used.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from appkit.app.extensions import Command
from appkit.app.handlers import run_sync
from appkit.errors import ConfigurationError
from appkit.jobs.scheduler import Jobs
from appkit.jobs.settings import JobsSettings

if TYPE_CHECKING:
    from appkit.app.application import App

__all__ = ["JobsExtension"]

_F = TypeVar("_F", bound=Callable[..., Any])


class JobsExtension:
    """The app's job scheduler as an extension of the core (see the module's docstring)."""

    name = "jobs"
    exports = ("jobs", "task")

    def __init__(self, settings: JobsSettings | None = None) -> None:
        self.settings = settings or JobsSettings()
        self._app: App | None = None
        self._jobs: Jobs | None = None
        self._started: Jobs | None = None

    def setup(self, app: App) -> None:
        """Start the scheduler with the app (when it has tasks) and stop it with the app."""
        self._app = app
        app.on_startup(self._start)
        app.on_shutdown(self._stop)

    @property
    def jobs(self) -> Jobs:
        """The app's job scheduler (``appkit.jobs.Jobs``), its runs kept in
        ``<data dir>/<app>-jobs.db``: ``app.jobs.enqueue("task", {...})``."""
        if self._jobs is None:
            from shell.paths import folder_name

            app = self._app
            if app is None:
                raise ConfigurationError("The jobs extension is not added to an app yet")
            self._jobs = Jobs(lambda: app.paths.data / f"{folder_name(app.name)}-jobs.db",
                              self.settings, app=app)
        return self._jobs

    def task(self, name: Any = None, /, *, timeout: float | timedelta | None = None,
             retries: int = 0) -> Any:
        """Register the decorated function as a task of ``app.jobs``: ``@app.task()``,
        ``@app.task("name", timeout=60, retries=2)`` (see ``Jobs.register``)."""
        return self.jobs.task(name, timeout=timeout, retries=retries)

    async def _start(self) -> None:
        jobs = self._jobs
        if jobs is not None and jobs.tasks:
            await run_sync(jobs.start)
            self._started = jobs

    async def _stop(self) -> None:
        if self._started is not None:
            jobs, self._started = self._started, None
            await run_sync(jobs.stop)

    def commands(self) -> Sequence[Command]:
        """``appkit jobs {list,show,cancel,enqueue} PATH [ID | TASK --inputs JSON]``."""
        return (Command("jobs", "the app's job runs: list, show, cancel, enqueue",
                        "Work on an app's job runs (the scheduler's database in the app's "
                        "data folder). A running copy of the app starts queued runs at once; "
                        "otherwise they wait for the app's next start.", _configure, _run),)

    def __repr__(self) -> str:
        return f"<JobsExtension {self.settings!r}>"


def _configure(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="the newest runs, filtered",
                                 description="The newest runs, newest first.")
    listing.add_argument("target", metavar="PATH", help="the app (as for appkit run)")
    listing.add_argument("--task", help="only runs of this task")
    listing.add_argument("--status", help="only runs in this status (queued, running, "
                         "completed, failed, timeout, cancelled)")
    listing.add_argument("--limit", type=int, default=20, help="at most this many (20)")
    for name, text in (("show", "one run: status, times, inputs, output, error, log"),
                       ("cancel", "cancel a queued or running run")):
        action = actions.add_parser(name, help=text, description=text[0].upper() + text[1:])
        action.add_argument("target", metavar="PATH", help="the app (as for appkit run)")
        action.add_argument("run_id", metavar="ID", type=int, help="the run's id")
    enqueue = actions.add_parser("enqueue", help="queue a run of a task",
                                 description="Queue a run of TASK with --inputs (a JSON "
                                 "object of the function's keyword arguments).")
    enqueue.add_argument("target", metavar="PATH", help="the app (as for appkit run)")
    enqueue.add_argument("task", metavar="TASK", help="the task's name")
    enqueue.add_argument("--inputs", default="{}", metavar="JSON",
                         help='the keyword arguments, e.g. \'{"month": "2024-05"}\'')


def _run(extension: JobsExtension, args: argparse.Namespace) -> int:
    import sys

    from appkit.jobs.cli import describe, table

    jobs = extension.jobs
    if args.action == "list":
        print(table(jobs.runs(task=args.task, status=args.status, limit=args.limit)))
    elif args.action == "show":
        print(describe(jobs.get(args.run_id)))
    elif args.action == "cancel":
        done = jobs.cancel(args.run_id)
        print(f"cancelled run {args.run_id}" if done else
              f"run {args.run_id} had already finished; nothing to cancel")
    else:
        try:
            inputs = json.loads(args.inputs)
        except ValueError as exc:
            print(f"appkit: --inputs is not JSON ({exc}). Give an object, e.g. "
                  '--inputs \'{"month": "2024-05"}\'', file=sys.stderr)
            return 2
        if not isinstance(inputs, dict):
            print("appkit: --inputs must be a JSON object of keyword arguments, e.g. "
                  '\'{"month": "2024-05"}\'', file=sys.stderr)
            return 2
        run_id = jobs.enqueue(args.task, inputs)
        print(f"queued run {run_id} of {args.task}")
    return 0
