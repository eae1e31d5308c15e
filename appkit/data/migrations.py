"""``Migrations``: the numbered steps that take an app's database from one schema to the next.

    migrations = Migrations()

    @migrations.migration(1)
    def create_todos(db):
        db["todos"].create({"id": int, "title": str, "done": bool}, pk="id")

    @migrations.migration(2)
    def add_due_date(db):
        db["todos"].add_column("due", str)

Versions are consecutive from 1, in the order they are defined; the database keeps the
version it is at in ``PRAGMA user_version``. A ``Store`` runs the pending ones when it
first opens the database (see ``Store.migrate``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from appkit.errors import ConfigurationError

if TYPE_CHECKING:
    from appkit.data.database import Database

__all__ = ["Migration", "Migrations"]

class Migration(Protocol):
    """A migration: a function called with the database, inside the migrations'
    transaction; what it returns is ignored."""

    def __call__(self, db: Database, /) -> Any: ...


class Migrations:
    """The app's migrations, in version order."""

    def __init__(self) -> None:
        self._steps: list[Migration] = []
        self._used_at: int | None = None

    @property
    def latest(self) -> int:
        """The highest version defined (0 when there are none)."""
        return len(self._steps)

    def add(self, version: int, fn: Migration) -> Migration:
        """Add ``fn`` as migration ``version``; returns ``fn``.

        Raises:
            ConfigurationError: ``version`` is not the next one (1 first, then 2...), is
                taken already, ``fn`` is not callable, or a database was already migrated
                with these migrations (define them all at import, before ``app.db`` is used).
        """
        name = getattr(fn, "__name__", repr(fn))
        if not callable(fn):
            raise ConfigurationError(f"Migration {version} must be a function, not {fn!r}")
        if isinstance(version, bool) or not isinstance(version, int):
            raise ConfigurationError(
                f"A migration's version is a whole number, not {version!r} ({name})")
        if self._used_at is not None:
            raise ConfigurationError(
                f"Migration {version} ({name}) was defined after the database was opened and "
                f"migrated to version {self._used_at}. Define every migration when the app's "
                "module is imported, before anything uses the database")
        if 1 <= version <= self.latest:
            other = self._steps[version - 1]
            raise ConfigurationError(
                f"Migration {version} is defined twice: {getattr(other, '__name__', other)} "
                f"and {name}. Give {name} the next free version, {self.latest + 1}")
        if version != self.latest + 1:
            expected = self.latest + 1
            raise ConfigurationError(
                f"Migration {version} ({name}) does not follow on: versions are consecutive "
                f"from 1, so the next one is {expected}")
        self._steps.append(fn)
        return fn

    def migration(self, version: int) -> Callable[[Migration], Migration]:
        """Decorator: ``@migrations.migration(1)`` adds the function as that version.

        Raises:
            ConfigurationError: as for ``add``, when the function is decorated.
        """

        def decorate(fn: Migration) -> Migration:
            return self.add(version, fn)

        return decorate

    def pending(self, current: int) -> list[tuple[int, Migration]]:
        """The migrations after version ``current``, as ``(version, fn)`` in order."""
        return [(v, fn) for v, fn in enumerate(self._steps, start=1) if v > current]

    def name(self, version: int) -> str:
        """The function name of migration ``version``."""
        fn = self._steps[version - 1]
        return str(getattr(fn, "__name__", repr(fn)))

    def mark_used(self, version: int) -> None:
        """Record that a database was brought to ``version`` with these migrations; from
        then on ``add`` refuses new ones (a ``Store`` calls this once it has migrated)."""
        self._used_at = version

    def __len__(self) -> int:
        return self.latest

    def __repr__(self) -> str:
        names = ", ".join(f"{v}:{self.name(v)}" for v in range(1, self.latest + 1))
        return f"<Migrations {names or 'none'}>"
