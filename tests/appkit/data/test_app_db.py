"""``app.db``, ``@app.migration``, ``app.table_for`` and the ``appkit data`` command: the
data layer as an app author meets it (the per-user folders are the tests' private XDG
folders, see tests/conftest.py)."""

from __future__ import annotations

import logging
import os
import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlite_utils

from appkit import App, RowNotFound
from appkit.cli import main
from appkit.html import P
from appkit.testing import Client


@dataclass
class Note:
    text: str = ""
    id: int | None = None


def notes_app(name: str = "notes", *, fail_at: int | None = None, versions: int = 1) -> App:
    app = App(name)
    notes = app.table_for(Note)

    @app.migration(1)
    def create_notes(db):
        db["note"].create({"id": int, "text": str}, pk="id")

    if versions >= 2:
        @app.migration(2)
        def add_stars(db):
            db["note"].add_column("stars", int, not_null_default=0)
            if fail_at == 2:
                raise RuntimeError("the upgrade broke")

    @app.get("/")
    def index():
        return P(", ".join(n.text for n in notes.find(order_by="id")), id="notes")

    @app.post("/notes")
    def add(text: str):
        return P(notes.insert(Note(text)).text)

    @app.get("/notes/{note_id:int}")
    def show(note_id: int):
        return P(notes.get(note_id).text)

    return app


def db_file(name: str = "notes") -> Path:
    return Path(os.environ["XDG_DATA_HOME"]) / name / f"{name}.db"


def test_making_an_app_and_its_tables_creates_no_database() -> None:
    app = notes_app()
    assert app.store is app.store
    assert not db_file().exists()


def test_app_db_is_sqlite_utils_on_the_users_data_folder_with_wal_and_foreign_keys() -> None:
    app = notes_app()
    with Client(app) as client:
        assert client.post("/notes", data={"text": "milk"}).status_code == 200
        db = app.db
        assert isinstance(db, sqlite_utils.Database)
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert db.execute("PRAGMA user_version").fetchone()[0] == 1
    assert app.store.path == db_file() and db_file().is_file()


def test_migrations_run_at_start_and_the_rows_survive_a_restart() -> None:
    with Client(notes_app()) as client:
        client.post("/notes", data={"text": "milk"})
        client.post("/notes", data={"text": "eggs"})
    with Client(notes_app(versions=2)) as client:  # the next version of the app
        assert "milk, eggs" in client.get("/").text
        app_db = sqlite3.connect(db_file())
        assert app_db.execute("PRAGMA user_version").fetchone()[0] == 2
        assert [r[1] for r in app_db.execute("PRAGMA table_info(note)")] == [
            "id", "text", "stars"]
        app_db.close()
    backups = list((db_file().parent / "backups").iterdir())
    assert len(backups) == 1, "a copy is saved before migrating"


def test_a_failing_migration_shows_a_page_naming_it_and_the_backup(
        error_logs: list[logging.LogRecord]) -> None:
    with Client(notes_app()) as client:
        client.post("/notes", data={"text": "milk"})
    app = notes_app(versions=2, fail_at=2)
    with Client(app) as client:
        page = client.get("/")
        assert page.status_code == 500
        assert "add_stars" in page.text and "backups" in page.text
        fragment = client.post("/notes", data={"text": "eggs"}, hx=True)
        assert fragment.status_code == 500 and "add_stars" in fragment.text
    assert any("could not be opened" in r.getMessage() for r in error_logs)
    check = sqlite3.connect(db_file())
    assert check.execute("PRAGMA user_version").fetchone()[0] == 1
    assert [r[0] for r in check.execute("SELECT text FROM note")] == ["milk"]
    assert "stars" not in [r[1] for r in check.execute("PRAGMA table_info(note)")]
    check.close()
    assert list((db_file().parent / "backups").iterdir())


def test_an_app_older_than_its_database_refuses_it(error_logs: list[logging.LogRecord]
                                                   ) -> None:
    with Client(notes_app(versions=2)) as client:
        client.post("/notes", data={"text": "milk"})
    with Client(notes_app(versions=1)) as client:  # an older copy of the app
        page = client.get("/")
        assert page.status_code == 500
        assert "newer version" in page.text
    check = sqlite3.connect(db_file())
    assert check.execute("PRAGMA user_version").fetchone()[0] == 2
    check.close()


def test_a_missing_row_is_a_404_page() -> None:
    with Client(notes_app()) as client:
        client.post("/notes", data={"text": "milk"})
        assert client.get("/notes/1").status_code == 200
        page = client.get("/notes/41")
        assert page.status_code == 404
        assert RowNotFound.status == 404


# ---- appkit data --------------------------------------------------------------------------------

APP_FILE = '''
from dataclasses import dataclass
from appkit import App

app = App("cli-notes")

@app.migration(1)
def create_notes(db):
    db["note"].insert_all([{"id": 1, "text": "milk"}, {"id": 2, "text": "eggs"}], pk="id")
'''


@pytest.fixture
def app_file(tmp_path: Path) -> str:
    path = tmp_path / "cli_notes.py"
    path.write_text(APP_FILE)
    yield str(path)
    sys.modules.pop("cli_notes", None)


def data(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["data", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_appkit_data_path_migrate_info_backup(app_file: str,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = data(capsys, "path", app_file)
    assert code == 0 and out.strip() == str(db_file("cli-notes"))
    code, out, _ = data(capsys, "migrate", app_file)
    assert code == 0 and "applied migrations 1" in out
    code, out, _ = data(capsys, "migrate", app_file)
    assert code == 0 and "up to date" in out
    code, out, _ = data(capsys, "info", app_file)
    assert code == 0 and "note" in out and "2" in out
    code, out, _ = data(capsys, "backup", app_file)
    assert code == 0 and out.startswith("backed up to ")
    assert Path(out.split("backed up to ", 1)[1].strip()).is_file()


def test_appkit_data_restore(app_file: str, tmp_path: Path,
                             capsys: pytest.CaptureFixture[str]) -> None:
    data(capsys, "migrate", app_file)
    _, out, _ = data(capsys, "backup", app_file)
    backup = out.split("backed up to ", 1)[1].strip()
    live = sqlite3.connect(db_file("cli-notes"))
    live.execute("DELETE FROM note")
    live.commit()
    live.close()
    code, out, _ = data(capsys, "restore", app_file, backup)
    assert code == 0 and "restored" in out
    check = sqlite3.connect(db_file("cli-notes"))
    assert check.execute("SELECT count(*) FROM note").fetchone()[0] == 2
    check.close()


def test_appkit_data_restore_refuses_a_file_that_is_not_a_database(
        app_file: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data(capsys, "migrate", app_file)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not SQLite" * 100)
    code, _, err = data(capsys, "restore", app_file, str(junk))
    assert code == 2 and "appkit:" in err
    check = sqlite3.connect(db_file("cli-notes"))
    assert check.execute("SELECT count(*) FROM note").fetchone()[0] == 2
    check.close()


def test_appkit_data_needs_an_action(app_file: str, capsys: pytest.CaptureFixture[str]
                                     ) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["data", app_file])
    assert exit_info.value.code == 2


def test_appkit_data_on_a_plain_asgi_app(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "plain_asgi.py"
    path.write_text("async def app(scope, receive, send):\n    pass\n")
    code, _, err = data(capsys, "info", str(path))
    assert code == 2 and "no app.db" in err
    sys.modules.pop("plain_asgi", None)
