"""Session settings (``Sessions``) and the per-app machinery that loads a request's session
from its cookie and saves it with the answer (``SessionManager``, ``app.sessions``).

    app = App("notes", sessions=Sessions(max_age=timedelta(hours=8), store="sqlite"))
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection
from starlette.responses import Response

from appkit.errors import ConfigurationError
from appkit.sessions.cookie import COOKIE_LIMIT, CookieStore
from appkit.sessions.errors import SessionError, SessionTooLarge
from appkit.sessions.keys import KEY_FILE, load_or_create_key
from appkit.sessions.session import Session
from appkit.sessions.sqlite import SQLiteStore
from appkit.sessions.store import SessionStore

if TYPE_CHECKING:
    from appkit.sessions.extension import SessionsExtension
    from shell.paths import AppDirs

__all__ = ["SessionManager", "Sessions"]

logger = logging.getLogger("appkit.sessions")

_SCOPE_KEY = "appkit.session"
# A cookie value Starlette's set_cookie (http.cookies) writes as it is, unquoted.
_PLAIN_VALUE = re.compile(r"[A-Za-z0-9_.\-]+")
_SAME_SITE = ("lax", "strict", "none")


@dataclass(frozen=True)
class Sessions:
    """How an app keeps sessions: ``App(name, sessions=Sessions(...))``.

    Args:
        store: ``"cookie"`` (the session, signed, in its cookie: the default), ``"sqlite"``
            (in ``app.paths.data / "sessions.db"``, an opaque id in the cookie), or a
            ``SessionStore`` object (e.g. ``SQLiteStore(path)``).
        max_age: how long a session lives after it last changed (seconds or a
            ``timedelta``); an older one is ignored and the user starts afresh.
        secret_key: the key that signs cookies (32 bytes or more); by default one is made on
            the first run in ``app.paths.config / "secret.key"`` (0600).
        cookie_name: the session cookie's name; by default ``appkit-session-<app name>``.
        same_site: the cookie's ``SameSite``: ``"lax"`` (default), ``"strict"`` or
            ``"none"`` (which needs ``https_only``).
        https_only: mark the cookie ``Secure`` (for an app served over HTTPS).
        csrf: require the session's CSRF token on unsafe requests (see ``appkit.sessions``).

    Raises:
        ConfigurationError: a setting out of range, with the fix.
    """

    store: str | SessionStore = "cookie"
    max_age: float | timedelta = timedelta(days=14)
    secret_key: str | bytes | None = None
    cookie_name: str | None = None
    same_site: Literal["lax", "strict", "none"] = "lax"
    https_only: bool = False
    csrf: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.store, str):
            if self.store not in ("cookie", "sqlite"):
                raise ConfigurationError(
                    f"Unknown session store {self.store!r}: use 'cookie', 'sqlite' or a "
                    "SessionStore object")
        elif not isinstance(self.store, SessionStore):
            raise ConfigurationError(
                f"The session store {self.store!r} lacks load/save/close/blocking: see "
                "appkit.sessions.SessionStore")
        if self.max_age_seconds <= 0:
            raise ConfigurationError(f"A session's max_age must be positive, not "
                                     f"{self.max_age!r}")
        if self.same_site not in _SAME_SITE:
            raise ConfigurationError(
                f"same_site is 'lax', 'strict' or 'none', not {self.same_site!r}")
        if self.same_site == "none" and not self.https_only:
            raise ConfigurationError(
                "Browsers drop a SameSite=None cookie that is not Secure: pass "
                "https_only=True too, or keep same_site='lax'")
        if self.secret_key is not None and len(_key_bytes(self.secret_key)) < 32:
            raise ConfigurationError(
                "The session secret_key is too short: use 32 bytes or more, e.g. "
                "secrets.token_bytes(32), kept out of the source code")
        if self.cookie_name is not None and not re.fullmatch(r"[A-Za-z0-9_.-]+",
                                                             self.cookie_name):
            raise ConfigurationError(
                f"A cookie name holds letters, digits and _ . - only: {self.cookie_name!r}")

    def extension(self) -> SessionsExtension:
        """The sessions extension with these settings."""
        from appkit.sessions.extension import SessionsExtension

        return SessionsExtension(self)

    @property
    def max_age_seconds(self) -> float:
        """``max_age`` in seconds."""
        if isinstance(self.max_age, timedelta):
            return self.max_age.total_seconds()
        return float(self.max_age)


def _key_bytes(key: str | bytes) -> bytes:
    return key.encode("utf-8") if isinstance(key, str) else key


class _State:
    """One request's session and the cookie value it came from (when that was valid)."""

    __slots__ = ("session", "cookie")

    def __init__(self, session: Session, cookie: str | None) -> None:
        self.session = session
        self.cookie = cookie


class SessionManager:
    """Loads each request's session and saves it with the answer (``app.sessions``).

    Nothing is read or written until a request needs it: the key file and the database are
    made on first use.

    Args:
        settings: the app's ``Sessions``.
        app_name: names the default cookie.
        paths: gives the app's folders (``app.paths``), for the key and the database.
    """

    def __init__(self, settings: Sessions, app_name: str,
                 paths: Callable[[], AppDirs]) -> None:
        self.settings = settings
        self.cookie_name = settings.cookie_name or "appkit-session-" + (
            re.sub(r"[^A-Za-z0-9_.-]+", "-", app_name).strip("-") or "app")
        self.max_age = settings.max_age_seconds
        self._paths = paths
        self._lock = threading.Lock()
        self._store: SessionStore | None = (
            None if isinstance(settings.store, str) else settings.store)
        self._cookie_header: tuple[bytes, bytes] | None = None

    @property
    def csrf(self) -> bool:
        """Whether unsafe requests must carry the session's CSRF token."""
        return self.settings.csrf

    @property
    def key_path(self) -> Path:
        """Where the generated key is kept: ``app.paths.config / "secret.key"``."""
        return self._paths().config / KEY_FILE

    @property
    def store(self) -> SessionStore:
        """The store, made on first use (which may write the key file)."""
        store = self._store
        if store is None:
            with self._lock:
                if self._store is None:
                    self._store = self._make_store()
                store = self._store
        return store

    def _make_store(self) -> SessionStore:
        if self.settings.store == "sqlite":
            return SQLiteStore(self._paths().data / "sessions.db")
        key = self.settings.secret_key
        secret = _key_bytes(key) if key is not None else load_or_create_key(self.key_path)
        return CookieStore(secret, max_size=COOKIE_LIMIT - len(self.cookie_name) - 1)

    # ---- per request -------------------------------------------------------------------

    def _load(self, cookie: str | None) -> _State:
        if cookie:
            text = self.store.load(cookie, self.max_age)
            if text is not None:
                try:
                    return _State(Session.loads(text), cookie)
                except ValueError as exc:
                    logger.info("Ignored a session that could not be read (%s)", exc)
        return _State(Session(), None)

    async def load(self, conn: HTTPConnection) -> Session:
        """The request's session, read from its cookie once (an empty one when the cookie
        is missing, tampered, expired, malformed or too big)."""
        state: _State | None = conn.scope.get(_SCOPE_KEY)
        if state is None:
            cookie = conn.cookies.get(self.cookie_name)
            if cookie and self.store.blocking:
                state = await run_in_threadpool(self._load, cookie)
            else:
                state = self._load(cookie)
            conn.scope[_SCOPE_KEY] = state
        return state.session

    def loaded(self, conn: HTTPConnection) -> Session | None:
        """The request's session if it was loaded already, else None."""
        state: _State | None = conn.scope.get(_SCOPE_KEY)
        return state.session if state is not None else None

    def current(self, conn: HTTPConnection) -> Session:
        """The request's session (the ``session`` handler parameter).

        Raises:
            SessionError: the request did not come through an appkit route.
        """
        state: _State | None = conn.scope.get(_SCOPE_KEY)
        if state is None:
            raise SessionError(
                "There is no session here: sessions belong to the app's own routes "
                "(handlers, before-hooks, providers), not to mounted apps or middleware")
        return state.session

    def discard(self, conn: HTTPConnection) -> None:
        """Forget this request's changes to the session (they will not be saved)."""
        state: _State | None = conn.scope.get(_SCOPE_KEY)
        if state is not None:
            state.session.modified = False

    async def save(self, conn: HTTPConnection, response: Response) -> None:
        """Save the session if it changed, and set its cookie on ``response``.

        Raises:
            SessionTooLarge: the store cannot keep it (a cookie holds about 4 KB).
            SessionValueError: a value is not JSON.
        """
        state: _State | None = conn.scope.get(_SCOPE_KEY)
        if state is None or not state.session.modified:
            return
        session = state.session
        data = session.dumps()
        try:
            if self.store.blocking:
                value = await run_in_threadpool(self.store.save, state.cookie, data,
                                                self.max_age)
            else:
                value = self.store.save(state.cookie, data, self.max_age)
        except SessionTooLarge as exc:
            raise self._too_large(exc, session) from None
        state.cookie = value
        session.modified = False
        self._set_cookie(response, value)

    def _too_large(self, exc: SessionTooLarge, session: Session) -> SessionTooLarge:
        biggest = ", ".join(f"{key!r} ({size} bytes)" for key, size in session.largest())
        return SessionTooLarge(
            f"{exc}. Largest values: {biggest or 'none'}. Keep ids in the session rather "
            "than whole records, or keep sessions on the server: "
            "App(..., sessions=Sessions(store=\"sqlite\"))",
            size=exc.size, limit=exc.limit)

    def _set_cookie(self, response: Response, value: str) -> None:
        if _PLAIN_VALUE.fullmatch(value):  # what Starlette's set_cookie writes, made once
            before, after = self._cookie_parts()
            response.raw_headers.append((b"set-cookie", before + value.encode() + after))
            return
        response.set_cookie(
            self.cookie_name, value, max_age=int(self.max_age), path="/", httponly=True,
            samesite=self.settings.same_site, secure=self.settings.https_only)

    def _cookie_parts(self) -> tuple[bytes, bytes]:
        """The ``Set-Cookie`` header's bytes before and after the value."""
        parts = self._cookie_header
        if parts is None:
            sample = Response()
            sample.set_cookie(
                self.cookie_name, "VALUE", max_age=int(self.max_age), path="/",
                httponly=True, samesite=self.settings.same_site,
                secure=self.settings.https_only)
            header = dict(sample.raw_headers)[b"set-cookie"]
            before, _, after = header.partition(b"=VALUE")
            parts = self._cookie_header = (before + b"=", after)
        return parts

    def token_for(self, cookie: str | None) -> tuple[str, str | None]:
        """The CSRF token of the session in ``cookie`` (starting a session when there is
        none), and the ``Set-Cookie`` header value that starts it (None when the session
        existed). For test clients and tools that hold the session cookie.

        Raises:
            SessionTooLarge: the session cannot be saved with its new token.
        """
        state = self._load(cookie)
        token = state.session.csrf_token
        if not state.session.modified:
            return token, None
        try:
            value = self.store.save(state.cookie, state.session.dumps(), self.max_age)
        except SessionTooLarge as exc:
            raise self._too_large(exc, state.session) from None
        response = Response()
        self._set_cookie(response, value)
        return token, response.headers["set-cookie"]

    def close(self) -> None:
        """Close the store (the app is shutting down)."""
        if self._store is not None:
            self._store.close()

    def __repr__(self) -> str:
        store: Any = self._store if self._store is not None else self.settings.store
        return f"<SessionManager cookie={self.cookie_name!r} store={store!r}>"
