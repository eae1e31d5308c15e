"""The todo example in a real Chromium: every change happens through htmx, in one page."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from examples.todo.app import create_app

pytestmark = pytest.mark.browser


def _item(page: Page, title: str) -> Any:
    """The list item whose title is exactly ``title``."""
    return page.locator("#todo-list > li").filter(
        has=page.locator(".title", has_text=re.compile(rf"^{re.escape(title)}$")))


def _add(page: Page, title: str) -> None:
    page.get_by_label("New todo").fill(title)
    page.get_by_role("button", name="Add", exact=True).click()


def test_todo_page_loads_its_assets(live_server: Callable[[Any], str], page: Page) -> None:
    statuses: dict[str, int] = {}
    failed: list[str] = []
    page.on("response", lambda r: statuses.__setitem__(r.url, r.status))
    page.on("requestfailed", lambda r: failed.append(f"{r.url}: {r.failure}"))
    url = live_server(create_app())

    response = page.goto(url)

    assert response is not None and response.status == 200
    expect(page).to_have_title("Todo")
    assert page.evaluate("typeof window.htmx") == "object"
    assert page.evaluate("typeof window.appkit") == "object"
    stylesheets = page.eval_on_selector_all(
        'link[rel="stylesheet"]', "links => links.map(l => l.href)")
    assert any("/_appkit/vendor/pico.min.css" in href for href in stylesheets), stylesheets
    assert any("/static/todo.css" in href for href in stylesheets), stylesheets
    scripts = page.eval_on_selector_all("script[src]", "s => s.map(e => e.src)")
    for asset in [*stylesheets, *scripts]:
        assert statuses.get(asset) == 200, f"{asset} answered {statuses.get(asset)}"
    assert not failed, failed
    # Pico is applied, not just fetched: its custom properties are defined on :root, and
    # the todo stylesheet's own rule is in effect.
    pico_font = page.evaluate(
        "getComputedStyle(document.documentElement).getPropertyValue('--pico-font-family')")
    assert pico_font.strip(), "Pico's --pico-font-family is not defined: pico.min.css not applied"
    expect(page.locator("#todo-list")).to_have_css("list-style-type", "none")


def test_todo_add_toggle_edit_delete_without_reloading(
        live_server: Callable[[Any], str], page: Page) -> None:
    url = live_server(create_app())
    page.goto(url)
    page.wait_for_function("() => window.htmx !== undefined")
    page.evaluate("window.__marker = 42")
    items = page.locator("#todo-list > li")
    count = page.locator("#todo-count")
    new_title = page.get_by_label("New todo")
    expect(items).to_have_count(0)
    expect(count).to_have_text("0 left")

    # Add: the item is appended, the counter and the (cleared) form come out of band.
    _add(page, "Buy milk")
    expect(items).to_have_count(1)
    expect(_item(page, "Buy milk")).to_be_visible()
    expect(count).to_have_text("1 left")
    expect(new_title).to_have_value("")

    _add(page, "Walk the dog")
    expect(items).to_have_count(2)
    expect(items.nth(1).locator(".title")).to_have_text("Walk the dog")
    expect(count).to_have_text("2 left")
    expect(new_title).to_have_value("")

    # Toggle the first: it is marked done and the counter drops.
    first = items.first
    first.get_by_role("checkbox").click()
    expect(first).to_have_class(re.compile(r"(^|\s)done(\s|$)"))
    expect(first.get_by_role("checkbox")).to_be_checked()
    expect(count).to_have_text("1 left")
    expect(items.nth(1)).not_to_have_class(re.compile(r"(^|\s)done(\s|$)"))

    # Edit inline and save.
    first.get_by_role("button", name="Edit").click()
    title_box = first.get_by_label("Title")
    expect(title_box).to_have_value("Buy milk")
    title_box.fill("Buy oat milk")
    first.get_by_role("button", name="Save").click()
    expect(first.locator(".title")).to_have_text("Buy oat milk")
    expect(first.get_by_label("Title")).to_have_count(0)
    expect(first).to_have_class(re.compile(r"(^|\s)done(\s|$)"))

    # Edit, then cancel: the saved title is back and nothing changed.
    first.get_by_role("button", name="Edit").click()
    expect(first.get_by_label("Title")).to_have_value("Buy oat milk")
    first.get_by_label("Title").fill("Something else")
    first.get_by_role("button", name="Cancel").click()
    expect(first.get_by_label("Title")).to_have_count(0)
    expect(first.locator(".title")).to_have_text("Buy oat milk")
    expect(count).to_have_text("1 left")

    # Delete the one still to do: asked first in the page's own dialog (never the
    # browser's); Cancel keeps it, OK deletes it and the counter follows.
    native: list[str] = []
    page.on("dialog", lambda dialog: (native.append(dialog.message), dialog.dismiss()))
    _item(page, "Walk the dog").get_by_role("button", name="Delete").click()
    confirm = page.get_by_role("dialog", name="Delete \u201cWalk the dog\u201d?")
    expect(confirm).to_be_visible()
    expect(confirm.locator(".appkit-dialog-title")).to_have_text("Delete a todo")
    confirm.get_by_role("button", name="Cancel").click()
    expect(confirm).to_have_count(0)
    expect(_item(page, "Walk the dog")).to_have_count(1)
    expect(count).to_have_text("1 left")
    _item(page, "Walk the dog").get_by_role("button", name="Delete").click()
    page.get_by_role("dialog").get_by_role("button", name="OK").click()
    expect(_item(page, "Walk the dog")).to_have_count(0)
    assert native == [], f"the browser's own dialog opened: {native}"
    expect(items).to_have_count(1)
    expect(count).to_have_text("0 left")

    # An empty title: the error is shown next to the field and nothing is added.
    _add(page, "   ")
    form = page.locator("#new-todo")
    expect(form.locator("#title-error")).to_have_text("Write what needs doing.")
    expect(form.locator("#title")).to_have_attribute("aria-invalid", "true")
    expect(form.locator("#title")).to_have_attribute("aria-describedby", "title-error")
    expect(items).to_have_count(1)
    expect(count).to_have_text("0 left")

    # A valid title after the error: added, and the error is gone.
    _add(page, "Water the plants")
    expect(items).to_have_count(2)
    expect(count).to_have_text("1 left")
    expect(form.locator("#title-error")).to_have_text("")
    expect(form.locator("#title")).not_to_have_attribute("aria-invalid", "true")
    expect(new_title).to_have_value("")

    # All of it happened in the page that was loaded first.
    assert page.evaluate("window.__marker") == 42
