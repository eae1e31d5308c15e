"""Form helpers: labelled fields with their error message, hidden inputs, and filling a
form from a dataclass or dict.

``fill_form`` returns a new tree; the form you pass in is left as it was, so one form
definition can be filled for many records.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Iterable, Mapping
from typing import Any

from appkit.html.elements import Div, Input, Label, Option, Select, Small, Textarea
from appkit.html.nodes import Element

__all__ = ["Field", "Hidden", "fill_form", "form_values"]


def Hidden(name: str, value: Any = "", **attrs: Any) -> Element:  # noqa: N802 (a factory)
    """``<input type="hidden" name=... value=...>``."""
    return Input(type="hidden", name=name, value="" if value is None else _text(value), **attrs)


def Field(  # noqa: N802 (a factory)
    label: str,
    name: str,
    *,
    type: str = "text",
    value: Any = None,
    error: str | None = None,
    help: str | None = None,
    options: Iterable[Any] | Mapping[Any, str] | None = None,
    choice: Any = None,
    **attrs: Any,
) -> Element:
    """A labelled form control with room for its validation error.

    ``type`` is an ``<input>`` type, or ``"textarea"``, or ``"select"`` (with ``options``: a
    list of values, of ``(value, label)`` pairs, or a dict of value -> label). For a
    ``"checkbox"`` or ``"radio"``, ``choice`` is the value it submits: the box is checked when
    ``value`` equals it (or contains it, for a list); without ``choice`` a checkbox is checked
    when ``value`` is truthy. A password's ``value`` is never written into the page. When ``error``
    is given the control is marked ``aria-invalid`` and the message is shown under it, in an
    element with id ``NAME-error`` (so an htmx response can swap just the message).

    >>> render(Field("Title", "title", error="Required"))  # doctest: +SKIP
    """
    default_id = name if choice is None else f"{name}-{_text(choice)}"
    ident = attrs.pop("id", default_id)
    control_attrs: dict[str, Any] = {"id": ident, "name": name, **attrs}
    if error:
        control_attrs["aria_invalid"] = "true"
        control_attrs["aria_describedby"] = f"{ident}-error"
    if type == "textarea":
        control: Element = Textarea(_text(value) if value is not None else "", **control_attrs)
    elif type == "select":
        control = Select(*_options(options or (), value), **control_attrs)
    elif type in ("checkbox", "radio"):
        if choice is None:
            checked = bool(value)
        else:
            checked = _text(choice) in _chosen(value)
            control_attrs["value"] = _text(choice)
        control = Input(type=type, checked=checked, **control_attrs)
        return Div(
            Label(control, " ", label, for_=ident),
            _message(ident, error, help),
            cls="field",
        )
    else:
        # A password is never written back into a page.
        shown = None if value is None or type == "password" else _text(value)
        control = Input(type=type, value=shown, **control_attrs)
    return Div(Label(label, for_=ident), control, _message(ident, error, help), cls="field")


def _message(ident: str, error: str | None, help: str | None) -> Element:
    if error:
        return Small(error, id=f"{ident}-error", cls="error", role="alert")
    return Small(help or "", id=f"{ident}-error", cls="help")


def _options(options: Iterable[Any] | Mapping[Any, str], selected: Any) -> list[Element]:
    pairs = options.items() if isinstance(options, Mapping) else (
        o if isinstance(o, tuple) else (o, o) for o in options
    )
    chosen = _chosen(selected)
    return [Option(str(lbl), value=_text(v), selected=_text(v) in chosen) for v, lbl in pairs]


# ---- filling ----------------------------------------------------------------------------


def form_values(obj: Any) -> dict[str, Any]:
    """The field values of a dataclass instance, a mapping, or an object with ``__dict__``."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
    if isinstance(obj, Mapping):
        return dict(obj)
    if hasattr(obj, "__dict__"):
        return dict(vars(obj))
    raise TypeError(
        f"fill_form needs a dataclass instance, a dict or an object with attributes, "
        f"not a {type(obj).__name__}"
    )


def fill_form(form: Any, obj: Any) -> Any:
    """A copy of ``form`` whose named controls show the values of ``obj``.

    Text-like inputs get ``value``; checkboxes are checked when the value is truthy (or,
    for a list value, when it contains the box's value); radios when their value matches;
    ``<select>`` options are selected; ``<textarea>`` gets the text. Password and file
    inputs are never filled. Controls whose name is not in ``obj`` are left alone.
    """
    return _fill(form, form_values(obj))


def _fill(node: Any, values: dict[str, Any]) -> Any:
    if isinstance(node, list | tuple):
        return type(node)(_fill(c, values) for c in node)
    if not isinstance(node, Element):
        return node
    name = node.attrs.get("name")
    if name is not None and name in values:
        return _fill_control(node, values[name])
    if not node.children:
        return node
    children = tuple(_fill(c, values) for c in node.children)
    if all(a is b for a, b in zip(children, node.children, strict=True)):
        return node
    new = node.copy()
    new.children = children
    return new


_NEVER_FILLED = {"password", "file", "submit", "button", "reset", "image"}


def _fill_control(node: Element, value: Any) -> Element:
    new = node.copy()
    tag = node.tag
    if tag == "input":
        kind = str(node.attrs.get("type", "text")).lower()
        if kind in _NEVER_FILLED:
            return node
        if kind == "checkbox":
            own = node.attrs.get("value")
            if isinstance(value, list | tuple | set | frozenset):
                new.attrs["checked"] = _text(own if own is not None else "on") in _chosen(value)
            elif own not in (None, "on") and not isinstance(value, bool):
                new.attrs["checked"] = _text(value) == _text(own)
            else:
                new.attrs["checked"] = bool(value)
        elif kind == "radio":
            new.attrs["checked"] = value is not None and _text(value) == _text(
                node.attrs.get("value", "on"))
        else:
            new.attrs["value"] = None if value is None else _text(value)
    elif tag == "textarea":
        new.children = ("" if value is None else _text(value),)
    elif tag == "select":
        new.children = tuple(_select(c, _chosen(value)) for c in node.children)
    else:
        new.attrs["value"] = None if value is None else _text(value)
    return new


def _select(node: Any, chosen: set[str]) -> Any:
    if isinstance(node, list | tuple):
        return type(node)(_select(c, chosen) for c in node)
    if not isinstance(node, Element):
        return node
    if node.tag == "option":
        own = node.attrs.get("value")
        if own is None:
            own = "".join(str(c) for c in node.children)
        new = node.copy()
        new.attrs["selected"] = _text(own) in chosen
        return new
    if node.tag == "optgroup":
        new = node.copy()
        new.children = tuple(_select(c, chosen) for c in node.children)
        return new
    return node


def _chosen(value: Any) -> set[str]:
    if value is None:
        return set()
    if isinstance(value, list | tuple | set | frozenset):
        return {_text(v) for v in value}
    return {_text(value)}


def _text(value: Any) -> str:
    """How a Python value is written into a form control."""
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, bool):
        return "on" if value else ""
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="minutes" if not value.second else "seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)
