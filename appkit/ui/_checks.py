"""Checks the kit's functions share: ids and CSS lengths written into attributes."""

from __future__ import annotations

import re
from typing import Any

from appkit.ui.errors import UIError

__all__ = ["css_length", "element_id", "text"]

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
