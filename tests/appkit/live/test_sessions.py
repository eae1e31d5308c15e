"""The session live events see stays the browser's: an HTTP change closes the user's live
sockets (4205) so they read it anew; a live event's change is saved through a one-time key
the page posts (see appkit/live/sessions.py)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from appkit import App
from appkit.html import P
from appkit.live import sessions as live_sessions
from appkit.testing import Client
from tests.appkit.live.pages import (
    LivePage,
    closed_with,
    ev,
    frames,
    live_client,
    reply_to,
    until_pong,
)
from tests.appkit.live.test_attack_protocol import make_app


def session_app() -> App:
    app = make_app()

    @app.post("/set")
    def set_value(key: str, value: str, session: Any) -> Any:
        session[key] = value
        return P("set", id="status")

    @app.post("/toast")
    def toast_only(session: Any) -> Any:
        from appkit.sessions import toast

        toast(session, "Saved.")
        return P("toasted", id="status")

    @app.post("/logout")
    def logout(session: Any) -> Any:
        session.clear()
        return P("out", id="status")

    @app.get("/show")
    def show(session: Any) -> Any:
        return P(repr(sorted(dict(session).items())), id="show")

    @app.websocket("/remember")
    def remember(colour: str, session: Any) -> Any:
        session["colour"] = colour
        return None

    @app.websocket("/forget")
    def forget(session: Any) -> Any:
        del session["colour"]
        return None

    @app.websocket("/read")
    def read(session: Any) -> Any:
        return None

    return app


def post_key(client: Client, key: str) -> Any:
    return client.post("/_appkit-live/session", data={"key": key},
                       headers={"X-CSRF-Token": client.csrf_token() or ""})



def test_an_http_change_of_values_closes_every_live_socket_of_that_session() -> None:
    with live_client(session_app()) as client:
        one, two = LivePage(client, "1" * 32), LivePage(client, "2" * 32)
        ws1, ws2 = one.connect(), two.connect()
        frames(ws1, 1), frames(ws2, 1)
        assert client.post("/set", data={"key": "user", "value": "ann"}).status_code == 200
        for ws in (ws1, ws2):
            code, _ = closed_with(ws)
            assert code == 4205


def test_toasts_and_reads_do_not_close_the_live_sockets() -> None:
    with live_client(session_app()) as client:
        ws = LivePage(client).connect()
        frames(ws, 1)
        assert client.post("/toast").status_code == 200
        assert client.get("/show").status_code == 200
        until_pong(ws)                       # answered: still open
        ws.send_text(ev(1, "/say", text="still here"))
        assert reply_to(ws, 1)["ok"] is True


def test_another_sessions_change_leaves_my_sockets_alone() -> None:
    app = session_app()
    with live_client(app) as mine, Client(app) as other:
        ws = LivePage(mine).connect()
        frames(ws, 1)
        assert other.post("/set", data={"key": "user", "value": "eve"},
                          headers={"X-CSRF-Token": other.csrf_token() or ""}).status_code == 200
        until_pong(ws)
        ws.send_text(ev(1, "/say", text="mine"))
        assert reply_to(ws, 1)["ok"] is True


def test_a_live_change_is_saved_once_and_only_what_it_changed() -> None:
    with live_client(session_app()) as client:
        assert client.post("/set", data={"key": "user", "value": "ann"}).status_code == 200
        page = LivePage(client)
        ws = page.connect()
        frames(ws, 1)
        ws.send_text(ev(1, "/remember", colour="teal"))
        reply = reply_to(ws, 1)
        assert reply["ok"] is True and reply["session"]
        # Meanwhile the user signed out in another window: the live change must not bring
        # the old values back, only add its own.
        assert client.post("/logout").status_code == 200
        assert post_key(client, reply["session"]).status_code == 204
        assert client.get("/show").text.count("('colour', 'teal')") == 1
        assert "ann" not in client.get("/show").text


def test_a_live_removal_is_saved() -> None:
    with live_client(session_app()) as client:
        assert client.post("/set", data={"key": "colour", "value": "red"}).status_code == 200
        ws = LivePage(client).connect()
        frames(ws, 1)
        ws.send_text(ev(1, "/forget"))
        reply = reply_to(ws, 1)
        assert post_key(client, reply["session"]).status_code == 204
        assert "colour" not in client.get("/show").text


def test_an_event_that_changes_nothing_carries_no_key() -> None:
    with live_client(session_app()) as client:
        ws = LivePage(client).connect()
        frames(ws, 1)
        ws.send_text(ev(1, "/read"))
        assert "session" not in reply_to(ws, 1)


def test_a_key_is_refused_to_another_session_and_when_forged() -> None:
    app = session_app()
    with live_client(app) as mine, Client(app) as thief:
        ws = LivePage(mine).connect()
        frames(ws, 1)
        ws.send_text(ev(1, "/remember", colour="teal"))
        key = reply_to(ws, 1)["session"]
        assert post_key(thief, key).status_code == 404
        assert "teal" not in thief.get("/show").text
        assert post_key(mine, "forged-" + key).status_code == 404
        assert post_key(mine, "").status_code in (400, 404)
        # Still the owner's to use: the thief's try did not spend it.
        assert post_key(mine, key).status_code == 204


def test_keys_expire(monkeypatch: pytest.MonkeyPatch) -> None:
    with live_client(session_app()) as client:
        ws = LivePage(client).connect()
        frames(ws, 1)
        ws.send_text(ev(1, "/remember", colour="teal"))
        key = reply_to(ws, 1)["session"]
        later = time.monotonic() + live_sessions.KEY_LIFETIME + 1
        monkeypatch.setattr(live_sessions.time, "monotonic", lambda: later)
        assert post_key(client, key).status_code == 404


def test_waiting_changes_are_bounded() -> None:
    writes = live_sessions.SessionWrites()
    keys = [writes.add(live_sessions.SessionWrite("user:x", "p", {"n": n}))
            for n in range(live_sessions.MAX_WAITING + 10)]
    assert len(writes) == live_sessions.MAX_WAITING
    assert writes.take(keys[0], "user:x") is None           # the oldest went first
    assert writes.take(keys[-1], "user:x") is not None
