"""``examples/chat/app.py`` with its messages in memory, for ``bench/live.py``.

A copy of the example: the only changes are the store (a list in memory, as the peers keep
theirs, instead of the ``messages`` table in ``app.db``), ``BENCH_PRELOAD`` (that many
messages before the server starts, as in the peers) and this docstring. The ``send``
handler is a plain ``def``, as in the example, which appkit runs on a worker thread;
``BENCH_INLINE=1`` marks it ``@nonblocking`` (it only touches memory), to run on the loop.
"""

from __future__ import annotations

import itertools
import os
import threading
from dataclasses import dataclass

from appkit import App, BadRequest
from appkit.app import nonblocking
from appkit.html import Button, Form, Input, Li, Page, Ul
from appkit.live import append

MAX_TEXT = 500


@dataclass
class Message:
    id: int | None = None
    text: str = ""


class Messages:
    """The chat's messages, in memory (thread-safe: ``send`` runs in the thread pool)."""

    def __init__(self, preload: int = 0) -> None:
        self._items: list[Message] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        for n in range(preload):
            self.insert(Message(text=f"Preloaded message {n + 1}"))

    def insert(self, message: Message) -> Message:
        with self._lock:
            message.id = next(self._ids)
            self._items.append(message)
        return message

    def all(self) -> list[Message]:
        with self._lock:
            return list(self._items)


def create_app(name: str = "chat", preload: int = 0, inline: bool = False) -> App:
    """The chat app, its messages in memory (``preload`` of them to start with); ``inline``:
    ``send`` marked ``@nonblocking`` (it only touches memory), so it runs on the event loop
    like FastHTML's coroutine instead of on a worker thread."""
    app = App(name, title="Chat")
    messages = Messages(preload)

    def item(message: Message):
        return Li(message.text, id=f"m{message.id}")

    def message_list():
        return Ul(*[item(m) for m in messages.all()], id="messages")

    # A window that missed more than the hub keeps gets the whole list instead.
    app.hub.topic("chat", snapshot=message_list)

    @app.get("/")
    def index():
        return Page(
            "Chat",
            message_list(),
            app.hub.subscribe("chat"),
            Form(Input(name="text", placeholder="Say something", autocomplete="off",
                       aria_label="Message", autofocus=True),
                 Button("Send"), id="send", data_live_send=send),
        )

    @app.websocket("/chat")
    def send(text: str):
        text = text.strip()
        if not text:
            raise BadRequest("Write a message first.")
        if len(text) > MAX_TEXT:
            raise BadRequest(f"Keep it under {MAX_TEXT} characters ({len(text)} now).")
        message = messages.insert(Message(text=text))
        app.hub.publish("chat", append("messages", item(message)))

    if inline:
        nonblocking(send)
    return app


app = create_app(preload=int(os.environ.get("BENCH_PRELOAD", "0")),
                 inline=os.environ.get("BENCH_INLINE") == "1")
