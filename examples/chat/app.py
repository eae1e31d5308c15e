"""A chat: a message sent in one window appears in every open window of the app, at once.

The messages are kept in the app's database, so a window opened later shows them all. The
page subscribes to the topic "chat" (``app.hub.subscribe``); the form is sent over the
page's websocket (``data_live_send``) to the ``send`` handler, which saves the message and
publishes it to the topic. A window that lost its connection for a while gets what it
missed when it reconnects, once and in order. Run it with ``appkit run examples/chat``.
"""

from __future__ import annotations

from dataclasses import dataclass

from appkit import App, BadRequest
from appkit.html import Button, Form, Input, Li, Page, Ul
from appkit.live import append

MAX_TEXT = 500


@dataclass
class Message:
    id: int | None = None
    text: str = ""


def create_app(name: str = "chat") -> App:
    """The chat app; its messages are kept in its database (named after ``name``)."""
    app = App(name, title="Chat")

    @app.migration(1)
    def create_messages(db):
        db.execute("CREATE TABLE messages (id INTEGER PRIMARY KEY AUTOINCREMENT, "
                   "text TEXT NOT NULL)")

    messages = app.table_for(Message, name="messages")

    def item(message: Message):
        return Li(message.text, id=f"m{message.id}")

    def message_list():
        return Ul(*[item(m) for m in messages.find(order_by="id")], id="messages")

    # A window that missed more than the hub keeps gets the whole list instead.
    app.hub.topic("chat", snapshot=message_list)

    @app.get("/")
    def index():
        # Subscribe first, then read: a message sent in between comes again after the page
        # connects (and is not doubled), instead of being missed.
        follow = app.hub.subscribe("chat")
        return Page(
            "Chat",
            message_list(),
            follow,
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

    return app


app = create_app()
