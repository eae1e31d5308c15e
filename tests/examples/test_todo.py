"""examples/todo: add, toggle, edit, delete through htmx, with the counter out of band."""

from __future__ import annotations

import os
import re
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from appkit.testing import Client
from tests.examples.test_hello import load_example

TODO = Path(__file__).resolve().parents[2] / "examples" / "todo" / "app.py"
OOB_COUNTER = '<span id="todo-count" hx-swap-oob="true">{n} left</span>'


@pytest.fixture(scope="module")
def todo() -> Iterator[ModuleType]:
    module = load_example(TODO, "_example_todo_under_test")
    yield module
    sys.modules.pop("_example_todo_under_test", None)


@pytest.fixture
def client(todo: ModuleType) -> Iterator[Client]:
    with Client(todo.create_app()) as client:  # a fresh, empty list per test
        yield client


def add(client: Client, title: str) -> str:
    response = client.post("/todos", data={"title": title}, hx=True)
    assert response.status_code == 200
    return str(response.text)


def items_on_page(client: Client) -> list[str]:
    page = client.get("/").text
    listing = re.search(r'<ul id="todo-list">(.*?)</ul>', page)
    assert listing, page
    return re.findall(r'<span class="title">(.*?)</span>', listing.group(1))


# ---- add ----------------------------------------------------------------------------------


def test_add_answers_the_item_the_counter_and_a_fresh_form(client: Client) -> None:
    response = client.post("/todos", data={"title": "  Buy milk "}, hx=True)
    assert response.status_code == 200
    assert "hx-retarget" not in response.headers
    html = response.text
    # The new item first (swapped into #todo-list, beforeend), title stripped.
    assert html.startswith('<li id="todo-1">')
    assert '<span class="title">Buy milk</span>' in html
    assert 'hx-post="/todos/1/toggle"' in html
    assert 'hx-get="/todos/1/edit"' in html
    assert 'hx-delete="/todos/1"' in html
    # Out of band: the counter and an empty form replacing the one just submitted.
    assert OOB_COUNTER.format(n=1) in html
    form = re.search(r'<form id="new-todo"[^>]*>', html)
    assert form, html
    assert 'hx-swap-oob="outerHTML"' in form.group(0)
    assert 'value=""' in html[form.start():]
    assert "Buy milk" not in html[form.start():]
    assert items_on_page(client) == ["Buy milk"]


def test_counter_counts_what_is_left(client: Client) -> None:
    assert OOB_COUNTER.format(n=1) in add(client, "one")
    assert OOB_COUNTER.format(n=2) in add(client, "two")
    assert OOB_COUNTER.format(n=3) in add(client, "three")
    client.post("/todos/2/toggle", hx=True)
    assert OOB_COUNTER.format(n=3) in add(client, "four")


def test_titles_are_escaped(client: Client) -> None:
    html = add(client, "<b>bold</b> & more")
    assert '<span class="title">&lt;b&gt;bold&lt;/b&gt; &amp; more</span>' in html
    assert "<b>" not in html


@pytest.mark.parametrize("title", ["", "   ", "\t\n"], ids=["empty", "spaces", "whitespace"])
def test_empty_title_answers_the_form_with_its_error(client: Client, title: str) -> None:
    response = client.post("/todos", data={"title": title}, hx=True)
    assert response.status_code == 200  # htmx swaps 200s only
    assert response.headers["hx-retarget"] == "#new-todo"
    assert response.headers["hx-reswap"] == "outerHTML"
    html = response.text
    assert html.startswith('<form id="new-todo"')
    assert "hx-swap-oob" not in html
    assert '<small id="title-error" class="error" role="alert">Write what needs doing.</small>' \
        in html
    assert 'aria-invalid="true"' in html
    assert "todo-count" not in html
    assert items_on_page(client) == []


def test_missing_title_field_is_the_same_error(client: Client) -> None:
    response = client.post("/todos", data={}, hx=True)
    assert response.status_code == 200
    assert "Write what needs doing." in response.text
    assert response.headers["hx-retarget"] == "#new-todo"


def test_too_long_title_is_refused_and_kept_in_the_field(client: Client, todo: ModuleType) -> None:
    title = "x" * (todo.MAX_TITLE + 1)
    response = client.post("/todos", data={"title": title}, hx=True)
    assert response.headers["hx-retarget"] == "#new-todo"
    html = response.text
    assert f"Keep it under {todo.MAX_TITLE} characters ({todo.MAX_TITLE + 1} now)." in html
    assert f'value="{title}"' in html
    assert items_on_page(client) == []


def test_longest_allowed_title_is_accepted(client: Client, todo: ModuleType) -> None:
    title = "y" * todo.MAX_TITLE
    assert f'<span class="title">{title}</span>' in add(client, title)


# ---- toggle -----------------------------------------------------------------------------------


def test_toggle_flips_done_and_the_counter(client: Client) -> None:
    add(client, "one")
    add(client, "two")
    response = client.post("/todos/1/toggle", hx=True)
    assert response.status_code == 200
    html = response.text
    assert html.startswith('<li id="todo-1" class="done">')
    assert '<input type="checkbox" checked' in html
    assert OOB_COUNTER.format(n=1) in html

    html = client.post("/todos/1/toggle", hx=True).text
    assert html.startswith('<li id="todo-1">')
    assert "checked" not in html
    assert OOB_COUNTER.format(n=2) in html


def test_twenty_clients_toggling_one_item_lose_no_toggle(
        todo: ModuleType, live_server: Callable[[Any], str]) -> None:
    """20 clients toggle the same item 10 times each, at once, through a real server: the
    answers alternate (as many "done" as "not done") and the item ends as it started. A
    handler that reads, flips and writes back without a transaction loses toggles: two of
    them read the same state and answer the same."""
    base = live_server(todo.create_app())
    # htmx's header; the Authorization header marks a tool's request (no CSRF token).
    headers = {"HX-Request": "true", "Authorization": "Bearer test"}
    with httpx.Client(base_url=base, headers=headers, timeout=30) as http:
        assert http.post("/todos", data={"title": "shared"}).status_code == 200
    answers: list[tuple[int, str]] = []
    barrier = threading.Barrier(20)

    def toggle_ten_times() -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=30) as http:
            barrier.wait()
            for _ in range(10):
                response = http.post("/todos/1/toggle")
                answers.append((response.status_code, response.text))

    clients = [threading.Thread(target=toggle_ten_times) for _ in range(20)]
    for client in clients:
        client.start()
    for client in clients:
        client.join()
    assert [status for status, _ in answers] == [200] * 200
    done = [text for _, text in answers if text.startswith('<li id="todo-1" class="done">')]
    assert len(done) == 100, f"{len(done)} of 200 toggles answered 'done', not 100"
    with httpx.Client(base_url=base, headers=headers, timeout=30) as http:
        page = http.get("/").text
    assert '<li id="todo-1">' in page and '<span id="todo-count">1 left</span>' in page


def test_done_state_shows_on_the_page(client: Client) -> None:
    add(client, "one")
    client.post("/todos/1/toggle", hx=True)
    page = client.get("/").text
    assert '<li id="todo-1" class="done">' in page
    assert '<span id="todo-count">0 left</span>' in page


# ---- edit and update --------------------------------------------------------------------------


def test_edit_answers_a_form_with_the_current_title(client: Client) -> None:
    add(client, "Buy milk")
    response = client.get("/todos/1/edit", hx=True)
    assert response.status_code == 200
    html = response.text
    assert html.startswith('<li id="todo-1"><form hx-put="/todos/1"')
    assert '<input type="text" value="Buy milk" id="edit-1" name="title"' in html
    assert 'hx-get="/todos/1"' in html  # Cancel shows the item again


def test_cancel_shows_the_item(client: Client) -> None:
    add(client, "Buy milk")
    html = client.get("/todos/1", hx=True).text
    assert html.startswith('<li id="todo-1">')
    assert '<span class="title">Buy milk</span>' in html


def test_update_saves_the_title(client: Client) -> None:
    add(client, "Buy milk")
    response = client.put("/todos/1", data={"title": "  Buy oat milk  "}, hx=True)
    assert response.status_code == 200
    assert response.text.startswith('<li id="todo-1">')
    assert '<span class="title">Buy oat milk</span>' in response.text
    assert items_on_page(client) == ["Buy oat milk"]


def test_update_keeps_the_done_state(client: Client) -> None:
    add(client, "Buy milk")
    client.post("/todos/1/toggle", hx=True)
    html = client.put("/todos/1", data={"title": "Buy bread"}, hx=True).text
    assert html.startswith('<li id="todo-1" class="done">')


@pytest.mark.parametrize("title", ["", "   "])
def test_update_with_empty_title_shows_the_error_and_saves_nothing(client: Client,
                                                                   title: str) -> None:
    add(client, "Buy milk")
    response = client.put("/todos/1", data={"title": title}, hx=True)
    assert response.status_code == 200
    html = response.text
    assert html.startswith('<li id="todo-1"><form hx-put="/todos/1"')
    assert '<small id="edit-1-error" class="error" role="alert">Write what needs doing.</small>' \
        in html
    assert items_on_page(client) == ["Buy milk"]


def test_update_with_too_long_title(client: Client, todo: ModuleType) -> None:
    add(client, "Buy milk")
    html = client.put("/todos/1", data={"title": "z" * 500}, hx=True).text
    assert f"Keep it under {todo.MAX_TITLE} characters (500 now)." in html
    assert items_on_page(client) == ["Buy milk"]


# ---- delete -----------------------------------------------------------------------------------


def test_delete_answers_the_counter_and_a_toast(client: Client) -> None:
    add(client, "one")
    add(client, "two")
    response = client.delete("/todos/1", hx=True)
    assert response.status_code == 200
    # The main content is empty, so htmx's outerHTML swap removes the item; the counter
    # and the toast are swapped in out of band.
    counter, toast = response.text.split("</span>", 1)
    assert counter + "</span>" == OOB_COUNTER.format(n=1)
    assert toast.startswith('<div id="appkit-toasts" class="appkit-toasts" '
                            'hx-swap-oob="beforeend">')
    assert 'appkit-toast-success' in toast and "Deleted \u201cone\u201d." in toast
    assert items_on_page(client) == ["two"]
    assert "Deleted" not in client.get("/").text, "a toast shows once"


def test_second_delete_is_404(client: Client) -> None:
    add(client, "one")
    assert client.delete("/todos/1", hx=True).status_code == 200
    response = client.delete("/todos/1", hx=True)
    assert response.status_code == 404
    assert "There is no Todo with id 1." in response.text


def test_ids_are_not_reused_after_delete(client: Client) -> None:
    add(client, "one")
    client.delete("/todos/1", hx=True)
    assert add(client, "two").startswith('<li id="todo-2">')


# ---- the page and unknown items -----------------------------------------------------------------


def test_empty_page(client: Client, todo: ModuleType) -> None:
    response = client.get("/")
    assert response.status_code == 200
    page = response.text
    assert page.startswith("<!doctype html>")
    assert "<title>Todo</title>" in page
    assert '<form id="new-todo" hx-post="/todos" hx-target="#todo-list" hx-swap="beforeend">' \
        in page
    assert '<ul id="todo-list"></ul>' in page
    assert '<span id="todo-count">0 left</span>' in page
    assert "hx-swap-oob" not in page


def test_page_lists_items_in_order_and_links_the_stylesheet(client: Client) -> None:
    for title in ("one", "two", "three"):
        add(client, title)
    client.post("/todos/2/toggle", hx=True)
    page = client.get("/").text
    assert items_on_page(client) == ["one", "two", "three"]
    assert '<span id="todo-count">2 left</span>' in page
    stylesheet = re.search(r'href="(/static/todo\.css\?v=[0-9a-f]{12})"', page)
    assert stylesheet, page[:800]
    css = client.get(stylesheet.group(1))
    assert css.status_code == 200
    assert css.headers["cache-control"] == "public, max-age=31536000, immutable"


def test_each_app_has_its_own_list(todo: ModuleType) -> None:
    with Client(todo.create_app("todo-a")) as first, \
            Client(todo.create_app("todo-b")) as second:
        add(first, "only in the first")
        assert items_on_page(second) == []


def test_the_items_survive_a_restart(todo: ModuleType) -> None:
    with Client(todo.create_app()) as before:
        add(before, "one")
        add(before, "two")
        before.post("/todos/2/toggle", hx=True)
        before.put("/todos/1", data={"title": "one, renamed"}, hx=True)
    with Client(todo.create_app()) as after:  # a new app on the same database
        assert items_on_page(after) == ["one, renamed", "two"]
        assert "1 left" in after.get("/").text


def test_the_database_is_in_the_users_data_folder(todo: ModuleType) -> None:
    app = todo.create_app()
    with Client(app) as client:
        add(client, "one")
    assert app.store.path == Path(os.environ["XDG_DATA_HOME"]) / "todo" / "todo.db"
    assert app.store.path.is_file()


@pytest.mark.parametrize("method, path", [
    ("GET", "/todos/99"),
    ("GET", "/todos/99/edit"),
    ("POST", "/todos/99/toggle"),
    ("PUT", "/todos/99"),
    ("DELETE", "/todos/99"),
])
def test_unknown_id_is_404(client: Client, method: str, path: str) -> None:
    add(client, "one")
    response = client.request(method, path, data={"title": "x"} if method == "PUT" else None,
                              hx=True)
    assert response.status_code == 404
    assert "There is no Todo with id 99." in response.text
    assert items_on_page(client) == ["one"]


@pytest.mark.parametrize("todo_id", ["9223372036854775808", "99999999999999999999"])
def test_an_id_beyond_the_databases_integers_is_404(client: Client, todo_id: str) -> None:
    add(client, "one")
    for method, path in [("GET", f"/todos/{todo_id}"), ("GET", f"/todos/{todo_id}/edit"),
                         ("POST", f"/todos/{todo_id}/toggle"), ("DELETE", f"/todos/{todo_id}")]:
        response = client.request(method, path, hx=True)
        assert response.status_code == 404
        assert f"There is no Todo with id {todo_id}." in response.text
    assert items_on_page(client) == ["one"]


def test_non_numeric_id_is_404(client: Client) -> None:
    assert client.get("/todos/abc", hx=True).status_code == 404
