"""appkit.html.nodes: rendering, escaping, attribute names and values, and raw-text elements."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import jinja2
import pytest
from markupsafe import Markup, escape

from appkit.html import (
    H1,
    A,
    Br,
    Button,
    Circle,
    Div,
    Element,
    FeGaussianBlur,
    Filter,
    Html,
    Img,
    Input,
    Label,
    Li,
    Link,
    Meta,
    P,
    RadialGradient,
    Safe,
    Script,
    Span,
    Style,
    Svg,
    Td,
    Tr,
    Ul,
    attr_name,
    render,
    tag_class,
)
from appkit.html.nodes import escape_attr, escape_text

# ---- basic rendering ------------------------------------------------------------------------


def test_element_renders_tag_text_and_attributes() -> None:
    assert render(Div("hello", id="main")) == '<div id="main">hello</div>'


def test_empty_element_has_closing_tag() -> None:
    assert render(Div()) == "<div></div>"


def test_nested_elements_render_in_order() -> None:
    tree = Ul(Li("one"), Li(A("two", href="/two")), id="list")
    assert render(tree) == '<ul id="list"><li>one</li><li><a href="/two">two</a></li></ul>'


def test_attributes_render_in_given_order() -> None:
    assert render(Input(type="text", name="q", placeholder="Search")) == (
        '<input type="text" name="q" placeholder="Search">'
    )


def test_str_and_html_of_an_element_are_its_rendering() -> None:
    node = P("a < b", cls="x")
    assert str(node) == '<p class="x">a &lt; b</p>'
    assert node.__html__() == str(node)


def test_render_plain_string_is_escaped() -> None:
    assert render("<b>&</b>") == "&lt;b&gt;&amp;&lt;/b&gt;"


def test_render_list_and_tuple_at_top_level() -> None:
    assert render([P("a"), "b<", (Span("c"),)]) == "<p>a</p>b&lt;<span>c</span>"


def test_render_none_at_top_level_is_empty() -> None:
    assert render(None) == ""


# ---- escaping -------------------------------------------------------------------------------


def test_text_children_are_escaped() -> None:
    assert render(P("<script>alert('x') & \"y\"</script>")) == (
        "<p>&lt;script&gt;alert('x') &amp; \"y\"&lt;/script&gt;</p>"
    )


def test_attribute_values_are_escaped_including_double_quotes() -> None:
    assert render(Div(title='a"b\'c<d>&e')) == '<div title="a&quot;b\'c&lt;d&gt;&amp;e"></div>'


def test_attribute_value_cannot_break_out_of_its_quotes() -> None:
    html = render(Div(title='" onmouseover="alert(1)'))
    assert html == '<div title="&quot; onmouseover=&quot;alert(1)"></div>'
    assert "onmouseover=\"alert" not in html


def test_already_escaped_text_is_escaped_again() -> None:
    assert render(P("&amp;")) == "<p>&amp;amp;</p>"


def test_escape_helpers() -> None:
    assert escape_text("a<b>&c\"'") == "a&lt;b&gt;&amp;c\"'"
    assert escape_text("plain") == "plain"
    assert escape_attr('a<b>&c"') == "a&lt;b&gt;&amp;c&quot;"


def test_str_subclass_without_html_is_escaped() -> None:
    class Name(str):
        pass

    assert render(P(Name("<b>"))) == "<p>&lt;b&gt;</p>"
    assert render(Div(title=Name('"x"'))) == '<div title="&quot;x&quot;"></div>'


# ---- Safe and __html__ interop --------------------------------------------------------------


def test_safe_renders_unescaped() -> None:
    assert render(Div(Safe("<b>bold</b>"), "<i>")) == "<div><b>bold</b>&lt;i&gt;</div>"


def test_safe_at_top_level_renders_unescaped() -> None:
    assert render(Safe("<hr>")) == "<hr>"


def test_safe_is_a_str() -> None:
    s = Safe("<b>")
    assert isinstance(s, str)
    assert s.__html__() == "<b>"


def test_markup_child_renders_unescaped() -> None:
    assert render(P(Markup("<em>x</em>"))) == "<p><em>x</em></p>"


def test_object_with_dunder_html_renders_raw() -> None:
    class Widget:
        def __html__(self) -> str:
            return "<widget-x></widget-x>"

    assert render(Div(Widget())) == "<div><widget-x></widget-x></div>"


def test_iterable_object_with_dunder_html_renders_via_html_not_by_iteration() -> None:
    # "Anything with __html__() renders raw" -- also when it happens to be iterable.
    class Fragment(list[str]):
        def __html__(self) -> str:
            return "".join(self)

    assert render(Div(Fragment(["<b>x</b>"]))) == "<div><b>x</b></div>"


def test_markup_in_attribute_is_not_escaped_twice() -> None:
    assert render(Div(title=Markup("a &amp; b"))) == '<div title="a &amp; b"></div>'


def test_markupsafe_escape_of_element_is_its_html() -> None:
    result = escape(Span("<x>"))
    assert isinstance(result, Markup)
    assert result == "<span>&lt;x&gt;</span>"


def test_markup_percent_formatting_keeps_element_html() -> None:
    assert Markup("<p>%s</p>") % Span("<") == "<p><span>&lt;</span></p>"


def test_markup_format_keeps_element_html() -> None:
    # Markup.format calls __html__() and then escape() on the result; a plain str result is
    # escaped again, so Element.__html__ must return a safe string (Markup/Safe).
    assert Markup("<p>{}</p>").format(Span("<")) == "<p><span>&lt;</span></p>"


def test_markup_format_keeps_safe_html() -> None:
    assert Markup("<p>{}</p>").format(Safe("<b>")) == "<p><b></p>"


def test_jinja_autoescape_renders_elements_raw_and_strings_escaped() -> None:
    env = jinja2.Environment(autoescape=True)
    template = env.from_string("<section>{{ node }}{{ text }}</section>")
    assert template.render(node=Div("<a>", cls="c"), text="<s>") == (
        '<section><div class="c">&lt;a&gt;</div>&lt;s&gt;</section>'
    )


def test_jinja_output_composes_into_nodes() -> None:
    env = jinja2.Environment(autoescape=True)
    fragment = Markup(env.from_string("<b>{{ x }}</b>").render(x="<i>"))
    assert render(Div(fragment)) == "<div><b>&lt;i&gt;</b></div>"


# ---- attribute names ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("python", "html"),
    [
        ("cls", "class"),
        ("class_", "class"),
        ("_class", "class"),
        ("klass", "class"),
        ("for_", "for"),
        ("_for", "for"),
        ("htmlFor", "for"),
        ("hx_post", "hx-post"),
        ("data_id", "data-id"),
        ("aria_label", "aria-label"),
        ("hx_on__after_request", "hx-on--after-request"),
        ("type_", "type"),
        ("_async", "async"),
        ("id", "id"),
        ("@click", "@click"),
        ("x-on:click", "x-on:click"),
        (":class", ":class"),
        ("hx-on::after-request", "hx-on::after-request"),
    ],
)
def test_attr_name(python: str, html: str) -> None:
    assert attr_name(python) == html


def test_translated_attribute_names_in_rendered_output() -> None:
    html = render(Label("Name", for_="name", cls="lbl", hx_get="/x", data_row_id=3))
    assert html == '<label for="name" class="lbl" hx-get="/x" data-row-id="3">Name</label>'


def test_non_identifier_attribute_names_via_dict_are_kept() -> None:
    html = render(Button("Go", **{"@click": "open = true", "x-bind:class": "c"}))
    assert html == '<button @click="open = true" x-bind:class="c">Go</button>'


def test_non_identifier_attribute_name_with_underscore_is_kept() -> None:
    # Documented: names that are not identifiers are kept as they are.
    assert attr_name("@custom_event") == "@custom_event"
    assert render(Div(**{"x-on:my_event": "go()"})) == '<div x-on:my_event="go()"></div>'


def test_get_accepts_python_or_html_spelling() -> None:
    node = Div(cls="box", hx_post="/save")
    assert node.get("cls") == "box"
    assert node.get("class") == "box"
    assert node.get("hx_post") == "/save"
    assert node.get("hx-post") == "/save"
    assert node.get("missing", "dflt") == "dflt"


@pytest.mark.parametrize(
    ("python", "html"),
    [
        ("view_box", "viewBox"),
        ("preserve_aspect_ratio", "preserveAspectRatio"),
        ("gradient_units", "gradientUnits"),
        ("ref_x", "refX"),
        ("std_deviation", "stdDeviation"),
        ("path_length", "pathLength"),
        ("repeat_count", "repeatCount"),
    ],
)
def test_svg_camel_case_attribute_names(python: str, html: str) -> None:
    assert attr_name(python) == html


def test_svg_view_box_renders_camel_case() -> None:
    html = render(Svg(Circle(cx=5, cy=5, r=4), view_box="0 0 10 10", stroke_width=2))
    assert html == (
        '<svg viewBox="0 0 10 10" stroke-width="2"><circle cx="5" cy="5" r="4"></circle></svg>'
    )


def test_svg_viewbox_passed_in_camel_case_is_kept() -> None:
    assert render(Svg(viewBox="0 0 1 1")) == '<svg viewBox="0 0 1 1"></svg>'


def test_svg_radial_gradient_fr_attribute_is_not_renamed_to_for() -> None:
    # SVG 2 <radialGradient fr="..."> (focal radius); "fr" must not become "for".
    assert render(RadialGradient(fr="10%")) == '<radialGradient fr="10%"></radialGradient>'


def test_svg_filter_camel_case_attributes() -> None:
    # <filter filterUnits primitiveUnits> and <feGaussianBlur edgeMode> are camelCase in SVG;
    # the kebab-case spelling is not recognised by browsers.
    assert render(Filter(filter_units="userSpaceOnUse", primitive_units="objectBoundingBox")) == (
        '<filter filterUnits="userSpaceOnUse" primitiveUnits="objectBoundingBox"></filter>'
    )
    assert render(FeGaussianBlur(std_deviation=2, edge_mode="none")) == (
        '<feGaussianBlur stdDeviation="2" edgeMode="none"></feGaussianBlur>'
    )


# ---- attribute values -----------------------------------------------------------------------


def test_true_renders_bare_attribute() -> None:
    assert render(Input(disabled=True, required=True)) == "<input disabled required>"


def test_false_and_none_omit_the_attribute() -> None:
    assert render(Input(disabled=False, value=None, name="a")) == '<input name="a">'


def test_element_with_only_omitted_attributes_renders_plain_tag() -> None:
    assert render(Div("x", hidden=False, title=None)) == "<div>x</div>"


def test_numbers_as_attribute_values() -> None:
    assert render(Td(colspan=2, data_ratio=0.5, data_price=Decimal("1.10"))) == (
        '<td colspan="2" data-ratio="0.5" data-price="1.10"></td>'
    )


def test_zero_and_empty_string_attributes_are_rendered() -> None:
    assert render(Input(value=0, tabindex=0, placeholder="")) == (
        '<input value="0" tabindex="0" placeholder="">'
    )


def test_dict_attribute_renders_as_escaped_json() -> None:
    html = render(Button("Go", hx_vals={"id": 1, "q": 'a"<b>'}))
    assert html == (
        '<button hx-vals="{&quot;id&quot;:1,&quot;q&quot;:&quot;a\\&quot;&lt;b&gt;&quot;}">'
        "Go</button>"
    )


def test_list_and_tuple_attributes_render_as_json_arrays() -> None:
    assert render(Div(data_items=[1, "two", None])) == (
        '<div data-items="[1,&quot;two&quot;,null]"></div>'
    )
    assert render(Div(data_pair=(1, 2))) == '<div data-pair="[1,2]"></div>'


def test_json_attribute_uses_str_for_unknown_types() -> None:
    assert render(Div(data_x={"price": Decimal("2.50")})) == (
        '<div data-x="{&quot;price&quot;:&quot;2.50&quot;}"></div>'
    )


def test_class_list_renders_space_joined_names_skipping_falsy() -> None:
    assert render(Div(cls=["btn", "", None, "primary"])) == '<div class="btn primary"></div>'


def test_class_tuple_renders_space_joined_names() -> None:
    assert render(Div(cls=("a", "b"))) == '<div class="a b"></div>'


def test_class_dict_renders_names_whose_value_is_truthy() -> None:
    assert render(Div(cls={"active": True, "hidden": False, "big": 1})) == (
        '<div class="active big"></div>'
    )


def test_empty_class_list_or_dict_and_empty_style_dict_omit_the_attribute() -> None:
    assert render(Div(cls=[])) == "<div></div>"
    assert render(Div(cls=[None, ""])) == "<div></div>"
    assert render(Div(cls={"hidden": False})) == "<div></div>"
    assert render(Div(style={})) == "<div></div>"
    assert render(Div(style={"color": None})) == "<div></div>"


def test_class_names_are_escaped() -> None:
    assert render(Div(cls=['a"b'])) == '<div class="a&quot;b"></div>'


def test_style_dict_renders_css_declarations() -> None:
    html = render(Div(style={"color": "red", "font_size": "2em", "margin": None}))
    assert html == '<div style="color: red; font-size: 2em"></div>'


def test_style_string_is_kept() -> None:
    assert render(Div(style="color: red")) == '<div style="color: red"></div>'


def test_object_with_dunder_url_renders_as_its_url() -> None:
    class Route:
        def __url__(self) -> str:
            return "/items?a=1&b=2"

    assert render(A("Items", href=Route())) == '<a href="/items?a=1&amp;b=2">Items</a>'


def test_function_with_dunder_url_renders_as_its_url() -> None:
    def handler() -> None: ...

    handler.__url__ = lambda: "/save"  # type: ignore[attr-defined]
    assert render(Button("Save", hx_post=handler)) == '<button hx-post="/save">Save</button>'


def test_unrenderable_attribute_value_raises_type_error_naming_type_and_attribute() -> None:
    expected = r"Cannot render a set \(\{1, 2\}\) as the value of attribute 'title' in div"
    with pytest.raises(TypeError, match=expected):
        render(Div(title={1, 2}))


def test_unrenderable_attribute_value_error_names_the_element() -> None:
    with pytest.raises(TypeError) as info:
        render(Div(P("ok"), Span(data_x=object()), id="main"))
    message = str(info.value)
    assert "'data-x'" in message
    assert "span" in message and "div#main" in message


# ---- children -------------------------------------------------------------------------------


def test_numbers_as_children() -> None:
    assert render(P(1, " ", 2.5, " ", Decimal("3.10"))) == "<p>1 2.5 3.10</p>"


def test_none_true_false_children_are_skipped() -> None:
    assert render(P("a", None, True, False, "b")) == "<p>ab</p>"


def test_zero_child_is_rendered() -> None:
    assert render(P(0)) == "<p>0</p>"


def test_list_and_tuple_children_are_flattened() -> None:
    assert render(Ul([Li("a"), Li("b")], (Li("c"), [Li("d")]))) == (
        "<ul><li>a</li><li>b</li><li>c</li><li>d</li></ul>"
    )


def test_strings_in_lists_are_escaped() -> None:
    assert render(P(["<a>", ("<b>",)])) == "<p>&lt;a&gt;&lt;b&gt;</p>"


def test_generator_children() -> None:
    assert render(Ul(Li(x) for x in "ab")) == "<ul><li>a</li><li>b</li></ul>"


def test_range_children() -> None:
    assert render(P(range(3))) == "<p>012</p>"


def test_none_in_list_children_is_skipped() -> None:
    assert render(P(["a", None, False, "b"])) == "<p>ab</p>"


# ---- render errors --------------------------------------------------------------------------


def test_unrenderable_child_error_names_type_and_position() -> None:
    tree = Div(Ul(Li("x"), Li("y"), Li(Span(b"raw"))), id="main")
    with pytest.raises(TypeError) as info:
        render(tree)
    message = str(info.value)
    assert message.startswith(
        "Cannot render a bytes (b'raw') in div#main > ul[0] > li[2] > span[0] > child 0: "
    )


def test_unrenderable_child_error_gives_child_index() -> None:
    with pytest.raises(TypeError, match=r"in div > p\[0\] > child 1:"):
        render(Div(P("a", object())))


def test_unrenderable_value_at_top_level() -> None:
    with pytest.raises(TypeError, match=r"Cannot render an object .* in the top level"):
        render(object())


def test_dict_child_is_an_error_not_iterated() -> None:
    with pytest.raises(TypeError, match=r"Cannot render a dict .* in p > child 0"):
        render(P({"a": 1}))


def test_unrenderable_child_in_list_error_names_type_and_element() -> None:
    with pytest.raises(TypeError, match=r"Cannot render an object .* in div"):
        render(Div(["ok", object()]))


def test_render_error_is_a_plain_type_error_with_no_chained_internal_error() -> None:
    with pytest.raises(TypeError) as info:
        render(P(object()))
    assert type(info.value) is TypeError
    assert info.value.__cause__ is None
    assert info.value.__suppress_context__


def test_render_error_long_repr_is_truncated() -> None:
    with pytest.raises(TypeError) as info:
        render(P(b"x" * 500))
    assert "x" * 100 not in str(info.value)


# ---- void elements --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("node", "html"),
    [
        (Br(), "<br>"),
        (Img(src="/a.png", alt=""), '<img src="/a.png" alt="">'),
        (Input(name="q"), '<input name="q">'),
        (Meta(charset="utf-8"), '<meta charset="utf-8">'),
        (Link(rel="icon", href="/i.ico"), '<link rel="icon" href="/i.ico">'),
    ],
)
def test_void_elements_have_no_closing_tag(node: Element, html: str) -> None:
    assert render(node) == html


def test_void_element_inside_other_elements() -> None:
    assert render(P("a", Br(), "b")) == "<p>a<br>b</p>"


# ---- raw text elements: script and style ----------------------------------------------------


def test_script_body_is_not_escaped() -> None:
    assert render(Script("if (a < b && c > d) { x = '\"'; }")) == (
        "<script>if (a < b && c > d) { x = '\"'; }</script>"
    )


def test_script_with_src_and_no_body() -> None:
    assert render(Script(src="/app.js", defer=True)) == '<script src="/app.js" defer></script>'


def test_script_cannot_be_closed_early() -> None:
    assert render(Script('var s = "</script><script>alert(1)</script>";')) == (
        '<script>var s = "<\\/script><script>alert(1)<\\/script>";</script>'
    )


@pytest.mark.parametrize("closing", ["</SCRIPT>", "</Script >", "</sCrIpT\n>"])
def test_script_end_tag_is_neutralised_case_insensitively(closing: str) -> None:
    html = render(Script(f"x{closing}<b>"))
    body = html[len("<script>") : -len("</script>")]
    assert re.search(r"</script", body, re.IGNORECASE) is None
    assert body == "x<\\/" + closing[2:] + "<b>"


def test_script_html_comment_opener_is_neutralised() -> None:
    assert render(Script("a = '<!--';")) == "<script>a = '<\\!--';</script>"


def test_script_safe_or_markup_body_cannot_close_it_either() -> None:
    assert render(Script(Safe("</script>"), Markup("</SCRIPT>"))) == (
        "<script><\\/script><\\/SCRIPT></script>"
    )


def test_script_body_numbers_and_skipped_values() -> None:
    assert render(Script("x=", 1, None, False, ";")) == "<script>x=1;</script>"


def test_style_body_is_not_escaped_and_cannot_be_closed_early() -> None:
    assert render(Style("a > b { content: '</style><b>' }")) == (
        "<style>a > b { content: '<\\/style><b>' }</style>"
    )


def test_style_end_tag_is_neutralised_case_insensitively() -> None:
    assert render(Style("</STYLE>")) == "<style><\\/STYLE></style>"


def test_style_does_not_touch_script_end_tag() -> None:
    assert render(Style("</script>")) == "<style></script></style>"


def test_unrenderable_value_in_script_names_position() -> None:
    with pytest.raises(TypeError, match=r"Cannot render an object .* in script > child 1"):
        render(Script("a", object()))


# ---- Html -----------------------------------------------------------------------------------


def test_html_renders_doctype_first() -> None:
    assert render(Html(lang="en")) == '<!doctype html><html lang="en"></html>'


def test_html_nested_in_list_still_gets_doctype() -> None:
    assert render([Html()]) == "<!doctype html><html></html>"


# ---- Element.__call__ copy semantics --------------------------------------------------------


def test_call_adds_children_and_attributes() -> None:
    assert render(Div(cls="box")("text", id="x")) == '<div class="box" id="x">text</div>'


def test_call_returns_a_new_element_and_leaves_original_unchanged() -> None:
    base = Button(cls="btn", type="button")
    save = base("Save", hx_post="/save")
    cancel = base("Cancel", cls="btn secondary")
    assert save is not base
    assert render(base) == '<button class="btn" type="button"></button>'
    assert render(save) == '<button class="btn" type="button" hx-post="/save">Save</button>'
    assert render(cancel) == '<button class="btn secondary" type="button">Cancel</button>'


def test_call_appends_children_after_existing_ones() -> None:
    assert render(P("a")("b", "c")) == "<p>abc</p>"


def test_call_keeps_element_type() -> None:
    assert type(Script()("x")) is Script
    assert render(Script()("</script>")) == "<script><\\/script></script>"


def test_copy_has_its_own_attributes() -> None:
    original = Div(id="a")
    clone = original.copy()
    clone.attrs["id"] = "b"
    assert original.get("id") == "a"
    assert clone == Div(id="b")


def test_elements_compare_by_type_children_and_attributes() -> None:
    assert Div("a", cls="x") == Div("a", cls="x")
    assert Div("a") != Div("b")
    assert Div("a") != Span("a")
    assert Div(cls="x") != Div(cls="y")


def test_elements_are_unhashable() -> None:
    with pytest.raises(TypeError):
        hash(Div())


def test_repr_shows_class_attributes_and_child_count() -> None:
    assert repr(Div("a", "b", id="x")) == "<Div id='x' children=2>"


# ---- tag_class ------------------------------------------------------------------------------


def test_tag_class_custom_element() -> None:
    Widget = tag_class("my-widget")
    assert Widget.__name__ == "MyWidget"
    assert issubclass(Widget, Element)
    assert render(Widget("hi", data_x=1)) == '<my-widget data-x="1">hi</my-widget>'


def test_tag_class_returns_the_same_class_for_the_same_tag() -> None:
    assert tag_class("x-same") is tag_class("x-same")
    assert tag_class("div") is Div


def test_tag_class_void_custom_element() -> None:
    Icon = tag_class("x-void-icon", void=True)
    assert render(Icon(name="star")) == '<x-void-icon name="star">'


def test_tag_class_known_void_tag_is_void_by_default() -> None:
    assert render(tag_class("br")()) == "<br>"


def test_tag_class_does_not_silently_ignore_conflicting_options() -> None:
    tag_class("x-conflict")
    try:
        cls = tag_class("x-conflict", void=True)
    except ValueError:
        return  # refusing a conflicting definition is fine
    assert render(cls()) == "<x-conflict>"  # otherwise the request must be honoured


def test_tag_class_raw_text_custom_element_renders_unescaped_and_cannot_be_closed() -> None:
    Tmpl = tag_class("x-raw-template", raw_text=True)
    assert render(Tmpl("a < b</x-raw-template>")) == (
        "<x-raw-template>a < b<\\/x-raw-template></x-raw-template>"
    )


@pytest.mark.parametrize("bad", ["", "1abc", "my widget", "a>b", "<div", "x\"y", "-x", "ä"])
def test_tag_class_rejects_invalid_tag_names(bad: str) -> None:
    with pytest.raises(ValueError, match="Not a valid tag name"):
        tag_class(bad)


def test_tag_class_accepts_namespaced_and_dotted_names() -> None:
    assert render(tag_class("svg:rect")()) == "<svg:rect></svg:rect>"
    assert render(tag_class("x.y")()) == "<x.y></x.y>"


# ---- misc -----------------------------------------------------------------------------------


def test_h1_and_tr_factories_render_their_tags() -> None:
    assert render(Tr(Td("a"))) == "<tr><td>a</td></tr>"
    assert render(H1("T")) == "<h1>T</h1>"


def test_render_accepts_any_children_value_types_together() -> None:
    values: list[Any] = ["a", 1, None, Span("b"), Safe("<i>"), ["c"], (x for x in ["d"])]
    assert render(P(*values)) == "<p>a1<span>b</span><i>cd</p>"
