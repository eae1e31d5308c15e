"""Checks the kit's functions share: ids and CSS lengths written into attributes, and
whether the app drawing a piece has the kit."""

from __future__ import annotations

import logging
import re
from typing import Any

from appkit.app.pipeline import current_connection
from appkit.ui.errors import UIError

__all__ = ["css_length", "element_id", "needs_kit", "text"]

logger = logging.getLogger("appkit.ui")
#: What ``UIExtension.setup`` sets on the app's state: the kit is on its pages.
KIT_MARK = "appkit_ui_kit"

_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,99}")
_LENGTH = re.compile(r"(?:\d{1,4}(?:\.\d{1,3})?|\.\d{1,3})(?:px|rem|em|ch|%|vw|vh)|0")


def element_id(value: Any, what: str) -> str:
    """``value`` if it is usable as an element id (and in a CSS selector): a letter, then
    letters, digits, ``-`` or ``_``."""
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise UIError(f"{what} needs an id of a letter then letters, digits, '-' or '_' "
                      f"(e.g. 'settings'), not {value!r:.60}")
    return value


def css_length(value: Any, what: str) -> str:
    """``value`` as a CSS length: a string such as ``"16rem"`` or a number of pixels. Only
    a plain length passes, so nothing else can be slipped into a style attribute."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10000:
        return f"{value}px"
    if isinstance(value, str) and _LENGTH.fullmatch(value):
        return value
    raise UIError(f"{what} is a CSS length such as '16rem', '240px' or 240 (pixels), "
                  f"not {value!r:.60}")


def text(value: Any, what: str) -> str:
    """``value`` if it is a non-empty string (a label, a title); it is escaped when it is
    rendered, like any text."""
    if not isinstance(value, str) or not value.strip():
        raise UIError(f"{what} is a non-empty string, not {value!r:.60}")
    return value


def needs_kit(piece: str) -> None:
    """Warn (once per app and piece) when ``piece``, which needs the kit's stylesheet and
    script, is drawn while serving an app that does not have the kit (``UISettings``): the
    page would show it unstyled, and its keys, menus, dialogs or theme switch would do
    nothing. Outside a request (a test rendering a piece), nothing is checked."""
    conn = current_connection()
    starlette = conn.scope.get("app") if conn is not None else None
    state = getattr(starlette, "state", None)
    if state is None or getattr(state, KIT_MARK, False):
        return
    warned: set[str] = getattr(state, "appkit_ui_warned", set())
    if piece in warned:
        return
    warned.add(piece)
    state.appkit_ui_warned = warned
    logger.warning(
        "%s is drawn by an app without the UI kit: its stylesheet and script are not on "
        "the page, so it shows unstyled and its keys, menus, dialogs or theme switch do "
        "nothing. Add the kit: App(..., extensions=[UISettings()]) (docs/ui.md)", piece)
