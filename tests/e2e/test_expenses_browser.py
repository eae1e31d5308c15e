"""examples/expenses in a real Chromium, as a user in browser mode: add an expense through
the dialog (its errors shown by the fields), filter the grid and see the total follow,
import a CSV through the upload (no native dialog in a browser) with its progress and result
arriving through the hub, delete after the page's own confirmation, see the charts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from appkit import App
from tests.e2e.test_overflow_examples import _folder_example, _open

pytestmark = pytest.mark.browser


@pytest.fixture
def expenses_example() -> Iterator[tuple[App, Any]]:
    yield from _folder_example("expenses")


def test_an_expense_from_the_dialog_to_the_grid_and_its_total(
        live_server: Callable[[Any], str], page: Page,
        expenses_example: tuple[App, Any]) -> None:
    app, _ = expenses_example
    _open(page, live_server(app))
    total = page.locator("#expenses-total")
    expect(total).to_have_text("0.00")
    page.get_by_role("button", name="New expense").click()
    dialog = page.get_by_role("dialog", name="New expense")
    expect(dialog.get_by_label("Day")).to_be_focused()
    dialog.get_by_label("Day").fill("2024-05-03")
    dialog.get_by_label("Amount").fill("-5")
    dialog.get_by_role("button", name="Add").click()
    expect(dialog.locator("#amount-error")).to_have_text(
        "Write an amount more than 0, such as 12.50.")
    expect(dialog).to_be_visible()                    # still open, what was typed kept
    expect(dialog.get_by_label("Day")).to_have_value("2024-05-03")
    dialog.get_by_label("Category").select_option("Travel")
    dialog.get_by_label("Amount").fill("42.5")
    dialog.get_by_label("Note (optional)").fill("Train")
    dialog.get_by_role("button", name="Add").click()
    expect(page.get_by_role("cell", name="Train")).to_be_visible()
    expect(total).to_have_text("42.50")
    expect(page.get_by_role("dialog", name="New expense")).to_be_hidden()


def test_an_upload_imports_with_progress_and_the_grid_filters(
        live_server: Callable[[Any], str], page: Page,
        expenses_example: tuple[App, Any]) -> None:
    app, module = expenses_example
    native: list[str] = []
    page.on("dialog", lambda dialog: (native.append(dialog.message), dialog.dismiss()))
    url = live_server(app)
    _open(page, url)
    page.evaluate("window.__marker = 42")
    page.keyboard.press("Control+O")                  # the menu's shortcut, in the page too
    field = page.get_by_label("CSV file")
    expect(field).to_be_visible()
    field.set_input_files(str(module.SAMPLE))
    page.get_by_role("button", name="Import", exact=True).click()
    status = page.locator("#import-status")
    expect(status.locator("progress")).to_be_visible()
    expect(status).to_contain_text("Imported 60 expenses from sample.csv.", timeout=20_000)
    assert page.evaluate("window.__marker") == 42, "the page was reloaded"

    page.get_by_role("link", name="Show them").click()
    page.wait_for_function("window.htmx !== undefined && document.readyState === 'complete'")
    expect(page.locator("[id$='-count']")).to_have_text("1–20 of 60")
    rows = module.expenses.find()
    food = sum(r.amount for r in rows if r.category == "Food")
    page.get_by_role("combobox", name="Category").select_option("Food")
    count = sum(1 for r in rows if r.category == "Food")
    expect(page.locator("[id$='-count']")).to_have_text(f"1–{min(count, 20)} of {count}")
    expect(page.locator("#expenses-total")).to_have_text(f"{food:,.2f}")
    may = [r for r in rows if r.category == "Food" and r.day.strftime("%Y-%m") == "2024-05"]
    page.get_by_role("combobox", name="Month").select_option("2024-05")
    expect(page.locator("#expenses-total")).to_have_text(f"{sum(r.amount for r in may):,.2f}")

    # Delete asks in the page's own dialog.
    first = page.locator("tbody tr").first
    first.get_by_role("button", name="Delete").click()
    page.get_by_role("dialog").get_by_role("button", name="OK").click()
    expect(page.locator("[id$='-count']")).to_have_text(
        f"1–{len(may) - 1} of {len(may) - 1}")
    assert native == [], native
    assert module.expenses.count() == 59

    page.get_by_role("link", name="By category").click()
    expect(page.locator("#by-category")).to_contain_text("Food")
    page.wait_for_function("document.querySelector('#by-month canvas') !== null")
