"""Before-hooks and app-provided parameters: functions that take the request's special
objects (``request``, ``session``, ``htmx``, ``response``, ``app``, and what the app
provides) by name, like handlers do.

    @app.before(skip=["login", "/public"])
    def login_wall(session):
        if "user_id" not in session:
            return Redirect("/login")       # answers instead of the handler

    @app.provide("user")
    def current_user(session):
        return users[session["user_id"]]
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from starlette.requests import Request

from appkit.app.binding import Binder, Provider
from appkit.app.handlers import run_sync, runs_inline
from appkit.app.routing import RouteHandler
from appkit.errors import ConfigurationError

__all__ = ["BeforeHook", "special_function"]


def _check_special(fn: Callable[..., Any], providers: Mapping[str, Provider],
                   typed_providers: Mapping[type, Provider], what: str) -> None:
    try:
        hints = typing.get_type_hints(getattr(fn, "func", fn))  # a partial: its function's
    except NameError as exc:
        raise ConfigurationError(f"{what}: cannot resolve its type hints: {exc}") from None
    for p in inspect.signature(fn).parameters.values():
        tp = hints.get(p.name)
        typed = isinstance(tp, type) and any(issubclass(tp, cls) for cls in typed_providers)
        if p.name not in providers and not typed:
            known = ", ".join(sorted(providers))
            raise ConfigurationError(
                f"{what} takes {p.name!r}, which is not a special parameter (one of: "
                f"{known}). It gets the request's objects only: read a value with "
                "request.query_params or from the session, or register a provider first "
                f"with app.provide({p.name!r}, ...)")


def special_function(fn: Callable[..., Any], providers: Mapping[str, Provider],
                     typed_providers: Mapping[type, Provider], what: str
                     ) -> Callable[[Request], Any]:
    """``fn`` as an async function of the request: its parameters are filled from the
    special parameters, a plain ``def`` runs in the thread pool and an ``async def`` on the
    loop (as handlers do).

    Raises:
        ConfigurationError: a parameter is not a special one.
    """
    _check_special(fn, providers, typed_providers, what)
    binder = Binder(fn, set(), providers, typed_providers)
    needs_binding = bool(binder.params)
    is_async = inspect.iscoroutinefunction(fn)
    inline = runs_inline(fn)

    async def call(request: Request) -> Any:
        kwargs = await binder.bind(request) if needs_binding else {}
        if is_async:
            return await fn(**kwargs)
        if inline:  # marked @nonblocking
            return fn(**kwargs)
        return await run_sync(fn, **kwargs)

    return call


class BeforeHook:
    """A function run before the handlers of the routes it does not skip.

    Args:
        fn: the hook; it returns None to let the handler run, or an answer.
        skip: route names (``"login"``, ``"admin.users"``), route handlers, or path
            prefixes starting with ``/`` (``"/public"`` skips ``/public`` and what is below
            it, as the routes are written).
        call: ``fn`` as made by ``special_function``.
    """

    def __init__(self, fn: Callable[..., Any], skip: Iterable[str | RouteHandler],
                 call: Callable[[Request], Any]) -> None:
        self.fn = fn
        self.call = call
        self.skip_names: set[str] = set()
        self.skip_prefixes: list[str] = []
        for item in skip:
            if isinstance(item, RouteHandler):
                self.skip_names.add(item.name)
            elif isinstance(item, str) and item.startswith("/"):
                self.skip_prefixes.append(item.rstrip("/") or "/")
            elif isinstance(item, str) and item:
                self.skip_names.add(item)
            else:
                raise ConfigurationError(
                    f"skip= takes route names, route handlers or path prefixes such as "
                    f"'/public', not {item!r}")

    def applies_to(self, handler: RouteHandler) -> bool:
        """Whether the hook runs before ``handler``."""
        if handler.name in self.skip_names:
            return False
        path = handler.path
        return not any(p == "/" or path == p or path.startswith(p + "/")
                       for p in self.skip_prefixes)

    def unknown_names(self, known: Iterable[str]) -> list[str]:
        """The names in ``skip`` that name no route."""
        return sorted(self.skip_names - set(known))

    def __repr__(self) -> str:
        return f"<BeforeHook {getattr(self.fn, '__qualname__', self.fn)!r}>"
