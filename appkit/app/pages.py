"""The pages of an ``App``: the full document around a handler's content, the head
assets every page loads, and the app's static files (a part of ``App``)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.requests import HTTPConnection, Request

from appkit.app.static import StaticFolder, StaticURL
from appkit.errors import ConfigurationError
from appkit.html import Document, Element, Link, Safe, Script, Title, render

if TYPE_CHECKING:
    from appkit.app.pipeline import Pipeline

__all__ = ["PagesApp"]


class PagesApp:
    """Full pages and static files (see ``App``)."""

    name: str
    title: str
    lang: str
    head: list[Any]
    stylesheet: bool
    dev_reload: bool
    assets: StaticFolder
    static: StaticFolder | None
    pipeline: Pipeline
    _head_makers: list[Callable[[HTTPConnection], Iterable[Element]]]
    _asset_heads: dict[tuple[str, bool, bool], Safe]

    @property
    def root_path(self) -> str:
        """Where the app is mounted ("" when it is not); ``App`` answers it."""
        return ""

    def static_url(self, path: str) -> StaticURL:
        """The content-hashed URL of a file in the app's static folder, for an attribute:
        ``Link(rel="stylesheet", href=app.static_url("app.css"))``. It is worked out when
        the page renders, so it follows changes to the file; ``str()`` it for a string.

        Raises:
            ConfigurationError: the app has no static folder.
            FileNotFoundError: the folder has no such file.
        """
        if self.static is None:
            raise ConfigurationError(
                f"App {self.name!r} has no static folder: create 'static' beside the app's "
                "module or pass App(..., static_dir=...)")
        self.static.hash(path)  # fail now, not when a page renders
        return StaticURL(self.static, path, self)

    def add_head(self, fn: Callable[[HTTPConnection], Iterable[Element]]) -> None:
        """Add ``fn(conn)``'s elements to every full page's head (for extensions' assets)."""
        self._head_makers.append(fn)

    def head_assets(self, conn: HTTPConnection | None = None) -> list[Element]:
        """The stylesheet and scripts every full page loads (all served from the app)."""

        def url(path: str) -> str:
            return self.root_path + self.assets.url(path)

        items: list[Element] = []
        if self.stylesheet:
            items.append(Link(rel="stylesheet", href=url("vendor/pico.min.css")))
        items += [
            Link(rel="stylesheet", href=url("appkit.css")),
            Script(src=url("vendor/htmx.min.js"), defer=True),
            Script(src=url("vendor/ext/sse.js"), defer=True),
            Script(src=url("vendor/ext/ws.js"), defer=True),
            Script(src=url("appkit.js"), defer=True),
        ]
        if self.dev_reload:
            items.append(Script(src=url("reload.js"), defer=True))
        if conn is not None:
            for make in self._head_makers:
                items.extend(make(conn))
        return items

    def document(self, request: Request, head: list[Any], body: list[Any]) -> Element:
        """The full page around ``body``; ``head`` holds the head elements the handler
        returned (a ``Title`` there replaces the app's title). The pipeline's steps add
        theirs (the session's CSRF token, queued toasts)."""
        has_title = any(isinstance(item, Title) for item in head)
        own: list[Any] = []
        body = list(body)
        self.pipeline.page(request, own, body)
        # head_assets(request), with appkit's own assets (whose URLs never change while the
        # process runs) rendered once per mount point.
        key = (self.root_path, self.stylesheet, self.dev_reload)
        assets = self._asset_heads.get(key)
        if assets is None:
            assets = self._asset_heads[key] = Safe(render(self.head_assets()))
        own.append(assets)
        for make in self._head_makers:
            own.extend(make(request))
        return Document(
            *body,
            head=[*own, *self.head, *head],
            title=None if has_title else self.title,
            lang=self.lang,
        )

    def _own_static(self, static_dir: str | Path | None, home: Path | None
                    ) -> StaticFolder | None:
        if static_dir is None:
            candidate = home / "static" if home is not None else None
            if candidate is None or not candidate.is_dir():
                return None
            return StaticFolder(candidate, "/static")
        folder = Path(static_dir)
        if not folder.is_dir():
            raise ConfigurationError(f"The static folder {folder} does not exist")
        return StaticFolder(folder, "/static")

    def _home(self) -> Path | None:
        """The folder of the module that made the App (past App subclasses' __init__),
        or None for an App made in an interactive session."""
        depth = 2
        frame = sys._getframe(depth)
        while frame.f_code.co_name == "__init__" and "self" in frame.f_locals and (
                isinstance(frame.f_locals["self"], PagesApp)):
            depth += 1
            frame = sys._getframe(depth)
        caller = frame.f_globals.get("__file__")
        return Path(caller).resolve().parent if caller else None
