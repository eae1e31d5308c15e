"""The kit's static files on every full page: a module's ``install(app)`` adds its
stylesheets and scripts (served by the app from ``/_appkit``) to the pages' head, once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from appkit.html import Element

__all__ = ["asset_url", "install_head"]


def asset_url(app: Any, path: str) -> str:
    """The content-hashed URL of ``path`` in appkit's static folder, below the place the
    app is mounted at (worked out per connection)."""
    return str(app.root_path + app.assets.url(path))


def install_head(app: Any, key: str, make: Callable[[Any], list[Element]]) -> None:
    """Add ``make(app)``'s elements to every full page of ``app``; a second call with the
    same ``key`` adds nothing."""
    installed: set[str] = getattr(app.state, "appkit_ui_assets", set())
    if key in installed:
        return
    installed.add(key)
    app.state.appkit_ui_assets = installed
    app.add_head(lambda conn: make(app))
