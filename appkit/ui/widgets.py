"""Widgets: ``Tabs``, ``Dropdown`` menus, ``Dialog``, ``Badge`` and ``ProgressBar``.

Each is a function that returns ``appkit.html`` elements with the kit's classes and the
ARIA roles a screen reader needs; ``ui.js`` makes them work from the keyboard and the
mouse, in the page, without asking the server.
"""

from __future__ import annotations

import math
from typing import Any

from appkit.html import H2, A, Article, Button, Div, Element, Footer, Header, Progress, Span
from appkit.html import Dialog as DialogElement
from appkit.ui._checks import element_id, needs_kit, text
from appkit.ui.errors import UIError
from appkit.ui.icons import Icon

__all__ = ["Badge", "Dialog", "DialogButton", "DialogClose", "Dropdown", "MenuItem",
           "MenuSeparator", "ProgressBar", "Tab", "Tabs", "TONES"]

#: A badge's tones, from quiet to loud.
TONES = ("neutral", "info", "success", "warning", "danger")


# ---- tabs -------------------------------------------------------------------------------


class Tab:
    """One tab of ``Tabs``: its label (and icon) and what its panel holds."""

    __slots__ = ("label", "content", "icon")

    def __init__(self, label: str, *content: Any, icon: str | None = None) -> None:
        self.label = text(label, "A tab's label")
        self.content = content
        self.icon = icon
        if icon is not None:
            Icon(icon)

    def __repr__(self) -> str:
        return f"Tab({self.label!r})"


def Tabs(*tabs: Tab, id: str, selected: int = 0, label: str | None = None,  # noqa: N802, A002
         **attrs: Any) -> Element:
    """Tabbed panels: one shown at a time, switched in the page (no request).

    The keyboard: Tab reaches the selected tab, the left and right arrow keys (Home, End)
    select another, Tab again goes into its panel. All panels are in the page: a form in a
    hidden panel keeps what was typed in it.

    Args:
        tabs: ``Tab(label, *content)`` entries.
        id: the element's id (unique in the page); the tabs and panels get ids from it.
        selected: the index of the tab shown first.
        label: what the tab list is called to a screen reader.

    Raises:
        UIError: no tabs, something else than a ``Tab``, a bad id or index.
    """
    needs_kit("Tabs")
    element_id(id, "Tabs(...)")
    if not tabs:
        raise UIError("Tabs(...) needs at least one Tab(label, *content)")
    for tab in tabs:
        if not isinstance(tab, Tab):
            raise UIError(f"Tabs(...) takes Tab(label, *content) entries, not {tab!r:.60}")
    if isinstance(selected, bool) or not isinstance(selected, int) or not (
            0 <= selected < len(tabs)):
        raise UIError(f"selected is the index of a tab, 0 to {len(tabs) - 1}, not "
                      f"{selected!r:.60}")
    buttons = []
    panels = []
    for i, tab in enumerate(tabs):
        on = i == selected
        buttons.append(Button(
            Icon(tab.icon) if tab.icon else None, Span(tab.label),
            type="button", role="tab", id=f"{id}-tab-{i}", aria_controls=f"{id}-panel-{i}",
            aria_selected="true" if on else "false", tabindex="0" if on else "-1",
            cls="appkit-tab"))
        panels.append(Div(*tab.content, role="tabpanel", id=f"{id}-panel-{i}",
                          aria_labelledby=f"{id}-tab-{i}", tabindex="0", hidden=not on,
                          cls="appkit-tab-panel"))
    extra = attrs.pop("cls", None)
    return Div(Div(*buttons, role="tablist", aria_label=label, cls="appkit-tab-list"),
               *panels, id=id, cls=["appkit-tabs", extra], **attrs)


# ---- menus ------------------------------------------------------------------------------


def MenuItem(label: str, *, icon: str | None = None, href: Any = None,  # noqa: N802
             **attrs: Any) -> Element:
    """An entry of a ``Dropdown``: a link (``href=``) or a button (``hx_post=``...).

    Choosing it closes the menu and does what the link or button does.
    """
    text(label, "A menu item's label")
    extra = attrs.pop("cls", None)
    parts = (Icon(icon) if icon else None, Span(label))
    common = {"role": "menuitem", "tabindex": "-1", "cls": ["appkit-menu-item", extra]}
    if href is not None:
        return A(*parts, href=href, **common, **attrs)
    attrs.setdefault("type", "button")
    return Button(*parts, **common, **attrs)


def MenuSeparator() -> Element:  # noqa: N802
    """A line between groups of a ``Dropdown``'s items."""
    return Div(role="separator", cls="appkit-menu-separator")


def Dropdown(label: str, *items: Any, icon: str | None = "chevron-down",  # noqa: N802
             align: str = "start", **attrs: Any) -> Element:
    """A button that opens a menu of ``MenuItem``s below it.

    The keyboard: Enter, Space or the down arrow opens it on its first item, the up arrow
    on its last; the arrow keys, Home and End move; Enter chooses; Escape closes it (focus
    goes back to the button), Tab closes it and moves on. A click elsewhere closes it.

    Args:
        label: the button's text.
        items: ``MenuItem``s and ``MenuSeparator``s.
        icon: the icon after the label (a chevron; None for none).
        align: ``"start"`` (the menu's left edge under the button's) or ``"end"`` (right
            edges together, for a button at the right of a bar).
        attrs: attributes of the button.
    """
    needs_kit("Dropdown")
    text(label, "A dropdown's label")
    if not items:
        raise UIError(f"Dropdown({label!r}) needs at least one MenuItem")
    if align not in ("start", "end"):
        raise UIError(f"align is 'start' or 'end', not {align!r:.60}")
    extra = attrs.pop("cls", None)
    return Div(
        Button(Span(label), Icon(icon) if icon else None, type="button",
               aria_haspopup="menu", aria_expanded="false",
               cls=["appkit-tool", "appkit-menu-button", extra], **attrs),
        Div(*items, role="menu", aria_label=label, hidden=True,
            cls=["appkit-menu", f"appkit-menu-{align}"]),
        cls="appkit-dropdown")


# ---- dialogs ----------------------------------------------------------------------------


def Dialog(title: str, *body: Any, id: str, buttons: Any = (),  # noqa: N802, A002
           close_label: str = "Close", **attrs: Any) -> Element:
    """A modal dialog of the page, closed until a ``DialogButton`` opens it.

    It looks like the dialog in which appkit asks ``hx-confirm``'s question (both are
    ``<dialog class="appkit-dialog">``). The keyboard: focus goes to the first control in
    it, Tab stays inside, Escape closes it, and focus goes back to what opened it. A form
    in it marked ``data_appkit_close_on_success=True`` closes it once its htmx request
    succeeded.

    Args:
        title: its heading (and what a screen reader calls it).
        body: what it holds: text, a form...
        id: its id, which ``DialogButton(..., dialog=id)`` names.
        buttons: the buttons at its foot (``DialogClose("Cancel")``, a submit button).
        close_label: the tooltip of the × in its corner.
    """
    needs_kit("Dialog")
    text(title, "A dialog's title")
    element_id(id, f"Dialog({title!r})")
    extra = attrs.pop("cls", None)
    if isinstance(buttons, list | tuple):
        foot = list(buttons)
    else:
        foot = [buttons]
    return DialogElement(
        Article(
            Header(H2(title, id=f"{id}-title", cls="appkit-dialog-title"),
                   Button(Icon("x"), type="button", cls="appkit-dialog-x",
                          aria_label=close_label, title=close_label,
                          data_appkit_close=True)),
            Div(*body, cls="appkit-dialog-body"),
            Footer(*foot, cls="appkit-dialog-buttons") if foot else None,
        ),
        id=id, aria_labelledby=f"{id}-title", cls=["appkit-dialog", extra], **attrs)


def DialogButton(label: str, *, dialog: str, icon: str | None = None,  # noqa: N802
                 **attrs: Any) -> Element:
    """A button that opens the ``Dialog`` with id ``dialog``."""
    text(label, "A dialog button's label")
    element_id(dialog, f"DialogButton({label!r})")
    extra = attrs.pop("cls", None)
    return Button(Icon(icon) if icon else None, Span(label), type="button",
                  aria_haspopup="dialog", data_appkit_open=dialog,
                  cls=["appkit-tool", extra], **attrs)


def DialogClose(label: str = "Cancel", **attrs: Any) -> Element:  # noqa: N802
    """A button that closes the dialog it is in (nothing is sent)."""
    text(label, "A close button's label")
    extra = attrs.pop("cls", None)
    return Button(label, type="button", data_appkit_close=True,
                  cls=["secondary", extra], **attrs)


# ---- badges and progress ----------------------------------------------------------------


def Badge(label: Any, *, tone: str = "neutral", **attrs: Any) -> Element:  # noqa: N802
    """A small rounded label: a status, a count (``Badge(3)``, ``Badge("Failed",
    tone="danger")``). ``tone`` is one of ``TONES``."""
    if tone not in TONES:
        raise UIError(f"A badge's tone is one of {', '.join(TONES)}, not {tone!r:.60}")
    if isinstance(label, bool) or not isinstance(label, str | int | float | Element):
        raise UIError(f"A badge shows text or a number, not {label!r:.60}")
    extra = attrs.pop("cls", None)
    return Span(label, cls=["appkit-badge", f"appkit-badge-{tone}", extra], **attrs)


def ProgressBar(value: float | None, *, max: float = 1.0, label: str | None = None,  # noqa: N802, A002
                show_value: bool = True, **attrs: Any) -> Element:
    """A progress bar: ``ProgressBar(0.4)`` is 40 % done; ``None``, not known yet (it
    moves to say the work goes on).

    Args:
        value: how much is done, 0 to ``max``; None when that is not known.
        max: the value of all done.
        label: what is in progress, for a screen reader (and shown before the bar).
        show_value: show the percentage after the bar.

    Raises:
        UIError: a value that is not a number between 0 and ``max``.
    """
    if isinstance(max, bool) or not isinstance(max, int | float) or not (
            math.isfinite(max) and max > 0):
        raise UIError(f"max is a positive number, not {max!r:.60}")
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)
                              or not math.isfinite(value) or not 0 <= value <= max):
        raise UIError(f"A progress value is a number from 0 to {max}, or None, not "
                      f"{value!r:.60}")
    extra = attrs.pop("cls", None)
    shown = (f"{math.floor(100 * value / max)} %" if value is not None and show_value
             else None)
    return Div(
        Span(label, cls="appkit-progress-label") if label else None,
        Progress(value=value, max=max, aria_label=label or "Progress"),
        Span(shown, cls="appkit-progress-value") if shown else None,
        cls=["appkit-progress", extra], **attrs)
