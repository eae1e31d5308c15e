"""The sessions extension: a ``session`` parameter for every route, the CSRF check, the
token on every page and toasts shown once (``app.sessions``).

``appkit.App`` adds it by default; ``App(..., sessions=Sessions(...))`` or
``App(..., extensions=[Sessions(...)])`` configures it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from starlette.requests import HTTPConnection
from starlette.responses import FileResponse, Response, StreamingResponse

from appkit.app.extensions import Command
from appkit.app.responses import wants_fragment
from appkit.app.routing import RouteHandler
from appkit.html import Meta, render
from appkit.sessions.csrf import UNSAFE_METHODS, check_csrf, is_exempt
from appkit.sessions.errors import SessionError
from appkit.sessions.manager import SessionManager, Sessions
from appkit.sessions.session import Session
from appkit.sessions.toasts import toast_region, toast_swap

if TYPE_CHECKING:
    from appkit.app.application import App

__all__ = ["SessionsExtension"]


class SessionsExtension:
    """Sessions as an extension of the core (see the module's docstring).

    Args:
        settings: how sessions are kept (``Sessions``).
    """

    name = "sessions"
    exports = ("sessions",)

    def __init__(self, settings: Sessions | None = None) -> None:
        self.settings = settings or Sessions()
        #: The app's session manager (``app.sessions``), made in ``setup``.
        self.sessions: SessionManager | None = None

    def setup(self, app: App) -> None:
        """Add the ``session`` parameter, the pipeline step and the shutdown."""
        manager = self.sessions = SessionManager(self.settings, app.name, lambda: app.paths)
        app.pipeline.providers["session"] = manager.current
        app.pipeline.typed_providers[Session] = manager.current
        # ``session`` came after apps could read a value called session (``session: str``);
        # an annotation other than ``Session`` keeps doing that.
        app.pipeline.soft_names.add("session")
        app.pipeline.add(_SessionStep(manager))
        app.on_shutdown(manager.close)

    def commands(self) -> Sequence[Command]:
        """None: sessions have no command of their own."""
        return ()

    def __repr__(self) -> str:
        return f"<SessionsExtension {self.settings!r}>"


class _SessionStep:
    """Loads the session, checks the CSRF token, adds the token and toasts to pages, and
    saves the session with the answer."""

    def __init__(self, manager: SessionManager) -> None:
        self.manager = manager

    async def enter(self, conn: HTTPConnection, route: RouteHandler | None) -> None:
        session = await self.manager.load(conn)
        if route is None or not route.csrf or not self.manager.csrf or is_exempt(conn):
            return
        if conn.scope["type"] == "websocket" or any(
                method in UNSAFE_METHODS for method in route.methods):
            await check_csrf(conn, session)

    async def leave(self, conn: HTTPConnection, response: Response) -> Response:
        session = self.manager.loaded(conn)
        if session is None:
            return response
        if (session._has_toasts and conn.scope.get("method") != "HEAD"
                and wants_fragment(conn) and _carries_toasts(response)):  # type: ignore[arg-type]
            swap = render(toast_swap(session._take_toasts())).encode()
            response.body = bytes(response.body) + swap
            response.headers["content-length"] = str(len(response.body))
        try:
            await self.manager.save(conn, response)
        except SessionError:  # too large, or not JSON: the app's own mistake
            self.manager.discard(conn)
            raise
        return response

    def page(self, conn: HTTPConnection, head: list[Any], body: list[Any]) -> None:
        session = self.manager.loaded(conn)
        if session is None:
            return
        if self.manager.csrf:
            head.append(Meta(name="csrf-token", content=session.csrf_token))
        # A HEAD request's page is never shown: its toasts wait for the next one.
        if session._has_toasts and conn.scope.get("method") != "HEAD":
            body.append(toast_region(session._take_toasts()))


def _carries_toasts(response: Response) -> bool:
    """Whether htmx will swap this answer's HTML, so out-of-band toasts in it are shown."""
    if not 200 <= response.status_code < 300 or response.status_code == 204:
        return False
    if isinstance(response, StreamingResponse | FileResponse):
        return False
    headers = response.headers
    if not headers.get("content-type", "").startswith("text/html"):
        return False
    if "hx-redirect" in headers or "hx-location" in headers or (
            headers.get("hx-refresh") == "true"):
        return False  # the page is going away: the toasts wait for the next one
    return isinstance(getattr(response, "body", None), bytes | memoryview)
