"""A list the user puts in order, by mouse, touch or keyboard, that posts the new order.

    from appkit.ui.reorder import Reorder, install

    install(app)

    @app.get("/")
    def index():
        return Page("Todo", Reorder([(t.id, t.title) for t in todos()], post=reorder,
                                    id="todos", label="Todos"))

    @app.post("/reorder")
    def reorder(order: list[int]):           # the ids, in their new order
        save_positions(order)

Each item carries a hidden ``<input name="order" value="ID">``; when the order changed,
``/_appkit/ui/reorder.js`` fires ``reorder`` on the ``<form>`` and htmx posts its fields, so
the route binds them like any form (``order: list[int]``). The keyboard: focus an item,
Space or Enter picks it up, the arrow keys, Home and End move it, Space or Enter drops it,
Escape puts it back; a screen reader hears each step.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from appkit.html import Element, Form, Input, Li, Link, P, Script, Span, Ul
from appkit.ui._assets import asset_url, install_head
from appkit.ui.errors import UIError

__all__ = ["Reorder", "ReorderError", "assets", "install"]


class ReorderError(UIError, ValueError):
    """A reorderable list was given what it cannot show (says what and why)."""


Item = tuple[int | str, Any] | tuple[int | str, Any, str]


def Reorder(items: Iterable[Item], *, post: Any, id: str, label: str, name: str = "order",
            swap: str = "none", **attrs: Any) -> Element:
    """A ``<form>`` of items the user can reorder; each new order is posted to ``post``
    (a route handler or a URL) as the fields ``name`` (one per item: its value, in order).

    Args:
        items: ``(value, content)`` pairs: the value is what is posted (an id), the
            content what the item shows (text or elements); or ``(value, content,
            name)``, where ``name`` is what the keyboard's announcements call the item
            (by default the content's text).
        post: where the order goes (``hx-post``).
        id: the form's id.
        label: what the list is, for assistive technology (``aria-label``).
        name: the field name (``order`` binds ``order: list[int]``).
        swap: ``hx-swap`` for the answer (``none``: the page keeps its order; give
            ``outerHTML`` to show the list the route returns).
        attrs: more attributes for the ``<form>`` (``hx_target``...).

    Raises:
        ReorderError: two items have the same value, or a value is empty.
    """
    seen: set[str] = set()
    rows = []
    for item in items:
        value, content = item[0], item[1]
        name_of = item[2] if len(item) > 2 else content if isinstance(content, str) else None
        text = str(value)
        if not text.strip():
            raise ReorderError(f"An item of the list {id!r} has an empty value: give each "
                               "item the id that is posted for it")
        if text in seen:
            raise ReorderError(f"Two items of the list {id!r} have the value {text!r}: each "
                               "needs its own (the route gets them in their new order)")
        seen.add(text)
        rows.append(Li(
            Span("\u2807", cls="reorder-handle", aria_hidden="true", title="Drag to move"),
            Input(type="hidden", name=name, value=text),
            Span(content, cls="reorder-content"),
            data_reorder_item=True, data_reorder_label=name_of, tabindex="0",
            aria_roledescription="movable item"))
    extra = attrs.pop("cls", None)
    return Form(
        P(f"{label}: focus an item, press Space to pick it up, the arrow keys to move it "
          "and Space to drop it.", cls="reorder-help", id=f"{id}-help", hidden=True),
        Ul(*rows, cls="reorder-list", aria_label=label, aria_describedby=f"{id}-help"),
        P(cls="reorder-status", role="status", aria_live="polite"),
        id=id, cls=f"reorder {extra}" if extra else "reorder", hx_post=post,
        # The items' own htmx elements (a button in an item) inherit none of the form's.
        hx_trigger="reorder", hx_swap=swap, hx_disinherit="*", **attrs)


def assets(app: Any) -> list[Element]:
    """The stylesheet and script a page with a ``Reorder`` list needs."""
    return [Link(rel="stylesheet", href=asset_url(app, "ui/reorder.css")),
            Script(src=asset_url(app, "ui/reorder.js"), defer=True)]


def install(app: Any) -> None:
    """Give every full page of ``app`` the reorderable lists' script and stylesheet
    (once)."""
    install_head(app, "reorder", assets)
