"""``@compiled`` gives the builder's output, byte for byte, over many random functions.

Each case writes a module of random functions that build trees (literals that need escaping,
attributes of every kind of value, f-strings, conditionals, comprehensions, starred children,
void, raw-text and custom elements, forms, ``Html``, out-of-band copies), imports it, and
calls every function with many random argument values (strings to escape, ``Safe`` and
``Markup``, numbers, ``None``/booleans, nested lists, generators, elements, values that cannot
render): the compiled function's HTML must equal the one the function as written
(``__wrapped__``) builds, and where that fails, the compiled one must fail too.
"""

from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path
from typing import Any

import pytest
from markupsafe import Markup

from appkit.html import Div, Element, Li, Safe, Span, is_compiled, render

HEADER = '''\
from __future__ import annotations

from appkit.html import (
    A, Br, Button, Div, Form, Html, Img, Input, Label, Li, P, Path, Script, Span, Style, Svg,
    Safe, Table, Td, Tr, Ul, compiled, oob, render, tag_class,
)
import appkit.html as ak

Widget = tag_class("my-widget")


class Shouty(Div):
    """A subclass that renders its own way: left to the builder."""

    __slots__ = ()

    def _write(self, out):
        out("<!-- shouty -->")
        super()._write(out)


'''

TEXTS = ['plain', 'a < b & c > d', '"quoted" \'single\'', '', 'é ünïcode ✓', '&amp;', '</script>']
ELEMENTS = ["Div", "Span", "P", "Li", "Ul", "Td", "Tr", "Label", "Button", "A", "ak.Div",
            "ak.Span", "Widget", "Svg", "Path"]
VOIDS = ["Br", "Img", "Input"]
ATTR_NAMES = ["cls", "id", "hx_post", "data_x", "for_", "title", "style", "aria_label",
              "hx_vals", "class_", "view_box", "checked"]
PARAMS = ["p0", "p1", "p2", "items"]


class Gen:
    """Random source for functions building trees from PARAMS."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def literal(self) -> str:
        r = self.rng.random()
        if r < 0.5:
            return repr(self.rng.choice(TEXTS))
        return self.rng.choice(["0", "7", "-3", "2.5", "1e20", "None", "True", "False"])

    def fstring(self) -> str:
        p = self.rng.choice(PARAMS[:3])
        spec = self.rng.choice(["", "!r", ":>6", "!s", ""])
        text = self.rng.choice(["/u/", "a&b ", "<x>", "", '"q" '])
        return f"f'{text}{{{p}{spec}}}&z'"

    def attr_value(self) -> str:
        r = self.rng.random()
        if r < 0.3:
            return self.literal()
        if r < 0.5:
            return self.fstring()
        if r < 0.7:
            return self.rng.choice(PARAMS[:3])
        if r < 0.8:
            p = self.rng.choice(PARAMS[:3])
            return f"'on' if {p} else None"
        if r < 0.9:
            return self.rng.choice(['{"a": 1, "b": [1, 2]}', '["x", "", "y"]',
                                    '{"on": True, "off": False}'])
        return f"{self.rng.choice(PARAMS[:3])} == 'plain'"

    def attrs(self, allow_star: bool = True) -> list[str]:
        names = self.rng.sample(ATTR_NAMES, self.rng.randint(0, 3))
        out = [f"{n}={self.attr_value()}" for n in names]
        if allow_star and self.rng.random() < 0.05:
            out.append('**{"hx-on:click": p0}')
        return out

    def child(self, depth: int) -> str:
        r = self.rng.random()
        if depth <= 0 or r < 0.25:
            return self.leaf()
        if r < 0.55:
            return self.element(depth - 1)
        if r < 0.62:
            p = self.rng.choice(PARAMS[:3])
            return f"({self.child(depth - 1)} if {p} else {self.child(depth - 1)})"
        if r < 0.72:
            kind = self.rng.choice(["[{} for x in items]", "({} for x in items)",
                                    "[{} for x in items if x]"])
            inner = self.rng.choice([self.element(depth - 1), "x", "f'<{x}>'"])
            inner = inner.replace("p0", "x") if self.rng.random() < 0.5 else inner
            return kind.format(inner)
        if r < 0.78:
            return "[" + ", ".join(self.child(depth - 1) for _ in range(2)) + "]"
        if r < 0.82:
            return f"[*items, {self.child(depth - 1)}]"
        if r < 0.88:
            return f"Safe(f'<i>{{{self.rng.choice(PARAMS[:3])}}}</i>')"
        if r < 0.92:
            return f"oob({self.element(depth - 1, force_id=True)})"
        return self.element(depth - 1)

    def leaf(self) -> str:
        r = self.rng.random()
        if r < 0.4:
            return self.literal()
        if r < 0.7:
            return self.rng.choice(PARAMS)
        return f"f'{self.rng.choice(['n=', '<&>', ''])}{{{self.rng.choice(PARAMS[:3])}}}'"

    def element(self, depth: int, force_id: bool = False) -> str:
        r = self.rng.random()
        attrs = self.attrs()
        if force_id:
            attrs = [a for a in attrs if not a.startswith("id=")] + ["id='oob-x'"]
        if r < 0.08:
            return f"{self.rng.choice(VOIDS)}({', '.join(attrs)})"
        if r < 0.1:
            return f"Br({self.leaf()})"          # a void with content: the builder's error
        if r < 0.14:
            body = self.rng.choice(["'var a = 1 < 2;'", "'</script><b>'", "p0", ""])
            tag = self.rng.choice(["Script", "Style"])
            return f"{tag}({', '.join(([body] if body else []) + attrs)})"
        if r < 0.2:
            enctype = self.rng.choice(["", "enctype='text/plain'", "enctype=None",
                                       "enctype=p0"])
            kids = [self.child(depth) for _ in range(self.rng.randint(0, 3))]
            if self.rng.random() < 0.5:
                kids.append("Input(type='file', name='f')")
            attrs = [a for a in attrs if not a.startswith("hx_post=")]
            parts = kids + attrs + ([enctype] if enctype else []) + ["hx_post='/x'"]
            return f"Form({', '.join(parts)})"
        if r < 0.23:
            return f"Shouty({', '.join([self.child(depth)] + attrs)})"
        name = self.rng.choice(ELEMENTS)
        kids = [self.child(depth) for _ in range(self.rng.randint(0, 4))]
        if self.rng.random() < 0.2:
            kids.insert(self.rng.randint(0, len(kids)), "*" + self.rng.choice(
                ["items", "[x for x in items]", "(p0, p1)", "(Li(x) for x in items)"]))
        return f"{name}({', '.join(kids + attrs)})"

    def root(self) -> str:
        r = self.rng.random()
        if r < 0.3:
            return f"render({self.element(3)})"
        if r < 0.4:
            return f"ak.render(Html(Div({self.child(2)}), lang={self.attr_value()}))"
        if r < 0.5:
            return f"({self.element(2)}, {self.element(2)})"
        if r < 0.6:
            return f"{self.element(2)} if p2 else {self.element(2)}"
        return self.element(3)

    def function(self, name: str) -> str:
        lines = [f"def {name}(p0, p1, p2, items):"]
        if self.rng.random() < 0.2:
            lines.append(f"    if p1 == 7:\n        return {self.root()}")
        lines.append(f"    return {self.root()}")
        return "@compiled\n" + "\n".join(lines) + "\n\n\n"


def _gen_value(rng: random.Random, depth: int = 2) -> Any:
    r = rng.random()
    if r < 0.3:
        return rng.choice(TEXTS)
    if r < 0.4:
        return rng.choice([Safe("<b>safe & sound</b>"), Markup("<em>m</em>")])
    if r < 0.55:
        return rng.choice([0, 7, -1, 3.25, 1e100, float("inf")])
    if r < 0.7:
        return rng.choice([None, True, False])
    if r < 0.8 and depth > 0:
        return [_gen_value(rng, depth - 1) for _ in range(rng.randint(0, 3))]
    if r < 0.85 and depth > 0:
        return tuple(_gen_value(rng, depth - 1) for _ in range(2))
    if r < 0.92:
        return rng.choice([Span("el & <span>", cls="x"), Li(Div("nested"), id="li-1")])
    if r < 0.96:
        return {"k": "v"}
    return object()                                  # cannot render: an error both ways


def _outcome(fn: Any, args: list[Any]) -> tuple[str, Any]:
    try:
        result = fn(*args)
        html = render(result)
    except (TypeError, ValueError):
        # Which error comes first may differ when a tree has two (a compiled function renders
        # a value as it goes, the builder when the tree is done): that there is one may not.
        return ("error", None)
    shape: Any = type(result)
    if isinstance(result, Element):
        shape = (type(result), result.attrs)
    elif isinstance(result, tuple):
        shape = tuple((type(r), r.attrs if isinstance(r, Element) else None) for r in result)
    return (html, shape)


def _load(tmp_path: Path, name: str, source: str) -> Any:
    path = tmp_path / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[name]
    return module


@pytest.mark.parametrize("seed", range(12))
def test_compiled_output_is_the_builders(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    gen = Gen(rng)
    names = [f"f{i}" for i in range(25)]
    source = HEADER + "".join(gen.function(n) for n in names)
    module = _load(tmp_path, f"compiled_random_{seed}", source)
    compiled_count = 0
    for name in names:
        fn = getattr(module, name)
        compiled_count += is_compiled(fn)
        for _ in range(12):
            args = [_gen_value(rng) for _ in range(3)] + [
                [_gen_value(rng, 1) for _ in range(rng.randint(0, 3))]]
            # A generator can be consumed once: each side gets its own.
            gen_args = [list(a) if isinstance(a, list) else a for a in args]
            expected = _outcome(fn.__wrapped__ if is_compiled(fn) else fn, args)
            got = _outcome(fn, gen_args)
            assert got == expected, (name, args, "\n" + source)
    assert compiled_count >= len(names) * 3 // 4   # most of them really were compiled
