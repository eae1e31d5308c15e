"""The app's live components at run time: making instances, keeping them, their tokens,
and the one dispatch every event goes through (``live.components``).

The checks an event goes through, in order, each refusing with a 4xx and a log record:
the token's shape, its key (a token of an earlier server process: 410, reload), its MAC
(another session's or forged: 403), its expiry (410); the instance (gone: 410) and its
nonce; the permissions; the handler's name (only declared ones: 404); the fields (only the
handler's parameters, its model's fields and the bound state fields: 400); their types (400
naming the field). A handler, or the render after it, that fails leaves the state as it was.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import hashlib
import hmac
import inspect
import json
import logging
import re
import secrets
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import anyio.from_thread
from starlette.requests import HTTPConnection

from appkit.app.binding import Binder
from appkit.app.handlers import run_sync
from appkit.errors import BadRequest, ConfigurationError, Forbidden, HTTPError, NotFound
from appkit.html import Div, Element
from appkit.live.component_diff import diff, rendered
from appkit.live.components import (
    COMPONENT_FIELDS,
    RENDERING,
    STATE_MAXIMUM,
    STATE_WARNING,
    Component,
    ComponentGone,
)
from appkit.live.hub import user_topic

if TYPE_CHECKING:
    from appkit.app.application import App
    from appkit.live.component_store import MemoryStore

__all__ = ["Components"]

logger = logging.getLogger("appkit.live.components")
_EXPIRY = re.compile(r"[0-9]{1,12}")
Ops = list[dict[str, Any]]

class Components:
    """The app's live components (see the module)."""

    def __init__(self, app: App, store: MemoryStore, lifetime: float) -> None:
        self.app = app
        self.store = store
        self.lifetime = lifetime
        self._key_source = getattr(store, "key", None)   # a store on disk keeps the key
        self._secret: bytes | None = None
        self._key_id = ""
        self._binders: dict[tuple[type, str], Binder] = {}
        #: The component classes this app has mounted, by name.
        self.registry: dict[str, type[Component]] = {}

    # ---- making and keeping ---------------------------------------------------------

    def register(self, cls: type[Component]) -> None:
        """Note ``cls`` under its name: a token names a component by it, so two classes of
        one name in one app are an error."""
        other = self.registry.setdefault(cls.name, cls)
        if other is not cls:
            raise ConfigurationError(
                f"Two components are called {cls.name!r} ({other.__module__}."
                f"{other.__qualname__} and {cls.__module__}.{cls.__qualname__}): give one "
                f"another name (name = '...')")

    def new(self, cls: type[Component], slots: Mapping[str, Any] | None = None) -> Component:
        """A new instance of ``cls`` with the contents of its ``slots`` (not kept yet)."""
        self.register(cls)
        unknown = sorted(set(slots or {}) - set(cls.slots))
        if unknown:
            raise ConfigurationError(
                f"{cls.name} has no slot {', '.join(map(repr, unknown))} (its slots: "
                f"{', '.join(cls.slots) or 'none'})")
        instance = object.__new__(cls)
        instance._appkit_slots = dict(slots or {})  # type: ignore[attr-defined]
        for name, default in cls._spec.fields.items():
            setattr(instance, name, copy.deepcopy(default))  # never shared between users
        instance.id = "c-" + secrets.token_hex(8)
        return instance

    def mount_sync(self, cls: type[Component], conn: HTTPConnection,
                   params: dict[str, Any]) -> Element:
        """``Component.mount``: a new instance, mounted, kept and rendered."""
        if cls.permissions:
            try:
                asyncio.get_running_loop()
            except RuntimeError:  # a worker thread (a plain ``def`` handler)
                anyio.from_thread.run(self.check_permissions, cls, conn)
            else:
                raise ConfigurationError(
                    f"{cls.name} has permissions, which need the app's user: in an async "
                    f"handler, mount it with `await {cls.name}.mount_async(...)`")
        for hook in (cls.on_mount, cls.before_render):
            if inspect.iscoroutinefunction(hook):
                raise ConfigurationError(
                    f"{cls.name}.{hook.__name__} is async: mount it with "
                    f"`await {cls.name}.mount_async(...)` in an async handler")
        instance = self.new(cls, params.pop("slots", None))
        instance.on_mount(**params)
        instance.before_render()
        return self._keep(instance, conn)

    async def mount(self, cls: type[Component], conn: HTTPConnection,
                    params: dict[str, Any]) -> Element:
        """``Component.mount_async``."""
        await self.check_permissions(cls, conn)
        instance = self.new(cls, params.pop("slots", None))
        await _maybe(instance.on_mount(**params))
        await _maybe(instance.before_render())
        return self._keep(instance, conn)

    def _keep(self, instance: Component, conn: HTTPConnection) -> Element:
        owner = self._owner(conn)
        nonce = self._kid + secrets.token_hex(4)
        instance._appkit_token = self._token(  # type: ignore[attr-defined]
            owner, instance.id, instance.name, nonce, int(time.time() + self.lifetime))
        root = self.wrap(instance)
        _check_size(instance)
        self.store.put(owner, instance.id, instance, nonce)
        instance._appkit_last = rendered(root).kept()  # type: ignore[attr-defined]
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
                                     "cannot render it as a child")
        instance.before_render()
        root = self.wrap(instance)
        instance._appkit_last = rendered(root).kept()
        return root

    def wrap(self, instance: Component) -> Element:
        """The component's element: its content, its id and its token (``data-c``; the
        page's script sends it with the component's events)."""
        here = RENDERING.set([instance, 0])
        try:
            content = instance.render()
        finally:
            RENDERING.reset(here)
        return Div(content, id=instance.id, data_component=instance.name,
                   data_c=instance._appkit_token)  # type: ignore[attr-defined]

    # ---- tokens -------------------------------------------------------------------------

    @property
    def _key(self) -> bytes:
        if self._secret is None:
            source = self._key_source
            self._secret = source() if source is not None else secrets.token_bytes(32)
            self._key_id = hashlib.sha256(self._secret).hexdigest()[:6]
        return self._secret

    @property
    def _kid(self) -> str:
        """The key's id (the start of every nonce): worked out once, with the key."""
        if self._secret is None:
            self._key  # noqa: B018 (makes the key and its id)
        return self._key_id

    def _owner(self, conn: HTTPConnection) -> str:
        manager = getattr(self.app, "sessions", None)
        loaded = getattr(manager, "loaded", None)
        return user_topic(loaded(conn) if loaded is not None else None)

    def _token(self, owner: str, cid: str, name: str, nonce: str, expires: int) -> str:
        """``id.name.nonce.expiry.mac``; the nonce starts with this process's key id."""
        body = f"{cid}.{name}.{nonce}.{expires}"
        return body + "." + self._mac(owner, body)

    def _mac(self, owner: str, body: str) -> str:
        mac = hmac.new(self._key, f"{owner}\0{body}".encode(), hashlib.sha256).digest()[:20]
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")

    def _open(self, token: Any, owner: str) -> tuple[str, str, str, int]:
        """(component id, name, nonce, expiry) of a token made for ``owner``."""
        if not isinstance(token, str) or not token.isascii() or len(token) > 400:
            raise BadRequest("This event names no component")
        parts = token.split(".")
        if len(parts) < 5 or not _EXPIRY.fullmatch(parts[-2]):
            raise BadRequest("This event's component token is malformed")
        cid, name = parts[0], ".".join(parts[1:-3])   # a name may have dots
        nonce, expires, mac = parts[-3:]
        if not nonce.startswith(self._kid):
            raise ComponentGone("The app restarted since this page was made: reload it")
        body = token[:-len(mac) - 1]
        if not hmac.compare_digest(self._mac(owner, body).encode(), mac.encode()):
            raise Forbidden("This component token is not this session's")
        if int(expires) < time.time():
            raise ComponentGone("This part of the page expired: reload it")
        return cid, name, nonce, int(expires)

    # ---- events ---------------------------------------------------------------------------

    async def dispatch(self, conn: HTTPConnection, data: Mapping[str, Any],
                       push: Callable[[Ops], bool] | None = None) -> tuple[Element, Ops]:
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
                        push: Callable[[Ops], bool] | None) -> tuple[Element, Ops]:
        owner = self._owner(conn)
        cid, name, nonce, expires = self._open(data.get("_c"), owner)
        kept = self.store.get(owner, cid)
        if kept is None or not hmac.compare_digest(kept[1].encode(), nonce.encode()):
            raise ComponentGone("This part of the page is no longer on the server: reload it")
        instance, _, lock = kept
        cls = type(instance)
        if cls.name != name:
            raise Forbidden("This component token names another component")
        await self.check_permissions(cls, conn)
        event = data.get("_h")
        method = cls._spec.handlers.get(event) if isinstance(event, str) else None
        if method is None:
            raise NotFound(f"{cls.name} has no handler {_short(event)}")
        bound = getattr(instance, method)
        binder = self._binder(cls, method, bound)
        allowed = COMPONENT_FIELDS | cls._spec.bound.keys() | {
            p.name for p in binder.params} | {  # a model's (or a form's) fields
            f.name for p in binder.params if p.kind == "model"
            for f in p.model.fields}  # type: ignore[union-attr]
        unknown = sorted(k for k in data if k not in allowed)
        if unknown:
            raise BadRequest(f"{cls.name}.{event} takes no "
                             f"{', '.join(_short(k) for k in unknown[:5])}")
        if expires - time.time() < self.lifetime / 2:  # in use: a new token, the same nonce
            instance._appkit_token = self._token(  # type: ignore[attr-defined]
                owner, cid, name, nonce, int(time.time() + self.lifetime))
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
                root, ops = await self._run(instance, bound, kwargs, updates)
        if stream is not None:
            root, ops = await self._stream(instance, stream, lock, push)
        self.store.save(owner, cid, instance)
        return root, ops

    async def _run(self, instance: Component, bound: Callable[..., Any],
                   kwargs: dict[str, Any], updates: dict[str, Any]) -> tuple[Element, Ops]:
        """Set the bound fields, run the handler and render; if any of it fails, the
        state is put back as it was (a failed event changes nothing)."""
        before = copy.deepcopy(instance.state_dict())
        try:
            for key, value in updates.items():
                setattr(instance, key, value)
            await _maybe(instance.on_hydrate())
            if inspect.iscoroutinefunction(bound):
                await bound(**kwargs)
            else:
                await _maybe(await run_sync(bound, **kwargs))
            _check_size(instance)
            rendered_now = await self._render(instance)
            await _maybe(instance.on_dehydrate())
            return rendered_now
        except BaseException:
            for key, value in before.items():
                setattr(instance, key, value)
            raise

    async def _render(self, instance: Component) -> tuple[Element, Ops]:
        await _maybe(instance.before_render())
        root = self.wrap(instance)
        now = rendered(root)
        ops = diff(getattr(instance, "_appkit_last", None), now, instance.id)
        instance._appkit_last = now.kept()  # type: ignore[attr-defined]
        return root, ops

    async def _stream(self, instance: Component, stream: Any, lock: asyncio.Lock,
                      push: Callable[[Ops], bool] | None) -> tuple[Element, Ops]:
        try:
            while True:
                async with lock:
                    try:
                        await stream.__anext__()
                    except StopAsyncIteration:
                        return await self._render(instance)
                    _check_size(instance)
                    if push is None:
                        continue
                    _, ops = await self._render(instance)
                if ops and not push(ops):
                    async with lock:  # the page went away: stop, keep what was done
                        return await self._render(instance)
        finally:
            await stream.aclose()

    async def check_permissions(self, cls: type[Component], conn: HTTPConnection) -> None:
        """Refuse (403, logged) a user that one of ``cls.permissions`` does not allow."""
        if not cls.permissions:
            return
        provide = self.app.pipeline.providers.get("user")
        if provide is None:
            raise ConfigurationError(
                f"{cls.name} has permissions but the app provides no user: "
                "app.provide('user', fn)")
        user = await _maybe(provide(conn))  # type: ignore[arg-type]
        if not all(check(user) for check in cls.permissions):
            logger.warning("Refused %s to user %r", cls.name, user)
            raise Forbidden(f"You may not use {cls.name}")

    def _binder(self, cls: type[Component], method: str, bound: Callable[..., Any]
                ) -> Binder:
        found = self._binders.get((cls, method))
        if found is None:
            pipeline = self.app.pipeline
            found = self._binders[(cls, method)] = Binder(
                bound, set(), pipeline.providers, pipeline.typed_providers,
                soft=frozenset(pipeline.soft_names))
        return found


async def _maybe(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 42 else text[:40] + "...'"


def _check_size(instance: Component) -> None:
    sizes = {}
    for name, value in instance.state_dict().items():
        try:
            sizes[name] = len(json.dumps(value, default=repr))
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
