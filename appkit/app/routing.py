"""Routes: the decorators that register handlers, routers with a prefix, and the handler
object that knows its own URL.

    router = Router(prefix="/todos")

    @router.post("/")
    def add(title: str): ...

    app.include(router)
    Button("Add", hx_post=add)          # renders hx-post="/todos/"
    add.url(page=2)                     # "/todos/?page=2"
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from starlette.convertors import CONVERTOR_TYPES, IntegerConvertor
from starlette.routing import compile_path

from appkit.app.handlers import run_sync, runs_inline
from appkit.errors import ConfigurationError

if TYPE_CHECKING:
    from appkit.app.application import App

__all__ = ["RouteHandler", "Router", "url_with_query"]

#: The HTTP methods a route may answer.
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def url_with_query(path: str, query: dict[str, Any]) -> str:
    """``path`` with ``query`` appended; list values repeat the key, None values are left out."""
    items: list[tuple[str, str]] = []
    for key, value in query.items():
        if value is None:
            continue
        if isinstance(value, list | tuple | set):
            items.extend((key, _query_text(v)) for v in value)
        else:
            items.append((key, _query_text(value)))
    if not items:
        return path
    return f"{path}{'&' if '?' in path else '?'}{urlencode(items)}"


def _query_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    value = getattr(value, "value", value)  # an Enum member
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


class RouteHandler:
    """A registered handler: call it like the function it wraps; ``.url(**params)`` gives
    its address, and as an attribute value (``hx_post=handler``) it renders as that URL."""

    def __init__(self, fn: Callable[..., Any], path: str, methods: list[str],
                 name: str, *, csrf: bool = True, max_message_size: int | None = None) -> None:
        functools.update_wrapper(self, fn)
        self.fn = fn
        self.path = path
        self.methods = methods
        self.name = name
        #: Whether unsafe requests to this route must carry the session's CSRF token.
        self.csrf = csrf
        #: A websocket route's largest message, in bytes (1009 above it); None for HTTP.
        self.max_message_size = max_message_size
        self.is_async = inspect.iscoroutinefunction(fn)
        #: A plain def marked ``@nonblocking``: it runs on the event loop.
        self.inline = runs_inline(fn)
        _, self._path_format, self._convertors = compile_path(path)
        self._path_params = set(self._convertors)
        self._app: App | None = None
        # A path with one whole-number parameter ("/todos/{id:int}/edit", the usual case)
        # is made by joining its two sides around the number: (before, name, after).
        self._int_path: tuple[str, str, str] | None = None
        if len(self._convertors) == 1:
            name, convertor = next(iter(self._convertors.items()))
            before, _, after = self._path_format.partition("{" + name + "}")
            if isinstance(convertor, IntegerConvertor) and "{" not in before + after:
                self._int_path = (before, name, after)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.fn(*args, **kwargs)

    def url(self, **params: Any) -> str:
        """This route's URL: path parameters fill the path, the others become the query.

        Raises:
            ConfigurationError: the handler's router is not included in an app yet.
            ValueError: a path parameter is missing.
        """
        if self._app is None:
            raise ConfigurationError(
                f"Route {self.name!r} is not part of an app yet: include its router with "
                "app.include(router) before asking for its URL"
            )
        root = self._app.root_path
        fast = self._int_path
        if fast is not None and len(params) == 1:
            value = params.get(fast[1])
            if type(value) is int and value >= 0:  # as IntegerConvertor.to_string makes it
                return f"{root}{fast[0]}{value}{fast[2]}"
        if not self._convertors:
            path = root + self._path_format
            return url_with_query(path, params) if params else path
        missing = [p for p in self._convertors if p not in params]
        if missing:
            raise ValueError(
                f"The URL of {self.name!r} ({self.path}) needs {', '.join(missing)}: "
                f"pass {missing[0]}=...")
        values = {}
        for name, convertor in self._convertors.items():
            value = params.pop(name)
            if isinstance(value, str):
                # Quote what a path segment cannot hold; a {x:path} keeps its slashes.
                safe = "/" if type(convertor).__name__ == "PathConvertor" else ""
                values[name] = quote(value, safe=safe)
            else:
                values[name] = convertor.to_string(getattr(value, "value", value))
        path = root + self._path_format.format_map(values)
        return url_with_query(path, params) if params else path

    def __url__(self) -> str:
        return self.url()

    def __repr__(self) -> str:
        return f"<RouteHandler {'|'.join(self.methods)} {self.path} name={self.name!r}>"


class Router:
    """A group of routes with a shared path prefix, included into an app with
    ``app.include(router)``. ``App`` itself has the same decorators.

    Args:
        prefix: put before every path of this router, e.g. ``"/admin"``.
        name: put before every route name (``"admin.users"``); defaults to none.
    """

    def __init__(self, prefix: str = "", *, name: str | None = None) -> None:
        if prefix and (not prefix.startswith("/") or prefix.endswith("/")):
            raise ConfigurationError(
                f"Router prefix {prefix!r} must start with '/' and not end with one, "
                "e.g. '/admin'"
            )
        self.prefix = prefix
        self.name_prefix = name
        self.handlers: list[RouteHandler] = []
        self._on_add: Callable[[RouteHandler], None] | None = None

    def route(self, path: str, methods: Iterable[str] = ("GET",), *,
              name: str | None = None, csrf: bool = True, max_message_size: int | None = None
              ) -> Callable[[Callable[..., Any]], RouteHandler]:
        """Register the decorated function for ``path`` and ``methods``.

        Args:
            path: the route's path, starting with ``/``; ``{name}`` parts are parameters.
            methods: the HTTP methods it answers.
            name: the route's name (default: the function's).
            csrf: False exempts the route from the CSRF check on unsafe methods (for a
                route other sites or tools must reach without the session's token).

        Raises:
            ConfigurationError: a bad path, method or path convertor.
        """
        if not isinstance(path, str):
            what = getattr(path, "__name__", repr(path))
            raise ConfigurationError(
                f"A route decorator takes the path first: write @app.get(\"/{what}\") "
                f"above def {what}(...), not @app.get or @app.get({what})")
        if not path.startswith("/"):
            raise ConfigurationError(f"Route path {path!r} must start with '/'")
        verbs = [m.upper() for m in methods]
        if "WEBSOCKET" in verbs and verbs != ["WEBSOCKET"]:
            raise ConfigurationError(
                f"Route {path!r} mixes WEBSOCKET with HTTP methods: a websocket route is "
                "its own route (@app.websocket(path))")
        for verb in verbs:
            if verb not in METHODS and verb != "WEBSOCKET":
                raise ConfigurationError(
                    f"Unknown HTTP method {verb!r} for route {path!r}; use one of "
                    f"{', '.join(METHODS)}")
        _check_convertors(path)

        def decorate(fn: Callable[..., Any]) -> RouteHandler:
            target = fn.fn if isinstance(fn, RouteHandler) else fn
            route_name = name or target.__name__
            if self.name_prefix:
                route_name = f"{self.name_prefix}.{route_name}"
            if isinstance(fn, RouteHandler) and not name:
                route_name = f"{route_name}:{'|'.join(verbs).lower()}"
            handler = RouteHandler(target, self.prefix + path, verbs, route_name, csrf=csrf,
                                   max_message_size=max_message_size)
            self.handlers.append(handler)
            if self._on_add is not None:
                self._on_add(handler)
            return handler

        return decorate

    def get(self, path: str, *, name: str | None = None
            ) -> Callable[[Callable[..., Any]], RouteHandler]:
        """Register a GET (and HEAD) handler."""
        return self.route(path, ["GET"], name=name)

    def post(self, path: str, *, name: str | None = None, csrf: bool = True
             ) -> Callable[[Callable[..., Any]], RouteHandler]:
        """Register a POST handler; ``csrf=False`` exempts it from the CSRF check."""
        return self.route(path, ["POST"], name=name, csrf=csrf)

    def put(self, path: str, *, name: str | None = None, csrf: bool = True
            ) -> Callable[[Callable[..., Any]], RouteHandler]:
        """Register a PUT handler; ``csrf=False`` exempts it from the CSRF check."""
        return self.route(path, ["PUT"], name=name, csrf=csrf)

    def patch(self, path: str, *, name: str | None = None, csrf: bool = True
              ) -> Callable[[Callable[..., Any]], RouteHandler]:
        """Register a PATCH handler; ``csrf=False`` exempts it from the CSRF check."""
        return self.route(path, ["PATCH"], name=name, csrf=csrf)

    def delete(self, path: str, *, name: str | None = None, csrf: bool = True
               ) -> Callable[[Callable[..., Any]], RouteHandler]:
        """Register a DELETE handler; ``csrf=False`` exempts it from the CSRF check."""
        return self.route(path, ["DELETE"], name=name, csrf=csrf)

    def websocket(self, path: str, *, name: str | None = None, csrf: bool = True,
                  max_message_size: int = 1024 * 1024
                  ) -> Callable[[Callable[..., Any]], RouteHandler]:
        """Register a websocket route; the handshake goes through the same pipeline as an
        HTTP request (the guard, the session, the CSRF token, before-hooks). Two styles:

        - a connection handler takes a ``socket`` (``appkit.app.websockets.Socket``) and
          talks: ``async for message in socket: await socket.send(P(message.text))``;
        - a message handler takes the fields of each message as parameters (the htmx
          ``ws-send`` form's fields, bound like a form) and returns the elements to send
          back (out-of-band swaps by id).

        Args:
            max_message_size: the largest message accepted, in bytes; a larger one closes
                the socket with 1009.
            csrf: False lets a handshake without the session's CSRF token in (a tool's).

        Raises:
            ConfigurationError: a bad path or size.
        """
        if isinstance(max_message_size, bool) or not isinstance(max_message_size, int) or (
                max_message_size < 1):
            raise ConfigurationError(
                f"max_message_size is a positive number of bytes, not {max_message_size!r}")
        return self.route(path, ["WEBSOCKET"], name=name, csrf=csrf,
                          max_message_size=max_message_size)


def _check_convertors(path: str) -> None:
    for match in re.finditer(r"{([^}:]+)(?::([^}]*))?}", path):
        conv = match.group(2)
        if conv and conv not in CONVERTOR_TYPES:
            raise ConfigurationError(
                f"Unknown path convertor {conv!r} in {path!r}; use one of "
                f"{', '.join(sorted(CONVERTOR_TYPES))}")


async def call_handler(handler: RouteHandler, kwargs: dict[str, Any]) -> Any:
    """Run the handler: coroutines on the loop, plain functions on a worker thread
    (``appkit.app.handlers.run_sync``) so a slow handler never blocks the server, unless
    their author marked them ``@nonblocking``."""
    if handler.is_async:
        return await handler.fn(**kwargs)
    if handler.inline:  # marked @nonblocking by its author
        return handler.fn(**kwargs)
    return await run_sync(handler.fn, **kwargs)
