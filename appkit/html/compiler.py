"""``@compiled``: a function that builds a tree, with the tree's static parts rendered once.

The decorator reads the function's source and rewrites the trees its ``return`` statements
build (an element call, ``render(...)`` of one, or a tuple of them), once, when the function is
decorated: every tag, attribute name and literal (a string, a number, ``True``...) is rendered
there and then, and what the function computes (names, attributes of objects, f-strings,
calls, comprehensions) is escaped and joined into those strings each time it runs, by the same
rules as the builder. Nothing else about the function changes: its code runs every time, with
the values it has then, so nothing that varies is frozen.

What a compiled function returns:

- ``return render(Table(...))``: the HTML string, as before;
- ``return Tr(..., id=...)``: a real ``Tr`` with the same attributes, whose content is one
  ``Safe`` string (its ``.children`` is that one string, not the child elements);
- anything else (a variable, a helper's result, ``oob(...)``): the same value, not compiled.

Element calls elsewhere (assigned to a variable, passed to a helper) stay elements, as do
elements whose class renders in its own way (a subclass with its own ``_write``, ``<script>``
with computed content, ``<form>`` without a literal ``enctype``: its children are compiled).
Each call checks that the element names are still bound to the classes they were bound to
when it was decorated, and runs the function as written if not. Without source (an app frozen
without its ``.py`` files) the function is returned as it was. See docs/html.md.
"""

from __future__ import annotations
import __future__

import ast
import builtins
import inspect
import textwrap
import threading
import types
from collections.abc import Callable
from typing import Any, TypeVar

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

__all__ = ["compiled", "is_compiled"]

F = TypeVar("F", bound=Callable[..., Any])

_FUTURE_FLAGS = 0
for _feature in __future__.all_feature_names:
    _FUTURE_FLAGS |= getattr(__future__, _feature).compiler_flag
_GENERATOR_FLAGS = inspect.CO_GENERATOR | inspect.CO_ASYNC_GENERATOR
_SHAPE_FLAGS = inspect.CO_VARARGS | inspect.CO_VARKEYWORDS | inspect.CO_COROUTINE


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


def _kind(obj: Any) -> str | None:
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


class _Compiler:
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
        kind = _kind(cls)
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


class _Returns(ast.NodeTransformer):
    """Compiles the function's own ``return`` values (not those of nested functions)."""

    def __init__(self, compiler: _Compiler) -> None:
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


def _local_names(code: types.CodeType) -> set[str]:
    names = set(code.co_varnames) | set(code.co_cellvars)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _local_names(const)
    return names


def _forward(args: ast.arguments, fn: str) -> ast.expr:
    """``fn(...)`` passing on the function's own parameters."""
    positional: list[ast.expr] = [ast.Name(a.arg, ast.Load())
                                  for a in [*args.posonlyargs, *args.args]]
    if args.vararg is not None:
        positional.append(ast.Starred(ast.Name(args.vararg.arg, ast.Load()), ast.Load()))
    keywords = [ast.keyword(a.arg, ast.Name(a.arg, ast.Load())) for a in args.kwonlyargs]
    if args.kwarg is not None:
        keywords.append(ast.keyword(None, ast.Name(args.kwarg.arg, ast.Load())))
    return ast.Call(func=ast.Name(fn, ast.Load()), args=positional, keywords=keywords)


# code object -> (source, first line, the callees' names); (code, what each callee name was
# bound to) -> the compiled code and its cells. Bounded: past the size, nothing more is kept.
_sources: dict[types.CodeType, tuple[str, int, list[ast.expr]] | None] = {}
_plans: dict[tuple[Any, ...], tuple[tuple[Any, ...], types.CodeType | None, dict[str, Any]]] = {}
_CACHE_SIZE = 1024
_lock = threading.Lock()


def _source(code: types.CodeType) -> tuple[str, int, list[ast.expr]] | None:
    if code in _sources:
        return _sources[code]
    found: tuple[str, int, list[ast.expr]] | None = None
    try:
        lines, start = inspect.getsourcelines(code)
        text = textwrap.dedent("".join(lines))
        tree = ast.parse(text)
    except (OSError, TypeError, SyntaxError):
        pass
    else:
        callees = {ast.dump(n.func): n.func for n in ast.walk(tree)
                   if isinstance(n, ast.Call) and isinstance(n.func, ast.Name | ast.Attribute)}
        found = (text, start, list(callees.values()))
    with _lock:
        if len(_sources) < _CACHE_SIZE:
            _sources[code] = found
    return found


def _compile(fn: types.FunctionType) -> types.FunctionType | None:
    code = fn.__code__
    found = _source(code)
    if found is None:
        return None
    text, start, callees = found
    # The compiled code depends on the code and on which element class (or render) each
    # callee name is bound to: a closure's names, or a module's, may differ between two
    # functions made from the same code.
    probe = _Compiler(fn, _local_names(code))
    bound = tuple(obj if (_kind(obj) is not None or obj is render) else None
                  for obj in map(probe.resolve, callees))
    key = (code, *map(id, bound))
    plan = _plans.get(key)
    if plan is None or not all(a is b for a, b in zip(plan[0], bound, strict=True)):
        inner, cells = _plan(fn, text, start)
        plan = (bound, inner, cells)
        with _lock:
            if len(_plans) < _CACHE_SIZE:
                _plans[key] = plan
    _, inner, cells = plan
    if inner is None:
        return None
    values = {"_ak_orig": fn, **cells}
    originals = dict(zip(code.co_freevars, fn.__closure__ or (), strict=True))
    closure = tuple(originals[name] if name in originals else types.CellType(values[name])
                    for name in inner.co_freevars)
    new = types.FunctionType(inner, fn.__globals__, fn.__name__, fn.__defaults__, closure)
    new.__kwdefaults__ = fn.__kwdefaults__
    new.__qualname__ = fn.__qualname__
    new.__doc__ = fn.__doc__
    new.__module__ = fn.__module__
    new.__annotations__ = fn.__annotations__
    new.__dict__.update(fn.__dict__)
    new.__wrapped__ = fn  # type: ignore[attr-defined]
    new.__appkit_compiled__ = True  # type: ignore[attr-defined]
    return new


def _plan(fn: types.FunctionType, text: str, start: int
          ) -> tuple[types.CodeType | None, dict[str, Any]]:
    """The compiled code of ``fn`` and the values of its cells (None: nothing compiled)."""
    code = fn.__code__
    tree = ast.parse(text)
    funcdef = tree.body[0] if tree.body else None
    if not isinstance(funcdef, ast.FunctionDef | ast.AsyncFunctionDef) \
            or funcdef.name != code.co_name:
        return None, {}
    if any((isinstance(n, ast.Name) and n.id.startswith("_ak_"))
           or (isinstance(n, ast.arg) and n.arg.startswith("_ak_")) for n in ast.walk(funcdef)):
        return None, {}
    ast.increment_lineno(tree, start - 1)
    if funcdef.decorator_list:       # the code's first line is the first decorator's
        funcdef.lineno = funcdef.decorator_list[0].lineno
        funcdef.decorator_list = []
    compiler = _Compiler(fn, _local_names(code))
    _Returns(compiler).generic_visit(funcdef)
    if not compiler.changed:
        return None, {}
    is_async = isinstance(funcdef, ast.AsyncFunctionDef)
    fallback: ast.expr = _forward(funcdef.args, "_ak_orig")
    if is_async:
        fallback = ast.Await(fallback)
    tests: list[ast.expr] = [ast.Compare(node, [ast.IsNot()], [ast.Name(cell, ast.Load())])
                             for node, cell in compiler.guards.values()]
    check = ast.If(test=ast.BoolOp(ast.Or(), tests) if len(tests) > 1 else tests[0],
                   body=[ast.Return(fallback)], orelse=[])
    body = funcdef.body
    has_doc = bool(body) and isinstance(body[0], ast.Expr) and isinstance(
        body[0].value, ast.Constant) and isinstance(body[0].value.value, str)
    ast.copy_location(check, body[0])
    body.insert(1 if has_doc else 0, check)
    cells = ["_ak_orig", *compiler.cells, *code.co_freevars]
    factory = ast.FunctionDef(
        name="_ak_factory",
        args=ast.arguments(posonlyargs=[], args=[ast.arg(c) for c in cells], kwonlyargs=[],
                           kw_defaults=[], defaults=[]),
        body=[funcdef, ast.Return(ast.Name(funcdef.name, ast.Load()))],
        decorator_list=[])
    ast.copy_location(factory, funcdef)
    module = ast.Module(body=[factory], type_ignores=[])
    ast.fix_missing_locations(module)
    try:
        module_code = compile(module, code.co_filename, "exec",
                              flags=code.co_flags & _FUTURE_FLAGS, dont_inherit=True)
    except (SyntaxError, ValueError):
        return None, {}
    inner = _inner(module_code, code.co_name)
    if inner is None or not _same_shape(inner, code):
        return None, {}
    return inner, compiler.cells


def _inner(module_code: types.CodeType, name: str) -> types.CodeType | None:
    for const in module_code.co_consts:
        if isinstance(const, types.CodeType) and const.co_name == "_ak_factory":
            for inner in const.co_consts:
                if isinstance(inner, types.CodeType) and inner.co_name == name:
                    return inner
    return None


def _same_shape(new: types.CodeType, old: types.CodeType) -> bool:
    """The source read is the function's (the same parameters), not an edited file's."""
    n = old.co_argcount + old.co_kwonlyargcount + bool(old.co_flags & inspect.CO_VARARGS) \
        + bool(old.co_flags & inspect.CO_VARKEYWORDS)
    return (new.co_argcount == old.co_argcount
            and new.co_posonlyargcount == old.co_posonlyargcount
            and new.co_kwonlyargcount == old.co_kwonlyargcount
            and new.co_varnames[:n] == old.co_varnames[:n]
            and new.co_flags & _SHAPE_FLAGS == old.co_flags & _SHAPE_FLAGS
            and set(new.co_freevars) >= set(old.co_freevars) - {"__class__"}
            and new.co_firstlineno == old.co_firstlineno)


def compiled(fn: F) -> F:
    """Render the static parts of the trees ``fn`` returns once, when it is decorated.

    ``fn`` runs as written on every call; only the way its returned tree is turned into
    HTML changes (see the module's docstring): the output is the same, byte for byte.

    >>> @compiled
    ... def row(user):
    ...     return Tr(Td(user.name), Td(A("Edit", href=f"/users/{user.id}")), id=f"u{user.id}")

    Raises:
        TypeError: ``fn`` is not a function, or is a generator.
    """
    if not isinstance(fn, types.FunctionType):
        raise TypeError(
            f"@compiled applies to a function (def or async def), not {type(fn).__name__} "
            f"{fn!r:.60}: put it directly above the def")
    if fn.__code__.co_flags & _GENERATOR_FLAGS:
        raise TypeError(
            f"@compiled cannot compile the generator {fn.__qualname__}: it compiles the trees "
            "a function returns; return a list (or a tree) instead of yielding")
    try:
        new = _compile(fn)
    except RecursionError:      # a tree nested too deeply to walk: leave it to the builder
        new = None
    return fn if new is None else new  # type: ignore[return-value]


def is_compiled(fn: Callable[..., Any]) -> bool:
    """True when ``@compiled`` compiled ``fn`` (False: the source could not be read, or it
    returns nothing it can compile)."""
    return getattr(fn, "__appkit_compiled__", False) is True
