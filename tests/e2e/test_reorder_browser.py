"""A reorderable list in real Chromium, under a policy without 'unsafe-eval': dragged
with the mouse, or moved with the keyboard alone, it posts the new order, which the
route binds as ``list[int]``; Escape puts an item back and posts nothing; a button inside
an item still clicks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from appkit import App
from appkit.html import Button, Div, Input, P
from appkit.html import Page as HtmlPage
from appkit.ui import reorder as reorder_kit
from appkit.ui.reorder import Reorder
from tests.e2e.csp import StrictCSP

pytestmark = pytest.mark.browser

TITLES = {1: "Buy milk", 2: "Call mum", 3: "Fix bike", 4: "Pay rent"}


def reorder_app(posted: list[list[int]]) -> App:
    app = App("reorder-browser")
    reorder_kit.install(app)

    @app.get("/")
    def index() -> Any:
        return HtmlPage(
            "Todo",
            Reorder([(n, Div(title, Button("Open", hx_get=opened, hx_vals={"n": n},
                                                hx_target="#opened"), cls="row"), title)
                     for n, title in TITLES.items()],
                    post=save_order, id="todos", label="Todos"),
            P(id="opened"),
            Reorder([(1, Div("Notes", Input(name="note", aria_label="Note")), "Notes")],
                    post=save_order, id="with-field", label="With a field"),
        )

    @app.post("/order")
    def save_order(order: list[int]) -> Any:
        posted.append(order)
        return ""

    @app.get("/opened")
    def opened(n: int) -> Any:
        return f"Opened {TITLES[n]}"

    return app


def shown(page: Page) -> list[str]:
    return [text.split("\n")[0].replace("Open", "").strip(" \u2807")
            for text in page.locator("#todos [data-reorder-item] .reorder-content")
            .all_inner_texts()]


def watch_console(page: Page) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    return problems


def test_dragging_with_the_mouse_posts_the_new_order(
        live_server: Callable[[Any], str], page: Page) -> None:
    posted: list[list[int]] = []
    problems = watch_console(page)
    page.goto(live_server(StrictCSP(reorder_app(posted))))
    items = page.locator("#todos [data-reorder-item]")
    expect(items).to_have_count(4)
    handle = items.nth(2).locator(".reorder-handle").bounding_box()
    first = items.nth(0).bounding_box()
    assert handle is not None and first is not None
    with page.expect_response(lambda r: r.url.endswith("/order")) as answer:
        page.mouse.move(handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2)
        page.mouse.down()
        page.mouse.move(handle["x"] + 5, first["y"] + 2, steps=12)
        page.mouse.up()
    assert answer.value.status == 200
    assert posted == [[3, 1, 2, 4]]
    assert shown(page) == ["Fix bike", "Buy milk", "Call mum", "Pay rent"]

    # Down past two items, from the first.
    handle = items.nth(0).locator(".reorder-handle").bounding_box()
    third = items.nth(2).bounding_box()
    assert handle is not None and third is not None
    with page.expect_response(lambda r: r.url.endswith("/order")):
        page.mouse.move(handle["x"] + 3, handle["y"] + 3)
        page.mouse.down()
        page.mouse.move(handle["x"] + 3, third["y"] + third["height"] * 0.75, steps=12)
        page.mouse.up()
    assert posted[-1] == [1, 2, 3, 4]
    assert not problems, problems


def test_the_keyboard_alone_moves_an_item_and_escape_puts_it_back(
        live_server: Callable[[Any], str], page: Page) -> None:
    posted: list[list[int]] = []
    page.goto(live_server(StrictCSP(reorder_app(posted))))
    expect(page.locator("#todos [data-reorder-item]")).to_have_count(4)
    page.keyboard.press("Tab")  # the first item is the page's first stop
    first = page.locator("#todos [data-reorder-item]").nth(0)
    expect(first).to_be_focused()

    page.keyboard.press("Space")
    expect(first).to_have_class("reorder-held")
    expect(page.locator("#todos .reorder-status")).to_contain_text("Picked up Buy milk")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(page.locator("#todos .reorder-status")).to_contain_text("position 3 of 4")
    assert posted == []  # nothing goes until it is dropped
    with page.expect_response(lambda r: r.url.endswith("/order")):
        page.keyboard.press("Space")
    assert posted == [[2, 3, 1, 4]]
    moved = page.locator("#todos [data-reorder-item]").nth(2)
    expect(moved).to_be_focused()
    expect(moved).not_to_have_class("reorder-held")

    # Picked up, moved to the top, then Escape: back where it was, nothing posted.
    page.keyboard.press("Enter")
    page.keyboard.press("Home")
    assert shown(page)[0] == "Buy milk"
    page.keyboard.press("Escape")
    assert shown(page) == ["Call mum", "Fix bike", "Buy milk", "Pay rent"]
    expect(page.locator("#todos .reorder-status")).to_contain_text("put back at position 3")
    page.wait_for_timeout(300)
    assert posted == [[2, 3, 1, 4]]

    # End moves it last.
    page.keyboard.press("Space")
    page.keyboard.press("End")
    with page.expect_response(lambda r: r.url.endswith("/order")):
        page.keyboard.press("Enter")
    assert posted[-1] == [2, 3, 4, 1]


def test_a_button_or_a_field_inside_an_item_still_works(
        live_server: Callable[[Any], str], page: Page) -> None:
    posted: list[list[int]] = []
    page.goto(live_server(StrictCSP(reorder_app(posted))))
    page.get_by_role("button", name="Open").nth(1).click()
    expect(page.locator("#opened")).to_have_text("Opened Call mum")
    # Enter in a field does not send the list's form as a page.
    page.evaluate("window.samePage = true")
    page.get_by_label("Note").fill("hello")
    page.get_by_label("Note").press("Enter")
    page.wait_for_timeout(300)
    assert page.evaluate("window.samePage") is True
    assert posted == []
