"""``App``, the core: an ASGI application on Starlette with appkit's routing, binding,
responses and connection pipeline, and the extensions that plug into it.

    from appkit import App              # the core with sessions, data, jobs, live
    from appkit.html import Page, P

    app = App("hello")

    @app.get("/")
    def index(name: str = "world"):
        return Page("Hello", P(f"Hello, {name}!"))

This module imports no extension: ``appkit.App`` (``appkit/standard.py``) is this class
with the sessions, data, jobs and live extensions added by default. See
docs/architecture.md.
"""

from __future__ import annotations

import contextlib
import inspect
import logging
from collections.abc import AsyncIterator, Callable, Iterable
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, cast, overload

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import HTTPConnection
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from appkit.app.dispatch import Dispatch
from appkit.app.extensions import ExtensibleApp, Extension, ExtensionSettings
from appkit.app.htmx import HtmxDetails
from appkit.app.icons import add_icon
from appkit.app.limits import BodyLimit
from appkit.app.pages import PagesApp
from appkit.app.pipeline import Pipeline
from appkit.app.routing import RouteHandler, Router
from appkit.app.static import StaticFolder
from appkit.app.websockets import closing_websockets, websocket_endpoint
from appkit.desktop import DesktopApp
from appkit.errors import ConfigurationError, HTTPError
from appkit.html import Element

if TYPE_CHECKING:
    from shell.paths import AppDirs

__all__ = ["App"]

logger = logging.getLogger("appkit")

_APPKIT_STATIC = Path(__file__).resolve().parent.parent / "static"
_F = TypeVar("_F", bound=Callable[..., Any])
_E = TypeVar("_E")


class App(ExtensibleApp, PagesApp, DesktopApp, Router):
    """A hypermedia app: routes, parameter binding, HTML responses, static files, and the
    extensions that add sessions, a database, jobs and more.

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
        version: the app's version (``appkit build`` also reads it from pyproject.toml).
        data_files: files and folders beside the app's module that it reads at run time;
            ``appkit build`` puts them in the executable at the same relative place.
        icon: the app's icon (a PNG 256x256 or larger, or ICO) for the window, the task
            bar and the favicon; relative to the app module's folder; appkit's by default.
        extensions: extensions, or the settings that make them (``Sessions(...)``,
            ``DataSettings(...)``, ``JobsSettings(...)``); they replace the class's
            defaults of the same name.

    Raises:
        ConfigurationError: a bad option, or two extensions with one name.
    """

    #: The settings classes whose extensions every app of this class gets unless
    #: ``extensions=`` gives one of the same name (``appkit.App`` lists sessions, data, jobs).
    default_extensions: ClassVar[tuple[Callable[[], Any], ...]] = ()

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
        version: str | None = None,
        data_files: Iterable[str] = (),
        icon: str | Path | None = None,
        extensions: Iterable[ExtensionSettings | Extension] = (),
    ) -> None:
        if not isinstance(name, str) or not name.strip():
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
        self._max_body_size = max_body_size
        self.version = version
        self.data_files = list(data_files)
        #: Set by ``appkit run``'s reload loop: pages then reload themselves after a restart.
        self.dev_reload = False
        # Where this app is mounted inside another ASGI app ("" when it is not), for each
        # connection (its scope's root_path), and the last one seen, for URLs made outside
        # a request (a startup hook, a job).
        self._root: ContextVar[str | None] = ContextVar(f"appkit-root-{id(self)}", default=None)
        self._last_root = ""
        self._on_add = self._register
        self._by_name: dict[str, RouteHandler] = {}
        self._startup: list[Callable[[], Any]] = []
        self._shutdown: list[Callable[[], Any]] = []
        self._head_makers: list[Callable[[HTTPConnection], Iterable[Element]]] = []
        self._asset_heads: dict[tuple[str, bool, bool], Any] = {}
        self._paths: AppDirs | None = None
        #: The connection pipeline: steps, before-hooks, special parameters, error handlers.
        self.pipeline = Pipeline(self)
        self.pipeline.providers["htmx"] = HtmxDetails
        self.pipeline.typed_providers.update({HtmxDetails: HtmxDetails, App: lambda c: self})
        self.assets = StaticFolder(_APPKIT_STATIC, "/_appkit", fixed=True)
        home = self._home()
        self.static = self._own_static(static_dir, home)
        self._starlette = Starlette(
            debug=False,
            middleware=[
                Middleware(BodyLimit, max_body_size=max_body_size, respond=self.pipeline.error),
                *middleware,
            ],
            # An HTTPError raised outside appkit's endpoints: a mounted app reading a body
            # that is over the limit, a middleware.
            exception_handlers={HTTPException: cast(Any, self.pipeline.http_exception),
                                HTTPError: cast(Any, self.pipeline.error)},
            lifespan=self.lifespan,
        )
        self.state = self._starlette.state
        self._routes: list[Any] = self._starlette.router.routes
        self._dispatch = Dispatch(self)  # its own routes' HTTP requests, without middleware
        self._starlette.router.default = closing_websockets(self._starlette.router.default)
        self._routes.append(Mount("/_appkit", app=self.assets, name="appkit-static"))
        if self.static is not None:
            self._routes.append(Mount("/static", app=self.static, name="static"))
        #: The icon file (the window's, the task bar's, ``/favicon.ico``).
        self.icon: Path = add_icon(self._routes, icon, home)
        #: The extensions by name (``app.extensions["data"]``).
        self.extensions: dict[str, Extension] = {}
        self._add_extensions(extensions)

    # ---- ASGI ---------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            root = scope.get("root_path", "")
            self._last_root = root
            self._root.set(root)
            if scope["type"] == "http" and len(self._starlette.user_middleware) == 1:
                found = self._dispatch.find(scope)  # one of its own routes: no Starlette layers
                if found is not None:
                    return await self._dispatch.serve(scope, receive, send, *found)
        await self._starlette(scope, receive, send)

    @property
    def root_path(self) -> str:
        """The path this app is mounted at inside another ASGI app ("" when it is not):
        the current connection's (its ``root_path``), else the last one seen. Its URLs
        start with it."""
        root = self._root.get()
        return self._last_root if root is None else root

    # ---- routes -------------------------------------------------------------------------

    def _register(self, handler: RouteHandler) -> None:
        if handler.name in self._by_name:
            other = self._by_name[handler.name]
            raise ConfigurationError(
                f"Route name {handler.name!r} is already used by "
                f"{'|'.join(other.methods)} {other.path}; pass name=... to tell them apart")
        route: BaseRoute
        if handler.methods == ["WEBSOCKET"]:
            route = WebSocketRoute(handler.path, websocket_endpoint(self, handler),
                                   name=handler.name)
        else:
            route = Route(handler.path, self.pipeline.endpoint(handler),
                          methods=handler.methods, name=handler.name)
            self._dispatch.own(route)
        handler._app = self
        self._by_name[handler.name] = handler
        self.pipeline.forget_hooks()
        self._routes.append(route)

    #: The largest request body accepted (``App(max_body_size=...)``; read-only after).
    max_body_size = property(lambda self: self._max_body_size)

    @property
    def route_names(self) -> list[str]:
        """The names of the app's routes."""
        return list(self._by_name)

    @property
    def route_handlers(self) -> list[RouteHandler]:
        """All the app's route handlers (included routers' too), in the order added."""
        return list(self._by_name.values())

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
        parameters are read; on a websocket, an answer closes it with 1008. Mounted apps
        and static files are not affected.

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
        if fn is not None:
            return self.pipeline.add_before(fn, skipped)
        return lambda f: self.pipeline.add_before(f, skipped)

    def provide(self, name: str, fn: Any = None, /, *,
                annotation: type | None = None) -> Any:
        """Add a special parameter: handlers (and hooks) that take ``name`` get what ``fn``
        returns for the connection, computed once per request.

        ``fn`` takes special parameters by name itself (``request``, ``session``...); a
        plain ``def`` runs in the thread pool, an ``async def`` on the event loop. Call
        this before defining the routes that take ``name``; use it as a decorator too.

        Args:
            name: the parameter's name, e.g. ``"user"``.
            fn: the function that makes the value.
            annotation: a type that also selects this provider (``user: User``).

        Raises:
            ConfigurationError: ``name`` is taken already, or a route registered earlier
                reads ``name`` from the request.

        Example::

            @app.provide("user")
            def current_user(session):
                return users.get(session.get("user_id"))
        """
        if not isinstance(name, str):
            raise ConfigurationError(
                "app.provide takes the parameter's name first: write "
                "@app.provide(\"user\") above the function, not @app.provide")
        handlers = self._by_name.values()
        if fn is not None:
            return self.pipeline.add_provider(name, fn, annotation, handlers)
        return lambda f: self.pipeline.add_provider(name, f, annotation, handlers)

    def error(self, key: int | type[BaseException], /) -> Callable[[_F], _F]:
        """Answer an error with the decorated handler: ``@app.error(404)`` for a status,
        ``@app.error(SomeException)`` for an exception class (and its subclasses; a class
        is looked up before a status). The handler returns a page like any handler, takes
        special parameters, and ``error`` (the exception); its answer keeps the error's
        status unless it returns a ``Response``. If it fails, the default page is shown.

        Raises:
            ConfigurationError: ``key`` is neither a 4xx/5xx status nor an exception class.
        """
        self.pipeline.check_error_key(key)
        return lambda fn: self.pipeline.add_error_handler(key, fn)

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
                    path = self._starlette.url_path_for(name, path=params.pop("path", "/"))
                    return self.root_path + str(path)
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
    async def lifespan(self, _: Any = None) -> AsyncIterator[None]:
        """Start the app (its extensions and startup hooks) and stop it afterwards.

        The server calls it; an app mounted inside another Starlette app passes it on:
        ``Starlette(routes=[Mount("/tool", app=tool)], lifespan=tool.lifespan)``.
        """
        self.pipeline.check_hooks()
        try:
            for fn in self._startup:
                await _call(fn)
            yield
        finally:
            # Also after a failed start: what started (the scheduler...) stops again.
            for fn in reversed(self._shutdown):
                try:
                    await _call(fn)
                except Exception:
                    logger.exception("Shutdown hook %r failed", fn)

    @property
    def paths(self) -> AppDirs:
        """The app's per-user folders, named after the app: ``data``, ``config``,
        ``cache``, ``logs`` and ``runtime`` (``shell.paths.AppDirs``). Each folder is
        made (0700) when first asked for; on Linux they follow the XDG variables."""
        if self._paths is None:
            from shell.paths import AppDirs  # on use: keeps `import appkit` light

            self._paths = AppDirs(self.name)
        return self._paths

    def __repr__(self) -> str:
        return f"<App {self.name!r} routes={len(self._by_name)}>"


async def _call(fn: Callable[[], Any]) -> None:
    result = fn()
    if inspect.isawaitable(result):
        await result
