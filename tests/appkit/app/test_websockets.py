"""Websocket routes: both handler styles, binding of a message's fields, the pipeline at
the handshake (CSRF, before-hooks, providers), close codes, the message cap, and errors
that are logged and told to the page."""

from __future__ import annotations

import json
from typing import Any

import pytest
from starlette.websockets import WebSocketDisconnect

from appkit import App, Redirect, Router
from appkit.app.websockets import Socket
from appkit.errors import BadRequest, ConfigurationError, NotFound
from appkit.html import Li, P
from appkit.testing import Client


def _connect(client: Client, path: str, *, csrf: bool = True) -> Any:
    # Starlette's test client sends neither its cookies nor the token with a handshake
    # (a page does: appkit.js adds the token): add both.
    headers = {}
    name = client.app.sessions.cookie_name  # type: ignore[attr-defined]
    token = client.csrf_token()
    if name in client.cookies:
        headers["cookie"] = f"{name}={client.cookies[name]}"
    if csrf:
        path += ("&" if "?" in path else "?") + f"appkit-csrf={token}"
    return client.websocket_connect(path, headers=headers)


def test_a_connection_handler_talks_with_the_page() -> None:
    app = App("ws")

    @app.websocket("/echo/{prefix}")
    async def echo(socket: Socket, prefix: str, session) -> None:  # type: ignore[no-untyped-def]
        await socket.send(P(f"hello {session.get('name', 'stranger')}", id="greeting"))
        async for message in socket:
            await socket.send(P(f"{prefix}: {message.text}", id="echo"))

    with Client(app) as client, _connect(client, "/echo/you") as ws:
        assert ws.receive_text() == '<p id="greeting">hello stranger</p>'
        ws.send_text("one <b>")
        assert ws.receive_text() == '<p id="echo">you: one &lt;b&gt;</p>'
        ws.send_text("two")
        assert ws.receive_text() == '<p id="echo">you: two</p>'


def test_a_message_handler_binds_the_fields_htmx_sends() -> None:
    app = App("ws")
    router = Router("/rooms")

    @router.websocket("/{room}")
    def post(room: str, text: str, count: int = 1) -> Any:
        return [Li(f"{room}: {text} x{count}", id="messages", hx_swap_oob="beforeend")]

    app.include(router)
    assert post.url(room="a") == "/rooms/a"
    with Client(app) as client, _connect(client, "/rooms/lobby") as ws:
        ws.send_text(json.dumps({"text": "hi", "count": "3",
                                 "HEADERS": {"HX-Request": "true"}}))
        assert ws.receive_text() == ('<li id="messages" hx-swap-oob="beforeend">'
                                     "lobby: hi x3</li>")
        ws.send_text(json.dumps({"text": "again"}))
        assert "lobby: again x1" in ws.receive_text()


def test_a_bad_message_is_told_to_the_page_and_the_socket_stays_open(
        error_logs: list[Any]) -> None:
    app = App("ws")

    @app.websocket("/add")
    def add(n: int) -> Any:
        if n == 13:
            raise NotFound("There is no 13")
        if n == 666:
            raise RuntimeError("boom")
        return P(f"{n + 1}", id="sum")

    with Client(app) as client, _connect(client, "/add") as ws:
        ws.send_text(json.dumps({"n": "x"}))
        notice = ws.receive_text()
        assert 'id="appkit-ws-error"' in notice and 'data-status="400"' in notice
        assert "whole number" in notice
        ws.send_text(json.dumps({"n": 13}))
        assert "There is no 13" in ws.receive_text()
        ws.send_text(json.dumps({"n": 666}))
        crash = ws.receive_text()
        assert 'data-status="500"' in crash and "boom" not in crash
        ws.send_text(json.dumps({"n": 1}))
        assert ws.receive_text() == '<p id="sum">2</p>'
    assert [r.getMessage() for r in error_logs] == ["Unhandled error in websocket /add"]


def test_the_handshake_needs_the_csrf_token_and_passes_the_before_hooks() -> None:
    app = App("ws")

    @app.before(skip=["login"])
    def wall(session) -> Any:  # type: ignore[no-untyped-def]
        return None if session.get("name") else Redirect("/login")

    @app.get("/login")
    def login(session) -> Any:  # type: ignore[no-untyped-def]
        session["name"] = "ann"
        return P("in")

    @app.websocket("/hello")
    async def hello(socket: Socket, session) -> None:  # type: ignore[no-untyped-def]
        await socket.send(P(f"hi {session['name']}"))

    with Client(app) as client:
        with pytest.raises(WebSocketDisconnect) as walled, _connect(client, "/hello") as ws:
            ws.receive_text()
        assert walled.value.code == 1008
        client.get("/login")
        with pytest.raises(WebSocketDisconnect) as forged, _connect(
                client, "/hello", csrf=False) as ws:
            ws.receive_text()
        assert forged.value.code == 1008 and "security token" in forged.value.reason
        with _connect(client, "/hello") as ws:
            assert ws.receive_text() == "<p>hi ann</p>"
            with pytest.raises(WebSocketDisconnect) as done:
                ws.receive_text()
            assert done.value.code == 1000


def test_an_oversized_message_closes_with_1009() -> None:
    app = App("ws")

    @app.websocket("/small", max_message_size=100)
    def small(text: str) -> Any:
        return P(text)

    with Client(app) as client, _connect(client, "/small") as ws:
        ws.send_text(json.dumps({"text": "x" * 20}))
        assert ws.receive_text() == "<p>" + "x" * 20 + "</p>"
        ws.send_text(json.dumps({"text": "\u00e9" * 60}))  # 120 bytes of UTF-8
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_text()
        assert closed.value.code == 1009 and "over this socket's limit" in closed.value.reason


def test_errors_of_a_connection_handler_close_with_their_code(
        error_logs: list[Any]) -> None:
    app = App("ws")

    @app.websocket("/strict")
    async def strict(socket: Socket) -> None:
        async for message in socket:
            if message.text == "bad":
                raise BadRequest("bad is not allowed")
            raise ValueError("unexpected")

    with Client(app) as client:
        for text, code in (("bad", 1007), ("other", 1011)):
            with _connect(client, "/strict") as ws:
                ws.send_text(text)
                with pytest.raises(WebSocketDisconnect) as closed:
                    ws.receive_text()
                assert closed.value.code == code
    assert [r.getMessage() for r in error_logs] == ["Unhandled error in websocket /strict"]


def test_websocket_routes_are_checked_when_defined() -> None:
    app = App("ws")
    with pytest.raises(ConfigurationError, match="max_message_size"):
        app.websocket("/x", max_message_size=0)
    with pytest.raises(ConfigurationError, match="mixes WEBSOCKET"):
        app.route("/x", ["GET", "WEBSOCKET"])
