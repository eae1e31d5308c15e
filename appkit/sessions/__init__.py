"""``appkit.sessions``: per-user sessions, CSRF protection and toasts.

    from appkit import App, Redirect
    from appkit.sessions import Session, toast

    app = App("notes")

    @app.post("/login")
    def login(name: str, session: Session):
        session["user"] = name
        toast(session, f"Welcome, {name}.", "success")
        return Redirect("/")

A handler (or before-hook) takes ``session`` to read and change the user's session; it is
saved with the answer, only when it changed. By default it lives in a signed cookie whose
key is made on the first run in the user's config folder; ``Sessions(store="sqlite")``
keeps it on the server instead. Unsafe requests must carry the session's CSRF token, which
appkit's pages send by themselves. See docs/sessions.md.
"""

from __future__ import annotations

from appkit.sessions.cookie import CookieStore
from appkit.sessions.csrf import CSRF_FIELD, CSRF_HEADER
from appkit.sessions.errors import SessionError, SessionTooLarge, SessionValueError
from appkit.sessions.extension import SessionsExtension
from appkit.sessions.manager import SessionManager, Sessions
from appkit.sessions.session import Session
from appkit.sessions.sqlite import SQLiteStore
from appkit.sessions.store import SessionStore
from appkit.sessions.toasts import TOAST_KINDS, toast

__all__ = [
    "CSRF_FIELD",
    "CSRF_HEADER",
    "CookieStore",
    "SQLiteStore",
    "Session",
    "SessionError",
    "SessionManager",
    "SessionStore",
    "SessionTooLarge",
    "SessionValueError",
    "Sessions",
    "SessionsExtension",
    "TOAST_KINDS",
    "toast",
]
