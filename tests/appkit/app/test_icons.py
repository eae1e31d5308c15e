"""appkit.app.icons: every app has an icon (appkit's default or its own), served at
/favicon.ico (so no page load logs a 404 for it) and shown by the window."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette

from appkit import App, ConfigurationError
from appkit.app.icons import DEFAULT_ICON, favicon_route, resolve_icon
from appkit.html import Page
from appkit.testing import Client

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def ico_file(path: Path) -> Path:
    """A minimal valid ICO: one 1x1 32-bit image."""
    header = struct.pack("<HHH", 0, 1, 1)
    bitmap = struct.pack("<IiiHHIIiiII", 40, 1, 2, 1, 32, 0, 8, 0, 0, 0, 0)
    pixels = b"\x00\x00\xff\xff" + b"\x00\x00\x00\x00"
    entry = struct.pack("<BBBBHHII", 1, 1, 0, 0, 1, 32, len(bitmap) + len(pixels), 22)
    path.write_bytes(header + entry + bitmap + pixels)
    return path


def app_with_icon(icon: Any = None, folder: Path | None = None) -> tuple[App, Path]:
    """An App with ``icon`` (relative to ``folder``, as to the app module's folder)."""
    if icon is not None and folder is not None and not Path(icon).is_absolute():
        icon = folder / icon
    app = App("icon-app", icon=icon)

    @app.get("/")
    def index():
        return Page("Home")

    return app, app.icon


def test_the_default_icon_is_a_png_served_as_the_favicon() -> None:
    assert resolve_icon(None) == DEFAULT_ICON
    assert DEFAULT_ICON.read_bytes().startswith(PNG_MAGIC)
    app, icon = app_with_icon()
    assert icon == DEFAULT_ICON
    with Client(app) as client:
        page = client.get("/")
        answer = client.get("/favicon.ico")
    assert page.status_code == 200
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "image/png"
    assert answer.content == DEFAULT_ICON.read_bytes()
    assert "max-age=86400" in answer.headers["cache-control"]


def test_an_apps_own_icon_relative_to_its_folder(tmp_path: Path) -> None:
    from PIL import Image

    (tmp_path / "art").mkdir()
    Image.new("RGBA", (32, 32), (255, 0, 0, 255)).save(tmp_path / "art" / "logo.png")
    app, icon = app_with_icon("art/logo.png", tmp_path)
    assert icon == (tmp_path / "art" / "logo.png").resolve()
    with Client(app) as client:
        answer = client.get("/favicon.ico")
        head = client.head("/favicon.ico")
    assert answer.status_code == 200 and head.status_code == 200
    assert answer.content == icon.read_bytes()


def test_an_ico_file_is_served_as_an_icon(tmp_path: Path) -> None:
    icon = ico_file(tmp_path / "app.ico")
    client = Client(Starlette(routes=[favicon_route(resolve_icon(icon))]))
    answer = client.get("/favicon.ico")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "image/x-icon"


def test_a_missing_icon_says_where_it_looked(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as info:
        resolve_icon("nope.png", tmp_path)
    assert str((tmp_path / "nope.png").resolve()) in str(info.value)
    assert "does not exist" in str(info.value)


def test_a_file_that_is_not_an_image_is_refused(tmp_path: Path) -> None:
    (tmp_path / "logo.png").write_text("not an image")
    with pytest.raises(ConfigurationError, match="is not a PNG or ICO image"):
        resolve_icon(tmp_path / "logo.png")


@pytest.mark.parametrize("value", [42, "", b"logo.png"])
def test_an_icon_that_is_not_a_path_is_refused(value: Any) -> None:
    with pytest.raises(ConfigurationError, match="must be the path of a .png or .ico file"):
        resolve_icon(value)
