"""Run by the menu tests in a child process: ``menu_app.py``'s app in a real pywebview
window, through ``App.run()``.

    python menu_script.py gtk|qt

Prints ``dom: <the page title>`` once the page has loaded, ``menubar: <JSON>`` (the menus
and items the toolkit's own menu bar holds, read from it), ``chart: <points drawn>`` (the
page's line chart, null when it was not drawn), ``page: <its title>`` for each
page loaded after the first, and ``exit 0`` at the end.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.shell.menu_app import create_app  # noqa: E402


def gtk_menubar() -> list[Any]:
    """The labels of the GTK application's menu bar model, read on the GUI thread."""
    from gi.repository import GLib
    from webview.platforms import gtk as pywebview_gtk

    done = threading.Event()
    found: list[Any] = []

    def labels(model: Any) -> list[Any]:
        out: list[Any] = []
        for i in range(model.get_n_items()):
            label = model.get_item_attribute_value(i, "label", None)
            submenu = model.get_item_link(i, "submenu")
            section = model.get_item_link(i, "section")
            if section is not None:
                out.extend(labels(section))
            elif submenu is not None:
                out.append({label.unpack() if label else None: labels(submenu)})
            else:
                out.append(label.unpack() if label else None)
        return out

    def read() -> bool:
        app = pywebview_gtk._app
        model = app.get_menubar() if app is not None else None
        found.extend(labels(model) if model is not None else [])
        done.set()
        return False

    GLib.idle_add(read)
    done.wait(10)
    return found


def qt_menubar(window: Any) -> list[Any]:
    from webview.platforms import qt as pywebview_qt

    view = pywebview_qt.BrowserView.instances.get(window.uid)

    def labels(menu: Any) -> list[Any]:
        out: list[Any] = []
        for action in menu.actions():
            if action.isSeparator():
                continue
            sub = action.menu()
            out.append({action.text(): labels(sub)} if sub is not None else action.text())
        return out

    return labels(view.menuBar()) if view is not None else []


def main() -> int:
    import webview

    gui = sys.argv[1]
    app = create_app()

    def probe() -> None:
        while not webview.windows:
            time.sleep(0.05)
        window = webview.windows[0]
        if not window.events.loaded.wait(30):
            print("dom: <never loaded>", flush=True)
            return
        text = window.evaluate_js("document.title")
        print(f"dom: {json.dumps(text)}", flush=True)
        drawn = None
        for _ in range(100):
            drawn = window.evaluate_js(
                "document.getElementById('chart').getAttribute('data-chart-ready')")
            if drawn:
                break
            time.sleep(0.1)
        print(f"chart: {json.dumps(drawn)}", flush=True)
        bar = gtk_menubar() if gui == "gtk" else qt_menubar(window)
        print(f"menubar: {json.dumps(bar)}", flush=True)
        window.events.loaded.clear()
        while window.events.loaded.wait(60):
            window.events.loaded.clear()
            text = window.evaluate_js("document.title")
            print(f"page: {json.dumps(text)}", flush=True)

    threading.Thread(target=probe, daemon=True).start()
    app.run(backend=gui, argv=[])
    print("exit 0", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
