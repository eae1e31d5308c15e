"""Run by the window tests in a child process: the todo example in a real pywebview window.

    python window_script.py gtk|qt plain|veto|resize|links

Prints ``dom: <text>`` (the page's h1, or its app shell's brand) once the page is loaded
(read through the backend's window),
``vetoed`` when it refuses the first close in veto mode, and ``exit <code>`` at the end.

- ``resize``: after the load, resizes the window to 700x500, waits for the toolkit to
  report it, and prints ``resized``.
- ``links``: a small page with an external link (``#out``) and a ``target=_blank`` link
  (``#blank``) instead of the todo app (title "Links"); after the load it clicks both and
  prints ``location: <the window's URL>`` (JSON) and ``clicked``.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import shell  # noqa: E402
from shell.backends.webview import WebviewBackend  # noqa: E402


def load_todo():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("todo_example", ROOT / "examples/todo/app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["todo_example"] = module
    spec.loader.exec_module(module)
    return module.create_app()


def links_app():  # type: ignore[no-untyped-def]
    from appkit import App
    from appkit.html import H1, A, Page

    app = App("links-window-test", title="Links")

    @app.get("/")
    def index():
        return Page("Links", H1("Links"),
                    A("out", href="http://example.invalid/x", id="out"),
                    A("blank", href="/same", target="_blank", id="blank"))

    @app.get("/same")
    def same():
        return Page("Same", H1("Same"))

    return app


def wait_js(window, expression: str,  # type: ignore[no-untyped-def]
            timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if window.evaluate_js(expression):
            return True
        time.sleep(0.05)
    return False


def click_links(window) -> None:  # type: ignore[no-untyped-def]
    # The backend installs its link handler when the page has loaded; a user cannot click
    # sooner than that either.
    if not wait_js(window, "window.__appkitLinks === true"):
        print("links: the link handler was never installed", flush=True)
    for link in ("out", "blank"):
        window.evaluate_js(f"document.getElementById('{link}').click()")
        time.sleep(0.5)
    time.sleep(1.0)  # a navigation (the bug this catches) would have started by now
    print(f"location: {json.dumps(window.evaluate_js('location.href'))}", flush=True)
    print("clicked", flush=True)


def main() -> int:
    gui, mode = sys.argv[1], sys.argv[2]
    backend = WebviewBackend(gui)
    app = links_app() if mode == "links" else load_todo()
    title = "Links" if mode == "links" else "Todo"
    app_id = "links-window-test" if mode == "links" else "todo-window-test"

    def probe() -> None:
        while backend.window is None:
            threading.Event().wait(0.05)
        window = backend.window
        if not window.events.loaded.wait(30):
            print("dom: <never loaded>", flush=True)
            return
        text = window.evaluate_js("document.querySelector('h1, .appkit-shell-brand').textContent")
        print(f"dom: {json.dumps(text)}", flush=True)
        if mode == "resize":
            window.resize(700, 500)
            time.sleep(1.0)  # the toolkit reports the new size (the resized event)
            print("resized", flush=True)
        elif mode == "links":
            click_links(window)

    vetoes = []

    def on_closing() -> bool:
        if mode == "veto" and not vetoes:
            vetoes.append(1)
            print("vetoed", flush=True)
            return False
        return True

    threading.Thread(target=probe, daemon=True).start()
    code = shell.run(app, title=title, app_id=app_id, backend=backend,
                     on_closing=on_closing, console_log=False)
    print(f"exit {code}", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
