"""The window's menu bar, as plain data: what the app describes, the shell shows natively.

    [{"title": "File", "items": [
        {"title": "New expense", "action": {"navigate": "/new"}},
        {"separator": True},
        {"title": "Export", "items": [{"title": "CSV", "action": {"post": "/export"}}]},
    ]}]

A menu is ``{"title", "items"}``; an item ``{"title", "action"}``, where ``action`` is any
JSON value; ``{"separator": True}`` draws a line. Choosing an item sends the page a
``shell:menu`` event (a ``CustomEvent`` on ``document``) whose ``detail`` is the item's
``action``: the page decides what it means (appkit's ``ui/menu.js`` navigates or posts).
The shell runs no code of the app for it, so the same data works when the app's server is
another process (``appkit run``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from shell.errors import ShellError

__all__ = ["MenuData", "check_menu", "event_script", "to_pywebview"]

#: The menu bar: a list of menus (see the module's docstring).
MenuData = Sequence[Mapping[str, Any]]


def check_menu(menu: MenuData) -> list[dict[str, Any]]:
    """A JSON-clean copy of ``menu``.

    Raises:
        ShellError: an entry is neither a menu, an item nor a separator, or a title is
            empty, or an action is not JSON.
    """
    if isinstance(menu, str | bytes | Mapping) or not isinstance(menu, Sequence):
        raise ShellError(f"The menu bar is a list of menus, not {type(menu).__name__}")
    return [_entry(entry, top=True) for entry in menu]


def _entry(entry: Any, top: bool = False) -> dict[str, Any]:
    if not isinstance(entry, Mapping):
        raise ShellError(f"A menu entry is a mapping, not {entry!r}")
    if entry.get("separator") and not top:
        return {"separator": True}
    title = entry.get("title")
    if not isinstance(title, str) or not title.strip():
        raise ShellError(f"The menu entry {dict(entry)!r} needs a title (text)")
    if "items" in entry:
        items = entry["items"]
        if isinstance(items, str | bytes | Mapping) or not isinstance(items, Sequence):
            raise ShellError(f"The items of the menu {title!r} are a list")
        return {"title": title, "items": [_entry(item) for item in items]}
    if top:
        raise ShellError(f"{title!r} is at the top of the menu bar: put items in a menu "
                         '({"title": ..., "items": [...]})')
    try:
        action = json.loads(json.dumps(entry.get("action"), allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise ShellError(f"The action of the menu item {title!r} is not JSON: {exc}") from None
    return {"title": title, "action": action}


def event_script(action: Any) -> str:
    """The script that hands ``action`` to the page (as a ``shell:menu`` event)."""
    detail = json.dumps(action).replace("<", "\\u003c")
    return ("document.dispatchEvent(new CustomEvent('shell:menu', "
            f"{{detail: {detail}}}));")


def to_pywebview(menu: MenuData, choose: Callable[[Any], None]) -> list[Any]:
    """``menu`` as pywebview's ``Menu``/``MenuAction``/``MenuSeparator`` objects; choosing
    an item calls ``choose(action)``."""
    from webview.menu import Menu, MenuAction, MenuSeparator

    def convert(entry: Mapping[str, Any]) -> Any:
        if entry.get("separator"):
            return MenuSeparator()
        if "items" in entry:
            return Menu(entry["title"], [convert(item) for item in entry["items"]])
        action = entry["action"]
        return MenuAction(entry["title"], lambda: choose(action))

    return [convert(entry) for entry in check_menu(menu)]
