"""Layer 3, the menu bar of a real window (``app.menu(...)`` through ``App.run()``), under
Xvfb with a window manager: the toolkit's menu bar holds the app's menus; clicking a menu
and choosing an item with the keyboard runs the item's route, or loads its page; the
item's shortcut runs it too. All input goes through the X server, as a user's would. The
page's chart is drawn under the C.UTF-8 locale (WebKitGTK then says navigator.language is
"C", which uPlot could not load with)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.shell.test_window import DEADLINE, Child, wait_exit
from tests.shell.wm import ManagedDisplay, close_client, find_client, wait_for
from tests.shell.x11 import screenshot

pytestmark = pytest.mark.window

SCRIPT = Path(__file__).with_name("menu_script.py")
APP = Path(__file__).with_name("menu_app.py")
ROOT = Path(__file__).resolve().parents[2]
TITLE = "Menus"


def noted(log: Path, count: int, timeout: float = 10.0) -> list[str]:
    """The lines of the app's log once it has ``count`` of them."""
    def read() -> list[str]:
        return log.read_text(encoding="utf-8").split() if log.exists() else []

    lines = wait_for(lambda: read() if len(read()) >= count else None, timeout)
    assert lines is not None, f"the app noted only {read()}"
    return lines


@contextmanager
def menu_window(gui: str, mode: str, env: dict[str, str]) -> Iterator[Child]:
    """The app of ``menu_app.py`` in a window: through ``App.run()`` (``menu_script.py``,
    packaged) or ``appkit run`` (development, the server in a child process)."""
    if mode == "packaged":
        command = [sys.executable, str(SCRIPT), gui]
    else:
        command = [sys.executable, "-m", "appkit.cli", "run", str(APP), "--backend", gui]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True, cwd=ROOT)
    try:
        yield Child(proc)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


class Input:
    """Pointer and keyboard input through XTEST, as if from the user's devices."""

    def __init__(self, display: str) -> None:
        from Xlib.display import Display

        self.connection = Display(display)

    def close(self) -> None:
        self.connection.close()

    def click(self, x: int, y: int) -> None:
        from Xlib import X
        from Xlib.ext import xtest

        xtest.fake_input(self.connection, X.MotionNotify, x=x, y=y)
        self.connection.sync()
        time.sleep(0.1)
        xtest.fake_input(self.connection, X.ButtonPress, 1)
        xtest.fake_input(self.connection, X.ButtonRelease, 1)
        self.connection.sync()

    def keys(self, *names: str) -> None:
        """Press the keys named (X keysyms) together, then release them."""
        from Xlib import XK, X
        from Xlib.ext import xtest

        codes = [self.connection.keysym_to_keycode(XK.string_to_keysym(name))
                 for name in names]
        for code in codes:
            xtest.fake_input(self.connection, X.KeyPress, code)
        for code in reversed(codes):
            xtest.fake_input(self.connection, X.KeyRelease, code)
        self.connection.sync()
        time.sleep(0.15)


def test_the_menu_bar_runs_routes_loads_pages_and_takes_shortcuts_and_charts_draw(
        gui: str, mode: str, desktop: ManagedDisplay, gui_env: dict[str, str],
        tmp_path: Path) -> None:
    env = {**gui_env, "DISPLAY": desktop.display, "PYTHONPATH": str(ROOT),
           "LANG": "C.UTF-8"}  # Debian's default, where nothing else is set
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        env.pop(name, None)
    log = Path(env["XDG_DATA_HOME"]) / "menu-window-test" / "menu-log.txt"
    access = Path(env["XDG_STATE_HOME"]) / "menu-window-test" / "log" / "app.log"
    with menu_window(gui, mode, env) as child:
        child.expect("ready: ")
        if mode == "packaged":
            # The toolkit's own menu bar, read in the window's process.
            child.expect("dom: ")
            chart_line = child.expect("chart: ")
            bar = json.loads(child.expect("menubar: ").split(": ", 1)[1])
            assert chart_line == 'chart: "3"', chart_line
            assert bar == [{"File": ["Say hello", "Second page"]}, {"Help": ["Home"]}]
        client = find_client(desktop.display, TITLE, timeout=30)
        assert client is not None
        x, y = client.geometry[:2]
        user = Input(desktop.display)
        try:
            # The page has its menu script (what a chosen item is sent to).
            assert wait_for(lambda: access.exists() and "GET /_appkit/ui/menu.js"
                            in access.read_text(encoding="utf-8"), 30)
            time.sleep(0.5)
            # Open "File" (the menu bar's first entry, at the window's top left) with the
            # pointer; choose the first item with the keyboard.
            user.click(x + 18, y + 12)
            time.sleep(0.5)
            screenshot(desktop.display).save(tmp_path / "menu-open.png")  # for review
            user.keys("Down")
            user.keys("Return")
            assert noted(log, 1) == ["hello"]

            # The item's shortcut, typed in the page.
            user.click(x + 300, y + 300)
            user.keys("Control_L", "Shift_L", "h")
            assert noted(log, 2) == ["hello", "hello"]

            # The second item (past the separator) loads its page.
            user.click(x + 18, y + 12)
            time.sleep(0.5)
            user.keys("Down")
            user.keys("Down")
            user.keys("Return")
            assert noted(log, 3) == ["hello", "hello", "second"]
        finally:
            user.close()
        close_client(desktop.display, client.window)
        assert wait_exit(child, DEADLINE) == 0
