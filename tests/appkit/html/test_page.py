"""appkit.html.page: Page, Document, oob and HEAD_TAGS."""

from __future__ import annotations

import pytest

from appkit.html import (
    HEAD_TAGS,
    Div,
    Document,
    Li,
    Link,
    Main,
    P,
    Page,
    Script,
    Title,
    oob,
    render,
)

# ---- Page -----------------------------------------------------------------------------------


def test_page_returns_title_and_main_with_heading() -> None:
    title, main = Page("Tasks", P("body"))
    assert isinstance(title, Title)
    assert isinstance(main, Main)
    assert render(title) == "<title>Tasks</title>"
    assert render(main) == '<main class="container"><h1>Tasks</h1><p>body</p></main>'


def test_page_renders_as_title_then_main() -> None:
    assert render(Page("Home", P("a"), P("b"))) == (
        '<title>Home</title><main class="container"><h1>Home</h1><p>a</p><p>b</p></main>'
    )


def test_page_title_is_escaped_in_both_places() -> None:
    assert render(Page("<A & B>")) == (
        '<title>&lt;A &amp; B&gt;</title>'
        '<main class="container"><h1>&lt;A &amp; B&gt;</h1></main>'
    )


def test_page_main_attributes() -> None:
    assert render(Page("T", id="content", hx_boost="true")[1]) == (
        '<main id="content" hx-boost="true" class="container"><h1>T</h1></main>'
    )


def test_page_cls_replaces_default_container_class() -> None:
    assert render(Page("T", cls="wide")[1]) == '<main class="wide"><h1>T</h1></main>'


@pytest.mark.parametrize("spelling", ["class_", "_class", "klass"])
def test_page_other_class_spellings_replace_default_container_class(spelling: str) -> None:
    # Every spelling of "class" is one attribute; the user's value must win over the default.
    assert render(Page("T", **{spelling: "wide"})[1]) == '<main class="wide"><h1>T</h1></main>'


# ---- Document -------------------------------------------------------------------------------


def test_document_minimal() -> None:
    assert render(Document()) == (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "</head><body></body></html>"
    )


def test_document_with_title_head_items_body_and_attributes() -> None:
    html = render(Document(
        P("hi"), Div("there"),
        head=[Link(rel="stylesheet", href="/app.css"), Script(src="/htmx.js")],
        title="My <App>",
        lang="de",
        body_attrs={"hx_boost": "true", "cls": "app"},
    ))
    assert html == (
        '<!doctype html><html lang="de"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>My &lt;App&gt;</title>"
        '<link rel="stylesheet" href="/app.css"><script src="/htmx.js"></script></head>'
        '<body hx-boost="true" class="app"><p>hi</p><div>there</div></body></html>'
    )


def test_document_empty_title_is_rendered() -> None:
    assert "<title></title>" in render(Document(title=""))


def test_document_accepts_a_page() -> None:
    html = render(Document(Page("T", P("x"))))
    assert html.endswith(
        '<body><title>T</title><main class="container"><h1>T</h1><p>x</p></main></body></html>'
    )


def test_document_head_accepts_a_generator() -> None:
    html = render(Document(head=(Link(rel="icon", href=h) for h in ["/a.ico"])))
    assert '<link rel="icon" href="/a.ico"></head>' in html


# ---- oob ------------------------------------------------------------------------------------


def test_oob_marks_copy_for_out_of_band_swap() -> None:
    counter = Div("3", id="count")
    marked = oob(counter)
    assert render(marked) == '<div id="count" hx-swap-oob="true">3</div>'
    assert render(counter) == '<div id="count">3</div>'
    assert type(marked) is Div


def test_oob_with_swap_strategy() -> None:
    assert render(oob(Li("new", id="item-7"), "beforeend")) == (
        '<li id="item-7" hx-swap-oob="beforeend">new</li>'
    )


def test_oob_with_selector_does_not_need_an_id() -> None:
    assert render(oob(Li("new"), "beforeend:#list")) == (
        '<li hx-swap-oob="beforeend:#list">new</li>'
    )


def test_oob_without_id_raises_value_error() -> None:
    with pytest.raises(ValueError, match=r"An out-of-band <div> needs an id"):
        oob(Div("x"))


def test_oob_with_empty_id_raises_value_error() -> None:
    with pytest.raises(ValueError, match="needs an id"):
        oob(Div("x", id=""))


def test_oob_strategy_without_selector_or_id_raises_value_error() -> None:
    # htmx swaps a "beforeend" (no ":selector") out-of-band element into the element with
    # the same id; without an id nothing is swapped, so this must fail loudly too.
    with pytest.raises(ValueError, match="needs an id"):
        oob(Div("x"), "beforeend")


# ---- HEAD_TAGS ------------------------------------------------------------------------------


def test_head_tags() -> None:
    assert frozenset({"title", "meta", "link", "style", "base"}) == HEAD_TAGS
    assert "script" not in HEAD_TAGS


def test_page_without_its_heading() -> None:
    assert render(Page("Todo", P("x"), heading=False, cls="container-fluid")) == (
        '<title>Todo</title><main class="container-fluid"><p>x</p></main>')
    # The default keeps the heading (apps written before heading= look the same).
    assert "<h1>Todo</h1>" in render(Page("Todo"))
