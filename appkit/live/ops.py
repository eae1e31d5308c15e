"""What the live layer sends a page: operations on elements by id, made from the same
out-of-band elements an htmx answer uses.

    Li("Hi", id="m7")                           # morph the element #m7 (it must exist)
    oob(Li("Hi", id="messages"), "beforeend")   # append <li>'s children into #messages
    oob(Ul(..., id="messages"), "innerHTML")    # replace what #messages holds

An element's ``hx-swap-oob`` says how: ``true``/``outerHTML`` (the default: morph, which
keeps focus, selection and what the user is typing), ``innerHTML``, ``beforeend``,
``afterbegin``, ``beforebegin``, ``afterend``, ``delete``; ``"beforeend:#list"`` names the
target instead of the element's id.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from appkit.errors import ConfigurationError
from appkit.html import Element, render

__all__ = ["Op", "to_ops"]

_STRATEGIES = {
    "true": "morph", "outerhtml": "morph", "innerhtml": "inner", "beforeend": "append",
    "afterbegin": "prepend", "beforebegin": "before", "afterend": "after",
    "delete": "remove",
}

#: One operation: ``{"op": "morph", "target": "m7", "html": "<li ...>"}``.
Op = dict[str, str]


def to_ops(items: Iterable[Any]) -> list[Op]:
    """The operations ``items`` (elements, or lists of them) stand for.

    Raises:
        ConfigurationError: an item is not an element, has no target, or names an
            unknown swap.
    """
    ops: list[Op] = []
    for item in _flatten(items):
        if not isinstance(item, Element):
            raise ConfigurationError(
                f"The live layer sends elements with an id (or an out-of-band target), not "
                f"{type(item).__name__}: wrap text in an element, e.g. Span(text, id=...)")
        attrs = item.attrs
        swap = str(attrs.get("hx-swap-oob", "true"))
        strategy, _, selector = swap.partition(":")
        op = _STRATEGIES.get(strategy.strip().lower())
        if op is None:
            raise ConfigurationError(
                f"Unknown swap {swap!r} on <{item.tag}>: use one of "
                f"{', '.join(sorted(_STRATEGIES))}")
        target = selector.strip().removeprefix("#") if selector else attrs.get("id")
        if not target or not isinstance(target, str):
            raise ConfigurationError(
                f"<{item.tag}> needs an id to say which element of the page it updates")
        clean = item.copy()
        clean.attrs.pop("hx-swap-oob", None)
        if op == "morph":
            html = render(clean)
        elif op == "remove":
            html = ""
        else:
            html = render(list(clean.children))
        ops.append({"op": op, "target": target, "html": html})
    return ops


def _flatten(items: Iterable[Any]) -> Iterable[Any]:
    for item in items:
        if isinstance(item, list | tuple):
            yield from _flatten(item)
        elif item is not None:
            yield item
