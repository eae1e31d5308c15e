"""Icons by name: ``Icon("trash")`` is Lucide's trash icon as inline SVG.

The icons come from the npm package ``lucide-static`` (ISC), vendored by
``scripts/vendor.py`` as one data file, ``appkit/static/vendor/lucide-icons.json``. It is
read once, when the first icon is drawn; a page carries only the icons it shows (each an
``<svg>`` of a few hundred bytes) and the browser never loads the file.
"""

from __future__ import annotations

import difflib
import functools
import json
from pathlib import Path
from typing import Any

from appkit.html import Circle, Element, Ellipse, Line, Polyline, Rect, Svg, SvgTitle
from appkit.html import Path as SvgPath
from appkit.ui.errors import UIError, UnknownIcon

__all__ = ["Icon", "icon_names"]

_DATA = Path(__file__).resolve().parent.parent / "static" / "vendor" / "lucide-icons.json"
_SHAPES = {"path": SvgPath, "circle": Circle, "rect": Rect, "line": Line,
           "polyline": Polyline, "ellipse": Ellipse}


@functools.cache
def _icons() -> tuple[dict[str, list[Any]], dict[str, str]]:
    data = json.loads(_DATA.read_text(encoding="utf-8"))
    return data["icons"], data["aliases"]


def icon_names() -> list[str]:
    """Every icon name ``Icon`` knows, sorted (the old names Lucide keeps included)."""
    icons, aliases = _icons()
    return sorted([*icons, *aliases])


@functools.cache
def _shapes(name: str) -> tuple[Element, ...]:
    icons, aliases = _icons()
    nodes = icons.get(aliases.get(name, name))
    if nodes is None:
        raise UnknownIcon(_unknown(name))
    return tuple(_SHAPES[tag](**attrs) for tag, attrs in nodes)


def _unknown(name: str) -> str:
    names = icon_names()
    close = difflib.get_close_matches(name, names, n=5, cutoff=0.6)
    if len(close) < 5:  # "bin" -> "trash" is not spelling: whole words of the name help
        words = [w for w in name.lower().replace("_", "-").split("-") if len(w) > 2]
        close += [n for n in names if n not in close and any(w in n.split("-") for w in words)
                  ][: 5 - len(close)]
    hint = ("; close: " + ", ".join(close)) if close else ""
    return (f"No icon is called {name[:80]!r}{hint}. The names are Lucide's (see "
            "appkit.ui.icon_names(), or lucide.dev/icons)")


def Icon(name: str, *, label: str | None = None, size: str | int | None = None,  # noqa: N802
         **attrs: Any) -> Element:
    """Lucide's icon ``name`` as an inline ``<svg>`` that takes the text's colour and size.

    Args:
        name: the icon's name, as Lucide spells it (``"trash"``, ``"circle-alert"``).
        label: what the icon says to a screen reader when it stands alone (an icon beside
            its text needs none: it is then hidden from screen readers).
        size: its width and height: a CSS length (``"2rem"``) or pixels (``20``);
            ``1.15em`` by default, the size of the text around it.
        attrs: more attributes for the ``<svg>`` (``cls=``, ``stroke_width=``...).

    Raises:
        UnknownIcon: no icon has that name; the message names the closest ones.
        UIError: ``name`` is not a string.

    >>> from appkit.html import render
    >>> render(Icon("x"))[:40]
    '<svg class="appkit-icon" width="1.15em" '
    """
    if not isinstance(name, str):
        raise UIError(f"An icon's name is a string such as 'trash', not {name!r}")
    shapes = _shapes(name)
    if size is not None and not isinstance(size, str | int) or isinstance(size, bool):
        raise UIError(f"An icon's size is a CSS length ('2rem') or pixels (20), not {size!r}")
    length = "1.15em" if size is None else (f"{size}px" if isinstance(size, int) else size)
    extra = attrs.pop("cls", None)
    cls: list[Any] = ["appkit-icon", *(extra if isinstance(extra, list | tuple) else [extra])]
    svg_attrs: dict[str, Any] = {
        "cls": cls, "width": length, "height": length, "view_box": "0 0 24 24",
        "fill": "none", "stroke": "currentColor", "stroke_width": 2,
        "stroke_linecap": "round", "stroke_linejoin": "round", "focusable": "false",
    }
    if label:
        svg_attrs.update(role="img", aria_label=label)
    else:
        svg_attrs["aria_hidden"] = "true"
    svg_attrs.update(attrs)
    return Svg(SvgTitle(label) if label else None, *shapes, **svg_attrs)
