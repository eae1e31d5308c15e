"""The data grid in real Chromium, by keyboard only, over 100,000 rows: Tab to the search
and type, sort by a heading, go to the next page, edit a row and save with Enter, delete
a row through the page's own confirmation dialog."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.appkit.ui.test_grid import ROWS, grid_app

pytestmark = pytest.mark.browser


def tab_to(page: Page, target: Locator, most: int = 250) -> None:
    """Press Tab until ``target`` has the focus (as a keyboard user would)."""
    for _ in range(most):
        if target.evaluate("el => el === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {target}")


def first_row_name(page: Page) -> Locator:
    return page.locator("tbody tr").first.locator("td").nth(2)


def test_the_grid_by_keyboard_only(live_server: Callable[[Any], str], page: Page) -> None:
    app = grid_app()
    people = app.state_people  # type: ignore[attr-defined]
    opened: list[str] = []
    page.on("dialog", lambda d: (opened.append(d.message), d.dismiss()))
    page.set_viewport_size({"width": 1024, "height": 768})
    page.goto(live_server(app))
    count = page.locator("[id$='-count']")
    expect(count).to_have_text("1–50 of 100,000")
    # Nothing sticks out of the window at 1024x768 (measured in the page).
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    assert page.evaluate("[...document.querySelectorAll('.appkit-datagrid *')].every("
                         "el => el.getBoundingClientRect().right <= innerWidth + 0.5)")

    search = page.get_by_role("searchbox", name="Search")
    tab_to(page, search)
    page.keyboard.type("Person 0001")
    expect(count).to_have_text("1–50 of 100")

    by_name = page.get_by_role("button", name="Name")
    tab_to(page, by_name)
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Name ▲")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Name ▼")).to_be_visible()
    expect(first_row_name(page)).to_have_text("Person 000199")

    tab_to(page, page.get_by_role("button", name="Next page"))
    page.keyboard.press("Enter")
    expect(count).to_have_text("51–100 of 100")
    expect(first_row_name(page)).to_have_text("Person 000149")

    tab_to(page, page.get_by_role("button", name="Edit row 149"))
    page.keyboard.press("Enter")
    name = page.get_by_role("form", name="Edit row 149").get_by_label("Name")
    expect(name).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type("Renamed by keyboard")
    email = page.get_by_role("form", name="Edit row 149").get_by_label("Email")
    tab_to(page, email)
    page.keyboard.press("Control+A")
    page.keyboard.type("no at sign")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Must have an @")).to_be_visible()
    assert people.get(149).name == "Person 000149"
    tab_to(page, email)
    page.keyboard.press("Control+A")
    page.keyboard.type("renamed@example.org")
    page.keyboard.press("Enter")
    expect(page.get_by_role("form")).to_have_count(0)
    # Renamed, row 149 sorts first now (page 1): page 2 starts at 148.
    expect(first_row_name(page)).to_have_text("Person 000148")
    row = people.get(149)
    assert (row.name, row.email, row.is_admin) == ("Renamed by keyboard",
                                                   "renamed@example.org", False)

    tab_to(page, page.get_by_role("button", name="Delete row 148"))
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Delete row 148? This cannot be undone.")
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    assert people.count() == ROWS
    page.keyboard.press("Enter")   # the focus is back on Delete
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="OK")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Delete row 148")).to_have_count(0)
    assert people.count() == ROWS - 1 and people.first(id=148) is None

    select = page.get_by_role("checkbox", name="Select row 147")
    tab_to(page, select)
    page.keyboard.press("Space")
    expect(page.get_by_text("1 selected")).to_be_visible()
    expect(page.get_by_role("checkbox", name="Select row 147")).to_be_checked()
    assert opened == [], f"the browser's own dialog opened: {opened}"


def test_a_page_change_sends_the_rows_and_the_pager_not_the_grid(
        live_server: Callable[[Any], str], page: Page) -> None:
    """In Chromium, over the page's socket: Next page receives the rows' and the pager's
    content (an ``inner`` each), far less than the grid; a row's checkbox selects it
    (grid.js) by mouse and by keyboard."""
    received: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: received.append(
        payload if isinstance(payload, str) else payload.decode())))
    page.goto(live_server(grid_app()))
    grid_html = page.locator(".appkit-datagrid").evaluate("el => el.outerHTML.length")
    count = page.locator("[id$='-count']")
    expect(count).to_have_text("1–50 of 100,000")
    page.wait_for_function("() => window.htmx && document.querySelector('tbody[data-keyed]')")
    page.wait_for_timeout(300)          # the socket is open (its hello came)
    received.clear()
    nxt = page.get_by_role("button", name="Next page")
    nxt.click()
    expect(count).to_have_text("51–100 of 100,000")
    expect(first_row_name(page)).to_have_text("Person 000051")
    expect(nxt).to_be_focused()          # the pager's content was morphed in place
    replies = [frame for frame in received if '"ops"' in frame]
    assert len(replies) == 1, received
    import json

    ops = json.loads(replies[0])["ops"]
    assert sorted(op["op"] + ":" + op["target"].rsplit("-", 1)[1] for op in ops) == [
        "inner:pager", "inner:rows"]
    sent = sum(len(op["html"]) for op in ops)
    assert sent < grid_html - 1500, (sent, grid_html)   # not the tools, headings, table
    box = page.get_by_role("checkbox", name="Select row 52")
    box.click()
    expect(page.get_by_text("1 selected")).to_be_visible()
    expect(page.locator("tr[data-k='52']")).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Space")          # the focused checkbox again: unselected
    expect(page.get_by_text("1 selected")).to_have_count(0)
    expect(box).not_to_be_checked()


def test_an_edited_row_picks_a_label_and_saves_its_value(
        live_server: Callable[[Any], str], page: Page) -> None:
    """The row's form uses the model's field types: its Autocomplete of values and labels
    shows the label, the keyboard picks another, Enter saves the value; an error shows in
    the row."""
    from tests.appkit.ui.test_grid import deal_app

    app = deal_app()
    deals = app.state_deals  # type: ignore[attr-defined]
    page.goto(live_server(app))
    page.get_by_role("button", name="Edit row 1").click()
    account = page.get_by_role("combobox", name="Account")
    expect(account).to_have_value("Globex")
    account.fill("Nobody")                           # no client's name: the row says so
    page.keyboard.press("Escape")
    account.press("Enter")
    expect(page.locator("#account-error")).to_contain_text("is not one of the choices")
    assert deals.get(1).account == 2
    page.locator("#value").fill("10.5")
    account = page.get_by_role("combobox", name="Account")
    account.fill("")
    account.focus()
    page.keyboard.type("ini", delay=20)
    expect(page.get_by_role("option", name="Initech")).to_be_visible()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")                     # picks
    expect(account).to_have_value("Initech")
    page.keyboard.press("Enter")                     # saves the row
    expect(page.get_by_role("form")).to_have_count(0)
    saved = deals.get(1)
    assert (saved.account, saved.value) == (3, 10.5)
