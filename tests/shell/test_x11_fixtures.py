"""The window-test fixtures and the system setup work, for both Linux backends: a plain
pywebview window (no appkit) opens on the session's Xvfb, shows its page, and closes
cleanly when sent WM_DELETE_WINDOW as a window manager's close button does."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.conftest import missing_dependency
from tests.shell.x11 import close_window, find_window, screenshot, window_geometry

pytestmark = pytest.mark.window

TITLE = "fixture-check"
BACKEND_MISSING = 3  # the child's exit status when the backend's modules do not import

CHILD = textwrap.dedent(
    """
    import sys

    gui, title, backend_missing = sys.argv[1], sys.argv[2], int(sys.argv[3])
    try:
        if gui == "gtk":
            import gi

            gi.require_version("Gtk", "3.0")
            gi.require_version("WebKit2", "4.1")
            from gi.repository import Gtk, WebKit2  # noqa: F401
        else:
            from PyQt6 import QtWebEngineWidgets  # noqa: F401
        import webview
    except (ImportError, ValueError) as error:
        print(f"backend {gui} unavailable: {error!r}", file=sys.stderr)
        sys.exit(backend_missing)

    HTML = (
        "<!doctype html><html style='margin:0;height:100%;background:#ff0000'>"
        "<body style='margin:0;height:100%;background:#ff0000'></body></html>"
    )
    webview.create_window(title, html=HTML)
    webview.start(gui=gui)
    # pywebview falls back to the other backend silently: say which one ran.
    print("backend:", sys.modules["webview.guilib"].guilib.__name__, flush=True)
    """
)


def _wait_for_window(child: subprocess.Popen[bytes], display: str, timeout: float) -> bool:
    """Wait for the child's window, giving up early if the child exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if find_window(display, TITLE, timeout=0.5):
            return True
        if child.poll() is not None:
            return False
    return False


def _is_red(pixel: tuple[int, ...]) -> bool:
    red, green, blue = pixel[:3]
    return red > 200 and green < 60 and blue < 60


@pytest.mark.parametrize("gui", ["gtk", "qt"])
def test_a_plain_window_opens_renders_and_closes_like_under_a_window_manager(
    gui: str, xvfb: str, gui_env: dict[str, str], tmp_path: Path
) -> None:
    log_path = tmp_path / "child.log"
    with log_path.open("wb") as log:
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, gui, TITLE, str(BACKEND_MISSING)],
            env=gui_env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def output() -> str:
        return log_path.read_text(errors="replace")

    try:
        if not _wait_for_window(child, xvfb, timeout=30.0):
            if child.poll() == BACKEND_MISSING:
                missing_dependency(
                    f"pywebview's {gui} backend does not import; run: bash "
                    f'scripts/system-deps.sh && .venv/bin/pip install -e ".[dev]"\n{output()}'
                )
            pytest.fail(f"no window titled {TITLE!r} within 30 s; child output:\n{output()}")

        geometry = window_geometry(xvfb, TITLE)
        assert geometry is not None
        x, y, width, height = geometry
        center = (x + width // 2, y + height // 2)
        deadline = time.monotonic() + 20.0
        pixel: tuple[int, ...] = (0, 0, 0)
        while time.monotonic() < deadline:
            found = screenshot(xvfb).getpixel(center)
            assert isinstance(found, tuple)
            pixel = found
            if _is_red(pixel):
                break
            time.sleep(0.1)
        assert _is_red(pixel), f"pixel at {center} is {pixel}, not the page's red"

        assert close_window(xvfb, TITLE)
        try:
            status = child.wait(timeout=10.0)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the child did not exit within 10 s of WM_DELETE_WINDOW:\n{output()}")
        assert status == 0, output()
        assert f"backend: webview.platforms.{gui}" in output(), output()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
