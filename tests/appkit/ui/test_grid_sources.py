"""DataGrid over a query (search, sort and paging in SQL around it, read-only unless the
grid saves and deletes) and over a Python list (in Python), each at 100,000 rows; hostile
sort, search, page and key values answered 400, never 500."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from appkit import App
from appkit.errors import ConfigurationError
from appkit.html import Div, Page
from appkit.live import state
from appkit.testing import Client
from appkit.ui import UISettings
from appkit.ui.grid import Column, DataGrid, Query, Rows
from tests.appkit.live.pages import LivePage, component_token, frames, live_client, reply_to
from tests.appkit.ui.test_grid import counted, event, row_ids

ROUTE = "/_appkit-component"
ROWS = 100_000
HOSTILE_SORTS = ["secret", "name; DROP TABLE item", "name DESC", '"name"', "1", "",
                 "x" * 5000, "price)--", "rowid"]
HOSTILE_SEARCHES = ["' OR 1=1 --", "%", "_", "\\", "x'); DROP TABLE item; --", '" OR ""="',
                    "%' UNION SELECT secret, 1, 1, 1 FROM item --"]


@dataclass
class Kind:
    code: str
    title: str


@dataclass
class ShelfItem:
    name: str


def query_app() -> App:
    app = App("gridquery", extensions=[UISettings()])

    @app.migration(1)
    def create(db: Any) -> None:
        db.execute("CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                   "category TEXT NOT NULL, price REAL NOT NULL, secret TEXT)")
        db.execute("CREATE TABLE category (code TEXT PRIMARY KEY, title TEXT NOT NULL)")
        db.conn.executemany("INSERT INTO category VALUES (?, ?)",
                            [("a", "Apples"), ("b", "Bread"), ("c", "Cheese")])
        db.conn.executemany(
            "INSERT INTO item VALUES (?, ?, ?, ?, 'topsecret')",
            ((n, f"Item {n:06d}", "abc"[n % 3], n / 4) for n in range(1, ROWS + 1)))

    class Items(DataGrid):
        source = Query(app, "SELECT i.id, i.name, c.title AS kind, i.price FROM item i "
                            "JOIN category c ON c.code = i.category WHERE i.price >= ?",
                       [0])
        columns = ("id", "name", "kind", Column("price", format="money"))

    class Cheap(DataGrid):          # the parameters narrow the query
        source = Query(app, "SELECT id, name FROM item WHERE price < ?", lambda: [1])

    class Kinds(DataGrid):          # editable and deletable through its own handlers
        source = Query(app, "SELECT code, title FROM category", key="code")
        form = Kind

        def save_row(self, key: Any, value: Kind) -> dict[str, str] | None:
            if value.title == "nope":
                return {"title": "Say something"}
            with app.db.transaction() as db:
                if key is None:
                    db.execute("INSERT INTO category VALUES (?, ?)",
                               [value.code, value.title])
                else:
                    db.execute("UPDATE category SET title = ? WHERE code = ?",
                               [value.title, key])
            return None

        def delete_row(self, key: Any) -> None:
            with app.db.transaction() as db:
                db.execute("DELETE FROM category WHERE code = ?", [key])

    @app.get("/")
    def index() -> Any:
        return Page("Items", Items.mount())

    @app.get("/cheap")
    def cheap() -> Any:
        return Page("Cheap", Cheap.mount())

    @app.get("/kinds")
    def kinds() -> Any:
        return Page("Kinds", Kinds.mount())

    return app


@pytest.fixture(scope="module")
def qclient() -> Any:
    with live_client(query_app()) as c:
        yield c


def test_a_query_grid_pages_100000_rows_in_sql(qclient: Client) -> None:
    html = qclient.get("/").text
    token = component_token(html, "Items")
    assert row_ids(html) == list(range(1, 51)) and counted(html) == "1–50 of 100,000"
    assert "Apples" in html and "<td class=\"appkit-grid-num\">0.25</td>" in html
    assert "topsecret" not in html                        # only the query's columns
    assert ">Edit<" not in html and ">Delete<" not in html and ">Add<" not in html
    last = event(qclient, token, _h="goto", page="2000")
    assert last.status_code == 200 and counted(last.text) == "99,951–100,000 of 100,000"
    assert row_ids(last.text) == list(range(99951, 100001))
    for bad in ("0", "2001", "-1", "x", "1e3", "9" * 30, ""):
        assert event(qclient, token, _h="goto", page=bad).status_code == 400, bad


def test_a_query_grid_sorts_by_its_result_columns_only(qclient: Client) -> None:
    token = component_token(qclient.get("/").text, "Items")
    down = event(qclient, token, _h="order", by="kind")
    assert down.status_code == 200 and "Apples" in down.text and "Bread" not in down.text
    assert row_ids(down.text)[:3] == [3, 6, 9]          # ties: by the key
    up = event(qclient, token, _h="order", by="price")
    up = event(qclient, token, _h="order", by="price")
    assert row_ids(up.text)[:3] == [100000, 99999, 99998]
    for bad in HOSTILE_SORTS:
        assert event(qclient, token, _h="order", by=bad).status_code == 400, bad[:40]


def test_a_query_grid_searches_its_text_columns_with_parameters(qclient: Client) -> None:
    token = component_token(qclient.get("/").text, "Items")
    found = event(qclient, token, _h="search", query="item 09999")   # LIKE: any case
    assert counted(found.text) == "1–10 of 10"
    kind = event(qclient, token, _h="search", query="chees")
    assert counted(kind.text) == "1–50 of 33,333"                    # a joined column
    for attack in HOSTILE_SEARCHES:
        answer = event(qclient, token, _h="search", query=attack)
        assert answer.status_code == 200 and counted(answer.text) == "0–0 of 0", attack
    assert event(qclient, token, _h="search", query="x" * 1001).status_code == 400
    assert event(qclient, token, _h="search", query="a\x00b").status_code == 200
    assert qclient.app.db.execute("SELECT count(*) FROM item").fetchone()[0] == ROWS  # type: ignore[attr-defined]


def test_a_query_grid_is_read_only_without_its_own_handlers(qclient: Client) -> None:
    token = component_token(qclient.get("/").text, "Items")
    assert event(qclient, token, _h="delete", row="5").status_code == 400
    assert event(qclient, token, _h="edit", row="5").status_code == 400
    assert event(qclient, token, _h="save", row="5", name="x").status_code == 404  # none
    assert event(qclient, token, _h="toggle", row="x").status_code == 400
    assert event(qclient, token, _h="toggle", row="5").status_code == 200


def test_a_query_grid_parameters_narrow_it(qclient: Client) -> None:
    html = qclient.get("/cheap").text
    assert row_ids(html) == [1, 2, 3] and counted(html) == "1–3 of 3"


def test_a_query_grid_exports_its_search_in_its_sort(qclient: Client) -> None:
    answer = qclient.get("/_appkit-grid/Items.csv?q=item%2000000&sort=name&desc=1")
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert rows[0] == ["Id", "Name", "Kind", "Price"]
    assert [r[0] for r in rows[1:]] == [str(n) for n in range(9, 0, -1)]
    assert rows[-1] == ["1", "Item 000001", "Bread", "0.25"]
    assert qclient.get("/_appkit-grid/Items.csv").text.count("\n") == ROWS + 1
    for bad in ("sort=secret", "sort=name%3BDROP", "q=" + "x" * 1001, "other=1"):
        assert qclient.get(f"/_appkit-grid/Items.csv?{bad}").status_code == 400, bad


def test_a_query_grid_edits_and_deletes_through_its_own_handlers(qclient: Client) -> None:
    db = qclient.app.db  # type: ignore[attr-defined]
    html = qclient.get("/kinds").text
    token = component_token(html, "Kinds")
    assert row_ids(html) == [] and 'id="c-' in html and "-ra\"" in html   # keys are text
    opened = event(qclient, token, _h="edit", row="b")
    assert 'aria-label="Edit row b"' in opened.text and 'value="Bread"' in opened.text
    refused = event(qclient, token, _h="save", row="b", code="b", title="nope")
    assert "Say something" in refused.text
    assert db.execute("SELECT title FROM category WHERE code='b'").fetchone()[0] == "Bread"
    event(qclient, token, _h="save", row="b", code="b", title="Baguettes")
    assert db.execute("SELECT title FROM category WHERE code='b'").fetchone()[0] == "Baguettes"
    event(qclient, token, _h="edit", row="")
    added = event(qclient, token, _h="save", row="", code="d", title="Dates")
    assert added.status_code == 200 and "Dates" in added.text
    assert event(qclient, token, _h="edit", row="zz").status_code == 404
    gone = event(qclient, token, _h="delete", row="d")
    assert gone.status_code == 200 and "Dates" not in gone.text
    assert event(qclient, token, _h="delete", row="d").status_code == 404
    event(qclient, token, _h="save", row="b", code="b", title="Bread")


def test_a_query_is_checked_when_the_grid_is_made() -> None:
    app = App("gridquerybad")
    with pytest.raises(ConfigurationError, match="one SELECT statement"):
        Query(app, "DELETE FROM item")
    with pytest.raises(ConfigurationError, match="one SELECT statement"):
        Query(app, "SELECT 1; DROP TABLE item")
    with pytest.raises(ConfigurationError, match="a sequence"):
        Query(app, "SELECT * FROM item WHERE id = :id", {"id": 1})
    with pytest.raises(ConfigurationError, match="only one of them"):
        class Half(DataGrid):
            source = Query(app, "SELECT 1 AS id")
            form = Kind
    with pytest.raises(ConfigurationError, match="editable is for a table"):
        class Wrong(DataGrid):
            source = Query(app, "SELECT 1 AS id")
            editable = ("id",)


def test_a_query_without_its_key_column_says_so(error_logs: list[Any]) -> None:
    app = App("gridquerykey", extensions=[UISettings()])

    class NoKey(DataGrid):
        source = Query(app, "SELECT 1 AS n")

    @app.get("/")
    def index() -> Any:
        return Page("x", NoKey.mount())

    with live_client(app) as client:      # the author's mistake: a 500 that says it
        assert client.get("/").status_code == 500
    assert any("key=<a column" in str(r.exc_info[1]) for r in error_logs if r.exc_info)


# ---- a list ----------------------------------------------------------------------------------


@dataclass
class Book:
    id: int
    title: str
    author: str
    pages: int | None


BOOKS = [Book(n, f"Book {n:06d}", ["Ada", "Brontë", "Çelik"][n % 3],
              None if n % 10 == 0 else n % 500) for n in range(1, ROWS + 1)]


def list_app() -> App:
    app = App("gridlist", extensions=[UISettings()])
    shelf: list[dict[str, Any]] = [{"sku": "a-1", "name": "Lamp", "stock": 3},
                                   {"sku": "b 2", "name": "Desk", "stock": 0}]

    class Books(DataGrid):
        source = Rows(BOOKS, app=app)
        author: str = state("", bind=True)
        filters = ("author",)

        def render(self) -> Any:
            return Div(super().render())

    class Shelf(DataGrid):          # dicts, keyed by text, edited in the list
        source = Rows(lambda: shelf, key="sku", app=app)
        form = ShelfItem

        def save_row(self, key: Any, value: ShelfItem) -> dict[str, str] | None:
            for item in shelf:
                if item["sku"] == key:
                    item["name"] = value.name
            return None

        def delete_row(self, key: Any) -> None:
            shelf[:] = [item for item in shelf if item["sku"] != key]

    @app.get("/")
    def index() -> Any:
        return Page("Books", Books.mount())

    @app.get("/shelf")
    def on_shelf() -> Any:
        return Page("Shelf", Shelf.mount())

    app.state_shelf = shelf  # type: ignore[attr-defined]
    return app


@pytest.fixture(scope="module")
def lclient() -> Any:
    with live_client(list_app()) as c:
        yield c


def test_a_list_grid_pages_sorts_searches_and_filters_100000_rows(lclient: Client) -> None:
    html = lclient.get("/").text
    token = component_token(html, "Books")
    assert row_ids(html) == list(range(1, 51)) and counted(html) == "1–50 of 100,000"
    last = event(lclient, token, _h="goto", page="2000")
    assert row_ids(last.text) == list(range(99951, 100001))
    by_pages = event(lclient, token, _h="order", by="pages")
    assert row_ids(by_pages.text)[:3] == [10, 20, 30]             # None first, as SQLite
    down = event(lclient, token, _h="order", by="pages")
    assert row_ids(down.text)[:3] == [99999, 99499, 98999]        # 499 pages, key desc
    found = event(lclient, token, _h="search", query="BOOK 01234")
    assert counted(found.text) == "1–10 of 10"                     # 012340 to 012349
    event(lclient, token, _h="search", query="")
    accent = event(lclient, token, _h="search", author="Çelik")
    assert counted(accent.text) == "1–50 of 33,333"
    for bad in HOSTILE_SORTS:
        assert event(lclient, token, _h="order", by=bad).status_code == 400, bad[:40]
    for attack in HOSTILE_SEARCHES:
        answer = event(lclient, token, _h="search", query=attack)
        assert answer.status_code == 200 and counted(answer.text) == "0–0 of 0", attack
    assert event(lclient, token, _h="search", query="x" * 1001).status_code == 400
    assert event(lclient, token, _h="search", query="a\x00b").status_code == 200
    assert event(lclient, token, _h="toggle", row="1; x").status_code == 400
    assert event(lclient, token, _h="delete", row="1").status_code == 400
    assert len(BOOKS) == ROWS


def test_a_list_grid_exports_in_its_order(lclient: Client) -> None:
    answer = lclient.get("/_appkit-grid/Books.csv?q=book%2000000&sort=title&desc=1"
                         "&author=Ada")
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert rows == [["Id", "Title", "Author", "Pages"], ["9", "Book 000009", "Ada", "9"],
                    ["6", "Book 000006", "Ada", "6"], ["3", "Book 000003", "Ada", "3"]]
    assert lclient.get("/_appkit-grid/Books.csv?sort=nope").status_code == 400


def test_a_list_grid_of_dicts_edits_and_deletes_by_its_key(lclient: Client) -> None:
    shelf = lclient.app.state_shelf  # type: ignore[attr-defined]
    html = lclient.get("/shelf").text
    token = component_token(html, "Shelf")
    assert 'aria-label="Edit row b 2"' in html and "-rb.20.2\"" in html   # any key: an id
    event(lclient, token, _h="edit", row="b 2")
    event(lclient, token, _h="save", row="b 2", name="Big desk")
    assert shelf[1]["name"] == "Big desk"
    assert event(lclient, token, _h="edit", row="nope").status_code == 404
    event(lclient, token, _h="delete", row="a-1")
    assert [item["sku"] for item in shelf] == ["b 2"]


def test_over_the_socket_editing_one_listed_row_sends_that_row() -> None:
    app = list_app()
    with live_client(app) as client:
        page = LivePage(client, path="/shelf")
        token = component_token(page.html, "Shelf")
        ws = page.connect()
        frames(ws, 1)

        def send(ref: int, **data: Any) -> list[dict[str, Any]]:
            ws.send_text(json.dumps({"t": "ev", "ref": ref, "route": ROUTE,
                                     "d": {"_c": token, **data}}))
            reply = reply_to(ws, ref)
            assert reply["ok"] is True, reply
            return list(reply["ops"])

        opened = send(1, _h="edit", row="b 2")
        assert [(op["op"], op["target"].rsplit("-", 1)[1]) for op in opened] == [
            ("morph", "rb.20.2")]
        assert "<form" in opened[0]["html"]
        saved = send(2, _h="save", row="b 2", name="Standing desk")
        assert [(op["op"], op["target"].rsplit("-", 1)[1]) for op in saved] == [
            ("morph", "rb.20.2")]
        assert "Standing desk" in saved[0]["html"] and "<form" not in saved[0]["html"]
        assert app.state_shelf[1]["name"] == "Standing desk"  # type: ignore[attr-defined]


@pytest.mark.parametrize("make, name", [(query_app, "Items"), (list_app, "Books")])
def test_over_the_socket_a_search_that_is_not_text_is_a_400(make: Callable[[], App],
                                                           name: str) -> None:
    with live_client(make()) as client:
        page = LivePage(client)
        token = component_token(page.html, name)
        ws = page.connect()
        frames(ws, 1)
        for ref, data in enumerate(({"_h": "search", "query": "a\ud800b"},
                                    {"_h": "order", "by": "\ud800"},
                                    {"_h": "goto", "page": "1"}), start=1):
            ws.send_text(json.dumps({"t": "ev", "ref": ref, "route": ROUTE,
                                     "d": {"_c": token, **data}}))
            reply = reply_to(ws, ref)
            if ref < 3:
                assert reply["ok"] is False and reply["error"]["status"] == 400, reply
        assert reply["ok"] is True, reply      # the refused search was not kept
