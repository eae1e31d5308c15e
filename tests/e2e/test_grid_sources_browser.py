"""A query's grid and a list's grid in real Chromium, by keyboard: search, sort by a
heading, the last page of 100,000 rows, and a listed row edited and saved with Enter."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.appkit.ui.test_grid_sources import list_app, query_app
from tests.e2e.test_grid_browser import tab_to

pytestmark = pytest.mark.browser


def test_a_query_grid_by_keyboard(live_server: Callable[[Any], str], page: Page) -> None:
    page.set_viewport_size({"width": 1024, "height": 768})
    page.goto(live_server(query_app()))
    count = page.locator("[id$='-count']")
    expect(count).to_have_text("1–50 of 100,000")
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    expect(page.get_by_role("button", name="Edit row 1")).to_have_count(0)   # read-only

    tab_to(page, page.get_by_role("searchbox", name="Search"))
    page.keyboard.type("cheese")
    expect(count).to_have_text("1–50 of 33,333")
    tab_to(page, page.get_by_role("button", name="Price"))
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Price ▼")).to_be_focused()
    first = page.locator("tbody tr").first.locator("td")
    expect(first.nth(2)).to_have_text("Item 099998")           # 99998 % 3 == 2: Cheese
    expect(first.nth(4)).to_have_text("24,999.50")
    tab_to(page, page.get_by_role("button", name="Last page"))
    page.keyboard.press("Enter")
    expect(count).to_have_text("33,301–33,333 of 33,333")


def test_a_list_grid_edits_a_row_by_keyboard(live_server: Callable[[Any], str],
                                             page: Page) -> None:
    app = list_app()
    shelf = app.state_shelf  # type: ignore[attr-defined]
    opened: list[str] = []
    page.on("dialog", lambda d: (opened.append(d.message), d.dismiss()))
    url = live_server(app)
    page.goto(url + "shelf")
    tab_to(page, page.get_by_role("button", name="Edit row b 2"))
    page.keyboard.press("Enter")
    name = page.get_by_role("form", name="Edit row b 2").get_by_label("Name")
    expect(name).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type("Standing desk")
    page.keyboard.press("Enter")
    expect(page.get_by_role("form")).to_have_count(0)
    expect(page.get_by_role("cell", name="Standing desk")).to_be_visible()
    assert shelf[1]["name"] == "Standing desk"
    tab_to(page, page.get_by_role("button", name="Delete row a-1"))
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Delete row a-1? This cannot be undone.")
    expect(dialog.get_by_role("button", name="OK")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Delete row a-1")).to_have_count(0)
    assert [item["sku"] for item in shelf] == ["b 2"] and opened == []

    page.goto(url)
    count = page.locator("[id$='-count']")
    expect(count).to_have_text("1–50 of 100,000")
    tab_to(page, page.get_by_role("searchbox", name="Search"))
    page.keyboard.type("book 0999")
    expect(count).to_have_text("1–50 of 100")
