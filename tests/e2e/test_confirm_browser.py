"""hx-confirm asks in a dialog of the page (appkit.js), never with the browser's own
confirm(): a native window would title that one with the app's loopback address."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from appkit import App
from appkit.html import Button, Div, Span
from appkit.html import Page as HtmlPage

pytestmark = pytest.mark.browser


def confirm_app(deleted: list[str], *, stylesheet: bool = True) -> App:
    app = App("confirm-test", stylesheet=stylesheet)

    @app.get("/")
    def index():
        return HtmlPage(
            "Confirm",
            Button("Delete", hx_post=delete, hx_target="#out",
                   hx_confirm="Delete the report for May?"),
            Button("Plain", hx_post=plain, hx_target="#out"),
            Div(Span("nothing yet"), id="out"),
        )

    @app.post("/delete")
    def delete():
        deleted.append("may")
        return Span("deleted")

    @app.post("/plain")
    def plain():
        return Span("plain done")

    return app


def native_dialogs(page: Page) -> list[str]:
    """The messages of the browser's own dialogs (alert, confirm...) the page opens; each
    is dismissed."""
    opened: list[str] = []

    def on_dialog(dialog: Any) -> None:
        opened.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    return opened


@pytest.mark.parametrize("stylesheet", [True, False])
def test_ok_sends_the_request(live_server: Callable[[Any], str], page: Page,
                              stylesheet: bool) -> None:
    deleted: list[str] = []
    opened = native_dialogs(page)
    page.goto(live_server(confirm_app(deleted, stylesheet=stylesheet)))
    page.get_by_role("button", name="Delete").click()
    dialog = page.get_by_role("dialog", name="Delete the report for May?")
    expect(dialog).to_be_visible()
    assert deleted == [], "the request went before the answer"
    ok = dialog.get_by_role("button", name="OK")
    expect(ok).to_be_focused()
    ok.click()
    expect(page.locator("#out")).to_have_text("deleted")
    expect(page.locator("dialog")).to_have_count(0)
    assert deleted == ["may"]
    assert opened == [], f"the browser's own dialog opened: {opened}"


def test_cancel_and_escape_send_nothing(live_server: Callable[[Any], str],
                                        page: Page) -> None:
    deleted: list[str] = []
    opened = native_dialogs(page)
    page.goto(live_server(confirm_app(deleted)))
    delete = page.get_by_role("button", name="Delete")
    delete.click()
    page.get_by_role("dialog").get_by_role("button", name="Cancel").click()
    expect(page.locator("dialog")).to_have_count(0)
    expect(delete).to_be_focused()  # focus goes back where it was
    delete.press("Enter")
    expect(page.get_by_role("dialog")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("dialog")).to_have_count(0)
    # Both answers were "no": nothing was sent, and the page is as it was.
    page.get_by_role("button", name="Plain").click()
    expect(page.locator("#out")).to_have_text("plain done")
    assert deleted == []
    assert opened == [], f"the browser's own dialog opened: {opened}"


def test_the_keyboard_answers(live_server: Callable[[Any], str], page: Page) -> None:
    deleted: list[str] = []
    opened = native_dialogs(page)
    page.goto(live_server(confirm_app(deleted)))
    page.get_by_role("button", name="Delete").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("button", name="OK")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator("#out")).to_have_text("deleted")
    assert deleted == ["may"]
    assert opened == []


def test_a_question_is_text_not_markup(live_server: Callable[[Any], str],
                                       page: Page) -> None:
    app = App("confirm-markup")

    @app.get("/")
    def index():
        return HtmlPage("Markup", Button("Go", hx_post=go, hx_confirm="<b>bold</b> & co?"))

    @app.post("/go")
    def go():
        return Span("gone")

    page.goto(live_server(app))
    page.get_by_role("button", name="Go").click()
    expect(page.locator(".appkit-confirm-question")).to_have_text("<b>bold</b> & co?")
    expect(page.locator("dialog b")).to_have_count(0)
