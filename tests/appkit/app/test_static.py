"""appkit.app.static: content-hashed URLs, their cache headers, and what is never served."""

from __future__ import annotations

import hashlib
import http.client
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

import appkit
from appkit import App, ConfigurationError
from appkit.app.static import StaticURL
from appkit.html import Link, P, render
from appkit.testing import Client

ASSETS = Path(appkit.__file__).resolve().parent / "static"
IMMUTABLE = "public, max-age=31536000, immutable"
VENDOR_FILES = [
    "vendor/htmx.min.js",
    "vendor/pico.min.css",
    "vendor/ext/sse.js",
    "vendor/ext/ws.js",
    "appkit.css",
    "appkit.js",
]
HASH = re.compile(r"\?v=([0-9a-f]{12})$")


@pytest.fixture
def static_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "static"
    folder.mkdir()
    (folder / "a.css").write_text("body { color: red; }")
    (folder / "sub").mkdir()
    (folder / "sub" / "b.js").write_text("console.log(1);")
    (tmp_path / "secret.txt").write_text("TOP SECRET")
    return folder


@pytest.fixture
def app(static_dir: Path) -> App:
    return App("static-test", static_dir=static_dir)


@pytest.fixture
def client(app: App) -> Iterator[Client]:
    with Client(app) as client:
        yield client


# ---- the vendored assets -------------------------------------------------------------------


@pytest.mark.parametrize("path", VENDOR_FILES)
def test_vendored_asset_with_current_hash_is_immutable(path: str) -> None:
    app = App("assets")
    url = app.assets.url(path)
    assert url.startswith(f"/_appkit/{path}?v=")
    assert HASH.search(url)
    with Client(app) as client:
        response = client.get(url)
    assert response.status_code == 200
    assert response.headers["cache-control"] == IMMUTABLE
    assert response.content == (ASSETS / path).read_bytes()


@pytest.mark.parametrize("query", ["", "?v=", "?v=000000000000", "?v=stale&x=1", "?x=1"])
def test_vendored_asset_without_current_hash_must_revalidate(query: str) -> None:
    with Client(App("assets")) as client:
        response = client.get(f"/_appkit/vendor/htmx.min.js{query}")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-cache"


def test_every_asset_a_page_links_is_served_immutable() -> None:
    app = App("page")

    @app.get("/")
    def index() -> Any:
        return Link(rel="stylesheet", href=app.assets.url("appkit.css"))

    with Client(app) as client:
        page = client.get("/").text
        urls = re.findall(r'(?:href|src)="(/_appkit/[^"]+)"', page)
        assert len(urls) >= 6
        for url in urls:
            response = client.get(url.replace("&amp;", "&"))
            assert response.status_code == 200, url
            assert response.headers["cache-control"] == IMMUTABLE, url


def test_hash_is_of_the_content() -> None:
    app = App("assets")
    content = (ASSETS / "appkit.js").read_bytes()
    assert app.assets.hash("appkit.js") == hashlib.sha256(content).hexdigest()[:12]


# ---- the app's own static folder -------------------------------------------------------------


def test_own_file_served_with_its_hash(app: App, client: Client) -> None:
    url = str(app.static_url("a.css"))
    assert HASH.search(url)
    assert url.startswith("/static/a.css?v=")
    response = client.get(url)
    assert response.status_code == 200
    assert response.text == "body { color: red; }"
    assert response.headers["cache-control"] == IMMUTABLE
    assert client.get("/static/a.css").headers["cache-control"] == "no-cache"


def test_file_in_a_sub_folder(app: App, client: Client) -> None:
    url = str(app.static_url("sub/b.js"))
    assert url.startswith("/static/sub/b.js?v=")
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["cache-control"] == IMMUTABLE


def test_hash_changes_when_the_content_changes(app: App, client: Client,
                                               static_dir: Path) -> None:
    old = str(app.static_url("a.css"))
    (static_dir / "a.css").write_text("body { color: blue; background: white; }")
    new = str(app.static_url("a.css"))
    assert new != old
    assert HASH.search(new)
    fresh = client.get(new)
    assert fresh.text == "body { color: blue; background: white; }"
    assert fresh.headers["cache-control"] == IMMUTABLE
    # The old URL now names content the server no longer has: never cache what it gets.
    stale = client.get(old)
    assert stale.headers["cache-control"] == "no-cache"


def test_hash_changes_when_the_content_changes_but_not_the_size(app: App,
                                                                 static_dir: Path) -> None:
    css = static_dir / "a.css"
    old = str(app.static_url("a.css"))
    before = css.stat()
    css.write_text("body { color: tan; }")
    # A later modification time, as any real edit has.
    os.utime(css, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000))
    assert css.stat().st_size == before.st_size
    assert str(app.static_url("a.css")) != old


def test_static_url_is_a_url_object_rendered_in_attributes(app: App, static_dir: Path) -> None:
    url = app.static_url("a.css")
    assert isinstance(url, StaticURL)
    first = render(Link(rel="stylesheet", href=url))
    match = re.fullmatch(r'<link rel="stylesheet" href="/static/a\.css\?v=([0-9a-f]{12})">',
                         first)
    assert match, first
    assert match.group(1) == app.static.hash("a.css")  # type: ignore[union-attr]


def test_static_url_follows_a_content_change(app: App, client: Client,
                                             static_dir: Path) -> None:
    link = Link(rel="stylesheet", href=app.static_url("a.css"))

    @app.get("/")
    def index() -> Any:
        return link

    before = client.get("/", hx=True).text
    (static_dir / "a.css").write_text("body { color: green; margin: 0; }")
    after = client.get("/", hx=True).text
    assert before != after
    href = re.search(r'href="([^"]+)"', after)
    assert href
    assert href.group(1) == str(app.static_url("a.css"))
    assert client.get(href.group(1)).headers["cache-control"] == IMMUTABLE


def test_static_url_in_the_app_head_is_on_every_page(app: App, client: Client) -> None:
    app.head.append(Link(rel="stylesheet", href=app.static_url("a.css")))

    @app.get("/page")
    def page() -> Any:
        return P("x")

    assert f'href="{app.static_url("a.css")}"' in client.get("/page").text


def test_static_url_str_and_repr(app: App) -> None:
    url = app.static_url("a.css")
    assert str(url) == app.static.url("a.css")  # type: ignore[union-attr]
    assert "a.css" in repr(url)


# ---- errors ---------------------------------------------------------------------------------


def test_missing_file_is_404(client: Client) -> None:
    assert client.get("/static/nope.css").status_code == 404
    assert client.get("/static/nope.css?v=123456789012").status_code == 404
    assert client.get("/_appkit/nope.js").status_code == 404


def test_static_folder_itself_is_not_listed(client: Client) -> None:
    assert client.get("/static/").status_code == 404
    assert client.get("/static/sub").status_code == 404


def test_static_url_for_a_missing_file(app: App) -> None:
    with pytest.raises(FileNotFoundError):
        app.static_url("nope.css")


@pytest.mark.parametrize("path", ["../secret.txt", "/../secret.txt", "sub/../../secret.txt"])
def test_static_url_outside_the_folder(app: App, path: str) -> None:
    with pytest.raises(FileNotFoundError):
        app.static_url(path)


def test_app_without_a_static_folder() -> None:
    app = App("bare")  # there is no tests/appkit/app/static
    assert app.static is None
    with pytest.raises(ConfigurationError, match="static"):
        app.static_url("a.css")
    with Client(app) as client:
        assert client.get("/static/a.css").status_code == 404


@pytest.mark.parametrize("make", [lambda tmp: "nonexistent",
                                  lambda tmp: tmp / "missing",
                                  lambda tmp: tmp / "file.txt"],
                         ids=["relative", "absolute", "a-file"])
def test_static_dir_that_is_not_a_folder(tmp_path: Path, make: Callable[[Path], Any]) -> None:
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(ConfigurationError, match="static folder"):
        App("bad", static_dir=make(tmp_path))


# ---- nothing outside the folder is served (real server: paths sent as they are) ---------------


def raw_get(base: str, path: str) -> tuple[int, dict[str, str], bytes]:
    """GET ``path`` exactly as written (no client-side normalisation of ``..``)."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=5)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, \
            response.read()
    finally:
        conn.close()


TRAVERSALS = [
    "/static/../secret.txt",
    "/static/%2e%2e/secret.txt",
    "/static/%2E%2E/secret.txt",
    "/static/..%2fsecret.txt",
    "/static/..%2Fsecret.txt",
    "/static/%2e%2e%2fsecret.txt",
    "/static/sub/../../secret.txt",
    "/static/sub/%2e%2e/%2e%2e/secret.txt",
    "/static/..%5csecret.txt",
    "/static/....//secret.txt",
    "/static//../secret.txt",
    "/static/%252e%252e/secret.txt",
    "/static/../secret.txt?v=000000000000",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_traversal_out_of_the_static_folder_is_404(
        live_server: Callable[[Any], str], app: App, path: str) -> None:
    base = live_server(app)
    assert raw_get(base, "/static/a.css")[0] == 200  # the server does serve the folder
    status, _, body = raw_get(base, path)
    assert status in (400, 404), (status, body[:200])
    assert b"TOP SECRET" not in body


@pytest.mark.parametrize("path", [
    "/_appkit/../../pyproject.toml",
    "/_appkit/%2e%2e/%2e%2e/pyproject.toml",
    "/_appkit/..%2f..%2fpyproject.toml",
    "/_appkit/vendor/../../../pyproject.toml",
    "/_appkit/../../appkit/app/static.py",
])
def test_traversal_out_of_the_asset_folder_is_404(
        live_server: Callable[[Any], str], path: str) -> None:
    base = live_server(App("assets"))
    status, _, body = raw_get(base, path)
    assert status in (400, 404), (status, body[:200])
    assert b"[project]" not in body
    assert b"StaticFolder" not in body


@pytest.mark.parametrize("path", ["/static/a.css%00?v=1", "/static/%00?v=x",
                                  "/_appkit/appkit.css%00?v=1"])
def test_a_nul_in_a_hashed_path_is_404(live_server: Callable[[Any], str], app: App,
                                       path: str) -> None:
    status, _, body = raw_get(live_server(app), path)
    assert status == 404, (status, body[:200])


def test_symlink_out_of_the_folder_is_not_followed(
        live_server: Callable[[Any], str], app: App, static_dir: Path) -> None:
    (static_dir / "link.txt").symlink_to(static_dir.parent / "secret.txt")
    status, _, body = raw_get(live_server(app), "/static/link.txt")
    assert status == 404
    assert b"TOP SECRET" not in body
    with pytest.raises(FileNotFoundError):
        app.static_url("link.txt")
