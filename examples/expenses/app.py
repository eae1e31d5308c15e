"""Expenses: a small desktop tool built with the UI kit (docs/ui.md).

    appkit run examples/expenses            # in its window
    appkit run examples/expenses --browser  # in the system's browser

- **A form** (``NewExpense``, a dataclass): ``form_for`` draws it in an in-page dialog and
  ``Submitted`` checks it; its ``validate()`` says what is wrong, next to each field.
- **A data grid** (``ExpenseGrid``) of the expenses: search, sort, paging, delete with an
  in-page confirmation, CSV export, two filters (category and month) and the total of what
  it shows.
- **A CSV import** that runs as a background job (``@app.task``), shown with the kit's
  ``JobProgress``: its progress, then its result, pushed to the page by the hub. A file
  with a problem (not UTF-8, a column missing, a line too long, an amount that is not a
  number...) is refused with the reason and nothing is imported: the rows are saved in one
  transaction, all or none.
- **Choosing the file**: in the window, "Import CSV…" opens the system's file dialog
  (``app.dialogs.open_file``); in a browser there is no such dialog
  (``WindowUnavailable``), so the page shows a file field that uploads the file instead.
- **A chart by category** and one by month (``appkit.ui.charts``), redrawn when an import
  finishes; the window's menu bar (``app.menu``) and the jobs dashboard at ``/jobs``.

``sample.csv`` (beside this file) is a file to import; ``/sample.csv`` serves it.
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
import io
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from starlette.responses import PlainTextResponse

from appkit import (
    App,
    PayloadTooLarge,
    Redirect,
    Submitted,
    UploadFile,
    WindowUnavailable,
    form_for,
)
from appkit.html import (
    A,
    Button,
    Div,
    Form,
    Input,
    Li,
    Option,
    P,
    Select,
    Small,
    Strong,
    Ul,
    oob,
)
from appkit.jobs import Status, progress
from appkit.live import state
from appkit.ui import (
    BarChart,
    Card,
    Column,
    DataGrid,
    Dialog,
    DialogButton,
    Grid,
    Group,
    Icon,
    JobProgress,
    NavItem,
    PieChart,
    Shell,
    ToolButton,
    UISettings,
)
from appkit.ui.menus import Command, Menu, Separator

HERE = Path(__file__).resolve().parent
SAMPLE = HERE / "sample.csv"
CATEGORIES = ("Food", "Travel", "Office", "Housing", "Other")
COLUMNS = ("date", "category", "amount")      # what a CSV must have; "note" may follow
MAX_BYTES = 2_000_000                         # a bigger file is refused before reading
MAX_LINE = 2_000                              # characters in one line of the file
MAX_NOTE = 200
MAX_AMOUNT = Decimal("1000000")
SHOWN_ERRORS = 10                             # the problems an import lists, at most

app = App("expenses-example", title="Expenses", extensions=[UISettings()])
dashboard = app.jobs.dashboard("/jobs")


# ---- the data ---------------------------------------------------------------------------------

@dataclass
class Expense:
    """A row of the ``expense`` table."""

    id: int | None = None
    day: dt.date | None = None
    category: str = "Other"
    amount: float = 0.0
    note: str = ""


@app.migration(1)
def create_expenses(db):
    db.execute("CREATE TABLE expense (id INTEGER PRIMARY KEY, day TEXT NOT NULL, "
               "category TEXT NOT NULL, amount REAL NOT NULL, note TEXT NOT NULL DEFAULT '')")
    # One index per column the grid sorts or filters by, so a big table stays quick.
    for column in ("day", "category", "amount"):
        db.execute(f"CREATE INDEX expense_{column} ON expense({column})")


expenses = app.table_for(Expense)


# ---- the form: a dataclass, checked by appkit and by its validate() ---------------------------

class Category(enum.Enum):
    FOOD = "Food"
    TRAVEL = "Travel"
    OFFICE = "Office"
    HOUSING = "Housing"
    OTHER = "Other"


@dataclass
class NewExpense:
    day: dt.date
    category: Category
    amount: Decimal
    note: str = field(default="", metadata={"label": "Note (optional)"})

    def validate(self) -> dict[str, str]:
        """What is wrong, by field (empty when all is well)."""
        errors = {}
        if not self.amount.is_finite() or self.amount <= 0:
            errors["amount"] = "Write an amount more than 0, such as 12.50."
        elif self.amount >= MAX_AMOUNT:
            errors["amount"] = f"An expense is less than {MAX_AMOUNT:,}."
        elif self.amount != self.amount.quantize(Decimal("0.01")):
            errors["amount"] = "At most two decimal places (cents)."
        if self.day > dt.date.today():
            errors["day"] = "An expense is not in the future."
        if len(self.note) > MAX_NOTE:
            errors["note"] = f"Keep the note under {MAX_NOTE} characters ({len(self.note)} now)."
        return errors

    def row(self) -> Expense:
        """The table's row for this expense."""
        return Expense(day=self.day, category=self.category.value, amount=float(self.amount),
                       note=self.note.strip())


new_expense_form = form_for(NewExpense)


# ---- the grid: the kit's DataGrid with two filters and a total --------------------------------

class ExpenseGrid(DataGrid):
    table = expenses
    columns = (Column("day", format="date"), "category", Column("amount", format="money"),
               "note")
    searchable = ("note",)
    page_size = 20
    # The filters: state the page sets (from the two selects below); "" shows all.
    category: str = state("", bind=True)
    month: str = state("", bind=True)
    filters = ("category", "month")

    @classmethod
    def filter_where(cls, name: str, value: str) -> tuple[str, list[Any]]:
        if name == "month":                       # "2024-05": the days of that month
            return "substr(day, 1, 7) = ?", [value]
        return super().filter_where(name, value)  # category = ?

    def spent(self) -> float:
        """The total of the rows the grid shows (every page)."""
        where, args = self.where(self.query, self.filter_values())   # what the grid shows
        sql = "SELECT coalesce(sum(amount), 0) FROM expense" + (f" WHERE {where}" if where
                                                                 else "")
        return app.db.execute(sql, args).fetchone()[0]

    def render(self):
        def choice(value: str, chosen: str, label: str = "") -> Any:
            return Option(label or value, value=value, selected=value == chosen)

        months = [r["month"] for r in app.db.query(
            "SELECT DISTINCT substr(day, 1, 7) AS month FROM expense ORDER BY month DESC")]
        filters = Div(
            Select(choice("", self.category, "All categories"),
                   *[choice(c, self.category) for c in CATEGORIES],
                   name="category", aria_label="Category", **self.on("search")),
            Select(choice("", self.month, "All months"),
                   *[choice(m, self.month) for m in months],
                   name="month", aria_label="Month", **self.on("search")),
            P("Total ", Strong(f"{self.spent():,.2f}", id="expenses-total"),
              aria_live="polite"),
            cls="appkit-grid-tools")   # a row of controls, as the grid's own
        return Div(filters, super().render())


# ---- the CSV import: a job, all or nothing ----------------------------------------------------

class Refused(Exception):
    """The file cannot be imported (the message says why)."""


def read_expenses(text: str, delay: float = 0.0) -> tuple[list[Expense], list[str]]:
    """The rows of a CSV text, and the problems found; reports its progress."""
    lines = max(1, text.count("\n"))
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [name.strip().lower() for name in reader.fieldnames or []]
    except csv.Error as exc:
        raise Refused(f"Line 1 is not CSV: {exc}.") from None
    if not header:
        raise Refused("The file is empty: its first line names the columns "
                      f"({', '.join(COLUMNS)}, note).")
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise Refused(f"The file has no column {', '.join(missing)}: its first line must "
                      f"name the columns {', '.join(COLUMNS)} (and note, if you like); it "
                      f"names {', '.join(header)[:200]}.")
    reader.fieldnames = header
    rows: list[Expense] = []
    errors: list[str] = []
    while True:
        started = reader.line_num + 1
        try:
            raw = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:                  # a quote never closed...
            errors.append(f"Line {started}: {exc}.")
            break
        line = reader.line_num
        progress(min(line / lines, 1.0), f"line {line:,} of {lines:,}")
        time.sleep(delay)
        if None in raw:
            errors.append(f"Line {line} has more values than the first line has columns.")
            continue
        try:
            rows.append(parse_row(raw))
        except Refused as exc:
            errors.append(f"Line {line}: {exc}")
    if not rows and not errors:
        errors.append("The file has no expenses, only its first line.")
    return rows, errors


def parse_row(raw: dict[str, str | None]) -> Expense:
    """One line of the file as an expense, checked as the form checks one."""
    def value(name: str) -> str:
        return (raw.get(name) or "").strip()

    try:
        day = dt.date.fromisoformat(value("date"))
    except ValueError:
        raise Refused(f"the date {value('date')[:40]!r} is not a date such as 2024-05-31"
                      ) from None
    category = next((c for c in Category if c.value.lower() == value("category").lower()),
                    None)
    if category is None:
        raise Refused(f"the category {value('category')[:40]!r} is not one of "
                      f"{', '.join(CATEGORIES)}")
    try:
        amount = Decimal(value("amount"))
    except InvalidOperation:
        raise Refused(f"the amount {value('amount')[:40]!r} is not a number such as 12.50"
                      ) from None
    expense = NewExpense(day=day, category=category, amount=amount, note=value("note"))
    problems = expense.validate()
    if problems:
        raise Refused(" ".join(f"{name}: {message}" for name, message in problems.items()))
    return expense.row()


def decode(data: bytes, name: str) -> str:
    """The file's text: UTF-8 (with or without its mark), lines of at most ``MAX_LINE``."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise Refused(f"{name} is not UTF-8 text (byte 0x{data[exc.start]:02x} on line "
                      f"{line}): save it again as \"CSV UTF-8\".") from None
    for number, line_text in enumerate(text.splitlines(), start=1):
        if len(line_text) > MAX_LINE:
            raise Refused(f"Line {number} of {name} is {len(line_text):,} characters long; "
                          f"a line holds at most {MAX_LINE:,}.")
    return text


def uploads() -> Path:
    """Where uploaded files wait for their import (the app's data folder)."""
    folder = app.paths.data / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@app.task(timeout=300)
def import_expenses(path: str, name: str = "", delay: float = 0.02) -> dict[str, Any]:
    """Import the expenses of the CSV file at ``path``: all of them, or none with the
    reasons. An uploaded file is deleted afterwards (the user's own files never are);
    ``delay`` stands for slower work per row, to watch the progress."""
    source = Path(path)
    name = name or source.name
    try:
        size = source.stat().st_size
        if size > MAX_BYTES:
            raise Refused(f"{name} is {size:,} bytes; an import takes at most {MAX_BYTES:,}.")
        rows, errors = read_expenses(decode(source.read_bytes(), name), delay)
    except Refused as exc:
        rows, errors = [], [str(exc)]
    except OSError as exc:
        rows, errors = [], [f"{name} cannot be read: {exc.strerror or exc}."]
    finally:
        if source.resolve().parent == uploads().resolve():
            source.unlink(missing_ok=True)
    if errors:
        more = len(errors) - SHOWN_ERRORS
        shown = errors[:SHOWN_ERRORS] + ([f"... and {more:,} more."] if more > 0 else [])
        return {"name": name, "imported": 0, "errors": shown}
    print(f"Importing {len(rows)} expenses from {name}")
    with app.db.transaction():                  # all of them, or none
        for row in rows:
            expenses.insert(row)
    return {"name": name, "imported": len(rows), "errors": []}


def import_status(run: Any = None) -> Any:
    """What the page shows of the latest import (``run``): the kit's ``JobProgress``, kept
    current by the hub while the run goes on (on the "imports" topic every page of the
    app follows), then what it did."""
    if run is None:
        return Div(P("Import expenses from a CSV file with the columns ",
                     ", ".join(COLUMNS), " and note (", A("a sample", href=sample), ")."),
                   id="import-status", role="status")
    return JobProgress(app, run.id, label=f"Importing {run.inputs.get('name', '')}",
                       finished=import_result, id="import-status", topic="imports")


def import_result(run: Any) -> Any:
    """What a finished import did (or why it did nothing)."""
    if run.status == Status.COMPLETED and run.output["errors"]:
        return [P(Icon("circle-alert"), " ", Strong("Nothing imported"), " from ",
                  run.output["name"], ":"),
                Ul(*[Li(error) for error in run.output["errors"]])]
    if run.status == Status.COMPLETED:
        return P(Icon("circle-check"), f" Imported {run.output['imported']:,} expenses from "
                 f"{run.output['name']}. ", A("Show them", href=index))
    return P(Icon("circle-alert"), f" The import of {run.inputs.get('name', '')} "
             f"{run.status.value}: nothing was imported (",
             A("details", href=dashboard.run.url(run_id=run.id)), ").")


def latest_import() -> Any:
    runs = app.jobs.runs("import_expenses", limit=1)
    return runs[0] if runs else None


@app.jobs.on_change
def redraw_charts(run_id: int) -> None:
    """An import that saved rows has the charts drawn again, on every page showing them
    (after its widget said so: the kit's own listener comes first)."""
    run = app.jobs.get(run_id)
    if run.task == "import_expenses" and run.status == Status.COMPLETED and (
            run.output["imported"]):
        app.hub.publish("imports", category_pie(), month_bars())


def upload_form() -> Any:
    """The browser's way to choose a file: a file field, posted with htmx."""
    return Div(
        Form(Group(Input(type="file", name="file", accept=".csv,text/csv", required=True,
                         aria_label="CSV file"),
                   Button(Icon("upload"), " Import")),
             hx_post=upload_file, hx_target="#import-status", hx_swap="outerHTML"),
        Small("Choose a CSV file of at most ", f"{MAX_BYTES:,}", " bytes."),
        id="import-status")


# ---- pages ------------------------------------------------------------------------------------

def layout(current: Any, *content: Any, toolbar: tuple[Any, ...] = ()) -> Any:
    """Every page in the same shell; ``current`` marks its sidebar entry."""
    count = expenses.count()
    return Shell(
        *content,
        title="Expenses",
        nav=[NavItem("Expenses", index, icon="receipt"),
             NavItem("By category", by_category, icon="chart-pie"),
             NavItem("Jobs", dashboard.index, icon="list-checks")],
        current=current,
        toolbar=list(toolbar),
        status=[f"{count:,} expenses"],
    )


@app.get("/")
def index():
    subscribed = app.hub.subscribe("imports")       # before reading what the page shows
    return layout(
        index.url(),
        subscribed,
        Card(import_status(latest_import()), title="Import"),
        ExpenseGrid.mount(),
        Dialog("New expense", new_expense_form.render(submit="Add", action=add_expense),
               id="new-expense"),
        toolbar=(DialogButton("New expense", dialog="new-expense", icon="plus"),
                 ToolButton("Import CSV…", icon="upload", hx_post=choose_file,
                            hx_swap="none")),
    )


@app.post("/expenses")
def add_expense(form: Submitted[NewExpense]):
    if not form.accepted:
        return form.render(submit="Add", action=add_expense)   # 422, errors by the fields
    expenses.insert(form.value.row())
    return Redirect(index)                                     # the page again, with it


@app.post("/import")
async def choose_file():
    """Ask for the file with the system's dialog; without a window, show the upload."""
    try:
        path = await app.dialogs.open_file(file_types=["CSV files (*.csv)"])
    except WindowUnavailable:
        return oob(upload_form())
    if path is None:                                            # cancelled
        return oob(import_status(latest_import()))
    run_id = app.jobs.enqueue("import_expenses", {"path": str(path), "name": path.name})
    return oob(import_status(app.jobs.get(run_id)))


@app.post("/import/upload")
async def upload_file(file: UploadFile):
    data = await file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise PayloadTooLarge(f"{file.filename} is more than {MAX_BYTES:,} bytes; an import "
                              "takes at most that.")
    saved = uploads() / f"{uuid.uuid4().hex}.csv"
    saved.write_bytes(data)
    run_id = app.jobs.enqueue("import_expenses", {"path": str(saved), "name": file.filename})
    return import_status(app.jobs.get(run_id))


def category_pie() -> Any:
    totals = {r["category"]: r["total"] for r in app.db.query(
        "SELECT category, round(sum(amount), 2) AS total FROM expense GROUP BY category "
        "ORDER BY total DESC")}
    if not totals:
        return P("No expenses yet.", id="by-category")
    return PieChart("by-category", totals)


def month_bars() -> Any:
    months = list(app.db.query(
        "SELECT substr(day, 1, 7) AS month, round(sum(amount), 2) AS total FROM expense "
        "GROUP BY month ORDER BY month"))
    return BarChart("by-month", [m["month"] for m in months],
                    {"Spent": [m["total"] for m in months]}, height=260)


@app.get("/by-category")
def by_category():
    subscribed = app.hub.subscribe("imports")
    return layout(by_category.url(), subscribed,
                  Grid(Card(category_pie(), title="By category"),
                       Card(month_bars(), title="By month"), min="22rem"))


@app.get("/sample.csv")
def sample():
    return PlainTextResponse(SAMPLE.read_text(encoding="utf-8"), media_type="text/csv")


app.menu(
    Menu("File",
         Command("Import CSV…", post=choose_file, shortcut="Ctrl+O"),
         Separator(),
         Command("Jobs", navigate="/jobs")),
    Menu("View",
         Command("Expenses", navigate=index),
         Command("By category", navigate=by_category)),
)
