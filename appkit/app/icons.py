"""The app's icon: in the window (its title bar and the task bar) and as the pages' favicon.

Every app has one: appkit's default (``appkit/static/icon.png``), or its own, a PNG (256x256
or larger looks sharp everywhere) or an ICO file. ``add_icon`` checks the file and serves it
at ``/favicon.ico``, where browsers and web views ask for it by themselves; the shell shows
the same file as the window's icon.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from appkit.errors import ConfigurationError

__all__ = ["DEFAULT_ICON", "FAVICON_PATH", "add_icon", "favicon_route", "resolve_icon"]

#: appkit's own icon, for an app that names none.
DEFAULT_ICON = Path(__file__).resolve().parent.parent / "static" / "icon.png"

#: Where browsers look for a page's icon when the page names none.
FAVICON_PATH = "/favicon.ico"

#: The kinds of image an icon may be, by their first bytes: (media type, name).
_KINDS = {
    b"\x89PNG\r\n\x1a\n": ("image/png", "PNG"),
    b"\x00\x00\x01\x00": ("image/x-icon", "ICO"),
}


def resolve_icon(icon: str | os.PathLike[str] | None, folder: Path | None = None) -> Path:
    """The icon file to use: ``icon`` (a relative path is taken from ``folder``, the app
    module's folder, else the current one), or appkit's default when ``icon`` is None.

    Raises:
        ConfigurationError: the file does not exist or is not a PNG or ICO image.
    """
    if icon is None:
        return DEFAULT_ICON
    if not isinstance(icon, str | os.PathLike) or not str(icon):
        raise ConfigurationError(
            f"icon must be the path of a .png or .ico file, not {icon!r}")
    path = Path(icon)
    if not path.is_absolute() and folder is not None:
        path = folder / path
    path = path.resolve()
    if not path.is_file():
        raise ConfigurationError(
            f"The icon {path} does not exist. Give the path of a .png (256x256 or larger) "
            "or .ico file, relative to the app's module or absolute.")
    _media_type(path)
    return path


def favicon_route(icon: Path) -> Route:
    """A route that answers ``GET /favicon.ico`` with ``icon`` (checked by
    ``resolve_icon``), cached by the browser for a day."""
    media_type = _media_type(icon)

    async def favicon(request: Request) -> Response:
        return FileResponse(icon, media_type=media_type,
                            headers={"Cache-Control": "private, max-age=86400"})

    return Route(FAVICON_PATH, favicon, methods=["GET", "HEAD"], name="appkit-favicon")


def add_icon(routes: list[Any], icon: str | os.PathLike[str] | None,
             folder: Path | None = None) -> Path:
    """Check the app's ``icon`` (see ``resolve_icon``), add its ``/favicon.ico`` route to
    ``routes`` (the app's Starlette routes) and return the file, for the window.

    Raises:
        ConfigurationError: the file does not exist or is not a PNG or ICO image.
    """
    path = resolve_icon(icon, folder)
    routes.append(favicon_route(path))
    return path


def _media_type(path: Path) -> str:
    try:
        with path.open("rb") as file:
            head = file.read(8)
    except OSError as exc:
        raise ConfigurationError(f"The icon {path} cannot be read: {exc}") from None
    for magic, (media_type, _) in _KINDS.items():
        if head.startswith(magic):
            return media_type
    raise ConfigurationError(
        f"The icon {path} is not a PNG or ICO image. Give a .png (256x256 or larger looks "
        "sharp everywhere) or a .ico file.")
