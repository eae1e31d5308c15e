"""Run by the window tests in a child process: the todo example in a real pywebview window.

    python window_script.py gtk|qt plain|veto

Prints ``dom: <h1 text>`` once the page is loaded (read through the backend's window),
``vetoed`` when it refuses the first close in veto mode, and ``exit <code>`` at the end.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import threading
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


def main() -> int:
    gui, mode = sys.argv[1], sys.argv[2]
    backend = WebviewBackend(gui)
    app = load_todo()

    def probe() -> None:
        while backend.window is None:
            threading.Event().wait(0.05)
        window = backend.window
        if not window.events.loaded.wait(30):
            print("dom: <never loaded>", flush=True)
            return
        text = window.evaluate_js("document.querySelector('h1').textContent")
        print(f"dom: {json.dumps(text)}", flush=True)

    vetoes = []

    def on_closing() -> bool:
        if mode == "veto" and not vetoes:
            vetoes.append(1)
            print("vetoed", flush=True)
            return False
        return True

    threading.Thread(target=probe, daemon=True).start()
    code = shell.run(app, title="Todo", app_id="todo-window-test", backend=backend,
                     on_closing=on_closing, console_log=False)
    print(f"exit {code}", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
