"""The jobs dashboard in a real Chromium: progress bars that move and a log that grows,
pushed over the page's live socket (the hub) as the worker reports them, in the page that
was loaded first, with no request to the old polling streams, under a Content-Security-Policy
without 'unsafe-eval'; run now, with its errors shown; the filters."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from appkit import App
from appkit.html import P
from appkit.html import Page as HtmlPage
from appkit.jobs import progress
from appkit.jobs.dashboard import mount_dashboard
from shell.guard import DEFAULT_CSP
from tests.e2e.csp import STRICT_CSP, StrictCSP

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


LONG_TASK = "import_the_quarterly_sales_figures_from_the_regional_offices"
LONG_MESSAGE = ("Imported 4,812 of 12,030 rows from the north-eastern regional office's "
                "spreadsheet_with_a_name_that_does_not_end_anywhere_soon.xlsx")


def report_and_wait(path: str) -> None:
    """Reports a long progress message, then waits for ``path`` (at most 30 s)."""
    progress(0.4, LONG_MESSAGE)
    until = time.monotonic() + 30
    while not os.path.exists(path) and time.monotonic() < until:
        time.sleep(0.05)


def fail_long() -> None:
    raise ValueError("no_region_called_" + "north_eastern_" * 12)


def make_app() -> App:
    app = App("jobs-browser-test")
    app.jobs.register("count_up", count_up)
    app.jobs.register("greet", greet)
    mount_dashboard(app.jobs, app, "/jobs")
    return app


def _open(page: Page, url: str) -> None:
    """Load a dashboard page and wait until its live socket is open."""
    page.goto(url)
    page.wait_for_function("document.documentElement.getAttribute('data-live') === 'live'",
                           timeout=TIMEOUT * 1000)
    page.evaluate("window.__marker = 42")


def _requests(page: Page) -> list[str]:
    """The paths the page requests from now on (recorded as they are made)."""
    paths: list[str] = []
    page.on("request", lambda r: paths.append(urlsplit(r.url).path))
    return paths


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
    requests = _requests(page)
    _open(page, url + "jobs")
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
    assert not [p for p in requests if p.endswith("/events")], requests  # no polling


def test_the_log_tails_while_the_run_runs(live_server: Callable[[Any], str],
                                          page: Page) -> None:
    app = make_app()
    url = live_server(app)
    run_id = app.jobs.enqueue("count_up", {"steps": 6, "pause": 0.5})
    requests = _requests(page)
    _open(page, url + f"jobs/runs/{run_id}")
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
    assert not [p for p in requests if p.endswith("/events")], requests  # no polling


def test_run_now_filters_and_errors(live_server: Callable[[Any], str], page: Page) -> None:
    app = make_app()
    url = live_server(app)
    done = app.jobs.enqueue("count_up", {"steps": 1, "pause": 0})
    app.jobs.wait(done, timeout=TIMEOUT)
    _open(page, url + "jobs")

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


# What a reader sees (lines of text, and controls) lies inside the page's column and inside
# its table cell; no box scrolls or clips sideways; the page does not scroll sideways.
OVERFLOWS = """() => {
  const problems = [];
  const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
    (typeof el.className === "string" && el.className.trim()
      ? "." + el.className.trim().split(/\\s+/).join(".") : "");
  const root = document.documentElement;
  if (root.scrollWidth > root.clientWidth + 1)
    problems.push(`the page scrolls sideways: ${root.scrollWidth} > ${root.clientWidth}`);
  const main = document.querySelector("main");
  const column = main.getBoundingClientRect();
  const inside = (what, el, rect) => {
    if (!rect.width) return;
    if (rect.left < column.left - 1 || rect.right > column.right + 1)
      problems.push(`${what} in ${name(el)} sticks out of the page's column: ` +
                    `${rect.left}-${rect.right}, the column ${column.left}-${column.right}`);
    const cell = el.closest("td, th");
    if (cell) {
      const box = cell.getBoundingClientRect();
      if (rect.left < box.left - 1 || rect.right > box.right + 1)
        problems.push(`${what} in ${name(el)} sticks out of its cell: ` +
                      `${rect.left}-${rect.right}, the cell ${box.left}-${box.right}`);
    }
  };
  const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.data.trim() || !node.parentElement.checkVisibility()) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    for (const rect of range.getClientRects())
      inside(`"${node.data.trim().slice(0, 30)}"`, node.parentElement, rect);
  }
  for (const el of main.querySelectorAll("*")) {
    if (!el.checkVisibility()) continue;
    if (el.matches("button, input, select, textarea, progress, img"))
      inside("a control", el, el.getBoundingClientRect());
    if (getComputedStyle(el).overflowX !== "visible" && el.scrollWidth > el.clientWidth + 1)
      problems.push(`${name(el)} scrolls or clips sideways: ${el.scrollWidth} > ${el.clientWidth}`);
  }
  return problems;
}"""


def test_nothing_overflows_at_the_default_window_size_and_a_link_leads_back(
        live_server: Callable[[Any], str], page: Page, tmp_path: Path) -> None:
    app = App("jobs-layout-test", title="Quarterly reports")
    app.jobs.register(LONG_TASK, report_and_wait)
    app.jobs.register(f"{LONG_TASK}_again", fail_long)
    app.jobs.register("greet", greet)
    mount_dashboard(app.jobs, app, "/jobs")

    @app.get("/")
    def home() -> Any:
        return HtmlPage("Reports", P("The app's own page", id="home"))

    url = live_server(app)
    app.jobs.wait(app.jobs.enqueue("greet", {"name": "a_name_" * 12}), TIMEOUT)
    failed = app.jobs.wait(app.jobs.enqueue(f"{LONG_TASK}_again"), TIMEOUT)
    release = tmp_path / "release"
    running = [app.jobs.enqueue(LONG_TASK, {"path": str(release)}) for _ in range(2)]
    try:
        for run_id in running:
            wait = time.monotonic() + TIMEOUT
            while app.jobs.get(run_id).progress_message != LONG_MESSAGE:
                assert time.monotonic() < wait, "the run did not report its progress"
                time.sleep(0.05)
        page.set_viewport_size({"width": 1024, "height": 768})  # the window's first size
        _open(page, url + "jobs")
        expect(page.locator(f"#jobs-run-{running[0]} small")).to_have_text(LONG_MESSAGE)
        expect(page.get_by_role("button", name=f"Run {LONG_TASK}_again again")).to_be_visible()
        assert page.evaluate(OVERFLOWS) == []
        for run_id in (running[0], failed.id):
            page.goto(url + f"jobs/runs/{run_id}")
            expect(page.locator("#jobs-run-state .jobs-status").first).to_be_visible()
            assert page.evaluate(OVERFLOWS) == [], f"run {run_id}"

        back = page.get_by_role("link", name="Quarterly reports")
        expect(back).to_have_attribute("href", "/")
        back.click()
        expect(page.locator("#home")).to_have_text("The app's own page")
    finally:
        release.touch()
    for run_id in running:
        assert app.jobs.wait(run_id, TIMEOUT).status == "completed"


# ---- under a Content-Security-Policy without 'unsafe-eval' ------------------------------------

def talk_slowly(lines: int = 60, pause: float = 0.05) -> int:
    """Writes ``lines`` lines of log, one every ``pause`` seconds, reporting progress."""
    for line in range(1, lines + 1):
        print(f"line {line} of a log long enough to scroll its box")
        progress(line / lines)
        time.sleep(pause)
    return lines


def test_the_log_follows_its_end_without_eval_unless_the_reader_scrolls_up(
        live_server: Callable[[Any], str], page: Page, tmp_path: Path) -> None:
    assert "'unsafe-eval'" in DEFAULT_CSP and "'unsafe-eval'" not in STRICT_CSP
    app = make_app()
    app.jobs.register("talk_slowly", talk_slowly)
    app.jobs.register("report_and_wait", report_and_wait)
    url = live_server(StrictCSP(app))
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text))
    release = tmp_path / "release"
    waiting = app.jobs.enqueue("report_and_wait", {"path": str(release)})
    run_id = app.jobs.enqueue("talk_slowly", {"lines": 60, "pause": 0.05})
    requests = _requests(page)
    try:
        with page.expect_response(lambda r: urlsplit(r.url).path == "/jobs") as answer:
            _open(page, url + "jobs")
        assert answer.value.headers["content-security-policy"] == STRICT_CSP
        bar = f"#jobs-run-{run_id} progress"
        first = _progress_value(page, bar, 0.0)
        _progress_value(page, bar, first)  # it moves

        page.goto(url + f"jobs/runs/{run_id}")
        log = page.locator("#jobs-log")
        expect(log).to_contain_text("line 60 of", timeout=TIMEOUT * 1000)
        # It grew past its box, which kept showing its end.
        at_end = "el => el.scrollHeight > el.clientHeight && " \
                 "el.scrollHeight - el.scrollTop - el.clientHeight < 40"
        assert log.evaluate(at_end), "the log did not follow its end"
    finally:
        release.touch()
    app.jobs.wait(waiting, TIMEOUT)

    # A reader who scrolled up stays where they are while the log grows.
    again = app.jobs.enqueue("talk_slowly", {"lines": 80, "pause": 0.05})
    page.goto(url + f"jobs/runs/{again}")
    log = page.locator("#jobs-log")
    page.wait_for_function(  # it overflows its box (and follows its end)
        """() => { const el = document.getElementById("jobs-log");
                   return el.scrollHeight > el.clientHeight + 100 && el.scrollTop > 0; }""",
        timeout=TIMEOUT * 1000)
    assert "line 80 of" not in (log.text_content() or "")
    log.evaluate("el => { el.scrollTop = 0; }")
    expect(log).to_contain_text("line 80 of", timeout=TIMEOUT * 1000)
    assert log.evaluate("el => el.scrollTop") == 0
    csp = [line for line in console if "Content Security Policy" in line]
    assert csp == [], csp
    assert not [p for p in requests if p.endswith("/events")], requests


def test_without_a_hub_the_pages_poll_their_streams_and_the_log_follows(
        live_server: Callable[[Any], str], page: Page) -> None:
    from appkit import JobsSettings, Sessions
    from appkit.app import App as CoreApp

    app = CoreApp("jobs-browser-polling", extensions=[Sessions(), JobsSettings()])
    app.jobs.register("talk_slowly", talk_slowly)
    mount_dashboard(app.jobs, app, "/jobs")
    url = live_server(StrictCSP(app))
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text))
    run_id = app.jobs.enqueue("talk_slowly", {"lines": 120, "pause": 0.05})

    with page.expect_response(lambda r: urlsplit(r.url).path == "/jobs/events") as stream:
        page.goto(url + "jobs")
    assert stream.value.headers["content-type"].startswith("text/event-stream")
    bar = f"#jobs-run-{run_id} progress"
    _progress_value(page, bar, _progress_value(page, bar, 0.0))  # it moves

    with page.expect_response(
            lambda r: urlsplit(r.url).path == f"/jobs/runs/{run_id}/events"):
        page.goto(url + f"jobs/runs/{run_id}")
    log = page.locator("#jobs-log")
    expect(log).to_contain_text("line 120 of", timeout=TIMEOUT * 1000)
    assert log.evaluate("el => el.scrollHeight > el.clientHeight && "
                        "el.scrollHeight - el.scrollTop - el.clientHeight < 40")
    assert [line for line in console if "Content Security Policy" in line] == []
    app.jobs.wait(run_id, TIMEOUT)
