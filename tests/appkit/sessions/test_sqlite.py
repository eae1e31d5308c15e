"""The server-side store: sessions in SQLite, an opaque id in the cookie, expiry, clean-up."""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import stat
from pathlib import Path

import pytest

from appkit import App
from appkit.sessions import Session, Sessions, SQLiteStore
from appkit.testing import Client
from tests.appkit.sessions.conftest import session_app

COOKIE = "appkit-session-t"


def cookie_value(response) -> str | None:  # type: ignore[no-untyped-def]
    for key, value in response.headers.multi_items():
        if key == "set-cookie" and value.startswith(f"{COOKIE}="):
            return str(value.split(";")[0].split("=", 1)[1])
    return None


def rows(path: Path) -> list[tuple[str, str, float]]:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT id, data, expires FROM sessions").fetchall()


def age_all(path: Path, seconds: float) -> None:
    with sqlite3.connect(path) as db:
        db.execute("UPDATE sessions SET expires = expires - ?", (seconds,))


def test_sessions_round_trip_with_only_an_id_in_the_cookie() -> None:
    app = session_app(store="sqlite")
    with Client(app) as client:
        answer = client.post("/set", data={"key": "user", "value": "ann"})
        session_id = cookie_value(answer)
        assert session_id is not None and len(session_id) == 43
        assert "ann" not in session_id
        client.post("/set", data={"key": "theme", "value": "dark"})
        assert client.get("/show").json() == {"user": "ann", "theme": "dark"}
        assert cookie_value(client.get("/show")) is None  # unchanged: nothing saved
    path = app.paths.data / "sessions.db"
    assert path == Path(os.environ["XDG_DATA_HOME"]) / "t" / "sessions.db"
    [(stored_id, data, _)] = rows(path)
    # The database keeps a hash of the id: a copy of the file is no cookie.
    assert stored_id == hashlib.sha256(session_id.encode()).hexdigest()
    assert '"user":"ann"' in data
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_big_session_fits_on_the_server() -> None:
    app = session_app(store="sqlite")
    with Client(app) as client:
        client.post("/set", data={"key": "blob", "value": "x" * 20_000})
        assert client.get("/show").json() == {"blob": "x" * 20_000}


def test_an_expired_session_is_empty_and_cleaned_up(
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="appkit.sessions")
    app = session_app(store="sqlite", max_age=3600)
    path = app.paths.data / "sessions.db"
    with Client(app) as client:
        client.post("/set", data={"key": "user", "value": "ann"})
        age_all(path, 3599)
        assert client.get("/show").json() == {"user": "ann"}
        age_all(path, 2)
        assert client.get("/show").json() == {}
        # A new session starts with a new id, never the old one the client sent.
        old_ids = {row[0] for row in rows(path)}
        client.post("/set", data={"key": "user", "value": "bo"})
        assert {row[0] for row in rows(path)} - old_ids
        store = app.sessions.store
        assert isinstance(store, SQLiteStore)
        assert store.count() == 2
        assert store.clean_up() == 1
        assert store.count() == 1
        assert client.get("/show").json() == {"user": "bo"}
    assert any("expired" in r.getMessage() for r in caplog.records)


def test_expired_sessions_are_deleted_when_the_store_opens_and_then_periodically(
        tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    store = SQLiteStore(path, cleanup_interval=0)
    first = store.save(None, '{"d":{"n":1}}', 100)
    second = store.save(None, '{"d":{"n":2}}', 100)
    assert store.load(first, 100) == '{"d":{"n":1}}'
    store.close()
    age_all(path, 1000)
    reopened = SQLiteStore(path, cleanup_interval=3600)
    assert reopened.count() == 0  # cleaned on opening
    assert reopened.load(second, 100) is None
    third = reopened.save(None, "{}", 100)
    age_all(path, 1000)
    reopened.save(None, "{}", 100)
    assert reopened.count() == 2  # not an hour yet since the last clean-up
    reopened.cleanup_interval = 0
    reopened.save(None, "{}", 100)
    assert reopened.count() == 2 and reopened.load(third, 100) is None
    reopened.close()


@pytest.mark.parametrize("cookie", ["", "short", "x" * 43 + "!", "é" * 43, "A" * 5000])
def test_an_id_that_is_not_one_gives_no_session(tmp_path: Path, cookie: str) -> None:
    store = SQLiteStore(tmp_path / "s.db")
    assert store.load(cookie, 100) is None
    store.delete(cookie)
    store.close()


def test_an_unknown_id_gives_an_empty_session() -> None:
    with Client(session_app(store="sqlite")) as client:
        answer = client.get("/show", headers={"Cookie": f"{COOKIE}={'A' * 43}"})
        assert answer.status_code == 200
        assert answer.json() == {}


def test_a_store_object_and_its_path(tmp_path: Path) -> None:
    path = tmp_path / "elsewhere" / "s.db"
    app = App("t", sessions=Sessions(store=SQLiteStore(path)))

    @app.post("/n")
    def bump(session: Session) -> dict[str, int]:
        session["n"] = session.get("n", 0) + 1
        return {"n": session["n"]}

    with Client(app) as client:
        assert [client.post("/n").json()["n"] for _ in range(3)] == [1, 2, 3]
    assert path.exists()
    assert not (app.paths.data / "sessions.db").exists()


def test_the_store_closes_when_the_app_stops_and_reopens_when_used() -> None:
    app = session_app(store="sqlite")
    with Client(app) as client:
        client.post("/set", data={"key": "user", "value": "ann"})
        store = app.sessions.store
        assert isinstance(store, SQLiteStore)
        assert store._db is not None
    assert store._db is None
    assert store.count() == 1
    store.close()


def test_deleting_a_session(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "s.db")
    sid = store.save(None, "{}", 100)
    store.delete(sid)
    assert store.load(sid, 100) is None
    store.close()
