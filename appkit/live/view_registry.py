"""The app's running views (``app.views``, see ``appkit.live.views``): serving a view at a
route, running its code on a task of its own, the one place that ends a view (``close``),
the answers pages send, the lifetimes of one-page and daemon views, and several views as
apps (an index at ``/``, ``?app=name``, links).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import inspect
import io
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from starlette.datastructures import FormData, UploadFile
from starlette.requests import HTTPConnection, Request
from starlette.responses import RedirectResponse, Response

from appkit.errors import BadRequest, ConfigurationError, NotFound
from appkit.html import A, Div, Element, P, Page, oob
from appkit.live.hub import Hub, user_topic
from appkit.live.views import (
    CLOSE_GRACE,
    DEFER_LIMIT,
    ROUTE,
    TOPIC_PREFIX,
    View,
    ViewClosed,
    _Gone,
    _TooMany,
    logger,
)

if TYPE_CHECKING:
    from appkit.app.application import App
    from appkit.live.settings import LiveSettings

__all__ = ["AppParameter", "Views"]


class Views:
    """The app's running views (``app.views``): see the module."""

    def __init__(self, app: App, hub: Hub, settings: LiveSettings) -> None:
        self.app = app
        self.hub = hub
        self.settings = settings
        self._views: dict[str, View] = {}
        self._daemons: dict[tuple[Any, ...], View] = {}
        #: The views served, by name (their function's): (path, title, summary).
        self.named: dict[str, tuple[str, str, str]] = {}
        self._indexed = False

    # ---- declaring ---------------------------------------------------------------------

    def route(self, path: str, fn: Callable[[View], Awaitable[Any]], *, title: str = "",
              daemon: bool = False, ttl: float = 3600.0, per_user: int = 8) -> None:
        """Serve ``fn`` as a view at ``path`` (see ``app.view``)."""
        if not inspect.iscoroutinefunction(fn):
            raise ConfigurationError(
                f"A view is an async def that takes the view: {getattr(fn, '__name__', fn)!r} "
                "is not (write `async def name(view): ...`)")
        shown = title or fn.__name__.replace("_", " ").capitalize()
        name = fn.__name__
        if name in self.named:
            raise ConfigurationError(
                f"Two views are called {name!r} ({self.named[name][0]} and {path}): a view "
                f"is named after its function, so give one another name")
        doc = (inspect.getdoc(fn) or "").strip().split("\n\n")[0].replace("\n", " ")
        self.named[name] = (path, shown, doc)
        app = self.app

        async def page(request: Request) -> Any:
            view = await self.open(request, path, fn, shown, daemon, ttl, per_user)
            return Page(view.title, view.render(), self.hub.subscribe(view.topic))

        page.__name__ = name
        app.get(path, name=f"view-{name}")(page)

    # ---- several views as apps (PyWebIO's ?app=) ---------------------------------------

    def url_of(self, name: str, root: str = "") -> str:
        """The URL of the view called ``name`` (its function's name).

        Raises:
            NotFound: no view has that name (the message lists those there are).
        """
        found = self.named.get(name)
        if found is None:
            raise NotFound(f"There is no view called {name[:60]!r} here; there are: "
                           f"{', '.join(sorted(self.named)) or 'none'}")
        return root + found[0]

    def link(self, name: str, *children: Any, **attrs: Any) -> Element:
        """A link to the view called ``name`` (its title when no ``children``).

        Raises:
            NotFound: no view has that name.
        """
        from appkit.html import A

        url = self.url_of(name, _root())
        return A(*(children or (self.named[name][1],)), href=url, **attrs)

    def install_index(self) -> None:
        """At start: when the app has views and nothing answers ``GET /``, an index there
        lists them (title and the first paragraph of the function's docstring)."""
        if self._indexed or not self.named:
            return
        self._indexed = True
        for handler in self.app.route_handlers:
            if handler.path == "/" and "GET" in handler.methods:
                return
        self.app.get("/", name="appkit-views-index")(self._index)

    def _index(self) -> Any:
        from appkit.html import A, Li, Small, Ul

        root = _root()
        items = [Li(A(title, href=root + path), " ", Small(doc) if doc else "")
                 for path, title, doc in self.named.values()]
        return Page(self.app.name, Ul(*items, cls="appkit-views-index"))

    # ---- running -----------------------------------------------------------------------

    async def open(self, request: Request, route: str, fn: Callable[[View], Awaitable[Any]],
                   title: str, daemon: bool, ttl: float, per_user: int) -> View:
        """The view a page load shows: a daemon's running one, or a new one."""
        owner = await self.owner(request)
        params = {**request.path_params, **dict(request.query_params)}
        key = (owner, route, tuple(sorted(params.items()))) if daemon else None
        if key is not None:
            running = self._daemons.get(key)
            if running is not None and running.state in ("running", "finished"):
                running.used = time.monotonic()
                return running
            mine = [v for v in self._daemons.values() if v.owner == owner and v.route == route]
            if len(mine) >= per_user:
                raise _TooMany(
                    f"You have {len(mine)} of {title!r} running (at most {per_user}): stop "
                    f"one first")
        view = View(self, owner, route, title, params, key)
        view._ttl = ttl
        view.url = str(request.scope.get("root_path", "")) + ROUTE
        query = request.url.query
        view.page_url = request.url.path + (f"?{query}" if query else "")
        self._views[view.id] = view
        if key is not None:
            self._daemons[key] = view
        owner_of = view.owner
        self.hub.topic(view.topic, snapshot=view.render,
                       allow=lambda session: _owned(owner_of, user_topic(session)))
        view._task = asyncio.get_running_loop().create_task(self._run(view, fn))
        await view._moved_on(0)
        return view

    async def _run(self, view: View, fn: Callable[[View], Awaitable[Any]]) -> None:
        try:
            await fn(view)
        except (ViewClosed, asyncio.CancelledError):
            pass
        except Exception:
            logger.exception("The view %s failed", view.route)
            view._failed = True
            with contextlib.suppress(ViewClosed):
                # A link to the page: a new load starts the view anew (no script: the
                # page's policy forbids inline handlers).
                view.show(P("Something went wrong here. The details are in the app's log."),
                          A("Start over", href=view.page_url, role="button"))
        if view._grace is not None:
            view._grace.cancel()   # the code ended: its defers run in full
        # Waits its code left behind (a task of it still awaiting a click) end with it.
        for future in (view._waiting, view._pause):
            if future is not None and not future.done():
                future.cancel()
        if view.state == "running":
            view.state = "finished"
        view._settle()
        await self._ended(view)

    async def _ended(self, view: View) -> None:
        """The view's code ended: run its defers, last first (each at most ``DEFER_LIMIT``
        seconds); a view no window shows, or whose code failed (a reload starts it
        anew), goes."""
        view._ending = True
        while view._defers:
            fn = view._defers.pop()
            try:
                result = fn()
                if inspect.isawaitable(result):
                    await asyncio.wait_for(result, DEFER_LIMIT)
            except TimeoutError:
                logger.warning("A deferred call of the view %s took over %s s: left",
                               view.route, DEFER_LIMIT)
            except (Exception, ViewClosed):
                logger.exception("A deferred call of the view %s failed", view.route)
        view._release()   # the files of its last form
        view._ending = False
        view.used = time.monotonic()
        if view.state in ("closing", "closed"):
            self._remove(view)
        elif view._failed and view.key is not None:
            # A reload starts the daemon anew; the windows on it keep its error until
            # they go (it is a view of its pages now).
            if self._daemons.get(view.key) is view:
                del self._daemons[view.key]
            view.key = None
        # A view that finished stays, showing its end, for the page that loads it (its
        # socket may not have followed it yet): it goes with its pages, or page_grace
        # after its end when no page follows it.

    def close(self, view: View, reason: str) -> None:
        """End ``view``: ``ViewClosed(reason)`` into its wait, then its task cancelled if it
        has not ended within ``CLOSE_GRACE`` s, then its defers."""
        if view.state in ("closing", "closed"):
            return
        finished = view.state == "finished"
        view.state = "closing"
        view._closed = ViewClosed(reason)
        view.stopping = True
        if view.pages and reason != "page_closed":
            # Its windows say so (their controls would answer 410), with a way back.
            self.hub.publish(view.topic, oob(Div(
                P("This has ended.", cls="appkit-view-ended"),
                A("Start again", href=view.page_url, role="button"),
                id=view.element_id, data_view=view.id), True))
        if finished or view._task is None or view._task.done():
            self._remove(view)
            return
        for future in (view._waiting, view._pause):
            if future is not None and not future.done():
                future.set_exception(view._closed)
        # Cancelled if its code has not ended in time; the timer goes as soon as it ends
        # (it would keep the view's task, and all it holds, alive until then).
        view._grace = asyncio.get_running_loop().call_later(CLOSE_GRACE, view._task.cancel)

    def _remove(self, view: View) -> None:
        view.state = "closed"
        view._release()
        self._views.pop(view.id, None)
        if view.key is not None and self._daemons.get(view.key) is view:
            del self._daemons[view.key]
        with contextlib.suppress(KeyError):
            self.hub.drop(view.topic)

    def signed_out(self, session_owner: str) -> None:
        """The session's values were cleared (a sign-out): its views end, so whoever signs
        in next in this browser starts afresh."""
        for view in list(self._views.values()):
            if _owned(view.owner, session_owner):
                self.close(view, "signed_out")

    async def stop(self, view_id: str, conn: HTTPConnection) -> bool:
        """Close the view ``view_id`` of ``conn``'s user; False when it has none such."""
        view = self._views.get(view_id)
        if view is None or view.owner != await self.owner(conn):
            return False
        self.close(view, "stopped")
        return True

    async def of(self, conn: HTTPConnection) -> list[View]:
        """The running views of ``conn``'s user."""
        owner = await self.owner(conn)
        return [v for v in self._views.values() if v.owner == owner]

    async def owner(self, conn: HTTPConnection) -> str:
        """Whose views ``conn`` sees: its session's, and, when the app provides a ``user``,
        that user's (signing out and in as someone else in the same browser keeps the
        session's token, never the views)."""
        manager = getattr(self.app, "sessions", None)
        loaded = getattr(manager, "loaded", None)
        owner = user_topic(loaded(conn) if loaded is not None else None)
        provide = self.app.pipeline.providers.get("user")
        if provide is None:
            return owner
        user = provide(conn)  # type: ignore[arg-type]
        if inspect.isawaitable(user):
            user = await user
        identity = getattr(user, "id", user)
        digest = hashlib.sha256(repr((type(identity).__name__, identity)).encode())
        return f"{owner}:{digest.hexdigest()[:16]}"

    # ---- events --------------------------------------------------------------------------

    async def dispatch(self, conn: HTTPConnection, data: Mapping[str, Any]) -> View:
        """Answer a page's event to a view; the view as it is once it waits again."""
        view_id, step = data.get("_v"), data.get("_s")
        key = data.get("_k")
        if not isinstance(view_id, str) or not isinstance(key, str) or not isinstance(
                step, str | int) or isinstance(step, bool):
            raise BadRequest("A view's event names its view, step and answer (_v, _s, _k)")
        try:
            number = int(step)
        except ValueError:
            raise BadRequest("A view's step is a whole number") from None
        view = self._views.get(view_id)
        if view is None or view.owner != await self.owner(conn):
            raise _Gone("This view has ended: reload the page")
        since = view._settles
        if view._answer(number, key, data):
            await view._moved_on(since)
        return view

    async def http_event(self, request: Request) -> Any:
        """``POST /_appkit-view``: a view's event over plain htmx (urlencoded, or multipart
        when its form sends a file); answers the view. The files a view's accepted form
        took stay open for its code (``View._release`` closes them); the rest close here."""
        # The files are taken from the request (whose end closes its own), so that the
        # view's code can read them after this answer.
        form = FormData([(key, _take(value) if isinstance(value, UploadFile) else value)
                         for key, value in (await request.form()).multi_items()])
        try:
            view = await self.dispatch(request, form)
        finally:
            asked = self._views.get(str(form.get("_v", "")))
            kept = asked._files if asked is not None else []
            for _, value in form.multi_items():
                if isinstance(value, UploadFile) and not any(value is f for f in kept):
                    await value.close()
        if view.going is not None:
            return Response(status_code=200, headers={"HX-Redirect": view.going})
        return view.render()

    # ---- pages ---------------------------------------------------------------------------

    def attached(self, page_id: str, topic: str) -> None:
        """A page follows ``topic``: when it is a view's, the view counts it as its window."""
        view = self._views.get(topic[len(TOPIC_PREFIX):])
        if view is not None:
            view.pages.add(page_id)
            view.used = time.monotonic()

    def page_gone(self, page_id: str, views: set[str]) -> None:
        """``Pages.on_forget``: a view of one page goes with it."""
        for view_id in views:
            view = self._views.get(view_id)
            if view is None:
                continue
            view.pages.discard(page_id)
            view.used = time.monotonic()
            if not view.pages and (view.key is None or view.state == "finished"):
                self.close(view, "page_closed")

    def sweep(self) -> None:
        """Close views no window shows: a page's view never attached after ``page_grace``,
        a daemon idle (waiting or finished) for its ``ttl``."""
        now = time.monotonic()
        for view in list(self._views.values()):
            if view.pages or view.state not in ("running", "finished"):
                continue
            if view.key is None:
                if now - view.used > self.settings.page_grace:
                    self.close(view, "page_closed")
            elif (view._asking or view.state == "finished") and (
                    now - view.used > view._ttl):
                self.close(view, "expired")

    async def shutdown(self) -> None:
        """Close every view (the app stops) and wait for them to end."""
        tasks = []
        for view in list(self._views.values()):
            if view._task is not None and not view._task.done():
                tasks.append(view._task)
            self.close(view, "shutdown")
        if tasks:
            await asyncio.wait(tasks, timeout=CLOSE_GRACE + 1)

    def __len__(self) -> int:
        return len(self._views)


def _owned(owner: str, session_owner: str) -> bool:
    """Whether a view of ``owner`` is one of ``session_owner``'s session's."""
    return owner == session_owner or owner.startswith(session_owner + ":")


def _take(upload: UploadFile) -> UploadFile:
    """The same upload in an UploadFile of its own; the request's closes an empty stand-in
    when the request ends."""
    taken = UploadFile(upload.file, size=upload.size, filename=upload.filename,
                       headers=upload.headers)
    upload.file = io.BytesIO()
    return taken


def _root() -> str:
    from appkit.app.pipeline import current_connection

    conn = current_connection()
    return str(conn.scope.get("root_path", "")) if conn is not None else ""


class AppParameter:
    """A pipeline step: ``GET /?app=name`` goes to the view called ``name`` (303), an
    unknown name answers 404 listing the views (PyWebIO falls back to the index silently)."""

    def __init__(self, views: Views) -> None:
        self.views = views

    async def enter(self, conn: HTTPConnection, route: Any) -> None:
        return None

    async def leave(self, conn: HTTPConnection, response: Response) -> Response:
        if (conn.scope.get("method") != "GET" or conn.scope.get("path") != "/"
                or b"app=" not in conn.scope.get("query_string", b"")
                or "app" not in conn.query_params or not self.views.named):
            return response
        root = str(conn.scope.get("root_path", ""))
        try:
            url = self.views.url_of(conn.query_params["app"], root)
        except NotFound as exc:
            return await self.views.app.pipeline.error(conn, exc)  # type: ignore[arg-type]
        return RedirectResponse(url, status_code=303)

    def page(self, conn: HTTPConnection, head: list[Any], body: list[Any]) -> None:
        return None
