"""The jobs dashboard on the hub, in process: what a real worker process reports reaches a
page's live socket as it happens (the worker's change note wakes the scheduler, whose
``on_change`` listener has the dashboard publish), nothing polls; many progress reports are
thinned to about ten messages a second per run, the last state always sent; a run's page
gets its log appended and its state; a page that missed too much gets the snapshot."""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from appkit import App
from appkit.jobs import Status, progress
from appkit.jobs.dashboard import mount_dashboard
from appkit.testing import Client
from tests.appkit.jobs.live_page import LivePage

TIMEOUT = 20.0


# ---- tasks (module level: a worker process imports them) ------------------------------------

def step_through(folder: str) -> str:
    """Reports 0.3, then waits for ``folder/go``, then writes a line and reports 0.6, then
    waits for ``folder/end``."""
    progress(0.3, "started")
    _wait_for(Path(folder) / "go")
    print("half way", flush=True)
    progress(0.6, "half way")
    _wait_for(Path(folder) / "end")
    return "done"


def hurry(steps: int = 3000, seconds: float = 1.5) -> int:
    """Reports progress ``steps`` times over ``seconds``."""
    for step in range(1, steps + 1):
        progress(step / steps, f"step {step}")
        time.sleep(seconds / steps)
    return steps


def _wait_for(path: Path) -> None:
    until = time.monotonic() + 30
    while not path.exists() and time.monotonic() < until:
        time.sleep(0.02)


def make_app(poll_interval: float = 60.0) -> App:
    app = App("dashboard-live-test")
    # The fallback look at the database would come only after a minute: whatever
    # reaches the page comes from the worker's note.
    app.jobs.configure(poll_interval=poll_interval)
    app.jobs.register("step_through", step_through)
    app.jobs.register("hurry", hurry)
    mount_dashboard(app.jobs, app, "/jobs")
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


def row_op(run_id: int) -> Callable[[dict[str, Any]], bool]:
    return lambda op: op["op"] == "morph" and op["target"] == f"jobs-run-{run_id}"


# ---- tests ------------------------------------------------------------------------------------

def test_progress_from_a_worker_reaches_the_list_page_at_once(
        live: tuple[App, Client, contextlib.ExitStack], tmp_path: Path) -> None:
    app, client, sockets = live
    run_id = app.jobs.enqueue("step_through", {"folder": str(tmp_path)})
    wait_for(lambda: app.jobs.get(run_id).progress == 0.3, "the first progress")
    page = LivePage(client, sockets, "/jobs")
    assert page.topics == {"jobs": page.topics["jobs"]}
    assert 'value="0.3"' in page.html

    asked = time.monotonic()
    (tmp_path / "go").touch()
    frames = page.until(lambda op: row_op(run_id)(op) and 'value="0.6"' in op["html"])
    took = time.monotonic() - asked

    assert took < 2.0, took  # the scheduler's own look would come after 60 s
    row = frames[-1]["ops"][0]["html"]
    assert row.startswith(f'<tr id="jobs-run-{run_id}" data-status="running">')
    assert "<small>half way</small>" in row
    assert all(f["topic"] == "jobs" for f in frames if f["t"] == "msg")

    (tmp_path / "end").touch()
    frames = page.until(
        lambda op: row_op(run_id)(op) and 'data-status="completed"' in op["html"])

    # The counts of the page's filter follow: with the run's change, or already with an
    # earlier one whose counts were read after the run completed (the row read before).
    def counted(op: dict[str, Any]) -> bool:
        return op["target"].startswith("jobs-counts-") and bool(
            re.search(r'data-status="completed">.*?</span> 1</a>', op["html"]))

    if not any(counted(op) for f in frames if f["t"] == "msg" for op in f["ops"]):
        page.until(counted)
    page.close()


def test_a_new_run_joins_the_table_of_a_first_page_that_shows_it(
        live: tuple[App, Client, contextlib.ExitStack], tmp_path: Path) -> None:
    app, client, sockets = live
    page = LivePage(client, sockets, "/jobs?task=step_through")
    table = re.search(r'<table [^>]*id="(jobs-table-\w+)"', page.html)
    assert table is not None and "No runs here yet." in page.html

    run_id = app.jobs.enqueue("step_through", {"folder": str(tmp_path)})
    frames = page.until(lambda op: op["target"] == table.group(1)
                        and f'id="jobs-run-{run_id}"' in op["html"])
    assert frames[-1]["ops"][0]["op"] == "morph"
    (tmp_path / "go").touch()
    (tmp_path / "end").touch()
    app.jobs.wait(run_id, TIMEOUT)
    page.close()


def test_many_progress_reports_are_thinned_and_the_last_state_is_sent(
        live: tuple[App, Client, contextlib.ExitStack]) -> None:
    app, client, sockets = live
    page = LivePage(client, sockets, "/jobs")
    run_id = app.jobs.enqueue("hurry", {"steps": 3000, "seconds": 1.5})
    started = time.monotonic()
    frames = page.until(lambda op: row_op(run_id)(op) and 'data-status="completed"' in op["html"])
    took = time.monotonic() - started

    rows = [op["html"] for f in frames if f["t"] == "msg" for op in f["ops"]
            if row_op(run_id)(op)]
    # At most about ten a second (and a few for queued, started, finished), not 3000.
    assert 3 <= len(rows) <= took * 10 + 6, (len(rows), took)
    assert 'value="1.0"' in rows[-1] and "<small>step 3000</small>" in rows[-1]
    assert app.jobs.get(run_id).status == Status.COMPLETED
    page.close()


def test_a_running_runs_page_gets_its_log_appended_and_its_state(
        live: tuple[App, Client, contextlib.ExitStack], tmp_path: Path) -> None:
    app, client, sockets = live
    run_id = app.jobs.enqueue("step_through", {"folder": str(tmp_path)})
    wait_for(lambda: app.jobs.get(run_id).progress == 0.3, "the first progress")
    page = LivePage(client, sockets, f"/jobs/runs/{run_id}")
    assert page.topics == {f"jobs:run:{run_id}": 0}

    (tmp_path / "go").touch()
    frames = page.until(lambda op: op["op"] == "append" and op["target"] == "jobs-log")
    append = [op for op in frames[-1]["ops"] if op["op"] == "append"][0]
    assert append["html"] == "<span>half way\n</span>"
    frames = page.until(lambda op: op["target"] == "jobs-run-state"
                        and "half way" in op["html"])
    (tmp_path / "end").touch()
    frames = page.until(lambda op: op["target"] == "jobs-run-state"
                        and "jobs-completed" in op["html"])
    assert '<pre id="jobs-output">"done"</pre>' in frames[-1]["ops"][0]["html"]
    page.close()


def test_a_page_that_missed_too_much_gets_the_snapshot(tmp_path: Path) -> None:
    from appkit import LiveSettings

    app = App("dashboard-live-snapshot", extensions=[LiveSettings(history=2)])
    app.jobs.register("step_through", step_through)
    mount_dashboard(app.jobs, app, "/jobs")
    with Client(app) as client, contextlib.ExitStack() as sockets:
        run_id = app.jobs.enqueue("step_through", {"folder": str(tmp_path)})
        wait_for(lambda: app.jobs.get(run_id).progress == 0.3, "the first progress")
        page = LivePage(client, sockets, "/jobs")
        page.ws.close()
        (tmp_path / "go").touch()
        (tmp_path / "end").touch()
        app.jobs.wait(run_id, TIMEOUT)
        hub = app.hub
        wait_for(lambda: hub.get("jobs").seq > page.topics["jobs"] + 2, "messages")
        time.sleep(0.3)  # the last ones published
        socket = client.websocket_connect(
            f"/_appkit-live?appkit-csrf={client.csrf_token()}",
            headers={"cookie": f"{app.sessions.cookie_name}="
                               f"{client.cookies[app.sessions.cookie_name]}"})
        ws = sockets.enter_context(socket)
        ws.send_text(json.dumps({
            "t": "hello", "v": 1, "build": page.config["build"], "boot": page.config["boot"],
            "page": "p" * 32, "topics": page.topics, "replied": 0}))
        frames = [json.loads(ws.receive_text()) for _ in range(2)]
        assert frames[0]["t"] == "welcome"
        snapshot = frames[1]
        assert snapshot["t"] == "msg" and snapshot.get("snapshot") is True
        targets = {op["target"]: op["html"] for op in snapshot["ops"]}
        table = [html for target, html in targets.items() if target.startswith("jobs-table-")]
        assert table and f'<tr id="jobs-run-{run_id}" data-status="completed">' in table[0]
        assert any(target.startswith("jobs-counts-") for target in targets)
        page.close()


def test_a_burst_of_changes_of_one_run_is_published_ten_times_a_second_at_most(
        tmp_path: Path) -> None:
    app = make_app()
    board = mount_dashboard(app.jobs, app, "/board", name="board")
    with Client(app) as client, contextlib.ExitStack() as sockets:
        run_id = app.jobs.enqueue("step_through", {"folder": str(tmp_path)})
        wait_for(lambda: app.jobs.get(run_id).progress == 0.3, "the first progress")
        page = LivePage(client, sockets, "/board")
        live = board.live(app)
        assert live is not None
        started = time.monotonic()
        while time.monotonic() - started < 1.0:  # a listener told 1000s of times
            live.changed(run_id)
            time.sleep(0.0005)
        (tmp_path / "go").touch()
        frames = page.until(lambda op: row_op(run_id)(op) and 'value="0.6"' in op["html"])
        took = time.monotonic() - started

        rows = [f for f in frames if f["t"] == "msg" and any(map(row_op(run_id), f["ops"]))]
        assert 3 <= len(rows) <= took * 10 + 3, (len(rows), took)
        (tmp_path / "end").touch()
        app.jobs.wait(run_id, TIMEOUT)
        page.close()


def test_a_topic_of_the_dashboards_name_taken_already_is_said_when_mounting() -> None:
    from appkit import ConfigurationError

    app = App("dashboard-live-taken")
    app.hub.topic("jobs", snapshot=list)
    with pytest.raises(ConfigurationError, match="The topic 'jobs' is declared already"):
        mount_dashboard(app.jobs, app, "/jobs")
    mount_dashboard(app.jobs, app, "/board", name="board")  # another name is fine
