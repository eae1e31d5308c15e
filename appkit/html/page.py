"""Page-level helpers: ``Page`` for a titled page body, ``Document`` for the full HTML
document the app wraps around a response, and ``oob`` for out-of-band swaps."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from appkit.html.elements import H1, Body, Head, Html, Main, Meta, Title
from appkit.html.nodes import Element, attr_name

__all__ = ["Document", "Page", "oob", "HEAD_TAGS"]

#: The elements that belong in ``<head>``: returned in a body, the app moves them there.
HEAD_TAGS = frozenset({"title", "meta", "link", "style", "base"})


def Page(title: str, *body: Any, heading: bool = True,  # noqa: N802
         **main_attrs: Any) -> tuple[Element, Element]:
    """A page's title and its main content: ``(Title(title), Main(H1(title), *body))``.

    Returned from a handler, the title goes into ``<head>`` and the rest into ``<body>``.
    ``heading=False`` leaves the ``<h1>`` out (the title is then the window's only).
    ``main_attrs`` go on ``<main>`` (which gets ``class="container"``, a centred column,
    unless you give one: ``cls="container-fluid"`` uses the window's width).
    """
    if not any(attr_name(k) == "class" for k in main_attrs):
        main_attrs["cls"] = "container"
    return Title(title), Main(H1(title) if heading else None, *body, **main_attrs)


def Document(  # noqa: N802 (a factory)
    *body: Any,
    head: Iterable[Any] = (),
    title: str | None = None,
    lang: str = "en",
    body_attrs: dict[str, Any] | None = None,
) -> Element:
    """A whole HTML document: doctype, ``<head>`` with charset, viewport, the title and
    ``head`` items, and ``<body>`` with ``body``."""
    return Html(
        Head(
            Meta(charset="utf-8"),
            Meta(name="viewport", content="width=device-width, initial-scale=1"),
            Title(title) if title is not None else None,
            *head,
        ),
        Body(*body, **(body_attrs or {})),
        lang=lang,
    )


def oob(element: Element, swap: str | bool = True) -> Element:
    """A copy of ``element`` marked for an htmx out-of-band swap (``hx-swap-oob``).

    The element needs an ``id``: htmx replaces the element with that id on the page.
    ``swap`` may be a swap strategy such as ``"beforeend"`` or ``"innerHTML:#target"``.
    """
    if not element.attrs.get("id") and (swap is True or ":" not in str(swap)):
        raise ValueError(
            f"An out-of-band <{element.tag}> needs an id, so htmx knows what to replace: "
            f"give it id=..., or name the target in the swap (e.g. 'beforeend:#list')"
        )
    new = element.copy()
    new.attrs["hx-swap-oob"] = "true" if swap is True else swap
    return new
