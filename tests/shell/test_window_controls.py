"""Layer 3: a server-side handler controls the real window through ``app.window``
(minimise, maximise, restore, full screen, title) and hands addresses and files to the
system's handlers (``open_url``, ``open_path``), in the packaged way (``App.run()``, one
process) and in development (``appkit run``: the server in a child process, each call
travelling to the window process).

Window states are carried out by a window manager, so those tests run on an Xvfb of their
own with JWM (see ``tests/shell/wm.py``) and read what it reports: ``_NET_WM_STATE``, ICCCM
``WM_STATE`` and the window's geometry against the screen's. The system's handlers are
stubs that record their arguments: a ``BROWSER`` command (what ``webbrowser`` runs) and an
``xdg-open`` first on ``PATH``.

Links to other hosts and ``target=_blank`` going to the system browser are tested in
``test_window_features.py``.
"""

from __future__ import annotations

import json
import os
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.shell.launch import AppProcess
from tests.shell.wm import (
    ManagedDisplay,
    client_titles,
    close_client,
    expect_state,
    find_client,
    wait_for,
)
from tests.shell.x11 import close_window, find_window

pytestmark = pytest.mark.window

ROOT = Path(__file__).resolve().parents[2]
TITLE = "Window controls"

APP = textwrap.dedent('''
    import sys
    sys.path.insert(0, {root!r})
    from appkit import App
    from appkit.html import P, Page

    app = App("window-controls-test", title={title!r})
    ACTIONS = ("minimize", "maximize", "restore", "toggle_fullscreen")


    @app.get("/")
    def index():
        return Page({title!r}, P("window controls"))


    @app.post("/window/{{action}}")
    async def act(action: str):
        if action not in ACTIONS:
            return "unknown"
        await getattr(app.window, action)()
        return "done"


    @app.post("/title")
    async def title(text: str):
        await app.window.set_title(text)
        return "done"


    @app.post("/open-url")
    async def open_url(url: str):
        try:
            await app.window.open_url(url)
        except ValueError:
            return "refused"
        return "opened"


    @app.post("/open-path")
    async def open_path(path: str):
        try:
            await app.window.open_path(path)
        except FileNotFoundError:
            return "missing"
        return "opened"


    if __name__ == "__main__":
        app.run(backend=sys.argv[1])
''')


@pytest.fixture
def launch(tmp_path: Path, mode: str) -> Iterator[Callable[[str, dict[str, str]], AppProcess]]:
    """``launch(gui, env)``: the test app in a window, started as ``mode`` says."""
    # A folder of its own: the development loop reloads on a change below the app's folder,
    # and Qt WebEngine makes folders named after the program ("cli.py") in the XDG cache
    # and data folders, which gui_env puts below tmp_path.
    app_file = tmp_path / "app" / "controls_app.py"
    app_file.parent.mkdir()
    app_file.write_text(APP.format(root=str(ROOT), title=TITLE), encoding="utf-8")
    started: list[AppProcess] = []

    def start(gui: str, env: dict[str, str]) -> AppProcess:
        if mode == "packaged":
            command = [sys.executable, str(app_file), gui]
        else:
            command = [sys.executable, "-m", "appkit.cli", "run", str(app_file),
                       "--backend", gui]
        process = AppProcess(command, env, ROOT, tmp_path / f"stderr-{len(started)}.log")
        started.append(process)
        return process

    yield start
    for process in started:
        process.kill()


def test_handlers_minimise_maximise_restore_and_fullscreen_the_window(
        gui: str, mode: str, launch: Callable[[str, dict[str, str]], AppProcess],
        desktop: ManagedDisplay, gui_env: dict[str, str]) -> None:
    display = desktop.display
    screen = (0, 0, desktop.width, desktop.height)
    app = launch(gui, {**gui_env, "DISPLAY": display})
    app.ready()
    found = find_client(display, TITLE, timeout=30)
    assert found is not None, f"no window {TITLE!r}: {client_titles(display)}"
    window = found.window
    start = expect_state(display, window, "shown", lambda s: s.mapped and s.wm_state == 1)
    assert not (start.maximized or start.fullscreen or start.iconic), start
    size = start.geometry[2:]
    assert size[0] < desktop.width and size[1] < desktop.height, start

    assert app.post("/window/maximize") == "done"
    expect_state(display, window, "maximised",
                 lambda s: s.maximized and not s.fullscreen and s.outer == screen)

    assert app.post("/window/restore") == "done"
    expect_state(display, window, "back from maximised",
                 lambda s: not s.maximized and s.geometry[2:] == size)

    assert app.post("/window/minimize") == "done"
    expect_state(display, window, "minimised",
                 lambda s: s.iconic and not s.mapped and "HIDDEN" in s.net_state)

    assert app.post("/window/restore") == "done"
    expect_state(display, window, "back from minimised",
                 lambda s: s.wm_state == 1 and s.mapped and "HIDDEN" not in s.net_state
                 and not s.maximized and s.geometry[2:] == size)

    assert app.post("/window/toggle_fullscreen") == "done"
    expect_state(display, window, "full screen",
                 lambda s: s.fullscreen and s.geometry == screen)
    assert app.post("/window/toggle_fullscreen") == "done"
    expect_state(display, window, "out of full screen",
                 lambda s: not s.fullscreen and not s.maximized and s.geometry[2:] == size)

    assert app.post("/title", text="Renamed by a handler") == "done"
    renamed = find_client(display, "Renamed by a handler")
    assert renamed is not None, f"not renamed: {client_titles(display)}"
    assert renamed.window == window

    close_client(display, window)
    assert app.wait() == 0
    assert app.group_is_gone(), "a process of the app was left running"
    if mode == "packaged":
        # In development, the page's reload stream (an SSE response in the server child) can
        # still be open when the window closes; the child then waits out its 5 s graceful
        # shutdown and logs an ERROR. A defect of the development loop, not checked here.
        assert app.logged_errors() == []
    assert wait_for(lambda: TITLE not in client_titles(display) and
                    "Renamed by a handler" not in client_titles(display), 10) is not None


def recorder(folder: Path, name: str, log: Path) -> Path:
    """An executable that appends its arguments (a JSON list) to ``log`` and exits 0."""
    script = folder / name
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, sys\n"
        f"with open({str(log)!r}, 'a', encoding='utf-8') as handle:\n"
        "    handle.write(json.dumps([sys.argv[0].rsplit('/', 1)[-1], *sys.argv[1:]]) + '\\n')\n",
        encoding="utf-8")
    script.chmod(0o755)
    return script


def test_handlers_open_addresses_and_files_in_the_system_handlers(
        mode: str, launch: Callable[[str, dict[str, str]], AppProcess], xvfb: str,
        gui_env: dict[str, str], tmp_path: Path) -> None:
    # A bare Xvfb is enough here: nothing changes the window's state.
    stubs = tmp_path / "bin"
    stubs.mkdir()
    log = tmp_path / "handlers.jsonl"
    browser = recorder(stubs, "fake-browser", log)
    recorder(stubs, "xdg-open", log)
    document = tmp_path / "docs" / "report 2024.csv"
    document.parent.mkdir()
    document.write_text("a,b\n", encoding="utf-8")
    env = {**gui_env, "BROWSER": str(browser),
           "PATH": f"{stubs}{os.pathsep}{gui_env['PATH']}"}

    app = launch("gtk", env)
    app.ready()
    assert find_window(xvfb, TITLE, timeout=30)
    address = "https://example.org/help?topic=window&lang=en"
    assert app.post("/open-url", url=address) == "opened"
    assert app.post("/open-path", path=str(document)) == "opened"
    assert app.post("/open-path", path=str(document.parent)) == "opened"
    wanted = [["fake-browser", address], ["xdg-open", str(document)],
              ["xdg-open", str(document.parent)]]

    def calls() -> list[list[str]]:
        if not log.exists():
            return []
        return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]

    assert wait_for(lambda: len(calls()) >= len(wanted), 10) is not None, calls()
    assert sorted(calls()) == sorted(wanted)

    # What must not leave the app: a local file as a web address, a path with nothing there.
    assert app.post("/open-url", url=f"file://{document}") == "refused"
    assert app.post("/open-path", path=str(tmp_path / "nothing-here.txt")) == "missing"
    assert sorted(calls()) == sorted(wanted)

    assert close_window(xvfb, TITLE)
    assert app.wait() == 0
    assert app.group_is_gone(), "a process of the app was left running"
    if mode == "packaged":
        # In development, the page's reload stream (an SSE response in the server child) can
        # still be open when the window closes; the child then waits out its 5 s graceful
        # shutdown and logs an ERROR. A defect of the development loop, not checked here.
        assert app.logged_errors() == []
