"""The jobs dashboard in a real Chromium: progress bars that move and a log that grows, over
server-sent events, in the page that was loaded first; run now, with its errors shown; the
filters."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from appkit import App
from appkit.jobs import progress
from appkit.jobs.dashboard import mount_dashboard

pytestmark = pytest.mark.browser

TIMEOUT = 20.0


# ---- tasks (module level: a worker process imports them) ------------------------------------

def count_up(steps: int = 8, pause: float = 0.4) -> int:
    """Counts to ``steps``, a line of log and a step of progress every ``pause`` seconds."""
    for step in range(1, steps + 1):
        time.sleep(pause)
        print(f"line {step}")
        progress(step / steps, f"step {step} of {steps}")
    return steps


def greet(name: str = "world") -> str:
    return f"Hello, {name}!"


def make_app() -> App:
    app = App("jobs-browser-test")
    app.jobs.register("count_up", count_up)
    app.jobs.register("greet", greet)
    mount_dashboard(app.jobs, app, "/jobs")
    return app


def _open(page: Page, url: str, stream_path: str) -> None:
    """Load a dashboard page and wait until its event stream is open."""
    with page.expect_response(lambda r: urlsplit(r.url).path == stream_path) as info:
        page.goto(url)
    assert info.value.status == 200
    assert info.value.headers["content-type"].startswith("text/event-stream")
    page.evaluate("window.__marker = 42")


def _progress_value(page: Page, selector: str, above: float) -> float:
    """Wait until the progress bar at ``selector`` shows more than ``above``; its value."""
    handle = page.wait_for_function(
        """([selector, above]) => {
             const bar = document.querySelector(selector);
             return bar && bar.hasAttribute("value") && bar.value > above ? bar.value : false;
           }""", arg=[selector, above], timeout=TIMEOUT * 1000)
    return float(handle.json_value())


def test_the_progress_bar_moves_without_reloading(live_server: Callable[[Any], str],
                                                  page: Page) -> None:
    app = make_app()
    url = live_server(app)
    _open(page, url + "jobs", "/jobs/events")
    expect(page.locator("#jobs-runs-body")).to_contain_text("No runs here yet.")

    run_id = app.jobs.enqueue("count_up", {"steps": 8, "pause": 0.5})

    row = page.locator(f"#jobs-run-{run_id}")
    expect(row).to_be_visible(timeout=TIMEOUT * 1000)  # joined the list by itself
    bar = f"#jobs-run-{run_id} progress"
    first = _progress_value(page, bar, 0.0)
    second = _progress_value(page, bar, first)
    assert 0 < first < second <= 1, (first, second)
    expect(row.locator("small")).to_have_text(re.compile(r"^step [2-8] of 8$"))
    expect(row).to_have_attribute("data-status", "completed", timeout=TIMEOUT * 1000)
    assert _progress_value(page, bar, 0.99) == 1.0
    expect(row.get_by_role("button", name="Run count_up again")).to_be_visible()
    expect(page.locator('#jobs-counts a[data-status="completed"]')).to_have_text("completed 1")
    assert page.evaluate("window.__marker") == 42, "the page was reloaded"


def test_the_log_tails_while_the_run_runs(live_server: Callable[[Any], str],
                                          page: Page) -> None:
    app = make_app()
    url = live_server(app)
    run_id = app.jobs.enqueue("count_up", {"steps": 6, "pause": 0.5})
    streams: list[str] = []
    page.on("request", lambda r: streams.append(r.url) if "/events" in r.url else None)
    stream_path = f"/jobs/runs/{run_id}/events"
    _open(page, url + f"jobs/runs/{run_id}", stream_path)
    log = page.locator("#jobs-log")

    # Part of the log first, then the rest, added to the same page.
    expect(log).to_contain_text("line 2", timeout=TIMEOUT * 1000)
    early = log.text_content() or ""
    assert "line 6" not in early, early
    expect(page.locator("#jobs-run-state progress")).to_be_visible()
    expect(page.get_by_role("button", name=f"Cancel run {run_id}")).to_be_visible()

    expect(page.locator("#jobs-output")).to_have_text("6", timeout=TIMEOUT * 1000)
    assert log.text_content() == "".join(f"line {n}\n" for n in range(1, 7))
    state = page.locator("#jobs-run-state")
    expect(state.locator(".jobs-status").first).to_have_text("completed")
    expect(page.get_by_role("button", name="Run count_up again")).to_be_visible()
    expect(page.get_by_role("button", name=f"Cancel run {run_id}")).to_have_count(0)
    assert page.evaluate("window.__marker") == 42, "the page was reloaded"
    # The stream was closed at its end, not reopened (a browser reconnects in ~3 s).
    time.sleep(3.5)
    assert [urlsplit(u).path for u in streams] == [stream_path], streams


def test_run_now_filters_and_errors(live_server: Callable[[Any], str], page: Page) -> None:
    app = make_app()
    url = live_server(app)
    done = app.jobs.enqueue("count_up", {"steps": 1, "pause": 0})
    app.jobs.wait(done, timeout=TIMEOUT)
    _open(page, url + "jobs", "/jobs/events")

    # Bad JSON: the answer's message is shown, nothing is queued, the page stays.
    page.get_by_label("Inputs for greet").fill('{"name": ')
    page.get_by_role("button", name="Run greet now").click()
    notice = page.locator(".appkit-notice")
    expect(notice).to_contain_text("The inputs for 'greet' are not valid JSON")
    assert [run.id for run in app.jobs.runs()] == [done]
    assert page.evaluate("window.__marker") == 42

    # Filter by task: the list changes in place and the address follows.
    page.get_by_label("Task").select_option("greet")
    expect(page).to_have_url(re.compile(r"/jobs\?task=greet&status=$"))
    expect(page.locator("#jobs-runs-body")).to_contain_text("No runs here yet.")
    assert page.evaluate("window.__marker") == 42

    # Run now with inputs: the run's page, which shows what it returned.
    page.get_by_label("Inputs for greet").fill('{"name": "Ann <b>"}')
    page.get_by_role("button", name="Run greet now").click()
    page.wait_for_url(re.compile(r"/jobs/runs/\d+$"))
    expect(page.locator("#jobs-output")).to_have_text('"Hello, Ann <b>!"',
                                                      timeout=TIMEOUT * 1000)
    run_id = int(page.url.rsplit("/", 1)[1])
    assert app.jobs.get(run_id).inputs == {"name": "Ann <b>"}

    # Back on the filtered list, the new run is there (and only greet's runs).
    page.goto(url + "jobs?task=greet")
    expect(page.locator("#jobs-runs-body tr")).to_have_count(1)
    expect(page.locator(f"#jobs-run-{run_id}")).to_have_attribute("data-status", "completed")
