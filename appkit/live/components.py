"""Stateful server components: state that lives on the server, events that can only call
what the component declares.

    from appkit.live import Component, handler, state

    class Counter(Component):
        count: int = 0                      # the server's: the page cannot set it
        step: int = state(1, bind=True)     # the page may set it (coerced like a route's)

        def on_mount(self, start: int = 0) -> None:
            self.count = start

        @handler
        def increment(self, by: int = 1) -> None:
            self.count += by * self.step

        def render(self):
            return [P(self.count, id=self.id + "-n"),
                    Button("+", **self.on("increment", by=1))]

    @app.get("/")
    def index():
        return Page("Counter", Counter.mount(start=3))

The page holds only the component's id and an opaque token (signed, expiring, bound to the
user's session); the instance lives in the app's component store
(``appkit/live/component_store.py``). An event is a POST to ``/_appkit-component`` (htmx) or
a live event on the page's socket to the same route: one dispatch checks the token, finds
the instance, checks the permissions, calls a declared handler with its parameters bound
like a route's, and answers the component rendered again. See docs/components.md.
"""

from __future__ import annotations

import contextvars
import dataclasses
import json
import logging
import typing
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from starlette.requests import HTTPConnection

from appkit.app.binding import field_reader
from appkit.app.pipeline import current_connection
from appkit.errors import ConfigurationError, HTTPError
from appkit.html import Element

__all__ = ["Component", "ComponentGone", "handler", "state", "ROUTE", "COMPONENT_FIELDS",
           "RENDERING"]

logger = logging.getLogger("appkit.live.components")

#: Where events go: a POST (htmx) or a live event on the page's socket.
ROUTE = "/_appkit-component"
#: The names an event carries besides the handler's parameters and the bound fields.
COMPONENT_FIELDS = frozenset({"_c", "_h", "appkit-csrf"})
#: Where a connection's scope carries the app's ``Components``.
COMPONENTS_KEY = "appkit.components"
_F = TypeVar("_F", bound=Callable[..., Any])
_HANDLER = "__appkit_handler__"
#: A state larger than this (JSON bytes) is logged; larger than the maximum refused.
STATE_WARNING = 64 * 1024
STATE_MAXIMUM = 512 * 1024

#: The component being rendered (and how many children it has mounted so far): a
#: ``mount`` inside its ``render`` is its child, kept across its renders.
RENDERING: contextvars.ContextVar[list[Any] | None] = contextvars.ContextVar(
    "appkit_component_rendering", default=None)


class ComponentGone(HTTPError):
    """The component is no longer on the server (expired, evicted, or the server
    restarted): the page reloads it."""

    status = 410
    close_code = 4410


def handler(fn: _F) -> _F:
    """Declare ``fn`` an event handler of its component: the page may call it, by name,
    with its parameters bound like a route's (``on_<event>`` methods are handlers too)."""
    setattr(fn, _HANDLER, True)
    return fn


@dataclasses.dataclass(frozen=True)
class _State:
    default: Any
    bind: bool


def state(default: Any = None, *, bind: bool = False) -> Any:
    """A state field's default, and whether the page may set it (``bind=True``: an event
    may carry it, coerced to the field's type; the others only the server writes)."""
    return _State(default, bind)


@dataclasses.dataclass(frozen=True)
class _Spec:
    """What a component class declares (worked out once per class)."""

    fields: dict[str, Any]           # name -> default
    types: dict[str, Any]            # name -> annotation
    bound: dict[str, Any]            # name -> reader, for bind=True fields
    readers: dict[str, Any]          # name -> reader of the field's type (None: JSON as is)
    handlers: dict[str, str]          # event -> the method's name


class Component:
    """A piece of a page whose state and code live on the server (see the module).

    Subclasses declare their state as annotated class attributes (``count: int = 0``;
    ``state(default, bind=True)`` for fields the page may set), their handlers with
    ``@handler`` or as ``on_<event>`` methods, and ``render()``. Hooks, each sync or
    ``async``: ``on_mount(**params)`` (once), then at each event ``on_hydrate()``, the
    handler, ``before_render()``, ``render()``, ``on_dehydrate()``.

    Class attributes:
        name: the component's name in the registry (the class name unless set).
        permissions: callables of the app's user (the ``user`` special parameter, see
            ``app.provide``) that must all return true, on mount and on every event.
        slots: the names of the slots a parent fills (``mount(..., slots={...})``; the
            component shows them with ``self.slot(name)``).
        tag: the element that wraps the component (``div``).
    """

    name: ClassVar[str] = ""
    permissions: ClassVar[tuple[Callable[[Any], bool], ...]] = ()
    slots: ClassVar[tuple[str, ...]] = ()
    _spec: ClassVar[_Spec]

    #: The component's id on the page (and in the store).
    id: str

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.name = cls.__dict__.get("name") or cls.__name__
        cls._spec = _make_spec(cls)

    # ---- in the page ----------------------------------------------------------------------

    @classmethod
    def mount(cls, **params: Any) -> Element:
        """A new instance, mounted with ``params`` (``on_mount``; ``slots={...}`` fills
        its slots), kept for the user's session and rendered: put it in a page. Call it
        while serving a request. Inside another component's ``render`` it is that
        component's child, kept across its renders (as ``self.child`` with the order of
        the calls as the key).

        Raises:
            ConfigurationError: outside a request, or a hook is async (use
                ``await Component.mount_async(...)``).
            Forbidden: the user may not use this component.
        """
        parent = RENDERING.get()
        if parent is not None:
            parent[1] += 1
            return parent[0].child(cls, f"{cls.name}#{parent[1]}", **params)
        components, conn = _here(cls)
        return components.mount_sync(cls, conn, params)

    @classmethod
    async def mount_async(cls, **params: Any) -> Element:
        """``mount`` for components whose hooks are async, or that have permissions, in
        an ``async def`` handler."""
        components, conn = _here(cls)
        return await components.mount(cls, conn, params)

    def on(self, event: str, **values: Any) -> dict[str, Any]:
        """The attributes that make an element send ``event`` to this component (a
        button's click, a form's submit), with ``values`` as fixed parameters."""
        if event not in self._spec.handlers:
            raise ConfigurationError(
                f"{self.name} has no handler {event!r}: declare it with @handler "
                f"(it has: {', '.join(sorted(self._spec.handlers)) or 'none'})")
        vals = {"_h": event, **values}
        # The token comes from the component's element (data-c) and the answer replaces
        # it: the page's script adds both, so nothing here is inherited by the author's
        # own htmx elements inside. Clicks while one is on its way queue, none is lost.
        return {"hx-post": root_path() + ROUTE,
                "hx-vals": json.dumps(vals, separators=(",", ":"), default=str),
                "hx-sync": "this:queue all"}

    def slot(self, name: str) -> Any:
        """What the parent put in the slot ``name`` (``mount(..., slots={name: ...})``),
        or None.

        Raises:
            ConfigurationError: the component declares no such slot (``slots = (...)``).
        """
        if name not in type(self).slots:
            raise ConfigurationError(
                f"{self.name} has no slot {name!r} (its slots: "
                f"{', '.join(type(self).slots) or 'none'})")
        return self.__dict__.get("_appkit_slots", {}).get(name)

    def child(self, cls: type[Component], key: str, **params: Any) -> Element:
        """The child component ``key`` of this one, of class ``cls``: mounted with
        ``params`` the first time, the same instance (its state kept) on every render
        after. Use it in ``render``."""
        children = self.__dict__.setdefault("_appkit_children", {})
        components, conn = _here(cls)
        found = children.get(key)
        if found is not None and found[0] is cls:
            again = components.render_again(found[1], conn)
            if again is not None:
                return again
        element = components.mount_sync(cls, conn, dict(params))
        children[key] = (cls, element.attrs["id"])
        return element

    # ---- hooks (override) -------------------------------------------------------------------

    def on_mount(self, *args: Any, **params: Any) -> Any:
        """Set the state from the mount's parameters (the default sets fields by name;
        override it with the parameters your component takes)."""
        for key, value in params.items():
            if key not in self._spec.fields:
                raise ConfigurationError(
                    f"{self.name} has no state field {key!r} to mount with: define "
                    f"on_mount(self, {key}=...) or declare {key}: <type>")
            setattr(self, key, value)

    def on_hydrate(self) -> Any:
        """Called at each event before its handler runs (sync or async)."""

    def on_dehydrate(self) -> Any:
        """Called at each event after the component rendered, before the answer goes out
        (sync or async)."""

    def before_render(self) -> Any:
        """Called before each render."""

    def render(self) -> Any:
        """The component's content (elements, or a list of them)."""
        raise NotImplementedError(f"{type(self).__name__} must define render()")

    # ---- state ----------------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """The declared fields and their values."""
        return {name: getattr(self, name) for name in self._spec.fields}

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in self.state_dict().items())
        return f"<{self.name} {getattr(self, 'id', '?')} {fields}>"


def _make_spec(cls: type[Component]) -> _Spec:
    hints: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        if klass in (Component, object):
            continue
        try:
            hints.update(typing.get_type_hints(klass))
        except NameError as exc:
            raise ConfigurationError(f"{cls.__name__}: cannot resolve a type: {exc}") from None
    fields: dict[str, Any] = {}
    bound: dict[str, Any] = {}
    readers: dict[str, Any] = {}
    types: dict[str, Any] = {}
    for name, tp in hints.items():
        if name.startswith("_") or typing.get_origin(tp) is ClassVar or tp is ClassVar:
            continue
        if name in ("id", "name", "permissions", "slots"):
            continue
        default = getattr(cls, name, None)
        spec = default if isinstance(default, _State) else _State(default, False)
        fields[name] = spec.default
        types[name] = tp
        if spec.bind:
            bound[name] = field_reader(name, tp, spec.default,
                                       f"state field {name!r} of {cls.__name__}")
        try:
            readers[name] = field_reader(name, tp, spec.default, name)
        except ConfigurationError:
            readers[name] = None  # a list, a dict, a type of its own: kept as JSON
    handlers: dict[str, str] = {}
    for attr in dir(cls):
        fn = getattr(cls, attr, None)
        if not callable(fn) or attr.startswith("_"):
            continue
        if attr in ("on_mount", "on", "on_hydrate", "on_dehydrate"):
            continue
        if getattr(fn, _HANDLER, False) or attr.startswith("on_"):
            handlers[attr[3:] if attr.startswith("on_") else attr] = attr
    return _Spec(fields, types, bound, readers, handlers)


def root_path() -> str:
    """Where the app is mounted, for the URLs a component renders."""
    conn = current_connection()
    return str(conn.scope.get("root_path", "")) if conn is not None else ""


def _here(cls: type[Component]) -> tuple[Any, HTTPConnection]:
    conn = current_connection()
    components = conn.scope.get(COMPONENTS_KEY) if conn is not None else None
    if conn is None or components is None:
        raise ConfigurationError(
            f"Mount {cls.name} while serving a request of an app with the live layer "
            "(in a handler: `return Page(..., Counter.mount())`)")
    return components, conn
