"""Property: the examples (hello, todo, jobs with its dashboard, ui, expenses) answer every
generated request below 500, log no ERROR, and keep answering.

The jobs example runs one real run at the start (so a run has a log to read from an
offset), then its scheduler is stopped: what the fuzzer queues (run now, run again, the
buttons) never executes, and is cancelled after each request, so every run's event stream
ends at once.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appkit import App
from appkit.jobs import Status
from appkit.loader import load_app
from appkit.testing import Client
from tests.examples.test_hello import load_example
from tests.fuzz.harness import (
    FUZZ,
    Target,
    deep_json,
    digits,
    integers,
    json_text,
    mostly,
    naturals,
    requests,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


# ---- hello ---------------------------------------------------------------------------------

@pytest.fixture
def hello(error_logs: list[logging.LogRecord]) -> Iterator[Target]:
    module = load_example(EXAMPLES / "hello" / "app.py", "_example_hello_under_fuzz")
    try:
        with Client(module.app) as client:
            yield Target(client, error_logs)
    finally:
        sys.modules.pop("_example_hello_under_fuzz", None)


@FUZZ
@given(request=requests(["GET /", "GET /greet", "POST /greet"], ["name"], ["appkit-session-hello"]))
def test_hello_answers_every_request(hello: Target, request: Any) -> None:
    hello.check(request)


# ---- todo ----------------------------------------------------------------------------------

TODO_ENDPOINTS = [
    "GET /", "POST /todos", "GET /todos/{todo_id:int}", "POST /todos/{todo_id:int}/toggle",
    "GET /todos/{todo_id:int}/edit", "PUT /todos/{todo_id:int}",
    "DELETE /todos/{todo_id:int}", "GET /static/todo.css?v={v}",
]


@pytest.fixture
def todo(error_logs: list[logging.LogRecord]) -> Iterator[Target]:
    module = load_example(EXAMPLES / "todo" / "app.py", "_example_todo_under_fuzz")
    try:
        with Client(module.create_app("todo-fuzz")) as client:
            for title in ("Milk", "Bread", "Eggs"):
                assert client.post("/todos", data={"title": title}).status_code == 200
            yield Target(client, error_logs)
    finally:
        sys.modules.pop("_example_todo_under_fuzz", None)


@FUZZ
@given(request=requests(
    TODO_ENDPOINTS, ["title", "todo_id", "v"], ["appkit-session-todo-fuzz"],
    fields={"todo_id": st.one_of(st.sampled_from(["1", "2", "3"]), naturals)}))
def test_todo_answers_every_request(todo: Target, request: Any) -> None:
    todo.check(request)


# ---- jobs and its dashboard ----------------------------------------------------------------

TASKS = ["import_sales", "clean_up", "export_to_accounting", "sync_inventory"]
JOBS_NAMES = ["task", "status", "before", "run_id", "offset", "last_event_id", "view",
              "inputs"]


@pytest.fixture
def jobs(error_logs: list[logging.LogRecord]) -> Iterator[Target]:
    app = load_app(str(EXAMPLES / "jobs"))
    assert isinstance(app, App)
    try:
        with Client(app) as client:
            ran = app.jobs.wait(app.jobs.enqueue("export_to_accounting"), timeout=30)
            assert ran.status == Status.FAILED and ran.log  # a run with a log
            app.jobs.stop()

            def cancel_the_queued() -> None:
                for run in app.jobs.runs(status=["queued", "running"], limit=1000):
                    app.jobs.cancel(run.id)

            cancel_the_queued()  # the hourly clean-up, queued at start
            yield Target(client, error_logs, alive="/jobs", after=cancel_the_queued)
    finally:
        for name, module in list(sys.modules.items()):
            if getattr(module, "__file__", None) == str(EXAMPLES / "jobs" / "app.py"):
                del sys.modules[name]
        if str(EXAMPLES / "jobs") in sys.path:
            sys.path.remove(str(EXAMPLES / "jobs"))


JOBS_FIELDS = {
    "run_id": mostly(st.sampled_from(["1", "2"]), naturals),
    "task": mostly(st.sampled_from(TASKS)),
    "status": mostly(st.sampled_from(["", *(str(s) for s in Status)])),
    "inputs": mostly(st.one_of(deep_json, json_text(["path", "delay", "keep_days",
                                                     "seconds"]))),
    "before": mostly(integers.map(str)),
    "offset": mostly(naturals),
    "view": mostly(st.sampled_from(["page", "row", "state"])),
    # What a browser sends back is the id it got; anything else is someone else's doing.
    "last_event_id": mostly(digits, naturals),
}
JOBS_COOKIES = ["appkit-session-jobs-example"]


def jobs_requests(endpoints: list[str], names: list[str] = JOBS_NAMES
                  ) -> st.SearchStrategy[Any]:
    return requests(endpoints, names, JOBS_COOKIES, JOBS_FIELDS)


@FUZZ
@given(request=jobs_requests(["GET /", "GET /sample.csv", "POST /import",
                              "POST /start/{task}"]))
def test_the_jobs_example_answers_every_request(jobs: Target, request: Any) -> None:
    jobs.check(request)


@FUZZ
@given(request=jobs_requests(["GET /jobs", "GET /jobs/runs/{run_id:int}"]))
def test_the_dashboard_pages_answer_every_request(jobs: Target, request: Any) -> None:
    jobs.check(request)


@FUZZ
@given(request=jobs_requests(["GET /jobs/runs/{run_id:int}/events"]))
def test_a_runs_event_stream_answers_every_request(jobs: Target, request: Any) -> None:
    jobs.check(request)


@FUZZ
@given(request=jobs_requests(["POST /jobs/runs/{run_id:int}/cancel",
                              "POST /jobs/runs/{run_id:int}/rerun"]))
def test_cancel_and_run_again_answer_every_request(jobs: Target, request: Any) -> None:
    jobs.check(request)


@FUZZ
@given(request=jobs_requests(["POST /jobs/tasks/{task:path}/run"], ["inputs"]))
def test_run_now_answers_every_request(jobs: Target, request: Any) -> None:
    jobs.check(request)


# ---- ui ------------------------------------------------------------------------------------

@pytest.fixture
def ui(error_logs: list[logging.LogRecord]) -> Iterator[Target]:
    module = load_example(EXAMPLES / "ui" / "app.py", "_example_ui_under_fuzz")
    try:
        with Client(module.app) as client:
            yield Target(client, error_logs)
    finally:
        sys.modules.pop("_example_ui_under_fuzz", None)


@FUZZ
@given(request=requests(["GET /", "GET /items", "GET /settings", "POST /_appkit-ui/theme"],
                        ["theme"], ["appkit-session-ui-tour", "appkit-theme-ui-tour"],
                        fields={"theme": mostly(st.sampled_from(["light", "dark", "system"]))}))
def test_ui_answers_every_request(ui: Target, request: Any) -> None:
    ui.check(request)


# ---- expenses --------------------------------------------------------------------------------

@pytest.fixture
def expenses(error_logs: list[logging.LogRecord]) -> Iterator[Target]:
    """The expenses example, its scheduler stopped: what an upload queues never runs, and
    is cancelled after each request."""
    app = load_app(str(EXAMPLES / "expenses"))
    assert isinstance(app, App)
    try:
        with Client(app) as client:
            app.jobs.stop()

            def cancel_the_queued() -> None:
                for run in app.jobs.runs(status=["queued", "running"], limit=1000):
                    app.jobs.cancel(run.id)

            yield Target(client, error_logs, after=cancel_the_queued)
    finally:
        for name, module in list(sys.modules.items()):
            if getattr(module, "__file__", None) == str(EXAMPLES / "expenses" / "app.py"):
                del sys.modules[name]
        if str(EXAMPLES / "expenses") in sys.path:
            sys.path.remove(str(EXAMPLES / "expenses"))


EXPENSES_FIELDS = {
    "day": mostly(st.sampled_from(["2024-05-01", "2999-12-31", "0001-01-01", "2024-02-30"])),
    "category": mostly(st.sampled_from(["Food", "Travel", "Other", "food"])),
    "amount": mostly(st.sampled_from(["12.50", "0", "-1", "1e999", "NaN", "0.001", "1e6"])),
    "month": mostly(st.sampled_from(["", "2024-05", "%", "_"])),
    "sort": mostly(st.sampled_from(["", "day", "amount", "note", "id"])),
}


@FUZZ
@given(request=requests(
    ["GET /", "GET /by-category", "GET /sample.csv", "POST /expenses", "POST /import",
     "POST /import/upload", "GET /_appkit-grid/ExpenseGrid.csv"],
    ["day", "category", "amount", "note", "file", "q", "sort", "desc", "month"],
    ["appkit-session-expenses-example"], fields=EXPENSES_FIELDS))
def test_expenses_answers_every_request(expenses: Target, request: Any) -> None:
    expenses.check(request)
