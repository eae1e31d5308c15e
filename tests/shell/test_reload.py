"""The development loop: edit the app's file while it runs; the page shows the change
without a new window (and the URL, token and instance stay the same)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.shell.lines import Lines
from tests.shell.localhost import allow_localhost_names

ROOT = Path(__file__).resolve().parents[2]

APP = '''
from appkit import App
from appkit.html import P, Page, Style

app = App("reload-test")


@app.get("/")
def index():
    return Page("Reload", P("{text}", id="text"),
                Style(":root, body {{ background: {colour} !important; }}"))
'''


def write_app(path: Path, text: str, colour: str) -> None:
    path.write_text(textwrap.dedent(APP.format(text=text, colour=colour)))


# A page with an event stream of the app's own, open for as long as the page is.
STREAM_APP = '''
import asyncio

from appkit import App, Event, EventStream
from appkit.html import Div, P, Page, Span

app = App("reload-stream-test")


@app.get("/")
def index():
    return Page("Reload", P("{text}", id="text"),
                Div(Span("waiting"), id="ticker", hx_ext="sse", sse_connect=ticks,
                    sse_swap="tick"))


@app.get("/ticks")
def ticks():
    async def events():
        n = 0
        while True:
            n += 1
            yield Event(f"tick {{n}}", event="tick")
            await asyncio.sleep(60)

    return EventStream(events())
'''


@contextmanager
def dev_run(app_file: Path, *args: str, env: dict[str, str] | None = None,
            stderr: Path | None = None) -> Iterator[tuple[subprocess.Popen[str], Lines]]:
    """``appkit run app_file *args``; its stderr goes to the file ``stderr`` (if given)."""
    err = open(stderr, "w") if stderr is not None else subprocess.DEVNULL  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "appkit.cli", "run", str(app_file), *args], cwd=ROOT,
        stdout=subprocess.PIPE, stderr=err, text=True, env=env,
        start_new_session=True)
    if stderr is not None:
        err.close()  # type: ignore[union-attr]  # the child has its own copy
    assert proc.stdout is not None
    try:
        yield proc, Lines(proc.stdout)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        proc.stdout.close()


@pytest.mark.browser
def test_the_page_reloads_itself_with_the_new_code(tmp_path: Path, page: Any) -> None:
    from playwright.sync_api import expect

    app_file = tmp_path / "app.py"
    write_app(app_file, "version one", "white")
    with dev_run(app_file, "--headless") as (proc, lines):
        url = lines.expect("ready: ").split(" ", 1)[1]
        allow_localhost_names(page)
        page.goto(url)
        expect(page.locator("#text")).to_have_text("version one")
        first = page.url  # on the launch's secret name (see docs/shell.md)
        page.evaluate("window.__marker = 1")
        write_app(app_file, "version two", "white")
        lines.expect("reloading: app.py")
        expect(page.locator("#text")).to_have_text("version two", timeout=15_000)
        assert page.evaluate("window.__marker") is None, "the page was not reloaded"
        assert page.url == first, "the address changed"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0


@pytest.mark.browser
def test_a_broken_edit_keeps_the_loop_alive_and_a_fix_recovers(tmp_path: Path,
                                                              page: Any) -> None:
    from playwright.sync_api import expect

    app_file = tmp_path / "app.py"
    write_app(app_file, "good", "white")
    with dev_run(app_file, "--headless") as (proc, lines):
        url = lines.expect("ready: ").split(" ", 1)[1]
        allow_localhost_names(page)
        page.goto(url)
        expect(page.locator("#text")).to_have_text("good")
        app_file.write_text("this is not python\n")
        lines.expect("reload failed")
        assert proc.poll() is None, "a broken edit ended the development loop"
        write_app(app_file, "fixed", "white")
        lines.expect("reloading: app.py")
        expect(page.locator("#text")).to_have_text("fixed", timeout=15_000)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0


@pytest.mark.window
def test_the_window_shows_the_change_without_a_new_window(tmp_path: Path, xvfb: str,
                                                          gui_env: dict[str, str]) -> None:
    from tests.shell.x11 import screenshot, window_geometry, window_titles

    app_file = tmp_path / "app.py"
    write_app(app_file, "red", "#ff0000")
    with dev_run(app_file, "--backend", "gtk", env=gui_env) as (proc, lines):
        lines.expect("ready: ")
        geometry = window_geometry(xvfb, "reload-test", timeout=20)
        assert geometry is not None
        x, y, width, height = geometry
        centre = (x + width // 2, y + height // 2)
        deadline = time.monotonic() + 20
        while screenshot(xvfb).getpixel(centre)[:3] != (255, 0, 0):
            assert time.monotonic() < deadline, "the page never showed"
            time.sleep(0.2)
        write_app(app_file, "blue", "#0000ff")
        lines.expect("reloading: app.py")
        deadline = time.monotonic() + 20
        while screenshot(xvfb).getpixel(centre)[:3] != (0, 0, 255):
            assert time.monotonic() < deadline, "the window did not show the change"
            time.sleep(0.2)
        assert window_titles(xvfb).count("reload-test") == 1, "a second window opened"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0


# Two pages: the start page (green) goes on to /inner (coloured) the first time only.
TWO_PAGES = '''
from appkit import App
from appkit.html import P, Page, Script, Style

app = App("reload-test")


@app.get("/")
def index():
    return Page("Start", P("start"), Script(src=app.static_url("once.js")),
                Style(":root, body {{ background: #00ff00 !important; }}"))


@app.get("/inner")
def inner():
    return Page("Inner", P("inner"),
                Style(":root, body {{ background: {colour} !important; }}"))
'''


@pytest.mark.window
def test_the_window_comes_back_to_the_app_when_a_broken_edit_is_fixed(
        tmp_path: Path, xvfb: str, gui_env: dict[str, str], gui: str) -> None:
    # The error page replaces the app's page in the window, and has no script of its own
    # that could notice the server coming back: the loop brings the window back to the
    # page it showed (here /inner, not the start page).
    from tests.shell.x11 import screenshot, window_geometry

    app_file = tmp_path / "app.py"
    app_file.write_text(textwrap.dedent(TWO_PAGES.format(colour="#ff0000")))
    # A file of the static folder: the guard's default policy refuses inline scripts.
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "once.js").write_text(
        "if (!sessionStorage.getItem('went')) { sessionStorage.setItem('went', '1'); "
        "location.href = '/inner'; }")
    with dev_run(app_file, "--backend", gui, env=gui_env) as (proc, lines):
        lines.expect("ready: ")
        geometry = window_geometry(xvfb, "reload-test", timeout=20)
        assert geometry is not None
        x, y, width, height = geometry
        centre = (x + width // 2, y + height // 2)

        def wait_for(colour: tuple[int, int, int] | None, what: str) -> None:
            deadline = time.monotonic() + 20
            while True:
                pixel = screenshot(xvfb).getpixel(centre)[:3]
                if (pixel == colour) if colour is not None else (pixel != (255, 0, 0)):
                    return
                assert time.monotonic() < deadline, what
                time.sleep(0.2)

        wait_for((255, 0, 0), "the page never showed")
        app_file.write_text("from appkit import App\napp = App('reload-test')\nif x = 3:\n")
        lines.expect("reload failed")
        wait_for(None, "the error page never showed")
        app_file.write_text(textwrap.dedent(TWO_PAGES.format(colour="#0000ff")))
        lines.expect("reloading: app.py")
        wait_for((0, 0, 255), "the window did not come back to the page it showed")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0


def server_pids(proc: subprocess.Popen[str]) -> list[int]:
    """The development loop's server processes (its children)."""
    return [int(p) for p in subprocess.run(
        ["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()]


def pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.browser
def test_a_reload_with_a_page_open_stops_the_old_server_at_once(tmp_path: Path,
                                                                page: Any) -> None:
    # The page's own reload stream (server-sent events) used to hold the old server until
    # uvicorn's graceful-shutdown timeout: ~5 s per reload, and an ERROR with a traceback.
    from playwright.sync_api import expect

    # And so did the app's own streams (here one that sends a tick a minute).
    app_file = tmp_path / "app.py"
    err = tmp_path / "stderr.txt"
    app_file.write_text(textwrap.dedent(STREAM_APP.format(text="first")))
    with dev_run(app_file, "--headless", stderr=err) as (proc, lines):
        url = lines.expect("ready: ").split(" ", 1)[1]
        # The page is connected to the reload stream before the change.
        with page.expect_request(lambda request: "/_shell/reload" in request.url):
            page.goto(url)
        expect(page.locator("#text")).to_have_text("first")
        expect(page.locator("#ticker")).to_have_text("tick 1")
        (old,) = server_pids(proc)
        for round_ in range(2):
            app_file.write_text(textwrap.dedent(STREAM_APP.format(text=f"edit {round_}")))
            lines.expect("reloading: app.py")
            expect(page.locator("#text")).to_have_text(f"edit {round_}", timeout=15_000)
            expect(page.locator("#ticker")).to_have_text("tick 1")
        assert not pid_exists(old), "the old server is still running"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0
    log = err.read_text()
    assert "timeout graceful shutdown exceeded" not in log, log
    assert "CancelledError" not in log, log
    assert "ERROR" not in log, log
    assert "did not stop within" not in log, log


def test_a_syntax_error_names_the_apps_line_with_a_caret_and_says_save_again(
        tmp_path: Path) -> None:
    app_file = tmp_path / "app.py"
    err = tmp_path / "stderr.txt"
    write_app(app_file, "good", "white")
    with dev_run(app_file, "--headless", stderr=err) as (proc, lines):
        lines.expect("ready: ")
        time.sleep(2)  # the watcher starts after the ready line: give it time to look
        app_file.write_text("from appkit import App\napp = App('x')\nif x = 3:\n    pass\n")
        lines.expect("reload failed")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0
    log = err.read_text()
    assert f"at {app_file}, line 3:\n    if x = 3:\n       ^^^^^\n" in log, log
    assert "loader.py" not in log, log
    assert "save the file: the app restarts by itself" in log, log
    assert "run the command again" not in log, log


def test_a_syntax_error_at_the_first_start_says_run_again(tmp_path: Path) -> None:
    app_file = tmp_path / "app.py"
    app_file.write_text("from appkit import App\napp = App(\n")
    result = subprocess.run(
        [sys.executable, "-m", "appkit.cli", "run", str(app_file), "--headless"], cwd=ROOT,
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result
    assert f"at {app_file}, line 2:\n    app = App(\n             ^\n" in result.stderr
    assert "run the command again" in result.stderr, result.stderr


def test_a_server_that_dies_is_reported_and_the_next_save_restarts_it(tmp_path: Path) -> None:
    import urllib.request

    app_file = tmp_path / "app.py"
    write_app(app_file, "alive", "white")
    with dev_run(app_file, "--headless") as (proc, lines):
        url = lines.expect("ready: ").split(" ", 1)[1]
        children = server_pids(proc)
        assert len(children) == 1, children
        os.kill(children[0], signal.SIGKILL)
        lines.expect("server stopped (exit code -9)")
        assert proc.poll() is None, "the development loop ended with its server"
        write_app(app_file, "back again", "white")
        lines.expect("reloading: app.py")
        base, token = url.split("?appkit-token=")
        request = urllib.request.Request(base, headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert "back again" in response.read().decode()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0
