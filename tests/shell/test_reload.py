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


@contextmanager
def dev_run(app_file: Path, *args: str, env: dict[str, str] | None = None
            ) -> Iterator[tuple[subprocess.Popen[str], Lines]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "appkit.cli", "run", str(app_file), *args], cwd=ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env,
        start_new_session=True)
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


def test_a_server_that_dies_is_reported_and_the_next_save_restarts_it(tmp_path: Path) -> None:
    import urllib.request

    app_file = tmp_path / "app.py"
    write_app(app_file, "alive", "white")
    with dev_run(app_file, "--headless") as (proc, lines):
        url = lines.expect("ready: ").split(" ", 1)[1]
        children = [int(p) for p in subprocess.run(
            ["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()]
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
