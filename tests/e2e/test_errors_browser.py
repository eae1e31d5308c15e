"""Errors answered to htmx requests are shown in a dismissible notice (appkit.js), not
dropped, and the page stays as it was."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from appkit import App, BadRequest, NotFound
from appkit.html import Button, Div, Span
from appkit.html import Page as HtmlPage
from shell.server import LoopbackServer

pytestmark = pytest.mark.browser


def errors_app() -> App:
    app = App("errors-test")

    @app.get("/")
    def index():
        return HtmlPage(
            "Errors",
            Button("Find", hx_get=missing, hx_target="#out"),
            Button("Send", hx_post=bad, hx_target="#out"),
            Button("Conflict", hx_post=conflict, hx_target="#out"),
            Button("Fine", hx_get=fine, hx_target="#out"),
            Div(Span("untouched"), id="out"),
        )

    @app.get("/missing")
    def missing():
        raise NotFound("There is no such report.")

    @app.post("/bad")
    def bad():
        raise BadRequest("The date must look like 2024-05-31.")

    @app.post("/conflict")
    def conflict(response: Any):
        response.status_code = 409
        return "plain text, no appkit error fragment"

    @app.get("/fine")
    def fine():
        return Span("all good")

    return app


@pytest.mark.parametrize(("button", "message"), [
    ("Find", "There is no such report."),
    ("Send", "The date must look like 2024-05-31."),
])
def test_http_error_is_shown_and_dismissed(live_server: Callable[[Any], str], page: Page,
                                           button: str, message: str) -> None:
    page.goto(live_server(errors_app()))
    page.evaluate("window.__marker = 42")
    notices = page.locator("#appkit-notices .appkit-notice")
    expect(notices).to_have_count(0)

    page.get_by_role("button", name=button, exact=True).click()

    expect(notices).to_have_count(1)
    notice = notices.first
    expect(notice).to_have_attribute("role", "alert")
    expect(notice.locator(".appkit-error")).to_have_text(message)
    expect(notice).to_be_visible()
    expect(page.locator("#out")).to_have_text("untouched")  # htmx did not swap the error

    # A second error stacks under the first.
    page.get_by_role("button", name=button, exact=True).click()
    expect(notices).to_have_count(2)

    notices.first.get_by_role("button", name="Dismiss").click()
    expect(notices).to_have_count(1)
    notices.first.get_by_role("button", name="Dismiss").click()
    expect(notices).to_have_count(0)

    # The page still works, and it is the same page.
    page.get_by_role("button", name="Fine").click()
    expect(page.locator("#out")).to_have_text("all good")
    assert page.evaluate("window.__marker") == 42


def test_error_without_appkit_fragment_shows_the_status(
        live_server: Callable[[Any], str], page: Page) -> None:
    page.goto(live_server(errors_app()))
    page.get_by_role("button", name="Conflict").click()
    notice = page.locator("#appkit-notices .appkit-notice")
    expect(notice).to_have_count(1)
    expect(notice).to_contain_text("The app answered 409")
    expect(notice).not_to_contain_text("plain text")
    notice.get_by_role("button", name="Dismiss").click()
    expect(notice).to_have_count(0)
    expect(page.locator("#out")).to_have_text("untouched")


def test_unreachable_app_is_reported(page: Page) -> None:
    server = LoopbackServer(errors_app())
    try:
        page.goto(server.start())
        expect(page.get_by_role("button", name="Fine")).to_be_visible()
        page.wait_for_function("() => window.htmx !== undefined && window.appkit !== undefined")
    finally:
        assert server.stop(), "the server did not stop"
    page.get_by_role("button", name="Fine").click()
    notice = page.locator("#appkit-notices .appkit-notice")
    expect(notice).to_have_count(1)
    expect(notice).to_contain_text("The app could not be reached")
    notice.get_by_role("button", name="Dismiss").click()
    expect(notice).to_have_count(0)
