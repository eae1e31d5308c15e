"""Server-sent events in a real Chromium: htmx's sse extension swaps what an EventStream
sends, and the stream's generator is cancelled when the page goes away."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from appkit import App, Event, EventStream
from appkit.html import Div, P, Span
from appkit.html import Page as HtmlPage

pytestmark = pytest.mark.browser

TICKS = 20
INTERVAL = 0.1
TIMEOUT = 10.0

# Records every text the ticker showed (a tick lasts 0.1 s, shorter than expect()'s polling
# interval can promise to catch), installed before the page's own scripts run.
RECORD_TICKS = """
window.__seen = [];
document.addEventListener("DOMContentLoaded", () => {
  const ticker = document.getElementById("ticker");
  new MutationObserver(() => {
    const text = ticker.textContent;
    if (window.__seen[window.__seen.length - 1] !== text) window.__seen.push(text);
  }).observe(ticker, {childList: true, subtree: true, characterData: true});
});
"""


class StreamLog:
    """What the server-side generators did, shared with the test thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.started = 0
        self.finished = 0
        self.all_finished = threading.Event()
        self.first_started = threading.Event()

    def start(self) -> None:
        with self.lock:
            self.started += 1
            self.all_finished.clear()
        self.first_started.set()

    def finish(self) -> None:
        with self.lock:
            self.finished += 1
            if self.finished == self.started:
                self.all_finished.set()


def ticker_app(log: StreamLog, *, endless: bool) -> App:
    """A page with an SSE-driven ticker; ``endless`` streams until the client leaves,
    otherwise it sends TICKS ticks and then tells the page to close the stream."""
    app = App("sse-test")

    @app.get("/")
    def index():
        return HtmlPage(
            "Ticks",
            Div(Span("waiting", id="t"), id="ticker", hx_ext="sse", sse_connect=stream,
                sse_swap="tick", sse_close="done"),
        )

    @app.get("/elsewhere")
    def elsewhere():
        return HtmlPage("Elsewhere", P("No stream here."))

    @app.get("/ticks")
    async def stream():
        async def ticks():
            log.start()
            try:
                i = 0
                while endless or i < TICKS:
                    i += 1
                    yield Event(Span(f"tick {i}", id="t"), event="tick")
                    await asyncio.sleep(INTERVAL)
                yield Event("bye", event="done")
            finally:
                log.finish()

        return EventStream(ticks())

    return app


def _open(page: Page, url: str) -> None:
    """Load the ticker page and check its event stream was answered as one."""
    with page.expect_response(lambda r: urlsplit(r.url).path == "/ticks") as info:
        page.goto(url)
    stream = info.value
    assert stream.status == 200, f"the event stream answered {stream.status}"
    content_type = stream.headers.get("content-type", "")
    assert content_type.startswith("text/event-stream"), content_type


def _tick_number(text: str) -> int:
    match = re.fullmatch(r"tick (\d+)", text)
    assert match, f"unexpected ticker text {text!r}"
    return int(match.group(1))


def test_sse_swaps_each_event_into_the_page(live_server: Callable[[Any], str],
                                            page: Page) -> None:
    log = StreamLog()
    url = live_server(ticker_app(log, endless=False))
    page.add_init_script(RECORD_TICKS)
    _open(page, url)
    page.evaluate("window.__marker = 42")
    ticker = page.locator("#ticker #t")

    expect(ticker).to_have_text(re.compile(r"^tick ([3-9]|\d\d)$"))  # at least tick 3
    expect(ticker).to_have_text(re.compile(r"^tick ([6-9]|\d\d)$"))  # then at least tick 6
    expect(ticker).to_have_text(f"tick {TICKS}")  # the last one stays: sse-close="done"
    assert log.all_finished.wait(TIMEOUT), "the finite generator never finished"

    seen = [_tick_number(text) for text in page.evaluate("window.__seen")]
    assert seen == sorted(seen), f"ticks out of order: {seen}"
    assert len(set(seen)) >= 5, f"too few distinct ticks reached the page: {seen}"
    assert {3, 6, TICKS} <= set(seen), seen
    assert page.evaluate("window.__marker") == 42, "the page was reloaded"
    assert log.started == 1, f"the stream was opened {log.started} times"


@pytest.mark.parametrize("leave", ["navigate", "close"])
def test_sse_generator_is_cancelled_when_the_page_goes(
        live_server: Callable[[Any], str], page: Page, leave: str) -> None:
    log = StreamLog()
    url = live_server(ticker_app(log, endless=True))
    _open(page, url)
    page.evaluate("window.__marker = 42")
    expect(page.locator("#ticker #t")).to_have_text(re.compile(r"^tick ([2-9]|\d\d+)$"))
    assert page.evaluate("window.__marker") == 42
    assert log.first_started.is_set() and log.finished == 0

    if leave == "navigate":
        page.goto(url + "elsewhere")
        expect(page.get_by_text("No stream here.")).to_be_visible()
    else:
        page.close()

    assert log.all_finished.wait(TIMEOUT), (
        f"the endless generator's finally did not run within {TIMEOUT:g} s of the page "
        f"going ({log.started} started, {log.finished} finished)")
