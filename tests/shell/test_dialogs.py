"""Native features called from server handlers reach the real window and come back, in the
packaged way (``App.run()`` in one process) and in development (``appkit run``: the server
in a child process)."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import textwrap
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.shell.x11 import close_window, find_window, window_titles, windows

pytestmark = pytest.mark.window

ROOT = Path(__file__).resolve().parents[2]

APP = textwrap.dedent('''
    import sys
    sys.path.insert(0, {root!r})
    from appkit import App, WindowUnavailable
    from appkit.html import P

    app = App("dialogs-test")

    @app.get("/")
    def index():
        return P("dialogs")

    @app.post("/ask")
    async def ask():
        yes = await app.dialogs.confirm("Delete everything?", title="Please confirm")
        return "yes" if yes else "no"

    @app.post("/open")
    async def open_one():
        path = await app.dialogs.open_file()
        return "cancelled" if path is None else str(path)

    @app.post("/save")
    async def save():
        path = await app.dialogs.save_file(filename="report.csv")
        return "cancelled" if path is None else str(path)

    @app.post("/folder")
    async def folder():
        path = await app.dialogs.select_folder()
        return "cancelled" if path is None else str(path)

    @app.post("/alert")
    async def alert():
        await app.dialogs.alert("Done.")
        return "dismissed"

    @app.post("/title")
    async def title(text: str):
        await app.window.set_title(text)
        return "ok"

    if __name__ == "__main__":
        app.run(backend="gtk")
''')


@contextmanager
def running(command: list[str], env: dict[str, str]) -> Iterator[tuple[str, str]]:
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, start_new_session=True)
    lines: queue.Queue[str] = queue.Queue()
    assert proc.stdout is not None
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout],  # type: ignore[union-attr]
                     daemon=True).start()
    try:
        while True:
            line = lines.get(timeout=30)
            if line.startswith("ready: "):
                break
        url = line.split(" ", 1)[1].strip()
        base, token = url.split("?appkit-token=")
        yield base, token
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        proc.stdout.close()


def post(base: str, token: str, path: str, data: bytes = b"") -> str:
    request = urllib.request.Request(
        base + path.lstrip("/"), data=data, method="POST",
        headers={"Authorization": f"Bearer {token}",
                 "Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.read().decode()


def in_background(fn, *args):  # type: ignore[no-untyped-def]
    result: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: result.put(fn(*args)), daemon=True).start()
    return result


@pytest.fixture(params=["packaged", "development"])
def command(request: pytest.FixtureRequest, tmp_path: Path) -> list[str]:
    app_file = tmp_path / "dialogs_app.py"
    app_file.write_text(APP.format(root=str(ROOT)))
    if request.param == "packaged":
        return [sys.executable, str(app_file)]
    return [sys.executable, "-m", "appkit.cli", "run", str(app_file), "--backend", "gtk"]


def test_dialogs_and_the_window_answer_server_handlers(command: list[str], xvfb: str,
                                                       gui_env: dict[str, str]) -> None:
    with running(command, gui_env) as (base, token):
        assert find_window(xvfb, "dialogs-test", timeout=20)
        assert post(base, token, "/title", b"text=Renamed+by+a+handler") == "ok"
        assert find_window(xvfb, "Renamed by a handler", timeout=10)

        answer = in_background(post, base, token, "/ask")
        # GTK's message dialog has no window title: the question is its text.
        assert find_window(xvfb, "", timeout=10), f"no confirm dialog: {window_titles(xvfb)}"
        assert close_window(xvfb, "")
        assert answer.get(timeout=15) == "no"

        opened = in_background(post, base, token, "/open")
        assert find_window(xvfb, "Open file", timeout=10), f"no file dialog: {window_titles(xvfb)}"
        assert close_window(xvfb, "Open file")
        assert opened.get(timeout=15) == "cancelled"

        for path, title in (("/save", "Save file"), ("/folder", "Open folder")):
            waiting = in_background(post, base, token, path)
            assert find_window(xvfb, title, timeout=10), f"no {title!r}: {window_titles(xvfb)}"
            assert close_window(xvfb, title)
            assert waiting.get(timeout=15) == "cancelled"

        # The alert is a new window (by its id: a dialog closed just before may still be
        # going away, and GTK's dialogs have no title to tell them apart).
        before = {window_id for window_id, _ in windows(xvfb)}
        dismissed = in_background(post, base, token, "/alert")
        deadline = time.monotonic() + 10
        while not (new := [w for w in windows(xvfb) if w[0] not in before]):
            assert time.monotonic() < deadline, f"no alert: {window_titles(xvfb)}"
            time.sleep(0.1)
        window_id, title = new[-1]
        assert close_window(xvfb, title, window_id=window_id), new
        assert dismissed.get(timeout=15) == "dismissed"

