"""In a real Chromium: windows of a view opened and closed (each a page load that starts a
view awaiting a click, whose socket the browser closes as it leaves) leave the server as it
was: no view, page, task or topic left behind, each view closed once with its defer run.

The suite opens 100 (about 20 s); ``APPKIT_VIEW_CYCLES=1000`` runs the 1,000 of issue 14
(4.5 minutes on a busy 2-core machine). tests/appkit/live/test_views.py runs 1,000 through
the page protocol in process, with the memory measured."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from appkit import App
from appkit.html import Button, P
from appkit.live import LiveSettings, View

pytestmark = pytest.mark.browser
CYCLES = int(os.environ.get("APPKIT_VIEW_CYCLES", "100"))


def _app(seen: dict[str, int]) -> App:
    app = App("view-cycles", extensions=[LiveSettings(left_grace=0.2)])

    @app.view("/ask")
    async def ask(view: View) -> None:
        seen["started"] += 1
        view.defer(lambda: seen.__setitem__("deferred", seen["deferred"] + 1))
        await view.click(Button("Go"), show=P("Waiting", id="waiting"))
        seen["clicked"] += 1
        view.show(P("Done", id="done"))

    return app


def _until(check: Callable[[], bool], within: float = 30.0) -> None:
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_thousand_windows_of_a_view_opened_and_closed_leave_nothing(
        live_server: Callable[[Any], str], page: Any) -> None:
    seen = {"started": 0, "deferred": 0, "clicked": 0}
    app = _app(seen)
    url = live_server(app) + "ask"
    live = app.extension("live")   # type: ignore[attr-defined]
    window = page
    for n in range(CYCLES):
        # Each load is a new page of the app: the one before is left (its socket closed
        # with 1001 as the browser leaves it), as a window closed and opened again.
        window.goto(url)
        expect(window.locator("html")).to_have_attribute("data-live", "live")
        if n % 100 == 0:
            window.get_by_role("button", name="Go").click()
            expect(window.locator("#done")).to_be_visible()
    window.goto("about:blank")
    _until(lambda: len(app.views) == 0 and len(live.pages) == 0)
    assert seen["started"] == seen["deferred"] == CYCLES
    assert seen["clicked"] == len(range(0, CYCLES, 100))
    assert not [name for name in app.hub.topics if name.startswith("view:")]
    loop = live.hub.broker._loop
    tasks = asyncio.run_coroutine_threadsafe(_tasks(), loop).result(10)
    assert not [t for t in tasks if "_run" in repr(t.get_coro())]


async def _tasks() -> set[asyncio.Task[Any]]:
    return asyncio.all_tasks()
