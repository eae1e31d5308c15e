"""The connection pipeline: the steps every connection to an app's routes goes through,
HTTP requests and websockets alike.

1. Guard hand-off: the loopback guard (``shell.guard``, ASGI middleware in front of the
   app) has already checked the Host, the Origin and the launch token.
2. Steps, in the order the extensions added them (``Step.enter``): the sessions extension
   loads the session and checks the CSRF token of an unsafe request (a websocket's
   handshake carries it in the query); the data extension refuses every request while
   ``app.db`` could not be opened.
3. Before-hooks (``app.before``): the first that answers wins. On a websocket an answer
   (a ``Redirect`` to a login page) closes the connection with 1008, policy violation.
4. Providers and parameter binding, then the handler.
5. Errors: an ``HTTPError`` becomes its status (or its ``close_code`` on a websocket); an
   error handler registered with ``app.error(...)`` may answer it; anything else is logged
   and answered 500 (1011).
6. Steps again, in reverse (``Step.leave``): queued toasts join an htmx answer, the session
   is saved with it.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable, Iterable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, HTTPConnection, Request
from starlette.responses import Response

from appkit.app.binding import Binder, Provider
from appkit.app.errorpages import error_response
from appkit.app.hooks import BeforeHook, special_function
from appkit.app.responses import ResponseParts, is_htmx, to_response, wants_fragment
from appkit.app.routing import RouteHandler, call_handler
from appkit.errors import ConfigurationError, HTTPError, MethodNotAllowed, NotFound

if TYPE_CHECKING:
    from appkit.app.application import App

__all__ = ["CONNECTION", "Pipeline", "Step", "RESPONSE_KEY", "current_connection"]

logger = logging.getLogger("appkit")

#: Where the ``response`` parameter's ``ResponseParts`` is kept in the connection's scope.
RESPONSE_KEY = "appkit.response"
_PROVIDED_KEY = "appkit.provided"
_ERROR_KEY = "appkit.error"
_F = TypeVar("_F", bound=Callable[..., Any])

#: The connection being served (a request, a websocket, a live event), for code that
#: renders on its behalf without being handed it (a component mounted in a handler).
CONNECTION: ContextVar[HTTPConnection | None] = ContextVar("appkit_connection", default=None)


def current_connection() -> HTTPConnection | None:
    """The connection being served here, or None outside one."""
    return CONNECTION.get()


class Step(Protocol):
    """A pipeline step an extension adds with ``app.pipeline.add(step)``.

    ``enter`` runs before the before-hooks; it may raise an ``HTTPError`` to refuse the
    connection. ``route`` is the route being served, or None for an answer that belongs to
    no route (a 404 page). ``leave`` runs with the answer (HTTP only) and returns it, or
    another. ``page`` adds elements to a full page's head and body.
    """

    async def enter(self, conn: HTTPConnection, route: RouteHandler | None) -> None:
        """Prepare the connection, or raise an ``HTTPError``."""
        ...

    async def leave(self, conn: HTTPConnection, response: Response) -> Response:
        """Finish the answer."""
        ...

    def page(self, conn: HTTPConnection, head: list[Any], body: list[Any]) -> None:
        """Add to a full page's ``head`` and ``body`` (in place)."""
        ...


class Pipeline:
    """An app's connection pipeline (``app.pipeline``): its steps, before-hooks, special
    parameters and error handlers. See the module's docstring for the order."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.steps: list[Step] = []
        self.before_hooks: list[BeforeHook] = []
        self._hooks_by_route: dict[str, list[BeforeHook]] = {}
        self._error_handlers: dict[int | type[BaseException], Callable[[Request], Any]] = {}
        #: Special parameters by name; a handler parameter of that name gets its value.
        self.providers: dict[str, Provider] = {
            "request": lambda conn: conn,
            "app": lambda conn: app,
            "response": response_parts,
        }
        #: Special parameters by annotation (``request: Request``).
        self.typed_providers: dict[type, Provider] = {
            HTTPConnection: lambda conn: conn,
            Response: response_parts,
        }
        #: Names in ``providers`` that an annotation of another type hands back to the
        #: request (``session: str`` reads a value called session).
        self.soft_names: set[str] = set()

    # ---- registration -------------------------------------------------------------------

    def add(self, step: Step) -> None:
        """Add a step; it runs after the steps added before it (and leaves before them)."""
        self.steps.append(step)

    def binder(self, handler: RouteHandler) -> Binder:
        """The parameter binder of ``handler`` (made when the route is registered)."""
        return Binder(handler.fn, handler._path_params, self.providers, self.typed_providers,
                      soft=frozenset(self.soft_names))

    def add_before(self, fn: _F, skip: Iterable[str | RouteHandler]) -> _F:
        """Register ``fn`` as a before-hook (``App.before`` documents it)."""
        what = f"before-hook {getattr(fn, '__qualname__', fn)!r}"
        call = special_function(fn, self.providers, self.typed_providers, what)
        self.before_hooks.append(BeforeHook(fn, list(skip), call))
        self._hooks_by_route.clear()
        return fn

    def add_provider(self, name: str, fn: _F, annotation: type | None,
                     handlers: Iterable[RouteHandler]) -> _F:
        """Register ``fn`` as the special parameter ``name`` (``App.provide`` documents it)."""
        if not name.isidentifier():
            raise ConfigurationError(f"A provided parameter's name is an identifier, not "
                                     f"{name!r}")
        if name in self.providers:
            raise ConfigurationError(
                f"{name!r} is already a special parameter; pick another name")
        if annotation is not None and annotation in self.typed_providers:
            raise ConfigurationError(
                f"The annotation {annotation!r} already selects a special parameter")
        for handler in handlers:
            if name in inspect.signature(handler.fn).parameters:
                raise ConfigurationError(
                    f"Route {handler.name!r} ({handler.path}) was defined before "
                    f"app.provide({name!r}), so it reads {name!r} from the request: call "
                    "app.provide before defining the routes that take it")
        call = special_function(fn, self.providers, self.typed_providers,
                                f"provider {name!r}")

        async def provider(conn: HTTPConnection) -> Any:
            done = conn.scope.setdefault(_PROVIDED_KEY, {})
            if name not in done:
                done[name] = await call(conn)  # type: ignore[arg-type]
            return done[name]

        self.providers[name] = provider
        if annotation is not None:
            self.typed_providers[annotation] = provider
        return fn

    @staticmethod
    def check_error_key(key: Any) -> None:
        """Raise unless ``key`` is an HTTP error status or an exception class.

        Raises:
            ConfigurationError: naming what to write instead.
        """
        if isinstance(key, bool) or not (
                (isinstance(key, int) and 400 <= key <= 599)
                or (isinstance(key, type) and issubclass(key, BaseException))):
            raise ConfigurationError(
                f"app.error takes an HTTP error status (400-599) or an exception class, "
                f"not {getattr(key, '__name__', key)!r}: e.g. @app.error(404) above the "
                "handler, or @app.error(PermissionError)")

    def add_error_handler(self, key: int | type[BaseException], fn: _F) -> _F:
        """Register ``fn`` to answer the errors ``key`` selects (``App.error`` documents it)."""
        self.check_error_key(key)
        providers = {**self.providers, "error": _current_error}
        what = f"error handler {getattr(fn, '__qualname__', fn)!r}"
        self._error_handlers[key] = special_function(fn, providers, self.typed_providers, what)
        return fn

    # ---- serving ------------------------------------------------------------------------

    def endpoint(self, handler: RouteHandler) -> Callable[[Request], Awaitable[Response]]:
        """The Starlette endpoint that serves ``handler`` through the pipeline."""
        binder = self.binder(handler)
        needs_binding = bool(binder.params)
        steps = self.steps
        document = self.app.document
        reads_body = binder.reads_body or any(m not in ("GET", "HEAD") for m in handler.methods)

        async def endpoint(request: Request) -> Response:
            current = CONNECTION.set(request)
            try:
                try:
                    for step in steps:
                        await step.enter(request, handler)
                    answered = False
                    if self.hooks_for(handler):
                        answered, result = await self.run_hooks(request, handler)
                    if not answered:
                        kwargs = await binder.bind(request) if needs_binding else {}
                        result = await call_handler(handler, kwargs)
                    response = to_response(result, request, document,
                                           request.scope.get(RESPONSE_KEY))
                except HTTPError as exc:
                    response = await self.error(request, exc)
                except HTTPException:
                    raise
                except Exception as exc:
                    response = await self.crash(request, exc)
                return await self.leave(request, response)
            finally:
                CONNECTION.reset(current)
                if reads_body:
                    await request.close()  # uploaded files' temporary files

        return endpoint

    async def enter(self, conn: HTTPConnection, route: RouteHandler | None) -> None:
        """Run the steps' ``enter`` for a connection (a websocket's handshake, an error
        page). Raises what a step raises."""
        for step in self.steps:
            await step.enter(conn, route)

    async def run_hooks(self, conn: HTTPConnection, handler: RouteHandler
                        ) -> tuple[bool, Any]:
        """Run the before-hooks that apply to ``handler``: (True, answer) when one answered."""
        for hook in self.hooks_for(handler):
            result = await hook.call(conn)  # type: ignore[arg-type]
            if result is not None:
                return True, result
        return False, None

    async def leave(self, conn: HTTPConnection, response: Response) -> Response:
        """Run the steps' ``leave`` in reverse; an error there (a session too large to
        save: the app's own mistake) is logged and answered 500."""
        try:
            for step in reversed(self.steps):
                response = await step.leave(conn, response)
        except Exception as exc:
            return self._crash_page(conn, exc)
        return response

    def page(self, conn: HTTPConnection, head: list[Any], body: list[Any]) -> None:
        """Let the steps add to a full page."""
        for step in self.steps:
            step.page(conn, head, body)

    def hooks_for(self, handler: RouteHandler) -> list[BeforeHook]:
        """The before-hooks that run before ``handler``, in order."""
        hooks = self._hooks_by_route.get(handler.name)
        if hooks is None:
            self.check_hooks()
            hooks = [hook for hook in self.before_hooks if hook.applies_to(handler)]
            self._hooks_by_route[handler.name] = hooks
        return hooks

    def forget_hooks(self) -> None:
        """Work out again which hooks apply to which route (a route was added)."""
        self._hooks_by_route.clear()

    def check_hooks(self) -> None:
        """Fail on a before-hook that skips a route name no route has.

        Raises:
            ConfigurationError: naming the hook, the unknown names and the known ones.
        """
        known_names = self.app.route_names
        for hook in self.before_hooks:
            unknown = hook.unknown_names(known_names)
            if unknown:
                known = ", ".join(sorted(n for n in known_names
                                         if not n.startswith("appkit-"))) or "none"
                raise ConfigurationError(
                    f"The before-hook {getattr(hook.fn, '__qualname__', hook.fn)!r} skips "
                    f"{', '.join(map(repr, unknown))}, but no route has that name (known "
                    f"routes: {known}). Fix the name, or skip a path prefix such as '/login'")

    # ---- errors -------------------------------------------------------------------------

    async def error(self, request: Request, exc: HTTPError) -> Response:
        """The answer to an ``HTTPError``: the app's error handler for it, or the default
        error page."""
        custom = await self._custom(request, exc, exc.status)
        if custom is not None:
            return custom
        return error_response(request, exc.status, exc.title, exc.message,
                              self.app.document, exc=exc, debug=False)

    async def crash(self, request: Request, exc: Exception) -> Response:
        """Answer an unexpected error: with the app's handler for its class (then it was
        expected: logged at INFO), else logged as an ERROR and answered 500 (by the app's
        handler for 500, if any). A client that went away while sending its body is no
        error of the app's: logged at INFO and answered 400 (which nobody reads)."""
        if isinstance(exc, ClientDisconnect):
            logger.info("The client went away while sending %s %s", request.method,
                        request.url.path)
            return error_response(request, 400, "Bad request", "The request's body did not "
                                  "arrive whole.", self.app.document, exc=exc, debug=False)
        if self._class_handler(exc) is not None:
            logger.info("%s in %s %s answered by its error handler", type(exc).__name__,
                        request.method, request.url.path)
        else:
            logger.exception("Unhandled error in %s %s", request.method, request.url.path,
                             exc_info=exc)
        custom = await self._custom(request, exc, 500)
        if custom is not None:
            return custom
        return self._crash_page(request, exc, logged=True)

    def _crash_page(self, conn: HTTPConnection, exc: Exception, logged: bool = False
                    ) -> Response:
        if not logged:
            logger.exception("Unhandled error in %s", conn.url.path, exc_info=exc)
        return error_response(
            conn, 500, "Something went wrong",  # type: ignore[arg-type]
            "The app hit an error while handling this request. "
            "The details are in the app's log.",
            self.app.document, exc=exc, debug=self.app.debug)

    async def http_exception(self, request: Request, exc: HTTPException) -> Response:
        """The answer to Starlette's 404 and 405 (no route, wrong method), through the
        steps so the page carries the session's token and toasts."""
        if exc.status_code == 404:
            title, message = "Not found", f"There is no page at {request.url.path}."
        elif exc.status_code == 405:
            title = "Method not allowed"
            message = f"{request.method} is not allowed at {request.url.path}."
        else:
            title, message = "Error", str(exc.detail)
        try:
            await self.enter(request, None)
        except HTTPError:
            pass  # the page explains the first error; a data error shows on the next
        except Exception:
            logger.exception("The %d page could not load the session", exc.status_code)
        error = _routing_error(exc.status_code, title, message)
        response = await self._custom(request, error, exc.status_code)
        if response is None:
            response = error_response(request, exc.status_code, title, message,
                                      self.app.document, headers=dict(exc.headers or {}))
        return await self.leave(request, response)

    async def _custom(self, request: Request, exc: BaseException, status: int
                      ) -> Response | None:
        handler = self._handler_for(exc, status)
        if handler is None:
            return None
        request.scope[_ERROR_KEY] = exc
        try:
            result = await handler(request)
            response = to_response(result, request, self.app.document,
                                   request.scope.get(RESPONSE_KEY))
        except Exception as failure:
            logger.exception("The error handler for %s failed", status, exc_info=failure)
            return None
        if not isinstance(result, Response) and response.status_code == 200:
            response.status_code = status
            if wants_fragment(request) and is_htmx(request):
                # appkit.js shows an error fragment's message when it has this mark.
                body = bytes(response.body)
                response.body = (f'<div class="appkit-error" role="alert" '
                                 f'data-status="{status}">').encode() + body + b"</div>"
                response.headers["content-length"] = str(len(response.body))
        return response

    def _handler_for(self, exc: BaseException, status: int
                     ) -> Callable[[Request], Any] | None:
        if not self._error_handlers:
            return None
        return self._class_handler(exc) or self._error_handlers.get(status)

    def _class_handler(self, exc: BaseException) -> Callable[[Request], Any] | None:
        for cls in type(exc).__mro__:
            handler = self._error_handlers.get(cls)
            if handler is not None:
                return handler
        return None


def response_parts(conn: HTTPConnection) -> ResponseParts:
    """The ``response`` parameter of this connection (made on first use)."""
    parts = conn.scope.get(RESPONSE_KEY)
    if parts is None:
        parts = conn.scope[RESPONSE_KEY] = ResponseParts()
    return parts


def _routing_error(status: int, title: str, message: str) -> HTTPError:
    """Starlette's 404 and 405 as appkit's errors (``@app.error(NotFound)`` answers them)."""
    error = NotFound(message) if status == 404 else (
        MethodNotAllowed(message) if status == 405 else HTTPError(message))
    error.status, error.title = status, title
    return error


def _current_error(conn: HTTPConnection) -> BaseException | None:
    return conn.scope.get(_ERROR_KEY)
