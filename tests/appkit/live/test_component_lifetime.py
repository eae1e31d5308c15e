"""A live component lives as long as its page: the page names its components to the server
(hello, then ``own`` as swaps bring some and take others away); they go soon after the
page is gone (``left_grace`` after the browser left it, ``page_grace`` after its socket was
lost), one taken off its page expires after ``page_grace``, and one no live page named
keeps its ``component_ttl``. Opening and closing pages does not grow the server."""

from __future__ import annotations

import gc
import json
import secrets
import time
import tracemalloc
from typing import Any

import pytest
from starlette.websockets import WebSocketDisconnect

from appkit import App
from appkit.html import Page
from appkit.live import LiveSettings
from appkit.testing import Client
from tests.appkit.live.pages import (
    LivePage,
    closed_with,
    frames,
    live_client,
    until_pong,
    wait_until,
)
from tests.appkit.live.test_components import Counter, event, token_of


def counter_app(**settings: Any) -> App:
    app = App("lifetimes", extensions=[LiveSettings(**settings)])

    @app.get("/")
    def index() -> Any:
        return Page("Counter", Counter.mount(start=3))

    return app


def live(client: Client) -> Any:
    return client.app.extension("live")   # type: ignore[attr-defined]


def kept(client: Client) -> int:
    return len(live(client).components.store)


def open_page(client: Client, page_id: str | None = None, **hello: Any) -> tuple[Any, str]:
    """A page load and its socket, welcomed, naming the page's component."""
    page = LivePage(client, page_id or secrets.token_hex(16))
    token = token_of(page.html)
    ws = page.connect(components=[token.split(".")[0]], **hello)
    assert frames(ws, 1)[0]["t"] == "welcome"
    return ws, token


def test_a_pages_components_go_soon_after_the_browser_left_it() -> None:
    with live_client(counter_app(left_grace=0.2)) as client:
        ws, token = open_page(client)
        assert kept(client) == 1
        ws.close(1001)                        # the window closed
        assert wait_until(lambda: kept(client) == 0 and len(live(client).pages) == 0)
        assert event(client, _c=token, _h="increment").status_code == 410


@pytest.mark.parametrize("code", [1001, 4101])
def test_a_page_closed_as_it_was_left_lets_its_state_go_soon(code: int) -> None:
    # 4101: live.js on pagehide; 1001: the browser's going away.
    with live_client(counter_app(left_grace=0.2)) as client:
        ws, _ = open_page(client)
        ws.close(code)
        assert wait_until(lambda: kept(client) == 0 and len(live(client).pages) == 0,
                          within=3.0)


@pytest.mark.parametrize("code", [1005, 1006, 4100])
def test_a_lost_connection_keeps_the_components_for_the_page_to_resume(code: int) -> None:
    # 1005/1006: the connection lost (uvicorn says 1005 for a TCP close after the handshake,
    # as when a cut or a window torn down sends no close frame); 4100: live.js had no
    # answer to its ping.
    with live_client(counter_app(left_grace=0.05)) as client:
        page_id = secrets.token_hex(16)
        ws, token = open_page(client, page_id)
        ws.close(code)
        time.sleep(0.5)                       # ten times left_grace: a page that left is gone
        assert kept(client) == 1 and len(live(client).pages) == 1
        ws = LivePage(client, page_id).connect(components=[token.split(".")[0]])
        assert frames(ws, 1)[0]["t"] == "welcome"
        assert event(client, _c=token, _h="increment").status_code == 200


def test_a_lost_page_goes_after_page_grace() -> None:
    with live_client(counter_app(page_grace=0.2)) as client:
        ws, token = open_page(client)
        ws.close(1006)
        assert wait_until(lambda: kept(client) == 0)
        assert event(client, _c=token, _h="increment").status_code == 410


def test_a_component_taken_off_its_page_expires_after_page_grace() -> None:
    with live_client(counter_app(page_grace=0.3)) as client:
        ws, token = open_page(client)
        cid = token.split(".")[0]
        ws.send_text(json.dumps({"t": "own", "c": [], "gone": [cid]}))
        until_pong(ws)
        assert kept(client) == 1              # not at once: back may bring it again
        assert wait_until(lambda: kept(client) == 0)
        ws.close(1001)


def test_a_component_brought_back_by_an_event_lives_on() -> None:
    with live_client(counter_app(page_grace=1.0)) as client:
        ws, token = open_page(client)
        cid = token.split(".")[0]
        ws.send_text(json.dumps({"t": "own", "c": [], "gone": [cid]}))
        until_pong(ws)
        # History brought the element back and the user clicked it: it is used again.
        ws.send_text(json.dumps({"t": "own", "c": [cid], "gone": []}))
        assert event(client, _c=token, _h="increment").status_code == 200
        time.sleep(1.5)
        assert event(client, _c=token, _h="increment").status_code == 200
        ws.close(1001)


def test_a_component_no_live_page_named_keeps_its_lifetime() -> None:
    # A page without a socket (live blocked, or not opened yet) still works over HTTP.
    with live_client(counter_app(page_grace=0.05, left_grace=0.05)) as client:
        token = token_of(client.get("/").text)
        time.sleep(0.5)
        assert event(client, _c=token, _h="increment").status_code == 200


def test_two_pages_naming_one_component_keep_it_until_both_are_gone() -> None:
    with live_client(counter_app(left_grace=0.05)) as client:
        first, token = open_page(client)
        second = LivePage(client, secrets.token_hex(16)).connect(
            components=[token.split(".")[0]])
        assert frames(second, 1)[0]["t"] == "welcome"
        first.close(1001)
        assert wait_until(lambda: len(live(client).pages) == 1)
        assert event(client, _c=token, _h="increment").status_code == 200
        second.close(1001)
        assert wait_until(lambda: len(live(client).pages) == 0)
        assert event(client, _c=token, _h="increment").status_code == 410


def test_another_users_page_cannot_make_my_components_go() -> None:
    app = counter_app(left_grace=0.05, page_grace=0.2)
    with live_client(app) as mine, live_client(app) as theirs:
        ws, token = open_page(mine)
        hostile = LivePage(theirs, secrets.token_hex(16)).connect(
            components=[token.split(".")[0]])
        assert frames(hostile, 1)[0]["t"] == "welcome"
        hostile.send_text(json.dumps({"t": "own", "c": [], "gone": [token.split(".")[0]]}))
        until_pong(hostile)
        hostile.close(1001)
        assert wait_until(lambda: len(live(mine).pages) == 1)
        time.sleep(0.3)                       # past page_grace of what it said went
        assert event(mine, _c=token, _h="increment").status_code == 200
        ws.close(1001)


def test_bad_component_lists_close_the_socket_with_1007() -> None:
    with live_client(counter_app()) as client:
        page = LivePage(client)
        for bad in ({"components": ["c-1"] * 2001}, {"components": "c-1"},
                    {"components": [7]}, {"components": ["x" * 65]}):
            ws = page.connect(**bad)
            code, _ = closed_with(ws)
            assert code == 1007, bad
        ws = page.connect()
        frames(ws, 1)
        for bad_own in ({"t": "own", "c": {}}, {"t": "own", "c": [], "gone": [None]}):
            ws.send_text(json.dumps(bad_own))
            try:
                code, _ = closed_with(ws)
            except WebSocketDisconnect as closed:   # pragma: no cover - closed at once
                code = closed.code
            assert code == 1007, bad_own
            ws = page.connect()
            frames(ws, 1)
        ws.close(1001)


def test_a_thousand_pages_opened_and_closed_leave_the_server_as_it_was() -> None:
    with live_client(counter_app(left_grace=0.05)) as client:
        extension = live(client)

        name = client.app.sessions.cookie_name   # type: ignore[attr-defined]

        def cycle() -> None:
            page = LivePage(client, secrets.token_hex(16))
            cid = token_of(page.html).split(".")[0]
            url = f"/_appkit-live?appkit-csrf={client.csrf_token()}"
            with client.websocket_connect(
                    url, headers={"cookie": f"{name}={client.cookies[name]}"}) as ws:
                ws.send_text(json.dumps({
                    "t": "hello", "v": 1, "build": page.config["build"],
                    "boot": page.config["boot"], "page": page.page_id, "topics": {},
                    "components": [cid]}))
                assert frames(ws, 1)[0]["t"] == "welcome"
                ws.close(1001)

        def settled() -> tuple[int, int]:
            assert wait_until(lambda: kept(client) == 0 and len(extension.pages) == 0,
                              within=30.0)
            gc.collect()
            return len(extension.hub.topics), tracemalloc.get_traced_memory()[0]

        for _ in range(50):                   # warm: caches, pools, first imports
            cycle()
        tracemalloc.start()
        try:
            topics, baseline = settled()
            for _ in range(1000):
                cycle()
            assert kept(client) <= 1000
            after_topics, after = settled()
        finally:
            tracemalloc.stop()
        assert after_topics == topics
        # A component kept per cycle would be ~1,000 x 1 KB; what is left is noise.
        assert after - baseline < 150_000, after - baseline


def test_a_store_on_disk_lets_them_go_the_same_way() -> None:
    with live_client(counter_app(component_store="sqlite", left_grace=0.05,
                                 page_grace=0.3)) as client:
        store = live(client).components.store
        ws, token = open_page(client)
        other, taken_off = open_page(client)
        owner = next(iter(store._sessions))
        other.send_text(json.dumps({"t": "own", "c": [], "gone": [taken_off.split(".")[0]]}))
        until_pong(other)
        ws.close(1001)
        assert wait_until(lambda: kept(client) == 0)
        # Gone from the disk too, not only from the memory in front of it.
        assert store.get(owner, token.split(".")[0]) is None
        assert store.get(owner, taken_off.split(".")[0]) is None
        other.close(1001)
