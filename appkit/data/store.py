"""``Store``: one SQLite database file, a connection per thread, migrations on first use.

    store = Store(lambda: dirs.data / "todo.db", migrations=migrations)
    store.db["todos"].insert({"title": "Milk"})      # this thread's sqlite_utils Database
    with store.transaction() as db:
        ...
    store.close()                                      # at shutdown

Nothing touches the disk until the database is first used: the path is worked out then,
its folder created, and pending migrations run (after a backup copy) before any thread
gets a connection.

How it stays safe under a threaded server:

- every thread has its own connection (sqlite3 connections are not for sharing);
- every connection runs in WAL mode, so readers never wait for the writer and the writer
  never waits for readers;
- write transactions begin with ``BEGIN IMMEDIATE`` (explicit ones, sqlite-utils' own, and
  the driver's implicit ones, through ``isolation_level="IMMEDIATE"``): a transaction takes
  SQLite's write lock at its start, so it can never hit the deferred-transaction upgrade
  that fails at once with "database is locked" instead of waiting;
- a process-wide lock per store lets one write transaction run at a time, handing over in
  order instead of SQLite's sleep-and-retry; the busy timeout covers other processes.

Durability: ``synchronous=FULL`` by default. In WAL mode that syncs the log to disk at every
commit, so a committed transaction survives a process crash *and* a power cut or OS crash.
``synchronous="NORMAL"`` is faster (it syncs only at checkpoints) and still survives a crash
of the app, but the last transactions before a power cut can be lost (never corrupted).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from appkit.data._backups import backups_of, copy_database, write_backup
from appkit.data._connections import Connections
from appkit.data.database import Database
from appkit.data.errors import DatabaseTooNew, DataError, MigrationFailed
from appkit.data.migrations import Migration, Migrations
from appkit.errors import ConfigurationError

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

    from appkit.data.tables import Table

    T = TypeVar("T", bound=DataclassInstance)

__all__ = ["Store"]

PathSource = str | os.PathLike[str] | Callable[[], str | os.PathLike[str]]

_SYNCHRONOUS = ("NORMAL", "FULL", "EXTRA")
_SAVEPOINT = "appkit_migrations"


class Store:
    """One SQLite database file, shared safely by the threads of a server.

    Args:
        path: the database file, or a function that returns it (called on first use, so
            creating a Store creates nothing on disk).
        migrations: the migrations to bring the database up to date when it is first used.
        keep_backups: how many backup copies to keep in the ``backups`` folder beside the
            database (the newest; older ones are deleted when a new one is made).
        timeout: seconds a connection waits for another process's write lock before it
            fails with "database is locked".
        synchronous: ``"FULL"`` (default: a commit survives a power cut), ``"NORMAL"``
            (survives a crash of the app, not a power cut) or ``"EXTRA"``.

    Raises:
        ConfigurationError: an option is out of range.
    """

    def __init__(self, path: PathSource, *, migrations: Migrations | None = None,
                 keep_backups: int = 5, timeout: float = 10.0,
                 synchronous: str = "FULL") -> None:
        if keep_backups < 1:
            raise ConfigurationError(
                f"keep_backups must be at least 1, not {keep_backups}: a failed migration "
                "needs the copy made before it")
        if timeout <= 0:
            raise ConfigurationError(f"timeout must be positive (seconds), not {timeout}")
        if synchronous.upper() not in _SYNCHRONOUS:
            raise ConfigurationError(
                f"synchronous must be one of {', '.join(_SYNCHRONOUS)}, not {synchronous!r}")
        self._path_source = path
        self._path: Path | None = None
        self.migrations = migrations if migrations is not None else Migrations()
        self.keep_backups = keep_backups
        self.timeout = timeout
        self.synchronous = synchronous.upper()
        #: The write lock, the generation and each thread's connection (for appkit.data's
        #: own modules: ``Database`` and ``Table`` share them through it).
        self.connections = Connections()
        self._ready = False
        self._failure: DataError | None = None
        self._tables: dict[tuple[Any, ...], Any] = {}

    # ---- where ------------------------------------------------------------------------

    @property
    def path(self) -> Path:
        """The database file (worked out on first access; not created by asking)."""
        if self._path is None:
            source = self._path_source
            self._path = Path(source() if callable(source) else source)
        return self._path

    @property
    def backups_folder(self) -> Path:
        """Where backup copies go: ``backups`` beside the database file."""
        return self.path.parent / "backups"

    def backups(self) -> list[Path]:
        """The backup copies of this database, oldest first."""
        return backups_of(self.backups_folder, self.path.stem)

    def backup(self, label: str = "manual") -> Path:
        """Copy the database (a consistent snapshot, while it is in use) to a new file in
        ``backups_folder``; returns its path. Only the newest ``keep_backups`` are kept.

        Raises:
            DataError: there is no database yet.
        """
        if not self.path.exists():
            raise DataError(f"There is no database at {self.path} yet: the app creates it "
                            "when it first stores something")
        with contextlib.closing(self.connect()) as db:
            return write_backup(db.conn, self.backups_folder, self.path.stem, label,
                                self.keep_backups)

    # ---- connections ------------------------------------------------------------------

    @property
    def db(self) -> Database:
        """This thread's ``Database``, opened on first use (the first one in the process
        also runs pending migrations).

        Raises:
            MigrationFailed: a pending migration raised; the database is as it was.
            DatabaseTooNew: a newer version of the app wrote the database.
            DataError: the file is not a usable SQLite database.
        """
        db = self.connections.current()
        if db is not None:
            return db
        return self._open_for_thread()

    def transaction(self) -> contextlib.AbstractContextManager[Database]:
        """``with store.transaction() as db:``, the same as ``store.db.transaction()``."""
        return self.db.transaction()

    def connect(self) -> Database:
        """A new connection of the caller's own, set up like the threads' ones, without
        running migrations; close it when done. For tools and tests: code that serves
        requests uses ``db``.

        Raises:
            DataError: the file exists and is not a usable SQLite database.
        """
        path = self.path
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not path.exists():
            # SQLite would create it world-readable (umask); the user's data is private.
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        conn = sqlite3.connect(path, timeout=self.timeout, isolation_level="IMMEDIATE",
                               check_same_thread=False)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA synchronous={self.synchronous}")
            conn.execute("PRAGMA foreign_keys=ON")
            return Database(conn, self)
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise DataError(
                f"{path} is not a usable SQLite database ({exc}). Restore a backup with "
                f"`appkit data restore APP FILE`; backups are in {self.backups_folder}"
            ) from None

    def close(self) -> None:
        """Close every thread's connection (at shutdown). Waits for a write transaction
        in progress to end. Using the store afterwards opens new connections."""
        connections = self.connections
        with connections.write_lock:
            open_now = connections.detach_all()
            self._ready = False
            self._failure = None
        connections.close(open_now)

    def _open_for_thread(self) -> Database:
        self._ensure_ready()
        db = self.connect()
        self.connections.adopt(db)
        return db

    # ---- migrations -------------------------------------------------------------------

    def _ensure_ready(self) -> None:
        if self._ready:
            return
        with self.connections.write_lock:
            if self._failure is not None:
                raise self._failure.with_traceback(None)
            if not self._ready:
                self._run_migrations()

    def _run_migrations(self) -> list[int]:
        try:
            applied = self._migrate()
        except DataError as exc:
            # Every request would fail the same way: remember, do not retry (and make a
            # backup) each time. close() or migrate() tries again.
            self._failure = exc
            raise
        self._ready = True
        return applied

    def migrate(self) -> list[int]:
        """Run the pending migrations now; returns the versions applied (``[]`` when the
        database is up to date).

        Before the first one runs, the database is copied to ``backups_folder`` (unless it
        is new and empty). They run in one transaction: if one raises, the data and the
        schema version are left exactly as they were (restored from that copy if a
        migration committed part of its work itself), and ``MigrationFailed`` says which.

        Raises:
            MigrationFailed: a migration raised.
            DatabaseTooNew: the database's version is above the latest migration; nothing
                was changed.
            DataError: the file is not a usable SQLite database.
        """
        with self.connections.write_lock:
            self._failure = None
            return self._run_migrations()

    def _migrate(self) -> list[int]:
        with contextlib.closing(self.connect()) as db:
            conn = db.conn
            current = _user_version(conn)
            self._check_not_too_new(current)
            if not self.migrations.pending(current):
                self.migrations.mark_used(current)
                return []
            backup = None
            if current > 0 or conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
                backup = write_backup(conn, self.backups_folder, self.path.stem,
                                      f"before-v{current + 1}", self.keep_backups)
            return self._apply(db, backup)

    def _check_not_too_new(self, version: int) -> None:
        latest = self.migrations.latest
        if version > latest:
            raise DatabaseTooNew(
                f"The database {self.path} was written by a newer version of the app "
                f"(schema {version}, this app knows up to {latest}). Install the newer "
                "version, or restore a backup: `appkit data restore APP FILE` "
                f"(backups are in {self.backups_folder}). Nothing was changed",
                version=version, latest=latest)

    def _apply(self, db: Database, backup: Path | None) -> list[int]:
        conn = db.conn
        conn.execute("BEGIN IMMEDIATE")
        # A savepoint inside the transaction: a migration that commits (conn.commit(), a
        # library call that does) ends it, which is how a broken transaction is noticed.
        conn.execute(f"SAVEPOINT {_SAVEPOINT}")
        # Read again now that this connection holds the write lock: another process may
        # have migrated in between.
        start = _user_version(conn)
        try:
            self._check_not_too_new(start)
        except DatabaseTooNew:
            conn.execute("ROLLBACK")
            raise
        applied: list[int] = []
        for version, fn in self.migrations.pending(start):
            try:
                fn(db)
                conn.execute(f"PRAGMA user_version = {int(version)}")
            except BaseException as exc:
                restored = self._undo(db, backup)
                if not isinstance(exc, Exception):
                    raise
                raise self._failed(version, fn, exc, start, backup, restored) from exc
            applied.append(version)
        try:
            conn.execute(f"RELEASE {_SAVEPOINT}")
        except sqlite3.OperationalError:
            pass  # a migration committed by itself; its work and the rest are done
        if conn.in_transaction:
            conn.execute("COMMIT")
        self.migrations.mark_used(applied[-1] if applied else start)
        return applied

    def _undo(self, db: Database, backup: Path | None) -> bool:
        """Put the database back as it was before the migrations; True if that took the
        backup copy (the transaction had been committed part-way)."""
        conn = db.conn
        try:
            conn.execute(f"ROLLBACK TO {_SAVEPOINT}")
            conn.execute("ROLLBACK")
            return False
        except sqlite3.OperationalError:
            pass  # no such savepoint: something committed inside the migration
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        # A database that was new and empty has no backup: an empty one is its copy.
        source = sqlite3.connect(backup if backup is not None else ":memory:")
        try:
            copy_database(source, conn)
        finally:
            source.close()
        return True

    def _failed(self, version: int, fn: Migration, exc: Exception, start: int,
                backup: Path | None, restored: bool) -> MigrationFailed:
        name = getattr(fn, "__name__", repr(fn))
        how = (" (it had committed part of its work, so the copy made before the "
               "migrations was put back)" if restored else "")
        where = (f"A copy from before the migrations is at {backup}"
                 if backup is not None else "It was empty, so no backup was needed")
        return MigrationFailed(
            f"Migration {version} ({name}) failed: {type(exc).__name__}: {exc}. The "
            f"database {self.path} was left as it was, at schema version {start}{how}. "
            f"{where}. Fix the migration and start the app again",
            version=version, migration=name, backup=backup)

    # ---- tables -----------------------------------------------------------------------

    def table_for(self, cls: type[T], *, pk: str = "id", name: str | None = None) -> Table[T]:
        """The table that holds dataclass ``cls``, as a ``Table``; it opens nothing, so it
        can be made at import time and then used from any thread.

        Args:
            cls: a dataclass; its fields are the columns.
            pk: the primary key field; an ``int | None`` one is filled in on insert.
            name: the table's name; by default the class name in snake case
                (``TodoItem`` -> ``todo_item``).

        Raises:
            ConfigurationError: ``cls`` is not a dataclass, has a field of a type a table
                cannot hold, or has no field ``pk``.
        """
        from appkit.data.tables import Table

        if not isinstance(cls, type):
            return Table(self, cls, pk=pk, name=name)  # raises: not a dataclass
        key = (cls, pk, name)
        table = self._tables.get(key)
        if table is None:
            table = self._tables[key] = Table(self, cls, pk=pk, name=name)
        return table

    def __repr__(self) -> str:
        where = self._path if self._path is not None else "(path not resolved yet)"
        return f"<Store {where}>"


def _user_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])
