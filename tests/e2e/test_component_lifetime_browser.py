"""In a real Chromium: a live component lives as long as its page. The page names its
components to the server; closing the window lets them go (within ``left_grace``); a swap
that takes one off the page lets it go after ``page_grace``; one a swap brings works at
once; opening and closing windows leaves the server as it was."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from appkit import App
from appkit.html import Button, Div, Page, Span
from appkit.live import Component, LiveSettings, handler

pytestmark = pytest.mark.browser


class Clicks(Component):
    count: int = 0

    @handler
    def add(self) -> None:
        self.count += 1

    def render(self) -> Any:
        return [Span(self.count, cls="count"), Button("Add", **self.on("add"))]


def _app(page_grace: float = 60.0) -> App:
    # A page the browser left goes after left_grace: long before page_grace.
    app = App("component-lifetime",
              extensions=[LiveSettings(left_grace=0.2, page_grace=page_grace)])

    @app.get("/")
    def index() -> Any:
        return Page("Clicks", Div(Clicks.mount(), id="slot"),
                    Button("Plain", hx_get="/plain", hx_target="#slot"),
                    Button("Another", hx_get="/another", hx_target="#slot"))

    @app.get("/plain")
    def plain() -> Any:
        return Span("No counter here", id="plain")

    @app.get("/another")
    def another() -> Any:
        return Clicks.mount()

    return app


def _store(app: App) -> Any:
    return app.extension("live").components.store   # type: ignore[attr-defined]


def _pages(app: App) -> Any:
    return app.extension("live").pages   # type: ignore[attr-defined]


def _until(check: Callable[[], bool], within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _open(page: Any, url: str) -> None:
    page.goto(url)
    expect(page.locator("html")).to_have_attribute("data-live", "live", timeout=10_000)


def test_closing_the_window_lets_its_components_go(
        live_server: Callable[[Any], str], page: Any) -> None:
    app = _app()
    url = live_server(app)
    _open(page, url)
    page.get_by_role("button", name="Add").click()
    expect(page.locator(".count")).to_have_text("1")
    assert len(_store(app)) == 1
    page.close()
    _until(lambda: len(_store(app)) == 0 and len(_pages(app)) == 0)


def test_a_swap_takes_a_component_off_and_brings_another(
        live_server: Callable[[Any], str], page: Any) -> None:
    app = _app(page_grace=1.0)
    url = live_server(app)
    _open(page, url)
    first = page.evaluate("Object.keys(window.appkitLive.state.components)")
    page.get_by_role("button", name="Plain").click()
    expect(page.locator("#plain")).to_be_visible()
    _until(lambda: len(_store(app)) == 0)          # after page_grace: the page is open
    page.get_by_role("button", name="Another").click()
    page.get_by_role("button", name="Add").click()
    expect(page.locator(".count")).to_have_text("1")
    second = page.evaluate("Object.keys(window.appkitLive.state.components)")
    assert len(second) == 1 and second != first
    time.sleep(1.5)                                # past page_grace: still on the page
    page.get_by_role("button", name="Add").click()
    expect(page.locator(".count")).to_have_text("2")


def test_windows_opened_and_closed_leave_the_server_as_it_was(
        live_server: Callable[[Any], str], page: Any) -> None:
    app = _app()
    url = live_server(app)
    context = page.context
    for _ in range(30):
        window = context.new_page()
        _open(window, url)
        window.get_by_role("button", name="Add").click()
        expect(window.locator(".count")).to_have_text("1")
        window.close()
    _until(lambda: len(_store(app)) == 0 and len(_pages(app)) == 0, within=20.0)
