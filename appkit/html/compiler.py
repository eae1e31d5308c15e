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
import inspect
import textwrap
import threading
import types
from collections.abc import Callable
from typing import Any, TypeVar

from appkit.html.nodes import render
from appkit.html.rewrite import Compiler, Returns, kind_of

__all__ = ["compiled", "is_compiled"]

F = TypeVar("F", bound=Callable[..., Any])

_FUTURE_FLAGS = 0
for _feature in __future__.all_feature_names:
    _FUTURE_FLAGS |= getattr(__future__, _feature).compiler_flag
_GENERATOR_FLAGS = inspect.CO_GENERATOR | inspect.CO_ASYNC_GENERATOR
_SHAPE_FLAGS = inspect.CO_VARARGS | inspect.CO_VARKEYWORDS | inspect.CO_COROUTINE


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
    probe = Compiler(fn, _local_names(code))
    bound = tuple(obj if (kind_of(obj) is not None or obj is render) else None
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
    compiler = Compiler(fn, _local_names(code))
    Returns(compiler).generic_visit(funcdef)
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
