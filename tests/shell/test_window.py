"""Layer 3: the todo example in a real pywebview window under Xvfb.

The page is read through the backend (the DOM, via evaluate_js) and seen on the screen (a
screenshot); closing the window as a window manager would (WM_DELETE_WINDOW) ends the
process with 0 within the shutdown deadline, and nothing it started keeps running.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.shell.lines import Lines
from tests.shell.x11 import close_window, find_window, screenshot, wait_window_gone

pytestmark = pytest.mark.window

SCRIPT = Path(__file__).with_name("window_script.py")
TITLE = "Todo"
DEADLINE = 5.0 + 5.0  # the shutdown deadline plus the GUI's own teardown


class Child:
    """The window process, with its stdout read line by line in the background."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        assert proc.stdout is not None
        self.lines = Lines(proc.stdout, lambda: f"stderr: {self.stderr()}")

    @property
    def seen(self) -> list[str]:
        return self.lines.seen

    def expect(self, prefix: str, timeout: float = 30.0) -> str:
        return self.lines.expect(prefix, timeout)

    def stderr(self) -> str:
        return self.proc.stderr.read() if self.proc.poll() is not None and self.proc.stderr \
            else "(still running)"


@contextmanager
def window_process(gui: str, mode: str, env: dict[str, str]) -> Iterator[Child]:
    proc = subprocess.Popen([sys.executable, str(SCRIPT), gui, mode], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        yield Child(proc)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def group_is_gone(pgid: int, timeout: float = 5.0) -> bool:
    """True once no process of the group is left (WebKit's helpers included)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def wait_exit(child: Child, timeout: float) -> int:
    try:
        return child.proc.wait(timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the window process did not exit within {timeout} s; output: "
                    f"{child.seen}")


def test_the_page_shows_and_closing_the_window_exits_0(gui: str, xvfb: str,
                                                       gui_env: dict[str, str],
                                                       tmp_path: Path) -> None:
    with window_process(gui, "plain", gui_env) as child:
        child.expect("ready: http://127.0.0.1:")
        assert child.expect("dom: ") == 'dom: "Todo"'
        assert find_window(xvfb, TITLE)
        # Let the web view paint (the UI kit's page takes a little longer than 0.5 s
        # under Xvfb on a busy machine): the screen is looked at until it shows the page.
        deadline = time.monotonic() + 10
        while True:
            shot = screenshot(xvfb)
            colours = shot.crop((0, 0, 800, 400)).getcolors(maxcolors=1 << 16)
            if (colours is not None and len(colours) > 20) or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        shot.save(tmp_path / f"todo-{gui}.png")
        assert colours is not None and len(colours) > 20, "the window looks blank"
        assert close_window(xvfb, TITLE)
        started = time.monotonic()
        assert wait_exit(child, DEADLINE) == 0
        assert time.monotonic() - started < DEADLINE
        assert group_is_gone(child.proc.pid), "a process of the app was left running"
        assert wait_window_gone(xvfb, TITLE)


def test_on_closing_can_keep_the_window_open(gui: str, xvfb: str,
                                            gui_env: dict[str, str]) -> None:
    with window_process(gui, "veto", gui_env) as child:
        child.expect("dom: ")
        assert close_window(xvfb, TITLE)
        child.expect("vetoed")
        time.sleep(1.0)
        assert child.proc.poll() is None, "the window closed although on_closing said no"
        assert find_window(xvfb, TITLE, timeout=1)
        assert close_window(xvfb, TITLE)
        assert wait_exit(child, DEADLINE) == 0


def test_sigterm_closes_the_window_and_exits_0(gui: str, xvfb: str,
                                              gui_env: dict[str, str]) -> None:
    with window_process(gui, "plain", gui_env) as child:
        child.expect("dom: ")
        child.proc.send_signal(signal.SIGTERM)
        assert wait_exit(child, DEADLINE) == 0
        assert group_is_gone(child.proc.pid)
