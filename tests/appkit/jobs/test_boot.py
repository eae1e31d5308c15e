"""A worker (and the fork server) imports what its task needs, not the whole framework."""

from __future__ import annotations

from pathlib import Path

import pytest

import appkit
from appkit.jobs import Jobs, JobsSettings
from tests.appkit.jobs import light_tasks
from tests.appkit.jobs.conftest import KINDS


@pytest.mark.parametrize("workers", KINDS)
@pytest.mark.parametrize("max_runs", [1, None])
def test_a_worker_imports_only_what_its_task_needs(db_path: Path, workers: str,
                                                   max_runs: int | None) -> None:
    jobs = Jobs(db_path, JobsSettings(workers=workers, worker_max_runs=max_runs,
                                      poll_interval=60.0))
    for fn in (light_tasks.loaded, light_tasks.uses_app, light_tasks.reports):
        jobs.register(fn.__name__, fn)
    jobs.start()
    try:
        loaded = jobs.wait(jobs.enqueue("loaded"), 30)
        assert loaded.output == {"appkit.app": False, "starlette": False}
        used = jobs.wait(jobs.enqueue("uses_app"), 30)
        assert used.status == "completed" and used.output == f"App {appkit.__version__}"
        reported = jobs.wait(jobs.enqueue("reports"), 30)
        assert reported.output == "reported"
        assert (reported.progress, reported.progress_message) == (0.5, "half")
    finally:
        jobs.stop()
