"""What the peer todo apps share with ``examples/todo/app.py``: its own in-memory store (lock
and O(n) "left" count included) and title check, imported from it, and the asset URLs.

The asset URLs carry the same content hashes appkit puts on them, worked out once at import
(appkit works them out at every full-page render, see ``StaticFolder.hash``).
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from pathlib import Path
from typing import Any

from appkit import NotFound

REPO = Path(__file__).resolve().parents[2]
APPKIT_STATIC = REPO / "appkit" / "static"
TODO_STATIC = REPO / "examples" / "todo" / "static"

def load_example_module() -> Any:
    """``examples/todo/app.py`` as a module (loaded once)."""
    return _example


def _load_example() -> Any:
    spec = importlib.util.spec_from_file_location("_todo_example", REPO / "examples/todo/app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


# The example's own store and title check: the peers do the same work on the same data.
_example = _load_example()
MAX_TITLE: int = _example.MAX_TITLE
Todo = _example.Todo
TodoStore = _example.TodoStore
check_title = _example.check_title
NotFoundError = NotFound  # what the store raises for an unknown id


def _hashed(folder: Path, prefix: str, path: str) -> str:
    digest = hashlib.sha256((folder / path).read_bytes()).hexdigest()[:12]
    return f"{prefix}/{path}?v={digest}"


# The head appkit's todo page has, in the same order: stylesheets and deferred scripts, all
# served by the app itself (no CDN).
STYLESHEETS = [
    _hashed(APPKIT_STATIC, "/_appkit", "vendor/pico.min.css"),
    _hashed(APPKIT_STATIC, "/_appkit", "appkit.css"),
]
SCRIPTS = [
    _hashed(APPKIT_STATIC, "/_appkit", "vendor/htmx.min.js"),
    _hashed(APPKIT_STATIC, "/_appkit", "vendor/ext/sse.js"),
    _hashed(APPKIT_STATIC, "/_appkit", "vendor/ext/ws.js"),
    _hashed(APPKIT_STATIC, "/_appkit", "appkit.js"),
]
APP_STYLESHEET = _hashed(TODO_STATIC, "/static", "todo.css")
