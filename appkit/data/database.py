"""``Database``: sqlite-utils' ``Database`` for one thread, with serialised write transactions.

A ``Store`` gives each thread its own ``Database``; they all share the store's write lock, so

    with db.transaction():
        db["todos"].insert({"title": "Milk"})
        db["log"].insert({"what": "added"})

commits both rows or neither, and never interleaves with another thread's transaction.
Every sqlite-utils write method (``insert``, ``upsert``, ``transform``...) runs in a
transaction of the same kind, so plain ``db["t"].insert(...)`` is as safe.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, TypeVar

import sqlite_utils

from appkit.data.errors import DataError

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

    from appkit.data.store import Store
    from appkit.data.tables import Table

    T = TypeVar("T", bound=DataclassInstance)

__all__ = ["Database"]

_NO_OWNER = object()


def _current_task() -> object:
    """The asyncio task running now, or None outside an event loop."""
    try:
        return asyncio.current_task()
    except RuntimeError:  # no event loop running in this thread
        return None


class Database(sqlite_utils.Database):
    """This thread's connection to a ``Store``'s database: a ``sqlite_utils.Database``.

    Do not share it between threads: ask the store (``app.db``) in each thread, which
    gives every thread its own. Closing it is the store's job (``Store.close()``).

    Args:
        conn: an open connection, set up by the store (WAL, foreign keys, busy timeout,
            ``isolation_level="IMMEDIATE"``).
        store: the store it belongs to; its lock serialises write transactions.
    """

    def __init__(self, conn: sqlite3.Connection, store: Store) -> None:
        super().__init__(conn)
        self.store = store
        self._lock: threading.RLock = store.connections.write_lock
        self._owner: object = _NO_OWNER
        self._serial = 0
        self._depth = 0  # savepoints open inside the current transaction
        self._table_objects: dict[str, sqlite_utils.db.Table] = {}

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Database]:
        """A write transaction: commits when the block ends, rolls back if it raises.

        The outermost one takes the store's write lock and runs ``BEGIN IMMEDIATE``, so it
        holds SQLite's write lock from its first statement: it never fails half-way with
        "database is locked" when it moves from reading to writing, and no other thread's
        transaction runs until it ends. Nested blocks use savepoints: an inner block that
        raises undoes only its own changes.

        Raises:
            DataError: an async handler awaited inside a transaction, and another task on the
                same event loop tried to use the database meanwhile (keep ``await`` out of
                transactions, or write from a plain ``def`` handler).
        """
        conn = self.conn
        if conn.in_transaction:
            owner = self._owner
            if owner is not _NO_OWNER and owner is not _current_task():
                raise DataError(
                    "Another task on this event loop has a transaction open on this "
                    "connection (an async handler awaited inside `with db.transaction()`). "
                    "Do not await inside a transaction, or write from a plain `def` handler, "
                    "which runs in a thread of its own")
            self._depth += 1
            savepoint = f"appkit_{self._depth}"
            conn.execute(f"SAVEPOINT {savepoint}")
            try:
                yield self
            except BaseException:
                # An error that ended the whole transaction took the savepoint with it.
                if conn.in_transaction:
                    conn.execute(f"ROLLBACK TO {savepoint}")
                    conn.execute(f"RELEASE {savepoint}")
                raise
            else:
                if conn.in_transaction:
                    conn.execute(f"RELEASE {savepoint}")
            finally:
                self._depth -= 1
            return
        with self._lock:
            conn.execute("BEGIN IMMEDIATE")
            self._serial += 1
            self._owner = _current_task()
            try:
                yield self
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            else:
                try:
                    if conn.in_transaction:
                        conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
            finally:
                self._owner = _NO_OWNER

    def atomic(self) -> contextlib.AbstractContextManager[Database]:  # type: ignore[override]
        """What sqlite-utils' write methods run in: the same as ``transaction()``."""
        return self.transaction()

    def begin(self) -> None:
        """Not supported: a transaction opened by hand would bypass the store's lock.

        Raises:
            DataError: always; use ``with db.transaction():``.
        """
        raise DataError("Use `with db.transaction():` instead of db.begin(): it commits, rolls "
                        "back and serialises writes with the other threads for you")

    def table_for(self, cls: type[T], *, pk: str = "id", name: str | None = None) -> Table[T]:
        """The table of dataclass ``cls`` (see ``Store.table_for``, which this calls).

        The result is bound to the store, not to this thread: keep it anywhere and use it
        from any thread.
        """
        return self.store.table_for(cls, pk=pk, name=name)

    @property
    def transactions_begun(self) -> int:
        """How many outermost transactions this connection has begun: the number of the
        one open now (or of the last one), which tells two transactions apart."""
        return self._serial

    def cached_table(self, name: str) -> sqlite_utils.db.Table:
        """``self.table(name)``, made once per connection (making one asks SQLite whether
        ``name`` is a view); for tables, not views."""
        table = self._table_objects.get(name)
        if table is None:
            table = self._table_objects[name] = self.table(name)
        return table

    def close(self) -> None:
        """Close this connection; the store opens a new one for this thread when asked."""
        self.store.connections.forget(self)
        super().close()

    def __repr__(self) -> str:
        return f"<Database {self.store.path}>"
