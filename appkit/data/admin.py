"""What the ``appkit data`` command does to an app's database: path, backup, restore,
migrate, info. Each function takes the app's ``Store``, returns a value (the command
prints it) and raises a typed error with a message a user can act on.

    from appkit.data import admin

    admin.backup(app.store)                  # Path of the new copy
    admin.restore(app.store, "copy.db")      # validates, backs up the current one, restores
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import tempfile
from pathlib import Path

from appkit.data._backups import copy_database, stamp
from appkit.data.errors import DataError, RestoreRefused
from appkit.data.store import Store

__all__ = ["backup", "info", "migrate", "path", "restore"]

_MAGIC = b"SQLite format 3\x00"


def path(store: Store) -> Path:
    """The database file (which may not exist yet)."""
    return store.path


def backup(store: Store) -> Path:
    """Copy the database to a new timestamped file in its ``backups`` folder; returns it.

    Raises:
        DataError: there is no database yet, or it is not a usable SQLite database.
    """
    return store.backup("manual")


def migrate(store: Store) -> list[int]:
    """Run the pending migrations (after a backup copy); returns the versions applied.

    Raises:
        MigrationFailed: one raised; the database is as it was, and the backup is named.
        DatabaseTooNew: a newer version of the app wrote the database.
    """
    return store.migrate()


def restore(store: Store, file: str | Path) -> Path | None:
    """Replace the database's content with ``file``'s, a backup or another copy.

    ``file`` is checked first (an SQLite database, ``PRAGMA integrity_check`` ok, a schema
    version this app knows); only then is the current database copied to the backups
    folder, and the content replaced in one transaction through SQLite's backup API, so
    the database's WAL and shared-memory files stay consistent and nothing is half-done
    after a crash. A current database too damaged to copy is moved into the backups
    folder (``...-damaged.db``) instead. ``file`` itself is only read. The next use of the
    database runs any migrations the restored copy lacks.

    Returns:
        The backup of the database as it was before, or None if there was none.

    Raises:
        RestoreRefused: ``file`` is missing, not SQLite, damaged, newer than the app, or is
            the database itself; nothing was changed.
    """
    source = Path(file)
    if not source.is_file():
        raise RestoreRefused(f"There is no file {source} to restore from")
    target = store.path
    if target.exists() and source.resolve() == target.resolve():
        raise RestoreRefused(f"{source} is the app's database itself; restore from a backup "
                             f"copy (they are in {store.backups_folder})")
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".restore-") as tmp:
        # Check (and later read) a private copy: opening the user's file could change it
        # (SQLite folds a -wal file into its database when it opens it).
        copy = Path(tmp) / "restore.db"
        shutil.copyfile(source, copy)
        wal = Path(f"{source}-wal")
        if wal.is_file():
            shutil.copyfile(wal, f"{copy}-wal")
        _validate(copy, source, store.migrations.latest)
        store.close()
        before = _save_current(store)
        with contextlib.closing(store.connect()) as db, \
                contextlib.closing(sqlite3.connect(copy)) as src:
            copy_database(src, db.conn)
        store.close()  # the next use opens afresh and migrates what the copy lacks
    return before


def info(store: Store) -> str:
    """A few lines about the database: where, how big, schema version against the app's
    latest migration, its tables with their row counts, and the backups."""
    db_path = store.path
    lines = [f"Database: {db_path}"]
    if not db_path.exists():
        lines.append("  (not created yet: the app creates it when it first stores something)")
    else:
        wal = Path(f"{db_path}-wal")
        size = _size(db_path.stat().st_size)
        if wal.exists() and wal.stat().st_size:
            size += f" (and {_size(wal.stat().st_size)} in {wal.name}, not yet checkpointed)"
        lines.append(f"Size: {size}")
        lines += _contents(store)
    backups = store.backups()
    lines.append(f"Backups: {len(backups)} in {store.backups_folder} "
                 f"(the newest {store.keep_backups} are kept)")
    lines += [f"  {b.name}  {_size(b.stat().st_size)}" for b in backups]
    return "\n".join(lines)


def _contents(store: Store) -> list[str]:
    latest = store.migrations.latest
    try:
        with contextlib.closing(store.connect()) as db:
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            tables = [(name, db.table(name).count) for name in db.table_names()]
    except (DataError, sqlite3.DatabaseError) as exc:
        return [f"Cannot read it: {exc}"]
    if version == latest:
        state = "up to date"
    elif version < latest:
        pending = ", ".join(f"{v} {store.migrations.name(v)}"
                            for v in range(version + 1, latest + 1))
        state = f"migrations pending: {pending}"
    else:
        state = "NEWER than this app: a newer version of the app wrote it"
    lines = [f"Schema version: {version} (this app's latest: {latest}; {state})",
             f"Tables: {len(tables)}" if tables else "Tables: none"]
    width = max((len(name) for name, _ in tables), default=0)
    lines += [f"  {name:<{width}}  {count:,} row{'s' if count != 1 else ''}"
              for name, count in tables]
    return lines


def _validate(copy: Path, shown: Path, latest: int) -> None:
    with copy.open("rb") as handle:
        if handle.read(len(_MAGIC)) != _MAGIC:
            raise RestoreRefused(f"{shown} is not an SQLite database; nothing was changed")
    try:
        with contextlib.closing(sqlite3.connect(copy)) as conn:
            problems = [row[0] for row in conn.execute("PRAGMA integrity_check")]
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    except sqlite3.DatabaseError as exc:
        raise RestoreRefused(f"{shown} is a damaged SQLite database ({exc}); nothing was "
                             "changed. Try an older backup") from None
    if problems != ["ok"]:
        lines = [line for problem in problems for line in problem.splitlines()
                 if not line.startswith("***")]
        more = f" and {len(lines) - 3} more" if len(lines) > 3 else ""
        raise RestoreRefused(f"{shown} is a damaged SQLite database (integrity check: "
                             f"{'; '.join(lines[:3])}{more}); nothing was changed. Try an "
                             "older backup")
    if version > latest:
        raise RestoreRefused(
            f"{shown} was written by a newer version of the app (schema {version}, this app "
            f"knows up to {latest}); nothing was changed. Install the newer version to use it")


def _save_current(store: Store) -> Path | None:
    """Back up the database before it is replaced; move it aside if it cannot be read."""
    target = store.path
    if not target.exists() or target.stat().st_size == 0:
        return None
    try:
        return store.backup("before-restore")
    except (DataError, sqlite3.DatabaseError):
        pass
    folder = store.backups_folder
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    # The same name pattern as the backups, so `info` lists it; the label says what it is.
    aside = folder / f"{target.stem}-{stamp()}-damaged.db"
    for suffix in ("-wal", "-shm"):
        side = Path(f"{target}{suffix}")
        if side.exists():
            side.replace(f"{aside}{suffix}")
    target.replace(aside)
    return aside


def _size(count: int) -> str:
    if count < 1024:
        return f"{count:,} bytes"
    if count < 1024 * 1024:
        return f"{count / 1024:.1f} KB"
    return f"{count / (1024 * 1024):.1f} MB"
