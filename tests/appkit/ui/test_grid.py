"""DataGrid over a table of 100,000 rows: search, sort, paging, edit with the form model's
checks, only the editable fields written, delete, CSV export, bad input refused."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from dataclasses import dataclass
from typing import Annotated, Any

import pytest

from appkit import App
from appkit.html import Page
from appkit.testing import Client
from appkit.ui import Autocomplete, Score, UISettings
from appkit.ui.grid import _GRIDS, Column, DataGrid, money
from tests.appkit.live.pages import LivePage, component_token, frames, live_client, reply_to

ROUTE = "/_appkit-component"
ROWS = 100_000


@dataclass
class Person:
    id: int | None = None
    name: str = ""
    email: str = ""
    born: dt.date | None = None
    salary: float = 0.0
    is_admin: bool = False

    def validate(self) -> dict[str, str]:
        return {"email": "Must have an @"} if "@" not in self.email else {}


def grid_app() -> App:
    app = App("gridtest", extensions=[UISettings()])

    @app.migration(1)
    def create(db: Any) -> None:
        db.execute("CREATE TABLE person (id INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                   "email TEXT NOT NULL, born TEXT, salary REAL NOT NULL, "
                   "is_admin INTEGER NOT NULL)")
        db.execute("CREATE INDEX person_name ON person(name)")
        db.conn.executemany(
            "INSERT INTO person VALUES (?, ?, ?, ?, ?, 0)",
            ((n, f"Person {n:06d}", f"p{n}@example.org",
              (dt.date(2000, 1, 1) + dt.timedelta(days=n % 9000)).isoformat(), n * 10.5)
             for n in range(1, ROWS + 1)))

    people = app.table_for(Person)

    class PersonGrid(DataGrid):
        table = people
        columns = ("id", "name", "email", Column("born", format="date"),
                   Column("salary", format="money"))
        editable = ("name", "email")

    @app.get("/")
    def index() -> Any:
        return Page("People", PersonGrid.mount())

    app.state_people = people  # type: ignore[attr-defined]
    return app


@pytest.fixture
def app() -> Any:
    return grid_app()


@pytest.fixture
def client(app: App) -> Any:
    with live_client(app) as c:
        yield c


def start(client: Client) -> tuple[str, str]:
    html = client.get("/").text
    return component_token(html, "PersonGrid"), html


def event(client: Client, token: str, **data: Any) -> Any:
    return client.post(ROUTE, data={"_c": token, **data}, headers={"HX-Request": "true"})


def row_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr id="c-[^"]*-r(\d+)"', html)]


def counted(html: str) -> str:
    found = re.search(r'-count"[^>]*>([^<]*)</p>', html)
    assert found is not None, html[:2000]
    return found.group(1)


def test_the_first_page_shows_fifty_rows_of_100000_formatted(client: Client) -> None:
    _, html = start(client)
    assert row_ids(html) == list(range(1, 51))
    assert counted(html) == "1–50 of 100,000"
    assert '<td class="appkit-grid-num">525.00</td>' in html           # money: 50 * 10.5
    assert "2000-01-02" in html                                        # a date
    assert 'data-keyed' in html


def test_money_has_two_places_and_grouped_thousands() -> None:
    assert money(1234.5) == "1,234.50" and money("3") == "3.00" and money(0.005) == "0.01"


def test_paging_goes_to_any_page_and_refuses_pages_it_has_not(client: Client) -> None:
    token, _ = start(client)
    last = event(client, token, _h="goto", page="2000")
    assert last.status_code == 200 and counted(last.text) == "99,951–100,000 of 100,000"
    assert row_ids(last.text) == list(range(99951, 100001))
    for bad in ("0", "2001", "-1", "x", "1e3"):
        assert event(client, token, _h="goto", page=bad).status_code == 400, bad


def test_sort_by_a_column_both_ways_and_refuse_other_columns(client: Client) -> None:
    token, _ = start(client)
    down = event(client, token, _h="order", by="name")
    assert row_ids(down.text)[:3] == [1, 2, 3]
    up = event(client, token, _h="order", by="name")
    assert row_ids(up.text)[:3] == [100000, 99999, 99998]
    assert 'aria-sort="descending"' in up.text
    for bad in ("is_admin", "name; DROP TABLE person", "nope", ""):
        assert event(client, token, _h="order", by=bad).status_code == 400, bad


def test_search_is_a_like_over_text_columns(client: Client) -> None:
    token, _ = start(client)
    found = event(client, token, _h="search", query="Person 09999")
    assert counted(found.text) == "1–10 of 10"
    assert row_ids(found.text) == list(range(99990, 100000))
    by_mail = event(client, token, _h="search", query="p77777@")
    assert row_ids(by_mail.text) == [77777]


@pytest.mark.parametrize("attack", [
    "' OR 1=1 --", "%", "_", "\\", "x'); DROP TABLE person; --", '" OR ""="',
])
def test_sql_in_the_search_is_only_text(client: Client, app: App, attack: str) -> None:
    token, _ = start(client)
    answer = event(client, token, _h="search", query=attack)
    assert answer.status_code == 200 and counted(answer.text) == "0–0 of 0"
    assert app.state_people.count() == ROWS  # type: ignore[attr-defined]


def test_edit_shows_errors_in_the_row_and_writes_only_the_editable_fields(
        client: Client, app: App) -> None:
    people = app.state_people  # type: ignore[attr-defined]
    token, _ = start(client)
    editing = event(client, token, _h="edit", row="7")
    assert 'aria-label="Edit row 7"' in editing.text and 'value="p7@example.org"' in editing.text
    bad = event(client, token, _h="save", row="7", name="Seven", email="no-at-sign")
    assert bad.status_code == 200 and "Must have an @" in bad.text
    assert 'value="no-at-sign"' in bad.text             # what was typed is kept
    assert people.get(7).name == "Person 000007"
    # A field the form does not have is refused, not written.
    sneaky = event(client, token, _h="save", row="7", name="Seven", email="s@x",
                   is_admin="true")
    assert sneaky.status_code == 400 and people.get(7).is_admin is False
    good = event(client, token, _h="save", row="7", name="Seven", email="seven@x.org")
    assert good.status_code == 200 and "Seven" in good.text
    row = people.get(7)
    assert (row.name, row.email, row.salary, row.is_admin) == ("Seven", "seven@x.org", 73.5,
                                                               False)


def test_add_a_row_and_delete_it_with_a_confirmation(client: Client, app: App) -> None:
    people = app.state_people  # type: ignore[attr-defined]
    token, html = start(client)
    assert 'hx-confirm="Delete row 3? This cannot be undone."' in html
    event(client, token, _h="edit", row="0")
    added = event(client, token, _h="save", row="0", name="Zed New", email="zed@x.org")
    assert added.status_code == 200
    new = people.first(name="Zed New")
    assert new is not None and new.email == "zed@x.org" and new.id == ROWS + 1
    gone = event(client, token, _h="delete", row=str(new.id))
    assert gone.status_code == 200 and people.first(name="Zed New") is None
    assert event(client, token, _h="delete", row=str(new.id)).status_code == 404
    assert people.count() == ROWS


def test_selection_keeps_ids_in_state(client: Client) -> None:
    token, _ = start(client)
    one = event(client, token, _h="toggle", row="5")
    assert "1 selected" in one.text and 'aria-selected="true"' in one.text
    page = event(client, token, _h="toggle_page")
    assert "50 selected" in page.text
    none = event(client, token, _h="toggle_page")
    assert "selected</span>" not in none.text


def test_export_streams_the_current_query_as_csv(client: Client) -> None:
    answer = client.get("/_appkit-grid/PersonGrid.csv?q=Person%2000000&sort=name&desc=1")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert rows[0] == ["Id", "Name", "Email", "Born", "Salary"]
    assert [r[0] for r in rows[1:]] == [str(n) for n in range(9, 0, -1)]
    assert rows[-1] == ["1", "Person 000001", "p1@example.org", "2000-01-02", "10.50"]
    whole = client.get("/_appkit-grid/PersonGrid.csv")
    assert whole.text.count("\n") == ROWS + 1


@pytest.mark.parametrize("query", [
    "sort=is_admin", "sort=name;DROP", "other=1", "q=" + "x" * 1001,
])
def test_export_refuses_what_the_grid_does_not_have(client: Client, query: str) -> None:
    assert client.get(f"/_appkit-grid/PersonGrid.csv?{query}").status_code == 400
    assert client.get("/_appkit-grid/Nope.csv").status_code == 404


def test_over_the_socket_editing_one_row_sends_that_row(app: App) -> None:
    with live_client(app) as client:
        page = LivePage(client)
        token = component_token(page.html, "PersonGrid")
        ws = page.connect()
        frames(ws, 1)

        def send(ref: int, **data: Any) -> list[dict[str, Any]]:
            ws.send_text(json.dumps({"t": "ev", "ref": ref, "route": ROUTE,
                                     "d": {"_c": token, **data}}))
            reply = reply_to(ws, ref)
            assert reply["ok"] is True, reply
            return list(reply["ops"])

        opened = send(1, _h="edit", row="7")
        assert [(op["op"], op["target"].rsplit("-", 1)[1]) for op in opened] == [
            ("morph", "r7")]
        assert "<form" in opened[0]["html"] and len(opened[0]["html"]) < 3000
        saved = send(2, _h="save", row="7", name="Person 000007b", email="p7@x.org")
        assert [(op["op"], op["target"].rsplit("-", 1)[1]) for op in saved] == [
            ("morph", "r7")]
        assert "Person 000007b" in saved[0]["html"] and "<form" not in saved[0]["html"]


def test_export_serves_only_this_apps_grids_by_name_and_checks_permissions(app: App) -> None:
    other = App("gridother", extensions=[UISettings()])

    @dataclass
    class Note:
        id: int | None = None
        text: str = ""

    @other.migration(1)
    def create(db: Any) -> None:
        db.execute("CREATE TABLE note (id INTEGER PRIMARY KEY, text TEXT NOT NULL)")
        db.execute("INSERT INTO note VALUES (1, 'secret')")

    other.provide("user", lambda: "guest")

    class NoteGrid(DataGrid):
        table = other.table_for(Note)
        permissions = (lambda user: user == "admin",)

    class PersonGrid(DataGrid):   # the name of the first app's grid, over another table
        table = other.table_for(Note)

    with Client(app) as client:   # the first app cannot export the other's grid
        assert client.get("/_appkit-grid/NoteGrid.csv").status_code == 404
        mine = client.get("/_appkit-grid/PersonGrid.csv?q=Person%20000001")
        assert mine.text.splitlines()[0] == "Id,Name,Email,Born,Salary"
    with Client(other) as client:
        assert client.get("/_appkit-grid/NoteGrid.csv").status_code == 403
        assert client.get("/_appkit-grid/PersonGrid.csv").text.splitlines() == [
            "Id,Text", "1,secret"]


def test_a_sort_by_an_indexed_column_reads_the_page_through_the_index(app: App) -> None:
    people = app.state_people  # type: ignore[attr-defined]
    grid = _GRIDS["PersonGrid"][-1]
    with Client(app) as client:
        client.get("/")   # the database is made
        sql = (f"SELECT * FROM person ORDER BY {grid.order_by('name', True)} "
               "LIMIT 50 OFFSET 99950")
        plan = " ".join(str(r[-1]) for r in people._db().execute(
            "EXPLAIN QUERY PLAN " + sql).fetchall())
    assert "USING INDEX person_name" in plan and "TEMP B-TREE" not in plan, plan


@dataclass
class Spend:
    id: int | None = None
    day: dt.date | None = None
    category: str = ""
    amount: float = 0.0


def spend_app() -> App:
    from appkit.live import state

    app = App("gridfilters", extensions=[UISettings()])

    @app.migration(1)
    def create(db: Any) -> None:
        db.execute("CREATE TABLE spend (id INTEGER PRIMARY KEY, day TEXT, category TEXT, "
                   "amount REAL)")
        db.conn.executemany("INSERT INTO spend VALUES (?, ?, ?, ?)", [
            (1, "2024-05-01", "Food", 10.0), (2, "2024-05-20", "Travel", 20.0),
            (3, "2024-06-02", "Food", 30.0), (4, "2024-06-03", "Food%", 40.0)])

    class SpendGrid(DataGrid):
        table = app.table_for(Spend)
        category: str = state("", bind=True)
        month: str = state("", bind=True)
        filters = ("category", "month")

        @classmethod
        def filter_where(cls, name: str, value: str) -> tuple[str, list[Any]]:
            if name == "month":
                return "substr(day, 1, 7) = ?", [value]
            return super().filter_where(name, value)

    @app.get("/")
    def index() -> Any:
        return Page("Spend", SpendGrid.mount())

    return app


def test_filters_narrow_the_rows_the_count_and_the_export() -> None:
    with live_client(spend_app()) as client:
        token = component_token(client.get("/").text, "SpendGrid")
        food = event(client, token, _h="search", category="Food")
        assert row_ids(food.text) == [1, 3] and counted(food.text) == "1–2 of 2"
        assert 'href="/_appkit-grid/SpendGrid.csv?category=Food"' in food.text
        both = event(client, token, _h="search", month="2024-06")   # the category stays
        assert row_ids(both.text) == [3] and counted(both.text) == "1–1 of 1"
        searched = event(client, token, _h="search", query="Food", category="")
        assert row_ids(searched.text) == [3, 4]                     # month 2024-06, any
        exported = client.get("/_appkit-grid/SpendGrid.csv?month=2024-05&category=Travel")
        assert exported.text.splitlines()[1:] == ["2,2024-05-20,Travel,20.0"]
        assert client.get("/_appkit-grid/SpendGrid.csv?category=Food%25").text.count(
            "\n") == 2                                              # exact, not a LIKE
        assert client.get("/_appkit-grid/SpendGrid.csv?other=1").status_code == 400
        assert client.get("/_appkit-grid/SpendGrid.csv?month=" + "9" * 1001
                          ).status_code == 400


def test_a_filter_must_be_a_state_field_and_say_what_it_matches() -> None:
    from appkit.errors import ConfigurationError
    from appkit.live import state

    app = App("gridbadfilters", extensions=[UISettings()])
    with pytest.raises(ConfigurationError, match="a filter is a str state field"):
        class NoField(DataGrid):
            table = app.table_for(Spend)
            filters = ("category",)
    with pytest.raises(ConfigurationError, match="override filter_where"):
        class NoColumn(DataGrid):
            table = app.table_for(Spend)
            month: str = state("", bind=True)
            filters = ("month",)


def socket_sender(client: Client) -> tuple[Any, Any]:
    """A live page of the grid and a function sending one of its events over the socket
    (the operations of the reply)."""
    page = LivePage(client)
    token = component_token(page.html, "PersonGrid")
    ws = page.connect()
    frames(ws, 1)
    refs = iter(range(1, 1000))

    def send(**data: Any) -> list[dict[str, Any]]:
        ref = next(refs)
        ws.send_text(json.dumps({"t": "ev", "ref": ref, "route": ROUTE,
                                 "d": {"_c": token, **data}}))
        reply = reply_to(ws, ref)
        assert reply["ok"] is True, reply
        return list(reply["ops"])

    return page, send


def shape(ops: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Each operation and the end of its target's id (``rows``, ``pager``, ``r7``...)."""
    return [(op["op"], op["target"].rsplit("-", 1)[1]) for op in ops]


def test_over_the_socket_a_page_sort_or_search_sends_the_rows_and_pager_only(app: App) -> None:
    with live_client(app) as client:
        page, send = socket_sender(client)
        whole = len(page.html)
        paged = send(_h="goto", page="2")
        assert sorted(shape(paged)) == [("inner", "pager"), ("inner", "rows")]
        rows = next(op["html"] for op in paged if op["op"] == "inner"
                    and op["target"].endswith("-rows"))
        assert row_ids(rows) == list(range(51, 101)) and "<tbody" not in rows
        pager = next(op["html"] for op in paged if op["target"].endswith("-pager"))
        assert "51–100 of 100,000" in pager and "Page 2 of 2,000" in pager
        # A row is its cells: its checkbox sends its event through grid.js (data-k).
        assert rows.count('<input type="checkbox" aria-label="Select row ') == 50
        assert rows.count("data-k=") == 50 and "hx-post" not in rows
        assert rows.count('data-do="edit"') == rows.count('data-do="delete"') == 50
        assert len(rows) / 50 < 520, len(rows) / 50   # a row was 803 characters
        size = sum(len(op["html"]) for op in paged)
        assert size < whole - 4000, (size, whole)      # not the tools, headings, table
        ordered = send(_h="order", by="name")   # page 1, the headings, the export's link
        assert sorted(shape(ordered)) == [("inner", "head"), ("inner", "pager"),
                                          ("inner", "rows"), ("inner", "tools")]
        searched = send(_h="search", query="Person 09999")    # rows not on the page
        assert sorted(shape(searched)) == [("inner", "pager"), ("inner", "rows"),
                                           ("inner", "tools")]   # the export's link
        # One row selected: that row, and the tools' "1 selected"; the rows stay.
        picked = send(_h="toggle", row="99995")
        assert sorted(shape(picked)) == [("inner", "tools"), ("morph", "r99995")]


def test_rows_carry_their_key_and_no_htmx_and_the_page_loads_grid_js(client: Client) -> None:
    _, html = start(client)
    row = re.search(r'<tr id="c-[^"]*-r7"[^>]*>.*?</tr>', html, re.S)
    assert row is not None and 'data-k="7"' in row.group(0)
    assert '<td><input type="checkbox" aria-label="Select row 7"></td>' in row.group(0)
    assert re.search(r'<tbody id="c-[^"]*-rows" data-keyed data-grid-event="/_appkit-component"',
                     html)
    assert re.search(r'<script src="/_appkit/ui/grid.js\?v=[0-9a-f]+" defer', html), (
        re.findall(r"<script[^>]*>", html))


# ---- inline edit with the model's field types ------------------------------------------------

CLIENTS = {1: "Acme", 2: "Globex", 3: "Initech"}


@dataclass
class Deal:
    id: int | None = None
    title: str = ""
    account: Annotated[int, Autocomplete(list(CLIENTS.items()))] = 1
    stars: Annotated[int, Score(max=5)] = 3
    closes: dt.date | None = None
    value: float = 0.0


def deal_app() -> App:
    app = App("griddeals", extensions=[UISettings()])

    @app.migration(1)
    def create(db: Any) -> None:
        db.execute("CREATE TABLE deal (id INTEGER PRIMARY KEY, title TEXT NOT NULL, "
                   "account INTEGER NOT NULL, stars INTEGER NOT NULL, closes TEXT, "
                   "value REAL NOT NULL)")
        db.execute("INSERT INTO deal VALUES (1, 'Big one', 2, 4, '2024-05-01', 1234.5)")

    deals = app.table_for(Deal)

    class DealGrid(DataGrid):
        table = deals
        columns = ("title", "account", Column("closes", format="date"),
                   Column("value", format="money"))
        editable = ("title", "account", "stars", "closes", "value")

    @app.get("/")
    def index() -> Any:
        return Page("Deals", DealGrid.mount())

    app.state_deals = deals  # type: ignore[attr-defined]
    return app


def test_inline_edit_uses_the_models_field_types_and_shows_errors_in_the_row() -> None:
    app = deal_app()
    deals = app.state_deals  # type: ignore[attr-defined]
    with live_client(app) as client:
        token = component_token(client.get("/").text, "DealGrid")
        editing = event(client, token, _h="edit", row="1").text
        row = re.search(r'<tr id="c-[^"]*-r1">.*?</tr>', editing, re.S)
        assert row is not None and "<form" in row.group(0)
        form = row.group(0)
        # Autocomplete of values and labels: the label shown, the value sent.
        assert ('<input type="text" id="account" name="account" value="Globex" '
                'role="combobox"') in form
        assert '<input type="hidden" name="account" value="2" data-appkit-value>' in form
        assert 'role="radiogroup"' in form        # the score: stars, the row's 4 checked
        assert '<input type="radio" id="stars-4" name="stars" value="4" checked>' in form
        assert '<input type="date" value="2024-05-01" id="closes" name="closes">' in form
        assert ('<input type="number" value="1234.5" id="value" name="value" step="any" '
                'inputmode="decimal">') in form
        # Errors of each kind show in the row, by their fields, and nothing is written.
        bad = event(client, token, _h="save", row="1", title="Big one", account="99",
                    stars="9", closes="2024-13-01", value="x")
        assert bad.status_code == 200
        row = re.search(r'<tr id="c-[^"]*-r1">.*?</tr>', bad.text, re.S)
        assert row is not None
        for name in ("account", "stars", "closes", "value"):
            assert re.search(rf'<small id="{name}-error" class="error" role="alert">',
                             row.group(0)), name
        assert "is not one of the choices" in row.group(0)
        assert 'value="99"' in row.group(0)                    # what was sent stays
        assert deals.get(1).account == 2 and deals.get(1).stars == 4
        good = event(client, token, _h="save", row="1", title="Big one", account="3",
                     stars="5", closes="2024-06-30", value="99.5")
        assert good.status_code == 200 and "<form" not in good.text
        saved = deals.get(1)
        assert (saved.account, saved.stars, saved.closes, saved.value) == (
            3, 5, dt.date(2024, 6, 30), 99.5)


def test_a_grid_in_an_app_without_the_kit_brings_its_script() -> None:
    """Its rows' controls are sent by grid.js: an app with the live layer alone gets it on
    the grid's page (and the toggle it sends works)."""
    app = App("gridnokit")

    @dataclass
    class Item:
        id: int | None = None
        name: str = ""

    @app.migration(1)
    def create(db: Any) -> None:
        db.execute("CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
        db.execute("INSERT INTO item VALUES (1, 'one')")

    class ItemGrid(DataGrid):
        table = app.table_for(Item)

    @app.get("/")
    def index() -> Any:
        return Page("Items", ItemGrid.mount())

    with live_client(app) as client:
        html = client.get("/").text
        assert html.count("/_appkit/ui/grid.js?v=") == 1 and "ui.css" not in html
        token = component_token(html, "ItemGrid")
        assert "1 selected" in event(client, token, _h="toggle", row="1").text
        assert client.get("/").text.count("/_appkit/ui/grid.js?v=") == 1   # once


def test_a_column_of_an_autocompletes_values_shows_their_labels() -> None:
    app = deal_app()
    with live_client(app) as client:
        html = client.get("/").text
        row = re.search(r'<tr id="c-[^"]*-r1"[^>]*>.*?</tr>', html, re.S)
        assert row is not None and "<td>Globex</td>" in row.group(0), row
        exported = client.get("/_appkit-grid/DealGrid.csv").text.splitlines()
    assert exported == ["Title,Account,Closes,Value", "Big one,Globex,2024-05-01,1234.50"]
