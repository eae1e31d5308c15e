"""A picture of each piece of docs/ui.md that had none (cards and groups, a toolbar with
icons, badges and progress bars, a job's progress, a data grid over a table and over a
query), drawn by the kit in a real Chromium, light theme, at 760 px: nothing sticks out of
its box (measured in the page), and each is saved as a PNG for the docs in
$APPKIT_SCREENSHOTS, else test-output/ui-pieces/ (docs/images/ui-piece-*.png are copies)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from appkit import App
from appkit.html import Button, Div, Input, P
from appkit.html import Page as HtmlPage
from appkit.ui import (
    Badge,
    Card,
    Column,
    DataGrid,
    Grid,
    Group,
    Icon,
    JobProgress,
    ProgressBar,
    Query,
    Toolbar,
    ToolButton,
    UISettings,
)
from tests.appkit.ui.test_progress import step_through, wait_for
from tests.e2e.test_ui_browser import OVERFLOWS

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path(os.environ.get("APPKIT_SCREENSHOTS") or ROOT / "test-output" / "ui-pieces")


@dataclass
class Expense:
    id: int | None = None
    day: str = ""
    category: str = ""
    amount: float = 0.0
    note: str = ""


def pieces_app() -> App:
    app = App("ui-pieces", extensions=[UISettings(theme="light")])
    app.jobs.register("step_through", step_through)

    @app.migration(1)
    def create(db: Any) -> None:
        db.execute("CREATE TABLE expense (id INTEGER PRIMARY KEY, day TEXT, category TEXT, "
                   "amount REAL, note TEXT)")
        db.conn.executemany("INSERT INTO expense VALUES (?, ?, ?, ?, ?)", [
            (n, f"2024-05-{n:02d}", ["Food", "Travel", "Office"][n % 3], 12.5 * n + 0.99,
             ["Lunch with the team", "Train to Lyon", "Printer paper", "Taxi"][n % 4])
            for n in range(1, 31)])

    class Expenses(DataGrid):
        table = app.table_for(Expense)
        columns = (Column("day", format="date"), "category",
                   Column("amount", format="money"), "note")
        editable = ("note",)
        page_size = 6

    class ByCategory(DataGrid):
        source = Query(app, "SELECT category AS id, count(*) AS expenses, "
                            "round(sum(amount), 2) AS spent FROM expense "
                            "WHERE day >= ? GROUP BY category", ["2024-05-01"])
        columns = (Column("id", label="Category"), "expenses",
                   Column("spent", format="money"))

    def piece(*content: Any) -> Any:
        return HtmlPage("Piece", Div(*content, id="piece", style="padding: 1rem"),
                        heading=False, cls="container-fluid")

    @app.get("/cards")
    def cards() -> Any:
        return piece(Grid(
            Card(P("1,234.00"), title="Spent in May"),
            Card(P("12 items"), title="To order",
                 footer=Badge("Needs attention", tone="warning")),
            min="14rem"), Group(Input(name="q", placeholder="Search"), Button("Find")))

    @app.get("/toolbar")
    def toolbar() -> Any:
        return piece(
            Toolbar(ToolButton("Add", icon="plus"), ToolButton("Export", icon="download"),
                    ToolButton("Delete", icon="trash", icon_only=True), label="Items"),
            P(*[Icon(name, size="1.6rem") for name in (
                "package", "receipt", "chart-pie", "bell", "settings", "circle-check",
                "circle-alert", "calendar", "user", "search")],
              style="display: flex; gap: 1rem; margin-top: 1rem"))

    @app.get("/badges")
    def badges() -> Any:
        return piece(
            P(*[Badge(tone.capitalize(), tone=tone) for tone in (
                "neutral", "info", "success", "warning", "danger")], Badge(3),
              style="display: flex; gap: .5rem"),
            ProgressBar(0.4, label="Import"),
            ProgressBar(3, max=8, show_value=False, label="Steps"),
            ProgressBar(None, label="Waiting"))

    @app.get("/job/{run_id}")
    def job(run_id: int) -> Any:
        return piece(JobProgress(app, run_id, label="Importing may.csv"))

    @app.get("/grid")
    def grid() -> Any:
        return piece(Expenses.mount())

    @app.get("/query")
    def query() -> Any:
        return piece(ByCategory.mount())

    return app


def shoot(page: Page, name: str) -> None:
    """Measure the piece, then save its picture."""
    assert page.evaluate(OVERFLOWS) == [], name
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"ui-piece-{name}.png"
    page.locator("#piece").screenshot(path=str(path))
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and 2_000 < len(data) < 150_000, len(data)


def test_a_picture_of_each_piece(live_server: Callable[[Any], str], page: Page,
                                 tmp_path: Path) -> None:
    app = pieces_app()
    url = live_server(app)
    page.set_viewport_size({"width": 760, "height": 900})
    page.emulate_media(color_scheme="light")
    for name in ("cards", "toolbar", "badges"):
        page.goto(url + name)
        expect(page.locator("#piece")).to_be_visible()
        assert page.evaluate("document.documentElement.dataset.theme") == "light"
        shoot(page, name)

    run_id = app.jobs.enqueue("step_through", {"folder": str(tmp_path)})
    wait_for(lambda: app.jobs.get(run_id).progress == 0.3, "the first progress")
    (tmp_path / "go").touch()
    wait_for(lambda: app.jobs.get(run_id).progress == 0.6, "the second progress")
    page.goto(f"{url}job/{run_id}")
    expect(page.get_by_role("progressbar")).to_have_attribute("value", "0.6")
    shoot(page, "job")
    (tmp_path / "end").touch()
    expect(page.get_by_role("status")).to_contain_text("Done")

    page.goto(url + "grid")
    page.get_by_role("button", name="Amount").click()
    page.get_by_role("button", name="Amount").click()
    expect(page.get_by_role("button", name="Amount ▼")).to_be_visible()
    page.get_by_role("checkbox", name="Select row 29").check()
    expect(page.get_by_text("1 selected")).to_be_visible()
    shoot(page, "grid")

    page.goto(url + "query")
    expect(page.locator("[id$='-count']")).to_have_text("1–3 of 3")
    page.get_by_role("button", name="Spent").click()
    expect(page.get_by_role("button", name="Spent ▲")).to_be_visible()
    shoot(page, "query")
