"""appkit.ui's extension: its assets on every page, the user's theme kept in a cookie."""

from __future__ import annotations

import re

import pytest

from appkit import App
from appkit.app import App as CoreApp
from appkit.errors import ConfigurationError
from appkit.html import P, Page
from appkit.testing import Client
from appkit.ui import Shell, UIExtension, UISettings

JSON = {"Accept": "application/json"}


def make_app(settings: UISettings | None = None, core: bool = False) -> App:
    app = (CoreApp if core else App)("ui-ext", extensions=[settings or UISettings()])

    @app.get("/")
    def index():
        return Shell(P("hello"), title="Home")

    @app.get("/plain")
    def plain():
        return Page("Plain", P("x"))

    return app  # type: ignore[return-value]


def _head(html: str) -> str:
    return html.split("</head>", 1)[0]


def test_every_page_loads_the_kit_after_pico() -> None:
    with Client(make_app()) as client:
        for path in ("/", "/plain"):
            head = _head(client.get(path).text)
            links = re.findall(r'<link rel="stylesheet" href="/_appkit/([^"?]+)', head)
            # Pico, then appkit's own, then the kit's (its Markdown and charts after it).
            assert links[:3] == ["vendor/pico.min.css", "appkit.css", "ui.css"]
            assert set(links[3:]) <= {"ui/markdown.css", "ui/charts.css",
                                      "vendor/uplot/uPlot.min.css", "ui/reorder.css",
                                      "ui/fields.css"}
            # The theme script is not deferred: it runs before the body is drawn.
            assert re.search(r'<script src="/_appkit/ui-theme.js\?v=\w+" data-theme="system" '
                             r'data-density="compact"></script>', head)
            assert re.search(r'<script src="/_appkit/ui.js\?v=\w+" defer></script>', head)
            assert '<meta name="color-scheme" content="light dark">' in head
        for asset in ("ui.css", "ui.js", "ui-theme.js"):
            assert client.get(f"/_appkit/{asset}").status_code == 200


def test_an_app_without_the_kit_has_none_of_it() -> None:
    app = App("no-ui")

    @app.get("/")
    def index():
        return Page("x")

    with Client(app) as client:
        assert "ui.css" not in client.get("/").text
        assert client.post("/_appkit-ui/theme", data={"theme": "dark"}).status_code == 404


def test_the_theme_picked_is_remembered_in_a_cookie() -> None:
    app = make_app()
    with Client(app) as client:
        answer = client.post("/_appkit-ui/theme", data={"theme": "dark"})
        assert answer.status_code == 204
        cookie = answer.headers["set-cookie"]
        assert cookie.startswith("appkit-theme-ui-ext=dark;")
        assert "HttpOnly" in cookie and "Max-Age=31536000" in cookie and "Path=/" in cookie
        assert 'data-theme="dark"' in _head(client.get("/").text)
        assert client.post("/_appkit-ui/theme", data={"theme": "system"}).status_code == 204
        assert 'data-theme="system"' in _head(client.get("/").text)
        # Each user has their own: a new client (another user) has the default.
        with Client(app) as other:
            assert 'data-theme="system"' in _head(other.get("/").text)


def test_the_default_theme_and_density_come_from_the_settings() -> None:
    with Client(make_app(UISettings(theme="dark", density="comfortable"))) as client:
        head = _head(client.get("/").text)
        assert 'data-theme="dark" data-density="comfortable"' in head


@pytest.mark.parametrize("value", ["purple", "", "<script>", "dark;x=1", "x" * 5000])
def test_a_bad_theme_is_refused_with_400(value: str) -> None:
    with Client(make_app()) as client:
        answer = client.post("/_appkit-ui/theme", data={"theme": value}, headers=JSON)
        assert answer.status_code == 400
        assert answer.json()["error"].startswith("A theme is one of system, light, dark, not ")
        assert len(answer.json()["error"]) < 120
        assert "set-cookie" not in answer.headers or "appkit-theme" not in (
            answer.headers["set-cookie"])
    with Client(make_app()) as client:
        assert client.post("/_appkit-ui/theme", headers=JSON).status_code == 400  # missing


def test_a_forged_cookie_is_ignored() -> None:
    with Client(make_app()) as client:
        client.cookies.set("appkit-theme-ui-ext", '"><script>x</script>')
        head = _head(client.get("/").text)
        assert 'data-theme="system"' in head and "<script>x" not in head


def test_choosing_a_theme_needs_the_csrf_token() -> None:
    with Client(make_app(), csrf=False) as client:
        client.get("/")
        assert client.post("/_appkit-ui/theme", data={"theme": "dark"}).status_code == 403


def test_it_works_on_the_core_app_without_sessions() -> None:
    with Client(make_app(core=True)) as client:
        assert "ui.css" in client.get("/").text
        assert client.post("/_appkit-ui/theme", data={"theme": "light"}).status_code == 204


def test_settings_check_themselves() -> None:
    with pytest.raises(ConfigurationError, match="density is one of compact, comfortable"):
        UISettings(density="tiny")
    with pytest.raises(ConfigurationError, match="theme is one of system, light, dark"):
        UISettings(theme="blue")
    extension = UISettings().extension()
    assert isinstance(extension, UIExtension) and extension.name == "ui"
    app = make_app()
    assert isinstance(app.extension("ui"), UIExtension)
    with pytest.raises(ConfigurationError, match="has a 'ui' extension already"):
        App("twice", extensions=[UISettings(), UISettings()])
