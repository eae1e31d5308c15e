"""Driving a live page's socket from a test: a page load (its live config and id) and the
frames of the protocol (see appkit/live/protocol.py)."""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from starlette.datastructures import UploadFile
from starlette.websockets import WebSocketDisconnect

from appkit import App
from appkit.testing import Client

__all__ = ["LivePage", "closed_with", "component_token", "component_tokens", "ev", "frames",
           "live_client", "reply_to", "spy_uploads", "until_pong", "view_answer", "view_id",
           "wait_until"]


class LivePage:
    """One page load of a client and its live socket(s)."""

    def __init__(self, client: Client, page_id: str = "p" * 32, path: str = "/") -> None:
        self.client = client
        html = client.get(path).text
        content = re.search(r'<meta name="appkit-live" content="([^"]*)"', html)
        assert content is not None
        self.config = json.loads(content.group(1).replace("&quot;", '"'))
        self.page_id = page_id
        found = re.search(r'data-live-seq="(\d+)"', html)
        self.seq = int(found.group(1)) if found else 0
        self.html = html

    def socket(self, token: str | None = "", **headers: str) -> Any:
        name = self.client.app.sessions.cookie_name  # type: ignore[attr-defined]
        headers = {"cookie": f"{name}={self.client.cookies[name]}", **headers}
        token = self.client.csrf_token() if token == "" else token
        url = "/_appkit-live" + (f"?appkit-csrf={token}" if token is not None else "")
        socket = self.client.websocket_connect(url, headers=headers)
        return self.client.sockets.enter_context(socket)  # type: ignore[attr-defined]

    def connect(self, **hello: Any) -> Any:
        ws = self.socket()
        frame = {"t": "hello", "v": 1, "build": self.config["build"],
                 "boot": self.config["boot"], "page": self.page_id,
                 "topics": {"chat": self.seq}, **hello}
        ws.send_text(json.dumps(frame))
        return ws


def frames(ws: Any, n: int) -> list[dict[str, Any]]:
    return [json.loads(ws.receive_text()) for _ in range(n)]


def until_pong(ws: Any) -> list[dict[str, Any]]:
    """Ping, then every frame up to the pong (the frames the server had sent before)."""
    ws.send_text(json.dumps({"t": "ping"}))
    got = []
    while True:
        frame = json.loads(ws.receive_text())
        if frame["t"] == "pong":
            return got
        got.append(frame)


def closed_with(ws: Any) -> tuple[int, list[dict[str, Any]]]:
    got = []
    with pytest.raises(WebSocketDisconnect) as closed:
        while True:
            got.append(json.loads(ws.receive_text()))
    return closed.value.code, got


def wait_until(check: Callable[[], bool], within: float = 10.0) -> bool:
    """Whether ``check()`` came true within ``within`` seconds (asked every 20 ms)."""
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def view_id(html: str) -> str:
    """The id of the server-side view a page shows."""
    found = re.search(r'data-view="(\w+)"', html)
    assert found is not None, html
    return found.group(1)


def view_answer(client: Client, vid: str, step: int, key: str, **fields: Any) -> Any:
    """Answer step ``step`` of view ``vid`` over plain htmx (``key``: a button's number,
    ``"submit"`` or ``"cancel"``)."""
    return client.post("/_appkit-view", data={"_v": vid, "_s": str(step), "_k": key,
                                              **fields}, headers={"HX-Request": "true"})


def ev(ref: int, route: str, **d: Any) -> str:
    return json.dumps({"t": "ev", "ref": ref, "route": route, "d": d})


@contextlib.contextmanager
def live_client(app: App) -> Iterator[Client]:
    with Client(app) as c, contextlib.ExitStack() as sockets:
        c.sockets = sockets  # type: ignore[attr-defined]
        yield c


def reply_to(ws: Any, ref: int, within: float = 10.0) -> dict[str, Any]:
    """The reply to event ``ref`` (events run on tasks of their own: a pong may come
    first), within ``within`` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        for frame in until_pong(ws):
            if frame["t"] == "reply" and frame["ref"] == ref:
                return frame
        time.sleep(0.01)
    raise AssertionError(f"no reply to {ref}")


def component_tokens(html: str) -> list[tuple[str, str]]:
    """(name, token) of every live component in ``html``, in order."""
    return re.findall(r'data-component="([^"]*)" data-c="([^"]*)"', html)


def component_token(html: str, name: str) -> str:
    """The token of the first component called ``name`` in ``html``."""
    for found, token in component_tokens(html):
        if found == name:
            return token
    raise AssertionError(f"no component {name!r} in the page")


def spy_uploads(patch: pytest.MonkeyPatch) -> list[UploadFile]:
    """Every ``UploadFile`` made while ``patch`` holds (to check that each was closed)."""
    opened: list[UploadFile] = []
    real = UploadFile.__init__

    def spy(self: UploadFile, *args: Any, **kwargs: Any) -> None:
        real(self, *args, **kwargs)
        opened.append(self)

    patch.setattr(UploadFile, "__init__", spy)
    return opened
