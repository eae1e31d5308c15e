"""HTML nodes and the renderer.

A node is a light object: a tag (a class attribute of its element class), a tuple of
children and a dict of attributes whose names are already HTML names. Rendering walks the
tree once and appends strings to a list; nothing is rendered twice.

Anything with ``__html__()`` (the MarkupSafe convention) renders raw, so ``markupsafe.Markup``
and Jinja output compose with nodes, and nodes compose into Jinja templates in return.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any, ClassVar

from markupsafe import escape

__all__ = [
    "Element", "RawTextElement", "Safe", "VoidElement", "attr_name", "escape_attr",
    "escape_text", "render", "tag_class", "VOID_ELEMENTS",
]

VOID_ELEMENTS = frozenset(
    "area base br col embed hr img input link meta param source track wbr".split()
)

_Append = Callable[[str], Any]


def escape_text(text: str) -> str:
    """Escape ``&``, ``<`` and ``>`` for element content (cheap when there is nothing to do)."""
    if "&" in text or "<" in text or ">" in text:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text


def escape_attr(text: str) -> str:
    """Escape a value for a double-quoted attribute."""
    if "&" in text or "<" in text or ">" in text or '"' in text:
        return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                .replace('"', "&quot;"))
    return text


class Safe(str):
    """A string of trusted HTML that renders as it is, without escaping.

    Only wrap text you produced or sanitised yourself: ``Safe(user_input)`` is an XSS hole.
    """

    __slots__ = ()

    def __html__(self) -> str:
        return self


# ---- attribute names --------------------------------------------------------------------

_SPECIAL_NAMES = {"cls": "class", "klass": "class", "class_": "class", "_class": "class",
                  "for_": "for", "_for": "for", "htmlFor": "for"}
# SVG attributes that are camelCase in the spec, reachable as snake_case keywords.
_SVG_CAMEL = """viewBox preserveAspectRatio gradientUnits gradientTransform patternUnits
patternContentUnits patternTransform markerWidth markerHeight markerUnits refX refY textLength
lengthAdjust stdDeviation pathLength clipPathUnits maskUnits maskContentUnits spreadMethod
startOffset attributeName attributeType repeatCount repeatDur calcMode keyTimes keySplines
keyPoints filterUnits primitiveUnits edgeMode baseFrequency numOctaves tableValues kernelMatrix
xChannelSelector yChannelSelector surfaceScale specularExponent diffuseConstant""".split()
_SPECIAL_NAMES.update(
    {"".join("_" + ch.lower() if ch.isupper() else ch for ch in n): n for n in _SVG_CAMEL}
)
_name_cache: dict[str, str] = {}
_VALID_NAME = re.compile(r"[^\s\"'<>/=\x00-\x1f\x7f]+")


def attr_name(name: str) -> str:
    """Turn a Python keyword into an HTML attribute name.

    ``cls`` -> ``class``, ``for_``/``_for`` -> ``for``; a leading or trailing ``_`` is dropped
    and inner ``_`` become ``-`` (``hx_post`` -> ``hx-post``, ``data_id`` -> ``data-id``).
    Names that are not identifiers (``"@click"``, ``"x-on:click"``) are kept as they are.
    """
    cached = _name_cache.get(name)
    if cached is not None:
        return cached
    html_name = _SPECIAL_NAMES.get(name)
    if html_name is None:
        if "_" in name and name.isidentifier():
            html_name = name.strip("_").replace("_", "-")
        else:
            html_name = name
        if not _VALID_NAME.fullmatch(html_name):
            raise ValueError(
                f"Not a valid attribute name: {name!r} (no spaces, quotes, '=', '<', '>' or "
                "'/' allowed)")
    if len(_name_cache) < 4096:
        _name_cache[name] = html_name
    return html_name


# ---- attribute values -------------------------------------------------------------------


def _class_value(value: Any) -> str | None:
    if isinstance(value, dict):
        names = [str(k) for k, on in value.items() if on]
    elif isinstance(value, list | tuple | set | frozenset):
        names = [str(v) for v in value if v]
    else:
        return None
    return " ".join(names)


def _style_value(value: Any) -> str | None:
    if isinstance(value, dict):
        return "; ".join(f"{attr_name(k)}: {v}" for k, v in value.items() if v is not None)
    return None


class _Names(dict[str, str]):
    """Python keyword -> HTML attribute name, filled on first use of each keyword."""

    def __missing__(self, key: str) -> str:
        name = attr_name(key)
        if len(self) < 4096:
            self[key] = name
        return name


_names = _Names()
_known_keys = _names.keys()


def _attrs_html(attrs: dict[str, Any]) -> str:
    html = ""
    names = _names
    for key, value in attrs.items():
        if type(value) is str:
            if "&" in value or "<" in value or ">" in value or '"' in value:
                value = escape_attr(value)
            html += f' {names[key]}="{value}"'
        elif value is None or value is False:
            continue
        elif value is True:
            html += " " + names[key]
        elif type(value) is int or type(value) is float:
            html += f' {names[key]}="{value}"'
        else:
            name = names[key]
            text = _attr_text(name, value)
            if text is not None:
                html += f' {name}="{text}"'
    return html


def attr_html(name: str, value: Any) -> str:
    """One attribute as it renders in a start tag (``' name="value"'``, ``' name'`` or ``''``),
    ``name`` being the HTML name; what ``@compiled`` code calls for a value known only when
    the function runs. The same rules as an element's attributes.

    Raises:
        TypeError: a value that cannot be an attribute's.
    """
    if type(value) is str:
        if "&" in value or "<" in value or ">" in value or '"' in value:
            value = escape_attr(value)
        return f' {name}="{value}"'
    if value is None or value is False:
        return ""
    if value is True:
        return " " + name
    if type(value) is int or type(value) is float:
        return f' {name}="{value}"'
    try:
        text = _attr_text(name, value)
    except _AttrError as exc:
        err = _RenderError(exc.value, str(exc))
        raise TypeError(str(err)) from None
    return "" if text is None else f' {name}="{text}"'


def _attr_text(name: str, value: Any) -> str | None:
    """The escaped text of an attribute value; None to leave the attribute out (an empty
    class list or style dict)."""
    if hasattr(value, "__html__"):
        return escape(value)
    url = getattr(value, "__url__", None)
    if url is not None:
        return escape_attr(url())
    if name == "class":
        text = _class_value(value)
        if text is not None:
            return escape_attr(text) if text else None
    elif name == "style":
        text = _style_value(value)
        if text is not None:
            return escape_attr(text) if text else None
    if isinstance(value, dict | list | tuple):
        return escape_attr(json.dumps(value, separators=(",", ":"), default=str))
    if isinstance(value, int | float | Decimal | str):
        return escape_attr(str(value))
    raise _AttrError(value, f"attribute {name!r}")


class _AttrError(TypeError):
    def __init__(self, value: Any, what: str) -> None:
        super().__init__(what)
        self.value = value


# ---- elements ---------------------------------------------------------------------------


class _RenderError(TypeError):
    """Raised inside the walk; collects the path to the bad value as it unwinds."""

    def __init__(self, value: Any, attribute: str | None = None, *, void: str | None = None
                 ) -> None:
        super().__init__()
        self.value = value
        self.attribute = attribute
        self.void = void
        self.node: Any = value
        self.path: list[str] = []

    def add(self, element: Element) -> None:
        """Record that the walk was inside ``element``, with the child's position."""
        for i, child in enumerate(element.children):
            if child is self.node:
                if self.path:
                    self.path[-1] += f"[{i}]"
                else:
                    self.path.append(f"child {i}")
                break
        self.path.append(element._where())
        self.node = element

    def __str__(self) -> str:
        where = " > ".join(reversed(self.path)) or "the top level"
        name = type(self.value).__name__
        article = "an" if name[:1].lower() in "aeiou" else "a"
        if self.void:
            return (
                f"<{self.void}> is a void element and cannot hold content, "
                f"but was given {self.value!r:.60} in {where}: pass attributes only"
            )
        if self.attribute:
            return (
                f"Cannot render {article} {name} ({self.value!r:.60}) as the value of "
                f"{self.attribute} in {where}: pass a str, number, bool, None, dict/list "
                "(rendered as JSON) or a route handler"
            )
        return (
            f"Cannot render {article} {name} ({self.value!r:.60}) in {where}: "
            "children may be nodes, str, numbers, None/bool (skipped), lists/tuples of those, "
            "or objects with __html__(); convert it with str() first"
        )


class Element:
    """One HTML element. Create them with the PascalCase factories (``Div``, ``A``...).

    ``children`` is a tuple; ``attrs`` maps HTML attribute names to values. Calling an
    element returns a copy with more children and attributes: ``Div(cls="box")("text")``.
    """

    __slots__ = ("children", "_attrs")
    tag: ClassVar[str] = ""
    void: ClassVar[bool] = False
    _open: ClassVar[str] = ""
    _close: ClassVar[str] = ""

    def __init__(self, *children: Any, **attrs: Any) -> None:
        self.children = children
        # The keyword dict is new for each call, so it is kept as it is: names are turned
        # into HTML names when rendered (through a cache), or when ``attrs`` is first read.
        # Most elements have no attributes: no dict at all until one is asked for.
        if attrs:
            self._attrs: dict[str, Any] | None = attrs
            if not _known_keys >= attrs.keys():  # a name not seen before (checked in C)
                names = _names
                for key in attrs:
                    names[key]  # noqa: B018 (a bad name fails here, where it was written)
        else:
            self._attrs = None

    @property
    def attrs(self) -> dict[str, Any]:
        """The attributes, by HTML name; changes to this dict change the element."""
        attrs = self._attrs
        if attrs is None:
            attrs = self._attrs = {}
        else:
            names = _names
            if any(names[k] != k for k in attrs):
                attrs = self._attrs = {names[k]: v for k, v in attrs.items()}
        return attrs

    @attrs.setter
    def attrs(self, value: dict[str, Any]) -> None:
        self._attrs = value

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._open = f"<{cls.tag}>"
        cls._close = "" if cls.void else f"</{cls.tag}>"

    def __call__(self, *children: Any, **attrs: Any) -> Element:
        new = self.copy()
        new.children = self.children + children
        for k, v in attrs.items():
            new.attrs[attr_name(k)] = v
        return new

    def copy(self) -> Element:
        """A shallow copy: the same children, an attribute dict of its own."""
        new = object.__new__(type(self))
        new.children = self.children
        new._attrs = dict(self.attrs) if self._attrs else None
        return new

    def get(self, name: str, default: Any = None) -> Any:
        """The value of attribute ``name`` (Python or HTML spelling)."""
        return self.attrs.get(attr_name(name), default)

    def __html__(self) -> str:
        return Safe(render(self))

    def __str__(self) -> str:
        return render(self)

    def __repr__(self) -> str:
        attrs = "".join(f" {k}={v!r}" for k, v in self.attrs.items())
        return f"<{type(self).__name__}{attrs} children={len(self.children)}>"

    def __eq__(self, other: object) -> bool:
        return (
            type(other) is type(self)
            and self.children == other.children  # type: ignore[attr-defined]
            and self.attrs == other.attrs  # type: ignore[attr-defined]
        )

    __hash__ = None  # type: ignore[assignment]

    def _write(self, out: _Append) -> None:
        out(f"<{self.tag}{self._attrs_html()}>" if self._attrs else self._open)
        try:
            for child in self.children:
                t = type(child)
                if t is str:
                    out(escape_text(child))
                elif isinstance(child, Element):
                    child._write(out)
                elif t is int or t is float:
                    out(str(child))
                else:
                    _write_other(child, out)
        except _RenderError as err:
            err.add(self)
            raise
        out(self._close)

    def _where(self) -> str:
        ident = self.attrs.get("id")
        return f"{self.tag}#{ident}" if ident else self.tag

    def _attrs_html(self) -> str:
        try:
            return _attrs_html(self._attrs or {})
        except _AttrError as exc:
            err = _RenderError(exc.value, str(exc))
            err.path.append(self._where())
            err.node = self
            raise err from None


class VoidElement(Element):
    """An element with no content and no end tag (``<br>``, ``<input>``, ``<img>``...)."""

    __slots__ = ()
    void = True

    def _write(self, out: _Append) -> None:
        out(f"<{self.tag}{self._attrs_html()}>" if self._attrs else self._open)
        if self.children:
            err = _RenderError(self.children[0], void=self.tag)
            err.path.append(self._where())
            err.node = self
            raise err


class RawTextElement(Element):
    """``<script>`` and ``<style>``: the body is not escaped, but it cannot end the element
    early (``</script`` becomes ``<\\/script``, ``<!--`` becomes ``<\\!--``)."""

    __slots__ = ()

    def _write(self, out: _Append) -> None:
        out(f"<{self.tag}{self._attrs_html()}>" if self._attrs else self._open)
        try:
            body = "".join(_raw_text(c) for c in self.children)
        except _RenderError as err:
            err.add(self)
            raise
        out(_end_tag(self.tag).sub(r"<\\/\1", body).replace("<!--", "<\\!--"))
        out(self._close)


_END_TAGS: dict[str, re.Pattern[str]] = {}


def _end_tag(tag: str) -> re.Pattern[str]:
    pattern = _END_TAGS.get(tag)
    if pattern is None:
        pattern = _END_TAGS[tag] = re.compile(rf"</({re.escape(tag)})", re.IGNORECASE)
    return pattern


def _raw_text(child: Any) -> str:
    if child is None or child is False or child is True:
        return ""
    if isinstance(child, str):
        return child
    if hasattr(child, "__html__"):
        return str(child.__html__())
    if isinstance(child, int | float | Decimal):
        return str(child)
    raise _RenderError(child)


def _write_other(child: Any, out: _Append) -> None:
    if type(child) is Safe:  # a compiled function's content, pre-rendered head items
        out(child)
        return
    if child is None or child is False or child is True:
        return
    html = getattr(child, "__html__", None)
    if html is not None:
        out(html())
        return
    if isinstance(child, list | tuple) or _is_iterable_node_list(child):
        for item in child:
            if type(item) is str:
                out(escape_text(item))
            elif isinstance(item, Element):
                item._write(out)
            else:
                _write_other(item, out)
        return
    if isinstance(child, str):  # a str subclass without __html__
        out(escape_text(child))
    elif isinstance(child, int | float | Decimal):
        out(str(child))
    else:
        raise _RenderError(child)


def _is_iterable_node_list(value: Any) -> bool:
    # Generators and other iterables of children (but not str, bytes, dicts or mappings).
    return isinstance(value, Iterable) and not isinstance(value, str | bytes | dict)


class Doctype(Element):
    """``<!doctype html>``; ``Html`` renders it before itself, so you rarely need it."""

    __slots__ = ()
    tag = "!doctype"
    void = True

    def _write(self, out: _Append) -> None:
        out("<!doctype html>")


def render(node: Any) -> str:
    """Render a node, a string, or a list/tuple of them to an HTML string.

    Text is escaped; ``Safe`` strings and objects with ``__html__()`` are not.
    An ``Html`` element starts with ``<!doctype html>``.

    Raises:
        TypeError: a value that cannot be rendered, naming its type and where it was.
    """
    parts: list[str] = []
    out = parts.append
    try:
        if isinstance(node, Element):
            node._write(out)
        elif type(node) is str:
            return escape_text(node)
        else:
            _write_other(node, out)
    except _RenderError as err:
        raise TypeError(str(err)) from None
    return "".join(parts)


_tag_classes: dict[str, type[Element]] = {}


def tag_class(tag: str, *, void: bool | None = None, raw_text: bool = False) -> type[Element]:
    """The element class for ``tag``, made on first use (custom elements: ``my-widget``).

    >>> Widget = tag_class("my-widget")
    >>> render(Widget("hi", data_x=1))
    '<my-widget data-x="1">hi</my-widget>'
    """
    cls = _tag_classes.get(tag)
    if cls is not None:
        if (void is not None and cls.void != void) or (
                raw_text != issubclass(cls, RawTextElement) and raw_text):
            raise ValueError(
                f"<{tag}> is already defined with void={cls.void}, "
                f"raw_text={issubclass(cls, RawTextElement)}; it cannot change")
    else:
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9:._-]*", tag):
            raise ValueError(f"Not a valid tag name: {tag!r}")
        name = "".join(p[:1].upper() + p[1:] for p in re.split(r"[-:._]", tag) if p)
        is_void = tag in VOID_ELEMENTS if void is None else void
        base = RawTextElement if raw_text else VoidElement if is_void else Element
        cls = type(name, (base,), {"__slots__": (), "tag": tag, "void": is_void,
                                   "__module__": "appkit.html"})
        _tag_classes[tag] = cls
    return cls
