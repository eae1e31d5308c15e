"""The live socket's handshake behind shell's loopback guard: another site's page, a
missing launch cookie or a missing CSRF token never gets a live page."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import WebSocketDenialResponse
from starlette.websockets import WebSocketDisconnect

from appkit.testing import Client
from shell.guard import TOKEN_PARAM, LoopbackGuard, new_token
from tests.appkit.live.pages import (
    LivePage,
    closed_with,
    frames,
    live_client,
)
from tests.appkit.live.test_attack_protocol import make_app

ORIGIN = "http://127.0.0.1:8000"


@pytest.fixture
def guarded() -> Iterator[tuple[Client, str]]:
    token = new_token()
    app = make_app()
    with live_client(LoopbackGuard(app, token)) as client:  # type: ignore[arg-type]
        assert client.get(f"/?{TOKEN_PARAM}={token}",
                          follow_redirects=False).status_code == 303
        yield client, token


def _handshake(client: Client, token: str, *, origin: str | None, launch: bool,
               csrf: bool) -> Any:
    page = LivePage(client)
    name = client.app.app.sessions.cookie_name  # type: ignore[attr-defined]
    cookies = [f"{name}={client.cookies[name]}"]
    if launch:
        cookies.append(f"appkit-token-8000={token}")
    headers = {"cookie": "; ".join(cookies)}
    if origin is not None:
        headers["origin"] = origin
    url = "ws://127.0.0.1:8000/_appkit-live"
    if csrf:
        url += f"?appkit-csrf={client.csrf_token()}"
    ws = client.sockets.enter_context(  # type: ignore[attr-defined]
        client.websocket_connect(url, headers=headers))
    ws.send_text(json.dumps({"t": "hello", "v": 1, "build": page.config["build"],
                             "boot": page.config["boot"], "page": "g" * 32,
                             "topics": {"chat": 0}}))
    return ws


def test_the_apps_own_page_gets_its_live_socket(guarded: tuple[Client, str]) -> None:
    client, token = guarded
    ws = _handshake(client, token, origin=ORIGIN, launch=True, csrf=True)
    assert frames(ws, 1)[0]["t"] == "welcome"


@pytest.mark.parametrize(("origin", "launch"), [
    ("http://evil.example", True),       # another site, in the same browser
    ("http://127.0.0.1:8001", True),     # another app on loopback
    ("null", True),                      # a sandboxed frame or a file:// page
    (ORIGIN, False),                     # no launch cookie: not the app's window
])
def test_a_foreign_handshake_is_refused_by_the_guard(
        guarded: tuple[Client, str], origin: str, launch: bool) -> None:
    client, token = guarded
    with pytest.raises(WebSocketDenialResponse) as denied:
        _handshake(client, token, origin=origin, launch=launch, csrf=True)
    assert denied.value.status_code == 403


def test_a_handshake_without_the_csrf_token_is_closed_with_1008(
        guarded: tuple[Client, str]) -> None:
    client, token = guarded
    ws = _handshake(client, token, origin=ORIGIN, launch=True, csrf=False)
    assert closed_with(ws)[0] == 1008


def _core_live_app() -> Any:
    """The bare core (no sessions) with the live layer and one live page."""
    from appkit.app import App as CoreApp
    from appkit.html import Page, Ul
    from appkit.live import LiveSettings

    app = CoreApp("core-live", extensions=[LiveSettings()])

    @app.get("/")
    def index() -> Any:
        return Page("Live", Ul(id="m"), app.hub.subscribe("chat"))

    return app


def test_without_sessions_the_handshake_still_needs_a_token() -> None:
    app = _core_live_app()
    with live_client(app) as client:
        html = client.get("/").text
        live = app.extension("live")
        assert 'name="appkit-live"' in html
        ws = client.sockets.enter_context(  # type: ignore[attr-defined]
            client.websocket_connect("/_appkit-live"))
        ws.send_text(json.dumps({"t": "hello", "v": 1, "build": live.build,
                                 "boot": live.boot, "page": "c" * 32, "topics": {"chat": 0}}))
        with pytest.raises(WebSocketDisconnect) as refused:
            assert json.loads(ws.receive_text())["t"] != "welcome"
        assert refused.value.code == 1008


def test_without_sessions_the_pages_token_lets_it_in_and_an_old_one_reloads() -> None:
    app = _core_live_app()
    with live_client(app) as client:
        html = client.get("/").text
        config = json.loads(re.search(r'name="appkit-live" content="([^"]*)"', html)
                            .group(1).replace("&quot;", '"'))  # type: ignore[union-attr]
        live = app.extension("live")
        hello = json.dumps({"t": "hello", "v": 1, "build": live.build, "boot": live.boot,
                            "page": "c" * 32, "topics": {"chat": 0}})
        ws = client.sockets.enter_context(  # type: ignore[attr-defined]
            client.websocket_connect(f"/_appkit-live?appkit-csrf={config['token']}"))
        ws.send_text(hello)
        assert json.loads(ws.receive_text())["t"] == "welcome"
        old = client.sockets.enter_context(  # type: ignore[attr-defined]
            client.websocket_connect("/_appkit-live?appkit-csrf=from-an-earlier-process"))
        assert json.loads(old.receive_text()) == {"t": "reload", "why": "build"}
        with pytest.raises(WebSocketDisconnect) as refused:
            old.receive_text()
        assert refused.value.code == 4001
