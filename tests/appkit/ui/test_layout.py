"""appkit.ui.layout: Shell, NavItem, Card, Grid, Group, Toolbar, ToolButton."""

from __future__ import annotations

import re

import pytest

from appkit import App
from appkit.html import P, Title, render
from appkit.testing import Client
from appkit.ui import (
    Badge,
    Card,
    Grid,
    Group,
    NavItem,
    Shell,
    Toolbar,
    ToolButton,
    UIError,
    UnknownIcon,
)

HOSTILE = '<img src=x onerror="alert(1)">&amp;'
ESCAPED = '&lt;img src=x onerror="alert(1)"&gt;&amp;amp;'


def _nav() -> list[NavItem]:
    return [NavItem("Overview", "/", icon="house"), NavItem("Reports", "/reports"),
            NavItem("Settings", "/settings", badge=Badge(2))]


def test_the_shell_is_a_title_and_the_window() -> None:
    title, shell = Shell(P("content"), title="Expenses", nav=_nav(), current="/reports",
                         toolbar=[ToolButton("Add", icon="plus")], status=["Ready", "3 rows"])
    assert isinstance(title, Title) and render(title) == "<title>Expenses</title>"
    html = render(shell)
    assert html.startswith('<div class="appkit-shell" style="--appkit-sidebar-width: 13rem">')
    bar, rest = html.split("</header>", 1)
    assert '<strong class="appkit-shell-brand">Expenses</strong>' in bar
    assert "Add" in bar and 'data-appkit-theme="toggle"' in bar
    assert '<nav aria-label="Pages">' in rest
    assert '<main class="appkit-shell-main" id="appkit-main"><p>content</p></main>' in rest
    assert re.search(r'<footer class="appkit-shell-status" role="status">'
                     r'<span class="appkit-status-item">Ready</span>'
                     r'<span class="appkit-status-item">3 rows</span></footer>', rest)
    # No <h1> is forced on the page.
    assert "<h1" not in html


def test_the_current_page_is_marked_and_only_it() -> None:
    html = render(Shell(title="x", nav=_nav(), current="/reports")[1])
    assert html.count('aria-current="page"') == 1
    assert re.search(r'<a href="/reports" aria-current="page">', html)
    assert 'aria-current' not in render(Shell(title="x", nav=_nav(), current="/other")[1])


def test_the_current_page_of_a_route_handler() -> None:
    app = App("shell-routes")

    @app.get("/reports/{year:int}")
    def reports(year: int):
        return Shell(P(year), title="Reports", nav=[NavItem("Home", home),
                                                    NavItem("2024", reports.url(year=2024))],
                     current=reports.url(year=year))

    @app.get("/")
    def home():
        return Shell(title="Home", nav=[NavItem("Home", home)], current=home)

    with Client(app) as client:
        page = client.get("/reports/2024").text
        assert '<a href="/reports/2024" aria-current="page">' in page
        assert '<a href="/">' in page
        assert '<a href="/" aria-current="page">' in client.get("/").text


def test_without_nav_or_status_there_is_no_sidebar_nor_status_bar() -> None:
    html = render(Shell(P("x"), title="Plain", theme_toggle=False)[1])
    assert "appkit-shell-no-nav" in html
    assert "<aside" not in html and "<footer" not in html and "data-appkit-theme" not in html


def test_hostile_text_is_escaped_everywhere() -> None:
    html = render(Shell(P(HOSTILE), title=HOSTILE, nav=[NavItem(HOSTILE, "/")],
                        status=[HOSTILE], toolbar=[ToolButton(HOSTILE, icon="plus")]))
    assert "<img" not in html
    assert html.count(ESCAPED) == 6  # title, brand, content, nav, status, button
    card = render(Card(HOSTILE, title=HOSTILE, footer=HOSTILE))
    assert "<img" not in card and card.count(ESCAPED) == 3


def test_lengths_cannot_carry_other_css() -> None:
    for bad in ("13rem; background: url(//evil)", "calc(1px)", "-5px", "", True, 10**6):
        with pytest.raises(UIError, match="CSS length"):
            Shell(title="x", sidebar_width=bad)
        with pytest.raises(UIError, match="CSS length"):
            Grid(min=bad)
    assert "--appkit-sidebar-width: 240px" in render(Shell(title="x", sidebar_width=240)[1])
    assert 'style="--appkit-grid-min: 12.5rem"' in render(Grid(min="12.5rem"))


def test_bad_arguments_are_named() -> None:
    with pytest.raises(UIError, match="title"):
        Shell(title="  ")
    with pytest.raises(UIError, match="nav= takes NavItem"):
        Shell(title="x", nav=["/home"])  # type: ignore[list-item]
    with pytest.raises(UnknownIcon, match="hous"):
        NavItem("Home", "/", icon="hous")
    with pytest.raises(UIError, match="icon_only=True\\) needs an icon"):
        ToolButton("Delete", icon_only=True)


def test_layout_pieces() -> None:
    assert render(Card(P("x"), title="Sales", footer="May", id="c")) == (
        '<article class="appkit-card" id="c"><header><h2 class="appkit-card-title">Sales'
        '</h2></header><p>x</p><footer>May</footer></article>')
    assert render(Grid(P(1), P(2), cls="wide")) == (
        '<div class="appkit-grid wide" style="--appkit-grid-min: 16rem"><p>1</p><p>2</p></div>')
    assert render(Group(P(1))) == '<div class="appkit-group" role="group"><p>1</p></div>'
    assert render(Toolbar(P(1), label="Edit")) == (
        '<div class="appkit-toolbar" role="toolbar" aria-label="Edit"><p>1</p></div>')


def test_tool_buttons() -> None:
    html = render(ToolButton("Delete", icon="trash", hx_post="/delete", hx_confirm="Sure?"))
    assert html.startswith('<button class="appkit-tool" hx-post="/delete" hx-confirm="Sure?" '
                           'type="button"><svg class="appkit-icon"')
    assert html.endswith('<span class="appkit-tool-label">Delete</span></button>')
    alone = render(ToolButton("Delete", icon="trash", icon_only=True))
    assert 'aria-label="Delete"' in alone and 'title="Delete"' in alone
    assert "appkit-tool-label" not in alone
    assert 'type="submit"' in render(ToolButton("Save", type="submit"))


def test_a_piece_drawn_by_an_app_without_the_kit_says_how_to_add_it(
        caplog: pytest.LogCaptureFixture) -> None:
    from appkit.ui import Dialog, Tabs, UISettings
    from appkit.ui.widgets import Tab

    def pages(app: App) -> None:
        @app.get("/")
        def home():
            return Shell(Dialog("Hi", id="hi"), Tabs(Tab("A", P("a")), id="t"), title="Home")

    bare = App("no-kit")
    pages(bare)
    kit = App("with-kit", extensions=[UISettings()])
    pages(kit)
    with caplog.at_level("WARNING", logger="appkit.ui"):
        with Client(kit) as client:
            assert client.get("/").status_code == 200
        assert caplog.records == []
        with Client(bare) as client:
            for _ in range(3):        # once per piece, not per page
                assert client.get("/").status_code == 200
    said = [r.getMessage() for r in caplog.records]
    assert sorted(m.split(" ", 1)[0] for m in said) == ["Dialog", "Shell", "Tabs"], said
    assert all("App(..., extensions=[UISettings()])" in m for m in said)
    assert all(r.levelname == "WARNING" for r in caplog.records)
