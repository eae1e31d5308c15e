"""Store: lazy creation, connection settings, a connection per thread, transactions, and
writes from many threads (and from two stores on one file) that never see "locked"."""

from __future__ import annotations

import asyncio
import sqlite3
import stat
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlite_utils

from appkit.data import Database, Store
from appkit.data.errors import DataError
from appkit.errors import ConfigurationError
from tests.conftest import run_async


def run_threads(count: int, target: object) -> list[BaseException]:
    """Run ``target(i)`` in ``count`` threads started together; the errors they raised."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(count)

    def run(i: int) -> None:
        try:
            barrier.wait()
            target(i)  # type: ignore[operator]
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_nothing_is_created_until_the_database_is_used(tmp_path: Path) -> None:
    calls: list[int] = []

    def where() -> Path:
        calls.append(1)
        return tmp_path / "deep" / "folder" / "app.db"

    store = Store(where)
    store.table_for(_Note)
    assert calls == [] and not (tmp_path / "deep").exists()
    assert store.path == tmp_path / "deep" / "folder" / "app.db"
    assert not store.path.parent.exists()  # asking for the path creates nothing
    store.db["notes"].insert({"text": "hello"})
    assert store.path.is_file()
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert calls == [1]
    store.close()


def test_connections_use_wal_foreign_keys_busy_timeout_and_full_sync(store: Store) -> None:
    db = store.db
    assert isinstance(db, sqlite_utils.Database) and isinstance(db, Database)
    assert db.journal_mode == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] == 10_000
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert db.conn.isolation_level == "IMMEDIATE"


def test_synchronous_normal_can_be_chosen(tmp_path: Path) -> None:
    store = Store(tmp_path / "n.db", synchronous="normal", timeout=2)
    assert store.db.execute("PRAGMA synchronous").fetchone()[0] == 1
    assert store.db.execute("PRAGMA busy_timeout").fetchone()[0] == 2_000
    store.close()


@pytest.mark.parametrize(("option", "value", "words"), [
    ("keep_backups", 0, "keep_backups must be at least 1"),
    ("timeout", 0, "timeout must be positive"),
    ("synchronous", "OFF", "synchronous must be one of NORMAL, FULL, EXTRA"),
])
def test_bad_options_are_refused(tmp_path: Path, option: str, value: object,
                                 words: str) -> None:
    with pytest.raises(ConfigurationError, match=words):
        Store(tmp_path / "x.db", **{option: value})  # type: ignore[arg-type]


def test_foreign_keys_are_enforced(store: Store) -> None:
    db = store.db
    db["owners"].create({"id": int}, pk="id")
    db["pets"].create({"id": int, "owner": int}, pk="id", foreign_keys=[("owner", "owners")])
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        db["pets"].insert({"owner": 42})


def test_each_thread_gets_its_own_connection(store: Store) -> None:
    mine = store.db
    assert store.db is mine
    theirs: list[Database] = []
    t = threading.Thread(target=lambda: theirs.append(store.db))
    t.start()
    t.join()
    assert theirs[0] is not mine and theirs[0].conn is not mine.conn


def test_transaction_commits_at_the_end_and_other_threads_see_it_only_then(
        store: Store) -> None:
    store.db["t"].create({"id": int, "v": str}, pk="id")
    seen: list[int] = []

    def count_elsewhere() -> None:
        seen.append(store.db["t"].count)

    with store.transaction() as db:
        db["t"].insert({"v": "a"})
        db.execute("INSERT INTO t (v) VALUES ('b')")
        t = threading.Thread(target=count_elsewhere)
        t.start()
        t.join()
    count_elsewhere()
    assert seen == [0, 2]


def test_transaction_rolls_back_everything_when_it_raises(store: Store) -> None:
    db = store.db
    db["t"].insert({"id": 1, "v": "kept"}, pk="id")
    with pytest.raises(RuntimeError), db.transaction():
        db["t"].insert({"id": 2, "v": "gone"})
        db["t"].update(1, {"v": "changed"})
        db["t"].create_index(["v"])
        raise RuntimeError("boom")
    assert list(db["t"].rows) == [{"id": 1, "v": "kept"}]
    assert db["t"].indexes == []
    assert not db.conn.in_transaction


def test_nested_transactions_are_savepoints(store: Store) -> None:
    db = store.db
    db["t"].create({"id": int, "v": str}, pk="id")
    with db.transaction():
        db["t"].insert({"v": "outer"})
        with pytest.raises(ValueError), db.transaction():
            db["t"].insert({"v": "inner"})
            raise ValueError("undo the inner one only")
        with db.transaction():
            db["t"].insert({"v": "second inner"})
    assert [r["v"] for r in db["t"].rows] == ["outer", "second inner"]


def test_begin_by_hand_is_refused_with_the_way_to_do_it(store: Store) -> None:
    with pytest.raises(DataError, match=r"with db.transaction\(\)"):
        store.db.begin()


def test_many_threads_reading_then_writing_are_serialised(store: Store) -> None:
    """Each transaction reads the count and inserts it: if two ever overlapped, two rows
    would carry the same number. A deferred transaction would also fail to upgrade its read
    lock with "database is locked"; BEGIN IMMEDIATE never does."""
    store.db["seq"].create({"n": int, "thread": int}, pk="n")
    store.db["plain"].create({"id": int, "thread": int}, pk="id")

    def work(i: int) -> None:
        for _ in range(40):
            with store.transaction() as db:
                n = db.execute("SELECT count(*) FROM seq").fetchone()[0]
                db["seq"].insert({"n": n, "thread": i})
            store.db["plain"].insert({"thread": i})  # sqlite-utils' own transaction
            store.db.execute("INSERT INTO plain (thread) VALUES (?)", [i])  # the driver's

    errors = run_threads(12, work)
    assert errors == []
    assert [r["n"] for r in store.db["seq"].rows] == list(range(12 * 40))
    assert store.db["plain"].count == 12 * 40 * 2


def test_two_stores_on_one_file_do_not_lock_each_other_out(db_path: Path) -> None:
    """Like two processes: no shared lock, only SQLite's (BEGIN IMMEDIATE + busy timeout)."""
    first, second = Store(db_path), Store(db_path)
    first.db["seq"].create({"n": int}, pk="n")

    def work(i: int) -> None:
        store = (first, second)[i % 2]
        for _ in range(25):
            with store.transaction() as db:
                n = db.execute("SELECT count(*) FROM seq").fetchone()[0]
                db["seq"].insert({"n": n})

    errors = run_threads(8, work)
    assert errors == []
    assert [r["n"] for r in first.db["seq"].rows] == list(range(8 * 25))
    first.close()
    second.close()


def test_close_closes_every_threads_connection_and_the_store_reopens(store: Store) -> None:
    mine = store.db
    theirs: list[Database] = []
    t = threading.Thread(target=lambda: theirs.append(store.db))
    t.start()
    t.join()
    store.close()
    for db in (mine, theirs[0]):
        with pytest.raises(sqlite3.ProgrammingError, match="closed"):
            db.execute("SELECT 1")
    assert store.db is not mine
    assert store.db.execute("SELECT 1").fetchone() == (1,)


def test_connections_of_ended_threads_are_closed(store: Store) -> None:
    theirs: list[Database] = []
    t = threading.Thread(target=lambda: theirs.append(store.db))
    t.start()
    t.join()
    store.db  # noqa: B018 - opening this thread's connection tidies up
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        theirs[0].execute("SELECT 1")


def test_a_database_closed_by_hand_is_replaced(store: Store) -> None:
    first = store.db
    first.close()
    assert store.db is not first
    assert store.db.execute("SELECT 1").fetchone() == (1,)


def test_a_file_that_is_not_a_database_gives_a_clear_error(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.write_bytes(b"this is a text file, not SQLite " * 200)
    store = Store(db_path)
    with pytest.raises(DataError) as caught:
        store.db  # noqa: B018
    message = str(caught.value)
    assert str(db_path) in message and "appkit data restore" in message
    assert db_path.read_bytes().startswith(b"this is a text file")


def test_a_task_awaiting_inside_a_transaction_cannot_be_joined_by_another(
        store: Store) -> None:
    """Async handlers share the event loop's thread, and so its connection: a second task
    writing while the first awaits inside its transaction would slip into it."""
    store.db["t"].create({"id": int, "v": str}, pk="id")
    results: list[str] = []

    async def first() -> None:
        with store.transaction() as db:
            db["t"].insert({"v": "first"})
            await asyncio.sleep(0.05)
        results.append("first done")

    async def second() -> None:
        await asyncio.sleep(0.01)
        for attempt in (lambda: store.db["t"].insert({"v": "second"}),
                        lambda: store.transaction().__enter__()):
            with pytest.raises(DataError, match="Do not await inside a transaction"):
                attempt()
        results.append("second refused")

    async def both() -> None:
        await asyncio.gather(first(), second())

    run_async(both())
    assert results == ["second refused", "first done"]
    assert [r["v"] for r in store.db["t"].rows] == ["first"]


def test_nesting_in_the_same_task_is_fine(store: Store) -> None:
    store.db["t"].create({"id": int, "v": str}, pk="id")

    async def nested() -> None:
        with store.transaction() as db:
            await asyncio.sleep(0)
            db["t"].insert({"v": "a"})
            with db.transaction():
                db["t"].insert({"v": "b"})

    run_async(nested())
    assert store.db["t"].count == 2


@dataclass
class _Note:
    text: str
    id: int | None = None
