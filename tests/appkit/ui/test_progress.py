"""JobProgress with a real job (a worker process), in process: what the run reports reaches a
page's live socket as it happens, with no jobs dashboard mounted, up to its result or its
error; a page that loads later shows the state as it is."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from appkit import App
from appkit.app import App as CoreApp
from appkit.errors import ConfigurationError
from appkit.html import P, Page
from appkit.jobs import progress
from appkit.testing import Client
from appkit.ui import JobProgress, UISettings
from tests.appkit.jobs.live_page import LivePage

TIMEOUT = 20.0


# ---- tasks (module level: a worker process imports them) ------------------------------------

def step_through(folder: str) -> dict[str, int]:
    """Reports 0.3, waits for ``folder/go``, reports 0.6, waits for ``folder/end``."""
    progress(0.3, "reading lines")
    _wait_for(Path(folder) / "go")
    progress(0.6, "line 60 of 100")
    _wait_for(Path(folder) / "end")
    return {"imported": 100}


def break_down(folder: str) -> None:
    progress(0.5, "half way")
    _wait_for(Path(folder) / "go")
    raise ValueError("line 7 has no amount")


def _wait_for(path: Path) -> None:
    until = time.monotonic() + 30
    while not path.exists() and time.monotonic() < until:
        time.sleep(0.02)


def make_app() -> App:
    app = App("job-progress-test", extensions=[UISettings()])
    app.jobs.configure(poll_interval=60.0)   # what reaches the page comes from the worker
    app.jobs.register("step_through", step_through)
    app.jobs.register("break_down", break_down)

    @app.get("/runs/{run_id}")
    def show(run_id: int) -> Any:
        return Page("Import", JobProgress(app, run_id, label="Import"))

    @app.get("/news/{run_id}")
    def news(run_id: int) -> Any:        # on a topic the page follows, by an id of its own
        return Page("News", app.hub.subscribe("news"),
                    JobProgress(app, run_id, id="import-state", topic="news"))

    @app.get("/custom/{run_id}")
    def custom(run_id: int) -> Any:
        return Page("Import", JobProgress(
            app, run_id, label="Import",
            finished=lambda run: P(f"Imported {run.output['imported']} rows", id="said")))

    return app


@pytest.fixture
def live() -> Iterator[tuple[App, Client, contextlib.ExitStack]]:
    app = make_app()
    with Client(app) as client, contextlib.ExitStack() as sockets:
        yield app, client, sockets


def wait_for(check: Callable[[], bool], what: str) -> None:
    until = time.monotonic() + TIMEOUT
    while not check():
        if time.monotonic() > until:
            pytest.fail(f"Timed out waiting for {what}")
        time.sleep(0.02)


def state_op(run_id: int, *needles: str) -> Callable[[dict[str, Any]], bool]:
    return lambda op: op["target"] == f"appkit-job-{run_id}" and all(
        n in op["html"] for n in needles)


def test_a_runs_progress_reaches_the_page_live_up_to_its_result(
        live: tuple[App, Client, contextlib.ExitStack], tmp_path: Path) -> None:
    app, client, sockets = live
    assert not hasattr(app, "dashboard") and client.get("/jobs").status_code == 404
    run_id = app.jobs.enqueue("step_through", {"folder": str(tmp_path)})
    wait_for(lambda: app.jobs.get(run_id).progress == 0.3, "the first progress")
    page = LivePage(client, sockets, f"/runs/{run_id}")
    assert page.topics == {f"appkit-job:{run_id}": page.topics[f"appkit-job:{run_id}"]}
    assert 'value="0.3"' in page.html and "reading lines" in page.html
    assert 'data-status="running"' in page.html and "30 %" in page.html

    (tmp_path / "go").touch()
    frames = page.until(state_op(run_id, 'value="0.6"', "line 60 of 100"))
    assert frames[-1]["ops"][-1]["op"] == "morph"
    (tmp_path / "end").touch()
    page.until(state_op(run_id, 'data-status="completed"', "{'imported': 100}"))
    page.close()
    # Loaded afterwards: the final state, read as it is.
    again = client.get(f"/runs/{run_id}").text
    assert 'data-status="completed"' in again and "100 %" in again
    custom = client.get(f"/custom/{run_id}").text
    assert '<p id="said">Imported 100 rows</p>' in custom


def test_on_a_topic_of_the_page_by_an_id_of_its_own(
        live: tuple[App, Client, contextlib.ExitStack], tmp_path: Path) -> None:
    app, client, sockets = live
    assert app.jobs._listeners[0] == app._appkit_job_progress.changed  # type: ignore[attr-defined]
    run_id = app.jobs.enqueue("step_through", {"folder": str(tmp_path)})
    wait_for(lambda: app.jobs.get(run_id).progress == 0.3, "the first progress")
    page = LivePage(client, sockets, f"/news/{run_id}")
    assert list(page.topics) == ["news"] and 'id="import-state" role="status"' in page.html
    (tmp_path / "go").touch()
    (tmp_path / "end").touch()
    frames = page.until(lambda op: op["target"] == "import-state"
                        and 'data-status="completed"' in op["html"])
    assert {f["topic"] for f in frames if f["t"] == "msg"} == {"news"}
    page.close()


def test_a_failed_run_says_why(live: tuple[App, Client, contextlib.ExitStack],
                               tmp_path: Path) -> None:
    app, client, sockets = live
    run_id = app.jobs.enqueue("break_down", {"folder": str(tmp_path)})
    wait_for(lambda: app.jobs.get(run_id).progress == 0.5, "the progress")
    page = LivePage(client, sockets, f"/runs/{run_id}")
    assert "half way" in page.html
    (tmp_path / "go").touch()
    page.until(state_op(run_id, 'data-status="failed"',
                        "ValueError: line 7 has no amount", "Failed"))
    page.close()
    assert client.get("/runs/999999").status_code == 404


def test_it_needs_jobs_and_the_hub() -> None:
    app = CoreApp("no-jobs")
    with pytest.raises(ConfigurationError, match="needs an app with jobs"):
        JobProgress(app, 1)
