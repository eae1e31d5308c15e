"""Websocket routes in real Chromium with the htmx ws extension: the handshake carries the
CSRF token (appkit.js adds it), a form's fields reach a message handler, its answer is
swapped in, and its error is shown as a notice."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from appkit import App, BadRequest
from appkit.html import Button, Div, Form, Input, Li, Ul, oob
from appkit.html import Page as HtmlPage

pytestmark = pytest.mark.browser


def room_app() -> App:
    app = App("ws-room")

    @app.get("/")
    def index() -> Any:
        return HtmlPage(
            "Room",
            Div(Ul(id="said"),
                Form(Input(name="text", aria_label="Say"), Button("Say"), ws_send=True),
                hx_ext="ws", ws_connect=say.url()),
        )

    @app.websocket("/say")
    def say(text: str, session) -> Any:  # type: ignore[no-untyped-def]
        if text == "bad":
            raise BadRequest("That word is not allowed.")
        return oob(Ul(Li(text.upper()), id="said"), "beforeend")

    return app


def test_the_htmx_ws_extension_talks_to_a_message_handler(
        live_server: Callable[[Any], str], page: Page) -> None:
    page.goto(live_server(room_app()))
    box = page.get_by_label("Say")
    expect(page.locator("#said")).to_be_attached()
    page.wait_for_function("() => document.querySelector('[ws-connect]')"
                           " && document.querySelector('[ws-connect]')['htmx-internal-data']"
                           " && document.querySelector('[ws-connect]')['htmx-internal-data']"
                           ".webSocket && document.querySelector('[ws-connect]')"
                           "['htmx-internal-data'].webSocket.socket.readyState === 1")
    box.fill("hello")
    box.press("Enter")
    expect(page.locator("#said > li")).to_have_text(["HELLO"])
    box.fill("bad")
    box.press("Enter")
    expect(page.locator(".appkit-notice")).to_contain_text("That word is not allowed.")
    expect(page.locator("#said > li")).to_have_text(["HELLO"])
