"""A page of an app and its live socket, spoken to as live.js does (for the dashboard's
tests and the jobs example's)."""

from __future__ import annotations

import concurrent.futures
import contextlib
import json
import re
import time
from collections.abc import Callable
from typing import Any

import pytest

from appkit.testing import Client

TIMEOUT = 20.0


class LivePage:
    """A page loaded with ``client`` and its live socket (as live.js speaks to it)."""

    def __init__(self, client: Client, sockets: contextlib.ExitStack, path: str) -> None:
        self.client = client
        html = client.get(path).text
        content = re.search(r'<meta name="appkit-live" content="([^"]*)"', html)
        assert content is not None, html
        self.config = json.loads(content.group(1).replace("&quot;", '"'))
        self.topics = {name: int(seq) for name, seq in re.findall(
            r'data-live-topic="([^"]+)" data-live-seq="(\d+)"', html)}
        self.html = html
        name = client.app.sessions.cookie_name  # type: ignore[attr-defined]
        socket = client.websocket_connect(
            f"/_appkit-live?appkit-csrf={client.csrf_token()}",
            headers={"cookie": f"{name}={client.cookies[name]}"})
        self.ws = sockets.enter_context(socket)
        self.ws.send_text(json.dumps({
            "t": "hello", "v": 1, "build": self.config["build"], "boot": self.config["boot"],
            "page": "p" * 32, "topics": self.topics, "replied": 0}))
        self._pool = concurrent.futures.ThreadPoolExecutor(1)
        assert self.next()["t"] == "welcome"

    def next(self, timeout: float = TIMEOUT) -> dict[str, Any]:
        """The next frame (acknowledged, as the page does)."""
        try:
            frame: dict[str, Any] = json.loads(
                self._pool.submit(self.ws.receive_text).result(timeout))
        except concurrent.futures.TimeoutError:
            pytest.fail(f"No frame came within {timeout} s")
        if "id" in frame:
            self.ws.send_text(json.dumps({"t": "ack", "id": frame["id"]}))
        return frame

    def until(self, check: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
        """Frames up to the first ``check`` accepts (an op of a message)."""
        seen = []
        until = time.monotonic() + TIMEOUT
        while True:
            frame = self.next(max(0.1, until - time.monotonic()))
            seen.append(frame)
            if frame.get("t") == "msg" and any(check(op) for op in frame["ops"]):
                return seen

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
