"""The chat of ``bench/live.py`` on NiceGUI, in the browser (not native).

The same page as ``bench/apps/live_appkit.py``: a list ``#messages`` (``ul``) with one
``li`` per message and a form ``#send`` holding an input ``text``. The form's submit event
sends the input's value with the event (``js_handler`` + ``emit``), one socket.io message
per event as in the others. A new message is added to every open page's list as a new
child element (``with ul: li``): NiceGUI sends the list's update and the new element, not
the whole list again (a ``@ui.refreshable`` list, as NiceGUI's chat example has, would).
Messages are kept in memory; ``BENCH_PRELOAD`` adds that many before the server starts.
NiceGUI serves Vue, Quasar and its own scripts itself: no CDN.

Run: ``python bench/apps/live_nicegui.py PORT`` (``ui.run``, NiceGUI's own uvicorn,
``reload=False``, ``show=False``; reconnect timeout and message history at their defaults).
"""

from __future__ import annotations

import itertools
import os
import sys

from nicegui import Client, ui
from nicegui.elements.mixins.text_element import TextElement

MAX_TEXT = 500

ids = itertools.count(1)
messages: list[tuple[int, str]] = [(next(ids), f"Preloaded message {n + 1}")
                                   for n in range(int(os.environ.get("BENCH_PRELOAD", "0")))]
lists: dict[str, ui.element] = {}  # client id -> that page's list


def item(n: int, text: str) -> TextElement:
    return TextElement(tag="li", text=text).props(f"id=m{n}")


def send(text: object) -> None:
    if not isinstance(text, str):
        return
    text = text.strip()
    if not text or len(text) > MAX_TEXT:
        return
    n = next(ids)
    messages.append((n, text))
    for client_id, ul in list(lists.items()):
        if client_id not in Client.instances:
            lists.pop(client_id, None)
            continue
        with ul:
            item(n, text)


@ui.page("/")
def index(client: Client) -> None:
    with ui.element("ul").props("id=messages") as ul:
        for n, text in messages:
            item(n, text)
    lists[client.id] = ul
    with ui.element("form").props("id=send") as form:
        ui.element("input").props('name=text placeholder="Say something" autocomplete=off '
                                  'aria-label=Message autofocus')
        ui.element("button").props("type=submit").text = "Send"  # type: ignore[attr-defined]
    form.on("submit", lambda e: send(e.args),
            js_handler="(e) => { e.preventDefault(); "
                       "emit(new FormData(e.target).get('text')); }")


if __name__ in {"__main__", "__mp_main__"}:
    ui.run(host="127.0.0.1", port=int(sys.argv[1]), reload=False, show=False, title="Chat",
           show_welcome_message=False, uvicorn_logging_level="warning", favicon=None)
