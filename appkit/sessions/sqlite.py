"""The server-side session store: sessions in a SQLite file, an opaque id in the cookie.

For sessions bigger than a cookie holds, or that must not travel to the browser. The
cookie carries only a random 256-bit id; the database keeps a hash of it (so a copy of the
file gives no one a usable cookie), the session's JSON and when it expires. Expired rows
are deleted when the store opens and then at most once per ``cleanup_interval``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import secrets
import sqlite3
import threading
import time
from pathlib import Path

__all__ = ["SQLiteStore"]

logger = logging.getLogger("appkit.sessions")

_ID = re.compile(r"[A-Za-z0-9_-]{43}")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    data TEXT NOT NULL,
    expires REAL NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS sessions_expires ON sessions (expires);
"""


class SQLiteStore:
    """Keeps sessions in a SQLite database of their own (WAL, one connection, serialised).

    Args:
        path: the database file; ``Sessions(store="sqlite")`` uses
            ``app.paths.data / "sessions.db"``.
        cleanup_interval: seconds between two clean-ups of expired sessions.
    """

    blocking = True

    def __init__(self, path: str | Path, *, cleanup_interval: float = 3600.0) -> None:
        self.path = Path(path)
        self.cleanup_interval = cleanup_interval
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._last_cleanup = 0.0

    def _connect(self) -> sqlite3.Connection:
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            # Create the file private to the user before SQLite opens it (its -wal and -shm
            # files take the database's permissions).
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
            db = sqlite3.connect(self.path, timeout=10.0, isolation_level=None,
                                 check_same_thread=False)
            try:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
                db.executescript(_SCHEMA)
            except BaseException:
                db.close()
                raise
            self._db = db
            self._clean_up(db, time.time())
        return self._db

    def load(self, cookie: str, max_age: float) -> str | None:
        """The session's JSON for the id in the cookie; None for an unknown or expired id."""
        if not _ID.fullmatch(cookie):
            logger.info("Ignored a session cookie that is not a session id")
            return None
        with self._lock:
            row = self._connect().execute(
                "SELECT data FROM sessions WHERE id = ? AND expires > ?",
                (_hash(cookie), time.time())).fetchone()
        if row is None:
            logger.info("No live session for the cookie's id (expired or cleaned up): "
                        "starting a new session")
            return None
        return str(row[0])

    def save(self, cookie: str | None, data: str, max_age: float) -> str:
        """Keep ``data`` under the cookie's id (a new random id when there is none)."""
        session_id = cookie if cookie is not None else secrets.token_urlsafe(32)
        now = time.time()
        with self._lock:
            db = self._connect()
            db.execute(
                "INSERT INTO sessions (id, data, expires) VALUES (?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET data = excluded.data, expires = excluded.expires",
                (_hash(session_id), data, now + max_age))
            if now - self._last_cleanup >= self.cleanup_interval:
                self._clean_up(db, now)
        return session_id

    def delete(self, cookie: str) -> None:
        """Forget the session with this cookie's id (nothing happens for an unknown one)."""
        if not _ID.fullmatch(cookie):
            return
        with self._lock:
            self._connect().execute("DELETE FROM sessions WHERE id = ?", (_hash(cookie),))

    def clean_up(self) -> int:
        """Delete the expired sessions now; returns how many there were."""
        with self._lock:
            return self._clean_up(self._connect(), time.time())

    def count(self) -> int:
        """How many sessions the database holds, expired ones included."""
        with self._lock:
            return int(self._connect().execute("SELECT count(*) FROM sessions").fetchone()[0])

    def _clean_up(self, db: sqlite3.Connection, now: float) -> int:
        self._last_cleanup = now
        deleted = db.execute("DELETE FROM sessions WHERE expires <= ?", (now,)).rowcount
        if deleted:
            logger.info("Deleted %d expired session(s) from %s", deleted, self.path)
        return int(deleted)

    def close(self) -> None:
        """Close the database connection (it opens again when next needed)."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def __repr__(self) -> str:
        return f"SQLiteStore({str(self.path)!r})"


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("ascii")).hexdigest()
