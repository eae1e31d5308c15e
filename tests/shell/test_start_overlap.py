"""A window starts loading while the server starts (shell.runner._show): the window backend
is given the URL before the app's startup has finished, the page request waits in the
socket's backlog, and ``ready:`` comes once the app answers. When the startup fails, the
window shows the error page and ``run`` returns 1."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from http.cookiejar import CookieJar
from typing import Any

from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

import shell
from shell.backends import WindowHooks, WindowOptions
from tests.shell.localhost import opener


def with_startup(startup: Callable[[], Awaitable[None]], routes: list[Any]) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await startup()
        yield

    return Starlette(routes=routes, lifespan=lifespan)


class FakeWindow:
    """A window backend that loads the page itself (like the webview would)."""

    name = "gtk"

    def __init__(self) -> None:
        self.closed = threading.Event()
        self.pages: list[str] = []
        self.body: bytes | None = None
        self.url = ""

    def check(self) -> None:
        pass

    def run(self, url: str, options: WindowOptions, hooks: WindowHooks) -> None:
        self.url = url
        try:
            with opener(CookieJar()).open(url, timeout=20) as response:
                self.body = response.read()
        except OSError:
            pass  # the server never answered (its startup failed)
        self.closed.wait(20)

    def close(self) -> None:
        self.closed.set()

    def bring_to_front(self) -> None:
        pass

    def show_html(self, html: str) -> None:
        self.pages.append(html)
        self.closed.set()


def test_the_window_loads_while_the_app_starts_and_ready_comes_after() -> None:
    events: list[str] = []
    release = threading.Event()
    window = FakeWindow()

    async def startup() -> None:
        events.append("startup begins")
        while not release.is_set():  # the app's startup is slow...
            await asyncio.sleep(0.01)
        events.append("startup ends")

    async def index(request: object) -> PlainTextResponse:
        events.append("page served")
        return PlainTextResponse("hello")

    app = with_startup(startup, [Route("/", index)])
    original_run = window.run

    def run(url: str, options: WindowOptions, hooks: WindowHooks) -> None:
        events.append("window created")
        release.set()  # ... and ends only once the window exists
        original_run(url, options, hooks)

    window.run = run  # type: ignore[method-assign]
    lines: list[str] = []

    def announce(line: str) -> None:
        lines.append(line)
        if line.startswith("ready: "):
            events.append("ready")
            threading.Timer(0.5, window.close).start()

    code = shell.run(app, title="Overlap", app_id="overlap-test", backend=window,
                     announce=announce, argv=["x"])
    assert code == 0
    assert window.body == b"hello"
    assert events.index("window created") < events.index("startup ends")
    assert events.index("startup ends") < events.index("page served")
    assert events.index("startup ends") < events.index("ready")
    assert lines[-1].startswith("ready: http://127.0.0.1:")


def test_a_failed_startup_shows_the_error_page_and_returns_1(
        error_logs: list[logging.LogRecord]) -> None:
    async def startup() -> None:
        raise RuntimeError("no database")

    app = with_startup(startup, [])
    window = FakeWindow()
    lines: list[str] = []
    code = shell.run(app, title="Broken", app_id="overlap-broken", backend=window,
                     announce=lines.append, argv=["x"])
    assert code == 1
    assert not any(line.startswith("ready:") for line in lines)
    (page,) = window.pages
    assert "The app stopped working" in page and "app.log" in page
    assert any("did not start" in r.getMessage() for r in error_logs)
