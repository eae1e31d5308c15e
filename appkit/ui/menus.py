"""The window's menu bar: menus whose items go to a page or run a route, with keyboard
shortcuts.

    from appkit.ui.menus import Command, Menu, Separator

    app.menu(
        Menu("File",
             Command("New expense", navigate=new_expense, shortcut="Ctrl+N"),
             Command("Import CSV...", post=import_csv, shortcut="Ctrl+I"),
             Separator(),
             Command("Jobs", navigate="/jobs")),
        Menu("View", Command("Dark theme", post=toggle_theme, shortcut="Ctrl+Shift+D")),
    )

An item either ``navigate``s (the window loads that page) or ``post``s to a route (the
page sends the request with htmx, CSRF token and session included, and applies what the
route answers out of band: toasts, ``hx-swap-oob`` elements, ``HX-Redirect``). So a menu
item's handler is an ordinary route, and it runs the same whether the app's server is in
the window's process (``App.run()``) or not (``appkit run``).

Shortcuts are in-page key bindings (``/_appkit/ui/menu.js``): pywebview's menus take no
accelerators, so the page listens for the keys itself. They work whenever the page has the
keyboard focus, and in the browser mode too, where there is no native menu.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from appkit.errors import ConfigurationError

__all__ = ["Command", "Menu", "Separator", "normalize_shortcut"]

_MODIFIERS = {"ctrl": "Ctrl", "control": "Ctrl", "alt": "Alt", "option": "Alt",
              "shift": "Shift", "meta": "Meta", "cmd": "Meta", "super": "Meta"}
_ORDER = ("Ctrl", "Alt", "Shift", "Meta")
_NAMED = {name.lower(): name for name in (
    *(f"F{n}" for n in range(1, 13)), "Enter", "Escape", "Delete", "Backspace", "Tab",
    "Home", "End", "PageUp", "PageDown", "ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight",
    "Insert", "Space")}
_NAMED.update({"esc": "Escape", "del": "Delete", "up": "ArrowUp", "down": "ArrowDown",
               "left": "ArrowLeft", "right": "ArrowRight", "return": "Enter"})


def normalize_shortcut(text: str) -> str:
    """``text`` (``"ctrl+shift+n"``) in the form the page compares: ``"Ctrl+Shift+N"``.

    Raises:
        ConfigurationError: an unknown key or modifier, or a plain key without a modifier
            (which would take that key from every text field; F1-F12 may stand alone).
    """
    parts = [part.strip() for part in text.split("+")]
    if len(parts) > 1 and parts[-1] == "" and parts[-2] == "":
        parts = [*parts[:-2], "+"]  # "Ctrl++"
    *mods, key = parts
    modifiers = set()
    for mod in mods:
        name = _MODIFIERS.get(mod.lower())
        if name is None:
            raise ConfigurationError(
                f"Unknown modifier {mod!r} in the shortcut {text!r}: use Ctrl, Alt, Shift "
                "or Meta, e.g. 'Ctrl+Shift+N'")
        modifiers.add(name)
    if len(key) == 1 and key.isprintable() and not key.isspace():
        canonical = key.upper()
        if not canonical.isalnum():
            modifiers.discard("Shift")  # a sign names the character typed, Shift or not
    elif key.lower() in _NAMED:
        canonical = _NAMED[key.lower()]
    else:
        raise ConfigurationError(
            f"Unknown key {key!r} in the shortcut {text!r}: use a letter, a digit, a sign, "
            "or one of F1-F12, Enter, Escape, Delete, Tab, Home, End, PageUp, PageDown, "
            "ArrowUp, ArrowDown, ArrowLeft, ArrowRight, Insert, Space")
    if not modifiers - {"Shift"} and not (canonical.startswith("F") and len(canonical) > 1):
        raise ConfigurationError(
            f"The shortcut {text!r} has no Ctrl, Alt or Meta: it would take the key from "
            "every text field. Add a modifier, e.g. 'Ctrl+" + canonical + "'")
    return "+".join([*(m for m in _ORDER if m in modifiers), canonical])


def _url(target: Any) -> str:
    make = getattr(target, "__url__", None)
    url = make() if callable(make) else target
    if not isinstance(url, str) or not url.startswith("/") or url.startswith("//"):
        raise ConfigurationError(
            f"A menu item goes to {url!r}: give a route handler or a path of the app "
            "(starting with '/')")
    return url


@dataclass(frozen=True)
class Command:
    """An item of the window's menu bar (named apart from ``appkit.ui.MenuItem``, an item
    of a dropdown menu in the page): it ``navigate``s to a page, or ``post``s to a route
    (each a route handler or a path); ``shortcut`` (``"Ctrl+N"``) chooses it from the
    keyboard.

    Raises:
        ConfigurationError: neither or both of ``navigate`` and ``post``, an empty title,
            or a shortcut ``normalize_shortcut`` refuses.
    """

    title: str
    navigate: Any = None
    post: Any = None
    shortcut: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.title, str) or not self.title.strip():
            raise ConfigurationError(f"A menu item needs a title, not {self.title!r}")
        if (self.navigate is None) == (self.post is None):
            raise ConfigurationError(
                f"The menu item {self.title!r} needs one of navigate=... (a page to show) "
                "or post=... (a route to run)")
        if self.shortcut is not None:
            object.__setattr__(self, "shortcut", normalize_shortcut(self.shortcut))

    def to_data(self) -> dict[str, Any]:
        """The item as the shell's plain data (``shell.menus``), its URL worked out now."""
        action: dict[str, Any] = (
            {"navigate": _url(self.navigate)} if self.navigate is not None
            else {"post": _url(self.post)})
        if self.shortcut:
            action["shortcut"] = self.shortcut
        return {"title": self.title, "action": action}


@dataclass(frozen=True)
class Separator:
    """A line between the items of a menu."""

    def to_data(self) -> dict[str, Any]:
        """The separator as the shell's plain data."""
        return {"separator": True}


class Menu:
    """A menu of the menu bar (or a submenu, inside another ``Menu``): ``Menu("File",
    Command(...), Separator(), Menu("Export", ...))``.

    Raises:
        ConfigurationError: an empty title, or an item that is not a ``Command``,
            ``Separator`` or ``Menu``.
    """

    def __init__(self, title: str, *items: Command | Separator | Menu) -> None:
        if not isinstance(title, str) or not title.strip():
            raise ConfigurationError(f"A menu needs a title, not {title!r}")
        for item in items:
            if not isinstance(item, Command | Separator | Menu):
                raise ConfigurationError(
                    f"The menu {title!r} holds {item!r}: give Command, Separator or Menu")
        self.title = title
        self.items = items

    def to_data(self) -> dict[str, Any]:
        """The menu as the shell's plain data."""
        return {"title": self.title, "items": [item.to_data() for item in self.items]}

    def __repr__(self) -> str:
        return f"Menu({self.title!r}, {len(self.items)} items)"
