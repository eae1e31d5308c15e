"""The reorderable list's Python side: its form posts one field per item, in order, which
a route binds as ``list[int]`` (a bad value is a 400, not a 500); values must be unique."""

from __future__ import annotations

from typing import Any

import pytest

from appkit import App
from appkit.html import Page, render
from appkit.testing import Client
from appkit.ui.reorder import Reorder, ReorderError, install


def test_the_form_posts_a_field_per_item_on_reorder() -> None:
    html = render(Reorder([(3, "Fix bike"), (1, "Buy milk")], post="/order", id="todos",
                          label="Todos"))
    assert html.startswith('<form id="todos" class="reorder" hx-post="/order" '
                           'hx-trigger="reorder" hx-swap="none" hx-disinherit="*">')
    assert html.index('name="order" value="3"') < html.index('name="order" value="1"')
    assert html.count("data-reorder-item") == 2 and html.count('tabindex="0"') == 2
    assert 'data-reorder-label="Fix bike"' in html
    assert 'aria-label="Todos"' in html and 'role="status"' in html


def test_a_route_binds_the_order_as_a_list_of_ints() -> None:
    app = App("reorder-binding")
    install(app)
    got: list[list[int]] = []

    @app.get("/")
    def index() -> Any:
        return Page("Todo", Reorder([(1, "a"), (2, "b")], post=save, id="l", label="L"))

    @app.post("/order")
    def save(order: list[int]) -> Any:
        got.append(order)
        return ""

    with Client(app) as client:
        page = client.get("/").text
        assert page.count("/_appkit/ui/reorder.js?v=") == 1
        assert 'hx-post="/order"' in page
        answer = client.post("/order", data={"order": ["2", "1", "3"]}, hx=True)
        assert answer.status_code == 200 and got == [[2, 1, 3]]
        bad = client.post("/order", data={"order": ["2", "x"]}, hx=True)
        assert bad.status_code == 400 and got == [[2, 1, 3]]


@pytest.mark.parametrize(("items", "message"), [
    ([(1, "a"), (1, "b")], "have the value '1'"),
    ([("", "a")], "empty value"),
])
def test_values_must_be_unique_and_present(items: Any, message: str) -> None:
    with pytest.raises(ReorderError, match=message):
        Reorder(items, post="/order", id="l", label="L")
