"""The ``appkit data`` functions: path, backup, restore (and what it refuses), migrate, info."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from appkit.data import Database, Migrations, Store, admin
from appkit.data.errors import RestoreRefused


def rows(path: Path, sql: str = "SELECT title FROM todos ORDER BY id") -> list[Any]:
    conn = sqlite3.connect(path)
    try:
        return [r[0] if len(r) == 1 else r for r in conn.execute(sql)]
    finally:
        conn.close()


def create_todos(db: Database) -> None:
    db["todos"].create({"id": int, "title": str}, pk="id")


@pytest.fixture
def migrations() -> Migrations:
    migrations = Migrations()
    migrations.add(1, create_todos)
    return migrations


def add(store: Store, *titles: str) -> None:
    store.db["todos"].insert_all([{"title": t} for t in titles])


def test_path_creates_nothing(store: Store, db_path: Path) -> None:
    assert admin.path(store) == db_path
    assert not db_path.parent.exists()


def test_backup_copies_what_is_committed_even_if_still_in_the_wal(store: Store) -> None:
    add(store, "Milk", "Eggs")
    assert Path(f"{store.path}-wal").stat().st_size > 0  # not checkpointed yet
    copy = admin.backup(store)
    assert copy.parent == store.backups_folder and copy.name.endswith("-manual.db")
    assert rows(copy) == ["Milk", "Eggs"]
    assert rows(copy, "PRAGMA integrity_check") == ["ok"]
    assert copy.stat().st_mode & 0o077 == 0  # private, like the database


def test_restore_replaces_the_content_and_keeps_the_current_one(
        store: Store, db_path: Path, migrations: Migrations) -> None:
    add(store, "Milk")
    good = admin.backup(store)
    add(store, "Eggs", "Bread")
    # another connection that stays open, as a running app's would
    running = Store(db_path, migrations=migrations)
    assert running.db["todos"].count == 3
    before = admin.restore(store, good)
    assert before is not None and before.name.endswith("-before-restore.db")
    assert rows(before) == ["Milk", "Eggs", "Bread"]
    assert rows(db_path) == ["Milk"]
    assert running.db["todos"].count == 1  # sees the restored content, no stale WAL pages
    assert store.db["todos"].count == 1 and store.db.journal_mode == "wal"
    assert rows(db_path, "PRAGMA integrity_check") == ["ok"]
    add(store, "Jam")  # and it goes on working
    assert running.db["todos"].count == 2
    running.close()


def test_restore_reads_a_copy_with_its_wal_file_and_leaves_the_file_alone(
        store: Store, tmp_path: Path) -> None:
    add(store, "current")
    source = tmp_path / "elsewhere.db"
    writer = sqlite3.connect(source, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA user_version=1")
    writer.execute("CREATE TABLE todos (id INTEGER PRIMARY KEY, title TEXT)")
    writer.execute("INSERT INTO todos (title) VALUES ('only in the wal')")
    copied = tmp_path / "copied"
    copied.mkdir()
    for name in ("elsewhere.db", "elsewhere.db-wal"):  # copied while open: data in the WAL
        shutil.copyfile(tmp_path / name, copied / name)
    writer.close()
    main_bytes = (copied / "elsewhere.db").read_bytes()
    admin.restore(store, copied / "elsewhere.db")
    assert rows(store.path) == ["only in the wal"]
    assert (copied / "elsewhere.db").read_bytes() == main_bytes
    assert not (copied / "elsewhere.db-shm").exists()


def refused(store: Store, file: Path, words: str) -> None:
    with pytest.raises(RestoreRefused, match=words):
        admin.restore(store, file)


def test_a_file_that_is_not_sqlite_is_refused_and_nothing_changes(store: Store,
                                                                  tmp_path: Path) -> None:
    add(store, "Milk")
    text = tmp_path / "notes.txt"
    text.write_text("SQLite? no, just text\n" * 100)
    refused(store, text, r"notes.txt is not an SQLite database; nothing was changed")
    empty = tmp_path / "empty.db"
    empty.touch()
    refused(store, empty, "is not an SQLite database")
    assert rows(store.path) == ["Milk"] and store.backups() == []


def test_a_damaged_database_is_refused_and_nothing_changes(store: Store,
                                                           tmp_path: Path) -> None:
    add(store, *(f"todo {i} " + "x" * 200 for i in range(200)))  # several pages
    damaged = tmp_path / "damaged.db"
    conn = sqlite3.connect(damaged)
    store.db.conn.backup(conn)
    conn.close()
    data = bytearray(damaged.read_bytes())
    page = 4096
    data[2 * page + 8: 2 * page + 200] = b"\xff" * 192  # scribble over a b-tree page
    damaged.write_bytes(bytes(data))
    refused(store, damaged, r"damaged.db is a damaged SQLite database .*Try an older backup")
    assert store.db["todos"].count == 200 and store.backups() == []


def test_a_copy_from_a_newer_app_is_refused(store: Store, tmp_path: Path) -> None:
    add(store, "Milk")
    newer = tmp_path / "newer.db"
    conn = sqlite3.connect(newer)
    conn.execute("PRAGMA user_version = 9")
    conn.close()
    refused(store, newer, r"newer version of the app \(schema 9, this app knows up to 1\)")
    assert rows(store.path) == ["Milk"]


def test_a_missing_file_or_the_database_itself_is_refused(store: Store,
                                                          tmp_path: Path) -> None:
    add(store, "Milk")
    refused(store, tmp_path / "nothing.db", "There is no file .*nothing.db")
    refused(store, store.path, "is the app's database itself")


def test_restore_over_a_damaged_database_moves_it_aside(store: Store, db_path: Path,
                                                        tmp_path: Path) -> None:
    add(store, "Milk")
    good = tmp_path / "good.db"
    shutil.copyfile(admin.backup(store), good)
    store.close()
    for side in ("-wal", "-shm"):
        Path(f"{db_path}{side}").unlink(missing_ok=True)
    db_path.write_bytes(b"garbage" * 1000)
    aside = admin.restore(store, good)
    assert aside is not None and aside.name.endswith("-damaged.db")
    assert aside.read_bytes() == b"garbage" * 1000
    assert rows(db_path) == ["Milk"]


def test_restore_with_no_database_yet_creates_it(tmp_path: Path,
                                                 migrations: Migrations) -> None:
    source = Store(tmp_path / "a" / "app.db", migrations=migrations)
    add(source, "Milk")
    copy = admin.backup(source)
    source.close()
    target = Store(tmp_path / "b" / "app.db", migrations=migrations)
    assert admin.restore(target, copy) is None
    assert target.db["todos"].count == 1
    target.close()


def test_an_older_copy_is_migrated_on_next_use(db_path: Path, tmp_path: Path) -> None:
    old = Migrations()
    old.add(1, create_todos)
    first = Store(db_path, migrations=old)
    add(first, "Milk")
    v1 = tmp_path / "v1.db"
    shutil.copyfile(admin.backup(first), v1)
    first.close()

    new = Migrations()
    new.add(1, create_todos)
    new.add(2, lambda db: db["todos"].add_column("done", int))
    store = Store(db_path, migrations=new)
    assert admin.migrate(store) == [2]
    assert admin.migrate(store) == []
    admin.restore(store, v1)
    assert rows(db_path, "PRAGMA user_version") == [1]
    assert "done" in store.db["todos"].columns_dict  # migrated again on first use
    store.close()


def test_info_describes_database_schema_tables_and_backups(store: Store,
                                                           migrations: Migrations) -> None:
    text = admin.info(store)
    assert f"Database: {store.path}" in text and "not created yet" in text
    assert "Backups: 0" in text
    add(store, "Milk", "Eggs")
    store.db["empty"].create({"id": int})
    copy = admin.backup(store)
    text = admin.info(store)
    lines = text.splitlines()
    assert lines[0] == f"Database: {store.path}"
    assert lines[1].startswith("Size: ")
    assert "Schema version: 1 (this app's latest: 1; up to date)" in lines
    assert "Tables: 2" in lines
    assert "  todos  2 rows" in lines and "  empty  0 rows" in lines
    assert f"Backups: 1 in {store.backups_folder} (the newest 5 are kept)" in lines
    assert any(line.startswith(f"  {copy.name}  ") for line in lines)


def test_info_names_pending_migrations_and_a_newer_schema(db_path: Path,
                                                          migrations: Migrations) -> None:
    store = Store(db_path, migrations=migrations)
    add(store, "Milk")
    store.close()
    more = Migrations()
    more.add(1, create_todos)
    more.add(2, lambda db: None)
    assert "migrations pending: 2 <lambda>" in admin.info(Store(db_path, migrations=more))
    assert "NEWER than this app" in admin.info(Store(db_path))


def test_info_on_a_damaged_file_says_so(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.write_bytes(b"garbage" * 1000)
    assert "Cannot read it:" in admin.info(Store(db_path))


def test_a_copy_with_another_page_size_is_restored_into_the_wal_database(
        store: Store, tmp_path: Path) -> None:
    add(store, "current")
    other = tmp_path / "big-pages.db"
    conn = sqlite3.connect(other, isolation_level=None)
    conn.execute("PRAGMA page_size = 8192")
    conn.execute("PRAGMA user_version = 1")
    conn.execute("CREATE TABLE todos (id INTEGER PRIMARY KEY, title TEXT)")
    conn.execute("INSERT INTO todos (title) VALUES ('from big pages')")
    conn.close()
    assert store.db.execute("PRAGMA page_size").fetchone()[0] == 4096
    admin.restore(store, other)
    assert rows(store.path) == ["from big pages"]
    assert store.db.journal_mode == "wal"
    assert store.db.execute("PRAGMA page_size").fetchone()[0] == 8192
    assert rows(store.path, "PRAGMA integrity_check") == ["ok"]
