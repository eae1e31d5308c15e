"""How ``@compiled`` rewrites the trees a function returns (see ``compiler.py``).

``Compiler`` turns each returned element call into pieces: static strings, rendered here by
the builder's own code, and expressions, each wrapped in the builder's rule for where it
stands (content, an attribute, a part of an f-string). The pieces become one f-string.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import types
from typing import Any

from appkit.html.elements import Form, Html
from appkit.html.nodes import (
    Element,
    RawTextElement,
    Safe,
    VoidElement,
    _attrs_html,
    attr_html,
    attr_name,
    escape_attr,
    escape_text,
    render,
)

__all__ = ["Returns", "Compiler", "kind_of"]


def _child_html(value: Any) -> str:
    """A value known only when the function runs, rendered as a child (the builder's rules)."""
    t = type(value)
    if t is str:
        if "&" in value or "<" in value or ">" in value:
            return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return value
    if t is int or t is float:
        return str(value)
    return render(value)


def _text_part(text: str) -> str:
    """One formatted part of an f-string child, escaped (as a str: ``format`` may return a
    subclass, ``Markup`` for one, whose methods would escape again)."""
    if type(text) is not str:
        text = str.__str__(text)
    if "&" in text or "<" in text or ">" in text:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text


def _attr_part(text: str) -> str:
    """One formatted part of an f-string attribute value, escaped."""
    if type(text) is not str:
        text = str.__str__(text)
    if "&" in text or "<" in text or ">" in text or '"' in text:
        return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                .replace('"', "&quot;"))
    return text


_HELPERS: dict[str, Any] = {
    "_ak_child": _child_html,
    "_ak_attr": attr_html,
    "_ak_et": _text_part,
    "_ak_ea": _attr_part,
    "_ak_render": render,
    "_ak_tuple": tuple,
    "_ak_join": "".join,
    "_ak_Safe": Safe,
}

# What each kind of element class needs to be inlined: how it renders.
_ELEMENT, _VOID, _HTML, _FORM, _RAW = "element", "void", "html", "form", "raw"


def kind_of(obj: Any) -> str | None:
    """How an element class renders, if it is one of appkit's ways; None otherwise."""
    if not (isinstance(obj, type) and issubclass(obj, Element)) or type(obj) is not type:
        return None
    if (obj.__init__ is not Element.__init__ or obj.__new__ is not object.__new__  # type: ignore[misc]
            or obj._attrs_html is not Element._attrs_html):
        return None
    if obj._open != f"<{obj.tag}>" or obj._close != ("" if obj.void else f"</{obj.tag}>"):
        return None
    write = obj._write
    if write is Element._write and not obj.void:
        return _ELEMENT
    if write is VoidElement._write and obj.void:
        return _VOID
    if write is Html._write and not obj.void:
        return _HTML
    if write is Form._write and not obj.void:
        return _FORM
    if write is RawTextElement._write and not obj.void:
        return _RAW
    return None


Piece = str | ast.expr


def _expr(pieces: list[Piece]) -> ast.expr:
    """One expression (a str) for the pieces: a constant, the one expression, or an f-string."""
    merged: list[Piece] = []
    for piece in pieces:
        if isinstance(piece, str):
            if not piece:
                continue
            if merged and isinstance(merged[-1], str):
                merged[-1] += piece
                continue
        merged.append(piece)
    if not merged:
        return ast.Constant("")
    if len(merged) == 1:
        only = merged[0]
        return ast.Constant(only) if isinstance(only, str) else only
    return ast.JoinedStr([
        ast.Constant(p) if isinstance(p, str)
        else ast.FormattedValue(value=p, conversion=-1, format_spec=None)
        for p in merged
    ])


def _call(name: str, *args: ast.expr) -> ast.expr:
    return ast.Call(func=ast.Name(name, ast.Load()), args=list(args), keywords=[])


class Compiler:
    """Rewrites one function's ``return`` trees; collects the cells the new code needs."""

    def __init__(self, fn: types.FunctionType, local_names: set[str]) -> None:
        self.fn = fn
        self.local_names = local_names
        self.cells: dict[str, Any] = dict(_HELPERS)
        self.guards: dict[str, tuple[ast.expr, str]] = {}   # dump of the name -> (node, cell)
        self.temps = 0
        self.changed = False

    # ---- names ------------------------------------------------------------------------

    def resolve(self, node: ast.expr) -> Any:
        """What a name (``Td``, ``ak.Td``) is bound to now; None if it cannot be known."""
        if isinstance(node, ast.Name):
            name = node.id
            if name in self.local_names:
                return None
            code = self.fn.__code__
            if name in code.co_freevars:
                cell = (self.fn.__closure__ or ())[code.co_freevars.index(name)]
                try:
                    return cell.cell_contents
                except ValueError:
                    return None
            if name in self.fn.__globals__:
                return self.fn.__globals__[name]
            return getattr(builtins, name, None)
        if isinstance(node, ast.Attribute):
            base = self.resolve(node.value)
            if inspect.ismodule(base):
                return getattr(base, node.attr, None)
        return None

    def guard(self, node: ast.expr, obj: Any) -> None:
        """Check, on each call, that ``node`` is still bound to ``obj``."""
        key = ast.dump(node)
        if key not in self.guards:
            cell = f"_ak_g{len(self.guards)}"
            self.cells[cell] = obj
            self.guards[key] = (node, cell)

    def element(self, node: ast.expr) -> tuple[type[Element], str] | None:
        """The element class and its kind, if ``node`` is a call to one that can be compiled."""
        if not isinstance(node, ast.Call):
            return None
        cls = self.resolve(node.func)
        kind = kind_of(cls)
        if kind is None:
            return None
        seen_keyword: tuple[int, int] | None = None
        for kw in node.keywords:
            if kw.arg is None:          # **attrs: names known only when it runs
                return None
            try:
                attr_name(kw.arg)
            except ValueError:          # let the builder raise it, where it always has
                return None
            place = (kw.lineno, kw.col_offset)
            seen_keyword = place if seen_keyword is None else min(seen_keyword, place)
        if seen_keyword is not None and any(
                (a.lineno, a.col_offset) > seen_keyword for a in node.args):
            return None                 # Div(cls=x, *kids): keep Python's own order
        return cls, kind

    # ---- pieces -----------------------------------------------------------------------

    def inline(self, node: ast.Call, cls: type[Element], kind: str) -> list[Piece] | None:
        """The pieces of an element written out in full, or None if it cannot be."""
        if kind == _FORM:
            enctype = [kw for kw in node.keywords if attr_name(kw.arg or "") == "enctype"]
            if not enctype or not all(isinstance(kw.value, ast.Constant) for kw in enctype) \
                    or enctype[-1].value.value is None:  # type: ignore[attr-defined]
                return None
        if kind == _VOID and node.args:
            return None
        self.guard(node.func, cls)
        self.changed = True
        raw_body: str | None = None
        if kind == _RAW:
            if not all(isinstance(a, ast.Constant) and type(a.value) is str for a in node.args):
                return None
            whole = render(cls(*[a.value for a in node.args]))  # type: ignore[attr-defined]
            raw_body = whole[len(cls._open):len(whole) - len(cls._close)]
        opening: list[Piece] = ["<!doctype html>" if kind == _HTML else "", f"<{cls.tag}"]
        dynamic_attrs = False
        for kw in node.keywords:
            name = attr_name(kw.arg or "")
            value = kw.value
            if isinstance(value, ast.Constant) and type(value.value) in (
                    str, int, float, bool, type(None)):
                opening.append(_attrs_html({kw.arg or name: value.value}))
            elif isinstance(value, ast.JoinedStr):
                opening.append(f' {name}="')
                for part in value.values:
                    if isinstance(part, ast.Constant):
                        opening.append(escape_attr(str(part.value)))
                    else:
                        opening.append(_call("_ak_ea", ast.JoinedStr([part])))
                        dynamic_attrs = True
                opening.append('"')
            else:
                opening.append(_call("_ak_attr", ast.Constant(name), value))
                dynamic_attrs = True
        opening.append(">")
        if raw_body is not None:
            return [*opening, raw_body, cls._close]
        content: list[Piece] = []
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                content += self.starred(arg.value)
            else:
                content += self.child(arg)
        if dynamic_attrs and any(not isinstance(p, str) for p in content):
            # The builder computes the children before the attributes: so does this.
            temp = f"_ak_t{self.temps}"
            self.temps += 1
            first = ast.Subscript(
                value=ast.NamedExpr(ast.Name(temp, ast.Store()), _expr(content)),
                slice=ast.Slice(upper=ast.Constant(0)), ctx=ast.Load())
            return [first, *opening, ast.Name(temp, ast.Load()), cls._close]
        return [*opening, *content, cls._close]

    def partial(self, node: ast.Call, cls: type[Element]) -> ast.Call:
        """The element made as written, but with its children compiled into one ``Safe``."""
        content: list[Piece] = []
        for arg in node.args:
            content += self.starred(arg.value) if isinstance(arg, ast.Starred) else self.child(arg)
        self.guard(node.func, cls)
        self.changed = True
        body = _expr(content)
        if isinstance(body, ast.Constant):
            cell = f"_ak_s{len(self.cells)}"
            self.cells[cell] = Safe(body.value)
            safe: ast.expr = ast.Name(cell, ast.Load())
        else:
            safe = _call("_ak_Safe", body)
        return ast.Call(func=node.func, args=[safe], keywords=node.keywords)

    def child(self, node: ast.expr) -> list[Piece]:
        """The pieces of one child (the builder's rules for each kind of value)."""
        if isinstance(node, ast.Constant):
            value = node.value
            if value is None or value is True or value is False:
                return []
            if type(value) is str:
                return [escape_text(value)]
            if type(value) is int or type(value) is float:
                return [str(value)]
        elif isinstance(node, ast.JoinedStr):
            return [escape_text(str(p.value)) if isinstance(p, ast.Constant)
                    else _call("_ak_et", ast.JoinedStr([p])) for p in node.values]
        elif isinstance(node, ast.Call):
            found = self.element(node)
            if found is not None:
                cls, kind = found
                inlined = self.inline(node, cls, kind)
                if inlined is not None:
                    return inlined
                if kind in (_ELEMENT, _HTML, _FORM) and node.args:
                    return [_call("_ak_child", self.partial(node, cls))]
        elif isinstance(node, ast.IfExp):
            return [ast.IfExp(test=node.test, body=_expr(self.child(node.body)),
                              orelse=_expr(self.child(node.orelse)))]
        elif isinstance(node, ast.ListComp | ast.GeneratorExp):
            # Consumed where the function runs (the builder would iterate a generator when
            # rendering, after the function returned: the same values).
            return [_call("_ak_join", ast.ListComp(elt=_expr(self.child(node.elt)),
                                                   generators=node.generators))]
        elif isinstance(node, ast.List | ast.Tuple):
            pieces: list[Piece] = []
            for item in node.elts:
                pieces += self.starred(item.value) if isinstance(item, ast.Starred) \
                    else self.child(item)
            return pieces
        return [_call("_ak_child", node)]

    def starred(self, node: ast.expr) -> list[Piece]:
        """The pieces of ``*node`` among the children."""
        if isinstance(node, ast.ListComp | ast.GeneratorExp | ast.List | ast.Tuple):
            return self.child(node)
        return [_call("_ak_render", _call("_ak_tuple", node))]

    # ---- roots ------------------------------------------------------------------------

    def root(self, node: ast.expr) -> ast.expr | None:
        """A returned value compiled, or None to leave it."""
        if isinstance(node, ast.Call):
            if (self.resolve(node.func) is render and len(node.args) == 1
                    and not node.keywords and not isinstance(node.args[0], ast.Starred)):
                found = self.element(node.args[0])
                if found is not None:
                    cls, kind = found
                    pieces = self.inline(node.args[0], cls, kind)  # type: ignore[arg-type]
                    if pieces is not None:
                        self.guard(node.func, render)
                        return _expr(pieces)
                    if kind in (_ELEMENT, _HTML, _FORM) and node.args[0].args:  # type: ignore[attr-defined]
                        return ast.Call(func=node.func, args=[
                            self.partial(node.args[0], cls)], keywords=[])  # type: ignore[arg-type]
                return None
            found = self.element(node)
            if found is not None and found[1] in (_ELEMENT, _HTML, _FORM) and node.args:
                return self.partial(node, found[0])
            return None
        if isinstance(node, ast.Tuple | ast.List):
            new = [self.root(item) if not isinstance(item, ast.Starred) else None
                   for item in node.elts]
            if all(n is None for n in new):
                return None
            return type(node)(elts=[n if n is not None else old
                                    for n, old in zip(new, node.elts, strict=True)],
                              ctx=ast.Load())
        if isinstance(node, ast.IfExp):
            body, orelse = self.root(node.body), self.root(node.orelse)
            if body is None and orelse is None:
                return None
            return ast.IfExp(test=node.test, body=body or node.body, orelse=orelse or node.orelse)
        return None


class Returns(ast.NodeTransformer):
    """Compiles the function's own ``return`` values (not those of nested functions)."""

    def __init__(self, compiler: Compiler) -> None:
        self.compiler = compiler

    def visit_Return(self, node: ast.Return) -> ast.Return:  # noqa: N802 (ast's naming)
        if node.value is not None:
            new = self.compiler.root(node.value)
            if new is not None:
                node.value = ast.copy_location(new, node.value)
        return node

    def _skip(self, node: ast.AST) -> ast.AST:
        return node

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = visit_ClassDef = _skip  # noqa: N815
