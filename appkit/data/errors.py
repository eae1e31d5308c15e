"""The data layer's errors (``app.db``, migrations, backups, tables)."""

from __future__ import annotations

from pathlib import Path

from appkit.errors import AppkitError, HTTPError, NotFound

__all__ = ["DataError", "MigrationFailed", "DatabaseTooNew", "RestoreRefused", "RowNotFound"]


class DataError(AppkitError):
    """The app's database could not be opened, migrated, backed up or restored."""


class MigrationFailed(DataError, HTTPError):
    """A migration raised: the database was left as it was before the migrations ran.

    Raised inside a handler (the first use of ``app.db``) it becomes an error page that
    names the migration and the backup. ``version``, ``migration`` (the function's name)
    and ``backup`` (the copy made before migrating, or None for a new database) say which.
    """

    status = 500
    title = "The app's data could not be upgraded"

    def __init__(self, message: str, *, version: int, migration: str,
                 backup: Path | None) -> None:
        super().__init__(message)
        self.version = version
        self.migration = migration
        self.backup = backup


class DatabaseTooNew(DataError, HTTPError):
    """The database's schema version is newer than the app's latest migration: a newer
    version of the app wrote it. Nothing was changed. ``version`` is the database's,
    ``latest`` the app's."""

    status = 500
    title = "The app's data is from a newer version"

    def __init__(self, message: str, *, version: int, latest: int) -> None:
        super().__init__(message)
        self.version = version
        self.latest = latest


class RestoreRefused(DataError):
    """A file given to restore is not a usable database of this app (not SQLite, damaged,
    or from a newer version); the current database was not touched."""


class RowNotFound(NotFound):
    """No row has that primary key (or it is outside the table's scope); inside a handler
    it becomes a 404 page."""

    title = "Not found"
