"""``app.jobs`` and ``@app.task``: the scheduler starts and stops with the app's lifespan,
and an app without tasks has none."""

from __future__ import annotations

import multiprocessing
import sys
import time
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from appkit import App
from appkit.errors import ConfigurationError
from appkit.jobs import Jobs
from appkit.loader import load_app
from appkit.testing import Client
from shell.paths import AppDirs
from tests.appkit.jobs import tasks
from tests.appkit.jobs.conftest import KINDS


def make_app() -> App:
    app = App("reports")
    app.task(tasks.add)
    app.task("slow_add", timeout=30, retries=1)(tasks.add)
    app.task()(tasks.hold)

    @app.post("/add")
    def add(a: int, b: int) -> dict[str, Any]:
        return {"id": app.jobs.enqueue("add", {"a": a, "b": b})}

    @app.get("/runs/{run_id}")
    def show(run_id: int) -> dict[str, Any]:
        run = app.jobs.get(run_id)
        return {"status": run.status, "output": run.output}

    return app


def _until(check: Callable[[], bool], seconds: float = 20) -> None:
    until = time.monotonic() + seconds
    while not check():
        if time.monotonic() > until:
            raise AssertionError(f"not true within {seconds} s")
        time.sleep(0.02)


def test_the_lifespan_starts_and_stops_the_scheduler() -> None:
    app = make_app()
    app.jobs.configure(stop_timeout=0.3, max_concurrent_runs=1)
    assert isinstance(app.jobs, Jobs) and not app.jobs.running
    assert sorted(app.jobs.tasks) == ["add", "hold", "slow_add"]
    assert (app.jobs.tasks["slow_add"].timeout, app.jobs.tasks["slow_add"].retries) == (30, 1)
    with Client(app) as client:
        assert app.jobs.running
        run_id = client.post("/add", data={"a": "2", "b": "3"}).json()["id"]
        assert app.jobs.wait(run_id, 20).output == 5
        assert client.get(f"/runs/{run_id}").json() == {"status": "completed", "output": 5}
        assert client.get("/runs/999").status_code == 404  # RunNotFound is a NotFound
        held = app.jobs.enqueue("hold", {"path": "/nonexistent/never"})
        _until(lambda: app.jobs.get(held).started is not None)  # its function has begun
        waiting = app.jobs.enqueue("add", {"a": 1, "b": 1})  # no free slot: it waits
    assert not app.jobs.running
    run = app.jobs.get(held)
    assert run.status == "failed" and run.error is not None and "Stopped with" in run.error
    # A run that had not begun is left queued for the next start.
    assert app.jobs.get(waiting).status == "queued"
    assert app.jobs.path == AppDirs("reports").data / "reports-jobs.db"
    assert not multiprocessing.active_children()  # the fork server is gone too
    with Client(app):
        assert app.jobs.wait(waiting, 20).output == 2
    assert not multiprocessing.active_children()


def test_an_app_without_tasks_makes_no_scheduler() -> None:
    app = App("plain")

    @app.get("/")
    def index() -> str:
        return "hello"

    with Client(app) as client:
        assert client.get("/").text == "hello"
    data = AppDirs("plain").data
    assert not list(data.iterdir())
    assert not multiprocessing.active_children()


def test_asking_for_app_jobs_creates_nothing() -> None:
    app = App("lazy")
    assert app.jobs.tasks == {}
    with Client(app):
        pass
    assert not (AppDirs("lazy").data / "lazy-jobs.db").exists()


def test_the_task_decorator_returns_the_function() -> None:
    app = App("deco")
    assert app.task(tasks.add) is tasks.add
    assert app.task("named")(tasks.echo) is tasks.echo
    assert tasks.add(1, 2) == 3  # still a plain function
    with pytest.raises(ConfigurationError, match="already used"):
        app.task("named")(tasks.add)


APP_FILE = '''
from appkit import App
from helpers_for_jobs import double

app = App("filedemo")


@app.task()
def twice(x: int) -> int:
    return double(x)
'''


@pytest.mark.parametrize("workers", KINDS)
def test_a_task_of_an_app_loaded_from_a_file_under_another_name(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: str) -> None:
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "helpers_for_jobs.py").write_text("def double(x):\n    return 2 * x\n")
    (folder / "jobsdemo.py").write_text(APP_FILE)
    monkeypatch.setattr(sys, "path", list(sys.path))
    # The name is taken, so appkit.loader imports the file under a name of its own, which
    # a worker cannot import by name: it loads the file.
    monkeypatch.setitem(sys.modules, "jobsdemo", types.ModuleType("jobsdemo"))
    app = load_app(str(folder / "jobsdemo.py"))
    try:
        ref = app.jobs.tasks["twice"].ref
        assert ref.module == "_appkit_app_jobsdemo"
        assert ref.file == str(folder / "jobsdemo.py")
        app.jobs.configure(workers=workers)
        with Client(app):
            assert app.jobs.wait(app.jobs.enqueue("twice", {"x": 21}), 30).output == 42
    finally:
        for name in ("_appkit_app_jobsdemo", "helpers_for_jobs"):
            sys.modules.pop(name, None)
