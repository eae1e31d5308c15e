"""The jobs dashboard's routes, in process (``appkit.testing.Client``) with a real scheduler
(each run in a worker process), and its live list over a real server."""

from __future__ import annotations

import html
import json
import re
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from appkit import App, ConfigurationError
from appkit.jobs import Status, progress
from appkit.jobs.dashboard import Dashboard, mount_dashboard
from appkit.jobs.dashboard_live import filter_key
from appkit.testing import Client

TIMEOUT = 20.0
JSON = {"Accept": "application/json"}


# ---- tasks (module level: a worker process imports them) ------------------------------------

def add(a: int, b: int) -> int:
    print(f"adding {a} and {b} <b>&</b>")
    return a + b


def greet(name: str = "world") -> dict[str, str]:
    return {"greeting": f"Hello, {name}!"}


def explode(message: str = "it broke <badly>") -> None:
    print("about to fail")
    raise ValueError(message)


def nap(seconds: float = 30.0) -> None:
    progress(0.25, "napping")
    time.sleep(seconds)


def make_app(path: str = "/jobs") -> App:
    app = App("dashboard-test")
    app.jobs.register("add", add)
    app.jobs.register("greet", greet)
    app.jobs.register("explode", explode)
    app.jobs.register("nap", nap, timeout=60)
    mount_dashboard(app.jobs, app, path)
    return app


@pytest.fixture
def app() -> App:
    return make_app()


@pytest.fixture
def client(app: App) -> Iterator[Client]:
    with Client(app) as client:  # starts (and stops) the scheduler with the app
        yield client


def finished(app: App, *run_ids: int) -> None:
    for run_id in run_ids:
        app.jobs.wait(run_id, timeout=TIMEOUT)


def wait_for(check: Callable[[], bool], what: str) -> None:
    until = time.monotonic() + TIMEOUT
    while not check():
        if time.monotonic() > until:
            pytest.fail(f"Timed out waiting for {what}")
        time.sleep(0.05)


def row_ids(page: str) -> list[int]:
    body = re.search(r'<tbody id="jobs-runs-body"[^>]*>(.*?)</tbody>', page, re.S)
    assert body, page
    return [int(n) for n in re.findall(r'<tr id="jobs-run-(\d+)"', body.group(1))]


def row(page: str, run_id: int) -> str:
    found = re.search(rf'<tr id="jobs-run-{run_id}".*?</tr>', page, re.S)
    assert found, page
    return found.group(0)


# ---- the list -----------------------------------------------------------------------------


def test_the_page_lists_runs_newest_first_with_counts_and_a_form_per_task(
        app: App, client: Client) -> None:
    first = app.jobs.enqueue("add", {"a": 1, "b": 2})
    failing = app.jobs.enqueue("explode")
    finished(app, first, failing)

    response = client.get("/jobs")

    assert response.status_code == 200
    page = response.text
    assert "<title>Jobs</title>" in page and "<h1>Jobs</h1>" in page
    assert row_ids(page) == [failing, first]
    assert 'data-status="completed"' in row(page, first)
    assert 'data-status="failed"' in row(page, failing)
    assert f'<a href="/jobs/runs/{first}">#{first}</a>' in row(page, first)
    # Counts by status, each a link to the filtered list.
    assert re.search(r'href="/jobs\?status=completed" data-status="completed">'
                     r'<span class="jobs-status jobs-completed">completed</span> 1</a>', page)
    assert re.search(r'data-status="failed">.*?</span> 1</a>', page)
    # The live list: the page follows the hub's "jobs" topic (no polling stream); its
    # table and counts have the ids of its filter, for the hub's updates.
    assert re.search(r'<div hidden data-live-topic="jobs" data-live-seq="\d+"></div>', page)
    assert "sse-connect" not in page and "/jobs/events" not in page
    assert f'<table class="jobs-table striped" id="jobs-table-{filter_key("", "")}">' in page
    assert f'<div id="jobs-counts-{filter_key("", "*")}"><nav id="jobs-counts"' in page
    # "Run now" for every task, posting to its own URL, with a JSON field.
    for name in ("add", "explode", "greet", "nap"):
        assert f'hx-post="/jobs/tasks/{name}/run"' in page
        assert f'aria-label="Inputs for {name}"' in page
    assert "(a, b)" in page and "(name='world')" in page  # the arguments it takes
    # Finished runs can run again; no cancel button for them.
    assert f'hx-post="/jobs/runs/{first}/rerun"' in row(page, first)
    assert "/cancel" not in page


def test_filters_by_task_and_status(app: App, client: Client) -> None:
    one = app.jobs.enqueue("add", {"a": 1, "b": 1})
    two = app.jobs.enqueue("add", {"a": 2, "b": 2})
    greeting = app.jobs.enqueue("greet")
    failing = app.jobs.enqueue("explode")
    finished(app, one, two, greeting, failing)

    assert row_ids(client.get("/jobs").text) == [failing, greeting, two, one]
    assert row_ids(client.get("/jobs?task=add").text) == [two, one]
    assert row_ids(client.get("/jobs?status=failed").text) == [failing]
    assert row_ids(client.get("/jobs?task=greet&status=completed").text) == [greeting]
    empty = client.get("/jobs?task=add&status=failed").text
    assert row_ids(empty) == [] and "No runs here yet." in empty

    # The filter form's htmx request gets the list alone, its stream keeping the filters.
    fragment = client.get("/jobs", params={"task": "add", "status": ""},
                          hx_target="jobs-runs").text
    assert fragment.startswith('<section id="jobs-runs">')
    assert f'id="jobs-table-{filter_key("add", "")}"' in fragment
    assert "<title>" not in fragment and "Run now" not in fragment
    assert row_ids(fragment) == [two, one]
    assert '<option value="add" selected>add</option>' in fragment
    # The counts follow the task filter.
    assert re.search(r'data-status="completed">.*?</span> 2</a>', fragment)
    assert re.search(r'data-status="failed">.*?</span> 0</a>', fragment)


def test_an_unknown_status_is_a_400(client: Client) -> None:
    response = client.get("/jobs?status=done", headers=JSON)
    assert response.status_code == 400
    assert response.json()["error"] == (
        "There is no status 'done'; the statuses are: queued, running, completed, failed, "
        "timeout, cancelled.")
    assert client.get("/jobs/events?status=done", headers=JSON).status_code == 400


def test_older_runs_are_on_further_pages() -> None:
    app = App("dashboard-pages")
    app.jobs.register("add", add)
    mount_dashboard(app.jobs, app, "/jobs", page_size=2)
    ids = [app.jobs.enqueue("add", {"a": n, "b": n}, scheduled_for=timedelta(hours=1))
           for n in range(5)]  # not due: they stay queued
    with Client(app) as client:
        page = client.get("/jobs").text
        assert row_ids(page) == [ids[4], ids[3]]
        assert f'<a href="/jobs?before={ids[3]}">Older runs</a>' in page
        older = client.get(f"/jobs?before={ids[3]}").text
        assert row_ids(older) == [ids[2], ids[1]]
        assert '<a href="/jobs">Newest runs</a>' in older
        # An older page's rows are kept current, not its list (no table id to replace).
        assert 'id="jobs-table-' in page and 'id="jobs-table-' not in older
        # Queued runs wait: no progress bar yet, and they can be cancelled.
        assert "waiting" in row(page, ids[4])
        assert f'hx-post="/jobs/runs/{ids[4]}/cancel"' in row(page, ids[4])


# ---- one run ------------------------------------------------------------------------------


def test_a_completed_run_shows_its_output_and_log_escaped(app: App, client: Client) -> None:
    run_id = app.jobs.enqueue("add", {"a": 2, "b": 3})
    finished(app, run_id)

    page = client.get(f"/jobs/runs/{run_id}").text

    assert f"<title>Run {run_id}: add</title>" in page
    assert '<span class="jobs-status jobs-completed">completed</span>' in page
    assert '<pre id="jobs-output">5</pre>' in page
    assert html.escape(json.dumps({"a": 2, "b": 3}, indent=2), quote=False) in page
    log = re.search(r'<pre id="jobs-log"[^>]*>(.*?)</pre>', page, re.S)
    assert log, page
    assert log.group(1) == "<span>adding 2 and 3 &lt;b&gt;&amp;&lt;/b&gt;\n</span>"
    assert "<b>&amp;</b>" not in page
    # Finished: no live stream, no cancel; it can run again.
    assert "sse-connect" not in page and "/cancel" not in page
    assert f'hx-post="/jobs/runs/{run_id}/rerun"' in page
    assert '<a href="/jobs">Jobs</a>' in page  # back to the list


def test_a_failed_run_shows_its_traceback(app: App, client: Client) -> None:
    run_id = app.jobs.enqueue("explode")
    finished(app, run_id)

    page = client.get(f"/jobs/runs/{run_id}").text

    error = re.search(r'<pre id="jobs-error" class="jobs-error">(.*?)</pre>', page, re.S)
    assert error, page
    assert error.group(1).startswith("Traceback (most recent call last):")
    assert 'raise ValueError(message)' in error.group(1)
    assert error.group(1).endswith("ValueError: it broke &lt;badly&gt;")
    assert "about to fail" in page
    assert '<pre id="jobs-output">' not in page


def test_an_unknown_run_is_a_404(client: Client) -> None:
    response = client.get("/jobs/runs/999", headers=JSON)
    assert response.status_code == 404
    assert "999" in response.json()["error"]
    assert client.get("/jobs/runs/999/events", headers=JSON).status_code == 404
    assert client.post("/jobs/runs/999/cancel", headers=JSON).status_code == 404
    assert client.post("/jobs/runs/999/rerun", headers=JSON).status_code == 404


def test_numbers_beyond_sqlites_integers_are_no_run(client: Client) -> None:
    big = 2**63  # the route takes any digits; the database has no such number
    assert client.get(f"/jobs/runs/{big}", headers=JSON).status_code == 404
    assert client.get(f"/jobs/runs/{big}/events", headers=JSON).status_code == 404
    assert client.post(f"/jobs/runs/{big}/cancel", headers=JSON).status_code == 404
    assert client.post(f"/jobs/runs/{big}/rerun", headers=JSON).status_code == 404
    # A filter beyond them is a 400, before the list's stream starts.
    for path in ("/jobs", "/jobs/events"):
        answer = client.get(f"{path}?before={10**30}", headers=JSON)
        assert answer.status_code == 400
        assert answer.json()["error"] == (
            f"before={10**30} cannot be a run number: they are between "
            "-9223372036854775808 and 9223372036854775807. Use the id of the last run "
            "listed, or leave it out.")


def test_a_running_run_is_live_and_can_be_cancelled(app: App, client: Client) -> None:
    run_id = app.jobs.enqueue("nap", {"seconds": 60})
    wait_for(lambda: app.jobs.get(run_id).progress == 0.25, "the run to report progress")

    page = client.get(f"/jobs/runs/{run_id}").text
    assert f'<div hidden data-live-topic="jobs:run:{run_id}" data-live-seq="0">' in page
    assert "sse-connect" not in page
    assert '<pre id="jobs-log" aria-label="Log" data-follow-end>' in page
    assert (f'<progress value="0.25" max="1" aria-label="Progress of run {run_id}" '
            'title="25%"></progress><small>napping</small>') in page
    assert f'hx-post="/jobs/runs/{run_id}/cancel"' in page

    answer = client.post(f"/jobs/runs/{run_id}/cancel", data={"view": "state"}, hx=True)

    assert answer.status_code == 200
    assert '<span class="jobs-status jobs-cancelled">cancelled</span>' in answer.text
    assert "/cancel" not in answer.text and "/rerun" in answer.text
    assert app.jobs.wait(run_id, timeout=TIMEOUT).status == Status.CANCELLED


def test_cancel_from_the_list_answers_the_row(app: App, client: Client) -> None:
    later = app.jobs.enqueue("greet", scheduled_for=timedelta(hours=1))

    answer = client.post(f"/jobs/runs/{later}/cancel", data={"view": "row"}, hx=True)

    assert answer.status_code == 200
    assert answer.text.startswith(f'<tr id="jobs-run-{later}" data-status="cancelled">')
    assert app.jobs.get(later).status == Status.CANCELLED
    # Without htmx (a plain form), the answer is the run's page.
    other = app.jobs.enqueue("greet", scheduled_for=timedelta(hours=1))
    plain = client.post(f"/jobs/runs/{other}/cancel", follow_redirects=False)
    assert (plain.status_code, plain.headers["Location"]) == (303, f"/jobs/runs/{other}")


def test_run_again_queues_the_same_inputs_and_goes_to_the_new_run(
        app: App, client: Client) -> None:
    run_id = app.jobs.enqueue("greet", {"name": "Ann"})
    finished(app, run_id)

    answer = client.post(f"/jobs/runs/{run_id}/rerun", hx=True)

    assert answer.status_code == 200
    match = re.fullmatch(r"/jobs/runs/(\d+)", answer.headers["HX-Redirect"])
    assert match, answer.headers
    again = app.jobs.wait(int(match.group(1)), timeout=TIMEOUT)
    assert again.id != run_id and again.rerun_of == run_id
    assert again.output == {"greeting": "Hello, Ann!"}
    assert f'<a href="/jobs/runs/{run_id}">#{run_id}</a>' in client.get(
        f"/jobs/runs/{again.id}").text


# ---- run now ------------------------------------------------------------------------------


def test_run_now_with_and_without_inputs(app: App, client: Client) -> None:
    answer = client.post("/jobs/tasks/add/run", data={"inputs": ' {"a": 40, "b": 2} '},
                         hx=True)
    assert answer.status_code == 200
    run_id = int(answer.headers["HX-Redirect"].rsplit("/", 1)[1])
    assert app.jobs.wait(run_id, timeout=TIMEOUT).output == 42

    plain = client.post("/jobs/tasks/greet/run", data={"inputs": ""},
                        follow_redirects=False)
    assert plain.status_code == 303
    greeting = app.jobs.wait(int(plain.headers["Location"].rsplit("/", 1)[1]),
                             timeout=TIMEOUT)
    assert greeting.inputs == {} and greeting.output == {"greeting": "Hello, world!"}


@pytest.mark.parametrize(("inputs", "message"), [
    ('{"a": 1,', "The inputs for 'add' are not valid JSON (Expecting property name enclosed "
                 "in double quotes, line 1 column 9)"),
    ("[1, 2]", "The inputs for 'add' must be a JSON object of its arguments"),
    ('"a"', "must be a JSON object of its arguments, e.g. {\"n\": 3}, not str"),
    ('{"a": NaN, "b": 1}', "inputs['a'] is nan, which JSON cannot hold"),
    ('{"a": 1, "c": 2}', "do not fit"),
])
def test_run_now_with_bad_inputs_is_a_400_that_says_why(
        app: App, client: Client, inputs: str, message: str) -> None:
    answer = client.post("/jobs/tasks/add/run", data={"inputs": inputs}, headers=JSON)

    assert answer.status_code == 400
    assert message in answer.json()["error"]
    assert app.jobs.runs() == []  # nothing was queued
    # htmx gets the error fragment, which appkit.js shows in a notice.
    fragment = client.post("/jobs/tasks/add/run", data={"inputs": inputs}, hx=True)
    assert fragment.status_code == 400
    assert fragment.text.startswith('<div class="appkit-error" role="alert" '
                                    'data-status="400">')


@pytest.mark.parametrize("depth", [100, 100_000])  # past the limit; past Python's
def test_run_now_with_inputs_nested_too_deep_is_a_400(app: App, client: Client,
                                                      depth: int) -> None:
    inputs = '{"a": ' + "[" * depth + "]" * depth + ', "b": 1}'
    answer = client.post("/jobs/tasks/add/run", data={"inputs": inputs}, headers=JSON)

    assert answer.status_code == 400
    assert answer.json()["error"] == (
        "The inputs for 'add' are JSON nested more than 100 levels deep (arrays and objects "
        "inside each other): send flatter data.")
    assert app.jobs.runs() == []


def test_run_now_for_an_unknown_task_is_a_404(client: Client) -> None:
    answer = client.post("/jobs/tasks/nope/run", headers=JSON)
    assert answer.status_code == 404
    assert answer.json()["error"] == (
        "There is no task called 'nope'. Known tasks: add, explode, greet, nap.")


def test_the_buttons_need_the_csrf_token(app: App, client: Client) -> None:
    later = app.jobs.enqueue("greet", scheduled_for=timedelta(hours=1))
    assert client.post("/jobs/tasks/greet/run", csrf=False).status_code == 403
    assert client.post(f"/jobs/runs/{later}/cancel", csrf=False).status_code == 403
    assert client.post(f"/jobs/runs/{later}/rerun", csrf=False).status_code == 403
    assert [run.id for run in app.jobs.runs()] == [later]
    assert app.jobs.get(later).status == Status.QUEUED


# ---- the run's stream ---------------------------------------------------------------------


def events_of(text: str) -> list[tuple[str, str, str]]:
    """``(event, id, data)`` of each event in a text/event-stream body."""
    found = []
    for block in text.split("\n\n"):
        fields: dict[str, list[str]] = {}
        for line in block.split("\n"):
            if line and not line.startswith(":"):
                key, _, value = line.partition(": ")
                fields.setdefault(key, []).append(value)
        if "data" in fields:
            found.append((fields.get("event", ["message"])[0], fields.get("id", [""])[0],
                          "\n".join(fields["data"])))
    return found


def test_a_finished_runs_stream_sends_state_log_and_end(app: App, client: Client) -> None:
    run_id = app.jobs.enqueue("explode")
    finished(app, run_id)
    size = len("about to fail\n")

    response = client.get(f"/jobs/runs/{run_id}/events")

    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    events = events_of(response.text)
    assert [name for name, _, _ in events] == ["state", "log", "end"]
    assert "jobs-failed" in events[0][2] and "ValueError: it broke &lt;badly&gt;" in events[0][2]
    assert events[1] == ("log", str(size), "<span>about to fail\n</span>")
    assert events[2][:2] == ("end", str(size))

    # From an offset, only what follows; a reconnection resumes from its Last-Event-ID.
    rest = events_of(client.get(f"/jobs/runs/{run_id}/events?offset=6").text)
    assert ("log", str(size), "<span>to fail\n</span>") in rest
    resumed = events_of(client.get(f"/jobs/runs/{run_id}/events?offset=0",
                                   headers={"Last-Event-ID": str(size)}).text)
    assert [name for name, _, _ in resumed] == ["state", "end"]


def test_a_runs_stream_ignores_a_resume_id_it_never_sent(app: App, client: Client) -> None:
    run_id = app.jobs.enqueue("explode")
    finished(app, run_id)
    size = len("about to fail\n")

    # "²" is a digit to str.isdigit(), not to int(); non-ASCII digits are not our ids either.
    for resume in ("²", "١٤"):
        events = events_of(client.get(f"/jobs/runs/{run_id}/events",
                                      params={"last_event_id": resume}).text)
        assert [name for name, _, _ in events] == ["state", "log", "end"]
        assert events[1] == ("log", str(size), "<span>about to fail\n</span>")


@pytest.mark.parametrize("offset", [2**62, 2**63, 10**30])
def test_a_runs_stream_from_past_the_end_of_its_log_sends_no_log(
        app: App, client: Client, offset: int) -> None:
    run_id = app.jobs.enqueue("explode")
    finished(app, run_id)

    for response in (client.get(f"/jobs/runs/{run_id}/events?offset={offset}"),
                     client.get(f"/jobs/runs/{run_id}/events",
                                headers={"Last-Event-ID": str(offset)})):
        events = events_of(response.text)
        assert [name for name, _, _ in events] == ["state", "end"]
        assert events[1][:2] == ("end", str(offset))


# ---- the list's stream, over a real server ------------------------------------------------


class EventReader:
    """Reads the events of an open text/event-stream response, one at a time."""

    def __init__(self, response: httpx.Response) -> None:
        self._lines = response.iter_lines()

    def next(self) -> tuple[str, str]:
        name = "message"
        data: list[str] = []
        for line in self._lines:
            if not line:
                if data:
                    return name, "\n".join(data)
                continue
            if line.startswith("event: "):
                name = line[len("event: "):]
            elif line.startswith("data: "):
                data.append(line[len("data: "):])
        raise AssertionError("the stream ended")

    def until(self, check: Callable[[str, str], bool]) -> list[tuple[str, str]]:
        seen = []
        while True:
            event = self.next()
            seen.append(event)
            if check(*event):
                return seen


def test_the_live_list_sends_new_runs_then_only_the_rows_that_changed(
        live_server: Callable[[Any], str]) -> None:
    app = make_app()
    url = live_server(app)
    other = app.jobs.enqueue("greet", {"name": "Bo"})
    finished(app, other)
    with httpx.Client(timeout=TIMEOUT) as http, \
            http.stream("GET", url + "jobs/events?task=nap") as response:
        assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
        reader = EventReader(response)
        # At once: the counts (of the filtered task) and the whole body.
        name, counts = reader.next()
        assert name == "counts"
        assert re.search(r'data-status="completed">.*?</span> 0</a>', counts)
        assert reader.next() == (
            "runs", '<tbody id="jobs-runs-body" hx-swap-oob="true"><tr><td colspan="7">'
                    "No runs here yet.</td></tr></tbody>")

        run_id = app.jobs.enqueue("nap", {"seconds": 1.5})
        # A run joined the list: the whole body comes again, with its row.
        seen = reader.until(lambda name, data: name == "runs")
        assert seen[-1][1].startswith('<tbody id="jobs-runs-body" hx-swap-oob="true">')
        assert f'<tr id="jobs-run-{run_id}"' in seen[-1][1]
        assert 'data-status="completed"' not in seen[-1][1]
        # Then, as it runs and completes, only its row (the body is not sent again).
        later = reader.until(lambda name, data: name == "runs"
                             and 'data-status="completed"' in data)
        rows = [data for name, data in later if name == "runs"]
        for data in rows:
            assert data.startswith(f'<tr id="jobs-run-{run_id}" data-status="')
            assert 'hx-swap-oob="true"' in data and "<tbody" not in data
        assert any(name == "counts" and re.search(r'data-status="completed">.*?</span> 1</a>',
                                                  data) for name, data in later)


# ---- mounting -----------------------------------------------------------------------------


def test_the_dashboard_can_live_elsewhere() -> None:
    app = App("dashboard-elsewhere")
    app.jobs.register("greet", greet)
    board = mount_dashboard(app.jobs, app, "/admin/jobs", name="board")
    assert isinstance(board, Dashboard)
    later = app.jobs.enqueue("greet", scheduled_for=timedelta(hours=1))
    with Client(app) as client:
        page = client.get("/admin/jobs").text
        assert f'<a href="/admin/jobs/runs/{later}">#{later}</a>' in page
        assert 'data-live-topic="board"' in page  # the topic is named after the routes
        assert client.get(f"/admin/jobs/runs/{later}").status_code == 200
        assert client.get("/jobs").status_code == 404
    assert app.url_for("board.run", run_id=3) == "/admin/jobs/runs/3"


def test_every_page_leads_back_to_the_app_under_its_title() -> None:
    app = App("dashboard-home", title="Sales & <returns>")
    app.jobs.register("greet", greet)
    app.jobs.dashboard("/admin/jobs")
    later = app.jobs.enqueue("greet", scheduled_for=timedelta(hours=1))
    home = '<a href="/" class="jobs-home">Sales &amp; &lt;returns&gt;</a>'
    with Client(app) as client:
        listing = client.get("/admin/jobs").text
        assert f'<nav aria-label="breadcrumb"><ul><li>{home}</li><li>Jobs</li></ul></nav>' in (
            listing)
        run_page = client.get(f"/admin/jobs/runs/{later}").text
        assert (f'<li>{home}</li><li><a href="/admin/jobs">Jobs</a></li><li>Run {later}</li>'
                in run_page)


@pytest.mark.parametrize("path", ["jobs", "/jobs/", ""])
def test_a_bad_path_is_refused(path: str) -> None:
    app = App("dashboard-bad")
    with pytest.raises(ConfigurationError, match="must start with '/'"):
        mount_dashboard(app.jobs, app, path)


def test_without_an_app_it_says_how_to_add_it() -> None:
    app = App("dashboard-none")
    with pytest.raises(ConfigurationError, match=r"app\.include\(Dashboard\(jobs, '/jobs'\)\)"):
        mount_dashboard(app.jobs, None)


def test_app_jobs_dashboard_mounts_it_and_a_scheduler_without_an_app_cannot(
        tmp_path: Path) -> None:
    from appkit import App, ConfigurationError
    from appkit.jobs import Jobs
    from appkit.testing import Client

    app = App("dashboard-method")
    app.jobs.register("nothing", _nothing)
    app.jobs.dashboard("/admin/jobs")
    with Client(app) as client:
        page = client.get("/admin/jobs")
        assert page.status_code == 200 and "nothing" in page.text
    with pytest.raises(ConfigurationError):
        Jobs(tmp_path / "alone-jobs.db").dashboard("/jobs")


def _nothing() -> None:
    """A task for the test above (tasks live at a module's top level)."""


# ---- without the live extension ---------------------------------------------------------


def test_without_a_hub_the_pages_poll_over_server_sent_events() -> None:
    from appkit import JobsSettings, Sessions
    from appkit.app import App as CoreApp

    app = CoreApp("dashboard-polling", extensions=[Sessions(), JobsSettings()])
    assert getattr(app, "hub", None) is None
    app.jobs.register("add", add)
    app.jobs.register("nap", nap, timeout=60)
    mount_dashboard(app.jobs, app, "/jobs")
    with Client(app) as client:
        run_id = app.jobs.enqueue("nap", {"seconds": 60})
        wait_for(lambda: app.jobs.get(run_id).progress == 0.25, "the run to report progress")
        page = client.get("/jobs").text
        assert 'id="jobs-runs" hx-ext="sse" sse-connect="/jobs/events"' in page
        assert "data-live-topic" not in page and 'id="jobs-table-' not in page
        fragment = client.get("/jobs", params={"task": "add", "status": ""},
                              hx_target="jobs-runs").text
        assert fragment.startswith('<section id="jobs-runs" hx-ext="sse" '
                                   'sse-connect="/jobs/events?task=add">')
        run_page = client.get(f"/jobs/runs/{run_id}").text
        assert f'sse-connect="/jobs/runs/{run_id}/events?offset=0" sse-close="end"' in run_page
        assert ('<pre id="jobs-log" aria-label="Log" data-follow-end sse-swap="log" '
                'hx-swap="beforeend">') in run_page
        assert "hx-on" not in run_page and "data-live-topic" not in run_page
        assert client.post(f"/jobs/runs/{run_id}/cancel").status_code == 200
        assert app.jobs.wait(run_id, timeout=TIMEOUT).status == Status.CANCELLED
