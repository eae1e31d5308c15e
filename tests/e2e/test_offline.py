"""The example apps need no network: every URL their pages (and the stylesheets those
pages link) name is relative or on loopback, and a real browser loads everything from the
app's own server."""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from playwright.sync_api import Page, expect

from appkit.testing import Client
from examples.todo.app import create_app as create_todo_app

pytestmark = pytest.mark.browser

BASE = "http://127.0.0.1:8000/"
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
URL_ATTRS = {"src", "href", "action", "formaction", "poster", "srcset", "data", "cite",
             "background", "manifest", "sse-connect", "ws-connect"}
HX_URL_ATTRS = {"hx-get", "hx-post", "hx-put", "hx-patch", "hx-delete", "hx-push-url",
                "hx-replace-url"}
CSS_URL = re.compile(r"""url\(\s*(['"]?)(.*?)\1\s*\)|@import\s+(['"])(.*?)\3""", re.IGNORECASE)
# Any absolute (scheme://) or protocol-relative (//host) URL anywhere in a page's text.
ABSOLUTE_URL = re.compile(r"""(?:\b[a-z][a-z0-9+.-]*:)?//[^\s"'<>()]+""", re.IGNORECASE)
# Namespace names in inline SVG/MathML look like URLs but are never fetched.
XML_NAMESPACES = ("http://www.w3.org/",)


def _apps() -> dict[str, Any]:
    return {
        "todo": create_todo_app(),
        "hello": importlib.import_module("examples.hello.app").app,
        "ui": importlib.import_module("examples.ui.app").app,
    }


def is_local(url: str) -> bool:
    """Relative, on loopback, or inline (``data:``/``blob:``/``#fragment``)."""
    url = url.strip()
    if not url or url.startswith("#"):
        return True
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about", "javascript"):
        return True
    if parts.scheme or url.startswith("//"):
        return parts.scheme in ("http", "https", "ws", "wss", "") and (
            parts.hostname or "") in LOOPBACK_HOSTS
    return True


class _UrlCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str, str]] = []  # (tag, attribute, url)
        self.stylesheets: list[str] = []
        self.inline_css: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        for name, value in values.items():
            if name in URL_ATTRS or name in HX_URL_ATTRS:
                candidates = ([c.strip().split(" ")[0] for c in value.split(",")]
                              if name == "srcset" else [value])
                self.urls.extend((tag, name, c) for c in candidates)
            elif name == "style":
                self.inline_css.append(value)
        if tag == "link" and "stylesheet" in values.get("rel", "").split():
            self.stylesheets.append(values.get("href", ""))
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.inline_css.append(data)


def css_urls(css: str) -> Iterator[str]:
    for match in CSS_URL.finditer(css):
        yield match.group(2) if match.group(2) is not None else match.group(4)


@pytest.mark.parametrize("name", ["todo", "hello"])
def test_rendered_pages_name_only_local_urls(name: str) -> None:
    app = _apps()[name]
    with Client(app, base_url=BASE.rstrip("/")) as client:
        response = client.get("/")
        assert response.status_code == 200
        html = response.text
        collector = _UrlCollector()
        collector.feed(html)
        collector.close()

        assert collector.urls, "the scan found no URLs at all: is the page rendered?"
        assert any(attr == "src" and "htmx" in url for _, attr, url in collector.urls)
        bad = [f"<{tag} {attr}={url!r}>" for tag, attr, url in collector.urls
               if not is_local(url)]
        assert not bad, f"{name}: the page names non-local URLs: {bad}"
        stray = [u for u in ABSOLUTE_URL.findall(html)
                 if not is_local(u) and not u.startswith(XML_NAMESPACES)]
        assert not stray, f"{name}: the page's text holds non-local URLs: {stray}"

        # The stylesheets the page links, and any CSS in the page: their url()/@import too.
        assert collector.stylesheets, f"{name}: the page links no stylesheet"
        css_sources = {"inline": "\n".join(collector.inline_css)}
        for href in collector.stylesheets:
            sheet = client.get(urljoin(BASE, href))
            assert sheet.status_code == 200, f"{href} answered {sheet.status_code}"
            css_sources[href] = sheet.text
        for source, css in css_sources.items():
            bad_css = [u for u in css_urls(css) if not is_local(u)]
            assert not bad_css, f"{name}: {source} loads non-local URLs: {bad_css}"
        # Scripts are fetched from the app too.
        for tag, attr, url in collector.urls:
            if tag == "script" and attr == "src":
                assert client.get(urljoin(BASE, url)).status_code == 200, url


def test_is_local_tells_local_from_remote() -> None:
    for url in ("/static/a.css?v=1", "todo.css", "#top", "data:image/svg+xml,<svg/>",
                "http://127.0.0.1:8000/x", "//localhost/x", "ws://127.0.0.1/ws"):
        assert is_local(url), url
    for url in ("https://unpkg.com/htmx.org", "//cdn.example.com/x.js",
                "http://example.com/", "wss://example.org/ws"):
        assert not is_local(url), url
    assert list(css_urls("a{b:url( 'x.png' )} @import \"https://e.com/y.css\";")) == [
        "x.png", "https://e.com/y.css"]


def test_browser_loads_everything_from_the_app(live_server: Callable[[Any], str],
                                               page: Page, blocked: list[str]) -> None:
    requested: list[str] = []
    failed: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.on("requestfailed", lambda r: failed.append(f"{r.url}: {r.failure}"))
    url = live_server(create_todo_app())

    page.goto(url)
    page.wait_for_load_state("networkidle")
    # An htmx round trip too, so its requests are covered.
    page.get_by_label("New todo").fill("Stay offline")
    page.get_by_role("button", name="Add").click()
    expect(page.locator("#todo-list > li")).to_have_count(1)
    page.wait_for_load_state("networkidle")

    assert blocked == [], f"the page tried to reach the network: {blocked}"
    assert not failed, failed
    assert requested, "no request was seen"
    foreign = [u for u in requested if not u.startswith(url)]
    assert not foreign, f"resources came from elsewhere than {url}: {foreign}"
    paths = {urlsplit(u).path for u in requested}
    for expected in ("/", "/_appkit/vendor/htmx.min.js", "/_appkit/vendor/pico.min.css",
                     "/todos"):
        assert expected in paths, f"{expected} was not requested: {sorted(paths)}"
