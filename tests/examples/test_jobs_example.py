"""examples/jobs: the CSV import builds its report with progress, the failing task fails with
its traceback, the slow one is killed at its timeout, the clean-up repeats; the home page and
the dashboard, whose progress comes through the hub."""

from __future__ import annotations

import contextlib
import csv
import re
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from appkit import App
from appkit.jobs import Status
from appkit.loader import load_app
from appkit.testing import Client
from tests.appkit.jobs.live_page import LivePage

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "jobs"
TIMEOUT = 30.0


@pytest.fixture
def example_app() -> Iterator[App]:
    """The example as ``appkit run examples/jobs`` loads it (afresh for each test: its
    folders follow the test's own per-user folders)."""
    app = load_app(str(EXAMPLE))
    assert isinstance(app, App)
    yield app
    for name, module in list(sys.modules.items()):
        if getattr(module, "__file__", None) == str(EXAMPLE / "app.py"):
            del sys.modules[name]
    if str(EXAMPLE) in sys.path:
        sys.path.remove(str(EXAMPLE))


@pytest.fixture
def client(example_app: App) -> Iterator[Client]:
    with Client(example_app) as client:  # starts the scheduler, as the app's start does
        yield client


def expected_report() -> tuple[int, int, Decimal, dict[str, Decimal]]:
    """Rows, skipped rows, revenue and revenue per region of the sample, worked out here."""
    rows = skipped = 0
    by_region: dict[str, Decimal] = {}
    with (EXAMPLE / "sales.csv").open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if not row["units"].isdigit():
                skipped += 1
                continue
            rows += 1
            revenue = int(row["units"]) * Decimal(row["unit_price"])
            by_region[row["region"]] = by_region.get(row["region"], Decimal()) + revenue
    return rows, skipped, sum(by_region.values(), Decimal()), by_region


def test_the_home_page_offers_the_import_and_links_to_the_dashboard(client: Client) -> None:
    page = client.get("/").text
    assert "<title>Sales reports</title>" in page
    assert '<a href="/jobs">jobs dashboard</a>' in page
    assert '<form hx-post="/import"><button>Import sales.csv and build the report</button>' in page
    assert '<p id="report">No report yet.</p>' in page
    dashboard = client.get("/jobs").text
    for task in ("import_sales", "clean_up", "export_to_accounting", "sync_inventory"):
        assert f'hx-post="/jobs/tasks/{task}/run"' in dashboard


def test_the_import_builds_the_report_with_progress(example_app: App, client: Client) -> None:
    answer = client.post("/import", hx=True)

    assert answer.status_code == 200
    location = answer.headers["HX-Redirect"]
    assert location.startswith("/jobs/runs/")
    run = example_app.jobs.wait(int(location.rsplit("/", 1)[1]), timeout=TIMEOUT)

    assert run.status == Status.COMPLETED, run.error
    rows, skipped, revenue, by_region = expected_report()
    assert skipped == 1
    output = run.output
    assert output["rows"] == rows and output["skipped"] == skipped
    assert Decimal(output["revenue"]) == revenue
    assert {name: Decimal(total) for name, total in output["by_region"].items()} == by_region
    assert (run.progress, run.progress_message) == (1.0, f"{rows + skipped} of "
                                                         f"{rows + skipped} rows")
    assert f"Importing {rows + skipped} rows from sales.csv" in (run.log or "")
    assert "skipped, units 'n/a'" in (run.log or "")
    # The report is a file in the app's data folder.
    report = Path(output["report"])
    assert report.parent == example_app.paths.data / "reports"
    lines = report.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "kind,name,revenue"
    assert f"region,North,{by_region['North']:.2f}" in lines
    # The home page shows it.
    page = client.get("/").text
    assert f'<a href="/jobs/runs/{run.id}">run {run.id}</a>' in page
    assert f"<th>Total</th><th>{revenue:.2f}</th>" in page
    assert f"{rows} rows imported, 1 skipped." in page


def test_the_export_fails_with_its_traceback(example_app: App, client: Client) -> None:
    answer = client.post("/start/export_to_accounting", follow_redirects=False)
    assert answer.status_code == 303
    run = example_app.jobs.wait(int(answer.headers["Location"].rsplit("/", 1)[1]),
                                timeout=TIMEOUT)

    assert run.status == Status.FAILED
    assert run.error is not None
    assert run.error.startswith("Traceback (most recent call last):")
    assert "in export_to_accounting" in run.error
    assert run.error.endswith("ConnectionRefusedError: accounting.example.com refused the "
                              "connection: is the VPN on?")
    assert run.log == "Connecting to the accounting system...\n"
    page = client.get(f"/jobs/runs/{run.id}").text
    assert '<pre id="jobs-error" class="jobs-error">Traceback' in page


def test_the_inventory_sync_is_killed_at_its_timeout(example_app: App, client: Client) -> None:
    run_id = example_app.jobs.enqueue("sync_inventory")
    run = example_app.jobs.wait(run_id, timeout=TIMEOUT)

    assert run.status == Status.TIMEOUT
    assert run.timeout == 3.0
    assert run.error is not None and run.error.startswith("Timed out after 3 s")
    assert run.duration is not None and run.duration.total_seconds() >= 2.9
    assert "still syncing" in (run.log or "")
    assert run.output is None


def test_a_start_button_only_starts_the_demo_tasks(client: Client) -> None:
    answer = client.post("/start/clean_up", headers={"Accept": "application/json"})
    assert answer.status_code == 400
    assert answer.json()["error"] == ("'clean_up' is not one of the tasks to try: "
                                      "export_to_accounting, sync_inventory.")


def test_the_clean_up_repeats_every_hour(example_app: App, client: Client) -> None:
    first = example_app.jobs.runs("clean_up")
    assert len(first) == 1 and first[0].period == 3600  # queued when the app started
    done = example_app.jobs.wait(first[0].id, timeout=TIMEOUT)
    assert done.status == Status.COMPLETED
    assert done.output == {"runs_deleted": 0, "reports_deleted": 0}

    following = example_app.jobs.runs("clean_up", "queued")
    assert len(following) == 1 and following[0].id != done.id
    assert 3590 < (following[0].scheduled_for - done.scheduled_for).total_seconds() < 3610


def test_the_dashboard_shows_the_imports_progress_through_the_hub(
        example_app: App, client: Client) -> None:
    with contextlib.ExitStack() as sockets:
        page = LivePage(client, sockets, "/jobs")
        assert "jobs" in page.topics and "sse-connect" not in page.html
        run_id = example_app.jobs.enqueue("import_sales", {"delay": 0.02})
        values: list[float] = []

        def progress_of_the_import(op: dict[str, str]) -> bool:
            if op["target"] != f"jobs-run-{run_id}":
                return False
            found = re.search(r'<progress value="([\d.]+)"', op["html"])
            if found:
                values.append(float(found.group(1)))
            return 'data-status="completed"' in op["html"]

        page.until(progress_of_the_import)
        page.close()
    assert len(values) >= 3 and values == sorted(values), values  # it moved, forward
    assert values[0] < 1.0 and values[-1] == 1.0


def test_the_home_page_is_a_desktop_tools(example_app: App, client: Client) -> None:
    page = client.get("/").text
    assert 'class="appkit-shell-bar"' in page and "ui.css" in page
    current = re.findall(r'<a href="([^"]+)" aria-current="page">.*?'
                         r'<span class="appkit-nav-label">([^<]+)</span>', page)
    assert current == [("/", "Reports")]
    tools = page.split('class="appkit-shell-tools"', 1)[1].split("</header>", 1)[0]
    assert 'hx-post="/import"' in tools
    assert re.findall(r'role="menuitem"[^>]*hx-post="(/start/[^"]+)"', tools) == [
        "/start/export_to_accounting", "/start/sync_inventory"]
    # The runs' counts, as badges in the status bar: the hourly clean-up is queued.
    status = page.split('class="appkit-shell-status"', 1)[1]
    assert re.search(r'<span class="appkit-badge appkit-badge-info">1 queued</span>', status)

    run = example_app.jobs.wait(example_app.jobs.enqueue("import_sales", {"delay": 0}),
                                timeout=TIMEOUT)
    page = client.get("/").text
    chart = re.search(r'<script type="application/json"[^>]*>(.*?)</script>',
                      page.split('id="revenue-by-region"', 1)[1], re.DOTALL)
    assert chart, page
    assert [str(v) for v in run.output["by_region"]] == ["East", "North", "South", "West"]
    for total in run.output["by_region"].values():
        assert str(float(total)) in chart.group(1)
