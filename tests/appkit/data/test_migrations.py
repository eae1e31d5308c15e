"""Migrations: the registry's rules, running on first use after a backup, a failing
migration that leaves everything as it was, and a database newer than the app."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from appkit.data import Database, Migrations, Store
from appkit.data.errors import DatabaseTooNew, DataError, MigrationFailed
from appkit.errors import ConfigurationError


def read(path: Path, sql: str) -> list[tuple[Any, ...]]:
    """Rows from the database file through a plain connection of the test's own."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def version_of(path: Path) -> int:
    return int(read(path, "PRAGMA user_version")[0][0])


def schema_of(path: Path) -> list[tuple[Any, ...]]:
    return read(path, "SELECT type, name, sql FROM sqlite_master ORDER BY name")


def create_todos(db: Database) -> None:
    db["todos"].create({"id": int, "title": str}, pk="id")


def add_done(db: Database) -> None:
    db["todos"].add_column("done", bool, not_null_default=0)


# ---- the registry -------------------------------------------------------------------------


def test_versions_are_consecutive_from_one(migrations: Migrations) -> None:
    @migrations.migration(1)
    def first(db: Database) -> None: ...

    migrations.add(2, add_done)
    assert migrations.latest == 2 == len(migrations)
    assert [v for v, _ in migrations.pending(0)] == [1, 2]
    assert migrations.pending(1) == [(2, add_done)]
    assert migrations.pending(2) == []
    assert migrations.name(1) == "first"
    assert repr(migrations) == "<Migrations 1:first, 2:add_done>"


def test_a_duplicate_version_names_both_functions(migrations: Migrations) -> None:
    migrations.add(1, create_todos)
    with pytest.raises(ConfigurationError,
                       match=r"Migration 1 is defined twice: create_todos and add_done\. "
                             r"Give add_done the next free version, 2"):
        migrations.add(1, add_done)


def test_a_gap_is_refused_with_the_next_version(migrations: Migrations) -> None:
    migrations.add(1, create_todos)
    with pytest.raises(ConfigurationError,
                       match=r"Migration 3 \(add_done\) does not follow on: .* the next one is 2"):
        migrations.migration(3)(add_done)
    with pytest.raises(ConfigurationError, match="the next one is 1"):
        Migrations().add(0, create_todos)


@pytest.mark.parametrize("version", [True, 1.0, "1", None])
def test_a_version_must_be_a_whole_number(migrations: Migrations, version: Any) -> None:
    with pytest.raises(ConfigurationError, match="whole number"):
        migrations.add(version, create_todos)


def test_a_migration_must_be_callable(migrations: Migrations) -> None:
    with pytest.raises(ConfigurationError, match="must be a function"):
        migrations.add(1, "create table x (y)")  # type: ignore[arg-type]


def test_a_migration_defined_after_the_database_was_opened_is_refused(
        store: Store, migrations: Migrations) -> None:
    migrations.add(1, create_todos)
    store.db  # noqa: B018
    with pytest.raises(ConfigurationError, match="defined after the database was opened"):
        migrations.add(2, add_done)


# ---- running them -------------------------------------------------------------------------


def test_pending_migrations_run_on_first_use_without_a_backup_for_a_new_database(
        store: Store, migrations: Migrations, db_path: Path) -> None:
    migrations.add(1, create_todos)
    migrations.add(2, add_done)
    store.db["todos"].insert({"title": "Milk"})
    assert version_of(db_path) == 2
    assert read(db_path, "SELECT title, done FROM todos") == [("Milk", 0)]
    assert store.backups() == []  # it was new and empty: nothing to keep


def test_an_upgrade_backs_up_first_and_runs_only_what_is_pending(
        db_path: Path) -> None:
    calls: list[str] = []
    old = Migrations()
    old.add(1, create_todos)
    first = Store(db_path, migrations=old)
    first.db["todos"].insert({"title": "Milk"})
    first.close()

    new = Migrations()
    new.add(1, lambda db: calls.append("1 again"))
    new.add(2, lambda db: (calls.append("2"), add_done(db)))
    second = Store(db_path, migrations=new)
    assert second.migrate() == [2]
    assert calls == ["2"]
    assert version_of(db_path) == 2
    [backup] = second.backups()
    assert backup.parent == db_path.parent / "backups"
    assert backup.name.startswith("app-") and backup.name.endswith("-before-v2.db")
    # the copy is the database as it was: version 1, no done column, the row
    assert version_of(backup) == 1
    assert read(backup, "SELECT * FROM todos") == [(1, "Milk")]
    assert read(backup, "PRAGMA journal_mode") == [("delete",)]  # one self-contained file
    assert second.migrate() == []  # nothing pending: no second backup
    assert len(second.backups()) == 1
    second.close()


def test_an_existing_database_without_migrations_so_far_is_backed_up(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    conn = sqlite3.connect(db_path)
    conn.execute("CREATE TABLE notes (text)")
    conn.execute("INSERT INTO notes VALUES ('kept')")
    conn.commit()
    conn.close()
    migrations = Migrations()
    migrations.add(1, lambda db: db["notes"].add_column("when", str))
    store = Store(db_path, migrations=migrations)
    store.db  # noqa: B018
    [backup] = store.backups()
    assert read(backup, "SELECT * FROM notes") == [("kept",)]
    store.close()


def test_only_the_newest_backups_are_kept(db_path: Path) -> None:
    store = Store(db_path, keep_backups=3)
    store.db["t"].insert({"v": 1})
    made = [store.backup() for _ in range(5)]
    assert store.backups() == made[-3:]
    assert not made[0].exists()
    store.close()


def make_v1(db_path: Path) -> None:
    migrations = Migrations()
    migrations.add(1, create_todos)
    store = Store(db_path, migrations=migrations)
    store.db["todos"].insert_all([{"title": "Milk"}, {"title": "Eggs"}])
    store.close()


def failing_store(db_path: Path, *steps: Any) -> Store:
    migrations = Migrations()
    migrations.add(1, create_todos)
    for version, step in enumerate(steps, start=2):
        migrations.add(version, step)
    return Store(db_path, migrations=migrations)


def assert_still_v1(db_path: Path, schema: list[tuple[Any, ...]]) -> None:
    assert version_of(db_path) == 1
    assert schema_of(db_path) == schema
    assert read(db_path, "SELECT * FROM todos ORDER BY id") == [(1, "Milk"), (2, "Eggs")]


def test_a_failing_migration_leaves_data_and_version_as_they_were(db_path: Path) -> None:
    make_v1(db_path)
    schema = schema_of(db_path)

    def add_done_then_fail(db: Database) -> None:
        db["todos"].add_column("due", str)
        db["todos"].update(1, {"title": "changed", "done": True})
        db["log"].insert({"what": "half done"})
        raise KeyError("no such setting")

    store = failing_store(db_path, add_done, add_done_then_fail)
    with pytest.raises(MigrationFailed) as caught:
        store.db  # noqa: B018
    failure = caught.value
    [backup] = store.backups()
    assert (failure.version, failure.migration, failure.backup) == (3, "add_done_then_fail",
                                                                   backup)
    message = str(failure)
    assert "Migration 3 (add_done_then_fail) failed: KeyError: 'no such setting'" in message
    assert "left as it was, at schema version 1" in message and str(backup) in message
    assert failure.status == 500  # inside a handler: an error page that says all this
    assert_still_v1(db_path, schema)
    assert version_of(backup) == 1


def test_a_migration_that_transforms_a_table_then_fails_changes_nothing(
        db_path: Path) -> None:
    make_v1(db_path)
    schema = schema_of(db_path)

    def transform_then_fail(db: Database) -> None:
        db["todos"].transform(rename={"title": "name"}, types={"id": int})
        db["todos"].insert({"name": "Bread"})
        raise RuntimeError("the next step failed")

    store = failing_store(db_path, transform_then_fail)
    with pytest.raises(MigrationFailed, match="transform_then_fail"):
        store.db  # noqa: B018
    assert_still_v1(db_path, schema)
    assert store.backups() and store.backups()[0].exists()


def test_a_migration_that_commits_by_itself_then_fails_is_undone_from_the_backup(
        db_path: Path) -> None:
    make_v1(db_path)
    schema = schema_of(db_path)

    def commit_then_fail(db: Database) -> None:
        db["todos"].insert({"title": "Bread"})
        db.execute("DROP TABLE todos")
        db.conn.commit()  # what a careless library call might do
        db["other"].insert({"x": 1})
        raise RuntimeError("too late to roll back")

    store = failing_store(db_path, commit_then_fail)
    with pytest.raises(MigrationFailed, match="copy made before the migrations was put back"):
        store.db  # noqa: B018
    assert_still_v1(db_path, schema)
    assert read(db_path, "PRAGMA journal_mode") == [("wal",)]
    assert read(db_path, "PRAGMA integrity_check") == [("ok",)]


def test_a_new_database_whose_first_migration_commits_then_fails_is_left_empty(
        db_path: Path) -> None:
    def commit_then_fail(db: Database) -> None:
        create_todos(db)
        db.conn.commit()
        raise RuntimeError("boom")

    migrations = Migrations()
    migrations.add(1, commit_then_fail)
    store = Store(db_path, migrations=migrations)
    with pytest.raises(MigrationFailed, match="It was empty, so no backup was needed"):
        store.db  # noqa: B018
    assert schema_of(db_path) == [] and version_of(db_path) == 0
    assert store.backups() == []


def test_a_failure_is_remembered_until_the_migrations_are_run_again(db_path: Path) -> None:
    make_v1(db_path)
    attempts: list[int] = []

    def flaky(db: Database) -> None:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("first time")
        add_done(db)

    store = failing_store(db_path, flaky)
    with pytest.raises(MigrationFailed):
        store.migrate()  # e.g. at start-up
    for _ in range(3):
        with pytest.raises(MigrationFailed):
            store.db  # noqa: B018
    assert len(attempts) == 1 and len(store.backups()) == 1  # no retry, no backup per request
    assert store.migrate() == [2]
    assert version_of(db_path) == 2
    assert store.db["todos"].columns_dict["done"] is int
    store.close()


def test_a_database_newer_than_the_app_is_refused_and_left_alone(db_path: Path) -> None:
    make_v1(db_path)
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA user_version = 7")
    conn.close()
    before = schema_of(db_path)
    migrations = Migrations()
    migrations.add(1, create_todos)
    migrations.add(2, add_done)
    store = Store(db_path, migrations=migrations)
    with pytest.raises(DatabaseTooNew) as caught:
        store.db  # noqa: B018
    message = str(caught.value)
    assert "written by a newer version of the app (schema 7, this app knows up to 2)" in message
    assert "appkit data restore" in message and str(store.backups_folder) in message
    assert (caught.value.version, caught.value.latest) == (7, 2)
    assert version_of(db_path) == 7 and schema_of(db_path) == before
    assert store.backups() == []
    with pytest.raises(DatabaseTooNew):
        store.migrate()


def test_migrations_run_once_when_many_threads_open_at_once(store: Store,
                                                            migrations: Migrations) -> None:
    import threading

    runs: list[int] = []
    migrations.add(1, lambda db: (runs.append(1), create_todos(db)))
    errors: list[BaseException] = []

    def use() -> None:
        try:
            store.db["todos"].insert({"title": "x"})
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=use) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and runs == [1]
    assert store.db["todos"].count == 8


def test_a_migration_may_use_transactions_and_sqlite_utils_freely(store: Store,
                                                                  migrations: Migrations
                                                                  ) -> None:
    def seed(db: Database) -> None:
        create_todos(db)
        with db.transaction():
            db["todos"].insert_all([{"title": "a"}, {"title": "b"}])
        db["todos"].create_index(["title"])

    migrations.add(1, seed)
    assert store.db["todos"].count == 2


def test_backup_of_a_missing_database_says_so(db_path: Path) -> None:
    with pytest.raises(DataError, match="no database at .* yet"):
        Store(db_path).backup()
