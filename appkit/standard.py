"""``appkit.App``: the core ``App`` with the sessions, data, jobs and live extensions.

    from appkit import App

    app = App("notes", sessions=Sessions(store="sqlite"),
              extensions=[JobsSettings(max_concurrent_runs=4)])

The core (``appkit.app.App``) imports no extension; this module puts the three together,
so adding the next subsystem means adding it here, not changing the core.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from appkit.app.application import App as CoreApp
from appkit.app.extensions import Extension, ExtensionSettings
from appkit.data.extension import DataSettings
from appkit.jobs.settings import JobsSettings
from appkit.live.settings import LiveSettings
from appkit.sessions.manager import Sessions

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

    from appkit.data import Database, Migrations, Store, Table
    from appkit.jobs import Jobs
    from appkit.live import Hub
    from appkit.sessions.manager import SessionManager

__all__ = ["App"]

_F = TypeVar("_F", bound=Callable[..., Any])
_T = TypeVar("_T", bound="DataclassInstance")


class App(CoreApp):
    """A hypermedia app with sessions, a per-user database and a job scheduler.

    Takes the core ``App``'s arguments (see ``appkit.app.App``), and:

    Args:
        sessions: how sessions are kept and whether unsafe requests need a CSRF token
            (``Sessions(...)``; by default signed cookies and CSRF on). The same as
            passing ``Sessions(...)`` in ``extensions``.

    Each subsystem is configured the same way, by its settings in ``extensions``:
    ``Sessions(...)``, ``DataSettings(...)``, ``JobsSettings(...)``.

    What the extensions add: ``app.sessions`` (the session manager), ``app.db``,
    ``app.store``, ``app.table_for``, ``@app.migration``, ``app.migrations`` (data),
    ``app.jobs`` and ``@app.task`` (jobs), ``app.hub`` (live), and the ``session``
    handler parameter.
    """

    default_extensions: ClassVar[tuple[Callable[[], Any], ...]] = (
        Sessions, DataSettings, JobsSettings, LiveSettings)

    if TYPE_CHECKING:  # answered by the extensions (see CoreApp.__getattr__)
        sessions: SessionManager
        hub: Hub
        db: Database
        store: Store
        migrations: Migrations
        jobs: Jobs

        def table_for(self, cls: type[_T], *, pk: str = "id", name: str | None = None
                      ) -> Table[_T]: ...

        def migration(self, version: int) -> Callable[[_F], _F]: ...

        def task(self, name: Any = None, /, *, timeout: float | timedelta | None = None,
                 retries: int = 0) -> Any: ...

    def __init__(self, name: str, *, sessions: Sessions | None = None,
                 extensions: Iterable[ExtensionSettings | Extension] = (),
                 **options: Any) -> None:
        given = list(extensions)
        if sessions is not None:
            given.insert(0, sessions)
        super().__init__(name, extensions=given, **options)
