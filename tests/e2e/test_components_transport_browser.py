"""In a real Chromium: a component's events go over the page's socket while it is open, over
plain htmx requests while it is not, with the same result; a cut loses nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from appkit import App
from appkit.html import Button, Page, Span
from appkit.live import Component, handler
from appkit.testing.proxy import CuttableProxy

pytestmark = pytest.mark.browser


class Clicks(Component):
    count: int = 0

    @handler
    def add(self, by: int = 1) -> None:
        self.count += by

    def render(self) -> Any:
        return [Span(self.count, id=f"{self.id}-n", cls="count"),
                Button("Add", **self.on("add"))]


def _app() -> App:
    app = App("component-transport")
    app.state.posts = 0

    @app.get("/")
    def index() -> Any:
        return Page("Clicks", Clicks.mount())

    @app.before()
    def count_posts(request: Any) -> None:
        if request.scope.get("method") == "POST":
            app.state.posts += 1

    return app


def test_events_go_over_the_socket_and_over_http_when_it_is_cut(
        live_server: Callable[[Any], str], page: Any) -> None:
    app = _app()
    url = live_server(app)
    port = int(url.rstrip("/").rsplit(":", 1)[1])
    with CuttableProxy(port) as proxy:
        page.goto(f"http://127.0.0.1:{proxy.port}/")
        expect(page.locator("html")).to_have_attribute("data-live", "live", timeout=10_000)
        add = page.get_by_role("button", name="Add")
        for n in (1, 2, 3):
            add.click()
            expect(page.locator(".count")).to_have_text(str(n))
        assert app.state.posts == 0                        # all three over the socket
        proxy.cut()
        expect(page.locator("html")).to_have_attribute("data-live", "offline")
        proxy.restore()                                    # the socket is still down a moment
        page.evaluate("window.appkitLive.state.stopped = true; "
                      "window.appkitLive.state.ws && window.appkitLive.state.ws.close()")
        page.get_by_role("button", name="Add").click()
        expect(page.locator(".count")).to_have_text("4")   # over htmx: same instance
        assert app.state.posts == 1
