"""The live protocol in-process: hello and welcome, topic messages in order, resume from
the history or a snapshot, events run exactly once (replies resent after a reconnect), and
every bad frame or forged page closed with its code."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.websockets import WebSocketDisconnect

from appkit import App, LiveSettings
from appkit.html import Li, P, Page, Ul
from appkit.live import append, replace
from appkit.testing import Client
from tests.appkit.live.pages import LivePage, frames, live_client


def make_app(**settings: Any) -> App:
    app = App("live", extensions=[LiveSettings(**settings)] if settings else [])
    said: list[str] = []
    app.state.said = said
    app.hub.topic("chat", snapshot=lambda: Ul(*[Li(t, id=f"m{i}") for i, t in enumerate(said)],
                                              id="messages"))

    @app.get("/")
    def index() -> Any:
        return Page("Chat", Ul(id="messages"), app.hub.subscribe("chat"))

    @app.websocket("/say")
    def say(text: str) -> Any:
        said.append(text)
        app.hub.publish("chat", append("messages", Li(text, id=f"m{len(said) - 1}")))
        return replace(P(f"you said {text}", id="status"))

    @app.websocket("/say-now")
    async def say_now(text: str) -> Any:    # on the loop: its message and reply at once
        said.append(text)
        app.hub.publish("chat", append("messages", Li(text, id=f"m{len(said) - 1}")))
        return replace(P(f"you said {text}", id="status"))

    return app


@pytest.fixture
def client() -> Iterator[Client]:
    with live_client(make_app()) as c:
        yield c


def test_a_page_gets_the_topics_messages_and_its_replies_in_order(client: Client) -> None:
    page = LivePage(client, secrets.token_hex(16))
    ws = page.connect()
    (welcome,) = frames(ws, 1)
    assert welcome["t"] == "welcome" and welcome["seen"] == 0 and welcome["id"] == 1
    ws.send_text(json.dumps({"t": "ev", "ref": 1, "route": "/say", "d": {"text": "hi"}}))
    msg, reply = frames(ws, 2)
    assert msg == {"t": "msg", "topic": "chat", "seq": 1, "id": 2, "ops": [
        {"op": "append", "target": "messages", "html": '<li id="m0">hi</li>'}]}
    assert reply == {"t": "reply", "ref": 1, "ok": True, "id": 3, "ops": [
        {"op": "morph", "target": "status", "html": '<p id="status">you said hi</p>'}]}
    ws.send_text(json.dumps({"t": "ping"}))
    assert frames(ws, 1) == [{"t": "pong"}]
    ws.close()


def test_a_page_that_reads_batches_gets_a_reply_and_its_message_in_one(
        client: Client) -> None:
    page = LivePage(client, secrets.token_hex(16))
    ws = page.connect(batch=True)
    welcome = json.loads(ws.receive_text())
    assert welcome["t"] == "welcome" and welcome["id"] == 1
    ws.send_text(json.dumps({"t": "ev", "ref": 1, "route": "/say-now", "d": {"text": "hi"}}))
    # The handler publishes, then returns its reply, in one turn of the loop: the page gets
    # both in one websocket message, numbered and in order. (A plain def's, on a worker
    # thread, may come apart: the thread hands the two over one after the other.)
    msg, reply = json.loads(ws.receive_text())
    assert (msg["t"], msg["id"], msg["seq"]) == ("msg", 2, 1)
    assert (reply["t"], reply["id"], reply["ref"]) == ("reply", 3, 1)
    ws.close()
    # On a resume, the welcome, the kept reply and what was missed come as one message.
    client.app.hub.publish("chat", append("messages", Li("away")))
    ws = page.connect(batch=True, topics={"chat": 1}, replied=0)
    got = json.loads(ws.receive_text())
    assert [f["t"] for f in got] == ["welcome", "reply", "msg"]
    assert [f["id"] for f in got] == [1, 2, 3]
    ws.close()


def test_a_long_backlog_goes_in_messages_of_about_64_kb(client: Client) -> None:
    page = LivePage(client, secrets.token_hex(16))
    for n in range(40):                                    # 40 messages of 5 KB, missed
        client.app.hub.publish("chat", append("messages", Li("x" * 5000, id=f"b{n}")))
    ws = page.connect(batch=True)
    got: list[list[dict[str, Any]]] = []
    while sum(len(m) for m in got) < 41:
        message = json.loads(ws.receive_text())
        got.append(message if isinstance(message, list) else [message])  # a lone one: itself
    sizes = [sum(len(o["html"]) for f in m for o in f.get("ops", ())) for m in got]
    assert len(got) == 4 and all(64_000 < n < 72_000 for n in sizes[:-1])  # ~64 KB each
    assert [f["id"] for m in got for f in m] == list(range(1, 42))    # all, in order
    ws.close()


@pytest.mark.parametrize("batch", ["yes", 1, None])
def test_a_batch_that_is_not_a_boolean_closes_with_1007(client: Client, batch: Any) -> None:
    ws = LivePage(client, secrets.token_hex(16)).connect(batch=batch)
    with pytest.raises(WebSocketDisconnect) as closed:
        ws.receive_text()
    assert closed.value.code == 1007


def test_a_reconnect_replays_what_was_missed_and_never_reruns_an_event(
        client: Client) -> None:
    app = client.app
    page = LivePage(client, secrets.token_hex(16))
    ws = page.connect()
    frames(ws, 1)
    ws.send_text(json.dumps({"t": "ev", "ref": 1, "route": "/say", "d": {"text": "one"}}))
    frames(ws, 2)
    ws.close()                         # the connection is cut
    for text in ("two", "three"):                             # published while away
        app.state.said.append(text)
        app.hub.publish("chat", append("messages", Li(text)))
    # The page resends event 1 (it never saw the reply, say) and resumes from seq 1.
    ws = page.connect(topics={"chat": 1}, replied=0)
    welcome, replayed_reply, two, three = frames(ws, 4)
    assert welcome["seen"] == 1
    assert replayed_reply["t"] == "reply" and replayed_reply["ref"] == 1
    assert [(m["seq"], m["ops"][0]["html"]) for m in (two, three)] == [
        (2, "<li>two</li>"), (3, "<li>three</li>")]
    ws.send_text(json.dumps({"t": "ev", "ref": 1, "route": "/say", "d": {"text": "one"}}))
    (again,) = frames(ws, 1)
    assert again["t"] == "reply" and again["ref"] == 1
    assert app.state.said == ["one", "two", "three"]          # event 1 ran once
    ws.close()


def test_a_page_too_far_behind_gets_the_snapshot(client: Client) -> None:
    with live_client(make_app(history=2)) as small:
        app = small.app
        page = LivePage(small)
        for text in ("a", "b", "c", "d"):
            app.state.said.append(text)
            app.hub.publish("chat", append("messages", Li(text)))
        ws = page.connect(topics={"chat": 0})
        welcome, snapshot = frames(ws, 2)
        assert snapshot["snapshot"] is True and snapshot["seq"] == 4
        assert snapshot["ops"][0]["op"] == "morph" and "<li id=\"m3\">d</li>" in (
            snapshot["ops"][0]["html"])
        ws.close()


@pytest.mark.parametrize(("frame", "code"), [
    ("not json", 1007),
    ('{"t": "hello"}', 1007),
    ('{"t": "nope", "v": 1}', 1007),
])
def test_bad_first_frames_close_with_1007(client: Client, frame: str, code: int) -> None:
    page = LivePage(client, secrets.token_hex(16))
    name = client.app.sessions.cookie_name  # type: ignore[attr-defined]
    with client.websocket_connect(f"/_appkit-live?appkit-csrf={client.csrf_token()}",
                                  headers={"cookie": f"{name}={client.cookies[name]}"}) as ws:
        ws.send_text(frame)
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_text()
    assert closed.value.code == code
    assert page.page_id


def test_a_new_build_reloads_and_another_sessions_page_is_refused(client: Client) -> None:
    page = LivePage(client, secrets.token_hex(16))
    ws = page.connect(build="old-build")
    assert frames(ws, 1) == [{"t": "reload", "why": "build"}]
    with pytest.raises(WebSocketDisconnect) as closed:
        ws.receive_text()
    assert closed.value.code == 4001
    ws = page.connect()
    frames(ws, 1)
    ws.close()
    other = Client(client.app)                                 # another session
    other.sockets = client.sockets  # type: ignore[attr-defined]
    thief = LivePage(other, page_id=page.page_id)
    ws = thief.connect()
    with pytest.raises(WebSocketDisconnect) as refused:
        ws.receive_text()
    assert refused.value.code == 4403


def test_a_users_topic_is_theirs_alone(client: Client) -> None:
    page = LivePage(client, secrets.token_hex(16))
    ws = page.connect(topics={"user:someone-else": 0})
    frames(ws, 1)
    with pytest.raises(WebSocketDisconnect) as refused:
        ws.receive_text()
    assert refused.value.code == 1008


def test_an_oversized_frame_closes_with_1009() -> None:
    with live_client(make_app(max_message_size=1000)) as client:
        ws = LivePage(client, secrets.token_hex(16)).connect()
        frames(ws, 1)
        ws.send_text(json.dumps({"t": "ev", "ref": 1, "route": "/say",
                                 "d": {"text": "x" * 2000}}))
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_text()
        assert closed.value.code == 1009


def test_a_page_that_does_not_read_is_dropped_not_buffered() -> None:
    with live_client(make_app(outbox_frames=20)) as client:
        app = client.app
        ws = LivePage(client, secrets.token_hex(16)).connect()
        frames(ws, 1)
        for n in range(200):                                    # never acknowledged
            app.hub.publish("chat", append("messages", Li(f"{n}")))
        received = []
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:
                received.append(json.loads(ws.receive_text()))
        assert closed.value.code == 1013
        assert len(received) <= 21
        live = app.extension("live")
        deadline = time.monotonic() + 5
        while app.hub.get("chat").subscribers and time.monotonic() < deadline:
            time.sleep(0.01)  # the server ends the connection after the page saw it close
        assert not app.hub.get("chat").subscribers
        assert len(live.pages) == 1  # its state is kept for it to resume


def test_a_topic_swapped_onto_the_page_later_is_followed(client: Client) -> None:
    page = LivePage(client, secrets.token_hex(16))
    ws = page.connect(topics={})
    frames(ws, 1)
    client.app.hub.publish("chat", append("messages", Li("before", id="m0")))
    ws.send_text(json.dumps({"t": "follow", "topics": {"chat": 0}}))
    (missed,) = frames(ws, 1)                      # what it missed since the swap's render
    assert missed["topic"] == "chat" and missed["seq"] == 1
    client.app.hub.publish("chat", append("messages", Li("after", id="m1")))
    (later,) = frames(ws, 1)
    assert later["seq"] == 2 and "after" in later["ops"][0]["html"]
    ws.send_text(json.dumps({"t": "follow", "topics": {"user:not-mine": 0}}))
    with pytest.raises(WebSocketDisconnect) as refused:
        ws.receive_text()
    assert refused.value.code == 1008
