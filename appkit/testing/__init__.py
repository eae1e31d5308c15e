"""``appkit.testing``: an in-process client for tests.

    from appkit.testing import Client

    def test_index():
        with Client(app) as client:          # runs the app's startup and shutdown hooks
            page = client.get("/")
            assert "Hello" in page.text
            fragment = client.post("/todos", data={"title": "Milk"}, hx=True)

``hx=True`` sends the headers htmx sends (``HX-Request``, ``HX-Current-URL``), so the app
answers with a fragment; ``hx_target=``/``hx_trigger=`` add those headers too.

Like a browser showing the app's pages, the client sends the session's CSRF token with
every POST, PUT, PATCH and DELETE (the ``X-CSRF-Token`` header); ``csrf=False`` (for the
client or one request) sends none, to test the protection itself.

Under pytest, ``appkit.testing.pytest_plugin`` (loaded by itself once appkit is installed)
gives every test private per-user folders, so an app made in the test has a fresh database.
"""

from __future__ import annotations

from typing import Any

from starlette import testclient as _testclient
from starlette.testclient import TestClient

from appkit.sessions.csrf import CSRF_HEADER, UNSAFE_METHODS
from appkit.sessions.manager import SessionManager

__all__ = ["Client"]

# The httpx that Starlette's TestClient is built on (httpx2, or httpx in older releases).
_httpx: Any = _testclient.httpx


class Client(TestClient):
    """A synchronous client that calls the app in-process (no server, no network).

    Args:
        app: any ASGI app, usually an ``appkit.App`` (or one wrapped in middleware that
            keeps it in ``.app``, such as ``shell.guard.LoopbackGuard``).
        raise_server_exceptions: re-raise errors that escape the app instead of answering
            500 (appkit answers handler errors itself, so this rarely matters).
        base_url: the address requests appear to go to.
        csrf: send the session's CSRF token with unsafe requests, as appkit's pages do.
    """

    def __init__(self, app: Any, *, raise_server_exceptions: bool = True,
                 base_url: str = "http://127.0.0.1:8000", csrf: bool = True,
                 **kwargs: Any) -> None:
        super().__init__(app, base_url=base_url,
                         raise_server_exceptions=raise_server_exceptions, **kwargs)
        self.csrf = csrf
        self._sessions = _find_sessions(app)

    def request(self, method: str, url: Any, *, hx: bool = False,  # type: ignore[override]
                hx_target: str | None = None, hx_trigger: str | None = None,
                csrf: bool | None = None, **kwargs: Any) -> Any:
        """Send a request; ``csrf=False`` leaves out the CSRF token this once (``True``
        sends it even when the client was made with ``csrf=False``)."""
        send_token = (self.csrf if csrf is None else csrf) and (
            method.upper() in UNSAFE_METHODS)
        if not (hx or hx_target or hx_trigger or send_token):
            return super().request(method, url, **kwargs)
        headers = _httpx.Headers(kwargs.pop("headers", None))
        if hx or hx_target or hx_trigger:
            headers.setdefault("HX-Request", "true")
            headers.setdefault("HX-Current-URL", str(self.base_url))
            if hx_target:
                headers["HX-Target"] = hx_target
            if hx_trigger:
                headers["HX-Trigger"] = hx_trigger
        if send_token and not any(
                name in given for given in (headers, self.headers)
                for name in (CSRF_HEADER, "Authorization")):
            token = self.csrf_token()
            if token is not None:
                headers[CSRF_HEADER] = token
                self._with_session_cookie(headers)
        kwargs["headers"] = headers
        return super().request(method, url, **kwargs)

    def csrf_token(self) -> str | None:
        """The CSRF token of the client's session, as the app's pages carry it; a new
        session is started (its cookie kept) when the client has none. None when the app
        is not an appkit ``App``."""
        if self._sessions is None:
            return None
        token, set_cookie = self._sessions.token_for(self._session_cookie())
        if set_cookie is not None:
            # Kept as if the app had answered with it, so the jar treats it the same way.
            self.cookies.extract_cookies(_httpx.Response(
                200, headers=[("set-cookie", set_cookie)],
                request=_httpx.Request("GET", self.base_url)))
        return token

    def _session_cookie(self) -> str | None:
        if self._sessions is None:
            return None
        value = None
        for item in self.cookies.jar:
            if item.name == self._sessions.cookie_name:
                value = item.value
        return value

    def _with_session_cookie(self, headers: Any) -> None:
        """A request given its own ``Cookie`` header does not send the jar's cookies: add
        the session's, which the token belongs to."""
        explicit = headers.get("cookie")
        value = self._session_cookie()
        if explicit is None or value is None or self._sessions is None:
            return
        name = self._sessions.cookie_name
        if not any(part.strip().startswith(f"{name}=") for part in explicit.split(";")):
            headers["cookie"] = f"{explicit}; {name}={value}"

    def get(self, url: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        """GET ``url``; ``hx=True`` makes it an htmx request."""
        return self.request("GET", url, **kwargs)

    def head(self, url: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        """HEAD ``url``; ``hx=True`` makes it an htmx request."""
        return self.request("HEAD", url, **kwargs)

    def options(self, url: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        """OPTIONS ``url``."""
        return self.request("OPTIONS", url, **kwargs)

    def post(self, url: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        """POST to ``url`` (``data=`` for a form, ``json=``, ``files=``)."""
        return self.request("POST", url, **kwargs)

    def put(self, url: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        """PUT to ``url``."""
        return self.request("PUT", url, **kwargs)

    def patch(self, url: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        """PATCH ``url``."""
        return self.request("PATCH", url, **kwargs)

    def delete(self, url: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        """DELETE ``url``."""
        return self.request("DELETE", url, **kwargs)


def _find_sessions(app: Any) -> SessionManager | None:
    """The session manager of the appkit App inside ``app`` (through middleware that keeps
    the app it wraps in ``.app``)."""
    for _ in range(16):
        sessions = getattr(app, "sessions", None)
        if isinstance(sessions, SessionManager):
            return sessions
        app = getattr(app, "app", None)
        if app is None:
            return None
    return None
