"""Attacks on the live protocol, in-process: forged and replayed frames, events the server
must refuse or answer, slow handlers, reconnects across a slow event, an expired page's
resume, a server restart, stale sessions. A test marked xfail(strict) shows a bug."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.websockets import WebSocketDisconnect

from appkit import App, BadRequest, LiveSettings, Redirect
from appkit.app.websockets import Socket
from appkit.html import Li, P, Page, Ul
from appkit.live import append, replace
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


def make_app(**settings: Any) -> App:
    app = App("liveattack", extensions=[LiveSettings(**settings)] if settings else [])
    said: list[str] = []
    app.state.said = said
    app.hub.topic("chat", snapshot=lambda: Ul(*[Li(t, id=f"m{i}") for i, t in enumerate(said)],
                                              id="messages"))
    app.hub.topic("secret", allow=lambda session: False)

    @app.get("/")
    def index() -> Any:
        return Page("Chat", Ul(id="messages"), app.hub.subscribe("chat"))

    @app.websocket("/say")
    def say(text: str) -> Any:
        said.append(text)
        app.hub.publish("chat", append("messages", Li(text, id=f"m{len(said) - 1}")))
        return replace(P(f"you said {text}", id="status"))

    @app.websocket("/slow")
    async def slow(seconds: float) -> Any:
        await asyncio.sleep(seconds)
        said.append(f"slow {seconds}")
        return replace(P(f"slept {seconds}", id="status"))

    @app.websocket("/slow-sync")
    def slow_sync(seconds: float) -> Any:
        time.sleep(seconds)
        said.append(f"slow-sync {seconds}")
        return replace(P("done", id="status"))

    @app.websocket("/item/{n:int}")
    def item(n: int) -> Any:
        return replace(P(f"item {n}", id="status"))

    @app.websocket("/boom")
    def boom() -> Any:
        raise RuntimeError("the handler broke")

    @app.websocket("/refuse")
    async def refuse() -> Any:
        raise BadRequest("Not like this.")

    @app.websocket("/echo")
    async def echo(socket: Socket) -> None:
        async for message in socket:
            await socket.send(P(message.text, id="echo"))

    return app


@pytest.fixture
def client() -> Iterator[Client]:
    with live_client(make_app()) as c:
        yield c


# ---- what the server must refuse or answer (these hold) --------------------------------


@pytest.mark.parametrize(("route", "status"), [
    ("/nowhere", 404),                 # no such route
    ("/echo", 404),                    # a connection handler talks on its own socket
    ("/_appkit-live", 404),            # the live socket itself
    ("/item/abc", 404),                # a path parameter that is not an int
    ("/item/7?x=1", 404),
    ("/boom", 500),                    # the handler raised
    ("/refuse", 400),                  # the handler refused
])
def test_bad_events_get_an_error_reply_and_the_socket_stays(
        client: Client, route: str, status: int, error_logs: list[Any]) -> None:
    ws = LivePage(client).connect()
    frames(ws, 1)
    ws.send_text(ev(1, route))
    reply = reply_to(ws, 1)
    assert reply["ok"] is False and reply["error"]["status"] == status
    ws.send_text(ev(2, "/item/7"))
    assert reply_to(ws, 2)["ops"][0]["html"] == '<p id="status">item 7</p>'
    assert bool(error_logs) == (status == 500)    # the crash is logged, nothing else


@pytest.mark.parametrize("frame", [
    '{"t": "hello", "v": 1, "build": "", "boot": "", "page": "pppppppp"}',   # a replay
    '{"t": "ev", "ref": 0, "route": "/say"}',
    '{"t": "ev", "ref": -1, "route": "/say"}',
    '{"t": "ev", "ref": 9007199254740993, "route": "/say"}',
    '{"t": "ev", "ref": true, "route": "/say"}',
    '{"t": "ev", "ref": 1.5, "route": "/say"}',
    '{"t": "ack", "id": -3}',
    '{"t": "welcome"}',
    '[]',
])
def test_forged_frames_after_hello_close_with_1007(client: Client, frame: str) -> None:
    ws = LivePage(client).connect()
    frames(ws, 1)
    ws.send_text(frame)
    code, _ = closed_with(ws)
    assert code == 1007


@pytest.mark.parametrize(("topics", "code"), [
    ({"page:" + "p" * 32: 0}, 1008),               # another page's own topic
    ({"user:" + "0" * 24: 0}, 1008),               # another user's topic
    ({"secret": 0}, 1008),                         # allow= says no
    ({f"t{n}": 0 for n in range(257)}, 1007),      # a huge map
    ({"x" * 201: 0}, 1007),
    ({"chat": -1}, 1007),
    ({"chat": 2**53}, 1007),
])
def test_topics_a_page_may_not_follow_are_refused(client: Client, topics: dict[str, int],
                                                  code: int) -> None:
    ws = LivePage(client).connect(topics=topics)
    assert closed_with(ws)[0] == code


def test_a_page_of_another_session_is_refused_and_does_not_take_the_page_over(
        client: Client) -> None:
    page = LivePage(client)
    mine = page.connect()
    frames(mine, 1)
    other = Client(client.app)
    other.sockets = client.sockets  # type: ignore[attr-defined]
    thief = LivePage(other, page_id=page.page_id).connect()
    assert closed_with(thief)[0] == 4403
    mine.send_text(ev(1, "/say", text="still mine"))
    assert reply_to(mine, 1)["ok"] is True


def test_the_handshake_needs_the_sessions_csrf_token(client: Client) -> None:
    page = LivePage(client)
    for token in (None, "forged"):
        ws = page.socket(token=token)
        ws.send_text(json.dumps({"t": "hello", "v": 1, "build": page.config["build"],
                                 "boot": page.config["boot"], "page": page.page_id}))
        assert closed_with(ws)[0] == 1008


def test_a_login_wall_refuses_live_events() -> None:
    app = make_app()

    @app.before(skip=["index", "appkit-live"])
    def wall(session: Any) -> Any:
        if "user" not in session:
            return Redirect("/login")
        return None

    with live_client(app) as client:
        ws = LivePage(client).connect()
        frames(ws, 1)
        ws.send_text(ev(1, "/say", text="sneaky"))
        reply = reply_to(ws, 1)
        assert reply["ok"] is False and reply["error"]["status"] == 403
        assert app.state.said == []


def test_a_slow_event_on_one_page_does_not_hold_up_another_page(client: Client) -> None:
    one = LivePage(client, page_id="a" * 32).connect()
    two = LivePage(client, page_id="b" * 32).connect()
    frames(one, 1)
    frames(two, 1)
    one.send_text(ev(1, "/slow-sync", seconds=1.5))
    started = time.monotonic()
    two.send_text(ev(1, "/say", text="quick"))
    assert reply_to(two, 1)["ok"] is True
    assert time.monotonic() - started < 1.0
    assert reply_to(one, 1)["ok"] is True


def test_a_quiet_page_is_closed_with_4408() -> None:
    with live_client(make_app(heartbeat=0.1, idle_timeout=0.3)) as client:
        ws = LivePage(client).connect()
        code, got = closed_with(ws)
        assert code == 4408 and got[0]["t"] == "welcome"


# ---- bugs ------------------------------------------------------------------------------


def test_a_ping_is_answered_while_an_event_runs(client: Client) -> None:
    ws = LivePage(client).connect()
    frames(ws, 1)
    ws.send_text(ev(1, "/slow", seconds=1.0))
    ws.send_text(json.dumps({"t": "ping"}))
    first, second = frames(ws, 2)
    assert {first["t"], second["t"]} == {"pong", "reply"}
    assert first["t"] == "pong"


def test_the_reply_to_an_event_that_ran_across_a_reconnect_arrives(client: Client) -> None:
    page = LivePage(client)
    old = page.connect()
    frames(old, 1)
    old.send_text(ev(1, "/slow", seconds=0.5))
    time.sleep(0.1)                                      # the handler is running
    new = page.connect(replied=0)                        # the connection blipped
    (welcome,) = frames(new, 1)
    assert closed_with(old)[0] == 4409
    # The page resends only events after welcome["seen"]; the server ran ref 1 already.
    assert welcome["seen"] == 1
    time.sleep(1.0)                                      # the handler has finished
    got = until_pong(new)
    assert [f["ref"] for f in got if f["t"] == "reply"] == [1]


def test_an_event_out_of_order_is_not_swallowed(client: Client) -> None:
    ws = LivePage(client).connect()
    frames(ws, 1)
    ws.send_text(ev(5, "/say", text="five"))
    reply_to(ws, 5)
    ws.send_text(ev(3, "/say", text="three"))           # never seen before
    assert any(f["t"] == "reply" and f["ref"] == 3 for f in until_pong(ws))


def test_a_page_missing_more_replies_than_are_kept_is_told(client: Client) -> None:
    page = LivePage(client)
    ws = page.connect()
    frames(ws, 1)
    for ref in range(1, 41):
        ws.send_text(ev(ref, "/say", text=f"m{ref}"))
    for _ in range(80):                                  # the replies are on their way
        if len(client.app.state.said) == 40:
            break
        time.sleep(0.05)
    ws.close()                                           # ... and lost with the socket
    again = page.connect(replied=0, sent=40, topics={"chat": 40})
    got = until_pong(again)
    refs = sorted(f["ref"] for f in got if f["t"] == "reply")
    (welcome,) = [f for f in got if f["t"] == "welcome"]
    # The replies kept are resent; the welcome says from which on, so that the page tells
    # its user about the older ones (they may or may not have been done).
    told = refs == list(range(1, 41)) or (welcome["kept"] == refs[0] and refs[-1] == 40)
    assert told, f"replies resent: {refs[0]}..{refs[-1]}, nothing about 1..{refs[0] - 1}"


def test_a_page_resuming_after_its_state_expired_never_reruns_an_event() -> None:
    with live_client(make_app(page_grace=0.2)) as client:
        app = client.app
        page = LivePage(client)
        ws = page.connect()
        frames(ws, 1)
        ws.send_text(ev(1, "/say", text="once"))
        ws.close()                                       # the reply is lost with it
        for _ in range(100):
            if app.state.said:
                break
            time.sleep(0.02)
        time.sleep(0.6)                                  # longer than page_grace
        again = page.connect(replied=0, sent=1, resumed=True, topics={"chat": 1})  # live.js
        (welcome,) = frames(again, 1)
        assert welcome["forgotten"] is True
        if welcome["t"] == "welcome" and welcome["seen"] < 1:
            again.send_text(ev(1, "/say", text="once"))  # what live.js does
            with contextlib.suppress(WebSocketDisconnect):
                until_pong(again)
        assert app.state.said == ["once"]


def test_after_a_server_restart_the_page_resyncs_and_runs_nothing_twice(
        client: Client) -> None:
    """A server that restarted does not know which of the page's events ran: none runs
    again (at most once; live.js keeps what was typed and says so), the topics resync from
    their snapshots, and the user's topic goes on without a reload."""
    app = client.app
    page = LivePage(client)
    ws = page.connect(boot="0" * 16, sent=7, topics={page.config["user"][0]: 3, "chat": 5})
    welcome = json.loads(ws.receive_text())
    assert welcome["t"] == "welcome" and welcome["seen"] == 7 and welcome["forgotten"]
    ws.send_text(ev(7, "/say", text="typed while the server was away"))   # a stale resend
    got = until_pong(ws)
    assert app.state.said == []
    assert any(f["t"] == "msg" and f.get("snapshot") for f in got)
    assert not any(f["t"] == "reload" for f in got)
    (reply,) = [f for f in got if f["t"] == "reply"]
    assert reply["ok"] is False and reply["error"]["status"] == 409


def test_signing_out_closes_the_login_wall_for_live_events() -> None:
    app = make_app()

    @app.before(skip=["index", "appkit-live", "login", "logout"])
    def wall(session: Any) -> Any:
        if "user" not in session:
            return Redirect("/login")
        return None

    @app.post("/login")
    def login(session: Any) -> Any:
        session["user"] = "ann"
        return P("in", id="status")

    @app.post("/logout")
    def logout(session: Any) -> Any:
        session.clear()
        return P("out", id="status")

    with live_client(app) as client:
        assert client.post("/login").status_code == 200
        page = LivePage(client)
        ws = page.connect()
        frames(ws, 1)
        ws.send_text(ev(1, "/say", text="signed in"))
        assert reply_to(ws, 1)["ok"] is True
        assert client.post("/logout").status_code == 200
        ws.send_text(ev(2, "/say", text="signed out"))
        # The socket read the session at its handshake: signing out closed it (4205), so
        # the event sent on it was not taken; the page reconnects, reading the session as
        # the cookie has it now, and sends it again.
        code, got = closed_with(ws)
        assert code == 4205 and not [f for f in got if f["t"] == "reply"]
        ws = page.connect(sent=2, replied=1, resumed=True)
        welcome = frames(ws, 1)[0]
        assert welcome["t"] == "welcome" and welcome["seen"] == 1
        ws.send_text(ev(2, "/say", text="signed out"))
        reply = reply_to(ws, 2)
        assert reply["ok"] is False and app.state.said == ["signed in"]


def test_a_live_event_can_change_the_session() -> None:
    app = make_app()

    @app.websocket("/remember")
    def remember(colour: str, session: Any) -> Any:
        session["colour"] = colour
        return None

    @app.get("/colour")
    def colour(session: Any) -> Any:
        return P(session.get("colour", "none"), id="colour")

    with live_client(app) as client:
        ws = LivePage(client).connect()
        frames(ws, 1)
        ws.send_text(ev(1, "/remember", colour="teal"))
        reply = reply_to(ws, 1)
        assert reply["ok"] is True
        # The socket cannot set a cookie: the page posts the reply's key, as live.js does.
        token = client.csrf_token()
        saved = client.post("/_appkit-live/session", data={"key": reply["session"]},
                            headers={"X-CSRF-Token": token})
        assert saved.status_code == 204 and "set-cookie" in saved.headers
        assert "teal" in client.get("/colour").text
        # Once: the key is spent.
        again = client.post("/_appkit-live/session", data={"key": reply["session"]},
                            headers={"X-CSRF-Token": token})
        assert again.status_code == 404
        # The page that made the change keeps its socket (it has the session already).
        ws.send_text(ev(2, "/remember", colour="red"))
        assert reply_to(ws, 2)["ok"] is True


def test_made_up_topic_names_do_not_pile_up_in_the_hub(client: Client) -> None:
    hub = client.app.hub
    before = len(hub.topics)
    page = LivePage(client)
    for round_ in range(20):
        ws = page.connect(topics={f"junk-{round_}-{n}": 0 for n in range(256)})
        frames(ws, 1)
        ws.close()
    deadline = time.monotonic() + 5   # the server leaves the last socket after the client
    while len(hub.topics) >= before + 256 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(hub.topics) < before + 256


def test_page_loads_of_new_sessions_do_not_pile_up_topics(client: Client) -> None:
    hub = client.app.hub
    before = len(hub.topics)
    for _ in range(300):
        Client(client.app).get("/")              # no cookie: a new session each time
    assert len(hub.topics) < before + 100


def test_publishing_from_threads_keeps_every_message_in_order() -> None:
    with live_client(make_app(outbox_frames=100_000, outbox_bytes=2**30,
                              history=100_000, history_bytes=2**30)) as client:
        app = client.app
        ws = LivePage(client).connect()
        frames(ws, 1)
        threads, per = 8, 400
        go = threading.Event()
        switch = sys.getswitchinterval()
        sys.setswitchinterval(1e-6)                  # threads take turns often, as under load

        def publish(n: int) -> None:
            go.wait()
            for k in range(per):
                app.hub.publish("chat", append("messages", Li(f"{n}-{k}")))

        workers = [threading.Thread(target=publish, args=(n,)) for n in range(threads)]
        try:
            for worker in workers:
                worker.start()
            go.set()
            for worker in workers:
                worker.join()
        finally:
            sys.setswitchinterval(switch)
        seqs = [f["seq"] for f in until_pong(ws) if f["t"] == "msg"]
        assert seqs == list(range(1, threads * per + 1))


def test_a_message_published_while_the_chat_page_renders_reaches_it() -> None:
    from examples.chat.app import create_app as create_chat

    app = create_chat("chat-render-race")
    subscribe = app.hub.subscribe
    (send,) = [h for h in app.route_handlers if h.name == "send"]

    def another_window_sends_while_this_one_renders(name: str) -> Any:
        # The page subscribes first (examples/chat does), then another window's message
        # lands (saved and published) before the page reads the messages.
        marker = subscribe(name)
        send.fn(text="raced")
        return marker

    app.hub.subscribe = another_window_sends_while_this_one_renders  # type: ignore[method-assign]
    with live_client(app) as client:
        page = LivePage(client)                            # renders the page once
        app.hub.subscribe = subscribe  # type: ignore[method-assign]
        ws = page.connect(topics={"chat": page.seq})
        got = until_pong(ws)
        replayed = [f for f in got if f["t"] == "msg" and "raced" in json.dumps(f)]
        # In the page's list and again in the replay: the page's script updates the
        # element with the same id instead of adding a second one.
        assert "raced" in page.html and len(replayed) == 1
        assert 'id="m1"' in page.html and 'id=\\"m1\\"' in json.dumps(replayed[0])
