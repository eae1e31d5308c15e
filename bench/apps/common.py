"""What the todo apps of ``bench/requests.py`` share: the example's ``Todo`` and title check
(imported from ``examples/todo/app.py``), the in-memory store they all keep their items in
(lock and O(n) "left" count included), and the asset URLs.

The example keeps its items in SQLite (``app.db``); the benchmark keeps them in memory, as
the peers do, so that it compares the frameworks and not storage (``bench/data.py`` measures
the data layer on its own).

The asset URLs carry the same content hashes appkit puts on them, worked out once at import
(appkit works them out at every full-page render, see ``StaticFolder.hash``).
"""

from __future__ import annotations

import hashlib
import importlib.util
import itertools
import sys
import threading
from pathlib import Path
from typing import Any

from appkit import NotFound

REPO = Path(__file__).resolve().parents[2]
APPKIT_STATIC = REPO / "appkit" / "static"
TODO_STATIC = REPO / "examples" / "todo" / "static"


def _load_example() -> Any:
    spec = importlib.util.spec_from_file_location("_todo_example", REPO / "examples/todo/app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


# The example's item and title check: every app does the same work on the same data.
_example = _load_example()
MAX_TITLE: int = _example.MAX_TITLE
Todo = _example.Todo
check_title = _example.check_title
NotFoundError = NotFound  # what the store raises for an unknown id


class TodoStore:
    """The items in memory; handlers run in a thread pool, hence the lock."""

    def __init__(self) -> None:
        self._items: dict[int, Any] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def add(self, title: str) -> Any:
        with self._lock:
            todo = Todo(next(self._ids), title)
            self._items[todo.id] = todo
            return todo

    def get(self, todo_id: int) -> Any:
        with self._lock:
            try:
                return self._items[todo_id]
            except KeyError:
                raise NotFound(f"There is no todo number {todo_id}.") from None

    def toggle(self, todo_id: int) -> Any:
        """Flip the item's ``done`` under the lock (the example's ``todos.modify``)."""
        with self._lock:
            try:
                todo = self._items[todo_id]
            except KeyError:
                raise NotFound(f"There is no todo number {todo_id}.") from None
            todo.done = not todo.done
            return todo

    def delete(self, todo_id: int) -> Any:
        with self._lock:
            todo = self._items.pop(todo_id, None)
            if todo is None:
                raise NotFound(f"There is no todo number {todo_id}.")
            return todo

    def all(self) -> list[Any]:
        with self._lock:
            return list(self._items.values())

    def left(self) -> int:
        with self._lock:
            return sum(not t.done for t in self._items.values())


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
