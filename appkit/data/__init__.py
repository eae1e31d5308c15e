"""``appkit.data``: the app's SQLite database, per user, safe under concurrency and upgrades.

- ``Store``: one database file; each thread gets its own connection, a ``Database``
  (sqlite-utils' ``Database`` with ``transaction()`` and ``table_for()``); pending
  ``Migrations`` run on first use, after a backup copy.
- ``Table``: the rows of a table as dataclass instances (``store.table_for(Todo)``).
- ``appkit.data.admin``: what the ``appkit data`` command does (path, backup, restore,
  migrate, info).

An ``App`` has one store: ``app.db`` is this thread's ``Database`` (the data extension,
``DataExtension``, configured by ``DataSettings``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from appkit._lazy import lazy_names
from appkit.data.errors import (
    DatabaseTooNew,
    DataError,
    MigrationFailed,
    RestoreRefused,
    RowNotFound,
)
from appkit.data.extension import DataExtension, DataSettings

if TYPE_CHECKING:
    from appkit.data.database import Database
    from appkit.data.migrations import Migration, Migrations
    from appkit.data.store import Store
    from appkit.data.tables import Table

# The database classes load sqlite-utils: they are imported when first asked for, so that
# `import appkit` (and an app that never opens its database) stays light.
_LAZY = {
    "Database": "appkit.data.database",
    "Migration": "appkit.data.migrations",
    "Migrations": "appkit.data.migrations",
    "Store": "appkit.data.store",
    "Table": "appkit.data.tables",
}


__getattr__ = lazy_names(__name__, _LAZY)


__all__ = [
    "DataError",
    "DataExtension",
    "DataSettings",
    "Database",
    "DatabaseTooNew",
    "Migration",
    "MigrationFailed",
    "Migrations",
    "RestoreRefused",
    "RowNotFound",
    "Store",
    "Table",
]
