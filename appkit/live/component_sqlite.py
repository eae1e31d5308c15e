"""``SQLiteStore``: live components that survive a restart of the app (opt-in:
``LiveSettings(component_store="sqlite")``).

Instances stay in memory as with ``MemoryStore`` (the same TTL and per-session cap); each is
also written to ``<data>/<app>-components.db`` when it is mounted and after every event:
its class (module and name), its declared fields as JSON, its nonce and expiry, its slots'
HTML. After a restart a page's next event finds it there. The key that signs tokens is kept
in the same file (0600), so the page's token is still good.

What comes back is decided by the class alone: the class must be defined at a module's top
level and be a ``Component``; each field is read back as its declared type (the route
binding's rules for scalars, JSON for lists and dicts); nothing in the file names a type.
State that is not JSON (a dataclass, a set) cannot be kept this way: ``put`` says which
field.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import enum
import importlib
import json
import logging
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from appkit.errors import ConfigurationError
from appkit.html import Safe, render
from appkit.live.component_store import MemoryStore

__all__ = ["SQLiteStore"]

logger = logging.getLogger("appkit.live.components")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS instances (
    owner TEXT NOT NULL, cid TEXT NOT NULL, class TEXT NOT NULL, state TEXT NOT NULL,
    slots TEXT NOT NULL, nonce TEXT NOT NULL, token TEXT NOT NULL, expires REAL NOT NULL,
    PRIMARY KEY (owner, cid));
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value BLOB NOT NULL);
"""


class SQLiteStore(MemoryStore):
    """``MemoryStore`` backed by a SQLite file (see the module)."""

    def __init__(self, path: Callable[[], Path] | Path, ttl: float = 3600.0,
                 per_session: int = 200) -> None:
        super().__init__(ttl, per_session)
        self._path = path
        self._db: sqlite3.Connection | None = None
        self._db_lock = threading.Lock()

    # ---- the file ---------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        if self._db is None:
            path = Path(self._path() if callable(self._path) else self._path)
            path.parent.mkdir(parents=True, exist_ok=True)
            fresh = not path.exists()
            db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            if fresh:
                os.chmod(path, 0o600)  # it holds the key that signs the pages' tokens
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)
            self._db = db
        return self._db

    def key(self) -> bytes:
        """The key that signs tokens, made on first use and kept in the file."""
        with self._db_lock:
            db = self._connect()
            row = db.execute("SELECT value FROM meta WHERE name = 'key'").fetchone()
            if row is None:
                key = secrets.token_bytes(32)
                db.execute("INSERT INTO meta VALUES ('key', ?)", (key,))
                return key
            return bytes(row[0])

    def close(self) -> None:
        """Close the file (the app is stopping)."""
        with self._db_lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    # ---- the store ----------------------------------------------------------------------

    def put(self, owner: str, cid: str, instance: Any, nonce: str) -> None:
        self._write(owner, cid, instance, nonce)
        super().put(owner, cid, instance, nonce)

    def save(self, owner: str, cid: str, instance: Any) -> None:
        """Write ``instance``'s state again (after an event)."""
        kept = super().get(owner, cid)
        if kept is not None:
            self._write(owner, cid, instance, kept[1])

    def get(self, owner: str, cid: str) -> tuple[Any, str, asyncio.Lock] | None:
        found = super().get(owner, cid)
        if found is not None:
            return found
        with self._db_lock:
            row = self._connect().execute(
                "SELECT class, state, slots, nonce, token FROM instances "
                "WHERE owner = ? AND cid = ? AND expires > ?",
                (owner, cid, time.time())).fetchone()
        if row is None:
            return None
        instance = _revive(row[0], row[1], row[2], row[4], cid)
        if instance is None:
            return None
        super().put(owner, cid, instance, row[3])
        return super().get(owner, cid)

    def touch(self, owner: str, cid: str) -> None:
        super().touch(owner, cid)
        with self._db_lock:
            self._connect().execute(
                "UPDATE instances SET expires = ? WHERE owner = ? AND cid = ?",
                (time.time() + self.ttl, owner, cid))

    def delete(self, owner: str, cid: str) -> None:
        super().delete(owner, cid)
        with self._db_lock:
            self._connect().execute("DELETE FROM instances WHERE owner = ? AND cid = ?",
                                    (owner, cid))

    def expire(self, owner: str, cid: str, within: float) -> None:
        super().expire(owner, cid, within)
        with self._db_lock:
            self._connect().execute(
                "UPDATE instances SET expires = min(expires, ?) WHERE owner = ? AND cid = ?",
                (time.time() + within, owner, cid))

    def sweep(self) -> int:
        gone = super().sweep()
        with self._db_lock:
            self._connect().execute("DELETE FROM instances WHERE expires <= ?",
                                    (time.time(),))
        return gone

    def _write(self, owner: str, cid: str, instance: Any, nonce: str) -> None:
        cls = type(instance)
        if "<locals>" in cls.__qualname__:
            raise ConfigurationError(
                f"{cls.name} is defined inside a function: the sqlite component store "
                "keeps only components defined at a module's top level")
        state = {}
        for name, value in instance.state_dict().items():
            try:
                json.dumps(value, default=_plain)
            except (TypeError, ValueError):
                raise ConfigurationError(
                    f"{cls.name}.{name} holds {type(value).__name__}, which is not JSON: "
                    "the sqlite component store keeps JSON state (lists, dicts, text, "
                    "numbers); keep ids, or use the memory store") from None
            state[name] = value
        slots = {k: render(v) for k, v in getattr(instance, "_appkit_slots", {}).items()
                 if v is not None}
        with self._db_lock:
            self._connect().execute(
                "INSERT OR REPLACE INTO instances VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (owner, cid, f"{cls.__module__}:{cls.__qualname__}",
                 json.dumps(state, default=_plain),
                 json.dumps(slots), nonce, instance._appkit_token, time.time() + self.ttl))


def _plain(value: Any) -> Any:
    """A date, a decimal or an Enum as JSON can hold it (read back by the field's type)."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.date | Decimal):
        return value.isoformat() if isinstance(value, dt.date) else str(value)
    raise TypeError(type(value).__name__)


def _revive(path: str, state: str, slots: str, token: str, cid: str) -> Any:
    """The instance a row describes, or None (logged) when its class is gone."""
    from appkit.live.components import Component

    module_name, _, qualname = path.partition(":")
    try:
        found: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            found = getattr(found, part)
    except (ImportError, AttributeError):
        logger.warning("A kept component's class %s is gone: its page reloads", path)
        return None
    if not (isinstance(found, type) and issubclass(found, Component)):
        logger.warning("A kept component's class %s is not a Component", path)
        return None
    cls = found
    instance = object.__new__(cls)
    values = json.loads(state)
    spec = cls._spec
    for name, default in spec.fields.items():
        value = values.get(name, default)
        reader = spec.readers.get(name)
        if reader is not None and value is not None and not isinstance(value, list | dict):
            try:
                value = reader.value(value, True)
            except Exception:  # noqa: BLE001 (a field whose type changed: its default)
                value = default
        setattr(instance, name, value)
    instance.id = cid
    instance._appkit_slots = {  # type: ignore[attr-defined]
        k: Safe(v) for k, v in json.loads(slots).items()}
    instance._appkit_token = token  # type: ignore[attr-defined]
    return instance
