"""The data extension: ``app.db``, ``app.table_for``, ``@app.migration`` and ``appkit data``.

``appkit.App`` adds it by default; ``App(..., extensions=[DataSettings(...)])`` configures
it. Nothing is opened until the app uses its database: the file is made on first use, and
pending migrations run at start (after a backup) when the app has any.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, cast

from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from appkit.app.extensions import Command
from appkit.app.routing import RouteHandler
from appkit.data.errors import DataError, MigrationFailed
from appkit.errors import ConfigurationError, HTTPError

if TYPE_CHECKING:
    from _typeshed import DataclassInstance
    from starlette.responses import Response

    from appkit.app.application import App
    from appkit.data.database import Database
    from appkit.data.migrations import Migrations
    from appkit.data.store import Store
    from appkit.data.tables import Table

__all__ = ["DataExtension", "DataSettings"]

logger = logging.getLogger("appkit")

_SYNCHRONOUS = ("NORMAL", "FULL", "EXTRA")  # as appkit.data.store checks them
_F = TypeVar("_F", bound=Callable[..., Any])
_T = TypeVar("_T", bound="DataclassInstance")


@dataclass(frozen=True)
class DataSettings:
    """How ``app.db`` is kept: ``App(name, extensions=[DataSettings(synchronous="NORMAL")])``.

    Args:
        keep_backups: how many backup copies to keep beside the database (1 or more).
        timeout: seconds a write waits for another process's lock before failing.
        synchronous: ``"FULL"`` (a commit survives a power cut), ``"NORMAL"`` (faster;
            survives a crash of the app) or ``"EXTRA"``.

    Raises:
        ConfigurationError: a setting out of range, with the fix.
    """

    keep_backups: int = 5
    timeout: float = 10.0
    synchronous: str = "FULL"

    def __post_init__(self) -> None:
        if isinstance(self.keep_backups, bool) or not isinstance(self.keep_backups, int) or (
                self.keep_backups < 1):
            raise ConfigurationError(
                f"keep_backups must be a whole number, at least 1, not {self.keep_backups!r}: "
                "a failed migration needs the copy made before it")
        if isinstance(self.timeout, bool) or not isinstance(self.timeout, int | float) or (
                self.timeout <= 0):
            raise ConfigurationError(f"timeout must be positive (seconds), not {self.timeout!r}")
        if str(self.synchronous).upper() not in _SYNCHRONOUS:
            raise ConfigurationError(
                f"synchronous must be one of {', '.join(_SYNCHRONOUS)}, not "
                f"{self.synchronous!r}")

    def extension(self) -> DataExtension:
        """The data extension with these settings."""
        return DataExtension(self)


class DataExtension:
    """``app.db`` and friends as an extension of the core (see the module's docstring)."""

    name = "data"
    exports = ("db", "store", "migrations", "migration", "table_for")

    def __init__(self, settings: DataSettings | None = None) -> None:
        self.settings = settings or DataSettings()
        self._migrations: Migrations | None = None
        self._app: App | None = None
        self._store: Store | None = None
        #: Why the database could not be opened at start (every page then explains it).
        self.failure: HTTPError | None = None

    def setup(self, app: App) -> None:
        """Migrate at start, refuse requests while the database is unusable, close at stop."""
        self._app = app
        app.pipeline.add(_DataStep(self))
        app.on_startup(self._migrate_at_start)
        app.on_shutdown(self.close)

    @property
    def migrations(self) -> Migrations:
        """The schema migrations of ``app.db`` (``@app.migration(1)`` adds one)."""
        if self._migrations is None:
            from appkit.data.migrations import Migrations

            self._migrations = Migrations()
        return self._migrations

    @property
    def store(self) -> Store:
        """The app's database file, ``<data dir>/<app>.db`` (``appkit.data.Store``): made
        on first use, never when the app is imported."""
        if self._store is None:
            from appkit.data.store import Store
            from shell.paths import folder_name

            app = self._require_app()
            self._store = Store(lambda: app.paths.data / f"{folder_name(app.name)}.db",
                                migrations=self.migrations,
                                keep_backups=self.settings.keep_backups,
                                timeout=self.settings.timeout,
                                synchronous=self.settings.synchronous)
        return self._store

    @property
    def db(self) -> Database:
        """This thread's connection to the app's database: a ``sqlite_utils.Database``
        with ``transaction()`` and ``table_for()``. Pending migrations run first."""
        return self.store.db

    def migration(self, version: int) -> Callable[[_F], _F]:
        """Register ``fn(db)`` as schema migration number ``version`` (1, 2, 3...): run
        once, in order, in a transaction, after a backup copy of the database."""
        return cast(Callable[[_F], _F], self.migrations.migration(version))

    def table_for(self, cls: type[_T], *, pk: str = "id", name: str | None = None
                  ) -> Table[_T]:
        """The rows of a table as ``cls`` instances (a dataclass); opens nothing until it
        is used, so it can be made at module level: ``todos = app.table_for(Todo)``."""
        return self.store.table_for(cls, pk=pk, name=name)

    def close(self) -> None:
        """Close the database's connections (the app is stopping)."""
        if self._store is not None:
            self._store.close()

    def commands(self) -> Sequence[Command]:
        """``appkit data {path,backup,restore,migrate,info} PATH [FILE]``."""
        return (Command("data", "the app's database: path, backup, restore, migrate, info",
                        "Work on an app's per-user database (the one app.db opens). Stop the "
                        "app first for restore and migrate.", _configure, _run),)

    def _require_app(self) -> App:
        if self._app is None:
            raise ConfigurationError("The data extension is not added to an app yet")
        return self._app

    async def _migrate_at_start(self) -> None:
        # Bring app.db up to date before the first request. A failure is logged, and
        # every page then explains it instead of half-working.
        if self._migrations is None or not self._migrations.latest:
            return
        try:
            await run_in_threadpool(self.store.migrate)
        except DataError as exc:
            logger.error("The database could not be opened: %s", exc)
            if not isinstance(exc, HTTPError):
                raise
            self.failure = exc

    def __repr__(self) -> str:
        return f"<DataExtension {self.settings!r}>"


class _DataStep:
    def __init__(self, extension: DataExtension) -> None:
        self.extension = extension

    async def enter(self, conn: HTTPConnection, route: RouteHandler | None) -> None:
        failure = self.extension.failure
        if failure is not None and route is not None:
            # The same error for every request: without its last traceback, or each
            # raise would add frames to it (and keep the requests they hold alive).
            raise failure.with_traceback(None)

    async def leave(self, conn: HTTPConnection, response: Response) -> Response:
        return response

    def page(self, conn: HTTPConnection, head: list[Any], body: list[Any]) -> None:
        return None


def _configure(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    for name, text in (("path", "print the database file's path"),
                       ("backup", "copy the database to a new file in its backups folder"),
                       ("migrate", "run the pending migrations (after a backup)"),
                       ("info", "the schema version, the tables and their rows, backups")):
        action = actions.add_parser(name, help=text, description=text[0].upper() + text[1:])
        action.add_argument("target", metavar="PATH", help="the app (as for appkit run)")
    restore = actions.add_parser(
        "restore", help="replace the database with a backup (the current one is kept)",
        description="Replace the database with FILE (checked first: an SQLite database, "
                    "intact, not newer than the app); the current one is backed up first.")
    restore.add_argument("target", metavar="PATH", help="the app (as for appkit run)")
    restore.add_argument("file", metavar="FILE", help="the backup to restore")


def _run(extension: DataExtension, args: argparse.Namespace) -> int:
    from appkit.data import admin

    store = extension.store
    try:
        if args.action == "path":
            print(admin.path(store))
        elif args.action == "backup":
            print(f"backed up to {admin.backup(store)}")
        elif args.action == "migrate":
            applied = admin.migrate(store)
            print(f"applied migrations {', '.join(map(str, applied))}" if applied
                  else "the database is up to date")
        elif args.action == "restore":
            kept = admin.restore(store, args.file)
            print(f"restored {args.file}" + (f"; the database as it was is in {kept}"
                                              if kept else ""))
        else:
            print(admin.info(store))
    except MigrationFailed as exc:
        print(f"appkit: {exc}", file=sys.stderr)
        return 1
    finally:
        store.close()
    return 0
