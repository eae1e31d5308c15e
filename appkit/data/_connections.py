"""``Connections``: the bookkeeping of one store's connections, shared by ``Store``,
``Database`` and ``Table``.

- ``write_lock``: held by every write transaction of the store's connections, so that one
  runs at a time in this process (other processes wait on SQLite's own lock).
- ``generation``: goes up each time the store closes its connections; a thread's connection
  (or a table's check of the schema) from an older generation is not used again.
- each thread's own connection, and the registry that lets ``Store.close()`` close them all;
  ``adopt`` closes those of threads that have ended.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import weakref
from typing import TYPE_CHECKING

import sqlite_utils

if TYPE_CHECKING:
    from appkit.data.database import Database

__all__ = ["Connections"]


class Connections:
    """The write lock, the generation and the per-thread connections of one ``Store``.

    Attributes:
        write_lock: held by each write transaction; re-entrant so that a thread inside one
            can still use sqlite-utils methods that open their own (they become savepoints).
        generation: how many times the connections were closed (``detach_all``).
    """

    def __init__(self) -> None:
        self.write_lock = threading.RLock()
        self.generation = 0
        self._registry_lock = threading.Lock()
        self._local = threading.local()
        self._open: dict[int, tuple[weakref.ref[threading.Thread], Database]] = {}

    def current(self) -> Database | None:
        """The calling thread's connection, or None: it has none yet, or it was opened
        before the last ``detach_all``."""
        local = self._local
        db: Database | None = getattr(local, "db", None)
        if db is not None and local.generation == self.generation:
            return db
        return None

    def adopt(self, db: Database) -> None:
        """Make ``db`` the calling thread's connection. Connections of threads that have
        ended (the server's pool shrinks) are closed here, so they do not pile up."""
        with self._registry_lock:
            for key, (thread, other) in list(self._open.items()):
                alive = thread()
                if alive is None or not alive.is_alive():
                    del self._open[key]
                    _close(other)
            self._open[id(db)] = (weakref.ref(threading.current_thread()), db)
            generation = self.generation
        self._local.db = db
        self._local.generation = generation

    def forget(self, db: Database) -> None:
        """``db`` was closed by its owner: drop it (the thread gets a new one when asked)."""
        with self._registry_lock:
            self._open.pop(id(db), None)
        if getattr(self._local, "db", None) is db:
            del self._local.db

    def detach_all(self) -> list[Database]:
        """Drop every thread's connection and start a new generation; returns them, for
        the caller to ``close()``. The caller holds ``write_lock``, so no write
        transaction is in progress."""
        with self._registry_lock:
            open_now = [db for _, db in self._open.values()]
            self._open.clear()
            self.generation += 1
        return open_now

    @staticmethod
    def close(connections: list[Database]) -> None:
        """Close ``connections`` (from ``detach_all``), ignoring those already broken."""
        for db in connections:
            _close(db)


def _close(db: Database) -> None:
    # sqlite-utils' close, not Database.close(), which would call forget() and so take the
    # registry lock held here.
    with contextlib.suppress(sqlite3.Error):
        sqlite_utils.Database.close(db)
