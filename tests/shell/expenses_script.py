"""Run by test_expenses_window.py in a child process: examples/expenses in a real GTK
window, through ``App.run()``.

    python expenses_script.py

Prints ``dom: <the page's title>`` once the page has loaded, ``menubar: <JSON>`` (the
toolkit's own menu bar), ``layout: <JSON>`` (the app shell's boxes, the window's inner size
and what tests/e2e's overflow measure finds), ``status: <text>`` each time the import's
status on the page changes, and ``exit 0`` at the end.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

LAYOUT = """(() => {
  const box = (s) => { const r = document.querySelector(s).getBoundingClientRect();
                       return [r.left, r.top, r.right, r.bottom]; };
  return JSON.stringify({bar: box('.appkit-shell-bar'), nav: box('.appkit-shell-nav'),
    main: box('.appkit-shell-main'), status: box('.appkit-shell-status'),
    width: innerWidth, height: innerHeight, overflows: (%s)()});
})()"""


def main() -> int:
    import webview

    from appkit.loader import load_app
    from tests.e2e.test_ui_browser import OVERFLOWS
    from tests.shell.menu_script import gtk_menubar

    app = load_app(str(ROOT / "examples" / "expenses"))

    def probe() -> None:
        while not webview.windows:
            time.sleep(0.05)
        window = webview.windows[0]
        if not window.events.loaded.wait(30):
            print("dom: <never loaded>", flush=True)
            return
        print(f"dom: {json.dumps(window.evaluate_js('document.title'))}", flush=True)
        print(f"menubar: {json.dumps(gtk_menubar())}", flush=True)
        print(f"layout: {window.evaluate_js(LAYOUT % OVERFLOWS)}", flush=True)
        shown = None
        while True:
            text = window.evaluate_js(
                "(document.getElementById('import-status') || {}).textContent || ''")
            if text != shown:
                shown = text
                print(f"status: {json.dumps(' '.join(text.split()))}", flush=True)
            time.sleep(0.2)

    threading.Thread(target=probe, daemon=True).start()
    app.run(backend="gtk", argv=[])  # type: ignore[attr-defined]
    print("exit 0", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
