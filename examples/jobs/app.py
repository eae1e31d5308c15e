"""Background jobs: import a CSV of sales and build a report while the page shows progress.

The tasks run in worker processes of their own, started by the app's scheduler:

- ``import_sales`` reads ``sales.csv`` (beside this file), reports its progress row by row,
  logs the rows it has to skip, writes a report (a CSV of revenue per region and product)
  into the app's data folder and returns a summary;
- ``clean_up`` runs every hour (queued when the app starts): it deletes the runs and
  reports older than a week;
- ``export_to_accounting`` fails (the traceback is kept with the run);
- ``sync_inventory`` takes longer than its 3 s timeout, so it is killed.

The dashboard at ``/jobs`` lists the runs with live progress bars, tails their logs, and can
cancel (asked first in the page's own dialog), run again or start any task. Nothing polls:
each progress report and log line the worker writes is pushed to the open pages through the
app's hub (``app.hub``, the live extension ``appkit.App`` has). The home page is a desktop
tool's, with the UI kit (docs/ui.md): the app shell, cards, a menu of tasks in the tool bar,
the runs' counts as badges in the status bar and the report as a chart. Run it with
``appkit run examples/jobs``.
"""

from __future__ import annotations

import csv
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from starlette.responses import PlainTextResponse

from appkit import App, BadRequest, Redirect
from appkit.html import (
    A,
    Button,
    Form,
    P,
    Table,
    Tbody,
    Td,
    Th,
    Thead,
    Tr,
)
from appkit.jobs import Status, progress
from appkit.ui import (
    Badge,
    BarChart,
    Card,
    Dropdown,
    Grid,
    MenuItem,
    NavItem,
    Shell,
    ToolButton,
    UISettings,
)

SAMPLE = Path(__file__).resolve().parent / "sales.csv"
COLUMNS = ("date", "region", "product", "units", "unit_price")
KEEP = timedelta(days=7)

app = App("jobs-example", title="Sales reports", extensions=[UISettings()])
dashboard = app.jobs.dashboard("/jobs")


def reports_folder() -> Path:
    """Where the reports are written (the app's data folder, never the current one)."""
    folder = app.paths.data / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# ---- tasks: top-level functions, so that a worker process can import them ------------------

@app.task(timeout=300)
def import_sales(path: str | None = None, delay: float = 0.05) -> dict[str, Any]:
    """Read a sales CSV row by row and build a report of the revenue per region and
    product. ``delay`` stands for the real work per row (say, writing it to a database)."""
    source = Path(path) if path else SAMPLE
    with source.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{source.name} has no column {', '.join(missing)}; "
                             f"the columns must be: {', '.join(COLUMNS)}")
        rows = list(reader)
    print(f"Importing {len(rows)} rows from {source.name}")
    by_region: dict[str, Decimal] = defaultdict(Decimal)
    by_product: dict[str, Decimal] = defaultdict(Decimal)
    skipped = 0
    for number, row in enumerate(rows, start=1):
        try:
            revenue = int(row["units"]) * Decimal(row["unit_price"])
        except (ValueError, InvalidOperation):
            skipped += 1
            print(f"Row {number + 1}: skipped, units {row['units']!r} and unit price "
                  f"{row['unit_price']!r} are not numbers", file=sys.stderr)
        else:
            by_region[row["region"]] += revenue
            by_product[row["product"]] += revenue
        progress(number / len(rows), f"{number} of {len(rows)} rows")
        if number % 10 == 0:
            print(f"{number} rows read")
        time.sleep(delay)

    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S-%f")
    report = reports_folder() / f"sales-report-{stamp}.csv"
    with report.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["kind", "name", "revenue"])
        for kind, totals in (("region", by_region), ("product", by_product)):
            for name, total in sorted(totals.items()):
                writer.writerow([kind, name, f"{total:.2f}"])
    print(f"Report written to {report}")
    return {
        "rows": len(rows) - skipped,
        "skipped": skipped,
        "revenue": f"{sum(by_region.values(), Decimal()):.2f}",
        "by_region": {name: f"{total:.2f}" for name, total in sorted(by_region.items())},
        "by_product": {name: f"{total:.2f}" for name, total in sorted(by_product.items())},
        "report": str(report),
    }


@app.task(timeout=60)
def clean_up(keep_days: float = KEEP.days) -> dict[str, int]:
    """Delete the runs (and their logs) and the reports older than ``keep_days``."""
    keep = timedelta(days=keep_days)
    runs = app.jobs.purge(keep)
    cutoff = time.time() - keep.total_seconds()
    reports = 0
    for report in reports_folder().glob("sales-report-*.csv"):
        if report.stat().st_mtime < cutoff:
            report.unlink()
            reports += 1
    print(f"Deleted {runs} old runs and {reports} old reports")
    return {"runs_deleted": runs, "reports_deleted": reports}


@app.task(timeout=10)
def export_to_accounting() -> None:
    """Fails: the accounting system is not reachable (this example never is)."""
    print("Connecting to the accounting system...")
    raise ConnectionRefusedError(
        "accounting.example.com refused the connection: is the VPN on?")


@app.task(timeout=3)
def sync_inventory(seconds: float = 60) -> str:
    """Takes ``seconds``, longer than its 3 s timeout: the scheduler kills it."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        print(f"still syncing ({time.monotonic() - started:.1f} s)")
        time.sleep(0.5)
    return "synced"


DEMOS = {
    "export_to_accounting": "Export to accounting (fails)",
    "sync_inventory": "Sync the inventory (times out)",
}


@app.on_startup
def queue_clean_up() -> None:
    """Keep one hourly clean-up in the queue (the series goes on from run to run)."""
    if not app.jobs.runs("clean_up", ["queued", "running"], limit=1):
        app.jobs.enqueue("clean_up", period=timedelta(hours=1))


# ---- pages ------------------------------------------------------------------------------------

TONES = {Status.QUEUED: "info", Status.RUNNING: "info", Status.COMPLETED: "success",
         Status.FAILED: "danger", Status.TIMEOUT: "danger", Status.CANCELLED: "neutral"}


@app.get("/")
def index():
    latest = app.jobs.runs("import_sales", "completed", limit=1)
    counts = app.jobs.counts()
    return Shell(
        Grid(
            Card(P("Import the sales of May (", A("sales.csv", href=sample), ") and build a "
                   "report of the revenue per region and product. It runs in the background: "
                   "follow it on its page, or on the ", A("jobs dashboard", href=dashboard.index),
                   "."),
                 Form(Button("Import sales.csv and build the report"), hx_post=start_import),
                 title="Sales of May"),
            Card(*[Form(Button(label, cls="secondary outline"), hx_post=start.url(task=task))
                   for task, label in DEMOS.items()],
                 title="More tasks to try",
                 footer=P("A clean-up of old runs and reports runs every hour.")),
            min="20rem",
        ),
        report_summary(latest[0].output, latest[0].id) if latest else Card(
            P("No report yet.", id="report"), title="Latest report"),
        title="Sales reports",
        nav=[NavItem("Reports", index, icon="chart-column"),
             NavItem("Jobs", dashboard.index, icon="list-checks")],
        current=index,
        toolbar=[ToolButton("Import sales.csv", icon="upload", hx_post=start_import),
                 Dropdown("Tasks", *[MenuItem(label, icon="play", hx_post=start.url(task=task))
                                     for task, label in DEMOS.items()])],
        status=[Badge(f"{counts.get(status, 0)} {status.value}", tone=TONES[status])
                for status in Status if counts.get(status)] or ["No runs yet"],
    )


def report_summary(output: dict[str, Any], run_id: int):
    regions = output["by_region"]
    return Grid(
        Card(
            Table(
                Thead(Tr(Th("Region"), Th("Revenue"))),
                Tbody(*[Tr(Td(region), Td(total)) for region, total in regions.items()],
                      Tr(Th("Total"), Th(output["revenue"]))),
            ),
            P(f"{output['rows']} rows imported, {output['skipped']} skipped."),
            title=["Latest report (", A(f"run {run_id}", href=dashboard.run.url(
                run_id=run_id)), ")"],
        ),
        Card(BarChart("revenue-by-region", list(regions),
                      {"Revenue": [float(total) for total in regions.values()]}, height=240),
             title="Revenue by region"),
        min="20rem", id="report",
    )


@app.get("/sample.csv")
def sample():
    return PlainTextResponse(SAMPLE.read_text(encoding="utf-8"))


@app.post("/import")
def start_import():
    return Redirect(dashboard.run.url(run_id=app.jobs.enqueue("import_sales")))


@app.post("/start/{task}")
def start(task: str):
    if task not in DEMOS:
        raise BadRequest(f"{task!r} is not one of the tasks to try: {', '.join(DEMOS)}.")
    return Redirect(dashboard.run.url(run_id=app.jobs.enqueue(task)))
