"""The loopback guard in a real Chromium, with the app in browser mode (``appkit run
--browser``) and a second, plain HTTP server on 127.0.0.1 that stands for any other local
server (another user's, another app's): it records every Cookie header it gets.

- The launch cookie never reaches the other server, at any name the browser can give it
  (127.0.0.1, localhost), even after the app was opened in the same browser: the browser
  opens the app on a secret ``<label>.localhost`` name and the cookie is host-only there.
- The app still works there: its page, and an htmx POST with the CSRF token.
- A page of the other server cannot frame the app (X-Frame-Options, CSP frame-ancestors).
- The app's pages (htmx, its extensions, appkit.js, Pico) run under the guard's default
  Content-Security-Policy without a single violation in the console.

The system browser is a stub named by ``BROWSER`` that records the address it was given;
the test's Chromium then opens that address, as the user's browser would.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.shell.launch import AppProcess

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]


class OtherServer(ThreadingHTTPServer):
    """A plain server on 127.0.0.1 that records what it is sent and serves two pages:
    ``/`` and ``/frame?src=<url>`` (a page that frames ``src``)."""

    daemon_threads = True

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, str]] = []  # (Host, path, Cookie)
        super().__init__(("127.0.0.1", 0), _OtherHandler)
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def close(self) -> None:
        self.shutdown()
        self.server_close()


class _OtherHandler(BaseHTTPRequestHandler):
    server: OtherServer

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self.server.seen.append((self.headers.get("Host", ""), self.path,
                                 self.headers.get("Cookie", "")))
        if self.path.startswith("/frame?src="):
            src = self.path.removeprefix("/frame?src=")
            body = (f'<!doctype html><title>framer</title><iframe id="app" src="{src}" '
                    'width="600" height="400"></iframe>').encode()
        else:
            body = b"<!doctype html><title>other</title><p id=other>another local server</p>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def other() -> Iterator[OtherServer]:
    server = OtherServer()
    yield server
    server.close()


@pytest.fixture(params=["--no-reload", "development loop"])
def opened_app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """``appkit run examples/todo --browser``: (the ready line's URL, the URL the browser
    was given)."""
    record = tmp_path / "opened.txt"
    browser = tmp_path / "fake-browser"
    browser.write_text(f'#!/bin/sh\necho "$1" >> "{record}"\n', encoding="utf-8")
    browser.chmod(0o755)
    options = ["--no-reload"] if request.param == "--no-reload" else []
    command = [sys.executable, "-m", "appkit.cli", "run", "examples/todo", "--browser",
               *options]
    # Browser mode wants a display to exist (a real browser would show its window there);
    # the stub and the test's headless Chromium need none.
    env = {**os.environ, "BROWSER": str(browser), "DISPLAY": os.environ.get("DISPLAY", ":0"),
           "PYTHONPATH": str(ROOT)}
    process = AppProcess(command, env, ROOT, tmp_path / "stderr.log")
    try:
        ready = process.ready()
        deadline = time.monotonic() + 30
        while not (record.exists() and record.read_text().strip()):
            assert time.monotonic() < deadline, "the browser was never opened"
            time.sleep(0.05)
        yield ready, record.read_text().strip()
    finally:
        process.kill()


@pytest.fixture
def chromium_page(browser: Any) -> Iterator[tuple[Page, list[str]]]:
    """A fresh context (its own cookie jar) whose pages reach loopback names only
    (``*.localhost`` included); the console's errors and warnings are collected."""
    context = browser.new_context()
    blocked: list[str] = []

    def only_loopback(route: Any) -> None:
        host = urlsplit(route.request.url).hostname or ""
        if host in ("127.0.0.1", "localhost") or host.endswith(".localhost"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", only_loopback)
    page = context.new_page()
    page.set_default_timeout(10_000)
    console: list[str] = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}")
            if message.type in ("error", "warning") else None)
    page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))
    yield page, console
    context.close()
    assert not blocked, f"The page tried to reach the network: {blocked}"


def sign_in_and_use(page: Page, console: list[str], opened: str, ready: str) -> str:
    """Open the app as the browser was told to, add a todo through htmx; the app's origin."""
    page.goto(opened)
    origin = f"http://{urlsplit(page.url).netloc}"
    assert page.url == f"{origin}/", "the token was not swapped for a cookie"
    secret = urlsplit(origin).hostname or ""
    assert secret.endswith(".localhost") and len(secret.split(".")[0]) == 32, origin
    assert urlsplit(origin).port == urlsplit(ready).port
    page.get_by_label("New todo").fill("Stay on loopback")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="Add").click()
    assert posted.value.status == 200, "the htmx POST (with its CSRF token) was refused"
    expect(page.locator("#todo-list")).to_contain_text("Stay on loopback")
    cookies = page.context.cookies()
    launch = [c for c in cookies if c["name"].startswith("appkit-token")]
    assert [(c["domain"], c["httpOnly"], c["sameSite"]) for c in launch] == [
        (secret, True, "Strict")], cookies
    return origin


@pytest.mark.parametrize("address", ["the browser's", "the ready line's"])
def test_the_launch_cookie_never_reaches_another_local_server(
        opened_app: tuple[str, str], chromium_page: tuple[Page, list[str]],
        other: OtherServer, address: str) -> None:
    ready, opened = opened_app
    page, console = chromium_page
    # The ready line's address (127.0.0.1) is what a user may paste into the browser.
    origin = sign_in_and_use(page, console, opened if address == "the browser's" else ready,
                             ready)

    for name in ("127.0.0.1", "localhost"):
        page.goto(f"http://{name}:{other.port}/")
        expect(page.locator("#other")).to_be_visible()
    # Even the app's own port under the shared names: the cookie is not there either.
    app_port = urlsplit(origin).port
    page.goto(f"http://127.0.0.1:{app_port}/")
    expect(page.get_by_role("heading")).to_have_text("Open this app from its window")

    assert [host for host, _, _ in other.seen] == [f"127.0.0.1:{other.port}",
                                                   f"localhost:{other.port}"]
    leaked = [seen for seen in other.seen if "appkit-token" in seen[2]]
    assert leaked == [], "the launch cookie reached another local server"
    # And the app keeps working in that browser.
    page.goto(f"{origin}/")
    expect(page.locator("#todo-list")).to_contain_text("Stay on loopback")
    csp = [line for line in console if "Content Security Policy" in line]
    assert csp == [], csp


def test_another_local_page_cannot_frame_the_app(
        opened_app: tuple[str, str], chromium_page: tuple[Page, list[str]],
        other: OtherServer) -> None:
    ready, opened = opened_app
    page, console = chromium_page
    origin = sign_in_and_use(page, console, opened, ready)
    app_port = urlsplit(origin).port

    # The framer even knows the secret name; and the app's port on 127.0.0.1.
    for src in (f"{origin}/", f"http://127.0.0.1:{app_port}/"):
        console.clear()
        page.goto(f"http://127.0.0.1:{other.port}/frame?src={src}")
        page.wait_for_load_state("load")
        # Chromium says why it refused the frame, and shows its own error page in it.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not refusals(console):
            page.wait_for_timeout(50)
        assert refusals(console), f"no refusal of the frame: {console}"
        shown = [f.url for f in page.frames if f.url.startswith(src)]
        assert shown == [], f"the app was shown in another site's frame: {shown}"


def refusals(console: list[str]) -> list[str]:
    return [line for line in console if "frame-ancestors" in line
            or "X-Frame-Options" in line]


def test_the_apps_pages_raise_no_content_security_policy_violation(
        opened_app: tuple[str, str], chromium_page: tuple[Page, list[str]]) -> None:
    ready, opened = opened_app
    page, console = chromium_page
    origin = sign_in_and_use(page, console, opened, ready)
    page.goto(f"{origin}/")
    page.wait_for_load_state("networkidle")
    expect(page.locator("#todo-list")).to_contain_text("Stay on loopback")
    policy = page.evaluate("""async () => (await fetch("/")).headers.get(
        "content-security-policy")""")
    assert policy is not None and "script-src 'self'" in policy
    assert page.evaluate("typeof htmx") == "object", "htmx did not run"
    assert console == [], console


def test_the_jobs_dashboard_runs_under_the_default_policy(
        tmp_path: Path, chromium_page: tuple[Page, list[str]]) -> None:
    """The run page follows its log (appkit/static/jobs.js, no eval): the default policy,
    which refuses eval, raises no violation while log lines arrive."""
    page, console = chromium_page
    process = AppProcess([sys.executable, "-m", "appkit.cli", "run", "examples/jobs",
                          "--headless", "--no-reload"], {**os.environ, "PYTHONPATH": str(ROOT)},
                         ROOT, tmp_path / "stderr.log")
    try:
        page.goto(process.ready())  # the ready line's URL: redirected to the secret name
        assert (urlsplit(page.url).hostname or "").endswith(".localhost"), page.url
        page.get_by_role("button", name="Import sales.csv and build the report").click()
        page.wait_for_url("**/jobs/runs/*")
        expect(page.locator("#jobs-log")).to_contain_text("rows read", timeout=15_000)
        expect(page.locator("#jobs-run-state")).to_contain_text("completed", timeout=30_000)
    finally:
        process.kill()
    violations = [line for line in console if "Content Security Policy" in line
                  or line.startswith("pageerror")]
    assert violations == [], violations
