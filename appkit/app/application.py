"""``App``: an ASGI application on Starlette with appkit's routing, binding and responses.

    from appkit import App
    from appkit.html import Page, P

    app = App("hello")

    @app.get("/")
    def index(name: str = "world"):
        return Page("Hello", P(f"Hello, {name}!"))
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast, overload

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import HTTPConnection, Request
from starlette.responses import FileResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from appkit.app.binding import Binder, Provider
from appkit.app.errorpages import error_response
from appkit.app.hooks import BeforeHook, special_function
from appkit.app.htmx import HtmxDetails
from appkit.app.limits import BodyLimit
from appkit.app.responses import ResponseParts, to_response, wants_fragment
from appkit.app.routing import RouteHandler, Router, call_handler
from appkit.app.static import StaticFolder, StaticURL
from appkit.desktop import Dialogs, Window
from appkit.errors import AppkitError, ConfigurationError, HTTPError
from appkit.html import Document, Element, Link, Meta, Script, Title, render
from appkit.sessions.csrf import UNSAFE_METHODS, check_csrf, is_exempt
from appkit.sessions.errors import SessionError
from appkit.sessions.manager import SessionManager, Sessions
from appkit.sessions.session import Session
from appkit.sessions.toasts import toast_region, toast_swap

if TYPE_CHECKING:
    from datetime import timedelta

    from _typeshed import DataclassInstance

    from appkit.data import Database, Migrations, Store, Table
    from appkit.jobs import Jobs
    from shell.paths import AppDirs

__all__ = ["App"]

logger = logging.getLogger("appkit")

_APPKIT_STATIC = Path(__file__).resolve().parent.parent / "static"
_RESPONSE_KEY = "appkit.response"
_PROVIDED_KEY = "appkit.provided"
# ``session`` came after apps could read a value called session (``session: str``); an
# annotation other than ``Session`` keeps doing that.
_SOFT_NAMES = frozenset({"session"})
_F = TypeVar("_F", bound=Callable[..., Any])
_T = TypeVar("_T", bound="DataclassInstance")


class App(Router):
    """A hypermedia app: routes, parameter binding, HTML responses, static files.

    Args:
        name: the app's name; its per-user folders and window are named after it.
        title: the default page title (the name when not given).
        debug: show tracebacks on error pages (never in a shipped app).
        head: extra elements for every full page's ``<head>`` (``Link``, ``Meta``, ``Script``).
        stylesheet: include the vendored default stylesheet (Pico CSS).
        static_dir: the app's static folder, served at ``/static``; by default the
            ``static`` folder beside the module that creates the App, when there is one.
        max_body_size: the largest request body accepted, in bytes (413 above it).
        lang: the pages' language.
        middleware: Starlette ``Middleware`` entries, outermost first.
        sessions: how sessions are kept and whether unsafe requests need a CSRF token
            (``Sessions(...)``; by default signed cookies and CSRF on).
        version: the app's version (``appkit build`` also reads it from pyproject.toml).
        data_files: files and folders beside the app's module that it reads at run time;
            ``appkit build`` puts them in the executable at the same relative place.
    """

    def __init__(
        self,
        name: str,
        *,
        title: str | None = None,
        debug: bool = False,
        head: Iterable[Any] = (),
        stylesheet: bool = True,
        static_dir: str | Path | None = None,
        max_body_size: int = 10 * 1024 * 1024,
        lang: str = "en",
        middleware: Iterable[Middleware] = (),
        sessions: Sessions | None = None,
        version: str | None = None,
        data_files: Iterable[str] = (),
    ) -> None:
        if not name or not name.strip():
            raise ConfigurationError("An App needs a name, e.g. App('todo')")
        if max_body_size <= 0:
            raise ConfigurationError(f"max_body_size must be positive, not {max_body_size}")
        super().__init__()
        self.name = name
        self.title = title or name
        self.debug = debug
        self.head = list(head)
        self.stylesheet = stylesheet
        self.lang = lang
        self.max_body_size = max_body_size
        self._on_add = self._register
        self._by_name: dict[str, RouteHandler] = {}
        self._startup: list[Callable[[], Any]] = []
        self._shutdown: list[Callable[[], Any]] = []
        self._on_closing: Callable[[], bool] | None = None
        #: Set by ``appkit run``'s reload loop: pages then reload themselves after a restart.
        self.dev_reload = False
        self._native: Any = None
        #: Native dialogs, from handlers: ``path = await app.dialogs.open_file()``.
        self.dialogs = Dialogs(lambda: self._native)
        #: The window and the system's handlers: ``await app.window.set_title("Report")``.
        self.window = Window(lambda: self._native)
        self._on_activate: Callable[[list[str], str], Any] | None = None
        self._paths: AppDirs | None = None
        self.version = version
        self.data_files = list(data_files)
        self._store: Store | None = None
        self._migrations: Migrations | None = None
        self._data_error: HTTPError | None = None
        self._jobs: Jobs | None = None
        #: Loads each request's session and saves it with the answer (see ``Sessions``).
        self.sessions = SessionManager(sessions or Sessions(), name, lambda: self.paths)
        self._before: list[BeforeHook] = []
        self._hooks_by_route: dict[str, list[BeforeHook]] = {}
        self.providers: dict[str, Provider] = {
            "request": lambda request: request,
            "app": lambda request: self,
            "htmx": HtmxDetails,
            "response": _response_parts,
            "session": self.sessions.current,
        }
        self.typed_providers: dict[type, Provider] = {
            HTTPConnection: lambda request: request,
            HtmxDetails: HtmxDetails,
            App: lambda request: self,
            Response: _response_parts,
            Session: self.sessions.current,
        }
        self.assets = StaticFolder(_APPKIT_STATIC, "/_appkit")
        self.static = self._own_static(static_dir)
        self._starlette = Starlette(
            debug=False,
            middleware=[
                Middleware(BodyLimit, max_body_size=max_body_size, respond=self._error),
                *middleware,
            ],
            exception_handlers={HTTPException: self._http_exception,
                                HTTPError: self._http_error},
            lifespan=self._lifespan,
        )
        self.state = self._starlette.state
        self._routes: list[Any] = self._starlette.router.routes
        self._routes.append(Mount("/_appkit", app=self.assets, name="appkit-static"))
        if self.static is not None:
            self._routes.append(Mount("/static", app=self.static, name="static"))

    # ---- ASGI ---------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._starlette(scope, receive, send)

    # ---- routes -------------------------------------------------------------------------

    def _register(self, handler: RouteHandler) -> None:
        if handler.name in self._by_name:
            other = self._by_name[handler.name]
            raise ConfigurationError(
                f"Route name {handler.name!r} is already used by "
                f"{'|'.join(other.methods)} {other.path}; pass name=... to tell them apart"
            )
        binder = Binder(handler.fn, handler._path_params, self.providers, self.typed_providers,
                        soft=_SOFT_NAMES)
        handler._app = self
        self._by_name[handler.name] = handler
        self._hooks_by_route.clear()
        self._routes.append(Route(handler.path, self._endpoint(handler, binder),
                                  methods=handler.methods, name=handler.name))

    def _endpoint(self, handler: RouteHandler, binder: Binder
                  ) -> Callable[[Request], Awaitable[Response]]:
        make_document = self.document
        needs_binding = bool(binder.params)
        sessions = self.sessions
        guarded = handler.csrf and any(m in UNSAFE_METHODS for m in handler.methods)
        reads_body = binder.reads_body or guarded

        async def endpoint(request: Request) -> Response:
            if self._data_error is not None:
                return self._error(request, self._data_error)
            try:
                try:
                    session = await sessions.load(request)
                    if guarded and sessions.csrf and not is_exempt(request):
                        await check_csrf(request, session)
                    answered, result = False, None
                    for hook in self._hooks_for(handler):
                        result = await hook.call(request)
                        if result is not None:
                            answered = True
                            break
                    if not answered:
                        kwargs = await binder.bind(request) if needs_binding else {}
                        result = await call_handler(handler, kwargs)
                    response = to_response(result, request, make_document,
                                           request.scope.get(_RESPONSE_KEY))
                except HTTPError as exc:
                    response = self._error(request, exc)
                except HTTPException:
                    raise
                except Exception as exc:
                    response = self._crash(request, exc)
                return await self._finish(request, response)
            finally:
                if reads_body:
                    await request.close()  # uploaded files' temporary files

        return endpoint

    def _crash(self, request: Request, exc: Exception) -> Response:
        logger.exception("Unhandled error in %s %s", request.method, request.url.path,
                         exc_info=exc)
        return error_response(
            request, 500, "Something went wrong",
            "The app hit an error while handling this request. "
            "The details are in the app's log.",
            self.document, exc=exc, debug=self.debug)

    async def _finish(self, request: Request, response: Response) -> Response:
        """Add the queued toasts to an htmx answer and save the session with it."""
        session = self.sessions.loaded(request)
        if session is None:
            return response
        if session._has_toasts and wants_fragment(request) and _carries_toasts(response):
            swap = render(toast_swap(session._take_toasts())).encode()
            response.body = bytes(response.body) + swap
            response.headers["content-length"] = str(len(response.body))
        try:
            await self.sessions.save(request, response)
        except SessionError as exc:  # too large, or not JSON: the app's own mistake
            self.sessions.discard(request)
            return self._crash(request, exc)
        return response

    def _hooks_for(self, handler: RouteHandler) -> list[BeforeHook]:
        hooks = self._hooks_by_route.get(handler.name)
        if hooks is None:
            self._check_hooks()
            hooks = [hook for hook in self._before if hook.applies_to(handler)]
            self._hooks_by_route[handler.name] = hooks
        return hooks

    def _check_hooks(self) -> None:
        for hook in self._before:
            unknown = hook.unknown_names(self._by_name)
            if unknown:
                known = ", ".join(sorted(self._by_name)) or "none"
                raise ConfigurationError(
                    f"The before-hook {getattr(hook.fn, '__qualname__', hook.fn)!r} skips "
                    f"{', '.join(map(repr, unknown))}, but no route has that name (known "
                    f"routes: {known}). Fix the name, or skip a path prefix such as '/login'")

    # ---- before-hooks and provided parameters -------------------------------------------

    @overload
    def before(self, fn: _F, /) -> _F: ...

    @overload
    def before(self, /, *, skip: Iterable[str | RouteHandler] = ()
               ) -> Callable[[_F], _F]: ...

    def before(self, fn: Any = None, /, *,
               skip: Iterable[str | RouteHandler] = ()) -> Any:
        """Run the decorated function before every handler of the app's routes, except
        those in ``skip``; if it returns something other than None, that is the answer and
        the handler does not run (a login wall returns ``Redirect("/login")``).

        The hook takes special parameters by name, as handlers do (``request``,
        ``session``, ``htmx``, ``response``, ``app`` and what ``provide`` added). A plain
        ``def`` runs in the thread pool, an ``async def`` on the event loop. Hooks run in
        the order they were added, after the CSRF check and before the handler's
        parameters are read. Mounted apps and static files are not affected.

        Args:
            skip: route names (``"login"``, ``"admin.users"``), route handlers, or path
                prefixes starting with ``/`` (``"/public"``: that path and those below).

        Raises:
            ConfigurationError: a parameter is not a special one; a name in ``skip``
                names no route (when the app starts or first answers a request).

        Example::

            @app.before(skip=["login"])
            def login_wall(session):
                if "user" not in session:
                    return Redirect("/login")
        """
        skipped = list(skip)

        def register(fn: _F) -> _F:
            what = f"before-hook {getattr(fn, '__qualname__', fn)!r}"
            call = special_function(fn, self.providers, self.typed_providers, what)
            self._before.append(BeforeHook(fn, skipped, call))
            self._hooks_by_route.clear()
            return fn

        return register(fn) if fn is not None else register

    @overload
    def provide(self, name: str, fn: _F, /, *, annotation: type | None = None) -> _F: ...

    @overload
    def provide(self, name: str, /, *, annotation: type | None = None
                ) -> Callable[[_F], _F]: ...

    def provide(self, name: str, fn: Any = None, /, *,
                annotation: type | None = None) -> Any:
        """Add a special parameter: handlers (and hooks) that take ``name`` get what ``fn``
        returns for the request, computed once per request.

        ``fn`` takes special parameters by name itself (``request``, ``session``...); a
        plain ``def`` runs in the thread pool, an ``async def`` on the event loop. Call
        this before defining the routes that take ``name``.

        Args:
            name: the parameter's name, e.g. ``"user"``.
            fn: the function that makes the value (or use ``provide`` as a decorator).
            annotation: a type that also selects this provider (``user: User``).

        Raises:
            ConfigurationError: ``name`` is taken already, or a route registered earlier
                reads ``name`` from the request.

        Example::

            app.provide("user", lambda request: request.state.user)

            @app.provide("user")
            def current_user(session):
                return users.get(session.get("user_id"))
        """
        if not name.isidentifier():
            raise ConfigurationError(f"A provided parameter's name is an identifier, not "
                                     f"{name!r}")
        if name in self.providers:
            raise ConfigurationError(
                f"{name!r} is already a special parameter; pick another name")
        if annotation is not None and annotation in self.typed_providers:
            raise ConfigurationError(
                f"The annotation {annotation!r} already selects a special parameter")
        for handler in self._by_name.values():
            if name in inspect.signature(handler.fn).parameters:
                raise ConfigurationError(
                    f"Route {handler.name!r} ({handler.path}) was defined before "
                    f"app.provide({name!r}), so it reads {name!r} from the request: call "
                    "app.provide before defining the routes that take it")

        def register(fn: _F) -> _F:
            call = special_function(fn, self.providers, self.typed_providers,
                                    f"provider {name!r}")

            async def provider(request: Request) -> Any:
                done = request.scope.setdefault(_PROVIDED_KEY, {})
                if name not in done:
                    done[name] = await call(request)
                return done[name]

            self.providers[name] = provider
            if annotation is not None:
                self.typed_providers[annotation] = provider
            return fn

        return register(fn) if fn is not None else register

    def include(self, router: Router) -> None:
        """Add a router's routes (and any it gets later) to this app."""
        if router is self:
            raise ConfigurationError("An app cannot include itself")
        for handler in router.handlers:
            self._register(handler)
        router._on_add = self._register

    def mount(self, path: str, app: ASGIApp, *, name: str | None = None) -> None:
        """Serve another ASGI app (Starlette, FastAPI, a static folder...) below ``path``."""
        if not path.startswith("/") or path.endswith("/"):
            raise ConfigurationError(
                f"Mount path {path!r} must start with '/' and not end with one, e.g. '/api'")
        self._routes.append(Mount(path, app=app, name=name))

    def url_for(self, name: str, /, **params: Any) -> str:
        """The URL of the route called ``name``: path parameters fill the path, the rest
        become the query string.

        Raises:
            ConfigurationError: no route has that name.
            ValueError: a path parameter is missing.
        """
        handler = self._by_name.get(name)
        if handler is None:
            for route in self._routes:
                if isinstance(route, Mount) and route.name == name:
                    return str(self._starlette.url_path_for(name, path=params.pop("path", "/")))
            known = ", ".join(sorted(self._by_name)) or "none yet"
            raise ConfigurationError(f"No route is named {name!r}. Known routes: {known}")
        return handler.url(**params)

    def add_middleware(self, cls: Any, **options: Any) -> None:
        """Add ASGI middleware (outermost last added); only before the app has started."""
        self._starlette.add_middleware(cls, **options)

    # ---- lifespan -----------------------------------------------------------------------

    def on_startup(self, fn: Callable[[], Any]) -> Callable[[], Any]:
        """Run ``fn`` (sync or async) when the server starts, before the first request."""
        self._startup.append(fn)
        return fn

    def on_shutdown(self, fn: Callable[[], Any]) -> Callable[[], Any]:
        """Run ``fn`` (sync or async) when the server stops; in reverse order of adding."""
        self._shutdown.append(fn)
        return fn

    @contextlib.asynccontextmanager
    async def _lifespan(self, _: Starlette) -> AsyncIterator[None]:
        self._check_hooks()
        await self._migrate_at_start()
        for fn in self._startup:
            result = fn()
            if inspect.isawaitable(result):
                await result
        # Only an app with tasks has a scheduler (and its database file and processes).
        jobs = self._jobs if self._jobs is not None and self._jobs.tasks else None
        if jobs is not None:
            from starlette.concurrency import run_in_threadpool

            await run_in_threadpool(jobs.start)
        try:
            yield
        finally:
            if jobs is not None:
                await run_in_threadpool(jobs.stop)
            for fn in reversed(self._shutdown):
                try:
                    result = fn()
                    if inspect.isawaitable(result):
                        await result
                except Exception:
                    logger.exception("Shutdown hook %r failed", fn)
            self.sessions.close()
            if self._store is not None:
                self._store.close()

    async def _migrate_at_start(self) -> None:
        """Bring ``app.db`` up to date before the first request (after a backup copy). A
        failure is logged, and every page then explains it instead of half-working."""
        if self._migrations is None or not self._migrations.latest:
            return
        from starlette.concurrency import run_in_threadpool

        from appkit.errors import DataError

        try:
            await run_in_threadpool(self.store.migrate)
        except DataError as exc:
            logger.error("The database could not be opened: %s", exc)
            self._data_error = exc if isinstance(exc, HTTPError) else None
            if self._data_error is None:
                raise

    # ---- the desktop window -------------------------------------------------------------

    def on_closing(self, fn: Callable[[], bool]) -> Callable[[], bool]:
        """Ask before the window closes: ``fn()`` returning False keeps it open.

        It runs on the GUI thread while the user waits, so keep it quick (a native
        confirm dialog is fine).
        """
        self._on_closing = fn
        return fn

    def on_activate(self, fn: Callable[[list[str], str], Any]) -> Callable[[list[str], str], Any]:
        """Called with ``(argv, cwd)`` when the app is launched again while running (the
        second launch hands over its arguments, e.g. a file to open, and exits)."""
        self._on_activate = fn
        return fn

    def run(self, *, backend: str = "auto", argv: list[str] | None = None) -> None:
        """Show the app in a native window and block until the user closes it.

        For ``python app.py`` and the packaged executable. One copy runs per app name: a
        second launch hands its ``argv`` to the first (see ``on_activate``) and returns.
        ``backend`` is ``auto`` (a window, else the system browser, else headless),
        ``gtk``, ``qt``, ``webview``, ``browser`` or ``headless``.

        Raises:
            AppkitError: the server did not start, or the backend cannot run here.
        """
        import shell

        try:
            shell.run(self, title=self.title, app_id=self.name, backend=backend, argv=argv,
                      on_closing=self._on_closing, on_activate=self._on_activate,
                      on_native=self.attach_native)
        except shell.ShellError as exc:
            raise AppkitError(str(exc)) from None

    def attach_native(self, native: Any) -> None:
        """Give the app its window's native features (the shell calls this)."""
        self._native = native

    # ---- the user's folders --------------------------------------------------------------

    @property
    def paths(self) -> AppDirs:
        """The app's per-user folders, named after the app: ``data``, ``config``,
        ``cache``, ``logs`` and ``runtime`` (``shell.paths.AppDirs``). Each folder is
        made (0700) when first asked for; on Linux they follow the XDG variables."""
        if self._paths is None:
            from shell.paths import AppDirs  # on use: keeps `import appkit` light

            self._paths = AppDirs(self.name)
        return self._paths

    # ---- data ---------------------------------------------------------------------------

    @property
    def migrations(self) -> Migrations:
        """The schema migrations of ``app.db`` (``@app.migration(1)`` adds one)."""
        if self._migrations is None:
            from appkit.data import Migrations  # on use: an app without data never loads it

            self._migrations = Migrations()
        return self._migrations

    @property
    def store(self) -> Store:
        """The app's database file, ``<data dir>/<app>.db`` (``appkit.data.Store``): made
        on first use, never when the app is imported."""
        if self._store is None:
            from appkit.data import Store
            from shell.paths import folder_name

            self._store = Store(lambda: self.paths.data / f"{folder_name(self.name)}.db",
                                migrations=self.migrations)
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

    # ---- jobs ---------------------------------------------------------------------------

    @property
    def jobs(self) -> Jobs:
        """The app's job scheduler (``appkit.jobs.Jobs``), its runs kept in
        ``<data dir>/<app>-jobs.db``: ``app.jobs.enqueue("task", {...})``. It starts and
        stops with the app when the app has tasks; nothing is created before it is used."""
        if self._jobs is None:
            from appkit.jobs import Jobs  # on use: an app without jobs never loads it
            from shell.paths import folder_name

            self._jobs = Jobs(lambda: self.paths.data / f"{folder_name(self.name)}-jobs.db",
                              app=self)
        return self._jobs

    @overload
    def task(self, name: _F, /) -> _F: ...

    @overload
    def task(self, name: str | None = None, /, *, timeout: float | timedelta | None = None,
             retries: int = 0) -> Callable[[_F], _F]: ...

    def task(self, name: Any = None, /, *, timeout: float | timedelta | None = None,
             retries: int = 0) -> Any:
        """Register the decorated function as a task of ``app.jobs``: ``@app.task()``,
        ``@app.task("name", timeout=60, retries=2)`` (see ``Jobs.register``)."""
        return self.jobs.task(name, timeout=timeout, retries=retries)

    # ---- pages --------------------------------------------------------------------------

    def static_url(self, path: str) -> StaticURL:
        """The content-hashed URL of a file in the app's static folder, for an attribute:
        ``Link(rel="stylesheet", href=app.static_url("app.css"))``. It is worked out when
        the page renders, so it follows changes to the file; ``str()`` it for a string.

        Raises:
            ConfigurationError: the app has no static folder.
            FileNotFoundError: the folder has no such file.
        """
        if self.static is None:
            raise ConfigurationError(
                f"App {self.name!r} has no static folder: create 'static' beside the app's "
                "module or pass App(..., static_dir=...)")
        self.static.hash(path)  # fail now, not when a page renders
        return StaticURL(self.static, path)

    def head_assets(self) -> list[Element]:
        """The stylesheet and scripts every full page loads (all served from the app)."""
        url = self.assets.url
        items: list[Element] = []
        if self.stylesheet:
            items.append(Link(rel="stylesheet", href=url("vendor/pico.min.css")))
        items += [
            Link(rel="stylesheet", href=url("appkit.css")),
            Script(src=url("vendor/htmx.min.js"), defer=True),
            Script(src=url("vendor/ext/sse.js"), defer=True),
            Script(src=url("vendor/ext/ws.js"), defer=True),
            Script(src=url("appkit.js"), defer=True),
        ]
        if self.dev_reload:
            items.append(Script(src=url("reload.js"), defer=True))
        return items

    def document(self, request: Request, head: list[Any], body: list[Any]) -> Element:
        """The full page around ``body``; ``head`` holds the head elements the handler
        returned (a ``Title`` there replaces the app's title). The page carries the
        session's CSRF token (``<meta name="csrf-token">``, which appkit.js sends back)
        and shows the toasts queued in the session."""
        has_title = any(isinstance(item, Title) for item in head)
        session = self.sessions.loaded(request)
        own: list[Any] = []
        if session is not None:
            if self.sessions.csrf:
                own.append(Meta(name="csrf-token", content=session.csrf_token))
            if session._has_toasts:
                body = [*body, toast_region(session._take_toasts())]
        return Document(
            *body,
            head=[*own, *self.head_assets(), *self.head, *head],
            title=None if has_title else self.title,
            lang=self.lang,
        )

    # ---- errors -------------------------------------------------------------------------

    def _error(self, request: Request, exc: HTTPError) -> Response:
        return error_response(request, exc.status, exc.title, exc.message, self.document,
                              exc=exc, debug=False)

    async def _http_error(self, request: Request, exc: Exception) -> Response:
        # An HTTPError raised outside appkit's endpoints (a mounted app reading a body
        # that is over the limit, a middleware).
        return self._error(request, cast(HTTPError, exc))

    async def _http_exception(self, request: Request, exc: Exception) -> Response:
        exc = cast(HTTPException, exc)  # registered for HTTPException only
        if exc.status_code == 404:
            title, message = "Not found", f"There is no page at {request.url.path}."
        elif exc.status_code == 405:
            title = "Method not allowed"
            message = f"{request.method} is not allowed at {request.url.path}."
        else:
            title, message = "Error", str(exc.detail)
        try:
            await self.sessions.load(request)  # the page's CSRF token and toasts
        except Exception:
            logger.exception("The session could not be loaded for the %d page",
                             exc.status_code)
        response = error_response(request, exc.status_code, title, message, self.document,
                                  headers=dict(exc.headers or {}))
        return await self._finish(request, response)

    def _own_static(self, static_dir: str | Path | None) -> StaticFolder | None:
        if static_dir is None:
            caller = sys._getframe(2).f_globals.get("__file__")
            if not caller:
                return None
            candidate = Path(caller).resolve().parent / "static"
            return StaticFolder(candidate, "/static") if candidate.is_dir() else None
        folder = Path(static_dir)
        if not folder.is_dir():
            raise ConfigurationError(f"The static folder {folder} does not exist")
        return StaticFolder(folder, "/static")

    def __repr__(self) -> str:
        return f"<App {self.name!r} routes={len(self._by_name)}>"


def _carries_toasts(response: Response) -> bool:
    """Whether htmx will swap this answer's HTML, so out-of-band toasts in it are shown."""
    if not 200 <= response.status_code < 300 or response.status_code == 204:
        return False
    if isinstance(response, StreamingResponse | FileResponse):
        return False
    headers = response.headers
    if not headers.get("content-type", "").startswith("text/html"):
        return False
    if "hx-redirect" in headers or "hx-location" in headers or (
            headers.get("hx-refresh") == "true"):
        return False  # the page is going away: the toasts wait for the next one
    return isinstance(getattr(response, "body", None), bytes | memoryview)


def _response_parts(request: Request) -> ResponseParts:
    parts = request.scope.get(_RESPONSE_KEY)
    if parts is None:
        parts = request.scope[_RESPONSE_KEY] = ResponseParts()
    return parts
