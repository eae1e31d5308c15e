"""Fixtures for the real-window tests (layer 3).

- ``xvfb``: one private Xvfb for the session; its ``DISPLAY`` value (like ``":5"``).
- ``gui_env``: an environment for a child process that opens windows on that display, with
  the per-user folders (XDG) in the test's tmp_path.
- ``desktop``: a module's own Xvfb with a window manager (JWM), for window states and focus.
- ``gui`` (gtk, qt) and ``mode`` (packaged: ``App.run()``; development: ``appkit run``):
  the parameters most window tests run under.

The window tests pass ``gui_env`` to the subprocess explicitly; nothing here changes this
process's own environment. Without Xvfb, python-xlib or Pillow they are skipped (failed
under CI=true), the reason saying what to install.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import missing_dependency
from tests.shell.wm import ManagedDisplay, desktop_or_skip
from tests.shell.x11 import start_xvfb

APT_HINT = "bash scripts/system-deps.sh (or: sudo apt-get install xvfb xauth)"
PIP_HINT = '.venv/bin/pip install -e ".[dev]"'


@pytest.fixture(scope="session")
def xvfb() -> Iterator[str]:
    """A private Xvfb server (1280x800x24, no TCP) for the session: yields its DISPLAY."""
    if shutil.which("Xvfb") is None:
        missing_dependency(f"Xvfb is not installed; run: {APT_HINT}")
    for module, package in (("Xlib", "python-xlib"), ("PIL", "pillow")):
        if importlib.util.find_spec(module) is None:
            missing_dependency(f"{package} is not installed; run: {PIP_HINT}")
    with start_xvfb() as server:
        yield server.display


@pytest.fixture
def gui_env(xvfb: str, tmp_path: Path) -> dict[str, str]:
    """A copy of ``os.environ`` for a GUI child process: ``DISPLAY`` set to the session's
    Xvfb (X11 forced for GTK and Qt, Wayland removed), QtWebEngine's sandbox off (it does not
    run as root), and the XDG folders (config, data, state, cache, runtime) in tmp_path, so
    that no test touches the real user's folders."""
    env = dict(os.environ)
    env.pop("WAYLAND_DISPLAY", None)
    env["DISPLAY"] = xvfb
    env["GDK_BACKEND"] = "x11"
    env["QT_QPA_PLATFORM"] = "xcb"
    env["QTWEBENGINE_DISABLE_SANDBOX"] = "1"
    for name, folder in (
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_DATA_HOME", "data"),
        ("XDG_STATE_HOME", "state"),
        ("XDG_CACHE_HOME", "cache"),
        ("XDG_RUNTIME_DIR", "runtime"),
    ):
        path = tmp_path / "xdg" / folder
        path.mkdir(parents=True, exist_ok=True)
        env[name] = str(path)
    (tmp_path / "xdg" / "runtime").chmod(0o700)
    return env


@pytest.fixture(scope="module")
def desktop(xvfb: str) -> Iterator[ManagedDisplay]:
    """An Xvfb of this module's own with a window manager on it (``xvfb`` checks that
    Xvfb and python-xlib are there)."""
    yield from desktop_or_skip()


@pytest.fixture(params=["gtk", "qt"])
def gui(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(params=["packaged", "development"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)
