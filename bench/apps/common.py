"""What the peer todo apps share with ``examples/todo/app.py``: the in-memory store (the same
code, lock and O(n) "left" count included), the title check and the asset URLs.

The asset URLs carry the same content hashes appkit puts on them, worked out once at import
(appkit works them out at every full-page render, see ``StaticFolder.hash``).
"""

from __future__ import annotations

import hashlib
import itertools
import threading
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
APPKIT_STATIC = REPO / "appkit" / "static"
TODO_STATIC = REPO / "examples" / "todo" / "static"

MAX_TITLE = 200


class NotFoundError(LookupError):
    pass


@dataclass
class Todo:
    id: int
    title: str
    done: bool = False


class TodoStore:
    """The same store as the appkit example's (which raises appkit's NotFound instead)."""

    def __init__(self) -> None:
        self._items: dict[int, Todo] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def add(self, title: str) -> Todo:
        with self._lock:
            todo = Todo(next(self._ids), title)
            self._items[todo.id] = todo
            return todo

    def get(self, todo_id: int) -> Todo:
        with self._lock:
            try:
                return self._items[todo_id]
            except KeyError:
                raise NotFoundError(f"There is no todo number {todo_id}.") from None

    def delete(self, todo_id: int) -> None:
        with self._lock:
            if self._items.pop(todo_id, None) is None:
                raise NotFoundError(f"There is no todo number {todo_id}.")

    def all(self) -> list[Todo]:
        with self._lock:
            return list(self._items.values())

    def left(self) -> int:
        with self._lock:
            return sum(not t.done for t in self._items.values())


def check_title(title: str) -> tuple[str, str | None]:
    """The cleaned title and the error to show, if any."""
    title = title.strip()
    if not title:
        return title, "Write what needs doing."
    if len(title) > MAX_TITLE:
        return title, f"Keep it under {MAX_TITLE} characters ({len(title)} now)."
    return title, None


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
