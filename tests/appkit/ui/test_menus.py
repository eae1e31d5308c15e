"""The menu bar's description: items that navigate or post, shortcuts written any common
way and refused when they would take a key from every text field, the plain data the shell
gets, the shell's own check of that data, and the page's copy of it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from appkit import App
from appkit.errors import ConfigurationError
from appkit.html import Page
from appkit.testing import Client
from appkit.ui.menus import Command, Menu, Separator, normalize_shortcut
from shell.errors import ShellError
from shell.menus import check_menu, event_script


@pytest.mark.parametrize(("given", "normal"), [
    ("ctrl+n", "Ctrl+N"), ("Shift+Ctrl+s", "Ctrl+Shift+S"), ("Cmd+Alt+1", "Alt+Meta+1"),
    ("control + shift + del", "Ctrl+Shift+Delete"), ("F5", "F5"), ("Shift+F10", "Shift+F10"),
    ("Ctrl++", "Ctrl++"), ("Ctrl+Shift++", "Ctrl++"), ("Alt+up", "Alt+ArrowUp"),
    ("Ctrl+/", "Ctrl+/"),
])
def test_shortcuts_are_written_one_way(given: str, normal: str) -> None:
    assert normalize_shortcut(given) == normal


@pytest.mark.parametrize(("given", "message"), [
    ("n", "has no Ctrl, Alt or Meta"),
    ("Shift+n", "has no Ctrl, Alt or Meta"),
    ("Hyper+n", "Unknown modifier 'Hyper'"),
    ("Ctrl+Banana", "Unknown key 'Banana'"),
    ("Ctrl+", "Unknown key ''"),
])
def test_bad_shortcuts_are_refused(given: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        normalize_shortcut(given)


def test_items_need_one_target_and_a_title() -> None:
    with pytest.raises(ConfigurationError, match="needs one of navigate"):
        Command("Open")
    with pytest.raises(ConfigurationError, match="needs one of navigate"):
        Command("Open", navigate="/a", post="/b")
    with pytest.raises(ConfigurationError, match="needs a title"):
        Command(" ", navigate="/a")
    with pytest.raises(ConfigurationError, match="holds 'Open'"):
        Menu("File", "Open")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="goes to 'https://example.org'"):
        Command("Out", navigate="https://example.org").to_data()
    with pytest.raises(ConfigurationError, match="goes to '//evil.example/'"):
        Command("Out", navigate="//evil.example/").to_data()


def test_the_menu_bar_as_plain_data_with_route_urls() -> None:
    app = App("menu-data")

    @app.post("/export/{kind}")
    def export(kind: str) -> Any:
        return ""

    @app.get("/jobs")
    def jobs() -> Any:
        return ""

    app.menu(Menu("File", Command("Jobs", navigate=jobs, shortcut="ctrl+j"), Separator(),
                  Menu("Export", Command("CSV", post="/export/csv"))))
    data = app.menu_data()
    assert data == [{"title": "File", "items": [
        {"title": "Jobs", "action": {"navigate": "/jobs", "shortcut": "Ctrl+J"}},
        {"separator": True},
        {"title": "Export", "items": [{"title": "CSV", "action": {"post": "/export/csv"}}]},
    ]}]
    assert check_menu(data) == data


def test_every_page_carries_the_menu_for_its_shortcuts() -> None:
    app = App("menu-page")

    @app.get("/")
    def index() -> Any:
        return Page("Home")

    @app.post("/hello")
    def hello() -> Any:
        return ""

    app.menu(Menu("File", Command("</script> hello", post=hello, shortcut="Ctrl+H")))
    app.menu(Menu("Edit", Command("Hello", post=hello, shortcut="Ctrl+E")))  # replaces
    with Client(app) as client:
        page = client.get("/").text
    assert page.count('<script type="application/json" id="appkit-menu">') == 1
    assert page.count("/_appkit/ui/menu.js?v=") == 1
    data = page.split('id="appkit-menu">', 1)[1].split("</script>", 1)[0]
    assert json.loads(data) == [{"title": "Edit", "items": [
        {"title": "Hello", "action": {"post": "/hello", "shortcut": "Ctrl+E"}}]}]


def test_app_menu_checks_what_it_is_given_at_once() -> None:
    app = App("menu-check")
    with pytest.raises(ConfigurationError, match="takes the window's menus, not 'File'"):
        app.menu("File")
    with pytest.raises(ConfigurationError, match="goes to 'jobs'"):
        app.menu(Menu("File", Command("Jobs", navigate="jobs")))
    assert app.menu_data() == []


def test_an_app_without_a_menu_has_none() -> None:
    app = App("menu-none")

    @app.get("/")
    def index() -> Any:
        return Page("Home")

    with Client(app) as client:
        assert "appkit-menu" not in client.get("/").text
    assert app.menu_data() == []


@pytest.mark.parametrize(("menu", "message"), [
    ({"title": "File"}, "a list of menus"),
    ([{"title": "Open", "action": 1}], "at the top of the menu bar"),
    ([{"title": "", "items": []}], "needs a title"),
    ([{"title": "File", "items": "x"}], "are a list"),
    ([{"title": "File", "items": [{"title": "A", "action": {1, 2}}]}], "is not JSON"),
    (["File"], "is a mapping"),
])
def test_the_shell_checks_the_menu_data(menu: Any, message: str) -> None:
    with pytest.raises(ShellError, match=message):
        check_menu(menu)


def test_the_event_script_cannot_end_a_script_element() -> None:
    script = event_script({"post": "/x</script>"})
    assert "</script>" not in script and "shell:menu" in script
