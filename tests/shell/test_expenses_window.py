"""Layer 3: examples/expenses in a real GTK window under Xvfb with a window manager, as
``App.run()`` shows it: the toolkit's menu bar holds the app's menus, the app shell fills
the window with nothing sticking out, and File > Import CSV… opens GTK's own file dialog,
where the user types a file's path; the file is imported by a job and the page says so.
All input goes through the X server, as a user's would. Screenshots are saved for review
(in $APPKIT_SCREENSHOTS, else test-output/examples/)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.shell.test_window import DEADLINE, Child, wait_exit
from tests.shell.test_window_menu import Input
from tests.shell.wm import ManagedDisplay, close_client, find_client, wait_for
from tests.shell.x11 import screenshot

pytestmark = pytest.mark.window

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("expenses_script.py")
SHOTS = Path(os.environ.get("APPKIT_SCREENSHOTS") or ROOT / "test-output" / "examples")
SHIFTED = {"_": "underscore", ":": "colon", "~": "asciitilde"}
KEYSYMS = {"/": "slash", ".": "period", "-": "minus", " ": "space", **SHIFTED}


def type_text(user: Input, text: str) -> None:
    """Type ``text`` key by key (letters, digits and a path's punctuation)."""
    for char in text:
        name = KEYSYMS.get(char, char.lower())
        if char in SHIFTED or char.isupper():
            user.keys("Shift_L", name)
        else:
            user.keys(name)


def test_the_menu_the_shell_and_an_import_chosen_in_gtks_file_dialog(
        desktop: ManagedDisplay, gui_env: dict[str, str], tmp_path: Path) -> None:
    chosen = tmp_path / "may.csv"
    chosen.write_text("date,category,amount,note\n2024-05-02,Food,3.50,Bread\n"
                      "2024-05-03,Travel,12,Bus\n", encoding="utf-8")
    env = {**gui_env, "DISPLAY": desktop.display, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, str(SCRIPT)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True,
                            cwd=ROOT)
    child = Child(proc)
    try:
        assert child.expect("dom: ") == 'dom: "Expenses"'
        bar = json.loads(child.expect("menubar: ").split(": ", 1)[1])
        assert bar == [{"File": ["Import CSV…", "Jobs"]}, {"View": ["Expenses", "By category"]}]
        layout = json.loads(child.expect("layout: ").split(": ", 1)[1])
        width, height = layout["width"], layout["height"]
        assert layout["overflows"] == []
        assert layout["bar"][:3] == [0, 0, width]                  # the tool bar on top
        assert abs(layout["status"][3] - height) < 1                # the status bar below
        assert layout["main"][0] == layout["nav"][2]                # content beside the nav
        assert abs(layout["main"][2] - width) < 1                   # to the window's edge
        assert child.expect("status: ").startswith('status: "Import expenses from a CSV')

        client = find_client(desktop.display, "Expenses", timeout=30)
        assert client is not None
        x, y = client.geometry[:2]
        SHOTS.mkdir(parents=True, exist_ok=True)

        def painted() -> Any:
            """The screen once the page is drawn in the window (the sidebar's grey)."""
            shot = screenshot(desktop.display)
            left, top = x + 40, y + 120
            sidebar = shot.crop((left, top, left + 60, top + 200)).convert("L")
            return shot if sidebar.getextrema() != (255, 255) else None

        shot = wait_for(painted, 15)
        assert shot is not None, "the page was never drawn in the window"
        shot.save(SHOTS / "expenses-gtk-window.png")
        user = Input(desktop.display)
        try:
            user.click(x + 18, y + 12)                  # File, the menu bar's first entry
            time.sleep(0.5)
            screenshot(desktop.display).save(SHOTS / "expenses-gtk-menu.png")
            user.keys("Down")
            user.keys("Return")                         # Import CSV…
            dialog = find_client(desktop.display, "Open file", timeout=15)
            assert dialog is not None, "GTK's file dialog did not open"
            time.sleep(0.5)
            user.keys("Control_L", "l")                 # its location field
            type_text(user, str(chosen))
            screenshot(desktop.display).save(SHOTS / "expenses-gtk-file-dialog.png")
            user.keys("Return")
            line = child.expect('status: "Imported', timeout=60)
            assert line == 'status: "Imported 2 expenses from may.csv. Show them"', line
        finally:
            user.close()
        close_client(desktop.display, client.window)
        assert wait_exit(child, DEADLINE) == 0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
