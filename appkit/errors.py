"""appkit's exceptions: one base class, a subclass per subsystem.

HTTP-facing errors carry their status as a class attribute; raised inside a handler they
become an error page (or an htmx fragment, or JSON for a JSON client) with that status.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "AppkitError",
    "ConfigurationError",
    "AppLoadError",
    "HTTPError",
    "BadRequest",
    "Forbidden",
    "NotFound",
    "PayloadTooLarge",
    "WindowUnavailable",
    "DataError",
    "MigrationFailed",
    "DatabaseTooNew",
    "RestoreRefused",
    "RowNotFound",
    "JobsError",
    "UnknownTask",
    "InvalidInputs",
    "RunNotFound",
]


class AppkitError(Exception):
    """The base of every error appkit raises on purpose."""


class ConfigurationError(AppkitError):
    """The app is set up wrongly (a bad route, handler signature or option); raised when
    the app is defined, not when a request arrives."""


class AppLoadError(AppkitError):
    """An app could not be loaded from a path or ``module:attr`` (the CLI's input)."""


class WindowUnavailable(AppkitError):
    """A native feature (a dialog, the window's title...) was asked for, and the app has no
    native window: it runs in the browser, headless, or under a test client."""


class HTTPError(AppkitError):
    """An error answered to the client with ``status`` and a message it can show."""

    status: int = 500
    title: str = "Server error"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.title)
        self.message = message or self.title


class BadRequest(HTTPError):
    """The request's input is missing or malformed (400)."""

    status = 400
    title = "Bad request"


class Forbidden(HTTPError):
    """The request is not allowed (403)."""

    status = 403
    title = "Forbidden"


class NotFound(HTTPError):
    """There is nothing at this address (404)."""

    status = 404
    title = "Not found"


class PayloadTooLarge(HTTPError):
    """The request body is larger than the app accepts (413)."""

    status = 413
    title = "Request too large"


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


class JobsError(AppkitError):
    """The job scheduler could not do what was asked: a task that cannot be registered,
    an unusable scheduler database, a run that cannot be queued."""


class UnknownTask(JobsError):
    """No task of that name is registered; the message lists the ones that are."""


class InvalidInputs(JobsError):
    """A run's inputs cannot be stored or do not fit the task: not JSON (the message names
    the offending value), or not the keyword arguments the task's function takes."""


class RunNotFound(JobsError, NotFound):
    """No run has that id (perhaps it was purged); inside a handler it becomes a 404 page."""

    title = "Not found"
