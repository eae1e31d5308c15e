"""Tables from dataclasses: creating, typed round trips, queries, scoped views, bad input,
and a missing row inside a handler answered with a 404 page."""

from __future__ import annotations

import datetime
import sqlite3
import subprocess
import sys
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar, Optional

import pytest

from appkit import App
from appkit.data import Database, Migrations, Store, Table
from appkit.data.errors import RowNotFound
from appkit.errors import ConfigurationError, NotFound
from appkit.testing import Client
from tests.appkit.data.toggler import Switch, toggle_many

ROOT = Path(__file__).resolve().parents[3]


@dataclass
class Todo:
    title: str
    done: bool = False
    due: datetime.date | None = None
    id: int | None = None


@dataclass
class Sample:
    count: int
    ratio: float
    name: str
    flag: bool
    blob: bytes
    day: datetime.date
    moment: datetime.datetime
    maybe: Optional[int] = None  # noqa: UP045 - the old spelling works too
    id: int | None = None


@dataclass
class Item:
    title: str
    owner: int
    id: int | None = None


@dataclass(frozen=True)
class Setting:
    key: str
    value: str


@pytest.fixture
def todos(store: Store) -> Table[Todo]:
    return store.table_for(Todo)


def test_the_table_is_made_from_the_dataclass_on_first_use(store: Store,
                                                           db_path: Path) -> None:
    table = store.table_for(Sample)
    assert table.name == "sample" and table.pk == "id" and table.cls is Sample
    assert not db_path.exists()  # made at import time, it opens nothing
    assert table.count() == 0
    assert store.db["sample"].columns_dict == {
        "count": int, "ratio": float, "name": str, "flag": int, "blob": bytes,
        "day": str, "moment": str, "maybe": int, "id": int}
    assert store.db["sample"].pks == ["id"]


def test_names_default_to_the_class_name_in_snake_case(store: Store) -> None:
    @dataclass
    class TodoItem:
        text: str
        id: int | None = None

    @dataclass
    class HTTPLog:
        text: str
        id: int | None = None

    assert store.table_for(TodoItem).name == "todo_item"
    assert store.table_for(HTTPLog).name == "http_log"
    assert store.table_for(TodoItem, name="items").name == "items"


def test_every_type_comes_back_as_it_went_in(store: Store) -> None:
    table = store.table_for(Sample)
    moment = datetime.datetime(2026, 11, 22, 9, 30, 15, 123456,
                               tzinfo=datetime.timezone(datetime.timedelta(hours=1)))
    sample = Sample(3, 0.5, "Ann <&>", True, b"\x00\xff", datetime.date(2026, 1, 31), moment)
    saved = table.insert(sample)
    assert saved.id == 1 and sample.id is None  # a copy with its key; the original as it was
    got = table.get(1)
    assert got == saved
    assert type(got.flag) is bool and type(got.day) is datetime.date
    assert type(got.moment) is datetime.datetime and got.moment.utcoffset() is not None
    assert store.db.execute("SELECT flag, day, moment FROM sample").fetchone() == (
        1, "2026-01-31", "2026-11-22T09:30:15.123456+01:00")
    empty = table.insert(Sample(0, 0.0, "", False, b"", datetime.date.min,
                                datetime.datetime.min))
    assert table.get(empty.id).maybe is None and table.get(empty.id).flag is False


def test_insert_get_update_upsert_delete(todos: Table[Todo]) -> None:
    milk = todos.insert(Todo("Milk"))
    eggs = todos.insert(Todo("Eggs", due=datetime.date(2026, 12, 1)))
    assert (milk.id, eggs.id) == (1, 2)
    milk.done = True
    assert todos.update(milk) == milk
    assert todos.get(1).done is True
    bread = todos.upsert(Todo("Bread"))  # no key yet: inserted
    assert bread.id == 3
    todos.upsert(Todo("Bread, brown", id=3))  # replaced
    todos.upsert(Todo("Jam", id=10))  # inserted with that key
    assert [t.title for t in todos.find(order_by="id")] == ["Milk", "Eggs", "Bread, brown",
                                                           "Jam"]
    todos.delete(2)
    with pytest.raises(RowNotFound):
        todos.get(2)
    assert todos.count() == 3


def test_missing_rows_raise_row_not_found(todos: Table[Todo]) -> None:
    with pytest.raises(RowNotFound, match="There is no Todo with id 42") as caught:
        todos.get(42)
    assert isinstance(caught.value, NotFound) and caught.value.status == 404
    with pytest.raises(RowNotFound):
        todos.update(Todo("ghost", id=42))
    with pytest.raises(RowNotFound):
        todos.delete(42)


def test_find_first_and_count(todos: Table[Todo]) -> None:
    for i in range(10):
        todos.insert(Todo(f"task {i}", done=i % 3 == 0,
                          due=datetime.date(2026, 1, 1 + i) if i < 5 else None))
    assert len(todos.find()) == 10
    assert [t.id for t in todos.find(done=True)] == [1, 4, 7, 10]
    assert [t.id for t in todos.find(due=None)] == [6, 7, 8, 9, 10]
    assert [t.id for t in todos.find(due=datetime.date(2026, 1, 3))] == [3]
    assert [t.id for t in todos.find("due < ?", ["2026-01-03"])] == [1, 2]
    assert [t.id for t in todos.find("due < :d", {"d": "2026-01-03"}, done=False)] == [2]
    assert [t.id for t in todos.find("id > ?", [2], done=False, order_by="id desc",
                                     limit=3)] == [9, 8, 6]
    assert [t.id for t in todos.find(order_by="id", limit=2, offset=8)] == [9, 10]
    assert [t.id for t in todos.find(order_by="id", offset=8)] == [9, 10]
    assert todos.first(done=True, order_by="id desc") == todos.get(10)
    assert todos.first(title="nothing like it") is None
    assert todos.count(done=True) == 4 and todos.count("id <= ?", [3]) == 3
    assert todos.count("title LIKE :p", {"p": "task 1%"}) == 1


@pytest.mark.parametrize(("call", "error", "words"), [
    (lambda t: t.find(titel="x"), TypeError, "Todo has no field 'titel'; its fields are "
                                             "title, done, due, id"),
    (lambda t: t.count(nope=1), TypeError, "no field 'nope'"),
    (lambda t: t.find(limit=-1), ValueError, "limit must be a whole number >= 0, not -1"),
    (lambda t: t.find(offset="3"), ValueError, "offset must be a whole number"),
    (lambda t: t.insert({"title": "x"}), TypeError, "holds Todo objects, not dict"),
    (lambda t: t.update(Todo("no key")), ValueError, "has no id yet: insert it"),
    (lambda t: t.scoped(id=1), TypeError, "by its primary key"),
    (lambda t: t.scoped(done=True).scoped(done=False), ValueError, "already scoped to done"),
])
def test_bad_input_is_refused_clearly(todos: Table[Todo], call: Any, error: type,
                                      words: str) -> None:
    with pytest.raises(error, match=words.replace("(", r"\(").replace(")", r"\)")):
        call(todos)


def test_a_duplicate_key_is_an_integrity_error(todos: Table[Todo]) -> None:
    todos.insert(Todo("a", id=1))
    with pytest.raises(sqlite3.IntegrityError):
        todos.insert(Todo("b", id=1))
    assert todos.get(1).title == "a"


def test_a_text_primary_key(store: Store) -> None:
    settings = store.table_for(Setting, pk="key")
    assert settings.insert(Setting("theme", "dark")) == Setting("theme", "dark")
    settings.upsert(Setting("theme", "light"))
    assert settings.get("theme") == Setting("theme", "light")
    with pytest.raises(ValueError, match="only an int primary key is numbered"):
        settings.insert(Setting(None, "x"))  # type: ignore[arg-type]


@pytest.mark.parametrize(("cls", "words"), [
    (dict, "needs a dataclass"),
    (Todo(title="an instance"), "needs a dataclass"),
])
def test_not_a_dataclass(store: Store, cls: Any, words: str) -> None:
    with pytest.raises(ConfigurationError, match=words):
        store.table_for(cls)


def test_unsupported_field_types_and_missing_keys_are_refused(store: Store) -> None:
    @dataclass
    class Tagged:
        tags: list[str]
        id: int | None = None

    @dataclass
    class Either:
        value: int | str
        id: int | None = None

    @dataclass
    class Computed:
        text: str
        length: int = field(init=False, default=0)
        id: int | None = None

    @dataclass
    class Keyless:
        text: str

    with pytest.raises(ConfigurationError, match=r"Tagged.tags has type list\[str\], which a "
                                                 "table cannot hold: use int, float"):
        store.table_for(Tagged)
    with pytest.raises(ConfigurationError, match="Either.value"):
        store.table_for(Either)
    with pytest.raises(ConfigurationError, match="init=False"):
        store.table_for(Computed)
    with pytest.raises(ConfigurationError,
                       match=r"Keyless has no field 'id' for the primary key; its fields are "
                             r"text\. Pass table_for\(\.\.\., pk='<field>'\)"):
        store.table_for(Keyless)


def test_keyword_only_and_frozen_dataclasses(store: Store) -> None:
    @dataclass(kw_only=True, frozen=True)
    class Entry:
        text: str
        day: datetime.date
        id: int | None = None

    entries = store.table_for(Entry)
    saved = entries.insert(Entry(text="a", day=datetime.date(2026, 2, 3)))
    assert saved.id == 1
    assert entries.find() == [saved] and entries.get(1).day == datetime.date(2026, 2, 3)


def test_class_variables_are_not_columns(store: Store) -> None:
    @dataclass
    class Counted:
        text: str
        label: ClassVar[str] = "counted"
        id: int | None = None

    table = store.table_for(Counted)
    table.insert(Counted("x"))
    assert set(store.db["counted"].columns_dict) == {"text", "id"}


def test_an_existing_table_missing_a_column_says_which_migration_to_write(
        db_path: Path) -> None:
    migrations = Migrations()
    migrations.add(1, lambda db: db["todo"].create({"id": int, "title": str}, pk="id"))
    store = Store(db_path, migrations=migrations)
    todos = store.table_for(Todo)
    with pytest.raises(ConfigurationError) as caught:
        todos.find()
    assert str(caught.value) == (
        "Table 'todo' has no column 'done', which Todo.done needs. Add it in a migration: "
        "db['todo'].add_column('done', bool)")
    store.close()


def test_extra_columns_in_the_table_are_ignored(store: Store, todos: Table[Todo]) -> None:
    todos.insert(Todo("Milk"))
    store.db["todo"].add_column("notes", str)
    assert todos.get(1) == Todo("Milk", id=1)


def test_scoped_views_filter_fill_and_guard(store: Store) -> None:
    items = store.table_for(Item)
    ann, bob = items.scoped(owner=1), items.scoped(owner=2)
    assert ann.scope == {"owner": 1}
    a1 = ann.insert(Item("ann's", owner=99))  # the scope wins
    assert a1.owner == 1
    b1 = bob.insert(Item("bob's", owner=0))
    bob.insert(Item("bob's second", owner=2))
    assert [i.title for i in ann.find()] == ["ann's"]
    assert bob.count() == 2 and items.count() == 3
    assert ann.first(title="bob's") is None
    assert ann.get(a1.id) == a1
    for attempt in (lambda: ann.get(b1.id), lambda: ann.delete(b1.id),
                    lambda: ann.update(Item("stolen", owner=1, id=b1.id)),
                    lambda: ann.upsert(Item("stolen", owner=1, id=b1.id))):
        with pytest.raises(RowNotFound):
            attempt()
    assert items.get(b1.id) == b1  # untouched
    # an update through a scope cannot move the row out of it
    moved = ann.update(Item("renamed", owner=2, id=a1.id))
    assert moved.owner == 1 and items.get(a1.id).owner == 1
    ann.upsert(Item("upserted", owner=1, id=50))
    assert items.get(50).owner == 1
    assert [i.id for i in ann.scoped(title="renamed").find()] == [a1.id]
    ann.delete(a1.id)
    assert ann.count() == 1


def test_one_table_object_serves_every_thread(store: Store) -> None:
    todos = store.table_for(Todo)
    errors: list[BaseException] = []

    def add(i: int) -> None:
        try:
            for j in range(20):
                todos.insert(Todo(f"{i}-{j}"))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=add, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and todos.count() == 120
    assert sorted(t.id for t in todos.find()) == list(range(1, 121))


# ---- modify: read, change, write back as one transaction ---------------------------------


def test_modify_writes_what_the_change_returns(todos: Table[Todo]) -> None:
    todos.insert(Todo("Milk"))
    done = todos.modify(1, lambda t: replace(t, done=not t.done))
    assert done == Todo("Milk", done=True, id=1) and todos.get(1) == done

    def rename(todo: Todo) -> None:  # in place, returning None
        todo.title = "Oat milk"

    assert todos.modify(1, rename) == Todo("Oat milk", done=True, id=1)
    assert todos.get(1) == Todo("Oat milk", done=True, id=1)


def test_modify_of_a_frozen_dataclass_and_a_scoped_view(store: Store) -> None:
    settings = store.table_for(Setting, pk="key")
    settings.insert(Setting("theme", "light"))
    assert settings.modify("theme", lambda s: replace(s, value="dark")) == Setting("theme", "dark")
    items = store.table_for(Item)
    ann, bob = items.scoped(owner=1), items.scoped(owner=2)
    mine = ann.insert(Item("ann's", owner=1))
    with pytest.raises(RowNotFound):
        bob.modify(mine.id, lambda i: replace(i, title="stolen"))
    assert ann.modify(mine.id, lambda i: replace(i, title="renamed", owner=2)).owner == 1
    assert items.get(mine.id) == Item("renamed", owner=1, id=mine.id)


def test_modify_refuses_and_writes_nothing(todos: Table[Todo]) -> None:
    todos.insert(Todo("Milk"))
    with pytest.raises(RowNotFound, match="There is no Todo with id 9"):
        todos.modify(9, lambda t: t)

    def fails(todo: Todo) -> Todo:
        todo.title = "half-done"
        raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError, match="the change failed"):
        todos.modify(1, fails)
    with pytest.raises(ValueError, match="modify\\(\\) cannot change Todo.id \\(from 1 to 2\\)"):
        todos.modify(1, lambda t: replace(t, title="moved", id=2))
    with pytest.raises(TypeError, match="holds Todo objects, not Item"):
        todos.modify(1, lambda t: Item("x", owner=1, id=1))  # type: ignore[arg-type,return-value]
    assert todos.find() == [Todo("Milk", id=1)]


def test_concurrent_toggles_are_never_lost(store: Store) -> None:
    """Read, flip, write back from 8 threads at once: every toggle sees the state the one
    before it wrote (a get() then an update() loses some: two read the same state)."""
    switches = store.table_for(Switch)
    switches.insert(Switch())
    seen: list[Switch] = []
    threads = [threading.Thread(target=toggle_many, args=(store, 1, 40, seen))
               for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert_toggled_in_turn(seen, switches.get(1), total=8 * 40)


def test_concurrent_toggles_from_several_processes_are_never_lost(db_path: Path) -> None:
    """Three processes of four threads each, and four threads of this process, toggle the
    same row: SQLite's write lock, taken before the read, orders them across processes."""
    store = Store(db_path)
    switches = store.table_for(Switch)
    switches.insert(Switch())
    children = [subprocess.Popen(
        [sys.executable, "-m", "tests.appkit.data.toggler", str(db_path), "4", "30"],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True) for _ in range(3)]
    seen: list[Switch] = []
    threads = [threading.Thread(target=toggle_many, args=(store, 1, 30, seen))
               for _ in range(4)]
    try:
        for child in children:
            assert child.stdout is not None
            assert child.stdout.readline() == "ready\n"
        for child in children:
            assert child.stdin is not None
            child.stdin.write("go\n")
            child.stdin.flush()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for child in children:
            out, err = child.communicate(timeout=120)
            assert child.returncode == 0, err
            for line in out.splitlines():
                flips, on = line.split()
                seen.append(Switch(on=on == "1", flips=int(flips), id=1))
        assert_toggled_in_turn(seen, switches.get(1), total=(3 + 1) * 4 * 30)
    finally:
        for child in children:
            child.kill()
            child.communicate()
        store.close()


def assert_toggled_in_turn(seen: list[Switch], final: Switch, *, total: int) -> None:
    assert len(seen) == total
    flips = sorted(s.flips for s in seen)
    repeated = sorted({f for f in flips if flips.count(f) > 1})
    assert flips == list(range(1, total + 1)), (
        f"{total - len(set(flips))} of {total} toggles were lost: two toggles saw the same "
        f"state, e.g. {repeated[:10]}")
    assert all(s.on == (s.flips % 2 == 1) for s in seen)
    assert final == Switch(on=total % 2 == 1, flips=total, id=1)


def test_database_table_for_is_the_stores(store: Store) -> None:
    db: Database = store.db
    assert db.table_for(Todo) is store.table_for(Todo)


def test_table_writes_join_an_open_transaction(store: Store, todos: Table[Todo]) -> None:
    with pytest.raises(RuntimeError), store.transaction():
        todos.insert(Todo("a"))
        todos.insert(Todo("b"))
        raise RuntimeError("undo both")
    assert todos.count() == 0


def test_after_a_restore_or_close_the_table_is_checked_again(store: Store,
                                                            todos: Table[Todo]) -> None:
    todos.insert(Todo("a"))
    store.db["todo"].drop()
    store.close()
    assert todos.count() == 0  # made again, not "no such table"


@pytest.mark.parametrize("number", [2**63, -(2**63) - 1, 10**30])
def test_numbers_beyond_sqlites_integers_match_no_row(todos: Table[Todo],
                                                      number: int) -> None:
    milk = todos.insert(Todo("Milk"))
    with pytest.raises(RowNotFound, match=f"There is no Todo with id {number}."):
        todos.get(number)
    assert todos.find(id=number) == []
    assert todos.first(id=number) is None
    # A limit or offset past them: no table has that many rows.
    assert todos.find(limit=abs(number)) == [milk]
    assert todos.find(offset=abs(number)) == []


def test_a_missing_row_in_a_handler_is_a_404_page(store: Store) -> None:
    todos = store.table_for(Todo)
    app = App("rows")

    @app.get("/todos/{id:int}")
    def show(id: int) -> str:
        return todos.get(id).title

    @app.post("/todos/{id:int}/done")
    def done(id: int) -> str:
        todo = todos.get(id)
        todo.done = True
        todos.update(todo)
        return "ok"

    todos.insert(Todo("Milk"))
    with Client(app) as client:
        assert client.get("/todos/1").text == "Milk"
        page = client.get("/todos/7")
        assert page.status_code == 404
        assert "There is no Todo with id 7." in page.text and "<html" in page.text
        fragment = client.post("/todos/7/done", hx=True)
        assert fragment.status_code == 404 and "<html" not in fragment.text
        assert "There is no Todo with id 7." in fragment.text
        assert client.post("/todos/1/done").text == "ok"
    assert todos.get(1).done is True
