"""The UI extension: the kit's stylesheet and script on every page, and the user's theme.

``App(..., extensions=[UISettings()])`` adds it. Every full page then loads ``ui.css``
(after Pico, whose variables it sets for the kit's density), ``ui.js`` (tabs, menus,
dialogs, the theme toggle) and ``ui-theme.js``: a few lines that run before the page is
drawn and put the user's theme on ``<html data-theme=...>``, so a dark page never flashes
light. The theme a user picks is kept in a cookie (``appkit-theme-<app>``) by
``POST /_appkit-ui/theme``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from starlette.requests import HTTPConnection, Request
from starlette.responses import Response

from appkit.app.extensions import Command
from appkit.errors import BadRequest
from appkit.html import Element, Link, Meta, Script
from appkit.ui._checks import KIT_MARK
from appkit.ui.settings import THEMES, UISettings

if TYPE_CHECKING:
    from appkit.app.application import App

__all__ = ["UIExtension", "THEME_ROUTE"]

#: Where a page posts the theme its user picked (``theme=light|dark|system``).
THEME_ROUTE = "/_appkit-ui/theme"
_YEAR = 365 * 24 * 3600


class UIExtension:
    """The UI kit as an extension of the core (see the module's docstring)."""

    name = "ui"
    exports = ()

    def __init__(self, settings: UISettings | None = None) -> None:
        self.settings = settings or UISettings()
        self.cookie = "appkit-theme"
        self._app: App | None = None

    def setup(self, app: App) -> None:
        """Add the kit's assets to every page's head and the theme route."""
        self._app = app
        setattr(app.state, KIT_MARK, True)   # the kit's pieces check for it
        self.cookie = "appkit-theme-" + (re.sub(r"[^A-Za-z0-9_.-]+", "-", app.name).strip("-")
                                         or "app")
        app.add_head(self._head)
        app.post(THEME_ROUTE, name="appkit-ui-theme")(self._choose)
        # Markdown's highlighting, charts, reorder lists, grid exports, the form fields
        # (autocomplete, tags, score) and job progress work on every page.
        from appkit.ui import charts, fields, grid, markdown, progress, reorder

        for piece in (markdown, charts, reorder, grid, fields, progress):
            piece.install(app)

    def commands(self) -> Sequence[Command]:
        """None."""
        return ()

    def theme(self, conn: HTTPConnection) -> str:
        """The theme of the user on ``conn``: the one they picked (``light``, ``dark``
        or ``system``), else the settings' default. A cookie that is not one of those is
        ignored."""
        picked = conn.cookies.get(self.cookie)
        return picked if picked in THEMES else self.settings.theme

    def _head(self, conn: HTTPConnection) -> list[Element]:
        app = self._app
        assert app is not None
        root = app.root_path

        def url(path: str) -> str:
            return root + app.assets.url(path)

        config = {"theme": self.theme(conn), "url": root + THEME_ROUTE}
        return [
            Meta(name="color-scheme", content="light dark"),
            Link(rel="stylesheet", href=url("ui.css")),
            # Not deferred: it sets <html data-theme> before the body is drawn.
            Script(src=url("ui-theme.js"), data_theme=config["theme"],
                   data_density=self.settings.density),
            Meta(name="appkit-ui", content=json.dumps(config, separators=(",", ":"))),
            Script(src=url("ui.js"), defer=True),
        ]

    def _choose(self, request: Request, theme: str) -> Response:
        if theme not in THEMES:
            raise BadRequest(f"A theme is one of {', '.join(THEMES)}, not {theme[:40]!r}")
        response = Response(status_code=204)
        response.set_cookie(self.cookie, theme, max_age=_YEAR, path=(self._root() or "/"),
                            httponly=True, samesite="lax")
        return response

    def _root(self) -> str:
        return self._app.root_path if self._app is not None else ""

    def __repr__(self) -> str:
        return f"<UIExtension {self.settings!r}>"
