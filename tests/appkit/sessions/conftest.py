"""A tiny app whose routes show and change the session, for the session tests."""

from __future__ import annotations

from typing import Any

from appkit import App
from appkit.sessions import Session, Sessions


def session_app(name: str = "t", **settings: Any) -> App:
    """GET /show answers the session as JSON; POST /set sets ``key`` to ``value``."""
    app = App(name, sessions=Sessions(**settings) if settings else None)

    @app.get("/show")
    def show(session: Session) -> dict[str, Any]:
        return dict(session)

    @app.post("/set")
    def set_value(key: str, value: str, session: Session) -> dict[str, Any]:
        session[key] = value
        return dict(session)

    @app.post("/clear")
    def clear(session: Session) -> dict[str, Any]:
        session.clear()
        return dict(session)

    return app
