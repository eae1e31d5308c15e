"""The window names the app and shows its icon: in the task bar it is the app, not
"Appkit" (the launcher's script) or "Python", both with ``appkit run`` and when the app
runs the window itself (``shell.run``, as ``App.run()`` and the packaged app do)."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.shell.launch import AppProcess
from tests.shell.x11 import window_identity

pytestmark = pytest.mark.window

ROOT = Path(__file__).resolve().parents[2]
TITLE = "Icon Test"

APP = '''
from pathlib import Path
import sys

from appkit import App
from appkit.html import P, Page

app = App("icon-test", title="{title}"{icon_line})


@app.get("/")
def index():
    return Page("Icon", P("hello"))


if __name__ == "__main__":
    app.run(backend=sys.argv[1])
'''


def icon_pixels(icon: list[int]) -> set[int]:
    """The ARGB values of every size in a ``_NET_WM_ICON``."""
    pixels: set[int] = set()
    at = 0
    while at + 2 <= len(icon):
        width, height = icon[at], icon[at + 1]
        pixels.update(value & 0xFFFFFFFF for value in icon[at + 2:at + 2 + width * height])
        at += 2 + width * height
    return pixels


@pytest.fixture
def app_file(tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    own_icon: bool = request.param
    icon_line = ""
    if own_icon:
        from PIL import Image

        Image.new("RGBA", (64, 64), (255, 0, 0, 255)).save(tmp_path / "red.png")
        icon_line = ', icon="red.png"'
    path = tmp_path / "app.py"
    path.write_text(textwrap.dedent(APP.format(title=TITLE, icon_line=icon_line)))
    return path


@pytest.fixture
def running(app_file: Path, gui: str, mode: str, gui_env: dict[str, str],
            tmp_path: Path) -> Iterator[AppProcess]:
    if mode == "development":
        command = [sys.executable, "-m", "appkit.cli", "run", str(app_file), "--backend", gui]
    else:
        command = [sys.executable, str(app_file), gui]
    env = {**gui_env, "PYTHONPATH": str(ROOT)}
    process = AppProcess(command, env, ROOT, tmp_path / "stderr.txt")
    try:
        process.ready()
        yield process
    finally:
        process.kill()


@pytest.mark.parametrize("app_file", [False, True], ids=["default-icon", "own-icon"],
                         indirect=True)
def test_the_window_is_named_after_the_app_and_shows_its_icon(
        running: AppProcess, xvfb: str, app_file: Any) -> None:
    wm_class, icon = window_identity(xvfb, TITLE)
    assert wm_class == ("icon-test", TITLE), wm_class
    assert icon, "the window has no icon"
    pixels = icon_pixels(icon)
    own = (app_file.parent / "red.png").exists()
    red, blue = 0xFFFF0000, 0xFF2F6FDB  # the app's own icon; appkit's default
    if own:
        assert red in pixels and blue not in pixels
    else:
        assert blue in pixels and red not in pixels
