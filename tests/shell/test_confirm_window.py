"""hx-confirm in the native window: the question is asked in the page's own dialog
(appkit.js), never in the engine's JavaScript dialog, which WebKitGTK and Qt WebEngine
title with the app's loopback address ("JavaScript - http://127.0.0.1:PORT/")."""

from __future__ import annotations

import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.shell.launch import AppProcess
from tests.shell.x11 import window_titles

pytestmark = pytest.mark.window

ROOT = Path(__file__).resolve().parents[2]
TITLE = "Confirm Test"

# The page presses its Delete button by itself, reports whether appkit's dialog opened,
# then presses OK in it. With the engine's own confirm() instead, the script stops at the
# press until someone answers a dialog window, and nothing is reported. (A file of the
# app's static folder: the guard's default policy refuses inline scripts.)
PRESS = """
document.addEventListener("DOMContentLoaded", function () {
  setTimeout(function () {
    document.getElementById("delete").click();
    var open = !!document.querySelector("dialog.appkit-confirm[open]");
    fetch("/seen?dialog=" + open).then(function () {
      if (open) document.querySelector(".appkit-confirm-ok").click();
    });
  }, 300);
});
"""

APP = '''
from pathlib import Path

from appkit import App
from appkit.html import Button, Div, Page, Script

EVENTS = Path(__file__).parent / "events.txt"
app = App("confirm-test", title="{title}")


def note(text):
    with EVENTS.open("a") as file:
        file.write(text + "\\n")


@app.get("/")
def index():
    return Page("Confirm", Button("Delete", id="delete", hx_post=delete, hx_target="#out",
                                  hx_confirm="Delete it?"),
                Div(id="out"), Script(src=app.static_url("press.js")))


@app.get("/seen")
def seen(dialog: str):
    note(f"dialog {{dialog}}")
    return ""


@app.post("/delete")
def delete():
    note("deleted")
    return "deleted"


if __name__ == "__main__":
    import sys

    import shell

    shell.run(app, title=app.title, app_id=app.name, backend=sys.argv[1])
'''


def test_hx_confirm_asks_in_the_page_not_in_a_javascript_dialog(
        gui: str, mode: str, xvfb: str, gui_env: dict[str, str], tmp_path: Path) -> None:
    app_file = tmp_path / "app.py"
    app_file.write_text(textwrap.dedent(APP.format(title=TITLE)))
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "press.js").write_text(PRESS)
    events = tmp_path / "events.txt"
    if mode == "development":
        command = [sys.executable, "-m", "appkit.cli", "run", str(app_file), "--backend", gui]
    else:
        command = [sys.executable, str(app_file), gui]
    process = AppProcess(command, {**gui_env, "PYTHONPATH": str(ROOT)}, ROOT,
                         tmp_path / "stderr.txt")
    try:
        process.ready()
        deadline = time.monotonic() + 30
        titles: set[str] = set()
        while time.monotonic() < deadline:
            titles.update(window_titles(xvfb))
            if events.exists() and "deleted" in events.read_text().split("\n"):
                break
            time.sleep(0.2)
        titles.update(window_titles(xvfb))
        engine_dialogs = [t for t in titles if t.startswith("JavaScript")]
        assert engine_dialogs == [], f"the engine's own dialog opened: {engine_dialogs}"
        assert events.exists(), f"the page never reported; windows: {sorted(titles)}"
        assert events.read_text().split() == ["dialog", "true", "deleted"]
    finally:
        process.kill()
