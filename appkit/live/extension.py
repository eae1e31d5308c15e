"""The live extension: ``app.hub``, the page's websocket (``/_appkit-live``) and the
script that keeps a page in sync (``live.js``, with idiomorph for morphing).

``appkit.App`` adds it by default; ``App(..., extensions=[LiveSettings(...)])`` configures
it. A page without live parts (no ``hub.subscribe(...)``, no ``data-live-send`` form) opens
no socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import inspect
import json
import logging
import secrets
import typing
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.requests import HTTPConnection, Request
from starlette.responses import Response
from starlette.routing import compile_path

from appkit.app.extensions import Command
from appkit.app.pipeline import CONNECTION
from appkit.app.routing import RouteHandler, call_handler
from appkit.app.websockets import Socket, SocketClosed
from appkit.errors import HTTPError, NotFound
from appkit.html import Safe, Script, render
from appkit.html.nodes import escape_attr
from appkit.live import bridge
from appkit.live.bridge import BridgeServer
from appkit.live.component_runtime import Components
from appkit.live.component_store import MemoryStore
from appkit.live.components import COMPONENTS_KEY
from appkit.live.components import ROUTE as COMPONENT_ROUTE
from appkit.live.hub import Hub, user_topic
from appkit.live.ops import to_ops
from appkit.live.pages import TOO_MANY, Connection, Pages, PageState, pusher
from appkit.live.protocol import (
    CLOSE_BUILD,
    CLOSE_FOREIGN_PAGE,
    CLOSE_IDLE,
    CLOSE_SESSION,
    CLOSE_VERSION,
    LEFT_CODES,
    VERSION,
    ProtocolError,
    parse,
)
from appkit.live.sessions import SessionWrites, changes, snapshot
from appkit.live.settings import LiveSettings
from appkit.live.view_registry import AppParameter, Views
from appkit.live.views import ROUTE as VIEW_ROUTE
from appkit.live.views import TOPIC_PREFIX as VIEW_TOPIC
from appkit.live.views import View

ViewFunction = Callable[[View], Awaitable[Any]]

if TYPE_CHECKING:
    from appkit.app.application import App
    from appkit.app.binding import Binder

__all__ = ["LiveExtension"]

logger = logging.getLogger("appkit.live")

_STATIC = Path(__file__).resolve().parent.parent / "static"
_RUNNING_PER_PAGE = 16  # events of one page running at once
ROUTE = "/_appkit-live"
_ORIGIN = "appkit.live.origin"  # scope key: the page whose event changed the session


class LiveExtension:
    """The live layer as an extension of the core (see the module's docstring)."""

    name = "live"
    exports = ("hub", "view", "views")

    def __init__(self, settings: LiveSettings | None = None) -> None:
        self.settings = settings or LiveSettings()
        #: The app's hub (``app.hub``).
        self.hub = Hub(history=self.settings.history,
                       history_bytes=self.settings.history_bytes)
        self.pages = Pages(self.settings)
        #: A new one each time the server process starts: a page that talked to another
        #: process cannot trust its message numbers.
        self.boot = secrets.token_hex(8)
        self.build = ""
        self._app: App | None = None
        self._routes: list[tuple[Any, RouteHandler, Binder]] | None = None
        self._sweeper: asyncio.Task[None] | None = None
        self._bridge: BridgeServer | None = None
        self._serving = 0
        self._events: set[asyncio.Task[None]] = set()
        self._heads: dict[str, tuple[str, Safe]] = {}
        self._session_writes = SessionWrites()
        #: Without sessions (the bare core), the handshake's CSRF token: pages carry it,
        #: another site's page cannot read it.
        self.token = secrets.token_urlsafe(24)

    def setup(self, app: App) -> None:
        """Add the page's websocket, the page's script and the hub's lifespan."""
        self._app = app
        self.build = _build_id(app)
        app.websocket(ROUTE, name="appkit-live",
                      max_message_size=self.settings.max_message_size)(self._serve)
        app.add_head(self._head)
        app.post(ROUTE + "/session", name="appkit-live-session")(self._save_session)
        settings = self.settings
        store = MemoryStore(settings.component_ttl, settings.components_per_session)
        if settings.component_store == "sqlite":
            from appkit.live.component_sqlite import SQLiteStore
            from shell.paths import folder_name

            store = SQLiteStore(
                lambda: app.paths.data / f"{folder_name(app.name)}-components.db",
                settings.component_ttl, settings.components_per_session)
            app.on_shutdown(store.close)
        self.components = Components(app, store, lifetime=max(settings.component_ttl,
                                                               24 * 3600.0))
        self.pages.on_forget.append(lambda page: self.pages.drop_components(page, store))
        self._component_route = app.post(COMPONENT_ROUTE, name="appkit-component")(
            self._component_event)
        #: The app's running views (``app.views``; see ``appkit.live.views``).
        self.views = Views(app, self.hub, settings)
        self.pages.on_forget.append(lambda page: self.views.page_gone(page.page_id,
                                                                      page.views))
        self._view_route = app.post(VIEW_ROUTE, name="appkit-view")(self.views.http_event)
        app.pipeline.add(AppParameter(self.views))
        app.pipeline.add(_SessionWatch(self))
        self.hub.forward = lambda topic, ops: bridge.send(app.paths.runtime, topic, ops)
        app.on_startup(self._start)
        app.on_shutdown(self._stop)

    def commands(self) -> Sequence[Command]:
        """None."""
        return ()

    def view(self, path: str, *, title: str = "", daemon: bool = False, ttl: float = 3600.0,
             per_user: int = 8) -> Callable[[ViewFunction], ViewFunction]:
        """``app.view``: serve an ``async def fn(view)`` as a view at ``path`` (see
        docs/views.md): its code runs on the server and awaits the user. With ``daemon``,
        one view per user, route and parameters, shown in every window of the user and kept
        while no window shows it (for ``ttl`` seconds once it waits or has finished); a user
        runs at most ``per_user`` of them."""

        def register(fn: ViewFunction) -> ViewFunction:
            self.views.route(path, fn, title=title, daemon=daemon, ttl=ttl, per_user=per_user)
            return fn

        return register

    # ---- lifespan ---------------------------------------------------------------------

    async def _start(self) -> None:
        # The same app may be served twice at once (two test clients): the first start
        # starts, the last stop stops.
        self._serving += 1
        if self._serving > 1:
            return
        app = self._app
        assert app is not None
        self.views.install_index()
        self.hub.start()
        self._sweeper = asyncio.get_running_loop().create_task(self._sweep())
        self._bridge = bridge.BridgeServer(app.paths.runtime, self.hub.publish_ops)
        await self._bridge.start()

    async def _stop(self) -> None:
        self._serving -= 1
        if self._serving > 0:
            return
        await self.views.shutdown()
        if self._bridge is not None:
            await self._bridge.stop()
            self._bridge = None
        self.hub.stop()
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None

    async def _sweep(self) -> None:
        while True:
            settings = self.settings
            await asyncio.sleep(min(30.0, settings.left_grace, settings.page_grace,
                                    settings.component_ttl))
            self.pages.sweep()
            self.hub.forget_idle(self.settings.page_grace)
            self.components.store.sweep()
            self.views.sweep()

    # ---- pages ------------------------------------------------------------------------

    def _head(self, conn: HTTPConnection) -> list[Any]:
        app = self._app
        assert app is not None
        url = app.root_path
        fixed = self._heads.get(url)
        if fixed is None:  # what every page under this root path shares, rendered once
            config = json.dumps(
                {"build": self.build, "boot": self.boot, "url": url + ROUTE,
                 "heartbeat": self.settings.heartbeat, "max": self.settings.max_message_size,
                 "probe": url + app.assets.url("live.js"), "component": url + COMPONENT_ROUTE,
                 "view": url + VIEW_ROUTE},
                separators=(",", ":"))
            if getattr(app, "sessions", None) is None:
                config = config[:-1] + f',"token":"{self.token}"}}'
            scripts = render([
                Script(src=url + app.assets.url("vendor/idiomorph.min.js"), defer=True),
                Script(src=url + app.assets.url("live.js"), defer=True)])
            fixed = self._heads[url] = (
                '<meta name="appkit-live" content="' + escape_attr(config[:-1]), Safe(scripts))
        user = user_topic(_session(app, conn))  # "user:" and hex digits: nothing to escape
        mine = f',&quot;user&quot;:[&quot;{user}&quot;,{self.hub.seq(user)}]}}'
        return [Safe(f'{fixed[0]}{mine}">'), fixed[1]]

    # ---- the page's socket --------------------------------------------------------------

    async def _serve(self, socket: Socket, request: HTTPConnection) -> None:
        app = self._app
        assert app is not None
        session = _session(app, request)
        owner = user_topic(session)
        if getattr(app, "sessions", None) is None:
            # No session, so no CSRF check on the way in: the page's own token stands in.
            token = request.query_params.get("appkit-csrf", "")
            if not token:
                await socket.close(1008, "The live socket needs the page's token")
                return
            if not secrets.compare_digest(token, self.token):
                # A page of an earlier server process: a new page gets the new token.
                await socket.websocket.send_text(json.dumps({"t": "reload", "why": "build"}))
                await socket.close(CLOSE_BUILD, "The server restarted: reload")
                return
        hello = await self._receive(socket)
        if hello is None:
            return
        if hello.get("t") != "hello":
            raise ProtocolError("The first live frame is hello")
        if hello["v"] != VERSION:
            await socket.websocket.send_text(json.dumps({"t": "reload", "why": "build"}))
            await socket.close(CLOSE_VERSION, "Another protocol version: reload")
            return
        if hello["build"] != self.build:
            await socket.websocket.send_text(json.dumps({"t": "reload", "why": "build"}))
            await socket.close(CLOSE_BUILD, "The app was updated: reload")
            return
        page = self.pages.claim(hello["page"], owner)
        if page is None:
            await socket.close(CLOSE_FOREIGN_PAGE, "This page belongs to another session")
            return
        if page is TOO_MANY:
            await socket.close(1008, f"More than {self.settings.pages_per_user} pages of the "
                                     "app are open: close some")
            return
        connection = Connection(socket.websocket, page, self.hub, self.settings)
        connection.batch = hello["batch"]
        await connection.attach()
        ended = asyncio.ensure_future(connection.ended.wait())
        try:
            same_process = hello["boot"] == self.boot
            if page.fresh and hello["sent"] > 0 and (hello["resumed"] or not same_process):
                # A page this process does not know (its state expired, or the server
                # restarted) with events it sent: whether they ran cannot be known, so
                # none runs again (at most once). The page keeps what the user typed and
                # says so.
                page.seen_ref = hello["sent"]
                page.forgotten = True
            page.fresh = False
            kept = min(page.replies, default=page.seen_ref + 1)
            connection.send({"t": "welcome", "boot": self.boot, "seen": page.seen_ref,
                             "forgotten": page.forgotten, "kept": kept,
                             "heartbeat": self.settings.heartbeat})
            for ref, reply in page.replies.items():
                if ref > hello["replied"]:
                    connection.send(dict(reply), essential=True)
            topics = dict(hello["topics"])
            topics.setdefault(owner, 0)
            self._follow(connection, topics, owner, session, same_process)
            self.pages.own(page, hello["components"], (), self.components.store, replace=True)
            while connection.closing is None:
                frame = await self._receive(socket, ended, page)
                if frame is None:
                    break
                if frame["t"] == "follow":
                    self._follow(connection, frame["topics"], owner, session, True)
                elif frame["t"] == "own":
                    self.pages.own(page, frame["c"], frame["gone"], self.components.store)
                else:
                    await self._handle(frame, connection, request)
        finally:
            ended.cancel()
            await connection.detach()

    def _follow(self, connection: Connection, topics: dict[str, int], owner: str,
                session: Any, same_process: bool) -> None:
        for name, seq in topics.items():
            if name in connection.topics:
                continue
            if not self._may_follow(name, owner, session):
                connection.close(1008, f"This page may not follow {name[:60]!r}")
                return
            # Numbers from another server process mean nothing here, except 0: the page
            # had none of the topic's messages, so it missed them all. The user's own
            # topic carries passing news (no state to resync): after a restart the page
            # follows it from now on instead of reloading.
            if not same_process and seq != 0:
                seq = self.hub.seq(name) if name == owner else -1
            connection.follow(name, seq)
            if name.startswith(VIEW_TOPIC):
                connection.page.views.add(name[len(VIEW_TOPIC):])
                self.views.attached(connection.page.page_id, name)

    def _may_follow(self, name: str, owner: str, session: Any) -> bool:
        if name.startswith("page:"):
            return False
        if name.startswith("user:"):
            return name == owner
        topic = self.hub.topics.get(name)
        return topic is None or topic.allow is None or bool(topic.allow(session))

    async def _receive(self, socket: Socket, ended: asyncio.Future[Any] | None = None,
                       page: PageState | None = None) -> dict[str, Any] | None:
        """The page's next frame; None when it closed (as it left the page, ``LEFT_CODES``:
        ``page.left``), went quiet past ``idle_timeout`` (closed with 4408), or the server
        closed the connection (``ended``)."""
        receive = asyncio.ensure_future(socket.receive())
        # Whatever way this ends (this task cancelled while it waits, too), the read's
        # outcome is taken, so a read that ends later with SocketClosed is not reported
        # as an exception never retrieved.
        receive.add_done_callback(_taken)
        waiting: set[asyncio.Future[Any]] = {receive} if ended is None else {receive, ended}
        try:
            done, _ = await asyncio.wait(waiting, timeout=self.settings.idle_timeout,
                                         return_when=asyncio.FIRST_COMPLETED)
        except BaseException:
            receive.cancel()
            raise
        if receive not in done:
            receive.cancel()
            with contextlib.suppress(asyncio.CancelledError, SocketClosed, Exception):
                await receive
            if not done:
                # A page that reads nothing either blocks this close too: let it go.
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(
                        socket.close(CLOSE_IDLE, "No word from the page; reconnect"), 5.0)
            return None
        try:
            message = receive.result()
        except SocketClosed as closed:
            if page is not None and closed.code in LEFT_CODES:
                page.left = True
            return None
        return parse(message.text)

    async def _handle(self, frame: dict[str, Any], connection: Connection,
                      request: HTTPConnection) -> None:
        kind = frame["t"]
        if kind == "ping":
            connection.send({"t": "pong"})
        elif kind == "ack":
            connection.acked(frame["id"])
        elif kind == "ev":
            page = connection.page
            ref = frame["ref"]
            if connection.closing is not None:
                return  # not taken: the page sends it again when it reconnects
            if ref <= page.seen_ref:
                kept = page.replies.get(ref)
                if kept is not None:
                    connection.send(dict(kept), essential=True)  # resent: never run twice
                elif ref not in page.running:
                    # Ran long ago (its reply is no longer kept), or never will: say so
                    # rather than leave the page waiting.
                    connection.send(_error_reply(ref, 409, "This was sent before and may have "
                                                 "been done already: check, then send it "
                                                 "again if it was not."), essential=True)
                return
            if len(page.running) >= _RUNNING_PER_PAGE:
                connection.send(_error_reply(ref, 429, "Too much at once: wait for what you "
                                             "sent to finish, then try again."),
                                essential=True)
                page.seen_ref = ref
                return
            page.seen_ref = ref
            # On a task of its own: the page's pings and other events go on meanwhile, and
            # the reply goes to the page's socket of the moment (it may have reconnected).
            page.running.add(ref)
            task = asyncio.get_running_loop().create_task(
                self._event(frame, page, request, page.owner))
            self._events.add(task)
            task.add_done_callback(self._events.discard)
        else:
            raise ProtocolError("hello comes once, first")

    async def _event(self, frame: dict[str, Any], page: PageState,
                     request: HTTPConnection, owner: str) -> None:
        ref = frame["ref"]
        app = self._app
        assert app is not None
        session = _session(app, request)
        before = snapshot(session)
        try:
            reply = await self._run_event(frame, request, page)
        finally:
            page.running.discard(ref)
        write = changes(before, session, owner, page.page_id)
        if write is not None:  # the page posts the key to save it (see live/sessions.py)
            reply["session"] = self._session_writes.add(write)
        page.remember_reply(ref, reply)
        if page.connection is not None:
            page.connection.send(dict(reply), essential=True)

    async def _run_event(self, frame: dict[str, Any], request: HTTPConnection,
                         page: PageState | None = None) -> dict[str, Any]:
        ref, route_path = frame["ref"], frame["route"]
        app = self._app
        assert app is not None
        data = dict(frame.get("d", {}))
        run: Callable[[HTTPConnection], Awaitable[list[dict[str, Any]]]]
        if route_path == COMPONENT_ROUTE:  # a component's event: the same dispatch as HTTP
            handler, params = self._component_route, dict[str, Any]()

            async def run(conn: HTTPConnection) -> list[dict[str, Any]]:
                push = None if page is None else pusher(page)
                return (await self.components.dispatch(conn, data, push))[1]
        elif route_path == VIEW_ROUTE:  # a view's event: what follows comes on its topic
            handler, params = self._view_route, dict[str, Any]()

            async def run(conn: HTTPConnection) -> list[dict[str, Any]]:
                await self.views.dispatch(conn, data)
                return []
        else:
            found = self._route(route_path)
            if found is None:
                return _error_reply(ref, 404, f"No websocket route answers {route_path[:200]}")
            handler, binder, params = found

            async def run(conn: HTTPConnection) -> list[dict[str, Any]]:
                kwargs = await binder.bind(conn, data)  # type: ignore[arg-type]
                result = await call_handler(handler, kwargs)
                return to_ops([result]) if result is not None else []
        conn = HTTPConnection({**request.scope, "path": route_path, "path_params": params})
        CONNECTION.set(conn)  # the event's own task: its context ends with it
        try:
            answered, _ = await app.pipeline.run_hooks(conn, handler)
            if answered:
                return _error_reply(ref, 403, "The app refused this (sign in first?)")
            ops = await run(conn)
        except HTTPError as exc:
            (logger.error if exc.status >= 500 else logger.info)(
                "Live event for %s: %s", route_path[:200], exc.message)
            return _error_reply(ref, exc.status, exc.message)
        except Exception:
            logger.exception("Unhandled error in the live event for %s", route_path[:200])
            return _error_reply(ref, 500, "The app hit an error while handling this. The "
                                          "details are in the app's log.")
        return {"t": "reply", "ref": ref, "ok": True, "ops": ops}

    async def _component_event(self, request: Request) -> Any:
        """``POST /_appkit-component``: a component's event over HTTP (htmx)."""
        form = await request.form()
        data: dict[str, Any] = {}
        for key, value in form.multi_items():
            if key in data:
                data[key] = [*data[key], value] if isinstance(data[key], list) else [
                    data[key], value]
            else:
                data[key] = value
        element, ops = await self.components.dispatch(request, data)
        return element if ops else Response(status_code=204)  # 204: htmx swaps nothing

    # ---- the session ------------------------------------------------------------------

    def _save_session(self, request: HTTPConnection, key: str) -> Response:
        """``POST /_appkit-live/session``: save what a live event changed in the session."""
        app = self._app
        assert app is not None
        session = _session(app, request)
        write = None if session is None else self._session_writes.take(
            key, user_topic(session))
        if write is None:
            raise NotFound("These session changes are unknown, expired or saved already")
        write.apply(session)
        request.scope[_ORIGIN] = write.page_id
        return Response(status_code=204)

    def session_changed(self, owner: str, except_page: str | None = None) -> int:
        """Close the live sockets of the session ``owner`` (4205): each page reconnects at
        once and reads the session anew. Returns how many were closed."""
        closed = 0
        for page in self.pages.of(owner):
            if page.connection is not None and page.page_id != except_page:
                page.connection.close(CLOSE_SESSION, "The session changed: reconnect")
                closed += 1
        return closed

    def _route(self, path: str) -> tuple[RouteHandler, Binder, dict[str, Any]] | None:
        from appkit.app.binding import Binder

        app = self._app
        assert app is not None
        if self._routes is None:
            pipeline = app.pipeline
            self._routes = [
                (compile_path(h.path)[0], h,
                 Binder(h.fn, h._path_params, pipeline.providers, pipeline.typed_providers,
                        soft=frozenset(pipeline.soft_names)))
                for h in app.route_handlers
                if h.methods == ["WEBSOCKET"] and h.path != ROUTE and not _takes_socket(h)]
        for regex, handler, binder in self._routes:
            match = regex.match(path)
            if match:
                try:
                    params = {k: handler._convertors[k].convert(v)
                              for k, v in match.groupdict().items()}
                except ValueError:
                    return None
                return handler, binder, params
        return None

    def __repr__(self) -> str:
        return f"<LiveExtension {self.settings!r}>"


def _taken(task: asyncio.Future[Any]) -> None:
    """Take a finished read's outcome (it is not wanted any more)."""
    if not task.cancelled():
        task.exception()


def _error_reply(ref: int, status: int, message: str) -> dict[str, Any]:
    return {"t": "reply", "ref": ref, "ok": False,
            "error": {"status": status, "message": message}}


def _session(app: App, conn: HTTPConnection) -> Any:
    manager = getattr(app, "sessions", None)
    loaded = getattr(manager, "loaded", None)
    return loaded(conn) if loaded is not None else None


def _build_id(app: App) -> str:
    """Changes when the app's version or the page's script changes (an upgrade): a page
    rendered by another build reloads."""
    digest = hashlib.sha256(f"{app.name}\0{app.version or ''}\0".encode())
    script = _STATIC / "live.js"
    if script.is_file():
        digest.update(script.read_bytes())
    return digest.hexdigest()[:16]


def _takes_socket(handler: RouteHandler) -> bool:
    """Whether ``handler`` is a connection handler (it takes the socket): those talk on a
    socket of their own, not through the page's."""
    try:
        hints = typing.get_type_hints(handler.fn)
    except NameError:
        hints = {}
    return any(name == "socket" or hints.get(name) is Socket
               for name in inspect.signature(handler.fn).parameters)


class _SessionWatch:
    """A pipeline step: it tells ``Component.mount`` the app's components, and an HTTP
    answer that changed the session's values closes the live sockets of that session (they
    reconnect with the new cookie)."""

    def __init__(self, live: LiveExtension) -> None:
        self.live = live

    async def enter(self, conn: HTTPConnection, route: RouteHandler | None) -> None:
        conn.scope[COMPONENTS_KEY] = self.live.components  # for Component.mount

    async def leave(self, conn: HTTPConnection, response: Response) -> Response:
        app = self.live._app
        session = None if app is None else _session(app, conn)
        if (session is not None and getattr(session, "values_changed", False)
                and getattr(session, "has_csrf_token", False)):
            self.live.session_changed(user_topic(session), conn.scope.get(_ORIGIN))
            if getattr(session, "cleared", False):  # signed out: the views end with it
                self.live.views.signed_out(user_topic(session))
        return response

    def page(self, conn: HTTPConnection, head: list[Any], body: list[Any]) -> None:
        return None
