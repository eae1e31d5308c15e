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

import asyncio
import base64
import copy
import dataclasses
import hashlib
import hmac
import inspect
import json
import logging
import secrets
import time
import typing
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from appkit.app.binding import Binder, field_reader
from appkit.app.pipeline import current_connection
from appkit.errors import BadRequest, ConfigurationError, Forbidden, HTTPError, NotFound
from appkit.html import Div, Element
from appkit.live.component_diff import diff, rendered
from appkit.live.hub import user_topic

if TYPE_CHECKING:
    from appkit.app.application import App
    from appkit.live.component_store import MemoryStore

__all__ = ["Component", "ComponentGone", "handler", "state", "ROUTE", "COMPONENT_FIELDS"]

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
    handlers: dict[str, str]          # event -> the method's name


class Component:
    """A piece of a page whose state and code live on the server (see the module).

    Subclasses declare their state as annotated class attributes (``count: int = 0``;
    ``state(default, bind=True)`` for fields the page may set), their handlers with
    ``@handler`` or as ``on_<event>`` methods, and ``render()``. Hooks, each sync or
    ``async``: ``on_mount(**params)``, ``before_render()``.

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
        """A new instance, mounted with ``params`` (``on_mount``), kept for the user's
        session and rendered: put it in a page. Call it while serving a request.

        Raises:
            ConfigurationError: outside a request, or ``on_mount`` is async (use
                ``await Component.mount_async(...)``).
            Forbidden: the user may not use this component.
        """
        components, conn = _here(cls)
        instance = components.new(cls, conn, params.pop("slots", None))
        if inspect.iscoroutinefunction(cls.on_mount):
            raise ConfigurationError(
                f"{cls.name}.on_mount is async: mount it with "
                f"`await {cls.name}.mount_async(...)` in an async handler")
        instance.on_mount(**params)
        return components.keep_and_render_sync(instance, conn)

    @classmethod
    async def mount_async(cls, **params: Any) -> Element:
        """``mount`` for components whose hooks are async (in an ``async def`` handler)."""
        components, conn = _here(cls)
        instance = components.new(cls, conn, params.pop("slots", None))
        result = instance.on_mount(**params)
        if inspect.isawaitable(result):
            await result
        return await components.keep_and_render(instance, conn)

    def on(self, event: str, **values: Any) -> dict[str, Any]:
        """The attributes that make an element send ``event`` to this component (a
        button's click, a form's submit), with ``values`` as fixed parameters."""
        if event not in self._spec.handlers:
            raise ConfigurationError(
                f"{self.name} has no handler {event!r}: declare it with @handler "
                f"(it has: {', '.join(sorted(self._spec.handlers)) or 'none'})")
        vals = {"_h": event, **values}
        return {"hx-post": root_path() + ROUTE,
                "hx-vals": json.dumps(vals, separators=(",", ":"), default=str)}

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
        element = cls.mount(**params)
        children[key] = (cls, element.attrs["id"])
        return element

    # ---- hooks (override) -------------------------------------------------------------------

    def on_mount(self, **params: Any) -> Any:
        """Set the state from the mount's parameters (the default sets fields by name)."""
        for key, value in params.items():
            if key not in self._spec.fields:
                raise ConfigurationError(
                    f"{self.name} has no state field {key!r} to mount with: define "
                    f"on_mount(self, {key}=...) or declare {key}: <type>")
            setattr(self, key, value)

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
    types: dict[str, Any] = {}
    for name, tp in hints.items():
        if name.startswith("_") or typing.get_origin(tp) is ClassVar or tp is ClassVar:
            continue
        if name in ("id", "name", "permissions"):
            continue
        default = getattr(cls, name, None)
        spec = default if isinstance(default, _State) else _State(default, False)
        fields[name] = spec.default
        types[name] = tp
        if spec.bind:
            bound[name] = field_reader(name, tp, spec.default,
                                       f"state field {name!r} of {cls.__name__}")
    handlers: dict[str, str] = {}
    for attr in dir(cls):
        fn = getattr(cls, attr, None)
        if not callable(fn) or attr.startswith("_"):
            continue
        if getattr(fn, _HANDLER, False):
            handlers[attr] = attr
        elif attr.startswith("on_") and attr not in ("on_mount", "on"):
            handlers[attr[3:]] = attr
    return _Spec(fields, types, bound, handlers)


def root_path() -> str:
    """Where the app is mounted, for the URLs a component renders."""
    conn = current_connection()
    return str(conn.scope.get("root_path", "")) if conn is not None else ""


def _here(cls: type[Component]) -> tuple[Components, HTTPConnection]:
    conn = current_connection()
    components = conn.scope.get(COMPONENTS_KEY) if conn is not None else None
    if conn is None or components is None:
        raise ConfigurationError(
            f"Mount {cls.name} while serving a request of an app with the live layer "
            "(in a handler: `return Page(..., Counter.mount())`)")
    return components, conn


# ---- the app's components ---------------------------------------------------------------------


class Components:
    """The app's live components: their store, tokens and dispatch (``live.components``)."""

    def __init__(self, app: App, store: MemoryStore, lifetime: float) -> None:
        self.app = app
        self.store = store
        self.lifetime = lifetime
        self._key = secrets.token_bytes(32)
        #: The component classes this app has mounted, by name.
        self.registry: dict[str, type[Component]] = {}

    # ---- making and keeping ---------------------------------------------------------

    def _register(self, cls: type[Component]) -> None:
        """Note ``cls`` under its name: a token names a component by it, so two classes of
        one name in one app are an error."""
        other = self.registry.setdefault(cls.name, cls)
        if other is not cls:
            raise ConfigurationError(
                f"Two components are called {cls.name!r} ({other.__module__}."
                f"{other.__qualname__} and {cls.__module__}.{cls.__qualname__}): give one "
                f"another name (name = '...')")

    def new(self, cls: type[Component], conn: HTTPConnection,
            slots: Mapping[str, Any] | None = None) -> Component:
        """A new instance of ``cls`` for the user of ``conn`` (its permissions checked),
        with the contents of its ``slots``."""
        self._register(cls)
        self._check_permissions(cls, conn)
        unknown = sorted(set(slots or {}) - set(cls.slots))
        if unknown:
            raise ConfigurationError(
                f"{cls.name} has no slot {', '.join(map(repr, unknown))} (its slots: "
                f"{', '.join(cls.slots) or 'none'})")
        instance = object.__new__(cls)
        instance._appkit_slots = dict(slots or {})  # type: ignore[attr-defined]
        for name, default in cls._spec.fields.items():
            setattr(instance, name, _fresh(default))
        instance.id = "c-" + secrets.token_hex(8)
        return instance

    def keep_and_render_sync(self, instance: Component, conn: HTTPConnection) -> Element:
        if inspect.iscoroutinefunction(type(instance).before_render):
            raise ConfigurationError(
                f"{instance.name}.before_render is async: mount it with mount_async")
        instance.before_render()
        return self._keep(instance, conn, instance.render())

    async def keep_and_render(self, instance: Component, conn: HTTPConnection) -> Element:
        result = instance.before_render()
        if inspect.isawaitable(result):
            await result
        return self._keep(instance, conn, instance.render())

    def _keep(self, instance: Component, conn: HTTPConnection, content: Any) -> Element:
        owner = self._owner(conn)
        _check_size(instance)
        expires = int(time.time() + self.lifetime)
        nonce = secrets.token_hex(4)
        token = self._token(owner, instance.id, instance.name, nonce, expires)
        self.store.put(owner, instance.id, instance, nonce)
        root = self._wrap(instance, token, content)
        instance._appkit_last = rendered(root).kept()  # type: ignore[attr-defined]
        instance._appkit_token = token  # type: ignore[attr-defined]
        return root

    def render_again(self, cid: str, conn: HTTPConnection) -> Element | None:
        """The kept component ``cid`` of this user rendered as it is now (a parent renders
        its child), or None when it is gone."""
        kept = self.store.get(self._owner(conn), cid)
        if kept is None:
            return None
        instance = kept[0]
        if inspect.iscoroutinefunction(type(instance).before_render):
            raise ConfigurationError(f"{instance.name}.before_render is async: a parent "
                                     "cannot render it as a child yet")
        instance.before_render()
        root = self._wrap(instance, instance._appkit_token, instance.render())
        instance._appkit_last = rendered(root).kept()
        return root

    def _wrap(self, instance: Component, token: str, content: Any) -> Element:
        return Div(content, id=instance.id, data_component=instance.name,
                   hx_vals=json.dumps({"_c": token}), hx_target="this", hx_swap="outerHTML")

    # ---- tokens -------------------------------------------------------------------------

    def _owner(self, conn: HTTPConnection) -> str:
        manager = getattr(self.app, "sessions", None)
        loaded = getattr(manager, "loaded", None)
        return user_topic(loaded(conn) if loaded is not None else None)

    def _token(self, owner: str, cid: str, name: str, nonce: str, expires: int) -> str:
        body = f"{cid}.{name}.{nonce}.{expires}"
        mac = hmac.new(self._key, f"{owner}\0{body}".encode(), hashlib.sha256).digest()[:20]
        return body + "." + base64.urlsafe_b64encode(mac).decode().rstrip("=")

    def _open(self, token: Any, owner: str) -> tuple[str, str, str]:
        """(component id, name, nonce) of a token made for ``owner``; raises otherwise."""
        if not isinstance(token, str) or len(token) > 300:
            raise BadRequest("This event names no component")
        parts = token.split(".")
        if len(parts) != 5:
            raise BadRequest("This event's component token is malformed")
        cid, name, nonce, expires, mac = parts
        good = self._token(owner, cid, name, nonce, int(expires) if expires.isdigit() else 0)
        if not hmac.compare_digest(good.rsplit(".", 1)[1], mac):
            raise Forbidden("This component token is not this session's")
        if int(expires) < time.time():
            raise ComponentGone("This part of the page expired: reload it")
        return cid, name, nonce

    # ---- events ---------------------------------------------------------------------------

    async def dispatch(self, conn: HTTPConnection, data: Mapping[str, Any],
                       push: Callable[[list[dict[str, Any]]], bool] | None = None
                       ) -> tuple[Element, list[dict[str, Any]]]:
        """Run the event ``data`` (``_c`` token, ``_h`` handler, its parameters and bound
        fields): the component rendered again, and the operations that bring the page's
        copy up to date (none when nothing changed; see ``component_diff``).

        A handler that is an async generator streams: after each ``yield`` the component
        is rendered and ``push`` sends what changed to the page at once (it returns False
        when the page has gone, which stops the handler). Without ``push`` (over HTTP) it
        runs to its end. Other events of the component run between its steps.

        Raises:
            HTTPError: a refused event (400 bad data, 403 foreign or forbidden, 404 no
                such handler, 410 gone); each is logged.
        """
        try:
            return await self._dispatch(conn, data, push)
        except HTTPError as exc:
            logger.warning("Refused a component event (%d): %s", exc.status, exc.message)
            raise

    async def _dispatch(self, conn: HTTPConnection, data: Mapping[str, Any],
                        push: Callable[[list[dict[str, Any]]], bool] | None
                        ) -> tuple[Element, list[dict[str, Any]]]:
        owner = self._owner(conn)
        cid, name, nonce = self._open(data.get("_c"), owner)
        kept = self.store.get(owner, cid)
        if kept is None or not hmac.compare_digest(kept[1], nonce):
            raise ComponentGone("This part of the page is no longer on the server: reload it")
        instance, _, lock = kept
        cls = type(instance)
        if cls.name != name:
            raise Forbidden("This component token names another component")
        event = data.get("_h")
        method = cls._spec.handlers.get(event) if isinstance(event, str) else None
        if method is None:
            raise NotFound(f"{cls.name} has no handler {str(event)[:60]!r}")
        self._check_permissions(cls, conn)
        bound = getattr(instance, method)
        binder = _binder(self.app, cls, method, bound)
        allowed = COMPONENT_FIELDS | cls._spec.bound.keys() | {
            p.name for p in binder.params} | {  # a model's (or a form's) fields
            f.name for p in binder.params if p.kind == "model"
            for f in p.model.fields}  # type: ignore[union-attr]
        unknown = sorted(k for k in data if k not in allowed)
        if unknown:
            raise BadRequest(f"{cls.name}.{event} takes no {', '.join(map(repr, unknown[:5]))}")
        token = str(data["_c"])
        async with lock:
            updates = {key: reader.value(data[key], True)
                       for key, reader in cls._spec.bound.items() if key in data}
            kwargs = await binder.bind(conn, {  # type: ignore[arg-type]
                k: v for k, v in data.items()
                if k not in COMPONENT_FIELDS and k not in cls._spec.bound})
            if inspect.isasyncgenfunction(bound):
                for key, value in updates.items():
                    setattr(instance, key, value)
                stream = bound(**kwargs)
            else:
                stream = None
                await _run_handler(instance, bound, kwargs, updates)
                root, ops = await self._render(instance, token)
        if stream is not None:
            root, ops = await self._stream(instance, token, stream, lock, push)
        self.store.touch(owner, cid)
        return root, ops

    async def _render(self, instance: Component, token: str
                      ) -> tuple[Element, list[dict[str, Any]]]:
        result = instance.before_render()
        if inspect.isawaitable(result):
            await result
        root = self._wrap(instance, token, instance.render())
        now = rendered(root)
        ops = diff(getattr(instance, "_appkit_last", None), now, instance.id)
        instance._appkit_last = now.kept()  # type: ignore[attr-defined]
        return root, ops

    async def _stream(self, instance: Component, token: str, stream: Any,
                      lock: asyncio.Lock, push: Callable[[list[dict[str, Any]]], bool] | None
                      ) -> tuple[Element, list[dict[str, Any]]]:
        try:
            while True:
                async with lock:
                    try:
                        await stream.__anext__()
                    except StopAsyncIteration:
                        return await self._render(instance, token)
                    _check_size(instance)
                    if push is None:
                        continue
                    _, ops = await self._render(instance, token)
                if ops and not push(ops):
                    async with lock:  # the page went away: stop, keep what was done
                        return await self._render(instance, token)
        finally:
            await stream.aclose()

    def _check_permissions(self, cls: type[Component], conn: HTTPConnection) -> None:
        if not cls.permissions:
            return
        provide = self.app.pipeline.providers.get("user")
        if provide is None:
            raise ConfigurationError(
                f"{cls.name} has permissions but the app provides no user: "
                "app.provide('user', fn)")
        user = provide(conn)  # type: ignore[arg-type]
        if inspect.isawaitable(user):
            if hasattr(user, "close"):
                user.close()
            raise ConfigurationError(
                f"{cls.name} checks permissions with the app's user, whose provider is "
                "async: provide the user with a plain function")
        if not all(check(user) for check in cls.permissions):
            logger.warning("Refused %s to user %r", cls.name, user)
            raise Forbidden(f"You may not use {cls.name}")


_BINDERS: dict[tuple[type, str], Binder] = {}


def _binder(app: App, cls: type[Component], event: str, bound: Callable[..., Any]) -> Binder:
    found = _BINDERS.get((cls, event))
    if found is None:
        pipeline = app.pipeline
        found = _BINDERS[(cls, event)] = Binder(
            bound, set(), pipeline.providers, pipeline.typed_providers,
            soft=frozenset(pipeline.soft_names))
    return found


async def _run_handler(instance: Component, bound: Callable[..., Any],
                       kwargs: dict[str, Any], updates: dict[str, Any]) -> None:
    """Set the bound fields and run the handler; if anything fails, the state is put back
    as it was (a failed event changes nothing)."""
    before = copy.deepcopy(instance.state_dict())
    for key, value in updates.items():
        setattr(instance, key, value)
    try:
        result = bound(**kwargs) if inspect.iscoroutinefunction(bound) else (
            await run_in_threadpool(bound, **kwargs))
        if inspect.isawaitable(result):
            await result
        _check_size(instance)
    except BaseException:
        for key, value in before.items():
            setattr(instance, key, value)
        raise


def _fresh(default: Any) -> Any:
    return copy.deepcopy(default) if isinstance(default, list | dict | set) else default


def _check_size(instance: Component) -> None:
    sizes = {}
    for name, value in instance.state_dict().items():
        try:
            sizes[name] = len(json.dumps(value, default=str))
        except (TypeError, ValueError):
            sizes[name] = 0
    total = sum(sizes.values())
    if total <= STATE_WARNING:
        return
    biggest = max(sizes, key=lambda k: sizes[k])
    if total > STATE_MAXIMUM:
        raise BadRequest(
            f"{instance.name}'s state would be {total:,} bytes (at most {STATE_MAXIMUM:,}); "
            f"its largest field is {biggest!r} ({sizes[biggest]:,} bytes)")
    logger.warning("%s's state is %s bytes (largest field %r: %s bytes)", instance.name,
                   f"{total:,}", biggest, f"{sizes[biggest]:,}")
