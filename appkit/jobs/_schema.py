"""The scheduler database's tables, and opening it (made on first use, checked after)."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from appkit.jobs.errors import JobsError

__all__ = ["SCHEMA_VERSION", "connect"]

SCHEMA_VERSION = 1

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        task TEXT NOT NULL,
        status TEXT NOT NULL,
        inputs TEXT NOT NULL,
        output TEXT,
        error TEXT,
        progress REAL,
        progress_message TEXT,
        created REAL NOT NULL,
        scheduled_for REAL NOT NULL,
        started REAL,
        finished REAL,
        timeout REAL,
        period REAL,
        retries INTEGER NOT NULL DEFAULT 0,
        attempts INTEGER NOT NULL DEFAULT 0,
        claims INTEGER NOT NULL DEFAULT 0,
        relaunches INTEGER NOT NULL DEFAULT 0,
        rerun_of INTEGER,
        owner TEXT,
        pid INTEGER,
        deadline REAL
    )""",
    "CREATE INDEX IF NOT EXISTS runs_queued ON runs (scheduled_for, id) "
    "WHERE status = 'queued'",
    "CREATE INDEX IF NOT EXISTS runs_status ON runs (status, id)",
    "CREATE INDEX IF NOT EXISTS runs_task ON runs (task, id)",
    """CREATE TABLE IF NOT EXISTS schedulers (
        id TEXT PRIMARY KEY,
        pid INTEGER NOT NULL,
        port INTEGER NOT NULL,
        started REAL NOT NULL
    )""",
)


def connect(path: Path, create: bool, timeout: float) -> sqlite3.Connection:
    """A connection to the database at ``path`` (made with its tables when ``create``).

    Raises:
        JobsError: the file is missing (not ``create``), not a scheduler database, or
            written by a newer appkit.
    """
    if create:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not path.exists():
            # SQLite would create it world-readable (umask); its -wal and -shm files take
            # the database's permissions.
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    elif not path.exists():
        raise JobsError(f"The scheduler's database {path} does not exist")
    conn = sqlite3.connect(str(path), timeout=timeout, isolation_level=None,
                           check_same_thread=False)
    conn.row_factory = sqlite3.Row
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        version = _version(conn)
        if version < SCHEMA_VERSION and create:
            conn.execute("BEGIN IMMEDIATE")
            try:
                version = _version(conn)  # another process may have made it meanwhile
                if version < SCHEMA_VERSION:
                    for statement in _SCHEMA:
                        conn.execute(statement)
                    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                    version = SCHEMA_VERSION
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise JobsError(
            f"{path} is not a usable scheduler database ({exc}). It holds only the "
            "scheduler's runs: stop the app, move the file away, and start again") from None
    if version > SCHEMA_VERSION:
        conn.close()
        raise JobsError(
            f"The scheduler's database {path} was written by a newer version of appkit "
            f"(schema {version}, this one knows {SCHEMA_VERSION}). Upgrade the app")
    if version < SCHEMA_VERSION:
        conn.close()
        raise JobsError(f"The scheduler's database {path} has no tables yet")
    return conn


def _version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])
