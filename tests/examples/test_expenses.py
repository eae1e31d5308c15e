"""examples/expenses: the form and its checks, the grid's filters and total, the CSV import
job end to end (all or nothing, hostile files refused with the reason), the file chosen with
the native dialog or uploaded, and the import's progress pushed through the hub."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import re
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from appkit import App
from appkit.html import Li, render
from appkit.jobs import Status
from appkit.loader import load_app
from appkit.testing import Client
from tests.appkit.jobs.live_page import LivePage
from tests.appkit.live.pages import component_token

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "expenses"
TIMEOUT = 30.0


@pytest.fixture
def example_app() -> Iterator[App]:
    """The example as ``appkit run examples/expenses`` loads it (afresh for each test: its
    database follows the test's own per-user folders)."""
    app = load_app(str(EXAMPLE))
    assert isinstance(app, App)
    yield app
    for name, module in list(sys.modules.items()):
        if getattr(module, "__file__", None) == str(EXAMPLE / "app.py"):
            del sys.modules[name]
    if str(EXAMPLE) in sys.path:
        sys.path.remove(str(EXAMPLE))


@pytest.fixture
def example(example_app: App) -> ModuleType:
    return next(m for m in list(sys.modules.values())
                if getattr(m, "__file__", None) == str(EXAMPLE / "app.py"))


@pytest.fixture
def client(example_app: App) -> Iterator[Client]:
    with Client(example_app) as client:
        yield client


def sample_rows() -> list[dict[str, str]]:
    with (EXAMPLE / "sample.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def amounts(example: ModuleType) -> list[float]:
    return [e.amount for e in example.expenses.find(order_by="id")]


def add(client: Client, **fields: str) -> Any:
    return client.post("/expenses", data=fields, hx=True)


def grid_event(client: Client, token: str, **data: str) -> str:
    answer = client.post("/_appkit-component", data={"_c": token, **data}, hx=True)
    assert answer.status_code == 200, answer.text
    return str(answer.text)


def shown(html: str) -> tuple[str, str]:
    """(the grid's count line, the total shown above it)."""
    count = re.search(r'-count"[^>]*>([^<]*)</p>', html)
    total = re.search(r'<strong id="expenses-total">([^<]*)</strong>', html)
    assert count and total, html[:3000]
    return count.group(1), total.group(1)


def upload(client: Client, name: str, data: bytes) -> Any:
    return client.post("/import/upload", files={"file": (name, data, "text/csv")}, hx=True)


def import_bytes(example_app: App, client: Client, data: bytes, name: str = "in.csv") -> Any:
    """Upload ``data`` and wait for its import run; the finished run."""
    answer = upload(client, name, data)
    assert answer.status_code == 200, answer.text
    assert answer.text.startswith('<div id="import-status" role="status">')
    run = example_app.jobs.runs("import_expenses", limit=1)[0]
    return example_app.jobs.wait(run.id, timeout=TIMEOUT)


# ---- the page ---------------------------------------------------------------------------------


def test_the_pages_are_in_the_shell(client: Client) -> None:
    page = client.get("/").text
    assert "<title>Expenses</title>" in page and 'class="appkit-shell-bar"' in page
    assert 'aria-current="page"' in page and 'data-component="ExpenseGrid"' in page
    assert 'data-live-topic="imports"' in page
    assert 'data-appkit-open="new-expense"' in page and '<dialog id="new-expense"' in page
    assert "Import expenses from a CSV file" in page and "0 expenses" in page
    charts = client.get("/by-category").text
    assert "No expenses yet." in charts and 'id="by-month"' in charts
    assert client.get("/sample.csv").text.startswith("date,category,amount,note\n")


# ---- the form -----------------------------------------------------------------------------------


def test_a_valid_expense_is_added_and_the_page_shown_again(example: ModuleType,
                                                            client: Client) -> None:
    answer = add(client, day="2024-05-03", category="Travel", amount="12.5",
                 note="  Bus  ")
    assert answer.status_code == 200 and answer.headers["HX-Redirect"] == "/"
    [saved] = example.expenses.find()
    assert (saved.day, saved.category, saved.amount, saved.note) == (
        dt.date(2024, 5, 3), "Travel", 12.5, "Bus")
    page = client.get("/").text
    assert "<td>Bus</td>" in page and shown(page) == ("1–1 of 1", "12.50")


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"amount": "-3"}, "amount", "Write an amount more than 0, such as 12.50."),
    ({"amount": "0"}, "amount", "Write an amount more than 0, such as 12.50."),
    ({"amount": "NaN"}, "amount", "Write an amount more than 0, such as 12.50."),
    ({"amount": "Infinity"}, "amount", "Write an amount more than 0, such as 12.50."),
    ({"amount": "0.001"}, "amount", "At most two decimal places (cents)."),
    ({"amount": "1000000"}, "amount", "An expense is less than 1,000,000."),
    ({"amount": "ten"}, "amount", ""),
    ({"day": "2999-01-01"}, "day", "An expense is not in the future."),
    ({"day": "31/05/2024"}, "day", ""),
    ({"category": "Bribes"}, "category", ""),
    ({"note": "n" * 201}, "note", "Keep the note under 200 characters (201 now)."),
], ids=["negative", "zero", "nan", "infinity", "cents", "huge", "text", "future",
        "not-iso", "category", "long-note"])
def test_a_wrong_field_is_shown_by_it_and_nothing_is_saved(
        example: ModuleType, client: Client, fields: dict[str, str], field: str,
        message: str) -> None:
    sent = {"day": "2024-05-03", "category": "Food", "amount": "4.20", **fields}
    answer = add(client, **sent)
    assert answer.status_code == 422
    error = re.search(rf'<small id="{field}-error" class="error" role="alert">([^<]+)</small>',
                      answer.text)
    assert error, answer.text
    assert message in error.group(1)
    assert answer.text.count('class="error"') == 1          # only that field
    assert amounts(example) == []


# ---- the grid: filters and totals ----------------------------------------------------------------


def test_the_filters_narrow_the_rows_and_the_total(example: ModuleType, client: Client) -> None:
    for day, category, amount in [("2024-04-30", "Food", "10.10"), ("2024-05-01", "Food", "20"),
                                  ("2024-05-02", "Travel", "300.05"),
                                  ("2024-06-01", "Food", "1.25")]:
        assert add(client, day=day, category=category, amount=amount).status_code == 200
    page = client.get("/").text
    assert shown(page) == ("1–4 of 4", "331.40")
    assert re.findall(r'<option value="(2024-\d\d)"', page) == ["2024-06", "2024-05", "2024-04"]
    token = component_token(page, "ExpenseGrid")
    food = grid_event(client, token, _h="search", category="Food")
    assert shown(food) == ("1–3 of 3", "31.35")
    assert '<option value="Food" selected>Food</option>' in food
    may = grid_event(client, token, _h="search", month="2024-05")    # and still Food
    assert shown(may) == ("1–1 of 1", "20.00")
    export = client.get(re.search(r'href="(/_appkit-grid/ExpenseGrid\.csv[^"]*)"',
                                  may).group(1).replace("&amp;", "&"))   # type: ignore[union-attr]
    assert export.text.splitlines() == ["Day,Category,Amount,Note", "2024-05-01,Food,20.00,"]
    everything = grid_event(client, token, _h="search", month="", category="")
    assert shown(everything) == ("1–4 of 4", "331.40")
    nothing = grid_event(client, token, _h="search", category="Housing")
    assert shown(nothing) == ("0–0 of 0", "0.00")


def test_the_total_counts_every_page_not_only_the_first(example: ModuleType,
                                                        client: Client) -> None:
    for n in range(45):      # more than two pages of 20
        example.expenses.insert(example.Expense(day=dt.date(2024, 5, 1), category="Office",
                                                amount=1.1, note=f"n{n}"))
    page = client.get("/").text
    assert shown(page) == ("1–20 of 45", "49.50")


# ---- the CSV import: end to end -----------------------------------------------------------------


def test_the_sample_is_imported_by_a_job_and_shown(example_app: App, example: ModuleType,
                                                   client: Client) -> None:
    run = import_bytes(example_app, client, (EXAMPLE / "sample.csv").read_bytes(),
                       "sample.csv")
    assert run.status == Status.COMPLETED, run.error
    rows = sample_rows()
    assert run.output == {"name": "sample.csv", "imported": len(rows), "errors": []}
    assert run.progress == 1.0
    assert amounts(example) == [float(r["amount"]) for r in rows]
    total = sum((Decimal(r["amount"]) for r in rows), Decimal())
    page = client.get("/").text
    assert f"Imported {len(rows)} expenses from sample.csv." in page
    assert shown(page) == (f"1–20 of {len(rows)}", f"{total:,.2f}")
    food = sum((Decimal(r["amount"]) for r in rows if r["category"] == "Food"), Decimal())
    charts = client.get("/by-category").text
    assert f"{food:,.2f}" in charts or f"{food:.2f}" in charts
    assert not list((example_app.paths.data / "uploads").iterdir())   # the upload is gone


GOOD = b"date,category,amount,note\n2024-05-01,Food,3.50,Bread\n"
LONG = 10_000


@pytest.mark.parametrize(("data", "expected"), [
    ("date,category,amount\n2024-05-01,Café,3\n".encode("latin-1"),
     "in.csv is not UTF-8 text (byte 0xe9 on line 2): save it again as \"CSV UTF-8\"."),
    (b"date,amount,note\n2024-05-01,3,x\n",
     "The file has no column category: its first line must name the columns date, "
     "category, amount (and note, if you like); it names date, amount, note."),
    (b"", "The file is empty: its first line names the columns (date, category, amount, "
          "note)."),
    (b"date,category,amount,note\n", "The file has no expenses, only its first line."),
    (GOOD + b"2024-05-02,Food,1," + b"x" * LONG + b"\n",
     f"Line 3 of in.csv is {LONG + 18:,} characters long; a line holds at most 2,000."),
    (GOOD + b"2024-05-02,Food,1\x00,x\n",
     "Line 3: the amount '1\\x00' is not a number such as 12.50"),
    (GOOD + b'2024-05-02,Food,1,"never closed\n', "Line 3: unexpected end of data."),
    (GOOD + b"2024-05-02,Food,1,x,extra\n",
     "Line 3 has more values than the first line has columns."),
    (GOOD + b"2024-13-02,Food,1,x\n",
     "Line 3: the date '2024-13-02' is not a date such as 2024-05-31"),
    (GOOD + b"2024-05-02,Bribes,1,x\n",
     "Line 3: the category 'Bribes' is not one of Food, Travel, Office, Housing, Other"),
    (GOOD + b"2024-05-02,Food,=1+1,x\n",
     "Line 3: the amount '=1+1' is not a number such as 12.50"),
    (GOOD + b"2024-05-02,Food,-4,x\n",
     "Line 3: amount: Write an amount more than 0, such as 12.50."),
    (GOOD + b"2024-05-02,Food\n", "Line 3: the amount '' is not a number such as 12.50"),
], ids=["latin-1", "missing-column", "empty", "header-only", "huge-line", "nul",
        "open-quote", "extra-value", "bad-date", "bad-category", "formula", "negative",
        "short-line"])
def test_a_hostile_file_is_refused_with_the_reason_and_nothing_imported(
        example_app: App, example: ModuleType, client: Client, data: bytes,
        expected: str) -> None:
    example.expenses.insert(example.Expense(day=dt.date(2024, 1, 1), amount=7.0))
    run = import_bytes(example_app, client, data)
    assert run.status == Status.COMPLETED, run.error
    assert run.output["imported"] == 0
    assert run.output["errors"] == [expected]
    assert amounts(example) == [7.0]                # nothing half-imported
    page = client.get("/").text
    assert "<strong>Nothing imported</strong> from in.csv:" in page
    assert render(Li(expected)) in page


def test_many_bad_lines_are_listed_up_to_ten(example_app: App, example: ModuleType,
                                             client: Client) -> None:
    data = GOOD + b"".join(b"2024-05-02,Food,x%d,\n" % n for n in range(25))
    run = import_bytes(example_app, client, data)
    errors = run.output["errors"]
    assert len(errors) == 11 and errors[0].startswith("Line 3: the amount 'x0'")
    assert errors[-1] == "... and 15 more."
    assert amounts(example) == []


def test_a_file_too_big_is_refused_before_any_job(example_app: App, example: ModuleType,
                                                  client: Client) -> None:
    big = GOOD + b"2024-05-02,Food,1,x\n" * (example.MAX_BYTES // 20)
    answer = upload(client, "big.csv", big)
    assert answer.status_code == 413
    assert f"big.csv is more than {example.MAX_BYTES:,} bytes" in answer.text
    assert example_app.jobs.runs("import_expenses") == []


def test_a_file_chosen_with_the_dialog_too_big_is_refused_by_the_job(
        example_app: App, example: ModuleType, client: Client, tmp_path: Path) -> None:
    big = tmp_path / "big.csv"
    big.write_bytes(GOOD + b"2024-05-02,Food,1,x\n" * (example.MAX_BYTES // 20))
    run_id = example_app.jobs.enqueue("import_expenses", {"path": str(big)})
    run = example_app.jobs.wait(run_id, timeout=TIMEOUT)
    assert run.output["errors"] == [f"big.csv is {big.stat().st_size:,} bytes; an import "
                                    f"takes at most {example.MAX_BYTES:,}."]
    missing = example_app.jobs.wait(example_app.jobs.enqueue(
        "import_expenses", {"path": str(tmp_path / "gone.csv")}), timeout=TIMEOUT)
    assert missing.output["errors"] == ["gone.csv cannot be read: No such file or directory."]
    assert big.exists() and amounts(example) == []


def test_an_upload_without_a_file_is_a_400(client: Client) -> None:
    answer = client.post("/import/upload", files={"file": ("", b"", "text/csv")}, hx=True)
    assert answer.status_code == 400 and "Missing required field: file" in answer.text


# ---- choosing the file: the native dialog, or the upload in a browser ----------------------------


def test_without_a_window_the_import_offers_the_upload(client: Client) -> None:
    answer = client.post("/import", hx=True)
    assert answer.status_code == 200
    assert answer.text.startswith('<div id="import-status" hx-swap-oob="true">')
    assert 'hx-post="/import/upload"' in answer.text and 'type="file"' in answer.text
    assert 'enctype="multipart/form-data"' in answer.text


class ChosenFile:
    """The window's native features, as the shell gives them to the app, answering the
    file dialog with ``path`` (None: cancelled)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.asked: list[dict[str, Any]] = []

    def open_file(self, **options: Any) -> list[str] | None:
        self.asked.append(options)
        return [str(self.path)] if self.path else None


def test_in_the_window_the_file_dialog_chooses_the_file(example_app: App, example: ModuleType,
                                                        client: Client, tmp_path: Path) -> None:
    chosen = tmp_path / "may.csv"
    chosen.write_bytes(GOOD)
    window = ChosenFile(chosen)
    example_app.attach_native(window)
    answer = client.post("/import", hx=True)
    assert window.asked == [{"directory": "", "multiple": False,
                             "file_types": ["CSV files (*.csv)"]}]
    assert answer.text.startswith('<div id="import-status" role="status" hx-swap-oob="true">')
    assert "Importing may.csv" in answer.text
    run = example_app.jobs.runs("import_expenses", limit=1)[0]
    assert example_app.jobs.wait(run.id, timeout=TIMEOUT).output["imported"] == 1
    assert chosen.exists()                          # the user's file stays where it was
    example_app.attach_native(ChosenFile(None))     # cancelled: no run
    again = client.post("/import", hx=True)
    assert "Imported 1 expenses from may.csv." in again.text
    assert len(example_app.jobs.runs("import_expenses")) == 1


# ---- the progress, through the hub --------------------------------------------------------------


def test_the_page_follows_the_import_through_the_hub(example_app: App,
                                                     client: Client) -> None:
    with contextlib.ExitStack() as sockets:
        page = LivePage(client, sockets, "/")
        assert "imports" in page.topics
        answer = upload(client, "sample.csv", (EXAMPLE / "sample.csv").read_bytes())
        assert answer.status_code == 200
        states: list[str] = []

        def import_status(op: dict[str, str]) -> bool:
            if op.get("target") != "import-status" and 'id="import-status"' not in op["html"]:
                return False
            states.append("progress" if "<progress" in op["html"] else op["html"])
            return "Imported 60 expenses from sample.csv." in op["html"]

        page.until(import_status)
        # Then the charts, redrawn for the pages that show them (the chart page).
        charts: dict[str, str] = {}

        def chart(op: dict[str, str]) -> bool:
            if op.get("target") in ("by-category", "by-month"):
                charts[op["target"]] = op["html"]
            return len(charts) == 2

        page.until(chart)
        page.close()
    assert states[0] == "progress" and states.count("progress") >= 2, states
    food = sum((Decimal(r["amount"]) for r in sample_rows() if r["category"] == "Food"),
               Decimal())
    assert f"Food: {food:,.2f}" in charts["by-category"], charts["by-category"][:2000]
    assert "2024-05" in charts["by-month"]
