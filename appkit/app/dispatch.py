"""appkit's own dispatch of HTTP requests to its routes.

Starlette routes a request through its middleware (the server-error layer, the body limit,
the exception layer), then its router, which tries every route's regular expression in turn,
then the route's wrapper, each layer with a ``Request`` or a closure of its own. For a
request to one of the app's own routes, when the app has no ASGI middleware of its author's,
``Dispatch`` does the same in one place:

- the routes that could match a request are worked out once per method (a route that does
  not allow the method cannot be the one chosen): a static path's routes by the path, a
  parameterised one's and a mount's by their first segment, the rest (a path that starts
  with a parameter) with every path; they are tried in the app's order with Starlette's own
  ``matches``, so the route chosen is the one Starlette's router chooses;
- the request then goes through the body limit (``BodyLimit``, as before) and the route's
  endpoint, with the same answers to errors: an ``HTTPException`` or ``HTTPError`` that
  escapes the endpoint goes to the app's handlers for them, anything else is answered
  ``500 Internal Server Error`` (when nothing was sent yet) and raised to the server.

Everything else, a mount (static files), a websocket, a wrong method (405), no route (404,
a redirect to the path with or without its trailing slash), goes to Starlette as before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from starlette.exceptions import HTTPException
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Match, Mount, Route, WebSocketRoute
from starlette.types import Message, Receive, Scope, Send

from appkit.app.limits import BodyLimit
from appkit.app.routing import METHODS

try:  # Starlette's own helpers (not public API): without them, Starlette serves everything
    from starlette._exception_handler import _lookup_exception_handler
    from starlette._utils import get_route_path
except ImportError:  # pragma: no cover - another Starlette
    _lookup_exception_handler = get_route_path = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from appkit.app.application import App

__all__ = ["Dispatch"]

_FULL = Match.FULL
_METHODS = frozenset(METHODS)


class _Tables(NamedTuple):
    by_path: dict[str, list[Any]]
    by_segment: dict[str, list[Any]]
    always: list[Any]


class Dispatch:
    """Finds and serves a request to one of an app's own routes (see the module)."""

    def __init__(self, app: App) -> None:
        self.app = app
        self._own: set[int] = set()  # ids of the Starlette routes made for the app's handlers
        self._size = -1  # how many routes the tables were made for
        self._by_method: dict[str, _Tables] = {}
        self._serve: Any = None

    def own(self, route: Route) -> None:
        """Mark ``route`` (an app's handler through the pipeline) as one this may serve."""
        self._own.add(id(route))

    # ---- finding the route ----------------------------------------------------------------

    def _tables(self, method: str) -> _Tables:
        """The routes that could answer ``method`` (a route that does not allow it cannot
        be the one Starlette chooses), by path, by first segment, and for every path."""
        routes = self.app._routes
        if self._size != len(routes):
            self._by_method.clear()
            self._size = len(routes)
        static: dict[str, list[tuple[int, Any]]] = {}
        by_segment: dict[str, list[tuple[int, Any]]] = {}
        always: list[tuple[int, Any]] = []
        for index, route in enumerate(routes):
            kind = type(route)
            if kind is WebSocketRoute:
                continue  # never an HTTP request's
            if kind is Route and route.methods and method not in route.methods:
                continue
            path = route.path if kind is Route or kind is Mount else None
            if not isinstance(path, str) or not path.startswith("/") or (
                    "{" in _first_segment(path)):
                always.append((index, route))
            elif kind is Route and "{" not in path:
                static.setdefault(path, []).append((index, route))
            else:  # a Mount's path too: "/static" matches "/static/..." only
                by_segment.setdefault(_first_segment(path), []).append((index, route))

        def ordered(*groups: list[tuple[int, Any]]) -> list[Any]:
            return [route for _, route in sorted(item for g in groups for item in g)]

        tables = _Tables(
            {path: ordered(group, by_segment.get(_first_segment(path), []), always)
             for path, group in static.items()},
            {seg: ordered(group, always) for seg, group in by_segment.items()},
            ordered(always))
        self._by_method[method] = tables
        return tables

    def find(self, scope: Scope) -> tuple[Any, dict[str, Any]] | None:
        """The route Starlette's router would choose for this HTTP request and its part of
        the scope, when it is one of the app's own routes and its method is allowed; else
        None (Starlette serves the request)."""
        if get_route_path is None:
            return None
        method = scope["method"]
        tables = self._by_method.get(method)
        if tables is None or self._size != len(self.app._routes):
            if method not in _METHODS:
                return None
            tables = self._tables(method)
        path = get_route_path(scope)
        if path.endswith("\n"):
            return None  # a route's "$" matches before a final newline too: Starlette's
        candidates = tables.by_path.get(path)
        if candidates is None:
            candidates = tables.by_segment.get(_first_segment(path), tables.always)
        for route in candidates:
            match, child = route.matches(scope)
            if match is _FULL:
                # Another app's route or a mount (static files): Starlette serves it.
                return (route, child) if id(route) in self._own else None
        return None  # a wrong method (405) or no route (404, a slash redirect): Starlette's

    # ---- serving it -----------------------------------------------------------------------

    async def serve(self, scope: Scope, receive: Receive, send: Send,
                    route: Any, child: dict[str, Any]) -> None:
        """Serve a request ``find`` found, as Starlette's layers would have."""
        starlette = self.app._starlette
        serve = self._serve
        if serve is None or starlette.middleware_stack is None:
            serve = self._prepare()
        scope["app"] = starlette
        scope.setdefault("router", starlette.router)
        scope["route"] = route
        scope.update(child)
        # Starlette's ServerErrorMiddleware: an error that escapes is answered 500 when
        # nothing was sent yet, and raised to the server, which logs it.
        guarded = _Sender(send)
        try:
            await serve(scope, receive, guarded)
        except Exception:
            if not guarded.started:
                await PlainTextResponse("Internal Server Error", status_code=500)(
                    scope, receive, send)
            raise

    def _prepare(self) -> Any:
        starlette = self.app._starlette
        if starlette.middleware_stack is None:
            starlette.middleware_stack = starlette.build_middleware_stack()
        layer: Any = starlette.middleware_stack
        while not isinstance(layer, ExceptionMiddleware):
            layer = layer.app
        handlers = (layer._exception_handlers, layer._status_handlers)
        exception_handlers, status_handlers = handlers

        async def endpoint(scope: Scope, receive: Receive, send: Send) -> None:
            # Starlette's ExceptionMiddleware, router and request_response in one: the
            # route's endpoint, and the app's handlers for what escapes it.
            scope["starlette.exception_handlers"] = handlers
            request = Request(scope, receive, send)
            sender = _Sender(send)
            try:
                response = await scope["endpoint"](request)
                await response(scope, receive, sender)
            except Exception as exc:
                handler: Any = None  # the app's are all async
                if isinstance(exc, HTTPException):
                    handler = status_handlers.get(exc.status_code)
                if handler is None:
                    handler = _lookup_exception_handler(exception_handlers, exc)
                if handler is None:
                    raise
                if sender.started:
                    raise RuntimeError(
                        "Caught handled exception, but response already started.") from exc
                answer = await handler(request, exc)
                if answer is not None:
                    await answer(scope, receive, sender)
                exc.__traceback__ = None

        app = self.app
        self._serve = BodyLimit(endpoint, max_body_size=app.max_body_size,
                                respond=app.pipeline.error)
        return self._serve


class _Sender:
    """``send``, noting whether the response has started (an error after that cannot be
    answered with another response)."""

    __slots__ = ("send", "started")

    def __init__(self, send: Send) -> None:
        self.send = send
        self.started = False

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
        await self.send(message)


def _first_segment(path: str) -> str:
    return path[1:].split("/", 1)[0]
