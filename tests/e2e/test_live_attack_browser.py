"""Attacks on the live layer in real Chromium: a 5 s cut while the server publishes 50
messages, replies slower than the user's typing, morphs under a selection, a handler slower
than the page's ping timeout, a server process that restarts under an open page. A test
marked xfail(strict) shows a bug."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from appkit import App, LiveSettings
from appkit.html import Button, Div, Form, Input, Li, P, Ul
from appkit.html import Page as HtmlPage
from appkit.live import append, replace
from appkit.testing.proxy import CuttableProxy
from examples.chat.app import create_app as create_chat
from shell.server import LoopbackServer

pytestmark = pytest.mark.browser


def _messages(page: Page) -> list[str]:
    return page.locator("#messages > li").all_inner_texts()


def _send(page: Page, text: str) -> None:
    box = page.get_by_label("Message")
    box.fill(text)
    box.press("Enter")


def _live(page: Page, timeout: float = 10_000) -> None:
    expect(page.locator("html")).to_have_attribute("data-live", "live", timeout=timeout)


def _port(url: str) -> int:
    return int(url.rstrip("/").rsplit(":", 1)[1])


@pytest.fixture
def pages(browser: Any) -> Iterator[Callable[[], Page]]:
    opened: list[Page] = []

    def new() -> Page:
        page = browser.new_page()
        page.set_default_timeout(10_000)
        opened.append(page)
        return page

    yield new
    for page in opened:
        page.close()


def test_a_5s_cut_while_the_server_publishes_50_messages_loses_and_doubles_nothing(
        live_server: Callable[[Any], str], pages: Callable[[], Page]) -> None:
    app = create_chat("chat-fifty")
    url = live_server(app)
    direct, away = pages(), pages()
    with CuttableProxy(_port(url)) as proxy, contextlib.closing(away):
        direct.goto(url)
        away.goto(f"http://127.0.0.1:{proxy.port}/")
        _live(direct)
        _live(away)
        proxy.cut()
        expect(away.locator("html")).to_have_attribute("data-live", "offline")
        texts = [f"server {n}" for n in range(50)]
        for n, text in enumerate(texts):                  # from this (another) thread
            app.hub.publish("chat", append("messages", Li(text, id=f"s{n}")))
        expect(direct.locator("#messages > li")).to_have_text(texts)
        away.wait_for_timeout(5000)
        proxy.restore()
        expect(away.locator("#messages > li")).to_have_text(texts, timeout=10_000)
        _live(away)
        away.wait_for_timeout(500)
        assert _messages(away) == texts
        assert _messages(direct) == texts


def _slow_app(name: str, *, seconds: float, **settings: Any) -> App:
    app = App(name, extensions=[LiveSettings(**settings)] if settings else [])
    app.state.seen = []

    def form(title: str = "", body: str = "") -> Any:
        return Form(Input(name="title", id="title", value=title, aria_label="Title"),
                    Input(name="body", id="body", value=body, aria_label="Body"),
                    Button("Save"), id="note", data_live_send=save)

    @app.get("/")
    def index() -> Any:
        return HtmlPage("Slow", P("", id="status"), form(),
                        Div(Input(id="card-title", value="server 0", aria_label="Card"),
                            P("version 0", id="version"), id="card"),
                        app.hub.subscribe("card"))

    @app.websocket("/save")
    async def save(title: str, body: str = "") -> Any:
        await asyncio.sleep(seconds)
        app.state.seen.append(title)
        # The form as the server saw it: an author's usual answer.
        return [replace(P(f"saved {title}", id="status")), replace(form(title, body))]

    return app


def test_a_delayed_reply_keeps_what_the_user_typed_in_the_focused_field(
        live_server: Callable[[Any], str], page: Page) -> None:
    page.goto(live_server(_slow_app("slow-one", seconds=1.5)))
    _live(page)
    title = page.get_by_label("Title")
    title.fill("first")
    title.press("Enter")
    title.press("End")
    title.type(" and more")                                # while the reply is delayed
    expect(page.locator("#status")).to_have_text("saved first", timeout=5000)
    page.wait_for_timeout(200)
    assert title.input_value() == "first and more"
    assert page.evaluate("document.activeElement.id") == "title"


def test_a_delayed_reply_keeps_what_the_user_typed_in_another_field(
        live_server: Callable[[Any], str], page: Page) -> None:
    page.goto(live_server(_slow_app("slow-two", seconds=1.5)))
    _live(page)
    title = page.get_by_label("Title")
    title.fill("draft")
    title.press("Enter")
    title.fill("draft, renamed")                           # newer input ...
    page.get_by_label("Body").click()                      # ... then on to the next field
    page.get_by_label("Body").type("some text")
    expect(page.locator("#status")).to_have_text("saved draft", timeout=5000)
    page.wait_for_timeout(200)
    assert page.get_by_label("Body").input_value() == "some text"
    assert title.input_value() == "draft, renamed"


def test_a_morph_keeps_focus_selection_and_typing(live_server: Callable[[Any], str],
                                                  page: Page) -> None:
    app = _slow_app("slow-morph", seconds=0)
    page.goto(live_server(app))
    _live(page)
    card = page.get_by_label("Card")
    card.fill("mine, typed")
    page.evaluate("document.getElementById('card-title').setSelectionRange(2, 6)")
    for n in (1, 2, 3):
        app.hub.publish("card", replace(Div(
            Input(id="card-title", value=f"server {n}", aria_label="Card"),
            P(f"version {n}", id="version"), id="card")))
    expect(page.locator("#version")).to_have_text("version 3")
    assert card.input_value() == "mine, typed"
    assert page.evaluate("[document.activeElement.id, document.activeElement.selectionStart,"
                         " document.activeElement.selectionEnd]") == ["card-title", 2, 6]


def test_the_reply_to_a_slow_event_survives_a_short_cut(
        live_server: Callable[[Any], str], pages: Callable[[], Page]) -> None:
    app = _slow_app("slow-cut", seconds=3)
    url = live_server(app)
    page = pages()
    with CuttableProxy(_port(url)) as proxy:
        try:
            page.goto(f"http://127.0.0.1:{proxy.port}/")
            _live(page)
            page.get_by_label("Title").fill("patience")
            page.get_by_label("Title").press("Enter")
            page.wait_for_timeout(500)                      # the handler is running
            proxy.cut()
            expect(page.locator("html")).to_have_attribute("data-live", "offline")
            page.wait_for_timeout(500)
            proxy.restore()
            _live(page)
            expect(page.locator("#status")).to_have_text("saved patience", timeout=10_000)
            expect(page.locator("#note")).not_to_have_attribute("aria-busy", "true")
            assert app.state.seen == ["patience"]
        finally:
            page.close()                  # before the proxy's loop stops under its socket


def _restart(url: str, name: str) -> tuple[LoopbackServer, Any]:
    app = create_chat(name)
    server = LoopbackServer(app, port=_port(url), shutdown_timeout=2)
    server.start()
    return server, app


def test_a_server_restart_under_an_open_page_resyncs_without_doubles(
        pages: Callable[[], Page]) -> None:
    first = LoopbackServer(create_chat("chat-restart"), shutdown_timeout=2)
    url = first.start()
    page = pages()
    second = None
    try:
        page.goto(url)
        _live(page)
        _send(page, "before the restart")
        expect(page.locator("#messages > li")).to_have_text(["before the restart"])
        page.get_by_label("Message").fill("a draft")
        first.stop()
        expect(page.locator("html")).not_to_have_attribute("data-live", "live")
        second, app = _restart(url, "chat-restart")
        _live(page, timeout=15_000)
        other = pages()
        other.goto(url)
        _send(other, "after the restart")
        expected = ["before the restart", "after the restart"]
        expect(page.locator("#messages > li")).to_have_text(expected, timeout=10_000)
        page.wait_for_timeout(500)
        assert _messages(page) == expected
    finally:
        first.stop()
        if second is not None:
            second.stop()


def test_a_message_sent_while_the_server_restarts_is_not_lost(
        pages: Callable[[], Page]) -> None:
    first = LoopbackServer(create_chat("chat-restart-away"), shutdown_timeout=2)
    url = first.start()
    page = pages()
    second = None
    try:
        page.goto(url)
        _live(page)
        first.stop()
        expect(page.locator("html")).not_to_have_attribute("data-live", "live")
        _send(page, "typed while the server was away")
        page.wait_for_timeout(500)
        second, app = _restart(url, "chat-restart-away")
        expect(page.locator("#messages > li")).to_have_text(
            ["typed while the server was away"], timeout=10_000)
    finally:
        first.stop()
        if second is not None:
            second.stop()


def test_a_pasted_message_over_the_limit_is_refused_and_the_page_stays_live(
        live_server: Callable[[Any], str], pages: Callable[[], Page]) -> None:
    url = live_server(create_chat("chat-paste"))
    one, two = pages(), pages()
    for page in (one, two):
        page.goto(url)
        _live(page)
    _send(one, "x" * 70_000)                               # over the 64 KiB frame limit
    expect(one.locator(".appkit-notice, [role=alert]").first).to_be_visible()
    _send(two, "still here")
    expect(one.locator("#messages > li")).to_have_text(["still here"], timeout=5000)


def test_a_cut_while_the_server_publishes_300_messages_catches_up(
        live_server: Callable[[Any], str], pages: Callable[[], Page]) -> None:
    app = create_chat("chat-three-hundred")
    url = live_server(app)
    away = pages()
    with CuttableProxy(_port(url)) as proxy, contextlib.closing(away):
        away.goto(f"http://127.0.0.1:{proxy.port}/")
        _live(away)
        proxy.cut()
        expect(away.locator("html")).to_have_attribute("data-live", "offline")
        texts = [f"server {n}" for n in range(300)]
        for n, text in enumerate(texts):
            app.hub.publish("chat", append("messages", Li(text, id=f"s{n}")))
        proxy.restore()
        expect(away.locator("#messages > li")).to_have_count(300, timeout=10_000)
        assert _messages(away) == texts


def test_a_burst_of_300_publishes_reaches_an_open_window(
        live_server: Callable[[Any], str], page: Page) -> None:
    app = App("burst")

    @app.get("/")
    def index() -> Any:
        return HtmlPage("Import", Ul(id="rows"), app.hub.subscribe("rows"),
                        Form(Button("Import"), id="import", data_live_send=run_import))

    @app.websocket("/import")
    async def run_import() -> None:
        for n in range(300):                              # say, rows read from a file
            app.hub.publish("rows", append("rows", Li(f"row {n}", id=f"r{n}")))

    page.goto(live_server(app))
    _live(page)
    page.get_by_role("button", name="Import").click()
    expect(page.locator("#rows > li")).to_have_count(300, timeout=10_000)
