"""appkit.ui.widgets: Tabs, Dropdown, Dialog, Badge, ProgressBar."""

from __future__ import annotations

import math
import re

import pytest

from appkit.html import Input, P, render
from appkit.ui import (
    Badge,
    Dialog,
    DialogButton,
    DialogClose,
    Dropdown,
    MenuItem,
    MenuSeparator,
    ProgressBar,
    Tab,
    Tabs,
    UIError,
    UnknownIcon,
)

HOSTILE = '<script>alert("x")</script>'


def test_tabs_wire_their_tabs_and_panels() -> None:
    html = render(Tabs(Tab("General", P("g")), Tab("Advanced", P("a"), icon="settings"),
                       id="prefs", selected=1, label="Preferences"))
    assert html.startswith('<div id="prefs" class="appkit-tabs"><div role="tablist" '
                           'aria-label="Preferences" class="appkit-tab-list">')
    tabs = re.findall(r'<button type="button" role="tab" id="([^"]+)" aria-controls="([^"]+)" '
                      r'aria-selected="(\w+)" tabindex="(-?\d)"', html)
    assert tabs == [("prefs-tab-0", "prefs-panel-0", "false", "-1"),
                    ("prefs-tab-1", "prefs-panel-1", "true", "0")]
    assert ('<div role="tabpanel" id="prefs-panel-0" aria-labelledby="prefs-tab-0" '
            'tabindex="0" hidden class="appkit-tab-panel"><p>g</p></div>') in html
    assert ('<div role="tabpanel" id="prefs-panel-1" aria-labelledby="prefs-tab-1" '
            'tabindex="0" class="appkit-tab-panel"><p>a</p></div>') in html


def test_tabs_refuse_what_cannot_work() -> None:
    with pytest.raises(UIError, match="at least one Tab"):
        Tabs(id="t")
    with pytest.raises(UIError, match="selected is the index of a tab, 0 to 1"):
        Tabs(Tab("a"), Tab("b"), id="t", selected=2)
    with pytest.raises(UIError, match="selected"):
        Tabs(Tab("a"), id="t", selected=True)
    with pytest.raises(UIError, match="takes Tab"):
        Tabs(P("a"), id="t")  # type: ignore[arg-type]
    for bad in ("my tabs", '"><x', "1st", ""):
        with pytest.raises(UIError, match="id of a letter"):
            Tabs(Tab("a"), id=bad)
    with pytest.raises(UIError, match="label"):
        Tab("")


def test_a_dropdown_is_a_menu_button_and_its_menu() -> None:
    html = render(Dropdown("Actions", MenuItem("Edit", icon="pencil", hx_get="/edit"),
                           MenuSeparator(), MenuItem("Help", href="/help"), align="end"))
    assert html.startswith('<div class="appkit-dropdown"><button type="button" '
                           'aria-haspopup="menu" aria-expanded="false" '
                           'class="appkit-tool appkit-menu-button"><span>Actions</span><svg')
    assert ('<div role="menu" aria-label="Actions" hidden class="appkit-menu '
            'appkit-menu-end">') in html
    assert re.search(r'<button role="menuitem" tabindex="-1" class="appkit-menu-item" '
                     r'hx-get="/edit" type="button"><svg[^>]*>.*?</svg><span>Edit</span>'
                     r'</button>', html)
    assert '<div role="separator" class="appkit-menu-separator"></div>' in html
    assert ('<a href="/help" role="menuitem" tabindex="-1" class="appkit-menu-item">'
            '<span>Help</span></a>') in html


def test_dropdowns_refuse_what_cannot_work() -> None:
    with pytest.raises(UIError, match="at least one MenuItem"):
        Dropdown("Actions")
    with pytest.raises(UIError, match="align is 'start' or 'end'"):
        Dropdown("Actions", MenuItem("x"), align="left")
    with pytest.raises(UnknownIcon):
        MenuItem("x", icon="no-such-icon")


def test_a_dialog_and_what_opens_and_closes_it() -> None:
    html = render(Dialog("Rename", Input(name="name"), id="rename",
                         buttons=[DialogClose(), DialogClose("Done", cls="primary")]))
    assert html.startswith('<dialog id="rename" aria-labelledby="rename-title" '
                           'class="appkit-dialog"><article><header><h2 id="rename-title" '
                           'class="appkit-dialog-title">Rename</h2>')
    assert 'aria-label="Close" title="Close" data-appkit-close>' in html
    assert '<div class="appkit-dialog-body"><input name="name"></div>' in html
    assert ('<footer class="appkit-dialog-buttons"><button type="button" data-appkit-close '
            'class="secondary">Cancel</button><button type="button" data-appkit-close '
            'class="secondary primary">Done</button></footer>') in html
    assert "<footer" not in render(Dialog("Note", P("x"), id="note"))
    assert render(DialogButton("Rename…", dialog="rename")) == (
        '<button type="button" aria-haspopup="dialog" data-appkit-open="rename" '
        'class="appkit-tool"><span>Rename…</span></button>')
    with pytest.raises(UIError, match="id of a letter"):
        DialogButton("Open", dialog="#rename")
    with pytest.raises(UIError, match="id of a letter"):
        Dialog("x", id="a b")


def test_hostile_labels_are_text() -> None:
    html = render([Tabs(Tab(HOSTILE, HOSTILE), id="t"),
                   Dropdown(HOSTILE, MenuItem(HOSTILE)), Dialog(HOSTILE, HOSTILE, id="d"),
                   DialogButton(HOSTILE, dialog="d"), Badge(HOSTILE),
                   ProgressBar(0.5, label=HOSTILE)])
    assert "<script>" not in html
    assert html.count("&lt;script&gt;alert(") == 11
    assert 'aria-label="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"' in html


def test_badges() -> None:
    assert render(Badge(3)) == '<span class="appkit-badge appkit-badge-neutral">3</span>'
    assert render(Badge("Failed", tone="danger", title="x")) == (
        '<span class="appkit-badge appkit-badge-danger" title="x">Failed</span>')
    with pytest.raises(UIError, match="neutral, info, success, warning, danger"):
        Badge("x", tone="red")
    with pytest.raises(UIError, match="text or a number"):
        Badge(None)  # type: ignore[arg-type]


def test_progress_bars() -> None:
    assert render(ProgressBar(0.4)) == (
        '<div class="appkit-progress"><progress value="0.4" max="1.0" '
        'aria-label="Progress"></progress><span class="appkit-progress-value">40 %</span></div>')
    assert render(ProgressBar(3, max=4, label="Import", show_value=False)) == (
        '<div class="appkit-progress"><span class="appkit-progress-label">Import</span>'
        '<progress value="3" max="4" aria-label="Import"></progress></div>')
    # Not known yet: no value (the browser shows it moving), no percentage.
    assert render(ProgressBar(None)) == (
        '<div class="appkit-progress"><progress max="1.0" aria-label="Progress"></progress>'
        '</div>')
    for bad in (-0.1, 1.01, math.nan, math.inf, True, "0.5"):
        with pytest.raises(UIError, match="from 0 to 1.0"):
            ProgressBar(bad)  # type: ignore[arg-type]
    for bad_max in (0, -1, math.nan, False):
        with pytest.raises(UIError, match="max is a positive number"):
            ProgressBar(0, max=bad_max)
