"""The menu's page side in real Chromium, under a policy without 'unsafe-eval': an item's
shortcut posts to its route (with the CSRF token) and applies the answer's out-of-band
parts, in the browser mode too; a plain key does nothing; the shell's ``shell:menu`` event
posts or navigates."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from appkit import App
from appkit.html import H1, Input, P
from appkit.html import Page as HtmlPage
from appkit.ui.menus import Command, Menu
from tests.e2e.csp import StrictCSP

pytestmark = pytest.mark.browser


def menu_app(ran: list[str]) -> App:
    app = App("menu-browser")

    @app.get("/")
    def index() -> Any:
        return HtmlPage("Home", Input(name="q", aria_label="Search"), P(id="said"))

    @app.get("/second")
    def second() -> Any:
        return HtmlPage("Second", H1("Second page"))

    @app.post("/hello")
    def hello() -> Any:
        ran.append("hello")
        return P(f"Hello {len(ran)}", id="said", hx_swap_oob="true")

    app.menu(Menu("File", Command("Hello", post=hello, shortcut="Ctrl+Shift+H"),
                  Command("Again", post=hello, shortcut="Ctrl++"),
                  Command("Second", navigate=second, shortcut="Alt+2")))
    return app


def test_shortcuts_and_the_shells_event_run_the_items(
        live_server: Callable[[Any], str], page: Page) -> None:
    ran: list[str] = []
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.goto(live_server(StrictCSP(menu_app(ran))))
    page.wait_for_function("() => window.appkitMenu !== undefined")
    search = page.get_by_label("Search")
    search.click()
    search.press("h")
    search.press("Shift+H")
    expect(search).to_have_value("hH")
    assert ran == []

    search.press("Control+Shift+H")  # in a text field too
    expect(page.locator("#said")).to_have_text("Hello 1")
    assert ran == ["hello"]

    page.evaluate("""document.dispatchEvent(new CustomEvent('shell:menu',
        {detail: {post: '/hello'}}))""")
    expect(page.locator("#said")).to_have_text("Hello 2")

    page.keyboard.press("Control+Shift+Equal")  # "+" on a US keyboard
    expect(page.locator("#said")).to_have_text("Hello 3")

    page.keyboard.press("Alt+2")
    expect(page.get_by_role("heading", name="Second page")).to_be_visible()
    page.wait_for_function("() => window.appkitMenu !== undefined")  # its deferred script ran
    page.evaluate("""document.dispatchEvent(new CustomEvent('shell:menu',
        {detail: {navigate: '/'}}))""")
    expect(page.get_by_label("Search")).to_be_visible()
    assert not problems, problems
