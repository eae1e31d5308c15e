"""Backup copies of a database, through SQLite's online backup API.

The backup API reads one consistent snapshot (committed data in the WAL included) while
other connections keep working, and writes its target as one transaction. Copies live in a
``backups`` folder beside the database, named ``<stem>-<UTC time>-<label>.db`` so that the
name sorts by age; only the newest few are kept.
"""

from __future__ import annotations

import datetime
import os
import re
import sqlite3
from pathlib import Path

__all__ = ["backups_of", "copy_database", "prune", "stamp", "write_backup"]


def stamp() -> str:
    """The current UTC time as it appears in backup names (sorts by age)."""
    return datetime.datetime.now(datetime.UTC).strftime("%Y%m%d-%H%M%S-%f")


def _name_pattern(stem: str) -> re.Pattern[str]:
    return re.compile(rf"^{re.escape(stem)}-\d{{8}}-\d{{6}}-\d{{6}}(-[A-Za-z0-9-]+)?\.db$")


def backups_of(folder: Path, stem: str) -> list[Path]:
    """The backups of database ``stem`` in ``folder``, oldest first."""
    if not folder.is_dir():
        return []
    pattern = _name_pattern(stem)
    return sorted(p for p in folder.iterdir() if pattern.match(p.name))


def prune(folder: Path, stem: str, keep: int) -> None:
    """Delete all but the newest ``keep`` backups of ``stem``."""
    for old in backups_of(folder, stem)[:-keep] if keep > 0 else backups_of(folder, stem):
        old.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_backup(conn: sqlite3.Connection, folder: Path, stem: str, label: str,
                 keep: int) -> Path:
    """Copy the database behind ``conn`` to a new file in ``folder``; returns its path.

    The copy is written under a temporary name, made a plain single-file database
    (``journal_mode=DELETE``), flushed to disk and then renamed, so a crash never leaves a
    half-written file that looks like a backup. Older backups beyond ``keep`` are deleted.
    """
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    final = folder / f"{stem}-{stamp()}-{label}.db"
    tmp = folder / f".{final.name}.tmp"
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    try:
        target = sqlite3.connect(tmp, isolation_level=None)
        try:
            conn.backup(target)
            target.execute("PRAGMA journal_mode=DELETE")
        finally:
            target.close()
        _fsync(tmp)
        os.replace(tmp, final)
        _fsync(folder)
    except BaseException:
        tmp.unlink(missing_ok=True)
        Path(f"{tmp}-journal").unlink(missing_ok=True)
        raise
    prune(folder, stem, keep)
    return final


def copy_database(source: sqlite3.Connection, target: sqlite3.Connection) -> None:
    """Replace the whole content of ``target``'s database with ``source``'s, in one
    transaction of ``target``. SQLite keeps ``target``'s WAL and shared-memory files
    consistent with the result, and other connections see the new content.

    ``target`` must have no transaction open.
    """
    wal = target.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal"
    same_size = (source.execute("PRAGMA page_size").fetchone()[0]
                 == target.execute("PRAGMA page_size").fetchone()[0])
    if wal and not same_size:
        # SQLite cannot change a WAL database's page size through the backup API; out of
        # WAL mode it can (this needs the database to be unused for a moment).
        target.execute("PRAGMA journal_mode=DELETE")
        source.backup(target)
        target.execute("PRAGMA journal_mode=WAL")
    else:
        source.backup(target)
