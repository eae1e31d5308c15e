"""Layer 3, features of the real window: its size is remembered between launches, and links
that leave the app go to the system browser while the window stays on the app.

The window runs in ``window_script.py`` (a child process) under the session's Xvfb.
"""

from __future__ import annotations

import json
import stat
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.shell.test_window import DEADLINE, wait_exit, window_process
from tests.shell.x11 import close_window, window_geometry

pytestmark = pytest.mark.window

TODO_ID = "todo-window-test"


def test_the_window_size_is_remembered(gui: str, xvfb: str,
                                       gui_env: dict[str, str]) -> None:
    with window_process(gui, "resize", gui_env) as child:
        child.expect("dom: ")
        child.expect("resized")
        geometry = window_geometry(xvfb, "Todo")
        assert geometry is not None and geometry[2:] == (700, 500), geometry
        assert close_window(xvfb, "Todo")
        assert wait_exit(child, DEADLINE) == 0

    state_file = Path(gui_env["XDG_CONFIG_HOME"]) / TODO_ID / "window.json"
    assert state_file.is_file(), "closing the window did not save its state"
    assert stat.S_IMODE(state_file.stat().st_mode) == 0o600
    state = json.loads(state_file.read_text(encoding="utf-8"))
    assert (state["width"], state["height"]) == (700, 500), state
    assert state["maximized"] is False

    with window_process(gui, "plain", gui_env) as child:
        child.expect("dom: ")
        geometry = window_geometry(xvfb, "Todo")
        assert geometry is not None
        width, height = geometry[2:]
        assert abs(width - 700) <= 2 and abs(height - 500) <= 2, geometry
        assert close_window(xvfb, "Todo")
        assert wait_exit(child, DEADLINE) == 0


def test_external_and_blank_links_open_in_the_browser(gui: str, xvfb: str,
                                                      gui_env: dict[str, str],
                                                      tmp_path: Path) -> None:
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "fake-browser"
    browser.write_text(f'#!/bin/sh\necho "$1" >> "{opened}"\n', encoding="utf-8")
    browser.chmod(0o755)
    env = {**gui_env, "BROWSER": str(browser)}

    with window_process(gui, "links", env) as child:
        ready = child.expect("ready: http://127.0.0.1:").removeprefix("ready: ")
        port = urlsplit(ready).port
        assert child.expect("dom: ") == 'dom: "Links"'
        location = json.loads(child.expect("location: ").removeprefix("location: "))
        child.expect("clicked")
        # The window is on the launch's secret name (see docs/shell.md), same port.
        parts = urlsplit(location)
        assert (parts.hostname or "").endswith(".localhost") and parts.port == port, location
        app_url = f"http://{parts.netloc}/"
        assert location == app_url, "a link navigated the app's window away"
        deadline = time.monotonic() + 10
        wanted = {"http://example.invalid/x", f"{app_url}same"}
        lines: list[str] = []
        while time.monotonic() < deadline:
            lines = opened.read_text().splitlines() if opened.exists() else []
            if wanted <= set(lines):
                break
            time.sleep(0.1)
        assert set(lines) == wanted, f"the browser was asked to open {lines}"
        time.sleep(0.5)  # a second, duplicate open would have arrived by now
        lines = opened.read_text().splitlines()
        assert sorted(lines) == sorted(wanted), f"each link must open once: {lines}"
        assert close_window(xvfb, "Links")
        assert wait_exit(child, DEADLINE) == 0
