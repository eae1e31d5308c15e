"""The chat of ``bench/live.py`` on FastHTML: ``@app.ws`` and htmx's ws extension.

The same page as ``bench/apps/live_appkit.py`` (a list ``#messages`` with one ``li`` per
message, a form ``#send`` with an input ``text``), written the FastHTML way: the body
connects with ``hx-ext="ws" ws-connect="/ws"``, the form has ``ws-send``, and the ``/ws``
handler broadcasts the new ``li`` to every open socket as an out-of-band append
(``<div id="messages" hx-swap-oob="beforeend">``), as FastHTML's chat examples do. Messages
are kept in memory; ``BENCH_PRELOAD`` adds that many before the server starts.

Set up like ``bench/apps/fasthtml_todo.py``: ``FastHTML(...)`` rather than ``fast_app()``, no
sessions, no indentation, no CDN: htmx and its ws extension are appkit's vendored copies,
served by this app (FastHTML's defaults would load them from a CDN). The handler is
``async`` (FastHTML's ``send`` is a coroutine).
"""

from __future__ import annotations

import itertools
import os
from typing import Any

from fasthtml.common import Body, Button, Div, FastHTML, Input, Li, Meta, Script, Title, Ul, fh_cfg
from fasthtml.common import Form as _Form
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from bench.apps.common import APPKIT_STATIC

fh_cfg.indent = False
fh_cfg.auto_name = False

MAX_TEXT = 500


def create_app(preload: int = 0) -> FastHTML:
    """The chat with ``preload`` messages to start with."""
    ids = itertools.count(1)
    messages: list[tuple[int, str]] = [(next(ids), f"Preloaded message {n + 1}")
                                       for n in range(preload)]
    sockets: dict[int, Any] = {}  # id(websocket) -> FastHTML's send
    hdrs = [
        Meta(charset="utf-8"),
        Meta(name="viewport", content="width=device-width, initial-scale=1"),
        Script(src="/_appkit/vendor/htmx.min.js", defer=True),
        Script(src="/_appkit/vendor/ext/ws.js", defer=True),
    ]
    app = FastHTML(
        routes=[Mount("/_appkit", app=StaticFiles(directory=APPKIT_STATIC), name="static")],
        hdrs=hdrs, default_hdrs=False, sess_cls=None, secret_key="bench", canonical=False,
        htmlkw={"lang": "en"},
    )

    def item(n: int, text: str):
        return Li(text, id=f"m{n}")

    @app.get("/")
    def index():
        return (
            Title("Chat"),
            Body(
                Ul(*[item(n, t) for n, t in messages], id="messages"),
                _Form(Input(name="text", placeholder="Say something", autocomplete="off",
                            aria_label="Message", autofocus=True),
                      Button("Send"), id="send", ws_send=True, enctype=None),
                hx_ext="ws", ws_connect="/ws",
            ),
        )

    async def on_connect(ws, send):
        sockets[id(ws)] = send

    async def on_disconnect(ws):
        sockets.pop(id(ws), None)

    @app.ws("/ws", conn=on_connect, disconn=on_disconnect)
    async def chat(text: str):
        text = text.strip()
        if not text or len(text) > MAX_TEXT:
            return None
        n = next(ids)
        messages.append((n, text))
        update = Div(item(n, text), id="messages", hx_swap_oob="beforeend")
        for send in list(sockets.values()):
            try:
                await send(update)
            except Exception:  # a socket that has gone; its disconnect removes it
                pass
        return None

    return app


app = create_app(int(os.environ.get("BENCH_PRELOAD", "0")))
