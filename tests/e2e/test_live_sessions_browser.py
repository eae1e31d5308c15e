"""In a real Chromium: what a live event writes to the session is saved (a reload shows it),
and signing out in one window reaches the live events of another at once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from appkit import App, Forbidden
from appkit.html import Button, Form, Input, P
from appkit.html import Page as HtmlPage
from appkit.live import replace

pytestmark = pytest.mark.browser


def _app() -> App:
    app = App("live-sessions")
    app.state.said = []

    @app.get("/")
    def index(session: Any) -> Any:
        return HtmlPage(
            "Sessions",
            P(f"colour: {session.get('colour', 'none')}", id="colour"),
            P(f"user: {session.get('user', 'nobody')}", id="user"),
            P("", id="status"),
            Form(Input(name="colour", aria_label="Colour"), Button("Keep"),
                 data_live_send=remember),
            Form(Input(name="text", aria_label="Say"), Button("Say"), data_live_send=say),
            Button("Sign in", hx_post="/login", hx_target="#user", hx_swap="outerHTML",
                   id="login"),
            Button("Sign out", hx_post="/logout", hx_target="#user", hx_swap="outerHTML",
                   id="logout"),
            app.hub.subscribe("room"))

    @app.post("/login")
    def login(session: Any) -> Any:
        session["user"] = "ann"
        return P("user: ann", id="user")

    @app.post("/logout")
    def logout(session: Any) -> Any:
        session.clear()
        return P("user: nobody", id="user")

    @app.websocket("/remember")
    def remember(colour: str, session: Any) -> Any:
        session["colour"] = colour
        return replace(P(f"kept {colour}", id="status"))

    @app.websocket("/say")
    def say(text: str, session: Any) -> Any:
        if "user" not in session:
            raise Forbidden("Sign in first")
        app.state.said.append(text)
        return replace(P(f"said {text}", id="status"))

    return app


def _live(page: Any) -> None:
    expect(page.locator("html")).to_have_attribute("data-live", "live", timeout=10_000)


def test_a_live_event_writes_the_session_and_a_reload_shows_it(
        live_server: Callable[[Any], str], page: Any) -> None:
    page.goto(live_server(_app()))
    _live(page)
    page.get_by_label("Colour").fill("teal")
    page.get_by_label("Colour").press("Enter")
    expect(page.locator("#status")).to_have_text("kept teal")
    # The page posts the reply's key; its answer sets the cookie.
    for _ in range(50):
        page.reload()
        if page.locator("#colour").inner_text() == "colour: teal":
            break
        page.wait_for_timeout(100)
    expect(page.locator("#colour")).to_have_text("colour: teal")


def test_signing_out_in_one_window_reaches_the_live_events_of_another(
        live_server: Callable[[Any], str], browser: Any) -> None:
    app = _app()
    url = live_server(app)
    context = browser.new_context()
    try:
        one, two = context.new_page(), context.new_page()
        one.goto(url)
        one.locator("#login").click()
        expect(one.locator("#user")).to_have_text("user: ann")
        two.goto(url)
        _live(one)
        _live(two)
        one.get_by_label("Say").fill("signed in")
        one.get_by_label("Say").press("Enter")
        expect(one.locator("#status")).to_have_text("said signed in")
        two.locator("#logout").click()                      # the other window signs out
        expect(two.locator("#user")).to_have_text("user: nobody")
        one.get_by_label("Say").fill("signed out")
        one.get_by_label("Say").press("Enter")
        expect(one.locator("#appkit-notices")).to_contain_text("Sign in first")
        _live(one)
        assert app.state.said == ["signed in"]
        expect(one.locator("#status")).to_have_text("said signed in")
    finally:
        context.close()
