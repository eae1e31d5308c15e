"""``@compiled``: what a compiled function returns, what is static and what is not, the cache
of compiled code and its keys, the fall-backs."""

from __future__ import annotations

import importlib.util
import itertools
import re
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import appkit.html as ak
from appkit.html import (
    A,
    Div,
    Element,
    Form,
    Html,
    Input,
    Li,
    Safe,
    Span,
    Td,
    Tr,
    Ul,
    compiled,
    is_compiled,
    render,
)
from appkit.html import compiler as compiled_module
from appkit.live.component_diff import rendered
from tests.conftest import run_async

_counter = itertools.count()


def load(tmp_path: Path, source: str) -> ModuleType:
    """A module written to a file, so that its functions have source to read."""
    name = f"compiled_case_{next(_counter)}"
    path = tmp_path / f"{name}.py"
    path.write_text("from __future__ import annotations\n\n" + textwrap.dedent(source))
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@dataclass
class User:
    id: int
    name: str


@compiled
def row(user: User, selected: bool = False) -> Tr:
    return Tr(Td(user.id), Td(user.name),
              Td(A("Edit", href=f"/users/{user.id}?tab=a&b", cls="btn")),
              id=f"user-{user.id}", cls={"selected": selected})


@compiled
def table(users: list[User]) -> str:
    return render(ak.Table(ak.Tbody(*[row(u) for u in users], id="users", data_keyed=True)))


@compiled
def page(title: str, users: list[User]) -> tuple[Element, Element]:
    """A page: a title and the main content."""
    return ak.Title(title), ak.Main(ak.H1(title), Ul(Li(u.name) for u in users))


def test_what_a_compiled_function_returns() -> None:
    users = [User(1, "Ann <&>"), User(2, 'Bob "B"')]
    assert is_compiled(row) and is_compiled(table) and is_compiled(page)
    # An element: a real one, with its attributes; its content is one Safe string.
    tr = row(users[0], selected=True)
    assert type(tr) is Tr
    assert tr.attrs == {"id": "user-1", "class": {"selected": True}}
    assert tr.children == (Safe(
        '<td>1</td><td>Ann &lt;&amp;&gt;</td>'
        '<td><a href="/users/1?tab=a&amp;b" class="btn">Edit</a></td>'),)
    assert type(tr.children[0]) is Safe
    assert render(tr) == render(row.__wrapped__(users[0], selected=True))
    # render(...): the string.
    html = table(users)
    assert type(html) is str and html == table.__wrapped__(users)
    # A tuple: each item.
    title, main = page("Users", users)
    assert type(title) is ak.Title and type(main) is ak.Main
    assert render((title, main)) == render(page.__wrapped__("Users", users))
    assert page.__doc__ == "A page: a title and the main content."
    assert page.__name__ == "page" and page.__wrapped__.__name__ == "page"


def test_keyed_rows_from_a_compiled_row_function_still_diff_row_by_row() -> None:
    # A live component's keyed collection sees real rows with their ids.
    users = [User(1, "Ann"), User(2, "Bob")]
    root = Div(ak.Table(ak.Tbody(*[row(u) for u in users], id="users", data_keyed=True)),
               id="c")
    found = rendered(root)
    assert [i for i, _, _ in found.rows["users"]] == ["user-1", "user-2"]
    assert found.html == render(Div(ak.Table(ak.Tbody(
        *[row.__wrapped__(u) for u in users], id="users", data_keyed=True)), id="c"))


def test_only_literals_are_static(tmp_path: Path) -> None:
    module = load(tmp_path, """
        from appkit.html import Div, P, Span, compiled, render

        LABEL = "first"
        def now():
            return COUNT[0]
        COUNT = [0]

        @compiled
        def f(x):
            return render(Div(P(LABEL), Span(now()), title=LABEL.upper(), data_n=COUNT[0]))
    """)
    f = module.f
    assert is_compiled(f)
    assert f(1) == '<div title="FIRST" data-n="0"><p>first</p><span>0</span></div>'
    # A module global, a function's result, a mutable value: read on each call.
    module.LABEL = "second <&>"
    module.COUNT[0] = 5
    assert f(1) == ('<div title="SECOND &lt;&amp;&gt;" data-n="5"><p>second &lt;&amp;&gt;</p>'
                    '<span>5</span></div>')


def test_a_rebound_element_name_falls_back_to_the_function_as_written(tmp_path: Path) -> None:
    module = load(tmp_path, """
        from appkit.html import Div, Script, Span, compiled, render

        @compiled
        def f(x):
            return render(Div(Span(x), Script(src="/a.js"), cls="a"))
    """)
    assert module.f("<x>") == ('<div class="a"><span>&lt;x&gt;</span>'
                               '<script src="/a.js"></script></div>')
    module.Span = ak.Strong                  # the name now means another element
    assert module.f("<x>") == ('<div class="a"><strong>&lt;x&gt;</strong>'
                               '<script src="/a.js"></script></div>')
    module.Span = ak.Span
    module.Script = ak.Style
    assert module.f("x") == '<div class="a"><span>x</span><style src="/a.js"></style></div>'
    module.render = lambda node: "custom render"
    assert module.f("x") == "custom render"


def test_the_cache_is_keyed_by_code_and_by_what_the_names_are_bound_to() -> None:
    def make(tag: type[Element], cls: str) -> Any:
        @compiled
        def f(x: Any) -> str:
            return render(tag(x, cls=cls))
        return f

    span, li = make(Span, "s"), make(Li, "l")
    span2 = make(Span, "t")
    assert is_compiled(span) and is_compiled(li) and is_compiled(span2)
    # Same code, a closure binding another element class: compiled for that class.
    assert span("x") == '<span class="s">x</span>' and li("x") == '<li class="l">x</li>'
    # Same code and classes: the compiled code is shared, each function has its own cells.
    assert span.__code__ is span2.__code__ and li.__code__ is not span.__code__
    assert span2("y") == '<span class="t">y</span>'
    assert span("<") == '<span class="s">&lt;</span>'


def test_a_closure_value_rebound_later_is_seen() -> None:
    label = "one"

    @compiled
    def f() -> str:
        return render(Div(Span(label)))

    assert f() == "<div><span>one</span></div>"
    label = "two <b>"
    assert f() == "<div><span>two &lt;b&gt;</span></div>"


def test_children_are_computed_before_attributes_as_the_builder_does() -> None:
    def run(fn: Any) -> tuple[str, list[str]]:
        calls: list[str] = []

        def note(what: str) -> str:
            calls.append(what)
            return what
        return render(fn(note)), calls

    @compiled
    def f(note: Any) -> str:
        return render(Div(Span(note("a"), title=note("b")), note("c"),
                          A(note("d"), Span(note("e")), href=note("f")), id=note("g")))

    assert is_compiled(f)
    assert run(f) == run(f.__wrapped__)
    assert run(f)[1] == ["a", "b", "c", "d", "e", "f", "g"]


def test_each_expression_runs_once() -> None:
    @compiled
    def f(items: Any) -> str:
        return render(Ul(*items, Li("end"), cls="x"))

    assert f(iter([Li(1), "two <"])) == '<ul class="x"><li>1</li>two &lt;<li>end</li></ul>'
    assert f(Li(n) for n in range(2)) == '<ul class="x"><li>0</li><li>1</li><li>end</li></ul>'


def test_forms_decide_their_enctype_from_their_content() -> None:
    @compiled
    def f(field: Any, enctype: str | None = None) -> Element:
        return Div(Form(field, hx_post="/x", enctype=enctype), Form(Input(name="a"),
                                                                   enctype="text/plain"))

    for field in (Input(type="file", name="f"), Input(name="t"), "text"):
        for enctype in (None, "text/plain"):
            assert render(f(field, enctype)) == render(f.__wrapped__(field, enctype))
    assert 'enctype="multipart/form-data" hx-encoding="multipart/form-data"' in render(
        f(Input(type="file", name="f")))


def test_html_documents_keep_their_doctype_and_their_class() -> None:
    @compiled
    def doc(title: str) -> Element:
        return Html(ak.Head(ak.Title(title)), ak.Body(ak.P("hi")), lang="en")

    result = doc("T & T")
    assert isinstance(result, Html)
    assert render(result) == ('<!doctype html><html lang="en"><head><title>T &amp; T</title>'
                              "</head><body><p>hi</p></body></html>")


def test_async_functions_and_parameters_of_every_kind(tmp_path: Path) -> None:
    module = load(tmp_path, """
        from appkit.html import Div, Span, compiled

        @compiled
        async def f(a, /, b=2, *rest, c, d=4, **more):
            return Div(Span(a), Span(b), Span(len(rest)), Span(c), Span(d), Span(len(more)))

        class View:
            @compiled
            def show(self, x):
                return Div(Span(x), Span(type(self).__name__))
    """)
    assert is_compiled(module.f) and is_compiled(module.View.show)
    html = render(run_async(module.f(1, 3, 5, 6, c=7, e=8)))
    assert html == ("<div><span>1</span><span>3</span><span>2</span><span>7</span>"
                    "<span>4</span><span>1</span></div>")
    assert render(module.View().show("v")) == "<div><span>v</span><span>View</span></div>"
    # The fall-back passes every kind of parameter on, as given.
    module.Span = ak.B
    html = render(run_async(module.f(1, c=7)))
    assert html == "<div><b>1</b><b>2</b><b>0</b><b>7</b><b>4</b><b>0</b></div>"
    assert render(module.View().show("v")) == "<div><b>v</b><b>View</b></div>"


def test_what_is_left_to_the_builder(tmp_path: Path) -> None:
    module = load(tmp_path, """
        from appkit.html import Div, Li, Script, Span, Ul, compiled, oob, render

        class Loud(Div):
            __slots__ = ()

            def _write(self, out):
                out("!")
                super()._write(out)

        @compiled
        def f(x, attrs):
            items = [Li(x)]                       # not a returned tree: an element list
            helper = oob(Div(x, id="t"))          # given to a function: an element
            return Div(Ul(*items), helper, Loud(Span(x)), Script(x), Div(**attrs), cls="a")

        @compiled
        def g(x):
            node = Div(x)
            return node                           # a variable: left as it is
    """)
    f = module.f
    assert is_compiled(f) and not is_compiled(module.g)
    assert module.g("x") == Div("x")
    for x in ("a", "</script><b>", 3, None):
        for attrs in ({}, {"hx_get": "/x", "title": x}):
            assert render(f(x, attrs)) == render(f.__wrapped__(x, attrs))
    assert "!<div><span>" in render(f("a", {}))


def test_without_source_the_function_is_returned_as_it_is() -> None:
    namespace: dict[str, Any] = {"Div": Div, "render": render}
    exec("def f(x):\n    return render(Div(x))\n", namespace)  # no file to read
    f = namespace["f"]
    assert compiled(f) is f and not is_compiled(f)
    assert f("<") == "<div>&lt;</div>"


def test_a_function_with_nothing_to_compile_is_returned_as_it_is() -> None:
    def f(x: Any) -> Any:
        return x

    assert compiled(f) is f and not is_compiled(f)


def test_bad_targets_raise_type_error() -> None:
    def gen() -> Any:
        yield Div()

    with pytest.raises(TypeError, match="cannot compile the generator .*gen"):
        compiled(gen)
    with pytest.raises(TypeError, match="applies to a function"):
        compiled(len)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="applies to a function"):
        compiled(Div)  # type: ignore[arg-type]


def test_values_that_cannot_render_raise_type_error() -> None:
    @compiled
    def f(x: Any, y: Any = "ok") -> str:
        return render(Div(Span(x), title=y))

    with pytest.raises(TypeError, match="Cannot render an object"):
        f(object())
    with pytest.raises(TypeError, match="as the value of attribute 'title'"):
        f("x", object())


def test_a_source_edited_after_import_is_not_used(tmp_path: Path) -> None:
    module = load(tmp_path, """
        from appkit.html import Div, compiled

        def f(x):
            return Div(x)
    """)
    path = Path(module.__file__ or "")
    path.write_text(path.read_text().replace("def f(x):", "def f(x, y):"))
    import linecache
    linecache.checkcache(str(path))
    compiled_module._sources.pop(module.f.__code__, None)
    assert compiled(module.f) is module.f      # the parameters differ: not that function


def test_a_subclass_that_writes_its_attributes_its_own_way_is_left_to_it(
        tmp_path: Path) -> None:
    module = load(tmp_path, """
        from appkit.html import Div, Span, compiled, render

        class Tagged(Div):
            __slots__ = ()

            def _attrs_html(self):
                return ' data-tagged' + super()._attrs_html()

        @compiled
        def f(x):
            return render(Div(Tagged(Span(x), id="t"), cls="a"))
    """)
    assert is_compiled(module.f)
    assert module.f("x") == ('<div class="a"><div data-tagged id="t"><span>x</span></div>'
                             "</div>")


def test_compiled_handlers_answer_as_the_same_handlers_written_plainly() -> None:
    from appkit import App
    from appkit.testing import Client

    def show(name: str = "a & b") -> Any:
        return ak.Title(f"Hi {name}"), ak.Main(ak.P(name, cls="n"), Ul(Li(c) for c in name))

    async def fragment(n: int = 2) -> Any:
        return Div(*[Span(i) for i in range(n)], id="frag")

    def doc() -> Any:
        return Html(ak.Head(ak.Title("Own")), ak.Body(ak.P("x")))

    def make_app(wrap: Any) -> App:
        app = App("compiled")
        for path, handler in (("/page", show), ("/fragment", fragment), ("/doc", doc)):
            handler = wrap(handler)
            assert is_compiled(handler) == (wrap is compiled)
            app.get(path)(handler)
        return app

    answers = []
    for wrap in (lambda f: f, compiled):
        with Client(make_app(wrap)) as client:
            answers.append([
                (r.status_code, r.text) for r in (
                    client.get("/page?name=<x>"), client.get("/page"),
                    client.get("/fragment?n=3", headers={"HX-Request": "true"}),
                    client.get("/fragment?n=x"), client.get("/doc"))])
    # The page's tokens and boot id differ from one app to the next: the title and the body
    # are the handlers' own.
    def own(text: str) -> list[str]:
        if not text.startswith("<!doctype"):
            return [text]
        return re.findall(r"<title>.*?</title>|<body.*</body>", text)

    plain, fast = [[(status, own(text)) for status, text in answer] for answer in answers]
    assert fast == plain
    assert "<title>Hi &lt;x&gt;</title>" in plain[0][1] and plain[3][0] == 400
    assert plain[2][1] == ['<div id="frag"><span>0</span><span>1</span><span>2</span></div>']
    assert plain[4][1][0] == "<title>Own</title>" and "<body><p>x</p></body>" in plain[4][1]


def test_methods_that_call_super() -> None:
    class Base:
        def label(self) -> str:
            return "base <"

    class View(Base):
        @compiled
        def show(self, x: Any) -> Element:
            return Div(Span(super().label()), Span(x))

        def label(self) -> str:
            return "view"

    assert is_compiled(View.show)
    assert render(View().show("&")) == "<div><span>base &lt;</span><span>&amp;</span></div>"
