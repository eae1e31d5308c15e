"""The chat example in real Chromium: two windows see each other's messages at once; a
window whose connection is cut for 5 s gets what it missed once, in order, with what the
user was typing untouched; the history survives a reload."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from appkit.testing.proxy import CuttableProxy
from examples.chat.app import create_app

pytestmark = pytest.mark.browser


def _messages(page: Page) -> list[str]:
    return page.locator("#messages > li").all_inner_texts()


def _send(page: Page, text: str) -> None:
    box = page.get_by_label("Message")
    box.fill(text)
    box.press("Enter")


def _live(page: Page) -> None:
    expect(page.locator("html")).to_have_attribute("data-live", "live", timeout=10_000)


def test_a_message_appears_in_every_window(live_server: Callable[[Any], str],
                                           browser: Any) -> None:
    url = live_server(create_app("chat-two"))
    one, two = browser.new_page(), browser.new_page()
    try:
        for page in (one, two):
            page.goto(url)
            _live(page)
        _send(one, "hello from one")
        expect(two.locator("#messages > li")).to_have_text(["hello from one"])
        expect(one.locator("#messages > li")).to_have_text(["hello from one"])
        expect(one.get_by_label("Message")).to_have_value("")   # sent: cleared
        _send(two, "and from two")
        for page in (one, two):
            expect(page.locator("#messages > li")).to_have_text(
                ["hello from one", "and from two"])
        three = browser.new_page()                                # the history is kept
        three.goto(url)
        expect(three.locator("#messages > li")).to_have_text(
            ["hello from one", "and from two"])
        three.close()
    finally:
        one.close()
        two.close()


def test_a_cut_connection_loses_nothing_and_keeps_what_the_user_types(
        live_server: Callable[[Any], str], browser: Any) -> None:
    app = create_app("chat-cut")
    url = live_server(app)
    port = int(url.rstrip("/").rsplit(":", 1)[1])
    sender = browser.new_page()
    with CuttableProxy(port) as proxy:
        watcher = browser.new_page()
        try:
            sender.goto(url)
            watcher.goto(f"http://127.0.0.1:{proxy.port}/")
            _live(sender)
            _live(watcher)
            _send(sender, "before the cut")
            expect(watcher.locator("#messages > li")).to_have_text(["before the cut"])

            box = watcher.get_by_label("Message")
            box.click()
            box.type("a draft")
            proxy.cut()
            expect(watcher.locator("html")).to_have_attribute("data-live", "offline")
            sent_while_away = [f"while away {n}" for n in range(1, 6)]
            for text in sent_while_away:
                _send(sender, text)
            expect(sender.locator("#messages > li")).to_have_count(6)
            watcher.wait_for_timeout(5000)                      # a 5 s cut
            box.type(" and more")
            proxy.restore()

            expected = ["before the cut", *sent_while_away]
            expect(watcher.locator("#messages > li")).to_have_text(expected, timeout=10_000)
            _live(watcher)
            watcher.wait_for_timeout(500)                       # nothing comes twice
            assert _messages(watcher) == expected
            assert box.input_value() == "a draft and more"
            assert watcher.evaluate("document.activeElement.name") == "text"
        finally:
            watcher.close()
            sender.close()


def test_an_event_sent_while_offline_goes_out_once_after_the_reconnect(
        live_server: Callable[[Any], str], browser: Any) -> None:
    app = create_app("chat-offline")
    url = live_server(app)
    port = int(url.rstrip("/").rsplit(":", 1)[1])
    with CuttableProxy(port) as proxy:
        page = browser.new_page()
        try:
            page.goto(f"http://127.0.0.1:{proxy.port}/")
            _live(page)
            proxy.cut()
            expect(page.locator("html")).to_have_attribute("data-live", "offline")
            _send(page, "typed while offline")
            page.wait_for_timeout(1000)
            proxy.restore()
            expect(page.locator("#messages > li")).to_have_text(["typed while offline"],
                                                                timeout=10_000)
            expect(page.get_by_label("Message")).to_have_value("")
            page.wait_for_timeout(500)
            assert _messages(page) == ["typed while offline"]
        finally:
            page.close()


def test_a_bad_message_is_explained_and_nothing_is_sent(
        live_server: Callable[[Any], str], page: Page) -> None:
    page.goto(live_server(create_app("chat-bad")))
    _live(page)
    _send(page, "   ")
    expect(page.locator(".appkit-notice, [role=alert]").first).to_contain_text(
        "Write a message first.")
    assert _messages(page) == []
